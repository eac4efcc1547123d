using System.Globalization;
using AeNotebooks.Rendering;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// Feature scaling the way scikit-learn does it: fit on the training data only, then transform train, validation
/// and test with the same numbers, and map model outputs back with <c>InverseTransform</c>.
/// <code>
/// var scaler = Scalers.Standard().Fit(data.Train);
/// var train = scaler.Transform(data.Train);
/// var test  = scaler.Transform(data.Test);     // test statistics are never looked at
/// </code>
/// </summary>
public static class Scalers
{
    /// <summary>Min–max scaling to [min, max] (default [0, 1]) per feature; see <see cref="MinMaxScaler"/>.</summary>
    public static MinMaxScaler MinMax(double min = 0, double max = 1, ScaleOver over = ScaleOver.Feature) => new(min, max, over);

    /// <summary>Standardisation to mean 0, standard deviation 1 per feature; see <see cref="StandardScaler"/>.</summary>
    public static StandardScaler Standard(ScaleOver over = ScaleOver.Feature) => new(over);
}

/// <summary>
/// A fitted affine map per feature group: <c>y = (x − Center) / Scale · Stretch + Offset</c>.
/// Statistics are per feature over dimension 0 (rows of [N, F]; with <see cref="ScaleOver.Feature"/> every
/// position of an image is its own feature, as sklearn sees flattened images; <see cref="ScaleOver.Channel"/> and
/// <see cref="ScaleOver.All"/> pool more). NaN and ±∞ values are ignored when fitting and pass through
/// transforms unchanged (sklearn ignores NaN too). Results are new tensors, not connected to autograd.
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public abstract class Scaler : IRenderable
{
    protected Scaler(ScaleOver over) => Over = over;

    public ScaleOver Over { get; }
    public bool IsFitted => Center != null;

    /// <summary>The per-group value subtracted (data minimum, or mean).</summary>
    public double[]? Center { get; private set; }
    /// <summary>The per-group divisor (data range, or standard deviation), 1 where the feature is constant.</summary>
    public double[]? Scale { get; private set; }
    /// <summary>Per group: whether the fitted feature was constant (its scale was replaced by 1).</summary>
    public bool[]? Constant { get; private set; }
    /// <summary>The shape of one sample seen by Fit (dims 1..).</summary>
    public long[]? SampleShape { get; private set; }

    protected abstract double Stretch { get; }
    protected abstract double Offset { get; }
    protected abstract string Kind { get; }
    protected abstract (double center, double scale) FromStatistics(double min, double max, double mean, double std);

    /// <summary>Learns the per-feature statistics from the training data (only).</summary>
    public virtual Scaler Fit(Tensor train)
    {
        var grouping = new Grouping(train, Over, $"{Kind}.Fit");
        if (grouping.Samples == 0) throw new ArgumentException($"{Kind}.Fit: the training tensor has no samples");
        var (count, min, max, mean, std, _, _) = grouping.Statistics(train.ToArray());
        var center = new double[grouping.Groups];
        var scale = new double[grouping.Groups];
        var constant = new bool[grouping.Groups];
        for (int g = 0; g < grouping.Groups; g++)
        {
            if (count[g] == 0) { center[g] = 0; scale[g] = 1; constant[g] = true; continue; }
            (center[g], scale[g]) = FromStatistics(min[g], max[g], mean[g], std[g]);
            // sklearn's rule (_handle_zeros_in_scale): a zero range or variance divides by 1 instead of 0.
            if (min[g] == max[g] || !(scale[g] > 0)) { scale[g] = 1; constant[g] = true; }
        }
        (Center, Scale, Constant, SampleShape) = (center, scale, constant, grouping.SampleShape);
        return this;
    }

    /// <summary>Fit on this data, then transform it.</summary>
    public Tensor FitTransform(Tensor train) => Fit(train).Transform(train);

    /// <summary>Applies the fitted map; the sample shape must match the one fitted.</summary>
    public Tensor Transform(Tensor x) => Apply(x, inverse: false);

    /// <summary>Undoes <see cref="Transform"/> (e.g. to read reconstructions in the original units).</summary>
    public Tensor InverseTransform(Tensor x) => Apply(x, inverse: true);

    Tensor Apply(Tensor x, bool inverse)
    {
        string op = $"{Kind}.{(inverse ? "InverseTransform" : "Transform")}";
        if (Center == null || Scale == null || SampleShape == null)
            throw new InvalidOperationException($"{op}: the scaler is not fitted; call Fit(train) first");
        var grouping = new Grouping(x, Over, op);
        bool compatible = Over switch
        {
            ScaleOver.Feature => grouping.SampleShape.SequenceEqual(SampleShape),
            ScaleOver.Channel => grouping.Groups == Center.Length,
            _ => true,
        };
        if (!compatible)
            throw new ArgumentException($"{op}: samples of shape [{string.Join(", ", grouping.SampleShape)}] do not match the fitted [{string.Join(", ", SampleShape)}]");
        var values = x.ToArray();
        double stretch = Stretch, offset = Offset;
        // Per group: y = x·a + b (forward) with a = stretch/scale, b = offset − center·a; inverse x = (y − b)/a.
        var a = new double[Center.Length];
        var b = new double[Center.Length];
        for (int g = 0; g < a.Length; g++) { a[g] = stretch / Scale[g]; b[g] = offset - Center[g] * a[g]; }
        for (int i = 0; i < grouping.Samples; i++)
        {
            int row = i * grouping.SampleSize;
            for (int j = 0; j < grouping.SampleSize; j++)
            {
                int g = grouping.GroupOf[j];
                double v = values[row + j];
                values[row + j] = (float)(inverse ? (v - offset) / stretch * Scale[g] + Center[g] : (v - Center[g]) * a[g] + offset);
            }
        }
        return tensor(values, x.shape);
    }

    /// <summary>The fitted numbers per group (the first 20 for many features).</summary>
    public Table ToTable()
    {
        if (Center == null || Scale == null || Constant == null)
            return new Table($"{Kind} (not fitted)", ["over"], [[Over.ToString()]]);
        var rows = new List<IReadOnlyList<string>>();
        int shown = Math.Min(Center.Length, 20);
        for (int g = 0; g < shown; g++)
            rows.Add([g.ToString(CultureInfo.InvariantCulture), Fmt(Center[g]), Fmt(Scale[g]), Constant[g] ? "constant (scale 1)" : ""]);
        if (Center.Length > shown) rows.Add([$"… {Center.Length - shown} more", "", "", ""]);
        int constants = Constant.Count(c => c);
        return new Table($"{Kind} fitted over {Over.ToString().ToLowerInvariant()} ({Center.Length} groups, {constants} constant)",
            ["group", CenterName, ScaleName, "note"], rows);
    }

    protected abstract string CenterName { get; }
    protected abstract string ScaleName { get; }
    static string Fmt(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    public string ToHtml() => ToTable().ToHtml();
    public string ToText() => ToTable().ToText();
    public override string ToString() => ToText();
}

/// <summary>
/// Maps each feature's training range [DataMin, DataMax] onto [Min, Max] (sklearn's MinMaxScaler). Values outside
/// the training range (in test data) land outside [Min, Max]. A constant feature (zero range) is divided by 1,
/// as sklearn does, so its training value maps to Min instead of NaN.
/// </summary>
public sealed class MinMaxScaler : Scaler
{
    public MinMaxScaler(double min = 0, double max = 1, ScaleOver over = ScaleOver.Feature) : base(over)
    {
        if (!(max > min)) throw new ArgumentException($"MinMax: the target range [{min}, {max}] is empty");
        (Min, Max) = (min, max);
    }

    public double Min { get; }
    public double Max { get; }
    /// <summary>The per-group training minimum.</summary>
    public double[]? DataMin => Center;
    /// <summary>The per-group training maximum.</summary>
    public double[]? DataMax => Center?.Select((c, g) => Constant![g] ? c : c + Scale![g]).ToArray();

    public override MinMaxScaler Fit(Tensor train) => (MinMaxScaler)base.Fit(train);
    protected override double Stretch => Max - Min;
    protected override double Offset => Min;
    protected override string Kind => "MinMax";
    protected override string CenterName => "data min";
    protected override string ScaleName => "data range";
    protected override (double, double) FromStatistics(double min, double max, double mean, double std) => (min, max - min);
}

/// <summary>
/// Subtracts each feature's training mean and divides by its training standard deviation (population, ddof 0,
/// as sklearn's StandardScaler). A constant feature (zero variance) is divided by 1, as sklearn does, so it
/// becomes 0 instead of NaN (dividing by a zero standard deviation is the classic source of NaN inputs).
/// </summary>
public sealed class StandardScaler : Scaler
{
    public StandardScaler(ScaleOver over = ScaleOver.Feature) : base(over) { }

    /// <summary>The per-group training mean.</summary>
    public double[]? Mean => Center;
    /// <summary>The per-group training standard deviation (1 where the feature is constant).</summary>
    public double[]? Std => Scale;

    public override StandardScaler Fit(Tensor train) => (StandardScaler)base.Fit(train);
    protected override double Stretch => 1;
    protected override double Offset => 0;
    protected override string Kind => "Standard";
    protected override string CenterName => "mean";
    protected override string ScaleName => "std";
    protected override (double, double) FromStatistics(double min, double max, double mean, double std) => (mean, std);
}
