using AeNotebooks.Plotting;
using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using static AeNotebooks.Plotting.PlotlyAttributes;

namespace AeNotebooks;

/// <summary>
/// Restyling and saving a chart from C#, without Plotly.NET's F# options: <c>Plots.Loss(run).WithTitle("…").SaveHtml("loss.html")</c>.
/// Any other Plotly.NET function works on the same <see cref="GenericChart"/> (<c>Chart.withLayout</c>, <c>GenericChart.toJson</c>, …).
/// </summary>
public static class ChartExtensions
{
    /// <summary>A new title, in the suite's style (top left, bold).</summary>
    public static GenericChart WithTitle(this GenericChart chart, string title) =>
        MapLayout(chart, layout => layout.Set("title", Plots.TitleFor(title, ChartText.Number(layout, "height") ?? 420)));

    /// <summary>The chart's size in pixels.</summary>
    public static GenericChart WithSize(this GenericChart chart, int width, int height) =>
        MapLayout(chart, layout => layout.Set("width", width).Set("height", height));

    /// <summary>The title of the x axis (of panel <paramref name="panel"/> in a chart with several).</summary>
    public static GenericChart WithXAxisTitle(this GenericChart chart, string title, int panel = 1) =>
        MapLayout(chart, layout => AxisTitle(layout, panel == 1 ? "xaxis" : $"xaxis{panel}", title));

    public static GenericChart WithYAxisTitle(this GenericChart chart, string title, int panel = 1) =>
        MapLayout(chart, layout => AxisTitle(layout, panel == 1 ? "yaxis" : $"yaxis{panel}", title));

    /// <summary>
    /// Writes the chart as a standalone HTML page with plotly.js inside (it draws offline, about 3.6 MB) and returns
    /// the file's full path.
    /// </summary>
    public static string SaveHtml(this GenericChart chart, string path)
    {
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(full, ChartHtml.Page(chart));
        return full;
    }

    /// <summary>The chart as text: its title, one line per trace (points, y range), and the helpers' notes.</summary>
    public static string ToText(this GenericChart chart) => ChartText.Describe(chart);

    /// <summary>The chart as a notebook's HTML output (the first in a session carries plotly.js).</summary>
    public static string ToHtml(this GenericChart chart) => ChartHtml.Fragment(chart);

    static Layout AxisTitle(Layout layout, string key, string title)
    {
        var axis = ChartText.Get(layout, key) as LinearAxis ?? new LinearAxis();
        layout.SetProperty(key, axis.Set("title", new Title().Set("text", Plots.Html(title)).Set("font", Font(13))));
        return layout;
    }

    // Plotly.NET's own styling functions (Chart.withTitle, …) change the chart's layout object too; these do the same.
    static GenericChart MapLayout(GenericChart chart, Func<Layout, Layout> change) =>
        GenericChart.mapLayout(FuncConvert.FromFunc(change), chart);
}
