using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>Compares models built after the same manual_seed weight for weight, so nothing else may draw from the default generator meanwhile.</summary>
[Collection("default generator")]
public class ConvModelTests
{
    [Theory]
    [InlineData("conv_01_rgb32_code32", new long[] { 32 })]
    [InlineData("conv_02_mnist_dense128_64_strided", new long[] { 64 })]
    [InlineData("conv_02_mnist_dense128_64_strided_bn", new long[] { 64 })]
    [InlineData("conv_04_mnist", new long[] { 64, 7, 7 })]
    [InlineData("conv_04_mnist_leaky_bn", new long[] { 64, 7, 7 })]
    [InlineData("conv_04_mnist_dropout", new long[] { 64, 7, 7 })]
    [InlineData("conv_04_rgb28_k7_linear", new long[] { 64, 7, 7 })]
    [InlineData("conv_mnist_strided_bn", new long[] { 64, 7, 7 })]
    [InlineData("conv_rgb32_3stages_code16_bn", new long[] { 16 })]
    public void ImagesComeBackInTheirShapeThroughTheCode(string architecture, long[] code)
    {
        var model = ModelTests.Build(architecture);
        var images = rand([3, .. model.SampleShape]);
        Assert.Equal(images.shape, model.forward(images).shape);
        Assert.Equal(new long[] { 3 }.Concat(code).ToArray(), model.encode(images).shape);
        Assert.Equal(code.Aggregate(1L, (a, b) => a * b), model.CodeSize);
        model.eval();
        Assert.Equal(images.shape, model.forward(images).shape);
    }

    [Fact]
    public void SummaryShowsEachStageAndTheCode()
    {
        var model = Models.ConvAutoencoder([1, 28, 28], [32, 64], batchNorm: true);
        var table = model.Summary();
        Assert.Equal(["encoder.conv0", "encoder.bn0", "encoder.relu0", "encoder.pool0", "encoder.conv1", "encoder.bn1", "encoder.relu1", "encoder.pool1",
                      "decoder.deconv0", "decoder.bn0", "decoder.relu0", "decoder.up0", "decoder.deconv1", "decoder.bn1", "decoder.relu1", "decoder.up1",
                      "decoder.deconv2", "decoder.sigmoid2", "total"], table.Rows.Select(r => r[0]).ToArray());
        Assert.Equal("[64, 7, 7]", table.Rows[7][2]);
        Assert.Equal("[1, 28, 28]", table.Rows[^2][2]);
        Assert.Equal("74,881", table.Rows[^1][3]);
        Assert.Contains("Conv autoencoder 1×28×28 → conv 32, 64 (3×3, max-pool) → code 64×7×7 → transposed conv + upsample, ReLU, output Sigmoid, batch norm",
            model.Description);
        Assert.Equal(Activation.Sigmoid, model.OutputActivation);
    }

    // ------------------------------------------------------------------ the notebooks' hand-built models

    /// <summary>Notebook 01's ConvAutoencoder(code, output), verbatim (encoder and decoder in one Sequential).</summary>
    static nn.Module<Tensor, Tensor> Notebook01(int code, Activation output = Activation.Sigmoid)
    {
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(3, 32, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(32, 16, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()), ("code", nn.Linear(16 * 8 * 8, code)), ("relu3", nn.ReLU()),
            ("dense", nn.Linear(code, 16 * 8 * 8)), ("relu4", nn.ReLU()), ("unflatten", nn.Unflatten(1, [16, 8, 8])),
            ("deconv1", nn.ConvTranspose2d(16, 16, 3, padding: 1)), ("relu5", nn.ReLU()), ("up1", nn.Upsample(scale_factor: [2.0, 2.0])),
            ("deconv2", nn.ConvTranspose2d(16, 32, 3, padding: 1)), ("relu6", nn.ReLU()), ("up2", nn.Upsample(scale_factor: [2.0, 2.0])),
            ("deconv3", nn.ConvTranspose2d(32, 3, 3, padding: 1)));
        if (output.ToModule() is { } activation) model.append("output", activation);
        return model;
    }

    /// <summary>Notebook 02's ConvDenoiser, verbatim.</summary>
    static nn.Module<Tensor, Tensor> Notebook02()
    {
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 32, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(32, 64, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()), ("enc_fc", nn.Linear(7 * 7 * 64, 128)), ("relu3", nn.ReLU()),
            ("code", nn.Linear(128, 64)), ("relu4", nn.ReLU()),
            ("dec_fc1", nn.Linear(64, 128)), ("relu5", nn.ReLU()), ("dec_fc2", nn.Linear(128, 7 * 7 * 64)), ("relu6", nn.ReLU()),
            ("unflatten", nn.Unflatten(1, [64, 7, 7])),
            ("deconv1", nn.ConvTranspose2d(64, 64, 3, stride: 2, padding: 1, output_padding: 1)), ("relu7", nn.ReLU()),
            ("deconv2", nn.ConvTranspose2d(64, 32, 3, stride: 2, padding: 1, output_padding: 1)), ("relu8", nn.ReLU()),
            ("out", nn.Conv2d(32, 1, 3, padding: 1)), ("sigmoid", nn.Sigmoid()));
        Models.Initialise(model, Init.XavierUniform);
        return model;
    }

    /// <summary>Notebook 04's Cae(...), verbatim but for the seed (the caller seeds).</summary>
    static nn.Module<Tensor, Tensor> Notebook04(bool leaky, bool sigmoid, int kernel = 3, bool batchNorm = false, double dropout = 0, int channels = 3)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        nn.Module<Tensor, Tensor> Act() => leaky ? nn.LeakyReLU(0.1) : nn.ReLU();
        void Stage(int i, nn.Module<Tensor, Tensor> conv, long width, nn.Module<Tensor, Tensor> resize)
        {
            layers.Add(($"conv{i}", conv));
            if (batchNorm) layers.Add(($"bn{i}", nn.BatchNorm2d(width)));
            layers.Add(($"act{i}", Act()));
            layers.Add(($"{(i <= 2 ? "pool" : "up")}{i}", resize));
            if (dropout > 0 && i == 2) layers.Add(("dropout", nn.Dropout(dropout)));
        }
        long pad = kernel / 2;
        Stage(1, nn.Conv2d(channels, 32, kernel, Padding.Same), 32, nn.MaxPool2d(2));
        Stage(2, nn.Conv2d(32, 64, kernel, Padding.Same), 64, nn.MaxPool2d(2));
        Stage(3, nn.ConvTranspose2d(64, 64, kernel, padding: pad), 64, nn.Upsample(scale_factor: [2.0, 2.0]));
        Stage(4, nn.ConvTranspose2d(64, 32, kernel, padding: pad), 32, nn.Upsample(scale_factor: [2.0, 2.0]));
        layers.Add(("conv5", nn.ConvTranspose2d(32, channels, kernel, padding: pad)));
        if (sigmoid) layers.Add(("sigmoid", nn.Sigmoid()));
        var model = nn.Sequential(layers.ToArray());
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("conv") && p.shape.Length == 4) nn.init.xavier_uniform_(p);
                else if (name.StartsWith("conv")) nn.init.zeros_(p);
        return model;
    }

    public static TheoryData<string> NotebookModels => new()
    {
        "01 code 32", "01 code 8, ReLU output", "02", "04 ReLU linear", "04 LeakyReLU sigmoid", "04 kernel 7 RGB", "04 batch norm", "04 dropout",
    };

    /// <summary>The notebook's model and the builder's, each built right after manual_seed(0).</summary>
    static (nn.Module<Tensor, Tensor> notebook, Autoencoder builder, long[] image) Pair(string name)
    {
        nn.Module<Tensor, Tensor> Seeded(Func<nn.Module<Tensor, Tensor>> build) { manual_seed(0); return build(); }
        long[] mnist = [1, 28, 28], rgb32 = [3, 32, 32], rgb28 = [3, 28, 28];
        var (hand, ours, image) = name switch
        {
            "01 code 32" => (Seeded(() => Notebook01(32)), Seeded(() => Models.ConvAutoencoder([3, 32, 32], [32, 16], dense: [32])), rgb32),
            "01 code 8, ReLU output" => (Seeded(() => Notebook01(8, Activation.ReLU)),
                Seeded(() => Models.ConvAutoencoder([3, 32, 32], [32, 16], dense: [8], output: Activation.ReLU)), rgb32),
            "02" => (Seeded(Notebook02),
                Seeded(() => Models.ConvAutoencoder(mnist, [32, 64], dense: [128, 64], upsampling: Upsampling.StridedTranspose, init: Init.XavierUniform)), mnist),
            "04 ReLU linear" => (Seeded(() => Notebook04(leaky: false, sigmoid: false, channels: 1)),
                Seeded(() => Models.ConvAutoencoder(mnist, [32, 64], output: Activation.Linear, init: Init.XavierUniform)), mnist),
            "04 LeakyReLU sigmoid" => (Seeded(() => Notebook04(leaky: true, sigmoid: true, channels: 1)),
                Seeded(() => Models.ConvAutoencoder(mnist, [32, 64], activation: Activation.LeakyReLU, init: Init.XavierUniform)), mnist),
            "04 kernel 7 RGB" => (Seeded(() => Notebook04(leaky: true, sigmoid: true, kernel: 7, channels: 3)),
                Seeded(() => Models.ConvAutoencoder([3, 28, 28], [32, 64], kernel: 7, activation: Activation.LeakyReLU, init: Init.XavierUniform)), rgb28),
            "04 batch norm" => (Seeded(() => Notebook04(leaky: true, sigmoid: true, batchNorm: true, channels: 1)),
                Seeded(() => Models.ConvAutoencoder(mnist, [32, 64], activation: Activation.LeakyReLU, batchNorm: true, init: Init.XavierUniform)), mnist),
            "04 dropout" => (Seeded(() => Notebook04(leaky: true, sigmoid: true, dropout: 0.2, channels: 1)),
                Seeded(() => Models.ConvAutoencoder(mnist, [32, 64], activation: Activation.LeakyReLU, dropout: 0.2, init: Init.XavierUniform)), mnist),
            _ => throw new ArgumentException(name),
        };
        return (hand, (Autoencoder)ours, image);
    }

    [Theory, MemberData(nameof(NotebookModels))]
    public void BuildsTheNotebooksHandWrittenModelsExactly(string name)
    {
        var (notebook, builder, image) = Pair(name);
        // same layers with the same parameter shapes, in the same order, hence the same draws from the seeded generator
        Assert.Equal(LeafKinds(notebook), LeafKinds(builder));
        Assert.Equal(notebook.parameters().Select(p => ShapeOf(p)), builder.parameters().Select(p => ShapeOf(p)));
        foreach (var (a, b) in notebook.parameters().Zip(builder.parameters()))
            Assert.True(TestUtil.Same(a, b), $"{name}: a parameter {ShapeOf(a)} differs from the notebook's");

        manual_seed(1);
        var x = rand([4, .. image]);
        var modes = builder.modules().Any(m => m is Dropout) ? new[] { false } : new[] { true, false }; // dropout draws differ in training
        foreach (var training in modes)
        {
            notebook.train(training); builder.train(training);
            using var _ = no_grad();
            var expected = notebook.forward(x).ToArray();
            var actual = builder.forward(x).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            double worst = expected.Zip(actual, (e, a) => Math.Abs(e - (double)a)).Max();
            Assert.True(worst <= 1e-5, $"{name} ({(training ? "training" : "eval")}): outputs differ by up to {worst:G3}");
        }
    }

    static string[] LeafKinds(nn.Module model) => model.modules().Where(m => !m.children().Any()).Select(m => m.Kind()).ToArray();
    static string ShapeOf(Tensor t) => string.Join("×", t.shape);

    // ------------------------------------------------------------------ initialisation and errors

    [Fact]
    public void InitAlsoReinitialisesConvolutions()
    {
        manual_seed(0);
        var model = Models.ConvAutoencoder([1, 16, 16], [8, 16], dense: [8], batchNorm: true, init: Init.SmallNormal);
        var convs = model.modules().OfType<Convolution>().ToArray();
        Assert.Equal(2, convs.Count(c => c is Conv2d));
        Assert.Equal(3, convs.Count(c => c is ConvTranspose2d));
        foreach (var conv in convs)
        {
            Assert.InRange(TestUtil.Std(conv.weight.ToArray()), 0.008, 0.012);
            Assert.All(conv.bias!.ToArray(), v => Assert.Equal(0f, v));
        }
        // batch norm keeps its identity scale and zero shift
        foreach (var norm in model.modules().OfType<BatchNorm>())
        {
            Assert.All(norm.weight!.ToArray(), v => Assert.Equal(1f, v));
            Assert.All(norm.bias!.ToArray(), v => Assert.Equal(0f, v));
        }

        // Kaiming with ReLU gain on a transposed conv: PyTorch's fan-in of a [in, out, k, k] weight is out·k·k
        var deconv = nn.ConvTranspose2d(64, 32, 3);
        Models.Initialise(nn.Sequential(deconv), Init.KaimingNormal);
        double expected = Math.Sqrt(2.0 / (32 * 9));
        Assert.InRange(TestUtil.Std(deconv.weight.ToArray()), expected * 0.95, expected * 1.05);
    }

    [Theory]
    [InlineData(new long[] { 1, 28, 28 }, new[] { 16, 32, 64 }, 3, "ConvAutoencoder: image 28×28 is not divisible by 2^3 = 8, which 3 pooling stages (channels [16, 32, 64]) need")]
    [InlineData(new long[] { 3, 30, 32 }, new[] { 32, 16 }, 3, "ConvAutoencoder: image 30×32 is not divisible by 2^2 = 4")]
    [InlineData(new long[] { 1, 28, 28 }, new[] { 32, 64 }, 4, "ConvAutoencoder: kernel 4 must be odd")]
    [InlineData(new long[] { 28, 28 }, new[] { 32 }, 3, "ConvAutoencoder: image must be [C, H, W] with positive sizes, got [28, 28]")]
    [InlineData(new long[] { 1, 28, 28 }, new int[0], 3, "ConvAutoencoder: channels must name at least one stage, all positive, got []")]
    [InlineData(new long[] { 1, 28, 28 }, new[] { 32, 0 }, 3, "ConvAutoencoder: channels must name at least one stage, all positive, got [32, 0]")]
    public void ErrorsNameTheBuilderAndTheSizes(long[] image, int[] channels, int kernel, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => Models.ConvAutoencoder(image, channels, kernel: kernel));
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void DenseAndDropoutErrorsNameTheBuilder()
    {
        var empty = Assert.Throws<ArgumentException>(() => Models.ConvAutoencoder([1, 28, 28], [32, 64], dense: []));
        Assert.StartsWith("ConvAutoencoder: dense must end with the code width and be positive, got []", empty.Message);
        var negative = Assert.Throws<ArgumentException>(() => Models.ConvAutoencoder([1, 28, 28], [32, 64], dense: [128, -1]));
        Assert.Contains("got [128, -1]", negative.Message);
        var dropout = Assert.Throws<ArgumentException>(() => Models.ConvAutoencoder([1, 28, 28], [32, 64], dropout: 1));
        Assert.Equal("ConvAutoencoder: dropout 1 must be in [0, 1)", dropout.Message);
    }

    [Fact]
    public void AWrongImageSizeIsReportedByTheLayerThatMeetsIt()
    {
        var model = Models.ConvAutoencoder([1, 28, 28], [32, 64]);
        var error = Assert.Throws<ArgumentException>(() => model.forward(rand(2, 3, 28, 28)));
        Assert.Contains("layer encoder.conv0 (Conv2d) cannot take an input of shape [2, 3, 28, 28]", error.Message);
        Assert.Contains("input with 1 channels to Conv2d", error.Message); // TorchSharp's words
    }

    [Fact]
    public void BatchNormConvModelTrainsAndSwitchesToEval()
    {
        manual_seed(0);
        var model = Models.ConvAutoencoder([1, 8, 8], [4, 8], batchNorm: true, dropout: 0.1);
        var data = rand(32, 1, 8, 8);
        var run = Trainer.Fit(model, null, data, new TrainOptions { Epochs = 3, BatchSize = 8, Progress = false, Optimizer = Optimizers.Adam(1e-2) });
        Assert.True(run.FinalTrainLoss < run.Epochs[0].TrainLoss, $"loss went {run.Epochs[0].TrainLoss} → {run.FinalTrainLoss}");
        Assert.All(model.modules(), m => Assert.False(m.training));
        Assert.All(model.modules().OfType<BatchNorm>(), n => Assert.Equal(12L, n.num_batches_tracked!.item<long>()));
        // in eval, neither batch norm nor dropout depends on the batch: one image alone gives the same output
        using var _ = no_grad();
        var alone = model.forward(data.narrow(0, 0, 1)).ToArray();
        var inBatch = model.forward(data).narrow(0, 0, 1).ToArray();
        Assert.Equal(alone.Length, inBatch.Length);
        Assert.True(alone.Zip(inBatch, (a, b) => Math.Abs(a - b)).Max() < 1e-6);
    }
}
