using System.Globalization;
using AeNotebooks.Rendering;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>Statistics of one feature (or channel) over all samples. Min, max, mean and std are over finite values.</summary>
public sealed record FeatureStats(string Name, long Count, double Min, double Max, double Mean, double Std, long NaNCount, long InfCount, bool IsBinary)
{
    /// <summary>"binary" when every finite value is 0 or 1, else "continuous".</summary>
    public string Kind => IsBinary ? "binary" : "continuous";
    public double Range => Max - Min;
    /// <summary>All finite values equal (zero variance: a naive standardisation divides by zero here).</summary>
    public bool IsConstant => Count > 0 && Min == Max;
}

/// <summary>
/// What is in a tensor, per feature: range, mean, std, NaN and ±∞ counts, binary or continuous. Features are the
/// columns of [N, F], the channels of images [N, C, H, W] (and of any rank ≥ 4), one pooled feature for [N] and
/// [N, A, B]. Renders as a table; the numbers are properties for code that checks data (e.g. the doctor).
/// <code>DataReport.Of(data.Train, ["x", "1000·x"])</code>
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed class DataReport : IRenderable
{
    DataReport(long[] shape, string grouping, IReadOnlyList<FeatureStats> features)
    {
        Shape = shape;
        Grouping = grouping;
        Features = features;
    }

    public long[] Shape { get; }
    public long Samples => Shape.Length == 0 ? 1 : Shape[0];
    /// <summary>"column", "channel" or "all values": what one row of the report pools.</summary>
    public string Grouping { get; }
    public IReadOnlyList<FeatureStats> Features { get; }

    public FeatureStats this[int index] => Features[index];
    public FeatureStats this[string name] => Features.FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"DataReport: no feature named '{name}'");

    public long NaNCount => Features.Sum(f => f.NaNCount);
    public long InfCount => Features.Sum(f => f.InfCount);
    public bool HasNonFinite => NaNCount + InfCount > 0;
    public double Min => Features.Where(f => f.Count > 0).Select(f => f.Min).DefaultIfEmpty(double.NaN).Min();
    public double Max => Features.Where(f => f.Count > 0).Select(f => f.Max).DefaultIfEmpty(double.NaN).Max();
    public bool IsBinary => Features.All(f => f.IsBinary);

    /// <summary>
    /// How far apart the features' scales are: the largest feature range over the smallest non-zero one (1 for one
    /// feature or equal ranges). Scenario 004's x and 1000·x give about 1000.
    /// </summary>
    public double ScaleRatio
    {
        get
        {
            var ranges = Features.Where(f => f.Count > 0 && f.Range > 0).Select(f => f.Range).ToList();
            return ranges.Count < 2 ? 1 : ranges.Max() / ranges.Min();
        }
    }

    /// <summary>Reports on a tensor; <paramref name="featureNames"/> names the columns or channels.</summary>
    public static DataReport Of(Tensor x, IReadOnlyList<string>? featureNames = null)
    {
        var shape = x.shape;
        var values = x.ToArray();
        if (shape.Length == 0) { x = x.reshape(1); shape = [1]; }
        var (over, grouping) = shape.Length switch
        {
            2 => (ScaleOver.Channel, "column"),
            >= 4 => (ScaleOver.Channel, "channel"),
            _ => (ScaleOver.All, "all values"),
        };
        var groups = new Grouping(x, over, "DataReport.Of");
        if (featureNames != null && featureNames.Count != groups.Groups)
            throw new ArgumentException($"DataReport.Of: {featureNames.Count} feature names for {groups.Groups} {grouping}s");
        var (count, min, max, mean, std, nan, inf) = groups.Statistics(values);
        var binary = new bool[groups.Groups];
        Array.Fill(binary, true);
        for (int i = 0; i < groups.Samples; i++)
            for (int j = 0; j < groups.SampleSize; j++)
            {
                float v = values[i * groups.SampleSize + j];
                if (float.IsFinite(v) && v != 0f && v != 1f) binary[groups.GroupOf[j]] = false;
            }
        var features = new List<FeatureStats>();
        for (int g = 0; g < groups.Groups; g++)
            features.Add(new FeatureStats(featureNames?[g] ?? DefaultName(grouping, g, groups.Groups), count[g], min[g], max[g], mean[g], std[g], nan[g], inf[g],
                binary[g] && count[g] > 0));
        return new DataReport(shape, grouping, features);
    }

    static string DefaultName(string grouping, int g, int groups) => grouping switch
    {
        "column" => $"x{g}",
        "channel" when groups == 3 => new[] { "red", "green", "blue" }[g],
        "channel" when groups == 1 => "pixels",
        "channel" => $"channel {g}",
        _ => "all",
    };

    public Table ToTable()
    {
        var rows = Features.Select(f => (IReadOnlyList<string>)
            [f.Name, Fmt(f.Min), Fmt(f.Max), Fmt(f.Mean), Fmt(f.Std), f.NaNCount.ToString(CultureInfo.InvariantCulture), f.InfCount.ToString(CultureInfo.InvariantCulture), f.Kind]);
        var caption = $"{Samples} samples, shape [{string.Join(", ", Shape)}], one row per {Grouping}";
        if (HasNonFinite) caption += $"; {NaNCount} NaN, {InfCount} ±∞";
        if (ScaleRatio >= 10) caption += "; feature ranges differ ×" + ScaleRatio.ToString("G3", CultureInfo.InvariantCulture);
        return new Table(caption, [Grouping == "all values" ? "values" : Grouping, "min", "max", "mean", "std", "NaN", "±∞", "kind"], rows);
    }

    static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    public string ToHtml() => ToTable().ToHtml();
    public string ToText() => ToTable().ToText();
    public override string ToString() => ToText();
}
