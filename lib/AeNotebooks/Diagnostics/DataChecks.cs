using TorchSharp;
using static AeNotebooks.Diagnostics.Stats;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

internal static class Make
{
    public static Finding Finding(string code, Severity severity, string title, string evidence, string mechanism, string fix, params (string name, double value)[] numbers)
        => new(code, severity, title, evidence, mechanism, fix) { Numbers = numbers.ToDictionary(n => n.name, n => n.value) };
}

/// <summary>Checks on the training data itself: non-finite values, scale, binary targets.</summary>
internal static class DataChecks
{
    /// <summary>
    /// Inputs whose RMS exceeds this saturate the first layer. PyTorch's default Linear init draws W ~ U(±1/√fan_in),
    /// so a pre-activation has std = RMS(x)/√3; sigmoid's slope falls below 1% of its peak at |z| ≈ 5.3, so from
    /// RMS(x) ≈ 5.3·√3 ≈ 9.2 a typical unit starts out saturated (and ReLU layers pass on gradients 10× too large).
    /// </summary>
    public const double RmsLimit = 10;
    /// <summary>
    /// Feature spreads differing by this factor: MSE weighs a feature by its variance, so the small feature's share of
    /// the loss and of the gradient is 1/ratio² = 10⁻⁴ — below the noise of a mini-batch gradient, so it is never learnt.
    /// </summary>
    public const double ScaleRatioLimit = 100;

    public static IEnumerable<Finding> NonFinite(Examination e)
    {
        var parts = new List<string>();
        long total = 0;
        void Count(string what, DataReport? report)
        {
            if (report is null || !report.HasNonFinite) return;
            var bad = report.Features.Where(f => f.NaNCount + f.InfCount > 0).ToList();
            long n = report.NaNCount + report.InfCount;
            total += n;
            parts.Add($"{what}: {report.NaNCount} NaN and {report.InfCount} ±∞ in {bad.Count} of {report.Features.Count} {report.Grouping}s ({string.Join(", ", bad.Take(4).Select(f => f.Name))}{(bad.Count > 4 ? ", …" : "")})");
        }
        Count("training targets", e.TargetReport);
        if (e.Inputs is not null && !ReferenceEquals(e.Inputs, e.Targets)) Count("training inputs", e.InputReport);
        if (e.Options.ValidationInputs is { } vx) Count("validation inputs", DataReport.Of(vx));
        if (e.Options.ValidationTargets is { } vy && !ReferenceEquals(vy, e.Options.ValidationInputs)) Count("validation targets", DataReport.Of(vy));
        e.Measure("data.nonfinite", total);
        if (total == 0) yield break;
        yield return Make.Finding(FindingCodes.DataNonFinite, Severity.Error, "The data contains NaN or ±∞",
            string.Join("; ", parts) + ".",
            "One NaN in a batch makes that batch's loss NaN; backpropagation then writes NaN into every weight it reaches, and from that step on " +
            "every output is NaN. In validation data it makes the validation loss NaN while training looks fine.",
            "Find and drop (or impute) the bad rows before training: `DataReport.Of(x)` lists NaN/±∞ per feature; to keep the finite rows:\n" +
            "`var rows = Enumerable.Range(0, (int)x.shape[0]).Where(i => x[i].isfinite().all().item<bool>()).Select(i => (long)i).ToArray();\nx = x.index_select(0, rows);`",
            ("nonfinite", total));
    }

    public static IEnumerable<Finding> Unscaled(Examination e)
    {
        var report = e.InputReport;
        if (report is null) yield break;
        // RMS of all finite values from per-feature mean and std (E[x²] = σ² + μ²)
        double sq = 0; long count = 0;
        foreach (var f in report.Features.Where(f => f.Count > 0)) { sq += (f.Std * f.Std + f.Mean * f.Mean) * f.Count; count += f.Count; }
        double rms = count == 0 ? 0 : Math.Sqrt(sq / count);
        var spreads = report.Features.Where(f => f.Count > 0 && f.Std > 0).Select(f => f.Std).ToList();
        double ratio = SpreadRatio(spreads);
        e.Measure("data.rms", rms);
        e.Measure("data.scale_ratio", ratio);
        bool tooLarge = rms > RmsLimit, uneven = ratio >= ScaleRatioLimit;
        if (!tooLarge && !uneven) yield break;

        var widest = report.Features.Where(f => f.Count > 0).OrderByDescending(f => f.Std).First();
        var narrowest = report.Features.Where(f => f.Count > 0 && f.Std > 0).OrderBy(f => f.Std).FirstOrDefault() ?? widest;
        var evidence = new List<string>();
        if (tooLarge) evidence.Add($"the inputs' RMS is {G(rms)} (values {G(report.Min)} … {G(report.Max)}); a unit-scale network expects about 1 (limit {RmsLimit})");
        if (uneven) evidence.Add($"feature spreads differ ×{G(ratio)} ({widest.Name}: std {G(widest.Std)}; {narrowest.Name}: std {G(narrowest.Std)}; limit ×{ScaleRatioLimit})");
        yield return Make.Finding(FindingCodes.DataUnscaled, Severity.Warning, "Features are not scaled",
            string.Join("; ", evidence) + ".",
            (tooLarge ? "With inputs this large the first layer's pre-activations are large too: sigmoid/tanh units start saturated (their gradient ≈ 0) " +
                        "and ReLU layers pass on gradients scaled by the input, so a learning rate that suits unit-scale data makes steps far too big. " : "") +
            (uneven ? "MSE weighs each feature by its variance, so the widest feature dominates the loss and the gradient; the narrow ones are left unlearnt." : ""),
            "Fit a scaler on the training data and transform every split with it (map outputs back with InverseTransform):\n`var scaler = Scalers.Standard().Fit(train);   // or Scalers.MinMax() for a sigmoid output\nvar x = scaler.Transform(train);`",
            ("rms", rms), ("scale_ratio", ratio));
    }

    /// <summary>Largest over smallest feature spread; with many features the 5th percentile stands for the smallest, so a few near-empty pixels do not count.</summary>
    static double SpreadRatio(List<double> spreads)
    {
        if (spreads.Count < 2) return 1;
        if (spreads.Count < 20) return spreads.Max() / spreads.Min();
        return Quantile(spreads, 0.95) / Quantile(spreads, 0.05);
    }

    public static IEnumerable<Finding> BinaryTargets(Examination e)
    {
        var report = e.TargetReport;
        if (report is null || !report.IsBinary || e.IsBce) yield break;
        double ones = report.Features.Where(f => f.Count > 0).Sum(f => f.Mean * f.Count) / Math.Max(1, report.Features.Sum(f => f.Count));
        e.Measure("data.binary_fraction_ones", ones);
        yield return Make.Finding(FindingCodes.DataBinaryTargets, Severity.Info, "The targets are binary (every value is 0 or 1)",
            $"every target value is 0 or 1 ({Pct(ones)} ones); the loss is {e.Loss.Name}.",
            "Binary targets are Bernoulli outcomes; binary cross-entropy is their likelihood and, unlike MSE, keeps a strong gradient " +
            "while a prediction is confidently wrong. MSE still works, it just learns more slowly near 0 and 1.",
            "Drop the output sigmoid and train with `Loss = Losses.BceWithLogits` (apply `sigmoid()` to outputs when you display them).",
            ("fraction_ones", ones));
    }
}
