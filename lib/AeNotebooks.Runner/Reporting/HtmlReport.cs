using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Reporting;

public sealed record ReportLinks(string? IndexHref = null, string? ExecutedNotebookHref = null, string? SourceDisplayPath = null);

public sealed record IndexEntry(string DisplayPath, string Status, TimeSpan? Duration, string? Detail, string? ReportHref, string? NotebookHref);

/// <summary>
/// One self-contained HTML page per executed notebook: markdown rendered with Markdig, C# highlighted, outputs
/// inline (the richest mime type of each), errors at the failing cell and in a banner at the top linking to it,
/// plotly.js included once in the page head when an output needs it, and KaTeX (script and fonts inside the page)
/// typesetting the formulas when the markdown has any.
/// </summary>
public static partial class HtmlReport
{
    /// <summary>Mime types in the order the report prefers them (the notebook keeps all of them).</summary>
    public static readonly string[] MimePreference =
        ["text/html", "image/svg+xml", "image/png", "image/jpeg", "image/gif", "text/markdown", "application/json", "text/plain"];

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>
    /// The attribute of a script element that carries plotly.js inside an output (AeNotebooks' chart formatter writes it
    /// on the first chart of a kernel session, so that notebooks draw offline); a page with such an output has its copy.
    /// </summary>
    public const string InlinePlotlyAttribute = "data-plotly-js-inline";

    /// <summary>
    /// True when an HTML output looks for plotly.js (Plotly.newPlot, a require.js path to plotly, …) and no output
    /// brings plotly.js itself: a second copy would load 3.6 MB twice and replace window.Plotly under drawn charts.
    /// </summary>
    public static bool NeedsPlotly(Notebook nb)
    {
        var html = nb.Cells.SelectMany(c => c.Outputs).SelectMany(o => o.Data).Where(d => d.Key == "text/html").Select(d => d.Value).ToList();
        return html.Any(h => h.Contains("plotly", StringComparison.OrdinalIgnoreCase))
            && !html.Any(h => h.Contains(InlinePlotlyAttribute, StringComparison.Ordinal));
    }

    /// <summary>
    /// True when outputs are drawn by plotly.js (their HTML calls Plotly.newPlot) and none of them carries a static
    /// picture (image/*) beside it: the notebook was run where its charts' pictures could not be drawn.
    /// </summary>
    public static bool ChartsWithoutPictures(Notebook nb)
    {
        var charts = nb.Cells.SelectMany(c => c.Outputs)
            .Where(o => o.Data.Any(d => d.Key == "text/html" && d.Value.Contains("Plotly.newPlot", StringComparison.Ordinal))).ToList();
        return charts.Count > 0 && !charts.Any(o => o.Data.Any(d => d.Key.StartsWith("image/", StringComparison.Ordinal)));
    }

    /// <param name="katex">KaTeX for the formulas (default <see cref="KatexAsset.Bundle"/>, asked only when there are formulas); null: shown as source.</param>
    public static string Render(NotebookRun run, ReportLinks? links = null, PlotlyReference? plotly = null, Func<KatexBundle?>? katex = null)
    {
        links ??= new ReportLinks();
        var nb = run.Notebook;
        var cells = new StringBuilder();
        var formulas = 0;
        foreach (var cellRun in run.Cells) formulas += AppendCell(cells, cellRun);
        var math = formulas > 0 ? (katex ?? (() => KatexAsset.Bundle()))() : null;

        var sb = new StringBuilder();
        var title = run.Name;
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<title>").Append(Encode(title)).Append(" — ").Append(StatusWord(run.Status)).Append("</title>\n")
          .Append("<style>").Append(Css).Append("</style>\n");
        if (plotly is not null && NeedsPlotly(nb)) AppendPlotly(sb, plotly);
        if (math is not null)
        {
            sb.Append("<!-- ").Append(Encode(math.Comment).Replace("--", "- -")).Append(" -->\n")
              .Append("<style>").Append(math.Stylesheet).Append(KatexAsset.PageCss).Append("</style>\n")
              .Append("<script>").Append(math.Script).Append("</script>\n");
        }
        sb.Append("</head>\n<body>\n<header>\n");
        if (links.IndexHref is not null) sb.Append("<nav><a href=\"").Append(Encode(links.IndexHref)).Append("\">← all notebooks</a></nav>\n");
        sb.Append("<h1>").Append(Encode(title)).Append("</h1>\n<p class=\"meta\"><span class=\"badge ").Append(StatusClass(run.Status)).Append("\">")
          .Append(StatusWord(run.Status)).Append("</span> ")
          .Append(Encode(FormatDuration(run.Duration))).Append(" · started ")
          .Append(Encode(run.StartedAt.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)))
          .Append(" · ").Append(run.Cells.Count(c => c.Status == CellRunStatus.Succeeded)).Append(" of ")
          .Append(run.Cells.Count(c => c.Cell.IsCode)).Append(" code cells ran");
        if (links.SourceDisplayPath is not null) sb.Append(" · source <code>").Append(Encode(links.SourceDisplayPath)).Append("</code>");
        if (links.ExecutedNotebookHref is not null)
            sb.Append(" · <a href=\"").Append(Encode(links.ExecutedNotebookHref)).Append("\">executed notebook</a>");
        sb.Append("</p>\n");
        if (run.AppliedParameters.Count > 0)
        {
            sb.Append("<p class=\"meta\">parameters: ")
              .Append(string.Join(", ", run.AppliedParameters.Select(p => $"<code>{Encode(p.Key)}={Encode(p.Value)}</code>")))
              .Append("</p>\n");
        }
        foreach (var cellRun in run.Cells.Where(c => c.Error is not null))
        {
            sb.Append("<div class=\"banner error\" role=\"alert\"><strong>")
              .Append(cellRun.Status == CellRunStatus.TimedOut ? "Timed out" : "Failed")
              .Append(" at <a href=\"#cell-").Append(cellRun.Number).Append("\">cell ").Append(cellRun.Number).Append("</a>");
            if (cellRun.Error!.Line is { } line) sb.Append(", line ").Append(line);
            sb.Append(":</strong> ").Append(Encode(cellRun.Error.Message));
            var notRun = run.Cells.Count(c => c.Status == CellRunStatus.NotRun);
            if (notRun > 0) sb.Append(" <span class=\"muted\">(").Append(notRun).Append(" later code cell").Append(notRun == 1 ? " was" : "s were").Append(" not run)</span>");
            sb.Append("</div>\n");
        }
        foreach (var note in run.Notes) sb.Append("<div class=\"banner note\">").Append(Encode(note)).Append("</div>\n");
        sb.Append("</header>\n<main>\n");

        sb.Append(cells);
        sb.Append("</main>\n");
        if (math is not null) sb.Append("<script>").Append(KatexAsset.TypesetScript).Append("</script>\n");
        sb.Append("<footer>AeNotebooks.Runner ").Append(Encode(NotebookRunner.Version));
        if (formulas > 0 && math is null)
            sb.Append(" · formulas are shown as LaTeX source: KaTeX ").Append(KatexAsset.Version).Append(" could not be fetched with npm when this report was written");
        sb.Append("</footer>\n</body>\n</html>\n");
        return sb.ToString();
    }

    static void AppendPlotly(StringBuilder sb, PlotlyReference plotly)
    {
        sb.Append("<!-- ").Append(Encode(plotly.Comment).Replace("--", "- -")).Append(" -->\n")
          .Append("<script src=\"").Append(Encode(plotly.Src)).Append("\" charset=\"utf-8\"></script>\n")
          .Append("<script>").Append(RequireShim).Append("</script>\n");
    }

    /// <summary>
    /// Outputs that load plotly through require.js get the page's Plotly: a minimal require/requirejs (only when the
    /// page has none) that answers any module whose name contains "plotly" with window.Plotly.
    /// </summary>
    const string RequireShim =
        "(function(){if(typeof window.require==='function'||typeof window.requirejs==='function')return;" +
        "function m(n){return /plotly/i.test(String(n))?window.Plotly:undefined}" +
        "function r(d,cb){if(typeof d==='string')return m(d);var a=(d||[]).map(m);if(typeof cb==='function')cb.apply(window,a)}" +
        "r.config=function(){return r};window.require=window.requirejs=r})();";

    /// <summary>Appends a cell; returns the number of formulas in it.</summary>
    static int AppendCell(StringBuilder sb, CellRun cellRun)
    {
        var cell = cellRun.Cell;
        var n = cellRun.Number;
        var formulas = 0;
        if (!cell.IsCode)
        {
            sb.Append("<section class=\"cell markdown\" id=\"cell-").Append(n).Append("\">\n");
            if (cell.Kind == CellKind.Markdown) sb.Append(ReportMarkdown.ToHtml(cell.Source, out formulas));
            else sb.Append("<pre class=\"raw\">").Append(Encode(cell.Source)).Append("</pre>");
            sb.Append("\n</section>\n");
            return formulas;
        }
        var status = cellRun.Status switch
        {
            CellRunStatus.Succeeded => "ok",
            CellRunStatus.Failed => "failed",
            CellRunStatus.TimedOut => "timed-out",
            CellRunStatus.Cancelled => "cancelled",
            CellRunStatus.Skipped => "skipped",
            _ => "not-run",
        };
        sb.Append("<section class=\"cell code ").Append(status).Append("\" id=\"cell-").Append(n).Append("\">\n<div class=\"cell-head\">")
          .Append("<a class=\"anchor\" href=\"#cell-").Append(n).Append("\">cell ").Append(n).Append("</a> ")
          .Append("<span class=\"count\">[").Append(cell.ExecutionCount?.ToString(CultureInfo.InvariantCulture) ?? " ").Append("]</span> ")
          .Append("<span class=\"badge ").Append(status).Append("\">").Append(status.Replace('-', ' ')).Append("</span>");
        if (cellRun.Status is not (CellRunStatus.NotRun or CellRunStatus.Skipped))
            sb.Append(" <span class=\"muted\">").Append(Encode(FormatDuration(cellRun.Duration))).Append("</span>");
        if (cell.Tags.Count > 0) sb.Append(" <span class=\"muted\">tags: ").Append(Encode(string.Join(", ", cell.Tags))).Append("</span>");
        if (cell.Language is not "csharp") sb.Append(" <span class=\"muted\">").Append(Encode(cell.Language)).Append("</span>");
        sb.Append("</div>\n<pre class=\"source\"><code class=\"language-csharp\">")
          .Append(cell.Language == "csharp" ? CSharpHighlighter.ToHtml(cell.Source) : Encode(cell.Source))
          .Append("</code></pre>\n");
        if (cell.Outputs.Count > 0)
        {
            sb.Append("<div class=\"outputs\">\n");
            foreach (var o in cell.Outputs) formulas += AppendOutput(sb, o, n);
            sb.Append("</div>\n");
        }
        sb.Append("</section>\n");
        return formulas;
    }

    [GeneratedRegex("\u001b\\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();

    static int AppendOutput(StringBuilder sb, CellOutput o, int cellNumber)
    {
        var formulas = 0;
        switch (o.OutputType)
        {
            case CellOutput.Stream:
                sb.Append("<pre class=\"output stream ").Append(o.StreamName == "stderr" ? "stderr" : "stdout").Append("\">")
                  .Append(Encode(Ansi().Replace(o.Text ?? "", ""))).Append("</pre>\n");
                return 0;
            case CellOutput.Error:
                var title = o.EName is { Length: > 0 } en && o.EValue?.Contains(en, StringComparison.Ordinal) != true ? $"{en}: {o.EValue}" : o.EValue;
                sb.Append("<div class=\"output error\"><div class=\"error-title\">").Append(Encode(title)).Append("</div>");
                var tb = o.Traceback.Select(t => Ansi().Replace(t, "")).Where(t => t != o.EValue).ToList();
                if (tb.Count > 0) sb.Append("<pre>").Append(Encode(string.Join("\n", tb))).Append("</pre>");
                sb.Append("</div>\n");
                return 0;
        }
        var (mime, content) = Pick(o);
        if (mime is null)
        {
            return 0;
        }
        sb.Append("<div class=\"output display\" data-mime=\"").Append(Encode(mime)).Append("\">");
        switch (mime)
        {
            case "text/html":
            case "image/svg+xml":
                sb.Append(content); // the notebook's own HTML, shown as VS Code and Jupyter show it
                break;
            case "image/png":
            case "image/jpeg":
            case "image/gif":
                sb.Append("<img alt=\"output of cell ").Append(cellNumber).Append("\" src=\"data:").Append(mime).Append(";base64,")
                  .Append(Encode(content!.Replace("\n", "").Trim())).Append("\">");
                break;
            case "text/markdown":
                sb.Append(ReportMarkdown.ToHtml(content!, out formulas));
                break;
            default:
                sb.Append("<pre>").Append(Encode(Ansi().Replace(content ?? "", ""))).Append("</pre>");
                break;
        }
        sb.Append("</div>\n");
        return formulas;
    }

    static (string? Mime, string? Content) Pick(CellOutput o)
    {
        foreach (var mime in MimePreference)
        {
            var v = o.GetData(mime);
            if (v is not null) return (mime, v);
        }
        if (o.Data.Count > 0) return (o.Data[0].Key, o.Data[0].Value);
        return (null, null);
    }

    public static string FormatDuration(TimeSpan t)
    {
        if (t.TotalSeconds < 1) return $"{t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";
        if (t.TotalMinutes < 1) return $"{t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
        return $"{(int)t.TotalMinutes} min {t.Seconds} s";
    }

    static string StatusWord(NotebookRunStatus s) => s switch
    {
        NotebookRunStatus.Succeeded => "passed",
        NotebookRunStatus.TimedOut => "timed out",
        NotebookRunStatus.Cancelled => "cancelled",
        _ => "failed",
    };

    static string StatusClass(NotebookRunStatus s) => s == NotebookRunStatus.Succeeded ? "ok" : "failed";

    /// <summary>The index page: one row per notebook with its status, duration, failing cell and links.</summary>
    public static string RenderIndex(IReadOnlyList<IndexEntry> entries, DateTimeOffset generated)
    {
        var sb = new StringBuilder();
        var passed = entries.Count(e => e.Status == "passed");
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Notebook run — ")
          .Append(passed).Append(" of ").Append(entries.Count).Append(" passed</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n<header>\n<h1>Notebook run</h1>\n<p class=\"meta\">")
          .Append(passed).Append(" of ").Append(entries.Count).Append(" notebooks passed · ")
          .Append(Encode(generated.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture))).Append(" · AeNotebooks.Runner ")
          .Append(Encode(NotebookRunner.Version)).Append("</p>\n");
        foreach (var e in entries.Where(e => e.Status != "passed"))
        {
            sb.Append("<div class=\"banner error\"><strong>").Append(Encode(e.DisplayPath)).Append("</strong> ").Append(Encode(e.Status));
            if (e.Detail is not null) sb.Append(": ").Append(Encode(e.Detail));
            if (e.ReportHref is not null) sb.Append(" — <a href=\"").Append(Encode(e.ReportHref)).Append("\">report</a>");
            sb.Append("</div>\n");
        }
        sb.Append("</header>\n<main>\n<table>\n<thead><tr><th>notebook</th><th>status</th><th>duration</th><th>failing cell / problem</th><th>files</th></tr></thead>\n<tbody>\n");
        foreach (var e in entries)
        {
            var cls = e.Status == "passed" ? "ok" : "failed";
            sb.Append("<tr><td>");
            if (e.ReportHref is not null) sb.Append("<a href=\"").Append(Encode(e.ReportHref)).Append("\">").Append(Encode(e.DisplayPath)).Append("</a>");
            else sb.Append(Encode(e.DisplayPath));
            sb.Append("</td><td><span class=\"badge ").Append(cls).Append("\">").Append(Encode(e.Status)).Append("</span></td><td>")
              .Append(e.Duration is { } d ? Encode(FormatDuration(d)) : "").Append("</td><td>").Append(Encode(e.Detail ?? "")).Append("</td><td>");
            if (e.ReportHref is not null) sb.Append("<a href=\"").Append(Encode(e.ReportHref)).Append("\">report</a> ");
            if (e.NotebookHref is not null) sb.Append("<a href=\"").Append(Encode(e.NotebookHref)).Append("\">executed notebook</a>");
            sb.Append("</td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    const string Css = """
        :root{--fg:#1f2328;--muted:#656d76;--border:#d0d7de;--bg-code:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}
        body{font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);max-width:1100px;margin:0 auto;padding:1rem 1.5rem}
        header h1{margin:.2rem 0}.meta,.muted{color:var(--muted)}.meta{margin:.2rem 0}
        nav a,a{color:#0969da}
        .banner{border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
        .banner.error{background:#ffebe9;border:1px solid #ff8182}.banner.note{background:#fff8c5;border:1px solid #d4a72c}
        .badge{display:inline-block;border-radius:1em;padding:0 .6em;font-size:.8em;font-weight:600;border:1px solid var(--border)}
        .badge.ok{color:var(--ok);border-color:var(--ok)}.badge.failed,.badge.timed-out,.badge.cancelled{color:var(--bad);border-color:var(--bad)}
        .badge.not-run,.badge.skipped{color:var(--muted)}
        .cell{margin:1rem 0}.cell.code{border:1px solid var(--border);border-radius:6px;overflow:hidden}
        .cell.code.failed,.cell.code.timed-out,.cell.code.cancelled{border-color:var(--bad);box-shadow:0 0 0 1px var(--bad)}
        .cell.code.not-run{opacity:.6}
        .cell-head{font-size:.85em;padding:.25rem .6rem;background:#fff;border-bottom:1px solid var(--border)}
        .cell-head .anchor{color:var(--muted);text-decoration:none;font-weight:600}.count{font-family:ui-monospace,monospace;color:var(--muted)}
        pre{margin:0;overflow-x:auto;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        pre.source{background:var(--bg-code);padding:.6rem .8rem;white-space:pre}
        .outputs{padding:.4rem .8rem;border-top:1px solid var(--border)}
        .output{margin:.3rem 0}.output pre{white-space:pre-wrap}.output img{max-width:100%}
        .stream.stderr{color:var(--bad)}
        .output.error{background:#ffebe9;border-left:4px solid var(--bad);padding:.4rem .6rem}
        .error-title{font-weight:600;color:var(--bad);white-space:pre-wrap}
        .k{color:#cf222e}.s{color:#0a3069}.n{color:#0550ae}.c{color:#6e7781;font-style:italic}.d{color:#8250df}.t{color:#953800}
        table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--border);padding:.35rem .5rem;text-align:left;vertical-align:top}
        footer{color:var(--muted);font-size:.8em;margin:2rem 0 1rem}
        .markdown table{width:auto}.markdown img{max-width:100%}
        """;
}
