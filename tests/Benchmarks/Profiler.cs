using System.Diagnostics;
using System.Globalization;
using AeNotebooks.Torch;
using static AeNotebooks.Torch.torch;

namespace Benchmarks;

/// <summary>--profile: forward and backward time of each layer of a Sequential workload, measured layer by layer.</summary>
static class Profiler
{
    public static void Print(string name, Workload workload)
    {
        if (workload.Model is not AeNotebooks.Torch.Modules.Sequential model || workload.Input is null)
        {
            Console.WriteLine($"{name}: not a Sequential training workload");
            return;
        }
        Console.WriteLine($"{name} ({get_num_threads()} threads): per layer, ms forward / backward");
        var x = workload.Input;
        double totalF = 0, totalB = 0;
        for (int i = 0; i < model.Count; i++)
        {
            var layer = model[i];
            // one leaf per layer: its .grad is allocated once and then accumulates, as an activation's pooled gradient would
            var input = x.detach().requires_grad_(i > 0);
            Tensor y = layer.call(input);
            var grad = randn(y.shape);
            double f = Time(() => layer.call(input));
            double b = y.requires_grad ? Time(() => layer.call(input).backward(grad)) - f : 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {i,2} {layer.name,-16} {f,8:F3} {b,8:F3}   → {ShapeUtil.Format(y.shape)}"));
            totalF += f; totalB += b;
            x = y.detach();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  total               {totalF,8:F3} {totalB,8:F3}"));
    }

    /// <summary>Mean time per call: process CPU time with one thread (robust to other processes on the machine), wall time otherwise.</summary>
    static double Time(Action a)
    {
        for (int i = 0; i < 3; i++) a();
        using var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        int n = 0;
        while (sw.Elapsed.TotalSeconds < 0.3 || n < 5) { a(); n++; }
        process.Refresh();
        return get_num_threads() == 1 ? (process.TotalProcessorTime - cpu0).TotalMilliseconds / n : sw.Elapsed.TotalMilliseconds / n;
    }
}
