using System.Collections;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Plotly.NET;

namespace AeNotebooks.Plotting;

/// <summary>
/// A chart as plain text (text/plain): its title, one line per named trace with its point count and y range, and
/// the notes the chart helpers keep in the layout's <c>meta</c>. Consoles, logs and tests read charts through it.
/// </summary>
public static class ChartText
{
    public static string Describe(GenericChart chart)
    {
        var traces = GenericChart.getTraces(chart).ToList();
        var layout = GenericChart.getLayout(chart);
        var sb = new StringBuilder();
        sb.Append(Title(chart) ?? "chart").Append(" (").Append(traces.Count).Append(traces.Count == 1 ? " trace" : " traces").Append(')');
        foreach (var t in traces)
        {
            var name = Get(t, "name") as string;
            if (name is null || Get(t, "showlegend") is false) continue;
            sb.AppendLine().Append("  ").Append(Plain(name)).Append(": ");
            if (Get(t, "z") is IEnumerable z and not string)
            {
                var rows = z.Cast<object>().ToList();
                sb.Append(rows.Count).Append(" × ").Append(rows.FirstOrDefault() is IEnumerable r and not string ? r.Cast<object>().Count() : 0).Append(" cells");
                continue;
            }
            var x = Values(Get(t, "x"));
            var y = Values(Get(t, "y")).Where(double.IsFinite).ToList();
            sb.Append(x.Count).Append(" points");
            if (y.Count > 0) sb.Append(", y from ").Append(Fmt(y.Min())).Append(" to ").Append(Fmt(y.Max()));
        }
        if (Get(layout, "meta") is IEnumerable notes and not string)
            foreach (var note in notes) sb.AppendLine().Append("  ").Append(note);
        return sb.ToString();
    }

    /// <summary>The chart's title without plotly's HTML-like markup, or null.</summary>
    public static string? Title(GenericChart chart) =>
        Get(GenericChart.getLayout(chart), "title") switch
        {
            DynamicObj.DynamicObj title => Get(title, "text") is string s ? Plain(s) : null,
            string s => Plain(s),
            _ => null,
        };

    internal static double? Number(DynamicObj.DynamicObj obj, string name) =>
        Get(obj, name) is IConvertible c and not string ? c.ToDouble(CultureInfo.InvariantCulture) : null;

    internal static object? Get(DynamicObj.DynamicObj obj, string name)
    {
        var value = obj.TryGetPropertyValue(name);
        return value is null ? null : value.Value;
    }

    static List<double> Values(object? values) => values is IEnumerable e and not string
        ? e.Cast<object?>().Select(v => v is IConvertible c and not string ? c.ToDouble(CultureInfo.InvariantCulture) : double.NaN).ToList()
        : [];

    static string Plain(string text) =>
        WebUtility.HtmlDecode(Regex.Replace(text.Replace("<br>", " — "), "<[^>]*>", ""));

    static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
