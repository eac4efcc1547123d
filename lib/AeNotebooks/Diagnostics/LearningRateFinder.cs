using System.Globalization;
using System.Net;
using System.Text;
using AeNotebooks.Diagnostics;
using AeNotebooks.Plotting;
using AeNotebooks.Rendering;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// The result of <see cref="Doctor.FindLearningRate"/>: the loss at each learning rate of an exponential sweep, smoothed,
/// with a suggestion. Renders as a summary and the curve.
/// </summary>
// its mime types (a picture of its chart where a Chromium draws one) come from KernelFormatters
[TypeFormatterSource(typeof(RenderableFormatterSource))]
public sealed class LearningRateFinding : IChartRenderable
{
    internal LearningRateFinding(double[] lrs, double[] losses, double[] smoothed, string stopReason, bool reliable)
    {
        LearningRates = lrs;
        Losses = losses;
        SmoothedLosses = smoothed;
        StopReason = stopReason;
        Reliable = reliable;
        int best = Array.IndexOf(smoothed, smoothed.Min());
        MinimumLossRate = lrs[best];
        Valley = ValleyOf(lrs, smoothed);
        Steepest = SteepestOf(lrs, smoothed, best);
    }

    /// <summary>The learning rate of each step (exponentially increasing).</summary>
    public IReadOnlyList<double> LearningRates { get; }
    /// <summary>Each step's mini-batch loss, before that step's update.</summary>
    public IReadOnlyList<double> Losses { get; }
    /// <summary>Exponential moving average of the losses (β = 0.98, debiased), as fastai's lr_find.</summary>
    public IReadOnlyList<double> SmoothedLosses { get; }
    /// <summary>Why the sweep ended ("reached the end of the range" or "the loss exceeded 4× its minimum").</summary>
    public string StopReason { get; }
    /// <summary>False when the loss never fell by 10%: the curve has no valley and no suggestion can be trusted.</summary>
    public bool Reliable { get; }

    /// <summary>The suggested learning rate: fastai's "valley" rule (see <see cref="Valley"/>).</summary>
    public double Suggestion => Valley;
    /// <summary>fastai's valley: two thirds of the way down the longest stretch over which the smoothed loss keeps falling.</summary>
    public double Valley { get; }
    /// <summary>Where the smoothed loss falls fastest per decade of learning rate (before its minimum).</summary>
    public double Steepest { get; }
    /// <summary>The learning rate of the lowest smoothed loss; a tenth of it is the classic safe choice.</summary>
    public double MinimumLossRate { get; }

    /// <summary>The chart: loss against learning rate (log x), with the suggestion marked.</summary>
    public Plotly.NET.GenericChart Chart => Plots.LearningRateFinder(LearningRates, Losses, Suggestion);

    static double ValleyOf(double[] lrs, double[] losses)
    {
        // fastai.callback.schedule.valley: the longest decreasing subsequence, then 2/3 of the way down it
        int n = losses.Length;
        var lds = Enumerable.Repeat(1, n).ToArray();
        int maxStart = 0, maxEnd = 0;
        for (int i = 1; i < n; i++)
        {
            for (int j = 0; j < i; j++)
                if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
            if (lds[maxEnd] < lds[i]) { maxEnd = i; maxStart = maxEnd - lds[maxEnd]; }
        }
        double sections = (maxEnd - maxStart) / 3.0;
        int idx = Math.Clamp(maxStart + (int)sections + (int)(sections / 2), 0, n - 1);
        return lrs[idx];
    }

    static double SteepestOf(double[] lrs, double[] losses, int best)
    {
        int at = 0;
        double steepest = double.PositiveInfinity;
        for (int i = 1; i <= best; i++)
        {
            double slope = (losses[i] - losses[i - 1]) / (Math.Log10(lrs[i]) - Math.Log10(lrs[i - 1]));
            if (slope < steepest) { steepest = slope; at = i; }
        }
        return lrs[at];
    }

    static string G(double v) => v.ToString("G2", CultureInfo.InvariantCulture);

    public Table Summary() => new(
        Reliable ? $"Learning-rate range test: suggested lr ≈ {G(Suggestion)}" : "Learning-rate range test: no valley found (the loss never fell by 10%)",
        ["", ""],
        [
            ["suggestion (valley)", G(Suggestion)],
            ["steepest descent", G(Steepest)],
            ["minimum loss at / 10", $"{G(MinimumLossRate)} / 10 = {G(MinimumLossRate / 10)}"],
            ["range swept", $"{G(LearningRates[0])} … {G(LearningRates[^1])} in {LearningRates.Count} steps"],
            ["stopped because", StopReason],
        ]);

    public string ToHtml()
    {
        var sb = new StringBuilder(Summary().ToHtml());
        try { sb.Append(Chart.ToHtml()); }
        catch (Exception e) when (e is not OutOfMemoryException) { sb.Append("<p>(chart unavailable: ").Append(WebUtility.HtmlEncode(e.Message)).Append(")</p>"); }
        return sb.ToString();
    }

    public string ToText() => Summary().ToText();
    public override string ToString() => ToText();
}

/// <summary>The result of <see cref="Doctor.OverfitOneBatch"/>: could the model memorise one batch?</summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed class OverfitResult : IRenderable
{
    internal OverfitResult(bool succeeded, double initial, double final, double floor, double target, int? stepsToTarget, IReadOnlyList<double> losses, string verdict)
    {
        Succeeded = succeeded; InitialLoss = initial; FinalLoss = final; Floor = floor; Target = target;
        StepsToTarget = stepsToTarget; Losses = losses; Verdict = verdict;
    }

    /// <summary>The loss came within 1% of the way from its start to its floor (it reached <see cref="Target"/>).</summary>
    public bool Succeeded { get; }
    public double InitialLoss { get; }
    public double FinalLoss { get; }
    /// <summary>The lowest value the loss can reach on this batch: 0, or the targets' binary entropy for BCE on continuous targets.</summary>
    public double Floor { get; }
    /// <summary>floor + 1% of (initial − floor): "near zero" relative to where the loss started.</summary>
    public double Target { get; }
    /// <summary>The first step at which the loss was at or below the target.</summary>
    public int? StepsToTarget { get; }
    public int Steps => Losses.Count;
    public IReadOnlyList<double> Losses { get; }
    /// <summary>One sentence: what the result means.</summary>
    public string Verdict { get; }

    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    public Table Summary() => new($"Overfit one batch: {(Succeeded ? "yes" : "no")}", ["", ""],
    [
        ["initial loss", G(InitialLoss)],
        ["final loss", G(FinalLoss)],
        ["floor", G(Floor)],
        ["target (floor + 1% of the start)", G(Target)],
        ["reached at step", StepsToTarget?.ToString(CultureInfo.InvariantCulture) ?? $"not in {Steps} steps"],
        ["verdict", Verdict],
    ]);

    public string ToHtml() => Summary().ToHtml();
    public string ToText() => Summary().ToText();
    public override string ToString() => ToText();
}

public static partial class Doctor
{
    /// <summary>
    /// The learning-rate range test (Smith 2017; fastai's lr_find): train from the model's current weights on mini-batches
    /// while the learning rate grows exponentially from <paramref name="start"/> to <paramref name="end"/>, record the loss,
    /// stop once the smoothed loss exceeds 4× its minimum, and suggest a rate. The model's weights (and train/eval mode) are
    /// restored afterwards, so it can then be trained normally.
    /// </summary>
    /// <param name="inputs">What the model reads; <paramref name="targets"/> defaults to it (x = y).</param>
    /// <param name="optimizer">The optimiser to test (its own learning rate is ignored); Adam by default.</param>
    public static LearningRateFinding FindLearningRate(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor? targets = null,
        LossFunction? loss = null, OptimizerSpec? optimizer = null, double start = 1e-7, double end = 10, int steps = 100,
        int batchSize = 64, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(start > 0 && end > start)) throw new ArgumentException($"FindLearningRate: need 0 < start < end, got {start} and {end}");
        if (steps < 10) throw new ArgumentException($"FindLearningRate: steps must be at least 10, got {steps}");
        targets ??= inputs;
        loss ??= Losses.Mse;
        optimizer ??= Optimizers.Adam();
        var saved = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        bool wasTraining = model.training;
        var lrs = new List<double>();
        var raw = new List<double>();
        var smooth = new List<double>();
        string stop = "reached the end of the range";
        try
        {
            model.train();
            var opt = optimizer.Create(model.parameters());
            var order = Seeds.Torch(seed);
            long n = inputs.shape[0];
            long[] rows = Seeds.Permutation(n, order);
            int cursor = 0;
            const double beta = 0.98;
            double avg = 0, best = double.PositiveInfinity;
            for (int i = 0; i < steps; i++)
            {
                double lr = start * Math.Pow(end / start, i / (double)(steps - 1));
                using var scope = NewDisposeScope();
                opt.SetLearningRate(lr);
                if (cursor + batchSize > n) { rows = Seeds.Permutation(n, order); cursor = 0; }
                var batch = tensor(rows[cursor..(int)Math.Min(n, cursor + batchSize)]);
                cursor += (int)batch.shape[0];
                var l = loss[model.call(inputs.index_select(0, batch)), targets.index_select(0, batch)];
                double value = l.item<float>();
                if (!double.IsFinite(value)) { stop = $"the loss became {value} at lr {lr:G2}"; break; }
                avg = beta * avg + (1 - beta) * value;
                double debiased = avg / (1 - Math.Pow(beta, i + 1));
                lrs.Add(lr); raw.Add(value); smooth.Add(debiased);
                if (i > 0 && debiased > 4 * best) { stop = $"the loss exceeded 4× its minimum at lr {lr:G2}"; break; }
                best = Math.Min(best, debiased);
                opt.zero_grad();
                l.backward();
                opt.step();
            }
        }
        finally
        {
            model.load_state_dict(saved);
            model.zero_grad();
            model.train(wasTraining);
        }
        if (lrs.Count < 2) throw new InvalidOperationException($"FindLearningRate: the loss was not finite even at lr {start:G2} ({stop}); check the data and the model first (Doctor.Examine, Doctor.OverfitOneBatch)");
        bool reliable = smooth.Min() < 0.9 * smooth[0];
        return new LearningRateFinding(lrs.ToArray(), raw.ToArray(), smooth.ToArray(), stop, reliable);
    }

    /// <summary>
    /// Can the model drive the loss on one small batch near its floor? A model that cannot memorise 16–64 samples has a
    /// bug (an output that cannot reach the targets, dead units, a loss that does not fit the output) rather than too
    /// little data or time. "Near" = within 1% of the way from the starting loss to the floor (0, or the targets' binary
    /// entropy for BCE on continuous targets). The model's weights are restored afterwards.
    /// </summary>
    /// <param name="batch">The batch the model reads (e.g. <c>train.narrow(0, 0, 32)</c>); <paramref name="targets"/> defaults to it.</param>
    public static OverfitResult OverfitOneBatch(nn.Module<Tensor, Tensor> model, Tensor batch, Tensor? targets = null,
        LossFunction? loss = null, OptimizerSpec? optimizer = null, int steps = 500, bool restore = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        targets ??= batch;
        loss ??= Losses.Mse;
        optimizer ??= Optimizers.Adam(1e-3);
        double floor = loss.ExpectsProbabilities || loss.TakesLogits ? Examination.BinaryEntropyFloor(targets) : 0;
        var saved = restore ? model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()) : null;
        bool wasTraining = model.training;
        var losses = new List<double>();
        int? reached = null;
        double target = double.NaN;
        try
        {
            // eval mode: dropout would make memorising impossible by design, which is not what this test asks
            model.eval();
            var opt = optimizer.Create(model.parameters());
            for (int i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                var l = loss[model.call(batch), targets];
                double value = l.item<float>();
                losses.Add(value);
                if (!double.IsFinite(value)) break;
                if (i == 0) target = floor + 0.01 * (value - floor);
                if (value <= target) { reached = i; break; }
                opt.zero_grad();
                l.backward();
                opt.step();
            }
        }
        finally
        {
            if (saved is not null) model.load_state_dict(saved);
            model.zero_grad();
            model.train(wasTraining);
        }
        double initial = losses[0], final = losses[^1];
        bool ok = reached is not null;
        string verdict = ok
            ? $"the model can fit one batch (loss {initial:G3} → {final:G3} in {reached} steps): it can learn; if full training fails, look at the data, the learning rate and the epoch budget"
            : !double.IsFinite(final)
                ? $"the loss became {final} at step {losses.Count - 1}: a numerical problem (see Doctor.Examine's NUMERICS_NONFINITE) before any capacity question"
                : final > 0.5 * initial
                    ? $"the loss barely moved ({initial:G3} → {final:G3} in {steps} steps): something blocks learning — an output that cannot reach the targets, dead or saturated units, or a loss that does not fit the output"
                    : $"the loss fell ({initial:G3} → {final:G3}) but not near its floor {floor:G3} in {steps} steps: too little capacity (a narrow code) or too small a learning rate for this test";
        return new OverfitResult(ok, initial, final, floor, target, reached, losses, verdict);
    }
}
