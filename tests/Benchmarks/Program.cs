// Usage: dotnet run -c Release --project tests/Benchmarks -- [workload...] [--threads N] [--seconds S] [--memory STEPS] [--profile]
// Prints one line per workload: "name<TAB>12.345 ms/step" (workloads with a flop count add "<TAB>123.4 GFLOPS").
// --cpu: time with the process's CPU time instead of the wall clock (for one thread on a shared machine, where other
// processes inflate wall time; with more threads it sums the threads).
// --memory STEPS: instead of timing, trains STEPS steps and prints "name<TAB>peak 123.4 MB<TAB>baseline 45.6 MB<TAB>..."
// (peak working set of the process, and what it was before the model was built). --profile: per-layer times.
// No workload names = all. An unknown name is an error (exit 2) so run.sh can report it as n/a.
// fit_overhead_dense_ae_b128 compares Trainer.Fit with a hand-written loop (FitOverhead.cs) and prints
// "name<TAB>plain 1.234 ms/step<TAB>Trainer.Fit 1.250 ms/step<TAB>overhead 1.3 %<TAB>..."; --seconds is per side.
using System.Diagnostics;
using System.Globalization;
using AeNotebooks.Torch;
using AeNotebooks.Torch.Kernels;

namespace Benchmarks;

/// <summary>One benchmark: the step to time and, if meaningful, the floating-point operations per step.</summary>
sealed record Workload(Action Step, double FlopsPerStep = 0)
{
    /// <summary>For training workloads: the model and its input (used by --profile).</summary>
    public AeNotebooks.Torch.torch.nn.Module<AeNotebooks.Torch.torch.Tensor, AeNotebooks.Torch.torch.Tensor>? Model { get; init; }
    public AeNotebooks.Torch.torch.Tensor? Input { get; init; }
}

static class Program
{
    /// <summary>Name → setup; the setup runs once, untimed, and returns the step to time.</summary>
    static readonly Dictionary<string, Func<Workload>> Workloads = new()
    {
        ["sgemm_256"] = () => SquareSgemm(256),
        ["sgemm_512"] = () => SquareSgemm(512),
        ["sgemm_1024"] = () => SquareSgemm(1024),

        // engine training steps, twins of torch_twin.py (EngineWorkloads.cs)
        ["dense_ae_b128"] = EngineWorkloads.DenseAutoencoderB128,
        ["tiny_ae_b3"] = EngineWorkloads.TinyAutoencoderB3,
        ["mnist_dae_b64"] = EngineWorkloads.MnistDaeB64,
        ["cifar_cae_b32"] = EngineWorkloads.CifarCaeB32,
    };

    /// <summary>Name → a comparison of two timed runs that prints its own line (not a single step to time).</summary>
    static readonly Dictionary<string, Func<double, bool, string>> Comparisons = new()
    {
        ["fit_overhead_dense_ae_b128"] = FitOverhead.DenseAeB128,
    };

    static int Main(string[] args)
    {
        var names = new List<string>();
        double seconds = 2.0;
        int memorySteps = 0;
        bool profile = false, cpu = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads" when i + 1 < args.Length:
                    torch.set_num_threads(int.Parse(args[++i], CultureInfo.InvariantCulture));
                    break;
                case "--seconds" when i + 1 < args.Length:
                    seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--memory" when i + 1 < args.Length:
                    memorySteps = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--profile":
                    profile = true;
                    break;
                case "--cpu":
                    cpu = true;
                    break;
                case var a when a.StartsWith("--"):
                    Console.Error.WriteLine($"unknown or incomplete option '{a}'");
                    return 2;
                default:
                    names.Add(args[i]);
                    break;
            }
        }
        if (names.Count == 0) names.AddRange(Workloads.Keys.Concat(Comparisons.Keys));

        var unknown = names.Where(n => !Workloads.ContainsKey(n) && !Comparisons.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"unknown workload(s): {string.Join(", ", unknown)}; known: {string.Join(", ", Workloads.Keys.Concat(Comparisons.Keys))}");
            return 2;
        }

        if (memorySteps > 0)
        {
            foreach (var name in names.Where(Workloads.ContainsKey)) Console.WriteLine(Memory(name, memorySteps));
            return 0;
        }
        foreach (var name in names)
        {
            if (Comparisons.TryGetValue(name, out var compare))
            {
                if (!profile) Console.WriteLine(compare(seconds, cpu));
                continue;
            }
            var workload = Workloads[name]();
            if (profile) { Profiler.Print(name, workload); continue; }
            double ms = MeanStepMs(workload.Step, seconds, cpu);
            string line = string.Create(CultureInfo.InvariantCulture, $"{name}\t{ms:F3} ms/step");
            if (workload.FlopsPerStep > 0)
                line += string.Create(CultureInfo.InvariantCulture, $"\t{workload.FlopsPerStep / (ms * 1e-3) / 1e9:F1} GFLOPS");
            Console.WriteLine(line);
        }
        return 0;
    }

    /// <summary>
    /// Warms up (at least 5 steps and 0.5 s, so the JIT has tiered up and pools are filled), then
    /// repeats the step until at least <paramref name="seconds"/> have passed; returns the mean.
    /// </summary>
    static double MeanStepMs(Action step, double seconds, bool cpu = false)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 5 || sw.Elapsed.TotalSeconds < 0.5; i++) step();
        int n = 0;
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        sw.Restart();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            step();
            n++;
        }
        process.Refresh();
        return cpu ? (process.TotalProcessorTime - cpu0).TotalMilliseconds / n : sw.Elapsed.TotalMilliseconds / n;
    }

    /// <summary>
    /// Peak memory of a training run: the process's peak working set after `steps` steps, its working set before
    /// the workload was built (runtime + engine), the GC heap after the run and the bytes allocated per step.
    /// </summary>
    static string Memory(string name, int steps)
    {
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        process.Refresh();
        double baseline = process.WorkingSet64 / 1e6;
        var workload = Workloads[name]();
        for (int i = 0; i < 5; i++) workload.Step();
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < steps; i++) workload.Step();
        double perStep = (GC.GetTotalAllocatedBytes(precise: true) - allocated0) / (double)steps / 1e6;
        process.Refresh();
        double peak = process.PeakWorkingSet64 / 1e6;
        var info = GC.GetGCMemoryInfo();
        return string.Create(CultureInfo.InvariantCulture,
            $"{name}\tpeak {peak:F1} MB\tbaseline {baseline:F1} MB\ttraining {peak - baseline:F1} MB\tgc heap {info.HeapSizeBytes / 1e6:F1} MB\tallocated {perStep:F2} MB/step");
    }

    /// <summary>C = A·B for square n×n matrices, the twin of torch.mm.</summary>
    static Workload SquareSgemm(int n)
    {
        var rng = new Random(0);
        float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextSingle();
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextSingle();
        return new Workload(() => Sgemm.Multiply(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, accumulate: false),
            FlopsPerStep: 2.0 * n * n * n);
    }
}
