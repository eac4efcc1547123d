using static AeNotebooks.Tests.TestUtil;

namespace AeNotebooks.Tests;

public class ShapesTests
{
    [Fact]
    public void Shapes_are_32x32_RGB_in_0_1_with_three_labelled_kinds()
    {
        var shapes = Datasets.Shapes(1000, seed: 1);
        Assert.Equal([800L, 3, 32, 32], shapes.Train.shape);
        Assert.Equal([200L, 3, 32, 32], shapes.Test.shape);
        var v = shapes.Train.ToArray();
        Assert.True(v.Min() >= 0f && v.Max() <= 1f);
        Assert.Equal(["circle", "rectangle", "triangle"], shapes.ClassNames!);
        var labels = shapes.TrainLabels!.Concat(shapes.TestLabels!).ToArray();
        for (int kind = 0; kind < 3; kind++) Assert.InRange(labels.Count(l => l == kind), 100, 600);
    }

    [Fact]
    public void Shapes_are_seeded_and_image_i_does_not_depend_on_count()
    {
        var a = Datasets.Shapes(50, seed: 7);
        Assert.True(Same(a.Train, Datasets.Shapes(50, seed: 7).Train));
        Assert.False(Same(a.Train, Datasets.Shapes(50, seed: 8).Train));
        var more = Datasets.Shapes(500, seed: 7);
        Assert.True(Same(a.Train, more.Train.narrow(0, 0, 40)));
        Assert.Equal(a.TrainLabels, more.TrainLabels!.Take(40));
    }

    [Fact]
    public void Shapes_are_structured_not_noise()
    {
        var x = Datasets.Shapes(200, seed: 3).Train;
        var v = x.ToArray();
        int n = (int)x.shape[0];
        // Neighbouring pixels are close (smooth regions with edges); for U(0,1) noise the mean |Δ| is 1/3.
        double diff = 0; long count = 0;
        for (int i = 0; i < n * 3; i++)
            for (int y = 0; y < 32; y++)
                for (int c = 0; c < 31; c++) { diff += Math.Abs(v[i * 1024 + y * 32 + c + 1] - v[i * 1024 + y * 32 + c]); count++; }
        Assert.InRange(diff / count, 0.005, 0.06);
        // Yet every image has a shape on it: its pixels are not all one colour.
        for (int i = 0; i < n; i++)
        {
            var image = v.AsSpan(i * 3072, 3072).ToArray();
            Assert.True(Std(image) > 0.03, $"image {i} is nearly flat");
        }
        // Backgrounds vary: solid and gradient, many colours (the top-left pixel differs across images).
        Assert.True(Enumerable.Range(0, n).Select(i => v[i * 3072]).Distinct().Count() > n / 2);
    }

    [Fact]
    public void Ten_thousand_shapes_split_eighty_twenty()
    {
        var shapes = Datasets.Shapes(10_000, seed: 0);
        Assert.Equal(8000, shapes.TrainCount);
        Assert.Equal([2000L, 3, 32, 32], shapes.Test.shape);
    }
}
