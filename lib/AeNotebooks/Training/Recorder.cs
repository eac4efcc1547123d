using System.Numerics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>Samples per-layer activation statistics (through forward hooks) and gradient norms.</summary>
internal sealed class Recorder : IDisposable
{
    const int Bins = 40;
    readonly List<IDisposable> handles = new();
    readonly List<Action> attachers = new();
    readonly TrainingRun run;

    /// <summary>
    /// Whether this step is sampled. The hooks are attached only for sampled steps: each hook is a call from libtorch's
    /// forward back into .NET, which costs time on every step of a small model even when it does nothing.
    /// </summary>
    public bool Sampling
    {
        get => sampling;
        set
        {
            if (value == sampling) return;
            sampling = value;
            if (value) foreach (var attach in attachers) attach();
            else Detach();
        }
    }
    bool sampling;
    public int Step { get; set; }

    public Recorder(nn.Module<Tensor, Tensor> model, TrainingRun run)
    {
        this.run = run;
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            var samples = run.Activations[name] = new List<ActivationSample>();
            var (low, high) = HistogramRange(leaf.Kind());
            var (saturatedLow, saturatedHigh) = SaturationBounds(leaf.Kind());
            attachers.Add(() => handles.Add(leaf.OnForward((m, input, output) =>
            {
                samples.Add(Describe(output.ToArray(), Step, low, high, saturatedLow, saturatedHigh));
                return output;
            })));
        }
    }

    void Detach()
    {
        foreach (var h in handles) h.Dispose();
        handles.Clear();
    }

    /// <summary>Fixed histogram ranges per layer kind, so histograms line up over time (see Histogram before adding one).</summary>
    static (double low, double high) HistogramRange(string layerKind) => layerKind switch
    {
        "Sigmoid" => (0, 1),
        "Tanh" => (-1, 1),
        "ReLU" => (0, 10),
        _ => (-10, 10),
    };

    /// <summary>
    /// Statistics of one layer's output. It runs for every layer at every sampled step, so it is written for speed,
    /// with the numbers of a plain one-pass loop: the sums in sequence (their rounding depends on the order), the
    /// extremes and counts with vectors (they do not depend on it), each value's bin as ⌊(v − low) / (high − low) · Bins⌋.
    /// Each pass is a method of its own: with running sums that stayed live across calls, the JIT kept them on the
    /// stack for the whole loop (x64 Unix preserves no SSE register across a call), which made it four times slower.
    /// </summary>
    internal static ActivationSample Describe(float[] values, int step, double low, double high, float saturatedLow, float saturatedHigh)
    {
        var (sum, sumSq) = SumAndSumOfSquares(values);
        var (min, max, zeros, saturated) = ExtremesAndCounts(values, saturatedLow, saturatedHigh);
        var histogram = Histogram(values, low, high);
        int n = Math.Max(values.Length, 1);
        double mean = sum / n;
        return new ActivationSample(step, mean, Math.Sqrt(Math.Max(0, sumSq / n - mean * mean)), (double)zeros / n, (double)saturated / n, min, max, histogram, low, high);
    }

    static (double sum, double sumSq) SumAndSumOfSquares(float[] values)
    {
        double sum = 0, sumSq = 0;
        foreach (var v in values) { sum += v; sumSq += (double)v * v; }
        return (sum, sumSq);
    }

    static double SumOfSquares(float[] values)
    {
        double sumSq = 0;
        foreach (var v in values) sumSq += (double)v * v;
        return sumSq;
    }

    /// <summary>
    /// Bin ⌊(v − low) / (high − low) · Bins⌋, computed as ⌊(v − low) · (Bins / (high − low))⌋: a multiplication
    /// instead of a division per value, a quarter faster. For the ranges of HistogramRange the two agree for every
    /// float v in [low, high], checked exhaustively (all 6.5 billion of them); a new range needs the same check.
    /// </summary>
    static int[] Histogram(float[] values, double low, double high)
    {
        var histogram = new int[Bins];
        double binsPerUnit = Bins / (high - low);
        foreach (var v in values)
            if (v >= low && v <= high) histogram[Math.Min(Bins - 1, (int)((v - low) * binsPerUnit))]++;
        return histogram;
    }

    /// <summary>
    /// Min and max (NaN skipped: a comparison with NaN is false), how many values are zero and how many lie outside
    /// [saturatedLow, saturatedHigh]. Branch-free: whether a ReLU's output is zero is a coin toss.
    /// </summary>
    static (double min, double max, int zeros, int saturated) ExtremesAndCounts(float[] values, float saturatedLow, float saturatedHigh)
    {
        int lanes = Vector<float>.Count, i = 0;
        Vector<float> vMin = new(float.PositiveInfinity), vMax = new(float.NegativeInfinity), low = new(saturatedLow), high = new(saturatedHigh);
        Vector<int> vZeros = Vector<int>.Zero, vSaturated = Vector<int>.Zero; // each lane counts −1 per hit (a true mask is −1)
        for (; i + lanes <= values.Length; i += lanes)
        {
            var v = new Vector<float>(values, i);
            vMin = Vector.ConditionalSelect(Vector.LessThan(v, vMin), v, vMin);
            vMax = Vector.ConditionalSelect(Vector.GreaterThan(v, vMax), v, vMax);
            vZeros += Vector.Equals(v, Vector<float>.Zero);
            vSaturated += Vector.LessThan(v, low) | Vector.GreaterThan(v, high);
        }
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (int j = 0; j < lanes; j++)
        {
            if (vMin[j] < min) min = vMin[j];
            if (vMax[j] > max) max = vMax[j];
        }
        int zeros = -Vector.Sum(vZeros), saturated = -Vector.Sum(vSaturated);
        for (; i < values.Length; i++)
        {
            float v = values[i];
            if (v < min) min = v;
            if (v > max) max = v;
            if (v == 0) zeros++;
            if (v < saturatedLow || v > saturatedHigh) saturated++;
        }
        return (min, max, zeros, saturated);
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
            if (!run.GradientNorms.TryGetValue(name, out var list)) run.GradientNorms[name] = list = new();
            list.Add(new GradientSample(step, Math.Sqrt(SumOfSquares(p.grad.ToArray()))));
            if (!run.WeightNorms.TryGetValue(name, out var weights)) run.WeightNorms[name] = weights = new();
            weights.Add(new GradientSample(step, Math.Sqrt(SumOfSquares(p.ToArray()))));
        }
    }

    public void Dispose() => Detach();
}
