using TorchSharp;
using TorchSharp.Modules;
using static AeNotebooks.Diagnostics.Stats;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>What the loss curve did, judged once and shared by the curve and learning-rate checks.</summary>
internal sealed record CurveVerdict(Curve? Curve, bool Diverged, string? DivergedHow, bool Oscillating, string? OscillationHow,
    bool Plateau, bool StillFalling, bool StillFallingFast);

/// <summary>Checks on how training went: the loss curve, the learning rate, gradients per layer, dead and saturated units.</summary>
internal static class TrainingChecks
{
    // ---- curve thresholds (log scale of the loss above its floor)
    /// <summary>
    /// Diverged: the windowed loss ended ×3 above its best, or ×10 above the first step's loss. Medians of a window of
    /// batches move by tens of percent at most from batch noise, so these factors are not noise.
    /// </summary>
    public static readonly double DivergedRebound = Math.Log(3);
    public static readonly double DivergedAboveStart = Math.Log(10);
    /// <summary>Oscillation: somewhere the windowed loss climbed back to ×2 its running minimum …</summary>
    public static readonly double OscillationRebound = Math.Log(2);
    /// <summary>… or this share of single steps spiked above 3× their window's median, where the data alone (batches resampled from per-row losses) gives under a fifth of that.</summary>
    public const double SpikeShare = 0.05;
    /// <summary>Plateau: the second half improved the loss by less than 10% (at that pace, halving the loss takes another seven runs) …</summary>
    public static readonly double PlateauDrop = Math.Log(1.10);
    /// <summary>… and the model got less than half of the way from the mean predictor to the reachable floor (BCE floor, PCA floor of its width).</summary>
    public const double PlateauLearned = 0.5;
    /// <summary>Still falling: the last fifth of the run cut the loss above the floor by more than 10% (info); by more than a third (×1.5: a warning, the run stopped mid-descent) …</summary>
    public static readonly double StillFallingDrop = Math.Log(1.10);
    public static readonly double StillFallingFastDrop = Math.Log(1.5);
    /// <summary>… unless the model is already within 1% of the reachable floor (relative to the mean predictor), where further falls do not matter.</summary>
    public const double NothingLeft = 0.99;

    // ---- learning rate
    /// <summary>
    /// Relative update per step, |Δw|/|w|. Over T steps the weights can move at most T·ratio (relative, if every step pushed
    /// the same way); when even that is below a tenth — no weight can change by 10% of its size in the whole run — the
    /// learning rate is too low for the run's length.
    /// </summary>
    public const double MinTotalMovement = 0.1;
    /// <summary>A step that changes weights by more than 10% of their size overshoots any curvature the loss has.</summary>
    public const double MaxStepRatio = 0.1;

    // ---- gradients: ratio of per-value RMS gradient, first weight layer over last
    /// <summary>
    /// Glorot/He initialisation keeps the backward signal's variance about constant across layers, so a healthy ratio is
    /// within ×10 of 1 (fan-in/fan-out differences; inputs that are often 0, like MNIST's border, lower it). Each saturating
    /// sigmoid layer multiplies it by σ′ ≤ 1/4; two orders of magnitude (≈ 3.3 sigmoid layers at their steepest) mean the first
    /// layers learn 100× slower than the last.
    /// </summary>
    public const double VanishingRatio = 1e-2;
    public const double ExplodingRatio = 1e2;
    /// <summary>A layer's gradient norm growing this much during training is an explosion in time.</summary>
    public const double ExplodingGrowth = 1e3;
    /// <summary>
    /// A gradient this many times larger than its weights (‖g‖/‖W‖) makes even lr = 10⁻⁴ move the weights by more than their
    /// own size in one step: no usable learning rate is left.
    /// </summary>
    public const double ExplodingRelative = 1e4;

    // ---- units
    /// <summary>A ReLU unit is dead when it outputs 0 for every probe sample. Healthy ReLU autoencoders on MNIST keep up to ~50% of first-layer units dead; a layer is reported (info) from a quarter, and as a warning from three quarters.</summary>
    public const double DeadShareInfo = 0.25;
    public const double DeadShare = 0.75;
    /// <summary>Dead output units matter when the targets there carry this share of the loss.</summary>
    public const double DeadOutputLossShare = 0.10;
    /// <summary>A sigmoid/tanh unit is saturated when 90% of its outputs are within 1% of a bound (σ′ < 4% of its peak); a layer is reported from this share.</summary>
    public const double SaturatedUnitShare = 0.25;
    public const double UnitSaturatedFraction = 0.9;
    /// <summary>
    /// A saturated output layer is stuck when outputs pinned at the wrong bound carry half of the squared error: with MSE their
    /// gradient is multiplied by σ′ ≈ 0, so half the error cannot be reduced.
    /// </summary>
    public const double PinnedErrorShare = 0.5;
    /// <summary>
    /// Collapsed: the outputs vary across samples by less than a tenth of the targets' std. Outputs with that little
    /// variance can explain at most 2s − s² = 19% of the targets' variance, whatever they are.
    /// </summary>
    public const double CollapsedStdRatio = 0.1;

    internal static CurveVerdict Judge(Examination e) => e.Verdict ??= ComputeVerdict(e);

    static CurveVerdict ComputeVerdict(Examination e)
    {
        var run = e.Run;
        var curve = Curve.Of(run.StepLosses, e.Floor);
        bool dataNaN = run.FirstNonFinite is { } ev && ev.Where.Contains("batch");
        bool nonFinite = !dataNaN && (run.FirstNonFinite is not null || run.StepLosses.Any(l => !float.IsFinite(l)));
        bool cutShort = run.FirstNonFinite is not null;
        string? nonFiniteHow = nonFinite ? $"the loss became non-finite at step {run.FirstNonFinite?.Step ?? run.StepLosses.FindIndex(l => !float.IsFinite(l))}" : null;
        if (curve is null)
        {
            if (run.Steps < Curve.MinSteps) e.Skipped.Add($"loss curve: only {run.Steps} step{(run.Steps == 1 ? "" : "s")} (needs {Curve.MinSteps})");
            return new CurveVerdict(null, nonFinite, nonFiniteHow, false, null, false, false, false);
        }
        e.Measure("curve.initial", curve.Initial);
        e.Measure("curve.best_excess", curve.BestExcess);
        e.Measure("curve.final_excess", curve.FinalExcess);
        e.Measure("curve.rebound", curve.Rebound);
        e.Measure("curve.last_half_drop", curve.LastHalfDrop);
        e.Measure("curve.last_fifth_drop", curve.LastFifthDrop);
        e.Measure("curve.spike_share", curve.SpikeShare);

        string? divergedHow = nonFiniteHow;
        double initialExcess = curve.Initial - curve.Floor;
        if (divergedHow is null && curve.Log(curve.FinalExcess) - curve.Log(curve.BestExcess) >= DivergedRebound && curve.FinalExcess > 0.5 * curve.FirstExcess)
            divergedHow = $"the loss fell to {G(curve.BestExcess + curve.Floor)} and climbed back to {G(curve.FinalExcess + curve.Floor)}";
        else if (divergedHow is null && curve.Log(curve.FinalExcess) - curve.Log(initialExcess) >= DivergedAboveStart)
            divergedHow = $"the loss rose from {G(curve.Initial)} at the first step to {G(curve.FinalExcess + curve.Floor)} at the end";

        string? oscillation = null;
        if (curve.Rebound >= OscillationRebound)
            oscillation = $"the windowed loss climbed back to ×{G(Math.Exp(curve.Rebound), 2)} its lowest value so far";
        else if (curve.SpikeShare >= SpikeShare)
        {
            double expected = ExpectedSpikeShare(e);
            e.Measure("curve.expected_spike_share", expected);
            if (expected < SpikeShare / 5)
                oscillation = $"{Pct(curve.SpikeShare)} of the steps spiked above 3× their window's median (batch sampling alone gives {Pct(expected)})";
        }

        double? learned = e.LearnedOfReachable;
        if (learned is double lr) e.Measure("curve.learned_of_reachable", lr);
        bool poor = learned is double l ? l < PlateauLearned : curve.FirstExcess < 2 * curve.FinalExcess;
        bool settled = divergedHow is null && !cutShort;
        bool plateau = settled && curve.LastHalfDrop < PlateauDrop && poor;
        bool still = settled && oscillation is null && curve.LastFifthDrop > StillFallingDrop && curve.LateFallShare >= 0.6 && !(learned >= NothingLeft);
        bool fast = still && curve.LastFifthDrop > StillFallingFastDrop;
        return new CurveVerdict(curve, divergedHow is not null, divergedHow, oscillation is not null && divergedHow is null, oscillation, plateau, still, fast);
    }

    /// <summary>Share of spikes (batch loss above 3× the median batch loss) that batches drawn from the probe rows' own losses show: the data's share of the jitter.</summary>
    static double ExpectedSpikeShare(Examination e)
    {
        if (e.RowLosses is not { Length: > 0 } rows) return 0;
        int batch = Math.Max(1, e.Options.BatchSize);
        var g = Seeds.Random(0);
        var means = new double[400];
        for (int b = 0; b < means.Length; b++)
        {
            double sum = 0;
            for (int i = 0; i < batch; i++) sum += rows[g.Next(rows.Length)];
            means[b] = sum / batch - e.Floor;
        }
        double median = Median(means);
        return (double)means.Count(m => m > 3 * median) / means.Length;
    }

    static string CurveNumbers(Curve c) =>
        $"first step {G(c.Initial, 4)}, best window {G(c.BestExcess + c.Floor, 4)}, last window {G(c.FinalExcess + c.Floor, 4)} over {c.Steps} steps";

    // ------------------------------------------------------------------ curve

    public static IEnumerable<Finding> CurveShape(Examination e)
    {
        var v = Judge(e);
        var c = v.Curve;
        if (v.Diverged)
            yield return Make.Finding(FindingCodes.CurveDiverged, Severity.Error, "Training diverged",
                $"{v.DivergedHow}" + (c is null ? "." : $" ({CurveNumbers(c)})."),
                "Each update overshot so far that the next loss was larger, and the error fed on itself: weights grew until the loss overflowed " +
                "or settled far above where it had been.",
                "Lower the learning rate (×0.1), scale the data, and clip gradients while you look for the cause: `ClipGradNorm = 1.0` in TrainOptions.",
                ("best", c?.BestExcess + c?.Floor ?? double.NaN), ("final", c?.FinalExcess + c?.Floor ?? double.NaN));
        if (c is null) yield break;
        if (v.Oscillating)
            yield return Make.Finding(FindingCodes.CurveOscillating, Severity.Warning, "The loss oscillates",
                $"{v.OscillationHow} ({CurveNumbers(c)}).",
                "The steps are too large for the curvature of the loss: each update jumps across the valley instead of down it, so the loss goes up " +
                "as often as down; mini-batch noise alone moves window medians by a few percent, not by these factors.",
                "Lower the learning rate (×0.3 … ×0.1), or add a schedule: `ReduceLROnPlateau = new PlateauSchedule(Factor: 0.5, Patience: 2)`.",
                ("rises", c.Rises), ("falls", c.Falls), ("spike_share", c.SpikeShare));
        if (v.Plateau)
        {
            string reach = e.ReachableFloor > e.Floor ? $"the best linear code of this width ({G(e.ReachableFloor, 4)})" : e.Floor > 0 ? $"the floor ({G(e.Floor, 4)})" : "0";
            string learned = e.LearnedOfReachable is double l
                ? (l <= 0.05 ? $"; at {G(e.ModelLoss, 4)} it is {Progress(l)} ({G(e.MeanBaseline!.Value, 4)})"
                             : $"; it got {Pct(l)} of the way from the mean predictor ({G(e.MeanBaseline!.Value, 4)}) to {reach}, at {G(e.ModelLoss, 4)}") : "";
            yield return Make.Finding(FindingCodes.CurvePlateau, Severity.Warning, "The loss plateaued at a high level",
                (c.LastHalfDrop >= 0 ? $"the second half of training improved the loss by {Pct(Math.Exp(c.LastHalfDrop) - 1)} (limit {Pct(Math.Exp(PlateauDrop) - 1)})" : $"the loss rose by {Pct(Math.Exp(-c.LastHalfDrop) - 1)} over the second half of training") +
                $"{learned} ({CurveNumbers(c)}).",
                "A loss that stops early and high means the gradient has (almost) vanished while the model is still poor: saturated or dead units, " +
                "an output that cannot reach the targets, or a learning rate too small to move. See the other findings for which.",
                "Fix the cause the other findings name; if there is none, try a larger learning rate (`Doctor.FindLearningRate`) and check the model can fit one batch (`Doctor.OverfitOneBatch`).",
                ("last_half_drop", Math.Exp(c.LastHalfDrop) - 1), ("learned", e.LearnedOfReachable ?? double.NaN));
        }
        if (v.StillFalling)
            yield return Make.Finding(FindingCodes.CurveStillFalling, v.StillFallingFast ? Severity.Warning : Severity.Info, "The loss was still falling when training stopped",
                $"over the last fifth of the run the loss (above its floor) fell by a further factor {G(Math.Exp(c.LastFifthDrop), 3)} (info from ×{G(Math.Exp(StillFallingDrop), 3)}, warning from ×{G(Math.Exp(StillFallingFastDrop), 3)}), " +
                $"falling in {Pct(c.LateFallShare)} of the late windows ({CurveNumbers(c)}).",
                "The run ended before the loss levelled off, so the final loss says more about the epoch budget than about the model.",
                $"Train longer (`Epochs = {Math.Max(2 * e.Options.Epochs, e.Options.Epochs + 5)}`), or raise the learning rate if it is small.",
                ("last_fifth_drop", 1 - Math.Exp(-c.LastFifthDrop)));
    }

    // ------------------------------------------------------------------ learning rate

    static readonly string[] Adaptive = ["Adam", "AdamW", "RMSProp", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"];

    /// <summary>Per weight layer, the relative update per step |Δw|/|w|, estimated from the optimiser, lr, recorded gradients and final weights.</summary>
    static List<double> UpdateRatios(Examination e)
    {
        var ratios = new List<double>();
        if (e.Run.Epochs.Count == 0) return ratios;
        double lr = e.Run.Epochs.Average(ep => ep.LearningRate);
        bool adaptive = Adaptive.Any(a => e.Options.Optimizer.Name.StartsWith(a, StringComparison.OrdinalIgnoreCase));
        foreach (var (name, module) in e.WeightLayers())
        {
            var w = module.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
            double rms = e.Run.WeightNorms.TryGetValue(name + ".weight", out var norms) && norms.Count > 0
                ? Median(norms.Select(n => n.Norm)) / Math.Sqrt(w.numel()) : Rms(w);
            if (!(rms > 0) || !double.IsFinite(rms)) continue;
            if (adaptive) ratios.Add(lr / rms); // Adam's step is about lr per value
            else if (RelativeGradients(e, name + ".weight", w) is { Count: > 0 } relative)
                ratios.Add(lr * Median(relative));
        }
        return ratios;
    }

    /// <summary>‖g‖/‖W‖ of a parameter at each recorded step (weights from the run's records, else the final weights).</summary>
    static List<double> RelativeGradients(Examination e, string parameter, Tensor weight)
    {
        var result = new List<double>();
        if (!e.Run.GradientNorms.TryGetValue(parameter, out var grads)) return result;
        e.Run.WeightNorms.TryGetValue(parameter, out var weights);
        var byStep = weights?.ToDictionary(w => w.Step, w => w.Norm);
        double final = Rms(weight) * Math.Sqrt(weight.numel());
        foreach (var g in grads)
        {
            double w = byStep is not null && byStep.TryGetValue(g.Step, out var ws) ? ws : final;
            if (w > 0 && double.IsFinite(w) && double.IsFinite(g.Norm)) result.Add(g.Norm / w);
        }
        return result;
    }

    public static IEnumerable<Finding> LearningRate(Examination e)
    {
        var v = Judge(e);
        var ratios = UpdateRatios(e);
        double? typical = ratios.Count > 0 ? Median(ratios) : null;   // the typical layer: is the step too big?
        double? fastest = ratios.Count > 0 ? ratios.Max() : null;     // the fastest layer: can anything move at all?
        double lr = e.Options.Optimizer.LearningRate;
        if (typical is double t0) { e.Measure("lr.update_ratio", t0); e.Measure("lr.total_movement", fastest!.Value * e.Run.Steps); }
        bool dataCause = e.Run.FirstNonFinite is { } nf && nf.Where.Contains("batch");
        var c = v.Curve;
        double? learned = e.LearnedOfReachable;
        bool poor = learned is double l0 ? l0 < PlateauLearned : c is not null && c.FirstExcess < 2 * c.FinalExcess;
        bool bigSteps = typical > MaxStepRatio && poor;
        if (!dataCause && (v.Diverged || v.Oscillating || bigSteps))
        {
            string symptom = v.Diverged ? v.DivergedHow! : v.Oscillating ? v.OscillationHow! :
                (learned ?? 0) <= 0.05 ? $"the model ended {Progress(learned ?? 0)}" : $"the model ended only {Pct(learned!.Value)} of the way from the mean predictor to the reachable loss";
            string step = typical is double r ? $"; each step changes the weights by about {OfTheirSize(r)} (more than {Pct(MaxStepRatio)} overshoots)" : "";
            if (e.Measurements.GetValueOrDefault("grad.relative") > ExplodingRelative)
                step += $"; but the gradients themselves are {G(e.Measurements["grad.relative"], 2)}× the weights" +
                        (e.Measurements.GetValueOrDefault("data.rms") > DataChecks.RmsLimit ? " because the inputs are unscaled: scale them first, a smaller learning rate only hides that" : ": fix the initialisation or scale first");
            yield return Make.Finding(FindingCodes.LrTooHigh, v.Diverged ? Severity.Error : Severity.Warning, "The learning rate is too high",
                $"{e.Options.Optimizer}: {symptom}{step}.",
                "Gradient descent only moves downhill for steps smaller than about 2/curvature; larger steps overshoot the valley floor, so the loss " +
                "bounces, grows, or knocks units into dead or saturated states it never leaves. Unscaled inputs raise the curvature (it grows with " +
                "the input's square), which shrinks the safe learning rate.",
                $"Divide the learning rate by 10 (`Optimizer = Optimizers.{OptimizerFactory(e)}({G(lr / 10, 2)})`), or find it with `Doctor.FindLearningRate(model, data)`.",
                ("lr", lr), ("update_ratio", typical ?? double.NaN));
            yield break;
        }
        // too low: even the fastest layer cannot move its own size in the whole run, and the loss has not got anywhere
        if (fastest is double rr && !v.Diverged && c is not null && e.Run.FirstNonFinite is null)
        {
            double movement = rr * e.Run.Steps;
            if (movement < MinTotalMovement && poor)
                yield return Make.Finding(FindingCodes.LrTooLow, Severity.Warning, "The learning rate is too low",
                    $"{e.Options.Optimizer}: each step changes the weights by at most {G(rr, 2)} of their size, so in {e.Run.Steps} steps they can move " +
                    $"at most {Pct(movement)} of their size; the loss went from {G(c.Initial, 4)} to {G(c.FinalExcess + c.Floor, 4)}" +
                    (learned is double l2 ? $" ({Progress(l2)} from the mean predictor to the reachable loss)." : "."),
                    "Training needs the weights to travel roughly their own size from the random start; with steps this small the run ends long before, " +
                    "so the loss creeps down in a straight line (or looks flat) however long you wait.",
                    $"Raise the learning rate ×10 (`Optimizer = Optimizers.{OptimizerFactory(e)}({G(lr * 10, 2)})`), use Adam, or find it with `Doctor.FindLearningRate(model, data)`.",
                    ("lr", lr), ("update_ratio", rr), ("movement", movement));
        }
    }

    static string OptimizerFactory(Examination e) => e.Options.Optimizer.Name switch
    {
        "SGD" => "Sgd",
        "RMSProp" => "RmsProp",
        var n => n,
    };

    // ------------------------------------------------------------------ gradients per layer

    public static IEnumerable<Finding> Gradients(Examination e)
    {
        var layers = e.WeightLayers();
        var series = new List<(string name, long numel, List<GradientSample> samples)>();
        foreach (var (name, module) in layers)
        {
            var w = module.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
            if (e.Run.GradientNorms.TryGetValue(name + ".weight", out var g) && g.Count > 0) series.Add((name, w.numel(), g));
        }
        if (series.Count < 2)
        {
            if (e.Run.GradientNorms.Count == 0) e.Skipped.Add("gradients: the run recorded none (RecordEvery = 0?)");
            yield break;
        }
        var first = series[0];
        var last = series[^1];
        var lastWeight = layers.First(l => l.name == last.name).module.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
        e.Run.WeightNorms.TryGetValue(last.name + ".weight", out var lastNorms);
        var lastNormByStep = lastNorms?.ToDictionary(n => n.Step, n => n.Norm);
        double finalNorm = Rms(lastWeight) * Math.Sqrt(lastWeight.numel());
        // per-value RMS gradient, first layer over last, at the steps both were recorded — and only where the last layer
        // still learns (‖g‖/‖W‖ > 1e-6): when nothing learns (a dead or saturated network) the ratio is noise
        bool Learns(GradientSample s) => double.IsFinite(s.Norm) &&
            s.Norm > 1e-6 * (lastNormByStep is not null && lastNormByStep.TryGetValue(s.Step, out var w) ? w : finalNorm);
        var lastByStep = last.samples.Where(Learns).ToDictionary(s => s.Step, s => s.Norm / Math.Sqrt(last.numel));
        double deadSteps = last.samples.Count == 0 ? 0 : 1 - (double)lastByStep.Count / last.samples.Count;
        e.Measure("grad.dead_steps", deadSteps);
        // a first layer whose gradient is exactly 0 is cut off (dead units upstream), not vanishing: DEAD_RELU's business
        double firstZero = first.samples.Count == 0 ? 0 : (double)first.samples.Count(s => s.Norm == 0) / first.samples.Count;
        e.Measure("grad.first_zero_steps", firstZero);
        var ratios = deadSteps >= 0.5 || firstZero >= 0.5 ? [] : first.samples.Where(s => double.IsFinite(s.Norm) && s.Norm > 0 && lastByStep.ContainsKey(s.Step) && lastByStep[s.Step] > 0)
            .Select(s => s.Norm / Math.Sqrt(first.numel) / lastByStep[s.Step]).ToList();
        double ratio = ratios.Count > 0 ? Median(ratios) : double.NaN;
        e.Measure("grad.first_over_last", ratio);
        if (deadSteps >= 0.5) e.Skipped.Add($"gradient ratio: the last layer's gradient is ≈ 0 at {Pct(deadSteps)} of the recorded steps (nothing learns; see SATURATED_UNITS / DEAD_RELU)");
        else if (firstZero >= 0.5) e.Skipped.Add($"gradient ratio: the first layer's gradient is exactly 0 at {Pct(firstZero)} of the recorded steps (cut off by dead units; see DEAD_RELU)");
        // growth in time: a layer's median gradient norm in the last quarter of the records over its first quarter
        double growth = 0;
        string? grower = null;
        foreach (var (name, _, samples) in series)
        {
            var finite = samples.Where(s => double.IsFinite(s.Norm) && s.Norm > 0).Select(s => s.Norm).ToList();
            if (finite.Count < 4) continue;
            int q = finite.Count / 4;
            double g = Median(finite.Skip(finite.Count - q)) / Median(finite.Take(q));
            if (g > growth) { growth = g; grower = name; }
        }
        bool nonFiniteGradient = series.Any(s => s.samples.Any(x => !double.IsFinite(x.Norm))) || e.Run.FirstNonFinite?.Where.StartsWith("gradient") == true;
        e.Measure("grad.growth", growth);
        // size against the weights: the largest median ‖g‖/‖W‖ over layers (weights at the same steps)
        double relative = 0;
        string? relativeLayer = null;
        foreach (var (name, module) in layers)
        {
            var w = module.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
            var rel = RelativeGradients(e, name + ".weight", w);
            if (rel.Count == 0) continue;
            double r = Median(rel);
            if (r > relative) { relative = r; relativeLayer = name; }
        }
        if (e.FinalGradients is { } fresh)
            foreach (var (name, (g, w)) in fresh)
                if (w > 0 && g / w > relative) { relative = g / w; relativeLayer = name + " (at the final weights)"; }
        e.Measure("grad.relative", relative);
        string perLayer = string.Join(", ", series.Select(s => $"{s.name} {G(Median(s.samples.Select(x => x.Norm / Math.Sqrt(s.numel))), 2)}"));

        if (ratio < VanishingRatio)
            yield return Make.Finding(FindingCodes.GradVanishing, Severity.Warning, "Gradients vanish towards the input",
                $"the first weight layer ({first.name}) gets {G(ratio, 2)}× the per-value gradient of the last ({last.name}) (median over {ratios.Count} recorded steps; limit {VanishingRatio}). " +
                $"RMS gradient per layer: {perLayer}.",
                "Backpropagation multiplies the error by each layer's weights and activation slope; sigmoid/tanh slopes are ≤ 1/4 and ≈ 0 when saturated, " +
                "dead ReLUs pass nothing, and tiny weights shrink it further, so the early layers barely learn and the loss plateaus.",
                "Use ReLU-family activations in hidden layers (`activation: Activation.LeakyReLU`) with He initialisation (`init: Init.KaimingUniform`); keep sigmoid for the output only.",
                ("first_over_last", ratio));
        else if (ratio > ExplodingRatio || growth > ExplodingGrowth || relative > ExplodingRelative || nonFiniteGradient)
            yield return Make.Finding(FindingCodes.GradExploding, Severity.Warning, "Gradients explode",
                (ratio > ExplodingRatio ? $"the first weight layer ({first.name}) gets {G(ratio, 2)}× the per-value gradient of the last ({last.name}) (limit {ExplodingRatio}); " : "") +
                (growth > ExplodingGrowth ? $"{grower}'s gradient norm grew ×{G(growth, 2)} during training (limit ×{ExplodingGrowth}); " : "") +
                (relative > ExplodingRelative ? $"{relativeLayer}'s gradient is {G(relative, 2)}× the size of its weights (limit {ExplodingRelative:G2}: even lr = 1e-4 would move them by more than their size); " : "") +
                (nonFiniteGradient ? "a gradient became NaN/∞; " : "") + $"RMS gradient per layer: {perLayer}.",
                "When each layer multiplies the backward signal by more than 1 (large weights, large inputs), the gradient grows geometrically with depth " +
                "and with every update that makes the weights larger, until a step throws the weights far away or overflows.",
                "Scale the inputs, initialise with `init: Init.KaimingUniform` (ReLU) or `Init.XavierUniform` (tanh/sigmoid), and clip: `ClipGradNorm = 1.0`.",
                ("first_over_last", ratio), ("growth", growth), ("relative", relative));
    }

    // ------------------------------------------------------------------ units

    public static IEnumerable<Finding> DeadRelu(Examination e)
    {
        if (e.Forward is not { } probe || !e.UnitProbesMeaningful) yield break;
        var lastLayer = probe.Layers.LastOrDefault(l => !l.Kind.Equals("Dropout"));
        var hidden = new List<(string name, int dead, int units)>();
        string? outputNote = null;
        double outputShare = 0;
        foreach (var layer in probe.Layers.Where(l => l.Kind == "ReLU"))
        {
            var units = PerUnit(layer.Output);
            if (units.Length == 0) continue;
            var deadIds = Enumerable.Range(0, units.Length).Where(u => units[u].Max <= 0).ToList();
            e.Measure($"dead.{layer.Name}", (double)deadIds.Count / units.Length);
            bool isOutput = ReferenceEquals(layer, lastLayer) && e.SampleTargets is { } t && layer.Output.numel() == t.numel();
            if (!isOutput) { hidden.Add((layer.Name, deadIds.Count, units.Length)); continue; }
            if (deadIds.Count == 0) continue;
            // a dead output unit costs what its targets weigh in the loss (Σ t² there), against the whole squared error
            var (share, harmful) = DeadOutputCost(layer.Output, e.SampleTargets!, deadIds);
            outputShare = share;
            e.Measure("dead.output_loss_share", share);
            if (share >= DeadOutputLossShare)
                outputNote = $"{layer.Name} (the output): {deadIds.Count} of {units.Length} output values are stuck at 0 for all {probe.Output.shape[0]} probe samples; " +
                             $"{harmful} of them have non-zero targets, and they account for {Pct(share)} of the squared error";
        }
        var warn = hidden.Where(h => (double)h.dead / h.units >= DeadShare).ToList();
        var info = hidden.Where(h => (double)h.dead / h.units >= DeadShareInfo).ToList();
        if (outputNote is null && info.Count == 0) yield break;
        var severity = outputNote is not null || warn.Count > 0 ? Severity.Warning : Severity.Info;
        var listed = (warn.Count > 0 ? warn : info).Select(h => $"{h.name}: {h.dead} of {h.units} units output 0 for all {probe.Output.shape[0]} probe samples").ToList();
        if (outputNote is not null) listed.Insert(0, outputNote);
        double worst = hidden.Count == 0 ? 0 : hidden.Max(h => (double)h.dead / h.units);
        yield return Make.Finding(FindingCodes.DeadRelu, severity,
            outputNote is not null ? "Dead ReLU units in the output layer" : severity == Severity.Warning ? "Most ReLU units in a layer are dead" : "Some ReLU units are dead",
            string.Join("; ", listed) + $" (info from {Pct(DeadShareInfo)} of a layer, warning from {Pct(DeadShare)}" + (outputNote is not null ? $", or output units carrying ≥ {Pct(DeadOutputLossShare)} of the error)." : ")."),
            "A ReLU whose input is negative for every sample outputs 0 and passes back a zero gradient, so nothing ever revives it: the layer is " +
            "effectively narrower. Large learning rates, large negative biases and unscaled inputs kill units in the first few steps" +
            (severity == Severity.Info ? "; a share this size is common in healthy ReLU networks and costs little." : "."),
            outputNote is not null
                ? "Never end a decoder with ReLU for [0, 1] data: `output: Activation.Sigmoid`. For hidden layers use `Activation.LeakyReLU`, and a smaller learning rate."
                : "Use `activation: Activation.LeakyReLU` (its slope for negative inputs keeps units alive), He initialisation, and a smaller learning rate.",
            ("worst_dead_share", worst), ("output_loss_share", outputShare));
    }

    static (double share, int harmful) DeadOutputCost(Tensor output, Tensor targets, List<int> deadUnits)
    {
        int n = (int)output.shape[0], c = (int)output.shape[1];
        int rest = (int)(output.numel() / Math.Max(1, (long)n * c));
        var y = output.ToArray();
        var t = targets.reshape(output.shape).ToArray();
        double total = 0, dead = 0;
        for (int i = 0; i < y.Length; i++) { double d = y[i] - t[i]; total += d * d; }
        var isDead = new bool[c];
        foreach (var u in deadUnits) isDead[u] = true;
        var nonZero = new bool[c];
        for (int i = 0; i < n; i++)
            for (int u = 0; u < c; u++)
            {
                if (!isDead[u]) continue;
                for (int k = 0; k < rest; k++)
                {
                    double v = t[(i * c + u) * rest + k];
                    dead += v * v;
                    if (v != 0) nonZero[u] = true;
                }
            }
        return (total > 0 ? dead / total : 0, nonZero.Count(b => b));
    }

    public static IEnumerable<Finding> Saturated(Examination e)
    {
        if (e.Forward is not { } probe || !e.UnitProbesMeaningful) yield break;
        var lastActivation = probe.Layers.LastOrDefault(l => Examination.IsActivation(l.Kind));
        var bad = new List<string>();
        string? outputNote = null;
        double worst = 0;
        foreach (var layer in probe.Layers.Where(l => l.Kind is "Sigmoid" or "Tanh"))
        {
            bool isOutput = ReferenceEquals(layer, lastActivation) && e.SampleTargets is { } tt && layer.Output.numel() == tt.numel();
            if (isOutput)
            {
                // saturated output units are fine where the targets sit at that bound (MNIST's black border); stuck where they do not
                if (e.Measurements.GetValueOrDefault("output.unreachable_share") > LossChecks.UnreachableShare) continue; // OUTPUT_RANGE_MISMATCH explains it
                if (e.IsBce) continue; // BCE's gradient w.r.t. the pre-activation is y − t: σ′ cancels, a saturated output still learns
                var (stuck, outputs, errorShare) = StuckOutputs(layer, e.SampleTargets!);
                e.Measure("saturated.output_loss_share", errorShare);
                if (errorShare >= PinnedErrorShare)
                {
                    outputNote = $"{layer.Name} (the {layer.Kind} output): outputs pinned at the wrong bound (saturated while the target is more than a tenth of the range away) carry {Pct(errorShare)} of the squared error (limit {Pct(PinnedErrorShare)}); {stuck} of {outputs} output units are pinned so for most samples";
                    worst = Math.Max(worst, (double)stuck / outputs);
                }
                continue;
            }
            Func<float, bool> saturated = layer.Kind == "Sigmoid" ? v => v < 0.01f || v > 0.99f : v => v < -0.99f || v > 0.99f;
            var units = PerUnit(layer.Output, saturated);
            if (units.Length == 0) continue;
            int s = units.Count(u => u.FractionSaturated >= UnitSaturatedFraction);
            double share = (double)s / units.Length;
            e.Measure($"saturated.{layer.Name}", share);
            if (share >= SaturatedUnitShare) { bad.Add($"{layer.Name} ({layer.Kind}): {s} of {units.Length} units"); worst = Math.Max(worst, share); }
        }
        if (bad.Count == 0 && outputNote is null) yield break;
        var parts = new List<string>();
        if (outputNote is not null) parts.Add(outputNote);
        if (bad.Count > 0) parts.Add($"{string.Join("; ", bad)} sit within 1% of their bounds for ≥ {Pct(UnitSaturatedFraction)} of the probe samples (limit {Pct(SaturatedUnitShare)} of a layer)");
        yield return Make.Finding(FindingCodes.SaturatedUnits, Severity.Warning, outputNote is not null ? "The output layer is saturated at the wrong bound" : "Saturated sigmoid/tanh units",
            string.Join("; ", parts) + ".",
            "A saturated sigmoid or tanh has slope ≈ 0, so it passes almost no gradient back: the unit is stuck, and so is everything before it. " +
            "Large inputs or weights push pre-activations into the flat tails" +
            (outputNote is not null ? "; an output pinned at the wrong end gets MSE's gradient times σ′ ≈ 0 and never comes back (large learning-rate steps put it there)." : "."),
            outputNote is not null
                ? "Lower the learning rate so the first steps do not slam the outputs into saturation; or use `Losses.Bce` (its gradient through a sigmoid is y − t, no σ′) for [0, 1] targets."
                : "Scale the inputs (`Scalers.Standard()`), use `init: Init.XavierUniform`, or replace hidden sigmoid/tanh with `Activation.LeakyReLU`.",
            ("worst_saturated_share", worst));
    }

    /// <summary>
    /// Output values pinned at the wrong end: saturated (within 1% of a bound) while the target is more than a tenth of the
    /// range away from that bound. Returns how many output units are pinned that way for most samples, and the share of
    /// the squared error such values carry.
    /// </summary>
    static (int stuck, int units, double share) StuckOutputs(LayerTrace layer, Tensor targets)
    {
        bool sigmoid = layer.Kind == "Sigmoid";
        double low = sigmoid ? 0 : -1, high = 1, margin = 0.01 * (high - low), far = 0.1 * (high - low);
        var y = layer.Output.ToArray();
        var t = targets.reshape(layer.Output.shape).ToArray();
        int n = (int)layer.Output.shape[0], c = (int)layer.Output.shape[1];
        int rest = (int)(layer.Output.numel() / Math.Max(1, (long)n * c));
        var pinnedPerUnit = new int[c];
        double total = 0, pinned = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double d = y[i] - t[i], sq = d * d;
            total += sq;
            bool wrong = (y[i] < low + margin && t[i] > low + far) || (y[i] > high - margin && t[i] < high - far);
            if (!wrong) continue;
            pinned += sq;
            pinnedPerUnit[(i / rest) % c]++;
        }
        int perUnit = n * rest;
        return (pinnedPerUnit.Count(k => k > perUnit / 2), c, total > 0 ? pinned / total : 0);
    }

    public static IEnumerable<Finding> Collapsed(Examination e)
    {
        if (e.OutputValues is not { } y || e.SampleTargets is not { } t || !y.shape.SequenceEqual(t.shape) || !(e.Forward?.OutputFinite ?? false) || !e.UnitProbesMeaningful) yield break;
        double outputVar = MeanFeatureVariance(y), targetVar = MeanFeatureVariance(t);
        if (!(targetVar > 0)) yield break;
        double ratio = Math.Sqrt(outputVar / targetVar);
        e.Measure("output.std_ratio", ratio);
        if (ratio >= CollapsedStdRatio) yield break;
        yield return Make.Finding(FindingCodes.OutputCollapsed, Severity.Warning, "The model outputs (nearly) the same reconstruction for every input",
            $"across {t.shape[0]} probe samples the outputs vary with std {G(Math.Sqrt(outputVar))} per value, the targets with {G(Math.Sqrt(targetVar))}: " +
            $"ratio {G(ratio, 2)} (limit {CollapsedStdRatio}); model loss {G(e.ModelLoss, 4)}, mean predictor {G(e.MeanBaseline ?? double.NaN, 4)}.",
            "When the input carries no usable signal to the decoder (dead or saturated code, overwhelming noise, steps so large they wiped the " +
            "encoder), the loss is minimised by ignoring the input and outputting the average target: a blur that looks the same for every sample.",
            "Find what cuts the signal: see the unit, noise and learning-rate findings; `Doctor.OverfitOneBatch(model, batch)` shows whether the model can fit anything at all.",
            ("std_ratio", ratio));
    }
}
