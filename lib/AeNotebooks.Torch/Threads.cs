namespace AeNotebooks.Torch;

public static partial class torch
{
    /// <summary>Sets how many threads the kernels use. Results do not depend on it.</summary>
    public static void set_num_threads(int threads) => Kernels.Parallel.Threads = threads;

    public static int get_num_threads() => Kernels.Parallel.Threads;
}
