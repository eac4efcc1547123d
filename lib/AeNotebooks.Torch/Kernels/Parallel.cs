namespace AeNotebooks.Torch.Kernels;

/// <summary>
/// The engine's one thread pool policy. Work is always split into the same chunks whatever the
/// thread count (chunking depends only on problem size), and each chunk writes its own outputs,
/// so results are bit-identical for 1 or N threads.
/// </summary>
internal static class Parallel
{
    static int threads = Math.Max(1, Environment.ProcessorCount);

    public static int Threads
    {
        get => threads;
        set => threads = value < 1 ? throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be ≥ 1") : value;
    }

    // True on a thread while it runs a body of a parallel loop: a loop started inside one (e.g. an SGEMM
    // called per sample by a convolution that already splits the batch over the threads) runs serially.
    [ThreadStatic] static bool insideBody;

    /// <summary>Runs body(i) for i in [0, count). Serial when one thread, when nested in another loop's body, or when the work is too small to split.</summary>
    public static void For(int count, Action<int> body, long workPerItem = long.MaxValue)
    {
        int t = threads;
        // Fork/join costs a few microseconds; below ~20k flops per item it is cheaper to stay serial.
        if (t == 1 || count == 1 || insideBody || (workPerItem < 20_000 && (long)count * workPerItem < 200_000))
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        var options = new ParallelOptions { MaxDegreeOfParallelism = t };
        System.Threading.Tasks.Parallel.For(0, count, options, i =>
        {
            bool outer = insideBody;
            insideBody = true;
            try { body(i); }
            finally { insideBody = outer; }
        });
    }
}
