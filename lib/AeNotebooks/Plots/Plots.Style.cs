using System.Globalization;
using System.Runtime.CompilerServices;
using AeNotebooks.Plotting;

namespace AeNotebooks;

/// <summary>
/// The charts the notebooks show: loss curves, comparisons, gradient norms, activation statistics and histograms,
/// the learning-rate finder, histograms of data, the latent space, and reconstructions. Each returns a
/// <see cref="Figure"/> (or an image grid) that renders itself in a notebook cell.
/// </summary>
public static partial class Plots
{
    /// <summary>A figure with the suite's look: white background, light grid, readable fonts, legend outside on the right.</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Figure, Annotation> Subtitles = new();

    internal static Figure NewFigure(string title, string? subtitle = null, double width = 720, double height = 420)
    {
        var f = new Figure();
        var l = f.Layout;
        l.Width = width;
        l.Height = height;
        // the title on one line at the top left; the subtitle is an annotation under it (placed by Finish)
        l.Title = new Title
        {
            Text = $"<b>{Html(title)}</b>",
            X = 0, XRef = "paper", XAnchor = "left", Y = 1 - 12 / height, YAnchor = "top",
            Font = new Font { Size = 16, Color = Palette.Text },
        };
        if (subtitle is not null) SetSubtitle(f, subtitle);
        l.Font = new Font { Family = Palette.FontFamily, Size = 12.5, Color = Palette.Text };
        l.PaperBgColor = Palette.Background;
        l.PlotBgColor = Palette.Background;
        l.Margin = new Margin { L = 78, R = 24, T = subtitle is null ? 52 : 74, B = 58 };
        l.HoverMode = "closest";
        l.Legend = new Legend { X = 1.02, Y = 1, XAnchor = "left", YAnchor = "top", Font = new Font { Size = 12 } };
        f.Config.ToImageButtonOptions!.Filename = Slug(title);
        return f;
    }

    /// <summary>The suite's axis style; <paramref name="title"/> should name the unit.</summary>
    internal static Axis Style(Axis a, string title, bool log = false)
    {
        a.Title = new AxisTitle { Text = Html(title), Font = new Font { Size = 13 } };
        a.Type = log ? "log" : "linear";
        a.ShowLine = true;
        a.LineColor = Palette.AxisLine;
        a.Ticks = "outside";
        a.TickColor = Palette.AxisLine;
        a.TickLen = 5;
        a.ShowGrid = true;
        a.GridColor = Palette.Grid;
        a.ZeroLine = false;
        a.AutoMargin = true;
        a.ExponentFormat = log ? "power" : null; // 10⁻⁴ on log axes; 300k, not 3×10⁵, on linear ones
        return a;
    }

    internal static void SetSubtitle(Figure f, string subtitle)
    {
        if (!Subtitles.TryGetValue(f, out var a))
        {
            a = new Annotation { XRef = "paper", YRef = "paper", X = 0, XAnchor = "left", YAnchor = "top", Font = new Font { Size = 12.5, Color = Palette.MutedText } };
            Subtitles.Add(f, a);
            f.Layout.Annotate(a);
        }
        a.Text = Html(subtitle);
    }

    /// <summary>The last step of every chart: the subtitle's place under the title, and room for the legend.</summary>
    internal static void Finish(Figure f)
    {
        var l = f.Layout;
        if (Subtitles.TryGetValue(f, out var sub))
        {
            double plot = Math.Max(1, l.Height - (l.Margin!.T ?? 0) - (l.Margin.B ?? 0));
            sub.Y = 1 + ((l.Margin.T ?? 0) - 36) / plot; // its top 36 px below the figure's top
        }
        FitLegend(f);
    }

    /// <summary>Room on the right for the legend, from the longest entry.</summary>
    static void FitLegend(Figure f)
    {
        var names = f.Data.Where(t => t.Name is not null && t.ShowLegend != false).Select(t => t.Name!).ToList();
        bool shown = f.Layout.ShowLegend ?? names.Count > 1;
        if (!shown || names.Count == 0) { f.Layout.Margin!.R = 24; f.Layout.ShowLegend = false; return; }
        f.Layout.ShowLegend = true;
        double widest = names.Max(n => System.Net.WebUtility.HtmlDecode(n).Length) * 12 * 0.5;
        f.Layout.Margin!.R = Math.Ceiling(widest + 28 + 6 + 16 + 0.02 * (f.Layout.Width - 78));
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
    internal static Annotation PanelTitle(string text, double x0, double x1, double yTop) => new()
    {
        Text = text, X = (x0 + x1) / 2, Y = yTop, XRef = "paper", YRef = "paper", XAnchor = "center", YAnchor = "bottom",
        Font = new Font { Size = 13, Color = Palette.Text },
    };

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
