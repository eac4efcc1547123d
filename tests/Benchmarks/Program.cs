// Usage: dotnet run -c Release --project tests/Benchmarks -- <workload>... [--threads N] [--seconds S]
// <workload> times a bare TorchSharp loop (Adam 1e-3, dispose scope per step, as shared/anchors/torch_workloads.py);
// <workload>/fit times the same model through Trainer.Fit (validation, recording and progress off);
// <workload>/recorded the same with the doctor's recording at its default (RecordEvery = 20): what monitoring costs.
// Prints one line per workload: "name<TAB>12.345 ms/step". No names = every bare workload and its /fit.
// --cpu: per step, the process's CPU time instead of the wall clock (with --threads 1, what other processes on a shared
// machine do not inflate; with more threads it sums them).
using System.Diagnostics;
using System.Globalization;
using AeNotebooks;
using AeNotebooks.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Benchmarks;

static class Program
{
    static int Main(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var names = new List<string>();
        double seconds = 3;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads" when i + 1 < args.Length: set_num_threads(int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                case "--seconds" when i + 1 < args.Length: seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--cpu": Clock.Cpu = true; break;
                case var a when a.StartsWith("--"): Console.Error.WriteLine($"unknown or incomplete option '{a}'"); return 2;
                default: names.Add(args[i]); break;
            }
        }
        if (names.Count == 0) names.AddRange(Workloads.All.Keys.SelectMany(n => new[] { n, n + "/fit" }));
        foreach (var name in names)
        {
            var (key, variant) = name.IndexOf('/') is var slash and >= 0 ? (name[..slash], name[(slash + 1)..]) : (name, "");
            if (!Workloads.All.TryGetValue(key, out var build) || variant is not ("" or "fit" or "recorded"))
            {
                Console.Error.WriteLine($"unknown workload '{name}' (known: {string.Join(", ", Workloads.All.Keys)}, each also as <name>/fit and <name>/recorded)");
                return 2;
            }
            manual_seed(0);
            var w = build();
            double ms = variant switch
            {
                "fit" => FitMsPerStep(w, seconds, recordEvery: 0),
                "recorded" => FitMsPerStep(w, seconds, recordEvery: new TrainOptions().RecordEvery),
                _ => BareMsPerStep(w, seconds),
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}\t{ms:F3} ms/step"));
        }
        return 0;
    }

    const double WarmUpSeconds = 1.5;

    /// <summary>The loop of the anchor: zero_grad, loss, backward, step, each step in a dispose scope. Warm-up 1.5 s, then ≥ seconds.</summary>
    static double BareMsPerStep(Workload w, double seconds)
    {
        var optimizer = optim.Adam(w.Model.parameters(), lr: 1e-3);
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = w.Loss(w.Model.call(w.Batch), w.Batch);
            loss.backward();
            optimizer.step();
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < WarmUpSeconds) Step(); // long enough for the JIT's tiers and libtorch's thread pool to settle
        long steps = 0;
        clock.Restart();
        var measured = Clock.Start();
        while (clock.Elapsed.TotalSeconds < seconds) { Step(); steps++; }
        return measured.Milliseconds / steps;
    }

    /// <summary>
    /// Trainer.Fit on 64 copies of the batch (one epoch = 64 steps of the workload's batch size), for as many epochs as
    /// fill ≥ seconds, after 1.5 s of one-epoch runs as the warm-up. Validation and progress are off, recording as asked
    /// (0 for /fit, as the contract says); time per step includes the per-epoch shuffle.
    /// </summary>
    static double FitMsPerStep(Workload w, double seconds, int recordEvery)
    {
        const int stepsPerEpoch = 64;
        long batch = w.Batch.shape[0];
        var data = w.Batch.repeat([stepsPerEpoch, .. Enumerable.Repeat(1L, (int)w.Batch.dim() - 1)]);
        TrainOptions Options(int epochs) => new() { Loss = w.HelperLoss, Optimizer = Optimizers.Adam(1e-3), Epochs = epochs, BatchSize = (int)batch, Progress = false, RecordEvery = recordEvery, StopOnNonFinite = false };
        var warm = Trainer.Fit(w.Model, null, data, Options(1));
        var warmClock = Stopwatch.StartNew();
        while (warmClock.Elapsed.TotalSeconds < WarmUpSeconds) warm = Trainer.Fit(w.Model, null, data, Options(1));
        int epochs = Math.Max(1, (int)Math.Ceiling(seconds / Math.Max(warm.Seconds, 1e-3)));
        var measured = Clock.Start();
        var run = Trainer.Fit(w.Model, null, data, Options(epochs));
        return measured.Milliseconds / run.Steps;
    }
}

/// <summary>Wall clock, or with --cpu the process's CPU time.</summary>
sealed class Clock
{
    public static bool Cpu;
    readonly Stopwatch wall = Stopwatch.StartNew();
    readonly TimeSpan cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    public static Clock Start() => new();
    public double Milliseconds => Cpu ? (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalMilliseconds : wall.Elapsed.TotalMilliseconds;
}
