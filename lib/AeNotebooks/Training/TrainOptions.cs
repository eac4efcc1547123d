using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>Everything Trainer.Fit needs besides the model and the data.</summary>
public sealed class TrainOptions
{
    public LossFunction Loss { get; init; } = Losses.Mse;
    public OptimizerSpec Optimizer { get; init; } = Optimizers.Adam(1e-3);
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public bool Shuffle { get; init; } = true;
    /// <summary>Seeds shuffling, dropout and the input transform.</summary>
    public long Seed { get; init; } = 0;

    /// <summary>Held-out inputs; targets default to the inputs (x = y).</summary>
    public Tensor? ValidationInputs { get; init; }
    public Tensor? ValidationTargets { get; init; }
    /// <summary>Fraction of rows, taken from the end before shuffling (as Keras does), held out for validation.</summary>
    public double ValidationSplit { get; init; }

    /// <summary>Makes each batch's inputs from its clean targets, e.g. fresh noise every step: (clean, step) → noisy.</summary>
    public Func<Tensor, int, Tensor>? InputTransform { get; init; }

    public EarlyStopping? EarlyStopping { get; init; }
    /// <summary>Stop at the first NaN/±∞ loss or gradient (and record where it appeared).</summary>
    public bool StopOnNonFinite { get; init; } = true;
    public PlateauSchedule? ReduceLROnPlateau { get; init; }
    /// <summary>Clip the joint gradient norm to this value each step.</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Record per-layer gradient norms and activation statistics every this many steps (0 = never).</summary>
    public int RecordEvery { get; init; } = 20;
    /// <summary>Where the model and each batch go (default CPU); with TorchSharp-cuda, e.g. <c>torch.CUDA</c>.</summary>
    public Device? Device { get; init; }
    /// <summary>Show progress (a live display in a notebook, a line per epoch on a console).</summary>
    public bool Progress { get; init; } = true;
}

/// <summary>Stop when the monitored loss has not improved by MinDelta for Patience epochs.</summary>
public sealed record EarlyStopping(int Patience = 5, double MinDelta = 0, bool RestoreBestWeights = true);

/// <summary>Multiply the learning rate by Factor when the monitored loss stalls for Patience epochs.</summary>
public sealed record PlateauSchedule(double Factor = 0.5, int Patience = 3, double MinLr = 1e-6);
