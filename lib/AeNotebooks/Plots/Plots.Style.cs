using System.Globalization;
using AeNotebooks.Plotting;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using static AeNotebooks.Plotting.PlotlyAttributes;

namespace AeNotebooks;

/// <summary>
/// The charts the notebooks show: loss curves, comparisons, gradient norms, activation statistics and histograms,
/// the learning-rate finder, histograms of data, the latent space, and reconstructions. Each chart is a Plotly.NET
/// <see cref="GenericChart"/> that renders itself in a notebook cell (offline: see <see cref="ChartHtml"/>) and that a
/// learner can restyle and save (<see cref="ChartExtensions"/>).
/// </summary>
public static partial class Plots
{
    /// <summary>A chart with the suite's look: white background, light grid, readable fonts, legend outside on the right.</summary>
    internal static ChartDraft NewChart(string title, string? subtitle = null, double width = 720, double height = 420)
    {
        var c = new ChartDraft(title, width, height) { Subtitle = subtitle };
        if (subtitle is not null) c.MarginTop = 74;
        c.Layout.Set("font", Font(12.5, Palette.Text, Palette.FontFamily))
            .Set("paper_bgcolor", Palette.Background).Set("plot_bgcolor", Palette.Background).Set("hovermode", "closest")
            .Set("legend", new Plotly.NET.LayoutObjects.Legend().Set("x", 1.02).Set("y", 1).Set("xanchor", "left").Set("yanchor", "top").Set("font", Font(12)));
        return c;
    }

    /// <summary>The suite's axis style; <paramref name="title"/> should name the unit (empty: no title).</summary>
    internal static LinearAxis Style(LinearAxis a, string title, bool log = false, double[]? range = null)
    {
        if (title != "") a.Set("title", new Title().Set("text", Html(title)).Set("font", Font(13)));
        return a.Set("type", log ? "log" : "linear").Set("showline", true).Set("linecolor", Palette.AxisLine)
            .Set("ticks", "outside").Set("tickcolor", Palette.AxisLine).Set("ticklen", 5)
            .Set("showgrid", true).Set("gridcolor", Palette.Grid).Set("zeroline", false).Set("automargin", true)
            .Set("exponentformat", log ? "power" : null) // 10⁻⁴ on log axes; 300k, not 3×10⁵, on linear ones
            .Set("range", range);
    }

    /// <summary>
    /// The last step of every chart: the title at the top left, the subtitle under it, room for the legend, and the
    /// Plotly.NET chart.
    /// </summary>
    internal static GenericChart Finish(ChartDraft c)
    {
        c.Layout.Set("title", TitleFor(c.Title, c.Height));
        if (c.Subtitle is not null)
        {
            double plot = Math.Max(1, c.Height - c.MarginTop - c.MarginBottom);
            // its top 36 px below the figure's top
            c.Annotations.Add(Annotation(Html(c.Subtitle), 0, 1 + (c.MarginTop - 36) / plot, xanchor: "left", yanchor: "top", font: Font(12.5, Palette.MutedText)));
        }
        FitLegend(c);
        return c.Build(Slug(c.Title));
    }

    /// <summary>The suite's title: one line, bold, at the top left.</summary>
    internal static Title TitleFor(string title, double height) =>
        new Title().Set("text", $"<b>{Html(title)}</b>").Set("x", 0).Set("xref", "paper").Set("xanchor", "left")
            .Set("y", 1 - 12 / height).Set("yanchor", "top").Set("font", Font(16, Palette.Text));

    /// <summary>Room on the right for the legend, from the longest entry.</summary>
    static void FitLegend(ChartDraft c)
    {
        var names = c.Traces.Where(t => t.TryGetTypedPropertyValue<string>("name") is not null
                                        && !(t.TryGetTypedPropertyValue<bool>("showlegend") is { } shown && !shown.Value))
                            .Select(t => t.TryGetTypedPropertyValue<string>("name").Value).ToList();
        bool show = c.ShowLegend ?? names.Count > 1;
        if (!show || names.Count == 0) { c.MarginRight = c.MarginRightWithoutLegend; c.ShowLegend = false; return; }
        c.ShowLegend = true;
        double widest = names.Max(n => System.Net.WebUtility.HtmlDecode(n).Length) * 12 * 0.5;
        c.MarginRight = Math.Ceiling(widest + 28 + 6 + 16 + 0.02 * (c.Width - 78));
    }

    /// <summary>Subplot domains for a grid of panels: (x from, x to, y from, y to) per panel, row by row from the top.</summary>
    internal static List<(double X0, double X1, double Y0, double Y1)> Grid(int panels, int columns, double hgap = 0.07, double vgap = 0.14)
    {
        int rows = (panels + columns - 1) / columns;
        double w = (1 - hgap * (columns - 1)) / columns, h = (1 - vgap * (rows - 1)) / rows;
        var list = new List<(double, double, double, double)>();
        for (int i = 0; i < panels; i++)
        {
            int r = i / columns, c = i % columns;
            double x0 = c * (w + hgap), y1 = 1 - r * (h + vgap);
            list.Add((Math.Round(x0, 4), Math.Round(x0 + w, 4), Math.Round(y1 - h, 4), Math.Round(y1, 4)));
        }
        return list;
    }

    /// <summary>Axis ids for panel i (0-based): ("x", "y"), ("x2", "y2"), …</summary>
    internal static (string X, string Y) AxisIds(int i) => i == 0 ? ("x", "y") : ($"x{i + 1}", $"y{i + 1}");

    /// <summary>A panel title above the panel's domain.</summary>
    internal static Annotation PanelTitle(string text, double x0, double x1, double yTop) =>
        Annotation(text, (x0 + x1) / 2, yTop, xanchor: "center", yanchor: "bottom", font: Font(13, Palette.Text));

    /// <summary>A grey message in the middle of an empty chart.</summary>
    internal static Annotation EmptyMessage(string text) => Annotation(text, 0.5, 0.5, font: Font(color: Palette.MutedText));

    /// <summary>Plotly text is HTML-like: escape what the user typed.</summary>
    internal static string Html(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    internal static string F(double v) =>
        !double.IsFinite(v) ? (double.IsNaN(v) ? "NaN" : v > 0 ? "∞" : "−∞")
        : v != 0 && (Math.Abs(v) < 1e-3 || Math.Abs(v) >= 1e5) ? v.ToString("0.00e0", CultureInfo.InvariantCulture)
        : v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>A value with <paramref name="digits"/> significant digits, trailing zeros kept (0.0465, 0.113, 0.120), so columns of numbers line up.</summary>
    internal static string Sig(double v, int digits = 3)
    {
        if (!double.IsFinite(v) || v == 0 || Math.Abs(v) >= 1e5 || Math.Abs(v) < 1e-4) return F(v);
        int decimals = Math.Max(0, digits - 1 - (int)Math.Floor(Math.Log10(Math.Abs(v))));
        return Math.Round(v, decimals).ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    static string Slug(string title)
    {
        var chars = title.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray();
        var s = string.Join("-", new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return s.Length == 0 ? "chart" : s[..Math.Min(60, s.Length)];
    }

    /// <summary>
    /// A centred moving average over <paramref name="window"/> points (the finite ones in reach), so the trend does not
    /// lag behind the data as an exponential average would; NaN steps stay gaps.
    /// </summary>
    internal static double[] Smooth(IReadOnlyList<double> values, int window)
    {
        int n = values.Count, half = Math.Max(0, window / 2);
        var prefix = new double[n + 1];
        var count = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            bool ok = double.IsFinite(values[i]);
            prefix[i + 1] = prefix[i] + (ok ? values[i] : 0);
            count[i + 1] = count[i] + (ok ? 1 : 0);
        }
        var result = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(values[i])) { result[i] = double.NaN; continue; }
            int a = Math.Max(0, i - half), b = Math.Min(n, i + half + 1);
            result[i] = (prefix[b] - prefix[a]) / (count[b] - count[a]);
        }
        return result;
    }

    /// <summary>A smoothing window for <paramref name="n"/> points: about 1/25 of them, odd, between 1 and 101.</summary>
    internal static int SmoothingWindow(int n) => Math.Clamp(n / 25, 1, 101) | 1;

    /// <summary>Range for a y axis over the values (positive ones on a log axis), with headroom on top for NaN markers.</summary>
    internal static double[] YRange(IEnumerable<double> values, bool log, double headroom = 0.04)
    {
        var v = values.Where(x => double.IsFinite(x) && (!log || x > 0)).Select(x => log ? Math.Log10(x) : x).ToList();
        double lo, hi;
        if (v.Count == 0) { lo = log ? -3 : 0; hi = log ? 1 : 1; }
        else { lo = v.Min(); hi = v.Max(); }
        if (hi - lo < 1e-9) { double d = log ? 0.5 : Math.Max(Math.Abs(lo) * 0.1, 0.5); lo -= d; hi += d; }
        double span = hi - lo;
        return [lo - 0.05 * span, hi + (0.05 + headroom) * span];
    }

    /// <summary>The y value at the top of a range (the NaN marker row), in data units.</summary>
    internal static double TopOf(double[] range, bool log, double fraction = 0.035)
    {
        double u = range[1] - fraction * (range[1] - range[0]);
        return log ? Math.Pow(10, u) : u;
    }
}
