namespace AeNotebooks.Torch.Kernels;

/// <summary>
/// Recycles the gradient buffers of non-leaf tensors. backward() gives each non-leaf a buffer to
/// accumulate into and drops it right after that tensor's op has sent the gradient on; the buffer goes
/// back here (unless a tensor hook has seen it) and the next backward of the same shapes rents it again.
/// This keeps a training step from allocating fresh multi-megabyte arrays for every activation gradient:
/// a fresh large array costs page faults on first touch (measured ~0.4 ms per MB on the benchmark VM),
/// a recycled one only a memset.
///
/// Only large buffers are pooled (small ones are cheap for the GC), at most a few per length, and at most
/// <see cref="MaxPooledBytes"/> in total; rented buffers are zeroed.
/// </summary>
internal static class GradientPool
{
    const int MinLength = 16 * 1024;             // 64 KB
    const int MaxPerLength = 8;
    const long MaxPooledBytes = 128L << 20;      // 128 MB

    static readonly Dictionary<int, Stack<float[]>> free = new();
    static long pooledBytes;

    /// <summary>A zeroed array of exactly `length` floats.</summary>
    public static float[] Rent(int length)
    {
        if (length >= MinLength)
        {
            float[]? a = null;
            lock (free)
            {
                if (free.TryGetValue(length, out var stack) && stack.Count > 0)
                {
                    a = stack.Pop();
                    pooledBytes -= (long)length * sizeof(float);
                }
            }
            if (a is not null)
            {
                Array.Clear(a);
                return a;
            }
        }
        return new float[length];
    }

    /// <summary>Gives a buffer back; the caller must hold no other reference to it.</summary>
    public static void Return(float[] buffer)
    {
        int length = buffer.Length;
        if (length < MinLength) return;
        lock (free)
        {
            if (pooledBytes + (long)length * sizeof(float) > MaxPooledBytes) return;
            if (!free.TryGetValue(length, out var stack)) free[length] = stack = new Stack<float[]>();
            if (stack.Count >= MaxPerLength) return;
            stack.Push(buffer);
            pooledBytes += (long)length * sizeof(float);
        }
    }
}
