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
}
