namespace AeNotebooks.Torch;

using static torch;

/// <summary>Shape arithmetic and the shape checks whose messages name the op and both shapes.</summary>
internal static class ShapeUtil
{
    public static int Numel(int[] dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {Format(dims)}");
            n *= d;
        }
        return n <= int.MaxValue ? (int)n : throw new ArgumentException($"shape {Format(dims)} has more than 2^31 elements");
    }

    public static string Format(int[] dims) => "[" + string.Join(", ", dims) + "]";
    public static string Format(long[] dims) => "[" + string.Join(", ", dims) + "]";

    public static int[] ToInt(long[] dims, string op)
    {
        var r = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue) throw new ArgumentException($"{op}: invalid dimension {dims[i]} in {Format(dims)}");
            r[i] = (int)dims[i];
        }
        return r;
    }

    public static int NormalizeDim(long dim, int rank, string op)
    {
        long d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= Math.Max(rank, 1))
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor of rank {rank}");
        return (int)d;
    }

    public static bool Same(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);

    public static void CheckSame(int[] a, int[] b, string op)
    {
        if (!Same(a, b)) throw new ArgumentException($"{op}: shapes must match, got {Format(a)} and {Format(b)}");
    }

    public static void CheckSameCount(Tensor a, Tensor b, string op)
    {
        if (a.length != b.length) throw new ArgumentException($"{op}: sizes must match, got {Format(a.dims)} and {Format(b.dims)}");
    }

    /// <summary>NumPy/PyTorch broadcasting: align trailing dimensions; each pair equal or one of them 1.</summary>
    public static int[] Broadcast(int[] a, int[] b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Row-major strides of `shape` seen through a broadcast to `target` (0 where broadcast).</summary>
    public static int[] BroadcastStrides(int[] shape, int[] target)
    {
        var strides = new int[target.Length];
        int s = 1;
        for (int i = target.Length - 1, j = shape.Length - 1; i >= 0; i--, j--)
        {
            int d = j >= 0 ? shape[j] : 1;
            strides[i] = d == 1 ? 0 : s;
            s *= d;
        }
        return strides;
    }

    public static int[] Strides(int[] shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
        return strides;
    }

    /// <summary>Resolves one -1 in a reshape target.</summary>
    public static int[] InferReshape(long[] target, int count, int[] from, string op)
    {
        var r = new int[target.Length];
        int infer = -1; long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be -1, got {Format(target)}");
                infer = i;
            }
            else if (target[i] < 0) throw new ArgumentException($"{op}: invalid dimension {target[i]} in {Format(target)}");
            else { r[i] = (int)target[i]; known *= target[i]; }
        }
        if (infer >= 0)
        {
            if (known == 0 || count % known != 0)
                throw new ArgumentException($"{op}: cannot reshape {Format(from)} ({count} elements) to {Format(target)}");
            r[infer] = (int)(count / known);
        }
        else if (known != count)
            throw new ArgumentException($"{op}: cannot reshape {Format(from)} ({count} elements) to {Format(target)} ({known} elements)");
        return r;
    }
}
