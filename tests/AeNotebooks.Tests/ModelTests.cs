using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>Builds models right after manual_seed and trains with Trainer.Fit (which seeds the default generator), so it runs alone.</summary>
[Collection("default generator")]
public class ModelTests
{
    static readonly Dictionary<string, long> TorchParameterCounts = Fixture<Dictionary<string, long>>("model_sizes.json");

    /// <summary>Each leaf layer of the PyTorch twin, in forward order: "&lt;class&gt; &lt;parameter count&gt;".</summary>
    static readonly Dictionary<string, string[]> TorchLayers = Fixture<Dictionary<string, string[]>>("model_layers.json");

    static T Fixture<T>(string file) => JsonSerializer.Deserialize<T>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", file)))!;

    /// <summary>Every twin in tests/fixtures/model_sizes.py, built by the helper library.</summary>
    internal static Autoencoder Build(string name) => name switch
    {
        "dense_784_128_32" => Models.DenseAutoencoder(784, [128], 32),
        "dense_100_100x2_100" => Models.DenseAutoencoder(100, [100, 100], 100),
        "dense_2_none_1" => Models.DenseAutoencoder(2, [], 1),
        "linear_2_2" => Models.LinearAutoencoder(2, 2),
        "linear_100_32" => Models.LinearAutoencoder(100, 32),
        "dense_784_128_32_bn" => Models.DenseAutoencoder(784, [128], 32, batchNorm: true),
        "dense_100_100x2_100_bn" => Models.DenseAutoencoder(100, [100, 100], 100, batchNorm: true),
        "dense_2_none_1_bn" => Models.DenseAutoencoder(2, [], 1, batchNorm: true),
        "conv_01_rgb32_code32" => Models.ConvAutoencoder([3, 32, 32], [32, 16], dense: [32]),
        "conv_02_mnist_dense128_64_strided" => Models.ConvAutoencoder([1, 28, 28], [32, 64], dense: [128, 64], upsampling: Upsampling.StridedTranspose),
        "conv_02_mnist_dense128_64_strided_bn" => Models.ConvAutoencoder([1, 28, 28], [32, 64], dense: [128, 64], upsampling: Upsampling.StridedTranspose, batchNorm: true),
        "conv_04_mnist" => Models.ConvAutoencoder([1, 28, 28], [32, 64]),
        "conv_04_mnist_leaky_bn" => Models.ConvAutoencoder([1, 28, 28], [32, 64], activation: Activation.LeakyReLU, batchNorm: true),
        "conv_04_mnist_dropout" => Models.ConvAutoencoder([1, 28, 28], [32, 64], dropout: 0.2),
        "conv_04_rgb28_k7_linear" => Models.ConvAutoencoder([3, 28, 28], [32, 64], kernel: 7, output: Activation.Linear),
        "conv_mnist_strided_bn" => Models.ConvAutoencoder([1, 28, 28], [32, 64], upsampling: Upsampling.StridedTranspose, batchNorm: true),
        "conv_rgb32_3stages_code16_bn" => Models.ConvAutoencoder([3, 32, 32], [16, 32, 64], dense: [16], kernel: 5, batchNorm: true),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string> Architectures => new(TorchParameterCounts.Keys.Order());

    [Theory, MemberData(nameof(Architectures))]
    public void ParameterCountsMatchThePyTorchTwin(string architecture)
        => Assert.Equal(TorchParameterCounts[architecture], Build(architecture).ParameterCount());

    [Theory, MemberData(nameof(Architectures))]
    public void LayerSequencesMatchThePyTorchTwin(string architecture)
    {
        var ours = Build(architecture).named_modules()
            .Where(m => !m.module.children().Any())
            .Select(m => $"{m.module.Kind()} {m.module.ParameterCount()}").ToArray();
        Assert.Equal(TorchLayers[architecture], ours);
    }

    [Fact]
    public void TheFixturesCoverTheBuilders()
    {
        Assert.True(TorchParameterCounts.Count >= 17, $"model_sizes.json has {TorchParameterCounts.Count} twins; regenerate it with tests/fixtures/model_sizes.py");
        Assert.Equal(TorchParameterCounts.Keys.Order(), TorchLayers.Keys.Order());
    }

    [Fact]
    public void DenseAutoencoderTakesImagesAndReturnsTheirShape()
    {
        var model = Models.DenseAutoencoder(784, [128], 32);
        var images = rand(5, 1, 28, 28);
        Assert.Equal(new long[] { 5, 1, 28, 28 }, model.forward(images).shape);
        Assert.Equal(new long[] { 5, 32 }, model.encode(images).shape);
        Assert.Equal(32, model.CodeSize);
    }

    [Fact]
    public void OutputActivationBoundsTheReconstruction()
    {
        var y = Models.DenseAutoencoder(10, [8], 4, output: Activation.Sigmoid).forward(randn(64, 10).mul(50));
        Assert.All(y.ToArray(), v => Assert.InRange(v, 0f, 1f));
        var linear = Models.DenseAutoencoder(10, [8], 4, output: Activation.Linear);
        Assert.DoesNotContain(linear.decoder.named_children(), c => c.module.Kind() == "Sigmoid");
    }

    [Fact]
    public void SummaryListsEveryLayerWithShapesAndTotals()
    {
        var table = Models.DenseAutoencoder(784, [128], 32).Summary();
        Assert.Equal(["encoder.linear0", "encoder.relu0", "encoder.linear1", "encoder.relu1", "decoder.linear0", "decoder.relu0", "decoder.linear1", "decoder.sigmoid1", "total"],
            table.Rows.Select(r => r[0]).ToArray());
        Assert.Equal("[32]", table.Rows[2][2]);
        Assert.Equal("209,968", table.Rows[^1][3]);
        Assert.Contains("<table", Models.DenseAutoencoder(4, [], 2).ToHtml());
    }

    [Fact]
    public void ShapeErrorsNameTheLayer()
    {
        var model = Models.DenseAutoencoder(784, [128], 32);
        var error = Assert.Throws<ArgumentException>(() => model.forward(rand(3, 100)));
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (3x100 and 784x128)", error.Message); // libtorch's words
        Assert.Contains("layer encoder.linear0 (Linear) cannot take an input of shape [3, 100]", error.Message);
    }

    [Fact]
    public void InitOptionsChangeTheWeightScale()
    {
        manual_seed(0);
        var small = Models.DenseAutoencoder(256, [256], 256, init: Init.SmallNormal);
        var kaiming = Models.DenseAutoencoder(256, [256], 256, init: Init.KaimingNormal);
        static double Std(Autoencoder m) => m.parameters().First().ToArray().Select(v => (double)v * v).Average() is var ms ? Math.Sqrt(ms) : 0;
        Assert.InRange(Std(small), 0.009, 0.011);
        Assert.InRange(Std(kaiming), Math.Sqrt(2.0 / 256) * 0.95, Math.Sqrt(2.0 / 256) * 1.05);
        Assert.All(small.parameters().Where(p => p.dim() == 1), b => Assert.All(b.ToArray(), v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void DenseBatchNormSitsBetweenEachHiddenLinearAndItsActivation()
    {
        var table = Models.DenseAutoencoder(784, [128], 32, batchNorm: true).Summary();
        Assert.Equal(["encoder.linear0", "encoder.bn0", "encoder.relu0", "encoder.linear1", "encoder.relu1",
                      "decoder.linear0", "decoder.bn0", "decoder.relu0", "decoder.linear1", "decoder.sigmoid1", "total"],
            table.Rows.Select(r => r[0]).ToArray());
        Assert.Equal("[128]", table.Rows[1][2]);
        Assert.Equal("210,480", table.Rows[^1][3]);
        Assert.DoesNotContain(Models.DenseAutoencoder(784, [128], 32).modules(), m => m is TorchSharp.Modules.BatchNorm);
    }

    [Fact]
    public void BatchNormUsesBatchStatisticsInTrainingAndRunningStatisticsInEval()
    {
        manual_seed(0);
        var model = Models.DenseAutoencoder(16, [8], 4, batchNorm: true);
        var norms = model.modules().OfType<TorchSharp.Modules.BatchNorm>().ToArray();
        Assert.Equal(2, norms.Length); // encoder and decoder hidden layers
        var x = randn(32, 16).mul(3).add(1);
        float[] FirstRow(Tensor batch) { using (no_grad()) return model.forward(batch).narrow(0, 0, 1).ToArray(); }

        // training: each sample's output depends on the rest of its batch, and every batch moves the running statistics
        Assert.True(model.training);
        Assert.NotEqual(FirstRow(x), FirstRow(x.narrow(0, 0, 4)));
        Assert.All(norms, n => Assert.Equal(2L, n.num_batches_tracked!.item<long>()));
        Assert.All(norms, n => Assert.Contains(n.running_mean!.ToArray(), v => v != 0));

        // eval: a sample's output is its own, and the running statistics stay put
        model.eval();
        Assert.All(model.modules(), m => Assert.False(m.training));
        var runningMean = norms[0].running_mean!.ToArray();
        Assert.Equal(FirstRow(x), FirstRow(x.narrow(0, 0, 4)));
        Assert.Equal(runningMean, norms[0].running_mean!.ToArray());
        Assert.All(norms, n => Assert.Equal(2L, n.num_batches_tracked!.item<long>()));

        // back to training mode, as Trainer.Fit does at each epoch
        model.train();
        Assert.All(model.modules(), m => Assert.True(m.training));
    }

    [Fact]
    public void TrainerTrainsBatchNormInTrainingModeAndLeavesItInEval()
    {
        manual_seed(0);
        var model = Models.DenseAutoencoder(16, [8], 4, batchNorm: true);
        var data = rand(64, 16);
        var run = Trainer.Fit(model, null, data, new TrainOptions { Epochs = 2, BatchSize = 16, Progress = false });
        var norm = (TorchSharp.Modules.BatchNorm1d)model.encoder.named_children().Single(c => c.name == "bn0").module;
        Assert.Equal(8L, norm.num_batches_tracked!.item<long>()); // one update per training step
        Assert.False(model.training);
        Assert.True(double.IsFinite(run.FinalTrainLoss));
        // evaluating and summarising switch to eval mode (the summary's one zero sample would otherwise fail batch
        // norm's check, and move its running statistics), then restore training mode
        var runningVar = norm.running_var!.ToArray();
        model.train();
        _ = Trainer.Evaluate(model, data, data, Losses.Mse);
        Assert.Contains("bn0", model.Summary().ToText());
        Assert.True(model.training);
        Assert.Equal(runningVar, norm.running_var!.ToArray());
        Assert.Equal(8L, norm.num_batches_tracked!.item<long>());
    }
}
