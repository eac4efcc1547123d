using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Export;
using AeNotebooks.Runner.Reporting;
using AeNotebooks.Tests;
using Microsoft.Playwright;

namespace AeNotebooks.Browser.Tests;

/// <summary>
/// Runs every notebook of notebooks/ through the runner once, for a short run (the parameters cell's epochs set to 1,
/// data sizes smaller), writing the reports under artifacts/browser-notebooks/.
/// </summary>
public sealed class NotebookReportsFixture : IAsyncLifetime
{
    public string Root { get; } = ReportFixture.RepositoryRoot();
    public string OutDir => Path.Combine(Root, "artifacts", "browser-notebooks");
    public string Screenshots => Path.Combine(Root, "artifacts", "screenshots");
    public Dictionary<string, string> Reports { get; } = new(StringComparer.Ordinal);
    public string RunLog { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = null!;

    public static IEnumerable<object[]> Notebooks() =>
        Directory.EnumerateFiles(Path.Combine(ReportFixture.RepositoryRoot(), "notebooks"), "*.ipynb").Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });

    public async Task InitializeAsync()
    {
        if (!File.Exists(ReportFixture.Chromium))
            throw new InvalidOperationException($"Chromium is not installed at {ReportFixture.Chromium}: run `bash tests/AeNotebooks.Browser.Tests/install-chromium.sh`.");
        if (Directory.Exists(OutDir)) Directory.Delete(OutDir, recursive: true);
        Directory.CreateDirectory(Screenshots);
        var log = new StringWriter();
        foreach (var name in Notebooks().Select(n => (string)n[0]))
        {
            // one batch per notebook, each with the short-run values of the parameters it declares
            var path = Path.Combine(Root, "notebooks", name);
            var options = new BatchOptions { OutDir = OutDir, CellTimeout = TimeSpan.FromMinutes(5) };
            options.Inputs.Add(path);
            foreach (var (key, value) in ShortRun(path)) options.Parameters[key] = value;
            var result = await BatchRunner.RunAsync(options, log);
            var outcome = Assert.Single(result.Outcomes);
            Assert.True(outcome.ReportPath is not null, $"no report for {name}:\n{log}");
            Reports[name] = outcome.ReportPath!;
        }
        RunLog = log.ToString();
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
    }

    public Task DisposeAsync()
    {
        Playwright?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Smaller data for the notebooks that declare these parameters (the values the export tests use).</summary>
    static readonly Dictionary<string, string> SmallerData = new(StringComparer.Ordinal)
    {
        ["samples"] = "1000", ["images"] = "400", ["denseTrain"] = "500", ["convTrain"] = "300", ["testCount"] = "200",
        ["shapesCount"] = "160", ["fashionCount"] = "160", ["lrFinderSteps"] = "10",
    };

    /// <summary>The variables of the cell tagged 'parameters' that mention epochs (→ 1) or are in <see cref="SmallerData"/>.</summary>
    public static Dictionary<string, string> ShortRun(string notebookPath)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var cell in MarkdownTests.Cells(notebookPath, "code"))
        {
            if (!cell.Tags.Contains("parameters")) continue;
            foreach (Match m in Regex.Matches(cell.Source, @"^\s*(?:var|int|double|float|long)\s+(\w+)\s*=", RegexOptions.Multiline))
            {
                var name = m.Groups[1].Value;
                if (name.Contains("epoch", StringComparison.OrdinalIgnoreCase)) parameters[name] = "1";
                else if (SmallerData.TryGetValue(name, out var value)) parameters[name] = value;
            }
        }
        return parameters;
    }
}

/// <summary>Reads notebooks' cells straight from the .ipynb JSON, and counts their formulas the way Pandoc and VS Code delimit them.</summary>
public static class MarkdownTests
{
    public sealed record Cell(string Source, IReadOnlyList<string> Tags);

    public static IEnumerable<Cell> Cells(string notebookPath, string kind)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(notebookPath));
        foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != kind) continue;
            var src = cell.GetProperty("source");
            var text = src.ValueKind == JsonValueKind.Array ? string.Concat(src.EnumerateArray().Select(s => s.GetString())) : src.GetString() ?? "";
            var tags = cell.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("tags", out var t)
                ? t.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : new List<string>();
            yield return new Cell(text, tags);
        }
    }

    /// <summary>
    /// <c>$$…$$</c> and <c>$…$</c> outside code: the opening <c>$</c> before a non-space, the closing one after a non-space
    /// and not before a digit. Independent of the report's parser, so that a formula it missed shows up as a difference.
    /// </summary>
    public static int CountFormulas(string notebookPath)
    {
        var n = 0;
        foreach (var cell in Cells(notebookPath, "markdown"))
        {
            var text = Regex.Replace(cell.Source, "```.*?```", "", RegexOptions.Singleline);
            text = Regex.Replace(text, "`[^`\n]*`", "").Replace("\\$", "");
            n += Regex.Matches(text, @"\$\$.+?\$\$", RegexOptions.Singleline).Count;
            text = Regex.Replace(text, @"\$\$.+?\$\$", "", RegexOptions.Singleline);
            n += Regex.Matches(text, @"\$(?=[^\s$])[^$]*?(?<=[^\s$])\$(?!\d)").Count;
        }
        return n;
    }
}

/// <summary>
/// The notebooks' reports in Chromium with the network cut off: every formula typeset by KaTeX (script and fonts from
/// the page itself), no LaTeX source left in the text, every chart drawn by plotly.js, every picture decoded, no console
/// errors, and the rest of the page's text exactly what it is without scripts. Also the page an exported app writes.
/// </summary>
[CollectionDefinition(nameof(FormulasInBrowserTests), DisableParallelization = true)]
public sealed class FormulasCollection;

[Collection(nameof(FormulasInBrowserTests))]
public class FormulasInBrowserTests(NotebookReportsFixture fx) : IClassFixture<NotebookReportsFixture>
{
    /// <summary>The page's text outside formulas and outputs (charts replace their static pictures when scripts run).</summary>
    const string TextOutsideFormulas = @"() => {
        const body = document.body.cloneNode(true);
        body.querySelectorAll('.math, .outputs, .output, script, style').forEach(e => e.remove());
        return body.textContent; }";

    const string FormulaState = @"async () => {
        await document.fonts.ready;
        const formulas = [...document.querySelectorAll('.markdown .math')];
        const text = document.body.innerText;
        return {
            formulas: formulas.length,
            typeset: formulas.filter(f => f.querySelector('.katex')).length,
            display: formulas.filter(f => f.querySelector('.katex-display')).length,
            failed: [...document.querySelectorAll('.math-error')].map(e => e.textContent + ': ' + e.title),
            raw: ['\\(', '\\[', '$$', '\\frac'].filter(s => text.includes(s)),
            fonts: [...new Set([...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replace(/[""']/g, '')))],
            fontErrors: [...document.fonts].filter(f => f.status === 'error').map(f => f.family),
        }; }";

    [Theory]
    [MemberData(nameof(NotebookReportsFixture.Notebooks), MemberType = typeof(NotebookReportsFixture))]
    public async Task Every_formula_chart_and_picture_of_the_report_renders_offline_and_nothing_else_changes(string notebook)
    {
        var expected = MarkdownTests.CountFormulas(Path.Combine(fx.Root, "notebooks", notebook));
        var report = fx.Reports[notebook];
        var html = File.ReadAllText(report);
        Assert.DoesNotContain("<script src=\"http", html);
        Assert.DoesNotContain("<link rel=\"stylesheet\" href=\"http", html);

        // without scripts: every formula is marked for KaTeX, as LaTeX source
        string plainText;
        var (context, profile) = await ReportFixture.LaunchAsync(fx.Playwright, javaScript: false);
        try
        {
            var page = await new PageWatch().OpenAsync(context, report);
            Assert.Equal(expected, await page.EvaluateAsync<int>("() => document.querySelectorAll('.markdown .math').length"));
            var source = await page.EvaluateAsync<string>("() => document.body.innerText");
            if (expected > 0) Assert.Contains("\\(", source); // what the typeset page must no longer show
            plainText = await page.EvaluateAsync<string>(TextOutsideFormulas);
        }
        finally
        {
            await context.CloseAsync();
            ReportInBrowserTests.TryDelete(profile);
        }

        (context, profile) = await ReportFixture.LaunchAsync(fx.Playwright, javaScript: true);
        try
        {
            var watch = new PageWatch();
            var page = await watch.OpenAsync(context, report);
            var state = await page.EvaluateAsync<JsonElement>(FormulaState);
            Assert.Equal(expected, state.GetProperty("formulas").GetInt32());
            Assert.True(state.GetProperty("failed").GetArrayLength() == 0, $"KaTeX could not typeset: {state.GetProperty("failed")}");
            Assert.True(expected == state.GetProperty("typeset").GetInt32(),
                $"{state.GetProperty("typeset")} of {expected} formulas typeset in {notebook}; the runner said:\n{fx.RunLog}");
            Assert.True(state.GetProperty("raw").GetArrayLength() == 0, $"LaTeX source left in the text of {notebook}: {state.GetProperty("raw")}");
            // the fonts the formulas use (KaTeX_Main always, KaTeX_Math for variables …) came from the page
            if (expected > 0) Assert.Contains("KaTeX_Main", state.GetProperty("fonts").EnumerateArray().Select(f => f.GetString()));
            Assert.True(state.GetProperty("fontErrors").GetArrayLength() == 0, $"fonts that did not load: {state.GetProperty("fontErrors")}");
            Assert.Equal(plainText, await page.EvaluateAsync<string>(TextOutsideFormulas));
            // every chart drew with the plotly.js the page carries (its SVG is there), every picture decoded
            if (await page.EvaluateAsync<int>("() => document.querySelectorAll('.aen-chart').length") > 0)
                await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.aen-chart')].every(c => c.querySelector('svg.main-svg'))",
                    null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            var undecoded = await page.EvaluateAsync<string[]>(
                "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt || i.src.slice(0, 60))");
            Assert.True(undecoded.Length == 0, $"pictures that did not decode in {notebook}: {string.Join(", ", undecoded)}");
            Assert.True(watch.Problems.Count == 0, string.Join("\n", watch.Problems));
            await ScreenshotFormulas(page, Path.GetFileNameWithoutExtension(notebook));
        }
        finally
        {
            await context.CloseAsync();
            ReportInBrowserTests.TryDelete(profile);
        }
    }

    [Theory]
    [MemberData(nameof(NotebookReportsFixture.Notebooks), MemberType = typeof(NotebookReportsFixture))]
    public void Every_chart_in_the_executed_notebook_carries_a_picture_plotly_drew(string notebook)
    {
        using var executed = JsonDocument.Parse(File.ReadAllText(Path.Combine(fx.OutDir, notebook)));
        static string Text(JsonElement e) => e.ValueKind == JsonValueKind.Array ? string.Concat(e.EnumerateArray().Select(x => x.GetString())) : e.GetString() ?? "";
        var charts = 0;
        foreach (var cell in executed.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (!cell.TryGetProperty("outputs", out var outputs)) continue;
            foreach (var output in outputs.EnumerateArray())
            {
                if (!output.TryGetProperty("data", out var data) || !data.TryGetProperty("text/html", out var htmlData)) continue;
                var html = Text(htmlData);
                // a chart, or a value that shows one (a training run's summary and its loss chart): its picture is the chart's
                var chartAt = html.IndexOf("<div class=\"aen-chart\"", StringComparison.Ordinal);
                if (chartAt < 0) continue;
                html = html[chartAt..];
                charts++;
                Assert.True(data.TryGetProperty("image/png", out var pngData), $"chart {charts} of {notebook} has no image/png");
                var picture = PngDecoder.Decode(Convert.FromBase64String(Text(pngData)));
                // the size the chart's layout asks for
                Assert.Equal(int.Parse(Regex.Match(html, @"width:(\d+)px").Groups[1].Value), picture.Width);
                Assert.InRange(picture.Height, 200, 1200);
                // drawn, not blank: on plotly's white, axes, lines and labels in many colours
                var colours = new HashSet<int>();
                var ink = 0;
                for (int i = 0; i < picture.Width * picture.Height; i++)
                {
                    var p = picture.Pixels.AsSpan(i * picture.Channels, 3);
                    colours.Add(p[0] << 16 | p[1] << 8 | p[2]);
                    if (p[0] < 200 || p[1] < 200 || p[2] < 200) ink++;
                }
                Assert.True(colours.Count >= 16 && ink >= picture.Width * picture.Height / 200,
                    $"chart {charts} of {notebook} looks blank: {colours.Count} colours, {ink} dark pixels");
            }
        }
        Assert.True(charts > 0, $"{notebook} shows no chart");
    }

    /// <summary>The markdown section with the most formulas, for a person to look at.</summary>
    async Task ScreenshotFormulas(IPage page, string name)
    {
        var sections = await page.QuerySelectorAllAsync("section.markdown");
        IElementHandle? best = null;
        var most = 0;
        foreach (var s in sections)
        {
            var n = await s.EvaluateAsync<int>("s => s.querySelectorAll('.katex').length");
            if (n > most) (best, most) = (s, n);
        }
        if (best is null) return;
        await best.ScrollIntoViewIfNeededAsync();
        await best.ScreenshotAsync(new ElementHandleScreenshotOptions { Path = Path.Combine(fx.Screenshots, $"formulas-{name}.png") });
    }

    [Fact]
    public async Task An_exported_apps_page_shows_the_notebooks_text_with_its_formulas_typeset_offline()
    {
        const string notebook = "03-why-not-zero-loss.ipynb";
        var path = Path.Combine(fx.Root, "notebooks", notebook);
        var outDir = Path.Combine(fx.Root, "artifacts", "browser-apps");
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        var args = new List<string> { path, "--out", outDir };
        foreach (var (key, value) in NotebookReportsFixture.ShortRun(path)) args.AddRange(["--param", $"{key}={value}"]);
        var stdout = new StringWriter();
        Assert.True(ExportCommand.Run([.. args], stdout, stdout) == 0, stdout.ToString());
        Assert.True(File.Exists(Path.Combine(outDir, KatexAsset.FolderName, "katex.min.js")), $"KaTeX was not copied next to the app:\n{stdout}");
        var app = Path.Combine(outDir, Path.ChangeExtension(notebook, ".cs"));
        RunApp(app);

        var expected = MarkdownTests.CountFormulas(path);
        var (context, profile) = await ReportFixture.LaunchAsync(fx.Playwright, javaScript: true);
        try
        {
            var watch = new PageWatch();
            var page = await watch.OpenAsync(context, Path.ChangeExtension(app, ".html"));
            var state = await page.EvaluateAsync<JsonElement>(FormulaState);
            Assert.Equal(expected, state.GetProperty("formulas").GetInt32());
            Assert.Equal(expected, state.GetProperty("typeset").GetInt32());
            Assert.True(state.GetProperty("raw").GetArrayLength() == 0, $"LaTeX source left in the app's page: {state.GetProperty("raw")}");
            var fonts = state.GetProperty("fonts").EnumerateArray().Select(f => f.GetString()).ToList();
            Assert.Contains("KaTeX_Main", fonts);
            Assert.Contains("KaTeX_Math", fonts); // notebook 03 has variables: the italic font, loaded from katex/fonts/
            Assert.True(state.GetProperty("fontErrors").GetArrayLength() == 0, $"fonts that did not load: {state.GetProperty("fontErrors")}");
            // the text comes in the notebook's order, each output after the text before its cell
            var order = await page.EvaluateAsync<string[]>(
                "() => [...document.querySelectorAll('body > section.markdown h2, body > .output .aen-chart')].map(e => e.tagName)");
            Assert.Equal("H2", order[0]);
            Assert.Contains("DIV", order);
            Assert.True(order.SkipWhile(t => t == "H2").Contains("H2"), "every chart comes after all the text: the outputs were not placed by cell");
            // every chart draws with the plotly.js the app's first chart carries (no network): plotly's SVG in each
            await page.WaitForFunctionAsync(
                "() => { const f = [...document.querySelectorAll('.aen-chart')]; return f.length > 0 && f.every(x => x.querySelector('svg.main-svg')); }",
                null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            Assert.True(watch.Problems.Count == 0, string.Join("\n", watch.Problems));
            await ScreenshotFormulas(page, "app-" + Path.GetFileNameWithoutExtension(notebook));
        }
        finally
        {
            await context.CloseAsync();
            ReportInBrowserTests.TryDelete(profile);
        }
    }

    static void RunApp(string appPath)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(appPath)! };
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add(Path.GetFileName(appPath));
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // a test host's MSBuild settings are not the app's
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList()) psi.Environment.Remove(key);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet run {appPath} did not finish in 5 minutes");
        }
        Assert.True(p.ExitCode == 0, $"dotnet run {appPath} exited with {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
    }
}
