using System.Globalization;
using AeNotebooks.Rendering;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// A data set with a fixed train/test split: samples along dimension 0 (images are [N, C, H, W] in [0, 1]),
/// optional integer labels with class names, and where the data came from. Renders as a summary table.
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed record Dataset(
    string Name,
    Tensor Train,
    Tensor Test,
    int[]? TrainLabels = null,
    int[]? TestLabels = null,
    IReadOnlyList<string>? ClassNames = null,
    string Source = "",
    IReadOnlyList<string>? FeatureNames = null) : IRenderable
{
    public int TrainCount => (int)Train.shape[0];
    public int TestCount => (int)Test.shape[0];

    /// <summary>The shape of one sample, e.g. [1, 28, 28].</summary>
    public long[] SampleShape => Train.shape[1..];

    /// <summary>Values per sample, e.g. 784 for a 28×28 grey image.</summary>
    public int Features => (int)SampleShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The same data with every sample flattened to a vector: [N, Features] (for dense models).</summary>
    public Dataset Flatten() => this with
    {
        Train = Train.reshape(TrainCount, Features),
        Test = Test.reshape(TestCount, Features),
    };

    /// <summary>The name of a class label (the number itself when there are no class names).</summary>
    public string ClassName(int label) => ClassNames != null && label >= 0 && label < ClassNames.Count ? ClassNames[label] : label.ToString(CultureInfo.InvariantCulture);

    /// <summary>Per-feature statistics of the training split (per channel for images).</summary>
    public DataReport Report() => DataReport.Of(Train, FeatureNames);

    /// <summary>A table: one row per split with size, sample shape, value range, mean and class counts.</summary>
    public Table Summary()
    {
        var columns = new List<string> { "split", "samples", "shape", "min", "max", "mean" };
        bool labelled = TrainLabels != null;
        if (labelled) columns.Add("per class");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (split, x, labels) in new[] { ("train", Train, TrainLabels), ("test", Test, TestLabels) })
        {
            var v = x.ToArray();
            double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
            foreach (var f in v) { if (f < min) min = f; if (f > max) max = f; sum += f; }
            var row = new List<string>
            {
                split, x.shape[0].ToString(CultureInfo.InvariantCulture), "[" + string.Join(", ", x.shape) + "]",
                Fmt(min), Fmt(max), Fmt(v.Length == 0 ? double.NaN : sum / v.Length),
            };
            if (labelled) row.Add(labels == null ? "" : ClassCounts(labels));
            rows.Add(row);
        }
        var caption = string.IsNullOrEmpty(Source) ? Name : $"{Name} ({Source})";
        return new Table(caption, columns, rows);
    }

    string ClassCounts(int[] labels)
    {
        int classes = Math.Max(ClassNames?.Count ?? 0, labels.Length == 0 ? 0 : labels.Max() + 1);
        var counts = new int[classes];
        foreach (var l in labels) if (l >= 0) counts[l]++;
        return string.Join(", ", counts.Select((c, i) => $"{ClassName(i)}: {c}"));
    }

    static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    public string ToHtml() => Summary().ToHtml();
    public string ToText() => Summary().ToText();
    public override string ToString() => ToText();
}
