using System.Text.Json;
using System.Text.RegularExpressions;
using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Reporting;
using AeNotebooks.Tests;
using Microsoft.Playwright;

namespace AeNotebooks.Browser.Tests;

/// <summary>
/// Runs the fixture notebook (every chart kind and image grid) through the runner once, writing its executed
/// notebook and HTML report under artifacts/browser/, and starts Playwright. Chromium is Debian's, at
/// /usr/bin/chromium; Playwright's own browser download is never used.
/// </summary>
public sealed class ReportFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    public static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    public string Root { get; } = RepositoryRoot();
    public string OutDir => Path.Combine(Root, "artifacts", "browser");
    public string Screenshots => Path.Combine(Root, "artifacts", "screenshots");
    public string ReportPath { get; private set; } = "";
    public string NotebookPath { get; private set; } = "";
    public string RunLog { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException(
                $"Chromium is not installed at {Chromium}; the browser tests need Debian's package. Install it with " +
                "`bash tests/AeNotebooks.Browser.Tests/install-chromium.sh` (runs `apt-get update && apt-get install -y chromium`).");

        if (Directory.Exists(OutDir)) Directory.Delete(OutDir, recursive: true);
        Directory.CreateDirectory(Screenshots);
        foreach (var old in Directory.GetFiles(Screenshots, "*.png")) File.Delete(old);

        var options = new BatchOptions { OutDir = OutDir, CellTimeout = TimeSpan.FromMinutes(3) };
        options.Inputs.Add(Path.Combine(Root, "tests", "AeNotebooks.Browser.Tests", "Fixtures", "charts.ipynb"));
        var log = new StringWriter();
        var result = await BatchRunner.RunAsync(options, log);
        RunLog = log.ToString();
        var outcome = Assert.Single(result.Outcomes);
        Assert.True(outcome.Passed, $"the fixture notebook failed:\n{RunLog}\n{outcome.Run?.Error}");
        ReportPath = outcome.ReportPath!;
        NotebookPath = outcome.ExecutedNotebookPath!;
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
    }

    /// <summary>A browser with a profile of its own (a fresh user-data-dir) and no network beyond file: URLs.</summary>
    public Task<(IBrowserContext Context, string ProfileDir)> LaunchAsync(bool javaScript) => LaunchAsync(Playwright, javaScript);

    public static async Task<(IBrowserContext Context, string ProfileDir)> LaunchAsync(IPlaywright playwright, bool javaScript)
    {
        var profile = Path.Combine(Path.GetTempPath(), "aenotebooks-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ChromiumArgs,
            JavaScriptEnabled = javaScript,
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Timeout = 60_000,
        });
        return (context, profile);
    }

    public Task DisposeAsync()
    {
        Playwright?.Dispose();
        return Task.CompletedTask;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AeNotebooks.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("AeNotebooks.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// The runner's report for a notebook full of charts and images, opened in headless Chromium: no console errors, every
/// chart drawn exactly once by the plotly.js one of its outputs carries (Plotly.NET's 2.28.0, no network), every image
/// decoded, the same pixels Chromium decodes as the spec-based decoder, and each chart's text when scripts are off.
/// </summary>
public class ReportInBrowserTests(ReportFixture fx) : IClassFixture<ReportFixture>
{
    const int Charts = 9, Grids = 2;

    [Fact]
    public async Task Every_chart_is_drawn_by_plotly_and_every_image_loads_without_console_errors()
    {
        var html = File.ReadAllText(fx.ReportPath);
        // plotly.js is on the page once, inside the first chart's output (the helpers' formatter put it there), not from a file
        Assert.Single(Regex.Matches(html, $"<script[^>]*{HtmlReport.InlinePlotlyAttribute}=\"2.28.0\""));
        Assert.Single(Regex.Matches(html, Regex.Escape("* plotly.js v2.28.0")));
        Assert.DoesNotContain("<script src=", html);

        var (context, profile) = await fx.LaunchAsync(javaScript: true);
        try
        {
            var watch = new PageWatch();
            var page = await watch.OpenAsync(context, fx.ReportPath);
            await page.WaitForFunctionAsync(
                "() => { const f = [...document.querySelectorAll('.aen-chart')]; return f.length > 0 && f.every(x => x.querySelector('svg.main-svg')); }",
                null, new PageWaitForFunctionOptions { Timeout = 60_000 });

            Assert.Equal("2.28.0", await page.EvaluateAsync<string>("() => window.Plotly.version"));
            var figures = await page.QuerySelectorAllAsync(".aen-chart");
            Assert.Equal(Charts, figures.Count);
            for (int i = 0; i < figures.Count; i++)
            {
                var fig = figures[i];
                var state = await fig.EvaluateAsync<JsonElement>(@"f => ({
                    id: f.id,
                    mainSvgs: f.querySelectorAll('svg.main-svg').length,
                    plots: f.querySelectorAll('.plot-container').length,
                    textShown: [...f.querySelectorAll('.aen-chart-text')].some(t => t.offsetParent !== null),
                    traces: f.querySelectorAll('g.trace, g.hm, image').length,
                    title: (f.querySelector('.gtitle') || {}).textContent || '',
                    width: f.querySelector('svg.main-svg').getBoundingClientRect().width,
                    height: f.querySelector('svg.main-svg').getBoundingClientRect().height })");
                var title = state.GetProperty("title").GetString();
                Assert.True(state.GetProperty("mainSvgs").GetInt32() >= 1, $"chart {i + 1} has no svg.main-svg");
                Assert.True(state.GetProperty("plots").GetInt32() == 1, $"chart {i + 1} ({title}) was drawn {state.GetProperty("plots").GetInt32()} times");
                Assert.False(state.GetProperty("textShown").GetBoolean(), $"chart {i + 1} ({title}) still shows its text next to plotly's drawing");
                Assert.True(state.GetProperty("traces").GetInt32() > 0, $"chart {i + 1} ({title}) drew no traces");
                Assert.False(string.IsNullOrWhiteSpace(title), $"chart {i + 1} has no title");
                Assert.True(state.GetProperty("width").GetDouble() >= 600 && state.GetProperty("height").GetDouble() >= 380, $"chart {i + 1} ({title}) is too small");
                await fig.ScrollIntoViewIfNeededAsync();
                await fig.ScreenshotAsync(new ElementHandleScreenshotOptions { Path = Path.Combine(fx.Screenshots, $"chart-{i + 1:00}-{Slug(title!)}.png") });
            }

            var images = await page.EvaluateAsync<JsonElement>(
                "() => [...document.images].map(i => ({ alt: i.alt, complete: i.complete, natural: i.naturalWidth, width: i.width }))");
            Assert.True(images.GetArrayLength() >= 8 * 3 + 6 * 2, $"{images.GetArrayLength()} images in the report");
            foreach (var img in images.EnumerateArray())
            {
                Assert.True(img.GetProperty("complete").GetBoolean() && img.GetProperty("natural").GetInt32() > 0, $"image '{img.GetProperty("alt")}' did not load");
                Assert.Equal(img.GetProperty("width").GetInt32(), img.GetProperty("natural").GetInt32()); // shown at its own size: crisp
            }
            var grids = await page.QuerySelectorAllAsync("figure.aen-grid");
            Assert.Equal(Grids, grids.Count);
            for (int i = 0; i < grids.Count; i++)
            {
                await grids[i].ScrollIntoViewIfNeededAsync();
                await grids[i].ScreenshotAsync(new ElementHandleScreenshotOptions { Path = Path.Combine(fx.Screenshots, $"grid-{i + 1}.png") });
            }
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(fx.Screenshots, "report.png"), FullPage = true });
            Assert.True(watch.Problems.Count == 0, string.Join("\n", watch.Problems));
        }
        finally
        {
            await context.CloseAsync();
            TryDelete(profile);
        }
    }

    [Fact]
    public async Task Chromium_decodes_every_png_to_the_pixels_the_spec_decoder_reads()
    {
        var (context, profile) = await fx.LaunchAsync(javaScript: true);
        try
        {
            var watch = new PageWatch();
            var page = await watch.OpenAsync(context, fx.ReportPath);
            // each image drawn on a canvas; its RGB bytes summarised as FNV-1a, as the C# side does below
            var decoded = await page.EvaluateAsync<JsonElement>(@"async () => {
                const out = [];
                for (const img of document.querySelectorAll('figure.aen-grid img')) {
                    await img.decode();
                    const c = document.createElement('canvas');
                    c.width = img.naturalWidth; c.height = img.naturalHeight;
                    const g = c.getContext('2d');
                    g.drawImage(img, 0, 0);
                    const d = g.getImageData(0, 0, c.width, c.height).data;
                    let h = 0x811c9dc5;
                    for (let i = 0; i < d.length; i++) {
                        if (i % 4 === 3) continue;
                        h ^= d[i]; h = Math.imul(h, 0x01000193) >>> 0;
                    }
                    out.push({ src: img.src, width: c.width, height: c.height, hash: h });
                }
                return out;
            }");
            Assert.True(decoded.GetArrayLength() > 0);
            foreach (var item in decoded.EnumerateArray())
            {
                var src = item.GetProperty("src").GetString()!;
                var png = PngDecoder.Decode(Convert.FromBase64String(src[(src.IndexOf(',') + 1)..]));
                Assert.Equal((png.Width, png.Height), (item.GetProperty("width").GetInt32(), item.GetProperty("height").GetInt32()));
                Assert.Equal(Fnv(png), item.GetProperty("hash").GetUInt32());
            }
            Assert.True(watch.Problems.Count == 0, string.Join("\n", watch.Problems));
        }
        finally
        {
            await context.CloseAsync();
            TryDelete(profile);
        }
    }

    [Fact]
    public async Task Without_scripts_every_chart_shows_its_text()
    {
        var (context, profile) = await fx.LaunchAsync(javaScript: false);
        try
        {
            var watch = new PageWatch();
            var page = await watch.OpenAsync(context, fx.ReportPath);
            var figures = await page.QuerySelectorAllAsync(".aen-chart");
            Assert.Equal(Charts, figures.Count);
            for (int i = 0; i < figures.Count; i++)
            {
                var text = await figures[i].QuerySelectorAsync(".aen-chart-text");
                Assert.NotNull(text);
                Assert.True(await text!.IsVisibleAsync(), $"chart {i + 1} shows no text without scripts");
                Assert.Matches(@"\(\d+ traces?\)", await text.InnerTextAsync());
                Assert.Null(await figures[i].QuerySelectorAsync("svg.main-svg"));
            }
            Assert.True(watch.Problems.Count == 0, string.Join("\n", watch.Problems));
        }
        finally
        {
            await context.CloseAsync();
            TryDelete(profile);
        }
    }

    [Fact]
    public void The_executed_notebook_keeps_html_and_text_for_each_chart_and_plotly_js_once()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(fx.NotebookPath));
        var outputs = doc.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.TryGetProperty("outputs", out _))
            .SelectMany(c => c.GetProperty("outputs").EnumerateArray())
            .Where(o => o.TryGetProperty("data", out _))
            .Select(o => o.GetProperty("data")).ToList();
        string Text(JsonElement v) => v.ValueKind == JsonValueKind.Array ? string.Concat(v.EnumerateArray().Select(x => x.GetString())) : v.GetString()!;
        var charts = outputs.Where(d => d.TryGetProperty("text/html", out var h) && Text(h).Contains("aen-chart")).ToList();
        Assert.Equal(Charts, charts.Count);
        Assert.All(charts, d => Assert.Matches(@"\(\d+ traces?\)", Text(d.GetProperty("text/plain"))));
        // the first chart output of the kernel session carries plotly.js; the others are small
        Assert.Contains(HtmlReport.InlinePlotlyAttribute, Text(charts[0].GetProperty("text/html")));
        Assert.All(charts.Skip(1), d => Assert.True(Text(d.GetProperty("text/html")).Length < 300_000));
        var grids = outputs.Where(d => d.TryGetProperty("text/html", out var h) && Text(h).Contains("aen-grid")).ToList();
        Assert.Equal(Grids, grids.Count);
        Assert.All(grids, d => PngDecoder.Decode(Convert.FromBase64String(Text(d.GetProperty("image/png")).Replace("\n", ""))));
    }

    static uint Fnv(DecodedPng png)
    {
        uint h = 0x811c9dc5;
        for (int i = 0; i < png.Width * png.Height; i++)
            for (int c = 0; c < 3; c++)
            {
                h ^= png.Pixels[i * png.Channels + (png.Channels == 3 ? c : 0)];
                h *= 0x01000193;
            }
        return h;
    }

    static string Slug(string title)
    {
        var s = Regex.Replace(title.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        return s.Length == 0 ? "chart" : s[..Math.Min(40, s.Length)].Trim('-');
    }

    internal static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Opens a page with the network cut off (anything but file: and data: URLs is refused and counted) and collects console errors.</summary>
internal sealed class PageWatch
{
    public List<string> Problems { get; } = new();

    public async Task<IPage> OpenAsync(IBrowserContext context, string path)
    {
        await context.RouteAsync("**/*", async route =>
        {
            var url = route.Request.Url;
            if (url.StartsWith("file:", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal)) await route.ContinueAsync();
            else
            {
                lock (Problems) Problems.Add("network request (the report must work offline): " + url);
                await route.AbortAsync();
            }
        });
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            // KaTeX reports input it only half understands (strict mode) as a warning
            if (m.Type == "error" || m.Type == "warning" && m.Text.Contains("LaTeX", StringComparison.Ordinal))
                lock (Problems) Problems.Add($"console {m.Type}: {m.Text} ({m.Location})");
        };
        page.PageError += (_, e) => { lock (Problems) Problems.Add("page error: " + e); };
        page.RequestFailed += (_, r) => { lock (Problems) Problems.Add($"request failed: {r.Url} {r.Failure}"); };
        await page.GotoAsync(new Uri(path).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 60_000 });
        return page;
    }
}
