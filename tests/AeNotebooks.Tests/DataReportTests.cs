using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

public class DataReportTests
{
    [Fact]
    public void Report_of_a_small_known_table()
    {
        var x = tensor(new float[,]
        {
            { 0, 1, float.NaN },
            { 1, 3, float.PositiveInfinity },
            { 0, 5, 2 },
        });
        var report = DataReport.Of(x, ["flag", "size", "broken"]);
        Assert.Equal(3, report.Samples);
        Assert.Equal("column", report.Grouping);

        var flag = report["flag"];
        Assert.Equal((0.0, 1.0, 1 / 3.0), (flag.Min, flag.Max, flag.Mean));
        Assert.Equal(Math.Sqrt(2 / 9.0), flag.Std, 12);
        Assert.Equal("binary", flag.Kind);

        var size = report[1];
        Assert.Equal((1.0, 5.0, 3.0), (size.Min, size.Max, size.Mean));
        Assert.Equal(Math.Sqrt(8 / 3.0), size.Std, 12); // population std
        Assert.Equal("continuous", size.Kind);
        Assert.Equal(0, size.NaNCount + size.InfCount);

        var broken = report["broken"];
        Assert.Equal((1L, 1L, 1L), (broken.NaNCount, broken.InfCount, broken.Count));
        Assert.Equal((2.0, 2.0, 0.0), (broken.Min, broken.Max, broken.Std));
        Assert.True(broken.IsConstant);

        Assert.Equal(1, report.NaNCount);
        Assert.Equal(1, report.InfCount);
        Assert.True(report.HasNonFinite);
        Assert.False(report.IsBinary);
        Assert.Equal(4.0, report.ScaleRatio); // ranges 1, 4 and 0 (ignored)

        var text = report.ToText();
        Assert.Contains("1 NaN, 1 ±∞", text);
        Assert.Contains("binary", text);
        Assert.Contains("<th>std</th>", report.ToHtml());
    }

    [Fact]
    public void Images_are_reported_per_channel()
    {
        var values = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < 2; i++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 4; p++) values[i * 12 + c * 4 + p] = c == 0 ? 0.5f : c == 1 ? p % 2 : 10 * i + p;
        var report = DataReport.Of(tensor(values, [2, 3, 2, 2]));
        Assert.Equal("channel", report.Grouping);
        Assert.Equal(["red", "green", "blue"], report.Features.Select(f => f.Name));
        Assert.True(report["red"].IsConstant);
        Assert.Equal("binary", report["green"].Kind);
        Assert.Equal((0.0, 13.0, 6.5), (report["blue"].Min, report["blue"].Max, report["blue"].Mean));
        Assert.Equal(13.0, report.ScaleRatio); // green range 1, blue range 13; red (0) ignored
    }

    [Fact]
    public void Unscaled_data_shows_its_scale_gap()
    {
        var report = Datasets.Unscaled(samples: 500, seed: 1).Report();
        Assert.Equal(2, report.Features.Count);
        Assert.InRange(report.Features[1].Max / report.Features[0].Max, 800, 1250);
        Assert.Contains("feature ranges differ", report.ToText());
    }

    [Fact]
    public void Feature_names_must_match()
    {
        Assert.Throws<ArgumentException>(() => DataReport.Of(zeros(4, 3), ["a", "b"]));
        Assert.Equal("all", DataReport.Of(zeros(5)).Features.Single().Name);
    }
}
