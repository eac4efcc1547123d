using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>One leaf layer's input and output on the probe sample, in the order the forward pass ran them.</summary>
internal sealed record LayerTrace(int Order, string Name, string Kind, nn.Module Module, Tensor Input, Tensor Output)
{
    /// <summary>Values per sample of the output (its width).</summary>
    public long Width => Output.shape[0] == 0 ? 0 : Output.numel() / Output.shape[0];
}

/// <summary>
/// Everything the checks share about one run: the run, a small sample of its data, one forward pass of the trained model
/// over that sample with every leaf layer's output (eval mode, no graph), the PCA spectrum of the targets, and the
/// measurements the checks make. Probes are lazy: a check that does not need them costs nothing.
/// </summary>
internal sealed class Examination
{
    /// <summary>Rows the forward probe and the baselines use (evenly spaced through the data).</summary>
    public const int SampleRows = 512;
    /// <summary>Rows the PCA uses (its eigen-decomposition is O(min(rows, features)³)).</summary>
    public const int PcaRows = 384;

    public TrainingRun Run { get; }
    public nn.Module<Tensor, Tensor> Model => Run.Model;
    public TrainOptions Options => Run.Options;
    public LossFunction Loss => Options.Loss;
    public Dictionary<string, double> Measurements { get; } = new();
    public List<string> Skipped { get; } = new();

    /// <summary>The training data (targets; inputs are null when the run made them with an InputTransform).</summary>
    public Tensor? Inputs { get; }
    public Tensor? Targets { get; }
    public bool HasData => Targets is not null;

    /// <summary>Finite rows of the data, at most SampleRows: clean targets and what the model saw as input.</summary>
    public Tensor? SampleTargets { get; private set; }
    public Tensor? SampleInputs { get; private set; }
    /// <summary>Inputs differ from targets: "InputTransform" (noise made during training) or "inputs" (noisy data passed in).</summary>
    public string? CorruptionSource { get; private set; }
    public bool Denoising => CorruptionSource is not null;

    public Examination(TrainingRun run, Tensor? inputs, Tensor? targets)
    {
        Run = run;
        Targets = targets ?? inputs;
        Inputs = inputs;
        if (Targets is not null) Sample();
        probe = new Lazy<Probe?>(RunProbe);
        spectrum = new Lazy<Spectrum?>(ComputeSpectrum);
        targetReport = new Lazy<DataReport?>(() => Targets is null ? null : DataReport.Of(Targets));
        inputReport = new Lazy<DataReport?>(() => Inputs is null || ReferenceEquals(Inputs, Targets) ? targetReport.Value : DataReport.Of(Inputs));
    }

    // ------------------------------------------------------------------ data sample

    void Sample()
    {
        var y = Targets!;
        long n = y.shape[0];
        var x = Inputs is not null && Options.InputTransform is null ? Inputs : null;
        if (x is not null && x.shape[0] != n) x = null;
        long row = y.numel() / Math.Max(1, n), xrow = x is null ? 0 : x.numel() / n;
        var yv = y.ToArray();
        var xv = x?.ToArray();
        // evenly spaced rows (the data may be sorted by class); rows with NaN/Inf are left out of the probes
        var rows = new List<long>();
        long step = Math.Max(1, n / SampleRows);
        for (long i = 0; i < n && rows.Count < SampleRows; i += step)
            if (Finite(yv, i * row, row) && (xv is null || Finite(xv, i * xrow, xrow))) rows.Add(i);
        if (rows.Count == 0) return;
        var ids = rows.ToArray();
        SampleTargets = y.index_select(0, ids);
        if (Options.InputTransform is { } transform)
        {
            SampleInputs = transform(SampleTargets, 0);
            CorruptionSource = "InputTransform";
        }
        else if (x is not null)
        {
            SampleInputs = x.index_select(0, ids);
            if (!ReferenceEquals(x, y) && SampleInputs.shape.SequenceEqual(SampleTargets.shape) && !SampleInputs.ToArray().AsSpan().SequenceEqual(SampleTargets.ToArray()))
                CorruptionSource = "inputs";
        }
        else SampleInputs = SampleTargets;
    }

    static bool Finite(float[] v, long start, long count)
    {
        for (long i = start; i < start + count; i++) if (!float.IsFinite(v[i])) return false;
        return true;
    }

    readonly Lazy<DataReport?> targetReport, inputReport;
    /// <summary>Per-feature statistics of all training targets / inputs (all rows, so NaN anywhere is counted).</summary>
    public DataReport? TargetReport => targetReport.Value;
    public DataReport? InputReport => inputReport.Value;

    // ------------------------------------------------------------------ forward probe

    internal sealed class Probe
    {
        public required List<LayerTrace> Layers { get; init; }
        public required Tensor Output { get; init; }
        public bool OutputFinite { get; init; }
        /// <summary>The model's loss on the sample (eval mode), comparable with the baselines computed on the same rows.</summary>
        public double Loss { get; init; }
    }

    readonly Lazy<Probe?> probe;
    /// <summary>The trained model run once over the sample, every leaf layer recorded; null without data or if the model failed.</summary>
    public Probe? Forward => probe.Value;

    Probe? RunProbe()
    {
        if (SampleInputs is null || SampleTargets is null) return null;
        if (Model.parameters().Any(p => !AllFinite(p)))
        {
            Skipped.Add("layer probes: the model's weights are NaN/Inf");
            return null;
        }
        var layers = new List<LayerTrace>();
        var handles = new List<IDisposable>();
        foreach (var (name, module) in Model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            // alias: Sequential disposes each intermediate tensor's handle once the next layer has run
            handles.Add(leaf.OnForward((m, input, output) =>
            {
                layers.Add(new LayerTrace(layers.Count, name, m.Kind(), m, input.alias(), output.alias()));
                return output;
            }));
        }
        bool wasTraining = Model.training;
        Tensor output;
        try
        {
            Model.eval();
            using (no_grad()) output = Model.call(SampleInputs);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Skipped.Add($"layer probes: the model did not run on the data ({e.Message})");
            return null;
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            Model.train(wasTraining);
        }
        double loss = double.NaN;
        if (output.shape.SequenceEqual(SampleTargets.shape))
            using (no_grad()) loss = Loss[output, SampleTargets].item<float>();
        return new Probe { Layers = layers, Output = output, OutputFinite = AllFinite(output), Loss = loss };
    }

    internal static bool AllFinite(Tensor t)
    {
        foreach (var v in t.ToArray()) if (!float.IsFinite(v)) return false;
        return true;
    }

    // ------------------------------------------------------------------ the model's anatomy (architecture-agnostic)

    static readonly HashSet<string> PassThrough = ["Dropout", "Flatten", "Unflatten", "Identity", "Reshape", "MaxPool2d", "AvgPool2d", "Upsample", "UpsamplingNearest2d", "AdaptiveAvgPool2d"];

    /// <summary>The activation kind that produces the model's output ("Linear" when the last op is a weight layer).</summary>
    public string OutputKind
    {
        get
        {
            if (Model is Autoencoder ae) return ae.OutputActivation.ToString();
            var layers = Forward?.Layers ?? LeafModules().Select((m, i) => new LayerTrace(i, m.name, m.module.Kind(), m.module, null!, null!)).ToList();
            for (int i = layers.Count - 1; i >= 0; i--)
                if (!PassThrough.Contains(layers[i].Kind)) return ActivationRange(layers[i].Kind) is null ? "Linear" : layers[i].Kind;
            return "Linear";
        }
    }

    public IEnumerable<(string name, nn.Module module)> LeafModules() => Model.named_modules().Where(m => !m.module.children().Any());

    /// <summary>The interval an activation layer can output, or null if the kind is not an activation.</summary>
    public static (double low, double high)? ActivationRange(string kind) => kind switch
    {
        "Sigmoid" => (0, 1),
        "Tanh" => (-1, 1),
        "ReLU" or "Softplus" or "ReLU6" => (0, double.PositiveInfinity),
        "ELU" => (-1, double.PositiveInfinity),
        "GELU" => (-0.17, double.PositiveInfinity),
        "LeakyReLU" or "PReLU" or "SiLU" or "Mish" => (double.NegativeInfinity, double.PositiveInfinity),
        "Linear" => (double.NegativeInfinity, double.PositiveInfinity),
        _ => null,
    };

    public static bool IsActivation(string kind) => kind != "Linear" && ActivationRange(kind) is not null;

    /// <summary>Layers with a weight matrix or kernel (rank ≥ 2), in forward order when the probe ran.</summary>
    public List<(string name, nn.Module module)> WeightLayers()
    {
        var order = Forward?.Layers.Select(l => l.Name).ToList();
        var all = LeafModules().Where(m => m.module.named_parameters(recurse: false).Any(p => p.name == "weight" && p.parameter.dim() >= 2)).ToList();
        if (order is null) return all;
        return all.OrderBy(m => order.IndexOf(m.name) is var i and >= 0 ? i : int.MaxValue).ToList();
    }

    /// <summary>The code width: the autoencoder's CodeSize, else the narrowest layer output strictly inside the network.</summary>
    public long? CodeWidth
    {
        get
        {
            if (Model is Autoencoder ae) return ae.CodeSize;
            var layers = Forward?.Layers;
            if (layers is null || layers.Count < 2) return null;
            return layers.Take(layers.Count - 1).Min(l => l.Width);
        }
    }

    /// <summary>Values per sample (the input dimension).</summary>
    public long SampleWidth => Targets is null ? 0 : Targets.numel() / Math.Max(1, Targets.shape[0]);

    // ------------------------------------------------------------------ PCA of the targets

    readonly Lazy<Spectrum?> spectrum;
    public Spectrum? Pca => spectrum.Value;

    Spectrum? ComputeSpectrum()
    {
        if (SampleTargets is null) return null;
        long rows = Math.Min(SampleTargets.shape[0], PcaRows);
        if (rows < 3) return null;
        return Spectrum.Of(SampleTargets.narrow(0, 0, rows));
    }

    // ------------------------------------------------------------------ losses of simple predictors on the sample

    /// <summary>The run's loss for a prediction given as probabilities/values (turned into logits when the loss takes logits).</summary>
    public double LossOf(Tensor prediction, Tensor target)
    {
        if (Loss.TakesLogits)
        {
            var p = prediction.clamp(1e-6, 1 - 1e-6);
            prediction = (p / (1 - p)).log();
        }
        else if (Loss.ExpectsProbabilities) prediction = prediction.clamp(0, 1);
        using (no_grad()) return Loss[prediction, target].item<float>();
    }

    /// <summary>Mean over values of the binary entropy of the targets: the lowest value BCE can reach on them.</summary>
    public static double BinaryEntropyFloor(Tensor targets)
    {
        double sum = 0; long count = 0;
        foreach (var t in targets.ToArray())
        {
            if (!float.IsFinite(t)) continue;
            double p = Math.Clamp((double)t, 0, 1);
            if (p > 0 && p < 1) sum -= p * Math.Log(p) + (1 - p) * Math.Log(1 - p);
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    bool? bce;
    /// <summary>The loss is a binary cross-entropy (on probabilities or logits).</summary>
    public bool IsBce => bce ??= Loss.ExpectsProbabilities || Loss.TakesLogits || Loss.Name.Contains("BCE", StringComparison.OrdinalIgnoreCase);
    public bool IsMse => Loss.Name.Equals("MSE", StringComparison.OrdinalIgnoreCase) || Loss.Name.Contains("squared", StringComparison.OrdinalIgnoreCase);

    /// <summary>The lowest value the run's loss can reach on the sample's targets: the BCE floor for BCE, 0 otherwise.</summary>
    public double Floor => floor ??= IsBce && SampleTargets is not null ? BinaryEntropyFloor(SampleTargets) : 0;
    double? floor;

    /// <summary>The loss of predicting each value's mean over the data (the model ignores its input).</summary>
    public double? MeanBaseline => meanBaseline ??= SampleTargets is null ? null : LossOf(SampleTargets.mean([0], keepdim: true).expand(SampleTargets.shape), SampleTargets);
    double? meanBaseline;

    /// <summary>The loss of returning the input unchanged (0 for x = y with MSE; the BCE floor for x = y with BCE).</summary>
    public double? IdentityBaseline => identityBaseline ??= SampleInputs is null || SampleTargets is null || !SampleInputs.shape.SequenceEqual(SampleTargets.shape)
        ? null : LossOf(SampleInputs, SampleTargets);
    double? identityBaseline;

    /// <summary>
    /// The lowest loss this configuration can be expected to reach: the BCE floor, and for MSE with a code narrower than
    /// the input also what the best linear code of that width leaves (PCA) — the level a stalled curve is judged against.
    /// </summary>
    public double ReachableFloor
    {
        get
        {
            if (reachable is double r) return r;
            double floor = Floor;
            if (IsMse && Pca is { } pca && CodeWidth is long code && code < SampleWidth)
                floor = Math.Max(floor, pca.ResidualMse(code));
            return (reachable = floor).Value;
        }
    }
    double? reachable;

    /// <summary>Like <see cref="Learned"/>, towards <see cref="ReachableFloor"/>: 1 = as good as this width and loss allow.</summary>
    public double? LearnedOfReachable
    {
        get
        {
            if (MeanBaseline is not double mean) return null;
            double room = mean - ReachableFloor;
            if (!(room > 0)) return Learned;
            return 1 - (ModelLoss - ReachableFloor) / room;
        }
    }

    /// <summary>Each probe row's own loss (for how much batch losses vary because of the data alone).</summary>
    public double[]? RowLosses => rowLosses ??= ComputeRowLosses();
    double[]? rowLosses;

    double[]? ComputeRowLosses()
    {
        if (Forward is not { OutputFinite: true } p || SampleTargets is null || !p.Output.shape.SequenceEqual(SampleTargets.shape)) return null;
        long n = SampleTargets.shape[0];
        var losses = new double[n];
        using (no_grad())
            for (long i = 0; i < n; i++) losses[i] = Loss[p.Output.narrow(0, i, 1), SampleTargets.narrow(0, i, 1)].item<float>();
        return losses;
    }

    /// <summary>The model's outputs as values comparable with the targets (probabilities when the loss takes logits).</summary>
    public Tensor? OutputValues => Forward is { } p ? (Loss.TakesLogits ? p.Output.sigmoid() : p.Output) : null;

    /// <summary>The model's loss on the sample, or the run's final training loss without data.</summary>
    public double ModelLoss => Forward is { } p && double.IsFinite(p.Loss) ? p.Loss : Run.FinalTrainLoss;

    /// <summary>
    /// How much of the learnable loss the model removed: 1 − (loss − floor)/(mean baseline − floor). 0 = no better than
    /// predicting the mean, 1 = at the floor. Null without data.
    /// </summary>
    public double? Learned
    {
        get
        {
            if (MeanBaseline is not double mean) return null;
            double room = mean - Floor;
            if (!(room > 0)) return null;
            return 1 - (ModelLoss - Floor) / room;
        }
    }

    public void Measure(string name, double value) => Measurements[name] = value;

    /// <summary>The run stopped at a NaN/∞: the final weights are those of a broken or barely trained model.</summary>
    public bool CutShort => Run.FirstNonFinite is not null;

    /// <summary>Unit-level probes judge the trained model; on a run cut short by NaN/∞ they would judge wreckage.</summary>
    public bool UnitProbesMeaningful
    {
        get
        {
            if (!CutShort) return true;
            if (!notedCutShort) Skipped.Add("unit, collapse and copy probes: the run stopped at a NaN/∞, so the final weights say nothing about training");
            notedCutShort = true;
            return false;
        }
    }
    bool notedCutShort;

    /// <summary>
    /// Per weight layer, ‖∂loss/∂W‖ and ‖W‖ on the probe sample with the final weights (one extra backward pass; the
    /// parameters' .grad are restored). Shows the gradients' size where a diverged run ended, which the run's records,
    /// taken every few steps, can miss.
    /// </summary>
    public Dictionary<string, (double grad, double weight)>? FinalGradients => finalGradients ??= ComputeFinalGradients();
    Dictionary<string, (double grad, double weight)>? finalGradients;

    Dictionary<string, (double grad, double weight)>? ComputeFinalGradients()
    {
        if (SampleInputs is null || SampleTargets is null || Model.parameters().Any(p => !AllFinite(p))) return null;
        var parameters = Model.parameters().ToList();
        var saved = parameters.Select(p => p.grad).ToList();
        bool wasTraining = Model.training;
        try
        {
            foreach (var p in parameters) p.grad = null;
            Model.eval();
            Tensor loss;
            using (enable_grad()) loss = Loss[Model.call(SampleInputs), SampleTargets];
            if (!float.IsFinite(loss.item<float>())) return null;
            loss.backward();
            var result = new Dictionary<string, (double, double)>();
            foreach (var (name, module) in WeightLayers())
            {
                var w = module.named_parameters(recurse: false).First(p => p.name == "weight").parameter;
                if (w.grad is null) continue;
                result[name] = (Stats.Rms(w.grad) * Math.Sqrt(w.numel()), Stats.Rms(w) * Math.Sqrt(w.numel()));
            }
            return result;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { return null; }
        finally
        {
            Model.train(wasTraining);
            for (int i = 0; i < parameters.Count; i++) parameters[i].grad = saved[i];
        }
    }

    /// <summary>The loss curve's verdict, computed by the first check that needs it.</summary>
    public CurveVerdict? Verdict { get; set; }
}
