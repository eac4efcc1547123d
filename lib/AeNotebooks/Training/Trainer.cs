using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>The training loop the notebooks use: mini-batches, validation, callbacks and recording.</summary>
public static class Trainer
{
    /// <summary>
    /// Trains `model` to map `inputs` to `targets` (inputs null: x = y, or the InputTransform's output).
    /// Returns what happened; the model is trained in place.
    /// </summary>
    public static TrainingRun Fit(nn.Module<Tensor, Tensor> model, Tensor? inputs, Tensor targets, TrainOptions? options = null, string? name = null)
    {
        options ??= new TrainOptions();
        inputs ??= targets;
        bool reconstructsInputs = ReferenceEquals(inputs, targets); // x = y: one batch serves as both
        if (inputs.shape[0] != targets.shape[0])
            throw new ArgumentException($"Trainer.Fit: inputs have {inputs.shape[0]} rows ({Shape(inputs)}) but targets have {targets.shape[0]} ({Shape(targets)})");
        if (options.BatchSize <= 0 || options.Epochs < 0)
            throw new ArgumentException($"Trainer.Fit: batch size {options.BatchSize} and epochs {options.Epochs} must be positive");

        var device = options.Device ?? CPU;
        model.to(device);
        var (trainX, trainY, valX, valY) = SplitValidation(inputs, targets, options);
        var run = new TrainingRun(name ?? $"{options.Loss} · {options.Optimizer}", model, options);
        run.Inputs = trainX; run.Targets = trainY; // for Doctor.Examine(run)
        trainX = trainX.to(device); trainY = reconstructsInputs ? trainX : trainY.to(device);
        manual_seed(options.Seed); // dropout and anything else drawing from the default generator
        var order = Seeds.Torch(options.Seed);
        var optimizer = options.Optimizer.Create(model.parameters());
        var recorder = new Recorder(model, run);
        var progress = ProgressDisplay.Create(options.Progress, run.Name, options.Epochs);
        var plateau = options.ReduceLROnPlateau is { } p
            ? optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor: p.Factor, patience: p.Patience, min_lr: [p.MinLr]) : null;
        var namedParameters = model.named_parameters().ToArray();
        var parameters = namedParameters.Select(np => np.parameter).ToArray();

        long n = trainX.shape[0];
        int step = 0;
        double bestMonitored = double.PositiveInfinity;
        int epochsSinceBest = 0;
        Dictionary<string, Tensor>? bestWeights = null;
        var clock = Stopwatch.StartNew();

        for (int epoch = 1; epoch <= options.Epochs && run.FirstNonFinite is null; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            double lossSum = 0; int lossCount = 0;
            model.train();
            using (var epochScope = NewDisposeScope())
            {
                // one shuffle per epoch: a gather of the whole set, then every batch is a view (narrow)
                Tensor xs = trainX, ys = trainY;
                if (options.Shuffle)
                {
                    var rows = randperm(n, generator: order).to(device);
                    ys = trainY.index_select(0, rows);
                    xs = reconstructsInputs ? ys : trainX.index_select(0, rows);
                }
                for (long start = 0; start < n; start += options.BatchSize, step++)
                {
                    using var stepScope = NewDisposeScope();
                    long length = Math.Min(options.BatchSize, n - start);
                    var yb = ys.narrow(0, start, length);
                    var xb = options.InputTransform is { } transform ? transform(yb, step) : reconstructsInputs ? yb : xs.narrow(0, start, length);

                    recorder.Sampling = options.RecordEvery > 0 && step % options.RecordEvery == 0;
                    recorder.Step = step;
                    var loss = options.Loss[model.call(xb), yb];
                    float value = loss.item<float>();
                    run.StepLosses.Add(value);
                    if (!float.IsFinite(value))
                    {
                        // the gradients of the previous step are still there (zero_grad comes below): if they were the first
                        // non-finite values, name that step, whose update then spread them into the weights
                        run.FirstNonFinite ??= step > 0 && NonFiniteTracer.FirstNonFiniteGradient(namedParameters) is { } earlier
                            ? GradientEvent(earlier, step - 1, epoch, afterUpdate: true)
                            : NonFiniteTracer.Trace(model, namedParameters, xb, yb, options.Loss, step, epoch);
                        if (options.StopOnNonFinite) { run.StopReason = $"the loss became {value} at step {step}"; break; }
                        continue;
                    }
                    lossSum += value; lossCount++;

                    optimizer.zero_grad();
                    loss.backward();
                    if (recorder.Sampling) recorder.RecordGradients(namedParameters, step);
                    // a non-finite gradient after a finite loss is caught when the next loss comes out non-finite (above), or at
                    // the end of the epoch: checking every step cost tiny models a tenth of their step. Clipping computes the
                    // norm anyway, so there it is caught before the update.
                    if (options.ClipGradNorm is double maxNorm && !double.IsFinite(nn.utils.clip_grad_norm_(parameters, maxNorm))
                        && NonFiniteTracer.FirstNonFiniteGradient(namedParameters) is { } bad)
                    {
                        run.FirstNonFinite ??= GradientEvent(bad, step, epoch, afterUpdate: false);
                        if (options.StopOnNonFinite) { run.StopReason = $"a gradient became non-finite at step {step}"; break; }
                    }
                    optimizer.step();
                }
            }
            recorder.Sampling = false;
            if (run.FirstNonFinite is null && NonFiniteTracer.FirstNonFiniteGradient(namedParameters) is { } lastBad)
            {
                run.FirstNonFinite = GradientEvent(lastBad, step - 1, epoch, afterUpdate: true);
                if (options.StopOnNonFinite) run.StopReason = $"a gradient became non-finite at step {step - 1}";
            }

            double trainLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
            double? valLoss = valX is null ? null : Evaluate(model, valX, valY!, options.Loss, device: device);
            run.Epochs.Add(new EpochRecord(epoch, trainLoss, valLoss, optimizer.LearningRate(), epochClock.Elapsed.TotalSeconds));
            progress.Report(run);
            if (run.FirstNonFinite is not null && options.StopOnNonFinite) break;

            double monitored = valLoss ?? trainLoss;
            plateau?.step(monitored);
            if (monitored < bestMonitored - (options.EarlyStopping?.MinDelta ?? 0))
            {
                bestMonitored = monitored; epochsSinceBest = 0; run.BestEpoch = epoch;
                if (options.EarlyStopping is { RestoreBestWeights: true }) { DisposeAll(bestWeights); bestWeights = Snapshot(model); }
            }
            else if (options.EarlyStopping is { } early && ++epochsSinceBest >= early.Patience)
            {
                run.StopReason = $"early stopping: no improvement for {early.Patience} epochs (best epoch {run.BestEpoch})";
                break;
            }
        }

        if (bestWeights is not null && options.EarlyStopping is { RestoreBestWeights: true })
        {
            using (no_grad()) model.load_state_dict(bestWeights);
            DisposeAll(bestWeights);
            if (run.StopReason.StartsWith("early")) run.StopReason += "; best weights restored";
        }
        recorder.Dispose();
        model.eval();
        run.Seconds = clock.Elapsed.TotalSeconds;
        progress.Finish(run);
        return run;
    }

    static NonFiniteEvent GradientEvent(string parameter, int step, int epoch, bool afterUpdate) =>
        new(step, epoch, $"gradient of {parameter}", "the loss was finite but backpropagation overflowed" +
            (afterUpdate ? "; that step's update wrote it into the weights" : ""));

    /// <summary>Mean loss over a data set, in eval mode without recording a graph, batch by batch on `device` (default: where the model is).</summary>
    public static double Evaluate(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, LossFunction loss, int batchSize = 1024, Device? device = null)
    {
        bool wasTraining = model.training;
        model.eval();
        device ??= model.parameters().FirstOrDefault()?.device ?? CPU;
        double sum = 0; long count = inputs.shape[0];
        using (no_grad())
            for (long start = 0; start < count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long len = Math.Min(batchSize, count - start);
                var x = inputs.narrow(0, start, len).to(device);
                var y = ReferenceEquals(inputs, targets) ? x : targets.narrow(0, start, len).to(device);
                sum += loss[model.call(x), y].item<float>() * (double)len;
            }
        model.train(wasTraining);
        return sum / count;
    }

    static (Tensor x, Tensor y, Tensor? vx, Tensor? vy) SplitValidation(Tensor inputs, Tensor targets, TrainOptions options)
    {
        if (options.ValidationInputs is { } vx)
            return (inputs, targets, vx, options.ValidationTargets ?? vx);
        if (options.ValidationSplit <= 0) return (inputs, targets, null, null);
        if (options.ValidationSplit >= 1) throw new ArgumentOutOfRangeException(nameof(options), options.ValidationSplit, "ValidationSplit must be in [0, 1)");
        long n = inputs.shape[0], held = (long)Math.Round(n * options.ValidationSplit), kept = n - held;
        if (held == 0 || kept == 0) throw new ArgumentException($"ValidationSplit {options.ValidationSplit} of {n} rows leaves an empty split");
        return (inputs.narrow(0, 0, kept), targets.narrow(0, 0, kept), inputs.narrow(0, kept, held), targets.narrow(0, kept, held));
    }

    /// <summary>A copy of the weights that no dispose scope owns (it outlives the epoch it was taken in).</summary>
    static Dictionary<string, Tensor> Snapshot(nn.Module model) => model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());

    static void DisposeAll(Dictionary<string, Tensor>? weights)
    {
        if (weights is null) return;
        foreach (var t in weights.Values) t.Dispose();
    }

    static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
