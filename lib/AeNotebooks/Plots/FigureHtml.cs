using System.Net;
using System.Text;

namespace AeNotebooks.Plotting;

/// <summary>
/// The HTML a figure renders as: a div holding the static SVG, and a script that replaces it with the interactive
/// plotly.js chart. plotly.js is found the way Plotly.NET.Interactive finds it: the page's <c>window.Plotly</c> if
/// there is one (the runner's reports include it once per page), else require.js with a private context (VS Code
/// Polyglot Notebooks, Jupyter), else one script tag per page from the CDN at the pinned version. Where scripts do
/// not run, or plotly.js cannot be loaded, the SVG stays.
/// </summary>
public static class FigureHtml
{
    /// <summary>The plotly.js version the charts are written for (the runner pins the same one).</summary>
    public const string PlotlyVersion = "2.35.2";

    public static string CdnUrl => $"https://cdn.plot.ly/plotly-{PlotlyVersion}.min.js";

    /// <summary>The marker class of the static picture inside a chart's div.</summary>
    public const string StaticClass = "aen-static";

    public static string Fragment(Figure figure)
    {
        var id = figure.Id;
        var sb = new StringBuilder();
        sb.Append("<div class=\"aen-figure\" id=\"").Append(id).Append("\" style=\"width:").Append(Px(figure.Layout.Width))
          .Append("px;max-width:100%;overflow-x:auto\">")
          .Append("<div class=\"").Append(StaticClass).Append("\">").Append(SvgRenderer.Render(figure, id + "-s")).Append("</div>")
          .Append("</div>\n<script type=\"text/javascript\">\n")
          .Append(Loader.Replace("__ID__", id).Replace("__CDN__", CdnUrl[..^3]).Replace("__FIGURE__", figure.ToJson()))
          .Append("\n</script>\n");
        return sb.ToString();
    }

    public static string Page(Figure figure, string? plotlySrc = null)
    {
        var title = WebUtility.HtmlEncode(figure.Layout.Title?.Text ?? "chart");
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + title + "</title>\n" +
               "<script src=\"" + WebUtility.HtmlEncode(plotlySrc ?? CdnUrl) + "\" charset=\"utf-8\"></script>\n</head>\n<body>\n" +
               Fragment(figure) + "</body>\n</html>\n";
    }

    static string Px(double v) => ((int)Math.Round(v)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    // __FIGURE__ is System.Text.Json output with its default encoder, which escapes <, > and &, so it cannot end the script.
    const string Loader = """
        (function () {
          var id = "__ID__", cdn = "__CDN__";
          var figure = __FIGURE__;
          function draw(Plotly) {
            var el = document.getElementById(id);
            if (!el || !Plotly || !Plotly.newPlot) return;
            var fallback = el.querySelector(".aen-static");
            if (fallback) el.removeChild(fallback);
            Plotly.newPlot(el, figure.data, figure.layout, figure.config).catch(function (e) {
              console.warn("plotly.js could not draw " + id + "; showing the static picture", e);
              if (fallback) el.appendChild(fallback);
            });
          }
          if (window.Plotly) { draw(window.Plotly); return; }
          if (typeof window.requirejs === "function" && typeof window.requirejs.config === "function") {
            var req = window.requirejs.config({ context: "aenotebooks-plotly", paths: { plotly: cdn } }) || window.require;
            req(["plotly"], draw);
            return;
          }
          var queue = window.__aenPlotlyQueue = window.__aenPlotlyQueue || [];
          queue.push(draw);
          if (queue.length > 1) return;
          var s = document.createElement("script");
          s.src = cdn + ".js";
          s.charset = "utf-8";
          s.onload = function () { var q = window.__aenPlotlyQueue || []; window.__aenPlotlyQueue = null; q.forEach(function (f) { f(window.Plotly); }); };
          s.onerror = function () { window.__aenPlotlyQueue = null; console.warn("plotly.js could not be loaded from " + s.src + "; charts stay static"); };
          document.head.appendChild(s);
        })();
        """;

}
