using AeNotebooks.Torch;
using AeNotebooks.Torch.Modules;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks;

/// <summary>Samples per-layer activation statistics (through forward hooks) and gradient norms.</summary>
internal sealed class Recorder : IDisposable
{
    const int Bins = 40;
    readonly List<IDisposable> handles = new();
    readonly TrainingRun run;

    public bool Sampling { get; set; }
    public int Step { get; set; }

    public Recorder(nn.Module<Tensor, Tensor> model, TrainingRun run)
    {
        this.run = run;
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            var samples = run.Activations[name] = new List<ActivationSample>();
            var (low, high) = HistogramRange(leaf.name);
            var (saturatedLow, saturatedHigh) = SaturationBounds(leaf.name);
            handles.Add(leaf.register_forward_hook((m, input, output) =>
            {
                if (Sampling) samples.Add(Describe(output, Step, low, high, saturatedLow, saturatedHigh));
                return output;
            }));
        }
    }

    /// <summary>Fixed histogram ranges per layer kind, so histograms line up over time.</summary>
    static (double low, double high) HistogramRange(string layerKind) => layerKind switch
    {
        "Sigmoid" => (0, 1),
        "Tanh" => (-1, 1),
        "ReLU" => (0, 10),
        _ => (-10, 10),
    };

    static ActivationSample Describe(Tensor output, int step, double low, double high, float saturatedLow, float saturatedHigh)
    {
        var values = output.ToArray();
        double sum = 0, sumSq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        int zeros = 0, saturated = 0;
        var histogram = new int[Bins];
        foreach (var v in values)
        {
            sum += v; sumSq += (double)v * v;
            if (v < min) min = v;
            if (v > max) max = v;
            if (v == 0) zeros++;
            if (v < saturatedLow || v > saturatedHigh) saturated++;
            if (v >= low && v <= high) histogram[Math.Min(Bins - 1, (int)((v - low) / (high - low) * Bins))]++;
        }
        int n = Math.Max(values.Length, 1);
        double mean = sum / n;
        return new ActivationSample(step, mean, Math.Sqrt(Math.Max(0, sumSq / n - mean * mean)), (double)zeros / n, (double)saturated / n, min, max, histogram, low, high);
    }

    /// <summary>
    /// Saturated = where the derivative has all but vanished: sigmoid/tanh within 1% of a bound.
    /// Other layers never count as saturated (the bounds are infinite).
    /// </summary>
    static (float low, float high) SaturationBounds(string layerKind) => layerKind switch
    {
        "Sigmoid" => (0.01f, 0.99f),
        "Tanh" => (-0.99f, 0.99f),
        _ => (float.NegativeInfinity, float.PositiveInfinity),
    };

    public void RecordGradients((string name, Parameter parameter)[] parameters, int step)
    {
        foreach (var (name, p) in parameters)
        {
            if (p.grad is null) continue;
            double sumSq = 0;
            foreach (var v in p.grad.ToArray()) sumSq += (double)v * v;
            if (!run.GradientNorms.TryGetValue(name, out var list)) run.GradientNorms[name] = list = new();
            list.Add(new GradientSample(step, Math.Sqrt(sumSq)));
            if (!run.WeightNorms.TryGetValue(name, out var weights)) run.WeightNorms[name] = weights = new();
            double weightSq = 0;
            foreach (var v in p.ToArray()) weightSq += (double)v * v;
            weights.Add(new GradientSample(step, Math.Sqrt(weightSq)));
        }
    }

    public void Dispose()
    {
        foreach (var h in handles) h.Dispose();
        handles.Clear();
    }
}
