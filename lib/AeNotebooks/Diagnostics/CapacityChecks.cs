using TorchSharp;
using static AeNotebooks.Diagnostics.Stats;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>Is the code too narrow for the data, or so wide that the model can simply copy?</summary>
internal static class CapacityChecks
{
    /// <summary>"Intrinsic dimension": the PCA components that hold this share of the variance.</summary>
    public const double VarianceKept = 0.95;
    /// <summary>
    /// Said in the evidence (not a trigger): the width is what limits the model now when its MSE is within this factor of
    /// what the best linear code of the same width (PCA) leaves — a nonlinear autoencoder beats PCA by a little, not by a factor of two.
    /// </summary>
    public const double AtPcaFloor = 2.0;
    /// <summary>A model that keeps more than this share of the variance of structure-free noise is copying its input.</summary>
    public const double CopyShare = 0.5;

    public static IEnumerable<Finding> Bottleneck(Examination e)
    {
        if (e.Pca is not { } pca || e.CodeWidth is not long code || pca.Total <= 0) yield break;
        int k95 = pca.ComponentsFor(VarianceKept);
        double residual = pca.ResidualFraction(code);
        double pr = pca.ParticipationRatio;
        e.Measure("capacity.code", code);
        e.Measure("capacity.pca95", k95);
        e.Measure("capacity.participation_ratio", pr);
        e.Measure("capacity.pca_residual_at_code", residual);
        if (code >= k95) yield break;
        // What the same width leaves linearly, in the run's loss units (MSE only); compare with the model's loss.
        double pcaMse = pca.ResidualMse(code);
        bool mse = e.IsMse;
        double atFloor = mse && pcaMse > 0 ? e.ModelLoss / pcaMse : double.NaN;
        e.Measure("capacity.pca_mse_at_code", pcaMse);
        e.Measure("capacity.loss_over_pca", atFloor);
        // Warning below the participation ratio (the code is narrower than the directions the variance actually
        // spreads over); between it and the 95% count, the code drops only the spectrum's tail: info.
        var severity = code < pr ? Severity.Warning : Severity.Info;
        string limit = !mse ? "" : atFloor <= AtPcaFloor
            ? $" This model's MSE ({G(e.ModelLoss)}) is {G(atFloor, 2)}× that: the width is what limits it now."
            : $" This model's MSE ({G(e.ModelLoss)}) is {G(atFloor, 2)}× that: something else limits it first.";
        yield return Make.Finding(FindingCodes.CapacityBottleneck, severity,
            severity == Severity.Warning ? "The code is narrower than the data's intrinsic dimension" : "The code drops the tail of the data's variance",
            $"the code has {code} values; the targets need {k95} principal components for {Pct(VarianceKept)} of their variance, and the variance " +
            $"spreads over about {G(pr, 3)} directions (participation ratio; from {pca.Rows} rows). The best linear code of width {code} loses {Pct(residual)} of the variance" +
            (mse ? $" (MSE {G(pcaMse)})." : ".") + limit,
            "The decoder sees only the code, so whatever the code cannot hold is lost for every sample; when the loss sits at that limit, " +
            "more epochs or a better optimiser do not help — only a wider code (or a data set with more redundancy) does.",
            $"Widen the code towards {k95} (e.g. `latent: {Math.Min(k95, Math.Max(2 * code, code + 1))}`), or accept the loss as the price of compression and compare it with the PCA baseline.",
            ("code", code), ("pca95", k95), ("residual", residual), ("participation_ratio", pr));
    }

    public static IEnumerable<Finding> Identity(Examination e)
    {
        if (e.CodeWidth is not long code || e.SampleInputs is null || e.Forward is not { OutputFinite: true } probe || !e.UnitProbesMeaningful) yield break;
        long width = e.SampleWidth;
        if (code < width) yield break;
        var x = e.SampleInputs;
        if (!probe.Output.shape.SequenceEqual(x.shape)) yield break;
        // structure-free noise with the data's own marginals: every feature shuffled over the rows independently
        var noise = ShuffleColumns(x, seed: 1);
        Tensor reconstruction;
        bool wasTraining = e.Model.training;
        e.Model.eval();
        using (no_grad()) reconstruction = e.Model.call(noise);
        e.Model.train(wasTraining);
        if (e.Loss.TakesLogits) reconstruction = reconstruction.sigmoid();
        double noiseVar = MeanFeatureVariance(noise);
        double kept = noiseVar > 0 ? 1 - MeanSquaredDifference(reconstruction, noise) / noiseVar : 0;
        e.Measure("capacity.noise_variance_kept", kept);
        if (kept < CopyShare) yield break;
        int k95 = e.Pca?.ComponentsFor(VarianceKept) ?? (int)width;
        bool compressible = k95 <= width / 2;
        var severity = compressible && !e.Denoising ? Severity.Warning : Severity.Info;
        yield return Make.Finding(FindingCodes.CapacityIdentity, severity, "The code is as wide as the input: the model copies",
            $"the code has {code} values for {width} input values; fed structure-free noise (each feature shuffled across rows), the model reproduces " +
            $"{Pct(kept)} of its variance. The data needs {k95} of {width} principal components for {Pct(VarianceKept)} of its variance" +
            (compressible ? ", so it is compressible, but the model has no reason to compress." : ", so it has little redundancy: copying is the best the model can do here."),
            "With a code at least as wide as the input, the identity map is a perfect solution, and gradient descent finds it: the model learns to copy " +
            "rather than to represent the data's structure, so the code is no more useful than the raw input.",
            compressible
                ? $"Narrow the code below the input width (towards {k95}), or make the task harder than copying: train as a denoiser (`InputTransform = Noise.GaussianEachStep(0.3)`) or add dropout."
                : "Nothing to fix if copying is what you wanted (x = y experiments); for a useful code, use data with structure and a code narrower than the input.",
            ("code", code), ("width", width), ("noise_variance_kept", kept));
    }

    internal static Tensor ShuffleColumns(Tensor x, long seed)
    {
        int n = (int)x.shape[0];
        int f = (int)(x.numel() / Math.Max(1, n));
        using var scope = NewDisposeScope();
        var g = Seeds.Torch(seed);
        var flat = x.detach().reshape(n, f);
        // column j's rows in their own random order: gather with one permutation per column
        var rows = stack(Enumerable.Range(0, f).Select(_ => randperm(n, generator: g)).ToArray(), 1);
        return flat.gather(0, rows).reshape(x.shape).MoveToOuterDisposeScope();
    }
}
