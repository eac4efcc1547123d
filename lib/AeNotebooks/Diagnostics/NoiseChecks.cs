using TorchSharp;
using static AeNotebooks.Diagnostics.Stats;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>Denoising: is the corruption so strong nothing can be recovered, so weak it teaches nothing, or always the same?</summary>
internal static class NoiseChecks
{
    /// <summary>
    /// Noise power over signal variance in dB. At 20 dB the noise's std is a tenth of the signal's, and returning the input
    /// unchanged already removes 99% of the mean predictor's error: there is nothing left to learn by denoising.
    /// </summary>
    public const double TooLowDb = 20;
    /// <summary>
    /// Below 0 dB the noise has more power than the signal varies by; a per-value Wiener filter can then remove at most
    /// 1/(1 + 10^(−SNR/10)) ≤ 50% of the mean predictor's error, so a denoiser has to rely on structure shared across values…
    /// </summary>
    public const double TooHighDb = 0;
    /// <summary>
    /// … and it is reported as too high when the model indeed got less than this share of the way from the mean predictor to
    /// a perfect reconstruction and its loss has stopped falling (a plateau, as CURVE_PLATEAU measures it); a model still
    /// improving at low SNR is slow, not stuck.
    /// </summary>
    public const double TooHighLearned = 0.5;

    public static IEnumerable<Finding> Level(Examination e)
    {
        if (!e.Denoising || e.SampleInputs is not { } noisy || e.SampleTargets is not { } clean || !noisy.shape.SequenceEqual(clean.shape)) yield break;
        double snrDb = Noise.SnrDb(clean, noisy);
        double noisePower = MeanSquaredDifference(noisy, clean);
        double signalVariance = MeanFeatureVariance(clean);
        double snrVarDb = noisePower > 0 ? 10 * Math.Log10(signalVariance / noisePower) : double.PositiveInfinity;
        e.Measure("noise.snr_db", snrDb);
        e.Measure("noise.snr_variance_db", snrVarDb);
        string numbers = $"SNR {G(snrDb)} dB (signal energy over noise energy); noise power against the signal's variance: {G(snrVarDb)} dB";
        if (snrVarDb >= TooLowDb)
        {
            yield return Make.Finding(FindingCodes.NoiseTooLow, Severity.Warning, "The noise is too weak to matter",
                $"{numbers} (limit {TooLowDb} dB): returning the noisy input unchanged scores {G(e.IdentityBaseline ?? double.NaN, 4)}, " +
                $"against {G(e.MeanBaseline ?? double.NaN, 4)} for the mean predictor.",
                "When the corrupted input is already almost the clean target, the identity map is nearly perfect, so the denoiser learns to copy " +
                "and its code is no more robust than a plain autoencoder's.",
                "Corrupt more: `InputTransform = Noise.GaussianEachStep(factor: 0.3)` (MNIST-like data), or masking with `Noise.Mask(x, p: 0.3).AsInputTransform()`.",
                ("snr_db", snrDb), ("snr_variance_db", snrVarDb));
            yield break;
        }
        double? learned = e.Learned;
        double? stalled = TrainingChecks.Judge(e).Curve?.LastHalfDrop;
        if (snrVarDb < TooHighDb && learned is double l && l < TooHighLearned && !(stalled > TrainingChecks.PlateauDrop))
            yield return Make.Finding(FindingCodes.NoiseTooHigh, Severity.Warning, "The noise is too strong to learn from",
                $"{numbers} (limit {TooHighDb} dB); the model is {(l <= 0.05 ? Progress(l) : $"only {Pct(l)} of the way from the mean predictor to a perfect reconstruction")} and has stopped improving " +
                $"(loss {G(e.ModelLoss, 4)}, mean predictor {G(e.MeanBaseline!.Value, 4)}, identity {G(e.IdentityBaseline ?? double.NaN, 4)}).",
                "When the noise swamps the signal, little of the clean image can be inferred from the corrupted one: the best the model can do is " +
                "output something close to the average target (a blur), and the loss stays near the mean predictor's.",
                "Lower the noise (e.g. `Noise.GaussianEachStep(factor: 0.3)` instead of 2.0), or grow it during training (a curriculum); a deeper or convolutional encoder helps only once the signal is recoverable.",
                ("snr_db", snrDb), ("snr_variance_db", snrVarDb), ("learned", l));
    }

    public static IEnumerable<Finding> FixedMask(Examination e)
    {
        if (!e.Denoising || e.SampleTargets is not { } clean) yield break;
        if (e.Options.InputTransform is { } transform)
        {
            long rows = Math.Min(clean.shape[0], Math.Max(1, e.Options.BatchSize));
            var batch = clean.narrow(0, 0, rows);
            var a = transform(batch, 0).ToArray();
            var b = transform(batch, 1).ToArray();
            var c = transform(batch, 7).ToArray();
            bool same = a.AsSpan().SequenceEqual(b) && a.AsSpan().SequenceEqual(c);
            e.Measure("noise.transform_repeats", same ? 1 : 0);
            if (same)
                yield return Make.Finding(FindingCodes.MaskFixed, Severity.Warning, "The corruption is the same at every step",
                    $"the InputTransform returns identical corrupted batches at steps 0, 1 and 7 for the same clean batch ({rows} rows).",
                    "A denoiser must learn to fill in whatever is missing; if the corruption never changes, it can learn the few patterns it sees " +
                    "(which positions are always missing, which inputs are always altered) and compensate for them instead.",
                    "Draw a new corruption every step: `Noise.Mask(x, p, random: true).AsInputTransform()` or `Noise.GaussianEachStep(factor)`.");
            yield break;
        }
        // precomputed inputs: is it masking (corrupted values set to 0), and are the same positions masked in every row?
        var noisy = e.SampleInputs!.ToArray();
        var target = clean.ToArray();
        int n = (int)clean.shape[0], f = noisy.Length / Math.Max(1, n);
        long changed = 0, zeroed = 0;
        var maskedPerPosition = new int[f];
        var eligiblePerPosition = new int[f];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < f; j++)
            {
                float x = noisy[i * f + j], t = target[i * f + j];
                if (t != 0) eligiblePerPosition[j]++;
                if (x == t) continue;
                changed++;
                if (x == 0) { zeroed++; maskedPerPosition[j]++; }
            }
        if (changed == 0 || zeroed < 0.95 * changed) yield break; // not masking noise
        // a fixed pattern: every position is masked either in (almost) no row or in (almost) every row where it could be seen
        int positions = 0, patterned = 0;
        for (int j = 0; j < f; j++)
        {
            if (eligiblePerPosition[j] < 10) continue;
            positions++;
            double share = (double)maskedPerPosition[j] / eligiblePerPosition[j];
            if (share < 0.02 || share > 0.98) patterned++;
        }
        double patternShare = positions == 0 ? 0 : (double)patterned / positions;
        e.Measure("noise.mask_pattern_share", patternShare);
        bool fixedPattern = patternShare > 0.9;
        yield return Make.Finding(FindingCodes.MaskFixed, fixedPattern ? Severity.Warning : Severity.Info,
            fixedPattern ? "Every sample is masked at the same positions" : "The masks were drawn once, before training",
            fixedPattern
                ? $"in {Pct(patternShare)} of positions the mask is the same in every row (masked in none or in all of them); the inputs are a fixed masked copy of the data."
                : $"the inputs are a masked copy of the targets ({Pct((double)zeroed / noisy.Length)} of values zeroed), made once: each sample sees the same mask in every epoch.",
            fixedPattern
                ? "With the same positions always missing, the network never sees those inputs and learns to ignore them; it learns nothing about filling in gaps elsewhere."
                : "Over many epochs the model can memorise each sample's particular mask and compensate for it, instead of learning to fill in gaps in general.",
            "Draw a new mask every step: `InputTransform = Noise.Mask(train, p, random: true).AsInputTransform()`, with `inputs: null` in Trainer.Fit.",
            ("pattern_share", patternShare));
    }
}

/// <summary>The loss of predictors that need no training, so that "is this loss good?" has an answer.</summary>
internal static class BaselineChecks
{
    public static IEnumerable<Finding> Baselines(Examination e)
    {
        if (e.MeanBaseline is not double mean) yield break;
        double model = e.ModelLoss, floor = e.Floor;
        e.Measure("baseline.mean", mean);
        e.Measure("baseline.model", model);
        string floorNote = floor > 0 ? $" (floor {G(floor, 4)})" : "";
        yield return Make.Finding(FindingCodes.BaselineMean, Severity.Info, "Baseline: predict each value's mean",
            $"{e.Loss.Name} of always outputting the per-value mean of the targets: {G(mean, 4)}; this model: {G(model, 4)}{floorNote}" +
            (e.Learned is double l ? (l <= 0.05 ? $": {Progress(l)}." : $", {Pct(Math.Min(l, 1))} of the way from the mean predictor to a perfect reconstruction.") : "."),
            "A model that ignores its input can reach this loss; a reconstruction loss means something only relative to it.",
            "Report the loss as a share of this baseline (1 − loss/baseline is the share of variance explained for MSE).",
            ("baseline", mean), ("model", model));
        if (e.IdentityBaseline is double id && (e.Denoising || id > 0))
        {
            e.Measure("baseline.identity", id);
            yield return Make.Finding(FindingCodes.BaselineIdentity, Severity.Info, "Baseline: return the input unchanged",
                $"{e.Loss.Name} of the identity map (output = input): {G(id, 4)}; this model: {G(model, 4)}" +
                (e.Denoising ? (model < id ? " — the model denoises." : " — the model does not beat copying its noisy input.") : "."),
                e.Denoising ? "A denoiser has to beat copying its input; otherwise the corruption is too mild or the model has not learnt to remove it."
                            : "For x = y this is the loss of a perfect copy: with BCE on continuous targets it is the entropy floor, not 0.",
                e.Denoising ? "If the model does not beat it, see NOISE_TOO_LOW / NOISE_TOO_HIGH." : "Compare the run's loss with this value, not with 0.",
                ("baseline", id), ("model", model));
        }
        if (e.IsMse && e.Pca is { } pca && e.CodeWidth is long code && code < e.SampleWidth && !e.Denoising)
        {
            double pcaMse = pca.ResidualMse(code);
            e.Measure("baseline.pca", pcaMse);
            yield return Make.Finding(FindingCodes.BaselinePca, Severity.Info, $"Baseline: PCA with {code} components",
                pcaMse <= 1e-6 * mean
                    ? $"the best linear code of the same width ({code}) reconstructs the data exactly (it has at most {code} linear dimensions; on {pca.Rows} rows); this model: {G(model, 4)}."
                    : $"the best linear code of the same width ({code}) reconstructs with MSE {G(pcaMse, 4)} (on {pca.Rows} rows); this model: {G(model, 4)}" +
                      (model <= pcaMse ? " — it beats the linear code." : $" — {G(model / pcaMse, 3)}× the linear code's error."),
                "An autoencoder with linear layers and MSE learns exactly the PCA subspace; a nonlinear one should do at least as well once trained.",
                "If the model is far above this, it is undertrained or stuck (see the other findings), not limited by its width.",
                ("baseline", pcaMse), ("model", model));
        }
    }
}
