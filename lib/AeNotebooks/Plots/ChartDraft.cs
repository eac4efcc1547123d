using DynamicObj;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using Plotly.NET.TraceObjects;

namespace AeNotebooks.Plotting;

/// <summary>
/// The chart helpers' working copy of a chart: Plotly.NET's own trace, layout and config objects, filled in with
/// plotly.js attribute names, plus the notes for the chart's plain text. <see cref="Build"/> turns it into the
/// <see cref="GenericChart"/> a learner gets; nothing here outlives that call.
/// </summary>
internal sealed class ChartDraft(string title, double width, double height)
{
    public List<Trace> Traces { get; } = new();
    public Layout Layout { get; } = new();
    public List<Annotation> Annotations { get; } = new();
    public List<Shape> Shapes { get; } = new();
    /// <summary>One line each in the chart's plain text, under the traces.</summary>
    public List<string> Notes { get; } = new();
    public string Title { get; } = title;
    public string? Subtitle { get; set; }
    public double Width { get; set; } = width;
    public double Height { get; set; } = height;
    public double MarginLeft { get; set; } = 78;
    public double MarginRight { get; set; } = 24;
    public double MarginTop { get; set; } = 52;
    public double MarginBottom { get; set; } = 58;
    public bool? ShowLegend { get; set; }
    /// <summary>The right margin when no legend is shown (a colour bar needs more).</summary>
    public double MarginRightWithoutLegend { get; set; } = 24;
    readonly Dictionary<string, LinearAxis> axes = new();

    public Trace Add(Trace trace) { Traces.Add(trace); return trace; }

    /// <summary>The x axis of panel <paramref name="i"/> (1 = "xaxis", 2 = "xaxis2"), created when missing.</summary>
    public LinearAxis XAxis(int i = 1) => Axis(i == 1 ? "xaxis" : $"xaxis{i}");
    public LinearAxis YAxis(int i = 1) => Axis(i == 1 ? "yaxis" : $"yaxis{i}");

    LinearAxis Axis(string key)
    {
        if (!axes.TryGetValue(key, out var axis)) axes[key] = axis = new LinearAxis();
        return axis;
    }

    public GenericChart Build(string imageFileName)
    {
        foreach (var (key, axis) in axes) Layout.SetProperty(key, axis);
        if (Annotations.Count > 0) Layout.SetProperty("annotations", Annotations.ToArray());
        if (Shapes.Count > 0) Layout.SetProperty("shapes", Shapes.ToArray());
        Layout.Set("width", Width).Set("height", Height).Set("showlegend", ShowLegend)
              .Set("margin", new Margin().Set("l", MarginLeft).Set("r", MarginRight).Set("t", MarginTop).Set("b", MarginBottom));
        // plotly.js's slot for data that belongs to the chart; nothing draws it. The plain text reads it back, so a chart
        // a learner restyles keeps its numbers.
        if (Notes.Count > 0) Layout.SetProperty("meta", Notes.ToArray());
        var config = new Config().Set("displaylogo", false).Set("modeBarButtonsToRemove", new[] { "select2d", "lasso2d" })
            .Set("toImageButtonOptions", new DynamicObj.DynamicObj().Set("format", "png").Set("filename", imageFileName).Set("scale", 2));
        // an empty chart (a run without steps) still draws its axes and message: one trace without points
        var chart = GenericChart.combine((Traces.Count > 0 ? Traces : [new Trace2D("scatter")]).Select(t => GenericChart.ofTraceObject(false, t)));
        return GenericChart.setConfig(config, GenericChart.setLayout(Layout, chart));
    }
}

/// <summary>Setting plotly.js attributes on Plotly.NET's dynamic objects from C#.</summary>
internal static class PlotlyAttributes
{
    /// <summary>Sets <paramref name="name"/> unless <paramref name="value"/> is null (plotly's default then applies).</summary>
    public static T Set<T>(this T obj, string name, object? value) where T : DynamicObj.DynamicObj
    {
        if (value is not null) obj.SetProperty(name, value);
        return obj;
    }

    /// <summary>Numbers for plotly.js: NaN and ±∞ (which JSON cannot hold) become null, which plotly draws as a gap.</summary>
    public static double?[] Numbers(IEnumerable<double> values) => values.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray();

    public static Trace2D Scatter(string? name, IEnumerable<double> x, IEnumerable<double> y, string mode = "lines") =>
        new Trace2D("scatter").Set("name", name).Set("mode", mode).Set("x", Numbers(x)).Set("y", Numbers(y));

    public static Line Line(string? color, double? width = null, string? dash = null) =>
        new Line().Set("color", color).Set("width", width).Set("dash", dash);

    public static Marker Marker(string? color, double? size = null, string? symbol = null, double? opacity = null, Line? line = null) =>
        new Marker().Set("color", color).Set("size", size).Set("symbol", symbol).Set("opacity", opacity).Set("line", line);

    public static Font Font(double? size = null, string? color = null, string? family = null) =>
        new Font().Set("size", size).Set("color", color).Set("family", family);

    /// <summary>Text placed in paper fractions (xref/yref "paper") unless other references are given.</summary>
    public static Annotation Annotation(string text, double x, double y, string xref = "paper", string yref = "paper",
        string? xanchor = null, string? yanchor = null, Font? font = null, string? bgcolor = null) =>
        new Annotation().Set("text", text).Set("x", x).Set("y", y).Set("xref", xref).Set("yref", yref)
            .Set("xanchor", xanchor).Set("yanchor", yanchor).Set("showarrow", false).Set("font", font).Set("bgcolor", bgcolor);

    /// <summary>A vertical line at x over the whole height of a panel.</summary>
    public static Shape VerticalLine(string xref, string yref, double x, Line line, bool below) =>
        new Shape().Set("type", "line").Set("xref", xref).Set("yref", yref + " domain").Set("x0", x).Set("x1", x).Set("y0", 0).Set("y1", 1)
            .Set("line", line).Set("layer", below ? "below" : null);
}
