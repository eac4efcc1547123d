using TorchSharp;
using static AeNotebooks.Diagnostics.Stats;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>Checks that the loss, the output layer and the targets fit each other.</summary>
internal static class LossChecks
{
    /// <summary>The floor is worth reporting once it is this share of the final loss (below, it is lost in rounding of the printed loss).</summary>
    public const double FloorShare = 0.05;
    /// <summary>Targets outside the output's range: a share above this is reported (an occasional outlier is not).</summary>
    public const double UnreachableShare = 0.01;
    /// <summary>…and above this share the fit cannot work at all: an error.</summary>
    public const double UnreachableErrorShare = 0.10;
    /// <summary>An unbounded output overshoots the targets' range by enough to matter when clamping it would remove this share of the loss.</summary>
    public const double OvershootLossShare = 0.10;
    /// <summary>Outputs within this distance of 0 or 1 have left the sigmoid's useful range (σ′ below 0.4% of its peak, |z| > 6.9).</summary>
    public const double SaturationMargin = 1e-3;
    /// <summary>Advise logits when this share of the outputs is saturated.</summary>
    public const double SaturatedShare = 0.10;

    public static IEnumerable<Finding> BceFloor(Examination e)
    {
        if (!e.IsBce || e.SampleTargets is null || e.TargetReport is { IsBinary: true }) yield break;
        double floor = e.Floor;
        double final = e.ModelLoss, runFinal = e.Run.FinalTrainLoss;
        e.Measure("loss.bce_floor", floor);
        if (!(floor > 0) || (double.IsFinite(final) && floor < FloorShare * final)) yield break;
        double gap = final - floor;
        double? room = e.MeanBaseline - floor;
        string progress = room is double r && r > 0 ? $"; the mean predictor scores {G(e.MeanBaseline!.Value)}, so the run removed {Pct(Math.Clamp(1 - gap / r, 0, 1))} of the loss it could remove" : "";
        yield return Make.Finding(FindingCodes.LossBceContinuousFloor, Severity.Warning, "BCE on continuous targets cannot reach 0",
            $"targets are continuous (not 0/1), so BCE's minimum is their mean binary entropy, {G(floor, 4)}; the model's loss is {G(final, 4)} " +
            $"(final epoch {G(runFinal, 4)}), {G(gap, 3)} above the floor{progress}.",
            "BCE(y, t) = −[t·log y + (1−t)·log(1−y)] is smallest at y = t, where it equals the entropy H(t) > 0 for 0 < t < 1. " +
            "A perfect reconstruction therefore scores the floor, not 0: the loss 'stuck above zero' is the floor, not a training failure.",
            "Judge the run by `loss − floor` (here " + G(gap, 3) + "), or train with `Loss = Losses.Mse` and a linear or sigmoid output, which does reach 0 on continuous targets.",
            ("floor", floor), ("final", final), ("gap", gap));
    }

    public static IEnumerable<Finding> OutputRange(Examination e)
    {
        if (e.SampleTargets is null) yield break;
        string kind = e.OutputKind;
        var range = Examination.ActivationRange(kind) ?? (double.NegativeInfinity, double.PositiveInfinity);
        if (e.Loss.TakesLogits) range = (0, 1); // the loss applies the sigmoid: predictions are probabilities
        var t = e.SampleTargets.ToArray();
        double tmin = t.Min(), tmax = t.Max();
        double tol = 1e-6 * Math.Max(1, Math.Max(Math.Abs(tmin), Math.Abs(tmax)));
        long outside = t.LongCount(v => v < range.low - tol || v > range.high + tol);
        double share = (double)outside / t.Length;
        e.Measure("output.unreachable_share", share);
        if (share > UnreachableShare)
        {
            string side = tmax > range.high ? $"up to {G(tmax)}" : $"down to {G(tmin)}";
            yield return Make.Finding(FindingCodes.OutputRangeMismatch, share >= UnreachableErrorShare ? Severity.Error : Severity.Warning,
                $"The output layer cannot produce the targets ({kind} output)",
                $"{kind} outputs lie in {Interval(range)}, but {Pct(share)} of the target values lie outside it ({side}).",
                "No weights can make the network output a value its last activation cannot produce, so the loss has a floor from those values alone; " +
                "their gradient pushes the output into the activation's flat end (a saturated sigmoid, a ReLU at 0) where it stops learning.",
                tmin >= 0 && tmax > 1
                    ? "Scale the targets into the output's range (`Scalers.MinMax().Fit(train)`, or `x / 255` for pixels), or use a linear output (`output: Activation.Linear`) with standardised data."
                    : "Match the output to the targets: `output: Activation.Linear` for standardised (signed) data, `Activation.Sigmoid` for data in [0, 1].",
                ("unreachable_share", share), ("target_min", tmin), ("target_max", tmax));
            yield break;
        }

        // unbounded output on bounded targets: does the model actually overshoot, and does it cost anything?
        // only for bounded data (pixels, [−1, 1] signals), where a bounded output activation is the obvious alternative
        bool wider = range.low < tmin - tol || range.high > tmax + tol;
        bool bounded = tmin >= -1 - tol && tmax <= 1 + tol;
        if (!wider || !bounded || e.Loss.TakesLogits || e.Run.FirstNonFinite is not null || e.Forward is not { OutputFinite: true } probe) yield break;
        if (!probe.Output.shape.SequenceEqual(e.SampleTargets.shape)) yield break;
        var y = probe.Output.ToArray();
        long over = y.LongCount(v => v < tmin - tol || v > tmax + tol);
        double loss = probe.Loss;
        double clamped = e.LossOf(probe.Output.clamp(tmin, tmax), e.SampleTargets);
        double excess = loss - e.Floor;
        double gain = excess > 0 ? (loss - clamped) / excess : 0;
        e.Measure("output.overshoot_share", (double)over / y.Length);
        e.Measure("output.clamp_gain", gain);
        if (gain < OvershootLossShare) yield break;
        yield return Make.Finding(FindingCodes.OutputRangeMismatch, Severity.Warning,
            $"The {kind} output overshoots the targets' range",
            $"targets lie in [{G(tmin)}, {G(tmax)}] but {Pct((double)over / y.Length)} of the outputs fall outside it " +
            $"(outputs {G(y.Min())} … {G(y.Max())}); clamping them would cut the loss from {G(loss, 4)} to {G(clamped, 4)} ({Pct(gain)}).",
            $"A {kind} output is unbounded, so part of the model's effort goes into keeping outputs inside the data's range, and what escapes is pure error.",
            "Use an output activation whose range is the data's: `output: Activation.Sigmoid` for data in [0, 1].",
            ("overshoot_share", (double)over / y.Length), ("clamp_gain", gain));
    }

    static string Interval((double low, double high) r) =>
        $"{(double.IsNegativeInfinity(r.low) ? "(−∞" : $"[{G(r.low)}")}, {(double.IsPositiveInfinity(r.high) ? "∞)" : $"{G(r.high)}]")}";

    public static IEnumerable<Finding> LossOutput(Examination e)
    {
        string kind = e.OutputKind;
        if (e.Loss.ExpectsProbabilities && kind != "Sigmoid")
        {
            var range = Examination.ActivationRange(kind) ?? (double.NegativeInfinity, double.PositiveInfinity);
            if (range.low >= 0 && range.high <= 1) yield break;
            string seen = e.Forward is { } p ? $" (outputs seen: {G(Range(p.Output).min)} … {G(Range(p.Output).max)})" : "";
            yield return Make.Finding(FindingCodes.LossOutputMismatch, Severity.Error, $"{e.Loss.Name} needs probabilities but the output is {kind}",
                $"{e.Loss.Name} takes log(y) and log(1−y), defined only for 0 ≤ y ≤ 1; a {kind} output ranges over {Interval(range)}{seen}.",
                "Outside [0, 1] the logarithm of a negative number is NaN, so the first output that strays makes the loss NaN.",
                "Either end the decoder with `Activation.Sigmoid`, or keep the linear output and use `Loss = Losses.BceWithLogits` (stable, and the sigmoid is folded in).");
        }
        else if (e.Loss.TakesLogits && kind == "Sigmoid")
        {
            yield return Make.Finding(FindingCodes.LossOutputMismatch, Severity.Error, "A sigmoid output fed to a loss that applies the sigmoid again",
                $"{e.Loss.Name} expects logits and applies σ itself; the model already ends with a sigmoid, so predictions are σ(σ(z)) ∈ (0.5, 0.73).",
                "A prediction can never go below 0.5 or above 0.73, so dark pixels and binary zeros are unreachable and the loss stalls.",
                "Remove the output sigmoid (`output: Activation.Linear`) and keep `Losses.BceWithLogits`, or keep the sigmoid with `Losses.Bce`.");
        }
    }

    public static IEnumerable<Finding> LogitsAdvised(Examination e)
    {
        if (!e.Loss.ExpectsProbabilities || e.OutputKind != "Sigmoid" || e.Forward is not { OutputFinite: true } probe) yield break;
        var y = probe.Output.ToArray();
        long saturated = y.LongCount(v => v < SaturationMargin || v > 1 - SaturationMargin);
        long rounded = y.LongCount(v => v <= 0f || v >= 1f);
        double share = (double)saturated / y.Length;
        e.Measure("output.saturated_share", share);
        e.Measure("output.rounded_share", (double)rounded / y.Length);
        if (share < SaturatedShare) yield break;
        yield return Make.Finding(FindingCodes.LossLogitsAdvised, Severity.Info, "Compute the loss on the logit scale",
            $"{Pct(share)} of the sigmoid outputs are within {SaturationMargin} of 0 or 1" +
            (rounded > 0 ? $" and {Pct((double)rounded / y.Length)} round to exactly 0 or 1 in float32" : "") + ".",
            "σ(z) rounds to 1 in float32 once z > 16.6, so log(1 − σ(z)) becomes log 0 (clamped to −100) and the loss and its gradient lose their precision " +
            "exactly where the model is most confident; on the logit scale log σ(z) = −softplus(−z) stays exact.",
            "Drop the sigmoid layer (`output: Activation.Linear`) and use `Loss = Losses.BceWithLogits`; apply `sigmoid()` to the outputs only when you look at them.",
            ("saturated_share", share));
    }
}
