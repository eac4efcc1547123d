using System.Net;
using System.Text;
using Plotly.NET;

namespace AeNotebooks.Plotting;

/// <summary>
/// The HTML a chart renders as in a notebook, drawn offline with the plotly.js that Plotly.NET carries
/// (<see cref="PlotlyJsVersion"/>). plotly.js (3.6 MB) is written into the first chart output of a kernel session
/// only, defining <c>window.Plotly</c>; every chart output queues its drawing until <c>window.Plotly</c> exists, so the
/// order in which a viewer renders outputs does not matter (VS Code renders all outputs of a notebook in one webview,
/// also when a saved notebook is re-opened). Each chart first shows its plain text, which stays where plotly.js never
/// arrives (a viewer that runs no scripts, or the output that carried plotly.js was cleared; see
/// <see cref="IncludePlotlyJsInNextChart"/>).
/// </summary>
public static class ChartHtml
{
    public const string PlotlyJsVersion = "2.28.0";
    const string PlotlyJsResource = "Plotly.NET.plotly-" + PlotlyJsVersion + ".min.js";

    /// <summary>
    /// The attribute on the script element that carries plotly.js inside an output, so that a page that shows the
    /// output (the runner's reports) knows it needs no other copy.
    /// </summary>
    public const string InlinePlotlyJsAttribute = "data-plotly-js-inline";

    static readonly Lazy<string> plotlyJs = new(() =>
    {
        using var stream = typeof(GenericChart).Assembly.GetManifestResourceStream(PlotlyJsResource)
            ?? throw new InvalidOperationException($"Plotly.NET no longer embeds {PlotlyJsResource}; update {nameof(ChartHtml)}.{nameof(PlotlyJsVersion)}");
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>plotly.js as Plotly.NET embeds it.</summary>
    public static string PlotlyJs => plotlyJs.Value;

    static int plotlyJsWritten;

    /// <summary>
    /// Makes the next chart output carry plotly.js again: for a notebook whose output with plotly.js was cleared while
    /// the kernel kept running (other charts then show their text and say so).
    /// </summary>
    public static void IncludePlotlyJsInNextChart() => Interlocked.Exchange(ref plotlyJsWritten, 0);

    /// <summary>The chart as a notebook output; the first one in this process carries plotly.js.</summary>
    public static string Fragment(GenericChart chart) => Fragment(chart, includePlotlyJs: Interlocked.Exchange(ref plotlyJsWritten, 1) == 0);

    public static string Fragment(GenericChart chart, bool includePlotlyJs)
    {
        var id = "aen-chart-" + Guid.NewGuid().ToString("N")[..12];
        var width = ChartText.Number(GenericChart.getLayout(chart), "width");
        var sb = new StringBuilder();
        sb.Append("<div class=\"aen-chart\" id=\"").Append(id).Append('"')
          .Append(width is double w ? $" style=\"width:{(int)Math.Round(w)}px;max-width:100%;overflow-x:auto\"" : "").Append('>')
          .Append("<pre class=\"aen-chart-text\" style=\"white-space:pre-wrap;margin:0\">")
          .Append(WebUtility.HtmlEncode(ChartText.Describe(chart))).Append("</pre></div>\n");
        if (includePlotlyJs) AppendPlotlyJs(sb);
        sb.Append("<script type=\"text/javascript\">\n")
          .Append(Drawer.Replace("__ID__", id).Replace("__FIGURE__", ScriptSafeJson(chart)))
          .Append("\n</script>\n");
        return sb.ToString();
    }

    /// <summary>A standalone page with plotly.js inside: it draws offline, wherever the file is opened.</summary>
    public static string Page(GenericChart chart)
    {
        var title = WebUtility.HtmlEncode(ChartText.Title(chart) ?? "chart");
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + title + "</title>\n</head>\n<body>\n" +
               Fragment(chart, includePlotlyJs: true) + "</body>\n</html>\n";
    }

    static void AppendPlotlyJs(StringBuilder sb) =>
        // plotly.js is a UMD bundle: where require.js or a CommonJS shim is on the page (Jupyter, Plotly.NET.Interactive)
        // it would register a module instead of window.Plotly, so those names are hidden from it.
        sb.Append("<script type=\"text/javascript\" ").Append(InlinePlotlyJsAttribute).Append("=\"").Append(PlotlyJsVersion).Append("\">\n")
          .Append("if (!window.Plotly) (function (define, module, exports) {\n").Append(PlotlyJs).Append("\n}).call(window);\n")
          .Append("(function () { var q = window.__aenPlotlyQueue || []; window.__aenPlotlyQueue = []; q.forEach(function (draw) { draw(); }); })();\n")
          .Append("</script>\n");

    /// <summary>Plotly.NET's JSON of the chart ({data, layout, config}), safe inside a script element.</summary>
    static string ScriptSafeJson(GenericChart chart) => GenericChart.toJson(chart).Replace("</", "<\\/").Replace("<!--", "<\\u0021--");

    // Draws once (a second call finds the marker); waits in window.__aenPlotlyQueue until an output brings plotly.js.
    const string Drawer = """
        (function () {
          var id = "__ID__", figure = __FIGURE__;
          function draw() {
            var el = document.getElementById(id);
            if (!el || el.getAttribute("data-drawn") || !window.Plotly) return;
            el.setAttribute("data-drawn", "plotly");
            var text = el.querySelector(".aen-chart-text");
            if (text) text.style.display = "none";
            window.Plotly.newPlot(el, figure.data, figure.layout, figure.config).catch(function (e) {
              console.warn("plotly.js could not draw " + id, e);
              if (text) text.style.display = "";
            });
          }
          if (window.Plotly && window.Plotly.newPlot) { draw(); return; }
          (window.__aenPlotlyQueue = window.__aenPlotlyQueue || []).push(draw);
          setTimeout(function () {
            var el = document.getElementById(id);
            if (!el || el.getAttribute("data-drawn")) return;
            var note = document.createElement("div");
            note.style.color = "#57606A";
            note.textContent = "plotly.js is not on this page: the chart output that carried it (the first of the kernel session) is not shown. " +
              "Run ChartHtml.IncludePlotlyJsInNextChart() and this cell again.";
            el.appendChild(note);
          }, 5000);
        })();
        """;
}
