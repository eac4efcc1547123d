using TorchSharp;
using static TorchSharp.torch;
using static AeNotebooks.Tests.TestUtil;

namespace AeNotebooks.Tests;

public class ScalerTests
{
    static Tensor M(float[,] values) => tensor(values);

    [Fact]
    public void MinMax_maps_the_training_range_to_0_1_per_feature()
    {
        var train = M(new float[,] { { 0, 100 }, { 10, 300 }, { 5, 200 } });
        var scaler = Scalers.MinMax().Fit(train);
        Assert.Equal([0.0, 100], scaler.DataMin!);
        Assert.Equal([10.0, 300], scaler.DataMax!);
        Assert.Equal([0f, 0, 1, 1, 0.5f, 0.5f], scaler.Transform(train).ToArray());
    }

    [Fact]
    public void Test_data_is_scaled_with_the_training_statistics_only()
    {
        var train = M(new float[,] { { 0, 0 }, { 10, 100 } });
        var test = M(new float[,] { { 20, 50 }, { -10, 0 } });
        var minMax = Scalers.MinMax().Fit(train);
        // Outside the training range stays outside [0, 1]: the test set never moves the fitted numbers.
        Assert.Equal([2f, 0.5f, -1f, 0f], minMax.Transform(test).ToArray());
        Assert.Equal([0.0, 0], minMax.DataMin!);

        var standard = Scalers.Standard().Fit(train);
        Assert.Equal([5.0, 50], standard.Mean!);
        Assert.Equal([5.0, 50], standard.Std!); // population std (ddof 0), as sklearn
        Assert.Equal([3f, 0f, -3f, -1f], standard.Transform(test).ToArray());
    }

    [Fact]
    public void Standard_gives_mean_0_std_1_per_feature()
    {
        var data = Datasets.Unscaled(samples: 2000, seed: 4);
        var scaled = Scalers.Standard().FitTransform(data.Train);
        for (int j = 0; j < 2; j++)
        {
            var column = Column(scaled, j);
            Assert.InRange(Mean(column), -1e-5, 1e-5);
            Assert.InRange(Std(column), 1 - 1e-5, 1 + 1e-5);
        }
        var known = Scalers.Standard().Fit(M(new float[,] { { 1 }, { 2 }, { 3 }, { 4 } }));
        Assert.Equal(2.5, known.Mean![0], 12);
        Assert.Equal(Math.Sqrt(1.25), known.Std![0], 12);
    }

    [Theory]
    [InlineData("minmax")]
    [InlineData("standard")]
    [InlineData("minmax-1-1")]
    public void Inverse_transform_undoes_transform(string kind)
    {
        var data = Datasets.Unscaled(samples: 1000, features: 3, seed: 1);
        Scaler scaler = kind switch
        {
            "minmax" => Scalers.MinMax(),
            "standard" => Scalers.Standard(),
            _ => Scalers.MinMax(-1, 1),
        };
        scaler.Fit(data.Train);
        foreach (var x in new[] { data.Train, data.Test })
        {
            var back = scaler.InverseTransform(scaler.Transform(x)).ToArray();
            var original = x.ToArray();
            // The scaled values are float32, so the round trip is exact to float precision of each feature's scale.
            var largest = Enumerable.Range(0, 3).Select(j => Column(x, j).Max(Math.Abs)).ToArray();
            for (int i = 0; i < original.Length; i++)
                Assert.True(Math.Abs(back[i] - original[i]) <= 5e-7 * largest[i % 3], $"{kind}: {original[i]} came back as {back[i]}");
            Assert.False(Same(scaler.Transform(x), x));
        }
        if (kind == "minmax-1-1")
        {
            var t = scaler.Transform(data.Train).ToArray();
            Assert.Equal(-1f, t.Min(), 5);
            Assert.Equal(1f, t.Max(), 5);
        }
    }

    [Fact]
    public void A_constant_feature_maps_to_the_range_start_not_NaN()
    {
        var train = M(new float[,] { { 7, 1 }, { 7, 2 }, { 7, 3 } });
        var minMax = Scalers.MinMax().Fit(train);
        Assert.Equal([true, false], minMax.Constant!);
        var t = minMax.Transform(train).ToArray();
        Assert.Equal([0f, 0, 0, 0.5f, 0, 1], t);
        Assert.Equal(train.ToArray(), minMax.InverseTransform(minMax.Transform(train)).ToArray());

        var standard = Scalers.Standard().Fit(train);
        Assert.Equal(1.0, standard.Std![0]);
        var s = standard.Transform(train).ToArray();
        Assert.All(s, v => Assert.True(float.IsFinite(v)));
        Assert.Equal([0f, 0, 0], new[] { s[0], s[2], s[4] });
    }

    [Fact]
    public void NaN_is_ignored_when_fitting_and_passes_through()
    {
        var train = M(new float[,] { { 0, float.NaN }, { 4, 2 }, { float.NaN, 6 } });
        var scaler = Scalers.MinMax().Fit(train);
        Assert.Equal([0.0, 2], scaler.DataMin!);
        var t = scaler.Transform(train).ToArray();
        Assert.True(float.IsNaN(t[1]) && float.IsNaN(t[4]));
        Assert.Equal([0f, 1f, 0f, 1f], new[] { t[0], t[2], t[3], t[5] });
    }

    [Fact]
    public void Images_scale_per_pixel_per_channel_or_all_together()
    {
        var pixels = Datasets.Shapes(100, seed: 2).Train; // [80, 3, 32, 32]
        var raw = pixels * 255;

        var all = Scalers.MinMax(over: ScaleOver.All).Fit(raw);
        Assert.Single(all.DataMin!);
        var r = raw.ToArray();
        float lo = r.Min(), hi = r.Max();
        Assert.Equal(lo, all.DataMin![0]);
        Assert.Equal(hi, all.DataMax![0], 3);
        var scaled = all.Transform(raw).ToArray();
        for (int i = 0; i < r.Length; i++) Assert.Equal((r[i] - lo) / (hi - lo), scaled[i], 5);

        var perChannel = Scalers.Standard(over: ScaleOver.Channel).Fit(raw);
        Assert.Equal(3, perChannel.Mean!.Length);
        var report = DataReport.Of(perChannel.Transform(raw));
        Assert.All(report.Features, f => { Assert.InRange(f.Mean, -1e-4, 1e-4); Assert.InRange(f.Std, 0.9999, 1.0001); });

        var perPixel = Scalers.MinMax().Fit(raw);
        Assert.Equal(3 * 32 * 32, perPixel.DataMin!.Length);
    }

    [Fact]
    public void Misuse_is_reported()
    {
        var train = M(new float[,] { { 1, 2 }, { 3, 4 } });
        Assert.Contains("Fit(train) first", Assert.Throws<InvalidOperationException>(() => Scalers.Standard().Transform(train)).Message);
        var scaler = Scalers.MinMax().Fit(train);
        Assert.Contains("do not match", Assert.Throws<ArgumentException>(() => scaler.Transform(M(new float[,] { { 1, 2, 3 } }))).Message);
        Assert.Throws<ArgumentException>(() => Scalers.MinMax(1, 1));
    }

    [Fact]
    public void A_fitted_scaler_renders_its_numbers()
    {
        var scaler = Scalers.Standard().Fit(M(new float[,] { { 1, 5 }, { 3, 5 } }));
        var text = scaler.ToText();
        Assert.Contains("mean", text);
        Assert.Contains("constant (scale 1)", text);
        Assert.Contains("<table", scaler.ToHtml());
    }
}
