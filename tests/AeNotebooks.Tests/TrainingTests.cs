using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>Trainer.Fit seeds the process-wide default generator; these tests run alone so others don't draw from it meanwhile.</summary>
[CollectionDefinition("default generator", DisableParallelization = true)]
public sealed class DefaultGeneratorCollection;

[Collection("default generator")]
public class TrainingTests
{
    static Tensor Uniform(int rows, int features, long seed) => rand([rows, features], generator: new Generator((ulong)(seed)));

    [Fact]
    public void FitRecordsEpochsStepsAndLayerStatistics()
    {
        var data = Uniform(512, 4, 1);
        var model = Models.DenseAutoencoder(4, [8], 2);
        var run = Trainer.Fit(model, null, data, new TrainOptions { Epochs = 3, BatchSize = 64, RecordEvery = 4, ValidationSplit = 0.25, Progress = false });
        Assert.Equal(3, run.Epochs.Count);
        Assert.Equal(3 * 6, run.Steps); // 384 training rows / 64
        Assert.All(run.Epochs, e => Assert.NotNull(e.ValidationLoss));
        Assert.Equal(["encoder.linear0", "encoder.relu0", "encoder.linear1", "encoder.relu1", "decoder.linear0", "decoder.relu0", "decoder.linear1", "decoder.sigmoid1"], run.Activations.Keys);
        Assert.All(run.Activations.Values, samples => Assert.Equal(new[] { 0, 4, 8, 12, 16 }, samples.Select(s => s.Step)));
        Assert.All(run.Activations["decoder.sigmoid1"], s => Assert.InRange(s.Min, 0, 1));
        Assert.Equal(8, run.GradientNorms.Count); // weight and bias of four Linear layers
        Assert.Contains("final train loss", run.ToText());
    }

    [Fact]
    public void TheSameSeedGivesTheSameRun()
    {
        TrainingRun Once()
        {
            manual_seed(5);
            var model = Models.DenseAutoencoder(6, [5], 3, dropout: 0.2);
            return Trainer.Fit(model, null, Uniform(256, 6, 2), new TrainOptions { Epochs = 2, BatchSize = 32, Seed = 9, Progress = false });
        }
        Assert.Equal(Once().StepLosses, Once().StepLosses);
    }

    [Fact]
    public void FitTrainsALinearAutoencoderToNearZero()
    {
        manual_seed(0);
        var run = Trainer.Fit(Models.LinearAutoencoder(2, 2), null, Uniform(4096, 2, 3),
            new TrainOptions { Epochs = 40, BatchSize = 64, Optimizer = Optimizers.Adam(1e-2), Progress = false });
        Assert.True(run.FinalTrainLoss < 1e-4, $"final loss {run.FinalTrainLoss}");
        Assert.NotNull(run.EpochBelow(1e-3));
    }

    [Fact]
    public void EarlyStoppingRestoresTheBestWeights()
    {
        manual_seed(0);
        var train = Uniform(256, 8, 4);
        var validation = Uniform(64, 8, 5);
        var model = Models.DenseAutoencoder(8, [32], 8, output: Activation.Linear);
        // a learning rate this large makes the validation loss bounce, so the best epoch is not the last
        var run = Trainer.Fit(model, null, train, new TrainOptions
        {
            Epochs = 30, BatchSize = 16, Optimizer = Optimizers.Sgd(0.5, momentum: 0.9), ValidationInputs = validation,
            EarlyStopping = new EarlyStopping(Patience: 3), StopOnNonFinite = false, Progress = false,
        });
        Assert.NotNull(run.BestEpoch);
        var best = run.Epochs[run.BestEpoch!.Value - 1].ValidationLoss!.Value;
        if (run.StopReason.StartsWith("early"))
            Assert.True(run.Epochs.Count == run.BestEpoch + 3, $"stopped after {run.Epochs.Count} epochs, best {run.BestEpoch}");
        var restored = Trainer.Evaluate(model, validation, validation, Losses.Mse);
        Assert.Equal(best, restored, 5);
    }

    [Fact]
    public void NaNInTheDataStopsAtTheFirstStepAndIsTracedToTheInput()
    {
        var values = Uniform(128, 2, 6).ToArray();
        values[2 * 40 + 1] = float.NaN; // row 40 has a missing value
        var data = tensor(values, [128, 2]);
        var run = Trainer.Fit(Models.LinearAutoencoder(2, 1), null, data, new TrainOptions { Epochs = 5, BatchSize = 128, Shuffle = false, Progress = false });
        Assert.NotNull(run.FirstNonFinite);
        Assert.Equal(0, run.FirstNonFinite!.Step);
        Assert.Equal("the input batch", run.FirstNonFinite.Where);
        Assert.Contains("1 of 256", run.FirstNonFinite.Detail);
        Assert.StartsWith("the loss became NaN", run.StopReason);
    }

    [Fact]
    public void OverflowIsTracedToTheLayerThatProducedIt()
    {
        // inputs near float32's limit (3.4e38) and all-ones weights: the first layer's sums overflow to +∞
        var data = Uniform(64, 3, 7).mul(1e38).add(2e38);
        var model = Models.DenseAutoencoder(3, [4], 2, output: Activation.Linear);
        foreach (var p in model.parameters()) nn.init.constant_(p, 1);
        var run = Trainer.Fit(model, null, data, new TrainOptions { Epochs = 1, BatchSize = 64, Progress = false });
        Assert.NotNull(run.FirstNonFinite);
        Assert.Equal("layer encoder.linear0 (Linear)", run.FirstNonFinite!.Where);
        Assert.Equal("linear", run.FirstNonFinite.Op);
    }

    [Fact]
    public void ALossThatOverflowsIsBlamedOnTheLoss()
    {
        // every layer is finite, but squared errors of ~1e37 exceed float32
        var data = Uniform(64, 3, 7).mul(3e37);
        var model = Models.DenseAutoencoder(3, [4], 2, output: Activation.Sigmoid);
        var run = Trainer.Fit(model, null, data, new TrainOptions { Epochs = 1, BatchSize = 64, Progress = false });
        Assert.StartsWith("the loss (MSE)", run.FirstNonFinite!.Where);
        Assert.Contains("targets in [", run.FirstNonFinite.Detail);
        Assert.Equal("mse_loss", run.FirstNonFinite.Op);
    }

    [Fact]
    public void InputTransformMakesFreshInputsEachStep()
    {
        var seen = new List<int>();
        var clean = Uniform(100, 3, 8);
        Trainer.Fit(Models.LinearAutoencoder(3, 3), null, clean, new TrainOptions
        {
            Epochs = 2, BatchSize = 50, Progress = false,
            InputTransform = (batch, step) => { seen.Add(step); return batch.add(0.1); },
        });
        Assert.Equal([0, 1, 2, 3], seen);
    }

    [Fact]
    public void BadShapesAndOptionsGiveClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(Models.LinearAutoencoder(2, 1), rand(10, 2), rand(9, 2)));
        Assert.Contains("10 rows", e.Message);
        Assert.Contains("9", e.Message);
        Assert.Throws<ArgumentException>(() => Trainer.Fit(Models.LinearAutoencoder(2, 1), null, rand(10, 2), new TrainOptions { BatchSize = 0 }));
    }

    // ------------------------------------------------------------------ the per-step work, made cheap (fit_overhead benchmark)

    /// <summary>The recorder's statistics as first written: one plain pass over the values.</summary>
    static (double mean, double std, double zero, double saturated, double min, double max, int[] histogram) OnePass(
        float[] values, double low, double high, float saturatedLow, float saturatedHigh)
    {
        const int bins = 40;
        double sum = 0, sumSq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        int zeros = 0, saturated = 0;
        var histogram = new int[bins];
        foreach (var v in values)
        {
            sum += v; sumSq += (double)v * v;
            if (v < min) min = v;
            if (v > max) max = v;
            if (v == 0) zeros++;
            if (v < saturatedLow || v > saturatedHigh) saturated++;
            if (v >= low && v <= high) histogram[Math.Min(bins - 1, (int)((v - low) / (high - low) * bins))]++;
        }
        int n = Math.Max(values.Length, 1);
        double mean = sum / n;
        return (mean, Math.Sqrt(Math.Max(0, sumSq / n - mean * mean)), (double)zeros / n, (double)saturated / n, min, max, histogram);
    }

    public static TheoryData<string> ValueSets => new() { "normal", "relu", "sigmoid", "bin edges", "non-finite", "empty", "odd length" };

    static float[] Values(string name)
    {
        var g = new Generator((ulong)(11));
        float[] Normal(int n) => randn([n], generator: g).mul(3).ToArray();
        return name switch
        {
            "normal" => Normal(12_800),
            "relu" => Normal(12_803).Select(v => Math.Max(0, v)).ToArray(),
            "sigmoid" => Normal(1000).Select(v => 1 / (1 + MathF.Exp(-3 * v))).ToArray(),
            // every value a multiple of 1/4 from −11 to 11: on and beyond the bin edges of (−10, 10) and (0, 1)
            "bin edges" => Enumerable.Range(-44, 89).Select(i => i / 4f).Concat([-0f, 0.5f, 0.25f, 1f, 0.01f, 0.99f]).ToArray(),
            "non-finite" => [.. Normal(37), float.NaN, float.PositiveInfinity, 1, float.NegativeInfinity, float.NaN, 0, -0f, 5],
            "empty" => [],
            "odd length" => Normal(13),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory, MemberData(nameof(ValueSets))]
    public void ActivationStatisticsAreThoseOfOnePlainPass(string valueSet)
    {
        var values = Values(valueSet);
        foreach (var (low, high, saturatedLow, saturatedHigh) in new[] { (-10.0, 10.0, float.NegativeInfinity, float.PositiveInfinity), (0.0, 1.0, 0.01f, 0.99f), (0.0, 10.0, -0.99f, 0.99f) })
        {
            var expected = OnePass(values, low, high, saturatedLow, saturatedHigh);
            var actual = Recorder.Describe(values, 7, low, high, saturatedLow, saturatedHigh);
            Assert.Equal(expected.mean, actual.Mean);
            Assert.Equal(expected.std, actual.Std);
            Assert.Equal(expected.zero, actual.FractionZero);
            Assert.Equal(expected.saturated, actual.FractionSaturated);
            Assert.Equal(expected.min, actual.Min);
            Assert.Equal(expected.max, actual.Max);
            Assert.Equal(expected.histogram, actual.Histogram);
            Assert.Equal((7, low, high), (actual.Step, actual.HistogramLow, actual.HistogramHigh));
        }
    }

    [Fact]
    public void TheGradientCheckFindsNaNAndInfinityAndLeavesTheGradientsAlone()
    {
        var model = Models.DenseAutoencoder(4, [3], 2);
        var x = rand(8, 4);
        Losses.Mse[model.forward(x), x].backward();
        var named = model.named_parameters().ToArray();
        Assert.Null(NonFiniteTracer.FirstNonFiniteGradient(named));

        var before = named.Select(p => p.parameter.grad!.ToArray()).ToArray();
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var grad = named[2].parameter.grad!; // encoder.linear1.weight
            float kept = grad.data<float>()[3];
            using (no_grad()) grad.copy_(tensor(grad.ToArray().Select((v, i) => i == 3 ? bad : v).ToArray(), grad.shape));
            Assert.Equal(named[2].name, NonFiniteTracer.FirstNonFiniteGradient(named));
            using (no_grad()) grad.copy_(tensor(grad.ToArray().Select((v, i) => i == 3 ? kept : v).ToArray(), grad.shape));
        }
        // finite values near float's limit are finite, and checking changes no gradient
        using (no_grad()) named[0].parameter.grad!.fill_(3e38);
        Assert.Null(NonFiniteTracer.FirstNonFiniteGradient(named));
        Assert.All(named[0].parameter.grad!.ToArray(), v => Assert.Equal(3e38f, v));
        Assert.All(named.Skip(1).Select((p, i) => (p, i)), t => Assert.Equal(before[t.i + 1], t.p.parameter.grad!.ToArray()));
    }

    [Fact]
    public void AnAutoencodersBatchIsBothInputAndTargetAndTheRunIsUnchanged()
    {
        // Fit(x, x) takes each batch once; passing a copy as the inputs takes it twice: same steps, same weights
        TrainingRun Once(Tensor? inputs, Tensor targets)
        {
            manual_seed(3);
            return Trainer.Fit(Models.DenseAutoencoder(6, [5], 3), inputs, targets, new TrainOptions { Epochs = 2, BatchSize = 16, Seed = 4, Progress = false });
        }
        var data = Uniform(64, 6, 12);
        var same = Once(null, data);
        var copied = Once(data.clone(), data);
        Assert.Equal(same.StepLosses, copied.StepLosses);
        Assert.Equal(same.Model.parameters().SelectMany(p => p.ToArray()), copied.Model.parameters().SelectMany(p => p.ToArray()));
    }
}
