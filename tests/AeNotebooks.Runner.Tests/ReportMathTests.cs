using System.Text.RegularExpressions;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Export;
using AeNotebooks.Runner.Reporting;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// Formulas in the reports: which <c>$</c> is math (as Polyglot Notebooks decides), how it reaches the page for KaTeX,
/// and where KaTeX comes from. The browser tests check that the formulas are typeset in Chromium.
/// </summary>
public class ReportMathTests
{
    static int Count(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;

    [Fact]
    public void Inline_math_becomes_a_math_span_with_its_LaTeX()
    {
        var html = ReportMarkdown.ToHtml("a linear autoencoder reaches a loss below $10^{-5}$ with MSE, and $a < b$.", out var formulas);
        Assert.Equal(2, formulas);
        Assert.Contains("below <span class=\"math\">\\(10^{-5}\\)</span> with MSE", html);
        Assert.Contains("<span class=\"math\">\\(a &lt; b\\)</span>.", html); // HTML-escaped; the page reads it back as text
    }

    [Fact]
    public void Display_math_is_display_math_also_inside_a_paragraph()
    {
        var html = ReportMarkdown.ToHtml("Plugging $p = t$ in gives\n$$H(t) = -\\,[\\,t \\log t + (1-t)\\log(1-t)\\,],$$\nthe entropy.", out var formulas);
        Assert.Equal(2, formulas);
        Assert.Contains("<span class=\"math display\">\\[H(t) = -\\,[\\,t \\log t + (1-t)\\log(1-t)\\,],\\]</span>", html);

        var block = ReportMarkdown.ToHtml("Text.\n\n$$\n\\frac{1}{2}\n$$\n", out formulas);
        Assert.Equal(1, formulas);
        Assert.Matches(new Regex(@"<div class=""math"">\s*\\\[\s*\\frac\{1\}\{2\}\s*\\\]</div>"), block);
    }

    [Fact]
    public void Math_in_code_spans_and_code_blocks_stays_literal()
    {
        var html = ReportMarkdown.ToHtml("Write `$x^2$` or `$$y$$` in a cell.\n\n```csharp\nvar s = $\"{a}$\" + $\"{b}$\";\n```\n", out var formulas);
        Assert.Equal(0, formulas);
        Assert.Contains("<code>$x^2$</code>", html);
        Assert.Contains("<code>$$y$$</code>", html);
        Assert.Contains("var s = $&quot;{a}$&quot; + $&quot;{b}$&quot;;", html);
        Assert.DoesNotContain("class=\"math", html);
    }

    [Theory]
    [InlineData("It costs $5 and $10 a month.")]
    [InlineData("Between $5-$10, or $ 20 with a space.")]
    [InlineData("Prices: $5, $10 and $15.")]
    public void Dollar_amounts_are_not_math(string prose)
    {
        var html = ReportMarkdown.ToHtml(prose, out var formulas);
        Assert.Equal(0, formulas);
        Assert.Equal($"<p>{prose}</p>\n", html);
    }

    [Fact]
    public void Csharp_interpolated_strings_quoted_in_prose_stay_literal()
    {
        var html = ReportMarkdown.ToHtml("Format it with $\"loss {loss:F4}\" or $\"{x} of {n}\" in the cell.", out var formulas);
        Assert.Equal(0, formulas);
        Assert.Equal("<p>Format it with $&quot;loss {loss:F4}&quot; or $&quot;{x} of {n}&quot; in the cell.</p>\n", html);
    }

    static async Task<NotebookRun> RunMarkdownAsync(string markdown)
    {
        var path = Path.Combine(Fixtures.TempFolder("math-report"), "math.dib");
        File.WriteAllText(path, "#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"aliases\":[],\"name\":\"csharp\"}]}}\n\n" +
                                "#!markdown\n\n" + markdown + "\n\n#!csharp\n\n1 + 1\n");
        var run = await new NotebookRunner().RunAsync(path);
        run.EnsureSucceeded();
        return run;
    }

    static readonly KatexBundle FakeKatex = new("/* katex.min.js */", "/* katex.min.css */", "KaTeX (test)");

    [Fact]
    public async Task A_report_with_formulas_carries_KaTeX_and_typesets_after_the_cells()
    {
        var run = await RunMarkdownAsync("The floor is $H(t)$, on average\n$$\\int_0^1 H(t)\\,dt = \\frac{1}{2}.$$");
        var html = HtmlReport.Render(run, katex: () => FakeKatex);
        var head = html[..html.IndexOf("</head>", StringComparison.Ordinal)];
        Assert.Contains("<!-- KaTeX (test) -->", head);
        Assert.Contains("<style>/* katex.min.css */" + KatexAsset.PageCss + "</style>", head);
        Assert.Contains("<script>/* katex.min.js */</script>", head);
        Assert.Equal(1, Count(html, KatexAsset.TypesetScript));
        Assert.True(html.IndexOf(KatexAsset.TypesetScript, StringComparison.Ordinal) > html.IndexOf("</main>", StringComparison.Ordinal));
        Assert.Contains("<span class=\"math\">\\(H(t)\\)</span>", html);
        Assert.Contains("<span class=\"math display\">\\[\\int_0^1 H(t)\\,dt = \\frac{1}{2}.\\]</span>", html);
        Assert.DoesNotContain("<script src=", html); // nothing from elsewhere: no CDN, no file next to the report
    }

    [Fact]
    public async Task Without_KaTeX_the_formulas_stay_LaTeX_source_and_the_footer_says_why()
    {
        var run = await RunMarkdownAsync("The floor is $H(t)$.");
        var html = HtmlReport.Render(run, katex: () => null);
        Assert.Contains("<span class=\"math\">\\(H(t)\\)</span>", html);
        Assert.DoesNotContain("<script", html);
        Assert.Contains($"formulas are shown as LaTeX source: KaTeX {KatexAsset.Version} could not be fetched with npm", html);
    }

    [Fact]
    public async Task A_report_without_formulas_does_not_ask_for_KaTeX()
    {
        var run = await RunMarkdownAsync("It costs $5 and $10, and `$x$` is code.");
        var html = HtmlReport.Render(run, katex: () => throw new InvalidOperationException("KaTeX must not be asked for"));
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("LaTeX source", html);
    }

    /// <summary>A folder shaped like the package's dist/: katex.min.js, katex.min.css whose fonts are woff2, woff and ttf, fonts/.</summary>
    static string FakeDist(string cache)
    {
        var dist = KatexAsset.CacheFolder(cache);
        Directory.CreateDirectory(Path.Combine(dist, "fonts"));
        File.WriteAllText(Path.Combine(dist, "katex.min.js"), "var katex={};");
        File.WriteAllText(Path.Combine(dist, "katex.min.css"),
            "@font-face{font-family:KaTeX_Main;src:url(fonts/KaTeX_Main-Regular.woff2) format(\"woff2\"),url(fonts/KaTeX_Main-Regular.woff) format(\"woff\")," +
            "url(fonts/KaTeX_Main-Regular.ttf) format(\"truetype\")}.katex{font:normal 1.21em KaTeX_Main}");
        File.WriteAllBytes(Path.Combine(dist, "fonts", "KaTeX_Main-Regular.woff2"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(dist, "fonts", "KaTeX_Main-Regular.woff"), [4]);
        return dist;
    }

    [Fact]
    public void The_bundle_carries_the_fonts_as_data_urls_from_the_cache_without_npm()
    {
        var cache = Fixtures.TempFolder("katex-cache");
        FakeDist(cache);
        var bundle = KatexAsset.Bundle(cache, fetch: _ => throw new InvalidOperationException("must not fetch: the cache has it"));
        Assert.NotNull(bundle);
        Assert.Equal("var katex={};", bundle.Script);
        Assert.Equal("@font-face{font-family:KaTeX_Main;src:url(data:font/woff2;base64,AQID) format(\"woff2\")}.katex{font:normal 1.21em KaTeX_Main}", bundle.Stylesheet);
        Assert.Contains(KatexAsset.Version, bundle.Comment);
    }

    [Fact]
    public void KaTeX_is_fetched_once_into_the_cache_and_copied_next_to_pages_else_a_note_says_so()
    {
        var cache = Fixtures.TempFolder("katex-cache");
        var log = new StringWriter();
        Assert.False(KatexAsset.CopyTo(Fixtures.TempFolder("katex-out"), log, cache, fetch: _ => false));
        Assert.Contains($"KaTeX {KatexAsset.Version} could not be fetched with npm", log.ToString());
        Assert.Null(KatexAsset.Bundle(cache, fetch: _ => false));

        var fetches = 0;
        var outDir = Fixtures.TempFolder("katex-out");
        Assert.True(KatexAsset.CopyTo(outDir, log, cache, fetch: _ => { fetches++; FakeDist(cache); return true; }));
        Assert.True(KatexAsset.CopyTo(outDir, log, cache, fetch: _ => { fetches++; return false; }));
        Assert.Equal(1, fetches);
        Assert.Equal("var katex={};", File.ReadAllText(Path.Combine(outDir, KatexAsset.FolderName, "katex.min.js")));
        Assert.True(File.Exists(Path.Combine(outDir, KatexAsset.FolderName, "katex.min.css")));
        Assert.True(File.Exists(Path.Combine(outDir, KatexAsset.FolderName, "fonts", "KaTeX_Main-Regular.woff2")));
    }

    [Fact]
    public void An_exported_app_keeps_the_notebooks_text_with_every_formula_for_its_page()
    {
        var notebook = Path.Combine(Fixtures.RepoRoot, "notebooks", "03-why-not-zero-loss.ipynb");
        var result = NotebookExporter.Export(notebook, new ExportOptions { OutDir = Fixtures.TempFolder("export-math") });
        var app = File.ReadAllText(result.AppPath);
        Assert.True(result.HasMath);
        var formulas = 0;
        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(notebook)))
            foreach (var cell in json.RootElement.GetProperty("cells").EnumerateArray().Where(c => c.GetProperty("cell_type").GetString() == "markdown"))
            {
                ReportMarkdown.ToHtml(string.Concat(cell.GetProperty("source").EnumerateArray().Select(l => l.GetString())), out var n);
                formulas += n;
            }
        Assert.True(formulas >= 30, $"{formulas} formulas in {notebook}");
        // each markdown cell's HTML is a C# literal, so its quotes are escaped
        Assert.Equal(formulas, Count(app, "<span class=\\\"math\\\">") + Count(app, "<span class=\\\"math display\\\">"));
        Assert.Contains("const bool MarkdownHasMath = true;", app);
        Assert.Contains("const string KatexFolder = \"katex\";", app);
        // the line each code cell starts on, to put each output after the text before its cell
        var lines = app.Split('\n');
        var cellLines = Regex.Match(app, @"CellLines = \[(.*)\];").Groups[1].Value;
        var starts = Regex.Matches(cellLines, @"\((\d+), (\d+)\)");
        Assert.True(starts.Count >= 20, cellLines);
        foreach (Match m in starts)
            Assert.StartsWith($"// ── cell {m.Groups[2].Value}", lines[int.Parse(m.Groups[1].Value) - 1]);
    }
}
