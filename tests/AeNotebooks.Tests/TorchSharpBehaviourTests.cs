using Xunit.Abstractions;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>
/// Tests that run alone: RSS is process-wide (tests allocating in parallel would move it), and so is libtorch's
/// default generator (a test building a model in parallel draws from it between manual_seed and the draws measured).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}

[Collection(AloneCollection.Name)]
public class MemoryTests(ITestOutputHelper output)
{
    static long RssBytes()
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>
    /// Trainer.Fit with an InputTransform that passes the batch through and samples RSS at two steps (the transform is
    /// the one per-step callback the trainer has). Recording and validation stay on, as in the notebooks.
    /// </summary>
    (double afterWarmUpMb, double atEndMb) TrainAndSample(nn.Module<Tensor, Tensor> model, Tensor data, int batchSize, int warmUpSteps, int totalSteps)
    {
        long atWarmUp = 0, atEnd = 0;
        int stepsPerEpoch = (int)Math.Ceiling(data.shape[0] * 0.9 / batchSize);
        var options = new TrainOptions
        {
            Epochs = (int)Math.Ceiling(totalSteps / (double)stepsPerEpoch), BatchSize = batchSize, Progress = false, ValidationSplit = 0.1, RecordEvery = 20,
            InputTransform = (clean, step) =>
            {
                if (step == warmUpSteps) atWarmUp = RssBytes();
                if (step == totalSteps - 1) atEnd = RssBytes();
                return clean;
            },
        };
        var run = Trainer.Fit(model, null, data, options);
        Assert.True(run.Steps >= totalSteps, $"{run.Steps} steps");
        output.WriteLine($"{run.Steps} steps in {run.Seconds:F1} s; RSS {atWarmUp / 1e6:F1} MB after {warmUpSteps} steps, {atEnd / 1e6:F1} MB at step {totalSteps - 1}");
        return (atWarmUp / 1e6, atEnd / 1e6);
    }

    [Fact]
    public void DenseAutoencoderTrains20000StepsWithoutGrowing()
    {
        manual_seed(0);
        var (warm, end) = TrainAndSample(Models.DenseAutoencoder(784, [128], 32), Datasets.Uniform(1_000, 784, seed: 1), batchSize: 32, warmUpSteps: 1_000, totalSteps: 20_000);
        Assert.True(end - warm < 50, $"RSS grew {end - warm:F1} MB between step 1,000 and step 20,000");
    }

    [Fact]
    public void ConvAutoencoderTrains1000StepsWithoutGrowing()
    {
        manual_seed(0);
        var images = rand([640, 1, 28, 28], generator: new Generator(2));
        var (warm, end) = TrainAndSample(Models.ConvAutoencoder([1, 28, 28], [16, 32]), images, batchSize: 32, warmUpSteps: 100, totalSteps: 1_000);
        Assert.True(end - warm < 50, $"RSS grew {end - warm:F1} MB between step 100 and step 1,000");
    }

    /// <summary>The control: without dispose scopes the same kind of loop does grow, so the two tests above can fail.</summary>
    [Fact]
    public void ALoopWithoutDisposeScopesGrows()
    {
        manual_seed(0);
        var model = Models.DenseAutoencoder(784, [128], 32);
        var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        var data = Datasets.Uniform(1_000, 784, seed: 1);
        GC.TryStartNoGCRegion(1 << 20); // keep the GC's finalizers from freeing the leaked tensors behind our back
        double before = 0;
        try
        {
            for (int step = 0; step < 1_000; step++)
            {
                if (step == 100) before = RssBytesWithoutCollecting();
                var x = data.narrow(0, (step * 32) % 960, 32);
                var loss = nn.functional.mse_loss(model.call(x), x);
                optimizer.zero_grad(); loss.backward(); optimizer.step();
            }
        }
        finally { if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion(); }
        double after = RssBytesWithoutCollecting();
        output.WriteLine($"without scopes: RSS {before / 1e6:F1} MB at step 100, {after / 1e6:F1} MB at step 1,000");
        Assert.True((after - before) / 1e6 > 50, $"grew only {(after - before) / 1e6:F1} MB");
    }

    static long RssBytesWithoutCollecting()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }
}

[Collection(AloneCollection.Name)]
public class DeterminismTests
{
    static List<float> Losses(int threads, long seed)
    {
        int before = get_num_threads();
        set_num_threads(threads);
        try
        {
            manual_seed(seed);
            var model = Models.ConvAutoencoder([1, 16, 16], [8, 16], dropout: 0.1);
            var images = rand([256, 1, 16, 16], generator: new Generator(3));
            var run = Trainer.Fit(model, null, images, new TrainOptions { Epochs = 3, BatchSize = 32, Seed = seed, Progress = false,
                InputTransform = Noise.GaussianEachStep(0.3, seed: seed) });
            return run.StepLosses;
        }
        finally { set_num_threads(before); }
    }

    [Fact]
    public void TheSameSeedGivesTheSameLossesBitForBit()
    {
        var first = Losses(threads: 2, seed: 5);
        var second = Losses(threads: 2, seed: 5);
        Assert.Equal(24, first.Count);
        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), second.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(first, Losses(threads: 2, seed: 6)); // the seed matters (shuffle, noise, dropout)
    }
}

public class DeviceTests
{
    /// <summary>
    /// Only a CPU here, so the test sends the run to libtorch's meta device (shapes without data): the forward pass
    /// runs there only if both the model and the batches were moved, and reading the loss back is what fails.
    /// </summary>
    [Fact]
    public void TheDeviceOptionMovesTheModelAndEveryBatch()
    {
        var model = Models.DenseAutoencoder(16, [8], 4);
        var data = rand(64, 16);
        var error = Assert.ThrowsAny<Exception>(() => Trainer.Fit(model, null, data, new TrainOptions { Epochs = 1, BatchSize = 16, Progress = false, Device = META }));
        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.META, p.device_type));
        Assert.DoesNotContain("same device", error.Message); // the batch was on the model's device
        Assert.Contains("meta", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TheDefaultDeviceIsTheCpu()
    {
        var model = Models.DenseAutoencoder(16, [8], 4);
        var run = Trainer.Fit(model, null, rand(64, 16), new TrainOptions { Epochs = 1, BatchSize = 16, Progress = false });
        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.CPU, p.device_type));
        Assert.True(double.IsFinite(run.FinalTrainLoss));
    }
}
