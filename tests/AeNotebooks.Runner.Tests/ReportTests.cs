using System.Text.RegularExpressions;
using AeNotebooks.Runner.Reporting;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Tests;

public class ReportTests
{
    static int Count(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;

    [Fact]
    public async Task A_report_renders_markdown_highlights_code_and_escapes_text_outputs()
    {
        var run = await Fixtures.RunAsync("semantics.ipynb");
        var html = HtmlReport.Render(run, new ReportLinks("index.html", "semantics.ipynb", "Fixtures/semantics.ipynb"));
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<h1 id=\"semantics\">Semantics</h1>", html);                         // Markdig
        Assert.Contains("<span class=\"k\">var</span> greeting = <span class=\"s\">&quot;hello&quot;</span>;", html);
        Assert.Contains("<span class=\"d\">#!time</span>", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more", html);   // stdout is text
        Assert.DoesNotContain("<script>alert('x')</script>", html);
        Assert.Contains("<b>bold</b>", html);                                                     // text/html is HTML
        Assert.Contains("<pre>&lt;null&gt;</pre>", html);
        Assert.DoesNotContain("class=\"banner error\"", html);
        Assert.Contains("href=\"semantics.ipynb\"", html);
        Assert.DoesNotContain("plotly", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_failed_run_shows_the_error_at_the_cell_and_in_a_banner_linking_to_it()
    {
        var run = await Fixtures.RunAsync("runtime-error.ipynb");
        var html = HtmlReport.Render(run);
        var banner = html.IndexOf("class=\"banner error\"", StringComparison.Ordinal);
        var main = html.IndexOf("<main>", StringComparison.Ordinal);
        Assert.InRange(banner, 0, main);
        // the kernel's stack traces carry no line numbers for cell code, so the error names the cell alone
        Assert.Contains("Failed at <a href=\"#cell-3\">cell 3</a>:</strong> System.ArgumentOutOfRangeException: Index was out of range.", html);
        Assert.Contains("(1 later code cell was not run)", html);
        Assert.Contains("<section class=\"cell code failed\" id=\"cell-3\">", html);
        Assert.Contains("<section class=\"cell code not-run\" id=\"cell-4\">", html);
        Assert.Contains("<div class=\"output error\"><div class=\"error-title\">cell 3: System.ArgumentOutOfRangeException: Index was out of range.", html);
        Assert.Contains("<title>runtime-error.ipynb — failed</title>", html);
    }

    [Fact]
    public void Charts_without_any_static_picture_are_noticed()
    {
        static Notebook With(params CellOutput[] outputs)
        {
            var nb = new Notebook();
            var cell = new NotebookCell { Kind = CellKind.Code };
            foreach (var o in outputs) cell.Outputs.Add(o);
            nb.Cells.Add(cell);
            return nb;
        }
        const string chart = "<div id='c'></div><script>Plotly.newPlot('c', [], {});</script>";
        var htmlOnly = CellOutput.Display([new("text/html", chart)]);
        var withPicture = CellOutput.Display([new("text/html", chart), new("image/png", "iVBORw0KGgo=")]);
        Assert.True(HtmlReport.ChartsWithoutPictures(With(htmlOnly, htmlOnly)));
        // a summary that holds a chart has no picture of its own; one chart with a picture shows they could be drawn
        Assert.False(HtmlReport.ChartsWithoutPictures(With(htmlOnly, withPicture)));
        Assert.False(HtmlReport.ChartsWithoutPictures(With(CellOutput.Display([new("text/html", "<p>no chart</p>")]))));
    }

    [Fact]
    public void A_page_whose_output_carries_plotly_js_gets_no_second_copy()
    {
        static Notebook WithChartOutputs(params string[] html)
        {
            var nb = new Notebook();
            var cell = new NotebookCell { Kind = CellKind.Code };
            foreach (var h in html) cell.Outputs.Add(CellOutput.Display([new("text/html", h)]));
            nb.Cells.Add(cell);
            return nb;
        }
        const string chart = "<div id='c'></div><script>Plotly.newPlot('c', [], {});</script>";
        var carried = $"<script {HtmlReport.InlinePlotlyAttribute}=\"2.28.0\">window.Plotly = {{}};</script>";
        Assert.True(HtmlReport.NeedsPlotly(WithChartOutputs(chart, chart)));
        Assert.False(HtmlReport.NeedsPlotly(WithChartOutputs(carried + chart, chart)));
        Assert.False(HtmlReport.NeedsPlotly(WithChartOutputs("<p>no chart</p>")));
    }

    [Fact]
    public async Task Plotly_is_included_once_per_page_with_a_require_shim()
    {
        var run = await Fixtures.RunAsync("plotly.ipynb");
        run.EnsureSucceeded();
        Assert.True(HtmlReport.NeedsPlotly(run.Notebook));
        var html = HtmlReport.Render(run, plotly: new PlotlyReference("plotly-2.28.0.min.js", true, "plotly.js 2.28.0 (test)"));
        Assert.Equal(1, Count(html, "<script src="));
        Assert.Contains("<script src=\"plotly-2.28.0.min.js\" charset=\"utf-8\"></script>", html);
        Assert.Contains("<!-- plotly.js 2.28.0 (test) -->", html);
        Assert.Contains("r.config=function(){return r}", html);
        Assert.True(html.IndexOf("plotly-2.28.0.min.js", StringComparison.Ordinal) < html.IndexOf("</head>", StringComparison.Ordinal));
        Assert.Contains("Plotly.newPlot('p1'", html);

        var plain = await Fixtures.RunAsync("compile-error.ipynb");
        Assert.DoesNotContain("<script", HtmlReport.Render(plain, plotly: new PlotlyReference("x.js", true, "unused")));
    }

    [Fact]
    public void Plotly_comes_from_a_given_file_or_the_cache_else_the_CDN_with_a_comment()
    {
        var outDir = Fixtures.TempFolder("plotly-out");
        var cache = Fixtures.TempFolder("plotly-cache");
        var log = new StringWriter();

        var cdn = PlotlyAsset.Ensure(outDir, fetch: _ => null, log: log, cacheDirectory: cache);
        Assert.False(cdn.IsLocal);
        Assert.Equal("https://cdn.plot.ly/plotly-2.28.0.min.js", cdn.Src);
        Assert.Contains("need internet", cdn.Comment);
        Assert.Contains("could not be fetched with npm", log.ToString());

        var fetched = Path.Combine(cache, "fetched.js");
        var local = PlotlyAsset.Ensure(outDir, fetch: dir => { File.WriteAllText(fetched, "/* plotly */"); return fetched; }, cacheDirectory: cache);
        Assert.True(local.IsLocal);
        Assert.Equal("plotly-2.28.0.min.js", local.Src);
        Assert.Equal("/* plotly */", File.ReadAllText(Path.Combine(outDir, "plotly-2.28.0.min.js")));

        var given = Path.Combine(cache, "given.js");
        File.WriteAllText(given, "/* given */");
        var other = Fixtures.TempFolder("plotly-out2");
        var fromFile = PlotlyAsset.Ensure(other, explicitSource: given, fetch: _ => throw new InvalidOperationException("must not fetch"), cacheDirectory: cache);
        Assert.True(fromFile.IsLocal);
        Assert.Equal("/* given */", File.ReadAllText(Path.Combine(other, "plotly-2.28.0.min.js")));
    }
}
