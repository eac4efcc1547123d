using AeNotebooks.Torch;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Tests;

/// <summary>Trainer.Fit seeds the process-wide default generator; these tests run alone so others don't draw from it meanwhile.</summary>
[CollectionDefinition("default generator", DisableParallelization = true)]
public sealed class DefaultGeneratorCollection;

[Collection("default generator")]
public class TrainingTests
{
    static Tensor Uniform(int rows, int features, long seed) => rand([rows, features], new Generator(seed));

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
}
