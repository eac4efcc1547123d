using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;
using static AeNotebooks.Tests.TestUtil;

namespace AeNotebooks.Tests;

[Collection(DataFilesCollection.Name)]
public class DataTests
{
    static int[] Counts(int[] labels) { var c = new int[10]; foreach (var l in labels) c[l]++; return c; }

    [Fact]
    public void Mnist_has_the_fixed_8000_2000_split_of_28x28_images_in_0_1()
    {
        var mnist = Datasets.Mnist();
        Assert.Equal([8000L, 1, 28, 28], mnist.Train.shape);
        Assert.Equal([2000L, 1, 28, 28], mnist.Test.shape);
        Assert.Equal(8000, mnist.TrainLabels!.Length);
        Assert.Equal(2000, mnist.TestLabels!.Length);
        Assert.Equal(10, mnist.ClassNames!.Count);
        var v = mnist.Train.ToArray();
        Assert.Equal(0f, v.Min());
        Assert.Equal(1f, v.Max());
        // MNIST's mean pixel is about 0.13; the digits are mostly background.
        Assert.InRange(Mean(v), 0.11, 0.15);
        // Values are k/255: the npm package's 3-decimal floats were mapped back to the original bytes.
        Assert.All(v.Take(50_000), x => Assert.True(Math.Abs(x * 255 - Math.Round(x * 255)) < 1e-3));
        // Per-class counts: 80 % of each digit's images in package order (documented in data/README.md).
        Assert.Equal([801, 902, 793, 826, 784, 690, 811, 856, 755, 782], Counts(mnist.TrainLabels));
        Assert.Equal([200, 225, 198, 206, 196, 173, 203, 214, 189, 196], Counts(mnist.TestLabels));
    }

    [Fact]
    public void Fashion_subset_is_balanced_1000_per_class()
    {
        var fashion = Datasets.FashionMnist();
        Assert.Equal([8000L, 1, 28, 28], fashion.Train.shape);
        Assert.Equal([2000L, 1, 28, 28], fashion.Test.shape);
        Assert.All(Counts(fashion.TrainLabels!), c => Assert.Equal(800, c));
        Assert.All(Counts(fashion.TestLabels!), c => Assert.Equal(200, c));
        Assert.Equal("Ankle boot", fashion.ClassName(9));
        var v = fashion.Test.ToArray();
        Assert.Equal(0f, v.Min());
        Assert.Equal(1f, v.Max());
        Assert.InRange(Mean(v), 0.22, 0.36); // Fashion-MNIST's mean pixel is about 0.29
    }

    [Theory]
    [InlineData("mnist")]
    [InlineData("fashion")]
    public void Train_and_test_share_no_image_and_no_image_repeats(string which)
    {
        var data = which == "mnist" ? Datasets.Mnist() : Datasets.FashionMnist();
        var seen = new HashSet<string>();
        foreach (var x in new[] { data.Train, data.Test })
        {
            var v = x.ToArray();
            for (int i = 0; i < x.shape[0]; i++)
                Assert.True(seen.Add(Convert.ToBase64String(v.AsSpan(i * 784, 784).ToArray().Select(f => (byte)Math.Round(f * 255)).ToArray())),
                    $"{which}: image {i} appears twice");
        }
    }

    [Fact]
    public void Fashion_classes_look_like_their_names()
    {
        // Trousers (1) have two legs: a gap of background in the middle of the bottom rows; bags (8) and
        // pullovers (2) are filled there. Checks the package's label order matches Fashion-MNIST's.
        var fashion = Datasets.FashionMnist();
        double MeanCentreBottom(int label)
        {
            var v = fashion.Train.ToArray();
            var rows = fashion.TrainLabels!.Select((l, i) => (l, i)).Where(p => p.l == label).Select(p => p.i).ToList();
            return rows.Average(i => Enumerable.Range(20, 8).Average(y => v[i * 784 + y * 28 + 14] + v[i * 784 + y * 28 + 13]) / 2);
        }
        Assert.True(MeanCentreBottom(1) < 0.5 * MeanCentreBottom(8));
        Assert.True(MeanCentreBottom(1) < 0.5 * MeanCentreBottom(2));
    }

    [Fact]
    public void Count_limits_the_total_and_keeps_the_split_ratio()
    {
        var full = Datasets.Mnist();
        var small = Datasets.Mnist(count: 1000);
        Assert.Equal(800, small.TrainCount);
        Assert.Equal(200, small.TestCount);
        Assert.True(Same(small.Train, full.Train.narrow(0, 0, 800)));
        Assert.True(Same(small.Test, full.Test.narrow(0, 0, 200)));
        Assert.Equal(full.TrainLabels!.Take(800), small.TrainLabels!);
        var tiny = Datasets.FashionMnist(count: 3);
        Assert.Equal((2, 1), (tiny.TrainCount, tiny.TestCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => Datasets.Mnist(count: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Datasets.Mnist(count: 10_001));
    }

    [Fact]
    public void Loading_twice_gives_identical_tensors()
    {
        var a = Datasets.FashionMnist(count: 500);
        var b = Datasets.FashionMnist(count: 500);
        Assert.True(Same(a.Train, b.Train));
        Assert.True(Same(a.Test, b.Test));
        Assert.NotSame(a.Train, b.Train); // each call gets its own tensors: changing one never changes another
    }

    [Fact]
    public void Dataset_renders_a_summary_and_flattens()
    {
        var mnist = Datasets.Mnist(count: 100);
        var text = mnist.ToText();
        Assert.Contains("MNIST", text);
        Assert.Contains("CC BY-SA 3.0", text);
        Assert.Contains("[80, 1, 28, 28]", text);
        Assert.Contains("[20, 1, 28, 28]", text);
        Assert.StartsWith("<table", mnist.ToHtml());
        var flat = mnist.Flatten();
        Assert.Equal([80L, 784], flat.Train.shape);
        Assert.Equal(784, flat.Features);
        Assert.True(flat.Train.ToArray().AsSpan().SequenceEqual(mnist.Train.ToArray()));
    }

    [Fact]
    public void Shipped_files_match_the_checksums_in_the_data_README()
    {
        var readme = File.ReadAllText(Path.Combine(DataFolder.Path, "README.md"));
        var listed = System.Text.RegularExpressions.Regex.Matches(readme, @"^([0-9a-f]{64})  (\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.Equal(8, listed.Count);
        foreach (System.Text.RegularExpressions.Match m in listed)
        {
            using var gz = new GZipStream(File.OpenRead(DataFolder.File(m.Groups[2].Value + ".gz")), CompressionMode.Decompress);
            var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(gz)).ToLowerInvariant();
            Assert.True(sha == m.Groups[1].Value, $"{m.Groups[2].Value}: sha256 {sha}, README lists {m.Groups[1].Value}");
        }
    }

    [Fact]
    public void Idx_reads_what_it_writes_and_rejects_other_files()
    {
        var dir = Directory.CreateTempSubdirectory("aen-idx-");
        try
        {
            var path = Path.Combine(dir.FullName, "x-idx3-ubyte.gz");
            var values = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
            Idx.Write(path, [2, 3, 4], values);
            var read = Idx.Read(path);
            Assert.Equal([2, 3, 4], read.Shape);
            Assert.Equal(values, read.Values);

            var bad = Path.Combine(dir.FullName, "bad.gz");
            using (var gz = new GZipStream(File.Create(bad), CompressionLevel.Fastest)) gz.Write([1, 2, 3, 4, 5]);
            Assert.Contains("not an IDX file", Assert.Throws<InvalidDataException>(() => Idx.Read(bad)).Message);

            var truncated = Path.Combine(dir.FullName, "short");
            File.WriteAllBytes(truncated, [0, 0, 8, 1, 0, 0, 0, 9, 1, 2]);
            Assert.Contains("ends before", Assert.Throws<InvalidDataException>(() => Idx.Read(truncated)).Message);
        }
        finally { dir.Delete(recursive: true); }
    }
}
