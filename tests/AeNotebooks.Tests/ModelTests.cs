using System.Text.Json;
using AeNotebooks.Torch;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Tests;

public class ModelTests
{
    static readonly Dictionary<string, long> TorchParameterCounts =
        JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "model_sizes.json")))!;

    public static TheoryData<string> Architectures => new() { "dense_784_128_32", "dense_100_100x2_100", "dense_2_none_1", "linear_2_2", "linear_100_32" };

    static Autoencoder Build(string name) => name switch
    {
        "dense_784_128_32" => Models.DenseAutoencoder(784, [128], 32),
        "dense_100_100x2_100" => Models.DenseAutoencoder(100, [100, 100], 100),
        "dense_2_none_1" => Models.DenseAutoencoder(2, [], 1),
        "linear_2_2" => Models.LinearAutoencoder(2, 2),
        "linear_100_32" => Models.LinearAutoencoder(100, 32),
        _ => throw new ArgumentException(name),
    };

    [Theory, MemberData(nameof(Architectures))]
    public void ParameterCountsMatchThePyTorchTwin(string architecture)
        => Assert.Equal(TorchParameterCounts[architecture], Build(architecture).parameter_count());

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
        Assert.DoesNotContain(linear.decoder.named_children(), c => c.module.name == "Sigmoid");
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
        Assert.Contains("Linear(784→128) expects [*, 784], got [3, 100]", error.Message);
        Assert.Contains("linear0", error.Message);
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
}
