namespace AeNotebooks;

/// <summary>Derives independent, reproducible seeds (SplitMix64 finaliser), e.g. one per image or per epoch.</summary>
internal static class Seeds
{
    public static long Mix(long seed, long index)
    {
        ulong z = (ulong)seed + 0x9E3779B97F4A7C15UL * ((ulong)index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)(z ^ (z >> 31));
    }

    /// <summary>A System.Random for scalar draws in C# (geometry, resampling); seeded .NET Random is the same on every platform.</summary>
    public static Random Random(long seed, long index = 0) => new((int)(Mix(seed, index) & 0x7fffffff));

    /// <summary>A torch generator seeded from a long (TorchSharp takes an unsigned seed).</summary>
    public static TorchSharp.torch.Generator Torch(long seed) => new(unchecked((ulong)seed));

    /// <summary>A random permutation of 0..n-1 from TorchSharp's randperm.</summary>
    public static long[] Permutation(long n, TorchSharp.torch.Generator generator)
    {
        using var rows = TorchSharp.torch.randperm(n, generator: generator);
        return rows.data<long>().ToArray();
    }
}
