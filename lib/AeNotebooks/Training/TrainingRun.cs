using System.Globalization;
using AeNotebooks.Rendering;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

public sealed record EpochRecord(int Epoch, double TrainLoss, double? ValidationLoss, double LearningRate, double Seconds);

/// <summary>Statistics of one layer's output at one step.</summary>
public sealed record ActivationSample(int Step, double Mean, double Std, double FractionZero, double FractionSaturated, double Min, double Max, int[] Histogram, double HistogramLow, double HistogramHigh);

public sealed record GradientSample(int Step, double Norm);

/// <summary>Where the first NaN or ±∞ appeared: the step, the layer (or data, parameter, loss) and the engine op.</summary>
public sealed record NonFiniteEvent(int Step, int Epoch, string Where, string Detail, string? Op = null)
{
    public override string ToString() => $"step {Step} (epoch {Epoch}): {Where}{(Op is null ? "" : $", op '{Op}'")} — {Detail}";
}

/// <summary>What happened while training: losses, timings, per-layer statistics, and why it stopped.</summary>
// its mime types (a picture of its chart where a Chromium draws one) come from KernelFormatters
[TypeFormatterSource(typeof(RenderableFormatterSource))]
public sealed class TrainingRun : IChartRenderable
{
    public string Name { get; set; }
    public nn.Module<Tensor, Tensor> Model { get; }
    public TrainOptions Options { get; }
    public List<EpochRecord> Epochs { get; } = new();
    public List<float> StepLosses { get; } = new();
    /// <summary>Per parameter tensor (dotted name): gradient L2 norm at sampled steps.</summary>
    public Dictionary<string, List<GradientSample>> GradientNorms { get; } = new();
    /// <summary>Per parameter tensor: its own L2 norm at the same sampled steps (before that step's update), so ‖g‖/‖W‖ is exact.</summary>
    public Dictionary<string, List<GradientSample>> WeightNorms { get; } = new();
    /// <summary>Per leaf layer (dotted name): output statistics at sampled steps.</summary>
    public Dictionary<string, List<ActivationSample>> Activations { get; } = new();
    public NonFiniteEvent? FirstNonFinite { get; internal set; }
    /// <summary>The training split the run was fitted on (references, not copies): inputs as passed (the targets for x = y) and targets. Doctor.Examine(run) reads them.</summary>
    public Tensor? Inputs { get; internal set; }
    public Tensor? Targets { get; internal set; }
    public string StopReason { get; internal set; } = "finished all epochs";
    public int? BestEpoch { get; internal set; }
    public double Seconds { get; internal set; }
    public int Steps => StepLosses.Count;

    internal TrainingRun(string name, nn.Module<Tensor, Tensor> model, TrainOptions options) { Name = name; Model = model; Options = options; }

    public double FinalTrainLoss => Epochs.Count > 0 ? Epochs[^1].TrainLoss : double.NaN;
    public double? FinalValidationLoss => Epochs.Count > 0 ? Epochs[^1].ValidationLoss : null;
    public double BestTrainLoss => Epochs.Count > 0 ? Epochs.Min(e => double.IsNaN(e.TrainLoss) ? double.PositiveInfinity : e.TrainLoss) : double.NaN;
    public bool Diverged => FirstNonFinite is not null;

    /// <summary>The first epoch (1-based) whose training loss fell below `threshold`, or null.</summary>
    public int? EpochBelow(double threshold) => Epochs.FirstOrDefault(e => e.TrainLoss < threshold)?.Epoch;

    public Table Summary()
    {
        static string F(double? v) => v is double d ? d.ToString(Math.Abs(d) < 1e-3 && d != 0 ? "E3" : "F5", CultureInfo.InvariantCulture) : "—";
        var rows = new List<string[]>
        {
            new[] { "model", Model is Autoencoder a ? a.Description : Model.Kind() },
            new[] { "loss / optimizer", $"{Options.Loss} / {Options.Optimizer}" },
            new[] { "epochs run", $"{Epochs.Count} of {Options.Epochs} ({Steps} steps, batch {Options.BatchSize})" },
            new[] { "final train loss", F(FinalTrainLoss) },
            new[] { "final validation loss", F(FinalValidationLoss) },
            new[] { "best train loss", F(BestTrainLoss) },
            new[] { "stopped because", StopReason },
            new[] { "first NaN/Inf", FirstNonFinite?.ToString() ?? "none" },
            new[] { "time", $"{Seconds:F2} s" },
        };
        return new Table(Name, ["", ""], rows);
    }

    public string ToText() => Summary().ToText();
    /// <summary>The loss chart (<see cref="Plots.Loss"/>).</summary>
    public Plotly.NET.GenericChart Chart => Plots.Loss(this);
    public string ToHtml() => Summary().ToHtml() + Chart.ToHtml();
    public override string ToString() => ToText();
}
