using TorchSharp;
using static TorchSharp.torch;
using static AeNotebooks.Tests.TestUtil;

namespace AeNotebooks.Tests;

public class SyntheticDataTests
{
    [Fact]
    public void Uniform_is_iid_U01_and_seeded()
    {
        var x = Datasets.Uniform(30_000, 100, seed: 3);
        Assert.Equal([30_000L, 100], x.shape);
        var v = x.ToArray();
        Assert.True(v.Min() >= 0f && v.Max() < 1f);
        Assert.InRange(Mean(v), 0.499, 0.501);               // σ of the mean: 0.29/√3e6 ≈ 1.7e-4
        Assert.InRange(Std(v), Math.Sqrt(1 / 12.0) - 0.001, Math.Sqrt(1 / 12.0) + 0.001);
        Assert.True(Same(x, Datasets.Uniform(30_000, 100, seed: 3)));
        Assert.False(Same(x, Datasets.Uniform(30_000, 100, seed: 4)));
    }

    [Fact]
    public void Bernoulli_is_binary_with_mean_p()
    {
        var x = Datasets.Bernoulli(10_000, 10, p: 0.3, seed: 1);
        var v = x.ToArray();
        Assert.All(v, f => Assert.True(f == 0f || f == 1f));
        Assert.InRange(Mean(v), 0.295, 0.305);               // σ ≈ 0.46/√1e5 ≈ 1.4e-3
        Assert.True(Same(x, Datasets.Bernoulli(10_000, 10, p: 0.3, seed: 1)));
        Assert.False(Same(x, Datasets.Bernoulli(10_000, 10, p: 0.3, seed: 2)));
        Assert.True(DataReport.Of(x).IsBinary);
    }

    [Fact]
    public void Redundant_repeats_a_few_independent_columns()
    {
        var x = Datasets.Redundant(1000, 6, distinct: 2, seed: 5);
        Assert.Equal([1000L, 6], x.shape);
        for (int j = 2; j < 6; j++) Assert.Equal(Column(x, j % 2), Column(x, j));
        Assert.NotEqual(Column(x, 0), Column(x, 1));
        var v = x.ToArray();
        Assert.True(v.Min() >= 0f && v.Max() < 1f);
        // All-equal rows, like scenario 002's [1, 1, 1, 1].
        var same = Datasets.Redundant(10, 4, distinct: 1);
        for (int i = 0; i < 10; i++) Assert.Single(same.ToArray().Skip(i * 4).Take(4).Distinct());
        Assert.True(Same(x, Datasets.Redundant(1000, 6, distinct: 2, seed: 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Datasets.Redundant(10, 4, distinct: 5));
    }

    [Fact]
    public void Unscaled_has_features_1_and_1000_with_outliers()
    {
        var data = Datasets.Unscaled(samples: 1000, seed: 2);
        Assert.Equal([800L, 2], data.Train.shape);
        Assert.Equal([200L, 2], data.Test.shape);
        var all = cat([data.Train, data.Test], 0);
        var clean = Datasets.Unscaled(samples: 1000, outlierFraction: 0, seed: 2);
        var cleanAll = cat([clean.Train, clean.Test], 0);
        var x0 = Column(cleanAll, 0);
        var x1 = Column(cleanAll, 1);
        // Without outliers: x0 ~ U(0, 1) and x1 = 1000·(x0 + 0.01·ε).
        Assert.True(x0.Min() >= 0f && x0.Max() < 1f);
        for (int i = 0; i < 1000; i++) Assert.InRange(x1[i] - 1000 * x0[i], -60, 60); // |ε| < 6
        Assert.InRange(Std(Enumerable.Range(0, 1000).Select(i => x1[i] - 1000 * x0[i]).ToArray()), 8, 12);
        // With 1 % outliers: the same draws, except exactly 10 rows multiplied by 10.
        var withOutliers = all.ToArray();
        var plain = cleanAll.ToArray();
        var changed = Enumerable.Range(0, 1000).Where(i => withOutliers[2 * i] != plain[2 * i] || withOutliers[2 * i + 1] != plain[2 * i + 1]).ToList();
        Assert.Equal(10, changed.Count);
        foreach (var i in changed)
        {
            Assert.Equal(10 * plain[2 * i], withOutliers[2 * i], 4);
            Assert.Equal(10 * plain[2 * i + 1], withOutliers[2 * i + 1], 1);
        }
        x1 = Column(all, 1);
        Assert.InRange(x1.Max(), 5000, 10_100);
        var report = DataReport.Of(data.Train);
        Assert.InRange(report.ScaleRatio, 800, 1250);
        Assert.Equal(2, data.FeatureNames!.Count);
        Assert.True(Same(data.Train, Datasets.Unscaled(samples: 1000, seed: 2).Train));
        Assert.False(Same(data.Train, Datasets.Unscaled(samples: 1000, seed: 3).Train));

        var four = Datasets.Unscaled(samples: 200, features: 4, outlierFraction: 0);
        var ranges = DataReport.Of(four.Train).Features.Select(f => f.Max).ToArray();
        for (int j = 1; j < 4; j++) Assert.InRange(ranges[j] / ranges[j - 1], 7, 14); // scales 1, 10, 100, 1000
    }

    [Fact]
    public void Split_partitions_the_rows_and_labels_follow()
    {
        var x = tensor(Enumerable.Range(0, 20).Select(i => (float)i).ToArray(), [10, 2]);
        var labels = Enumerable.Range(0, 10).ToArray();
        var split = Datasets.Split(x, testFraction: 0.3, seed: 9, labels: labels);
        Assert.Equal(7, split.TrainCount);
        Assert.Equal(3, split.TestCount);
        var rows = split.TrainLabels!.Concat(split.TestLabels!).ToArray();
        Assert.Equal(labels, rows.Order());
        // Row r of the original is [2r, 2r + 1]: each split row still matches its label.
        var train = split.Train.ToArray();
        for (int i = 0; i < 7; i++) Assert.Equal(2f * split.TrainLabels![i], train[2 * i]);
        Assert.NotEqual(labels.Take(7), split.TrainLabels!); // shuffled
        Assert.Equal(split.TrainLabels, Datasets.Split(x, 0.3, seed: 9, labels: labels).TrainLabels);
    }
}
