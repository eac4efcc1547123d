using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using AeNotebooks.Rendering;
using Plotly.NET;

namespace AeNotebooks.Plotting;

/// <summary>
/// What the helpers do for charts when a .NET Interactive kernel loads them, without referencing the kernel (as
/// <see cref="ProgressDisplay"/> reaches it): Plotly.NET runs on the kernel's FSharp.Core, and charts get the
/// offline HTML of <see cref="ChartHtml"/> and the text of <see cref="ChartText"/>.
/// </summary>
internal static class KernelFormatters
{
    const string FormatterType = "Microsoft.DotNet.Interactive.Formatting.Formatter";

    // a library's module initializer on purpose (CA2255): it must run before a cell's first chart, also one a learner
    // builds with Plotly.NET directly, and the setup cell's first call into the helpers is the only hook a #r gives
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void WhenHelpersAreFirstUsed()
    {
        AppDomain.CurrentDomain.AssemblyResolve += ShareKernelFSharpCore;
        TryRegister();
    }

    /// <summary>
    /// Plotly.NET 6.0.0 asks for FSharp.Core 10.1.0.0; Polyglot Notebooks' kernel carries FSharp.Core 10.0.0.0, which the
    /// runtime does not give a request for a higher version. lib/bin has no FSharp.Core of its own (a second copy
    /// breaks every F# type shared with the kernel's), so the request fails and ends here, the last resort of every
    /// load context (the kernel's script loader gives each #r'd assembly its own). The answer is the FSharp.Core the
    /// process already has, else the one its deps.json lists; outside a kernel the runtime finds 10.1 itself. A host
    /// with neither gets null, so the chart call fails naming FSharp.Core (asking the runtime for it by name from here
    /// would land here again, without end).
    /// </summary>
    internal static Assembly? ShareKernelFSharpCore(object? sender, ResolveEventArgs args)
    {
        var name = new AssemblyName(args.Name);
        if (name.Name != "FSharp.Core") return null;
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "FSharp.Core"
            && AssemblyLoadContext.GetLoadContext(a) == AssemblyLoadContext.Default);
        if (loaded is not null) return loaded;
        return TrustedFSharpCore(AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) is { } path
            ? AssemblyLoadContext.Default.LoadFromAssemblyPath(path) : null;
    }

    /// <summary>The FSharp.Core.dll among the host's trusted assemblies (its deps.json), or null.</summary>
    internal static string? TrustedFSharpCore(string? trustedPlatformAssemblies) =>
        trustedPlatformAssemblies?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(p => Path.GetFileName(p).Equals("FSharp.Core.dll", StringComparison.OrdinalIgnoreCase) && File.Exists(p));

    /// <summary>
    /// Registers text/html, image/png (<see cref="ChartPictures"/>, preferred only where a Chromium is found) and
    /// text/plain formatters for Plotly.NET's charts and for the helpers' values that show a chart
    /// (<see cref="IChartRenderable"/>: their picture is that chart's) with the kernel's Formatter, if a kernel is loaded;
    /// false otherwise. They are registered for concrete types (GenericChart.Chart and .MultiChart, TrainingRun, …): the
    /// kernel picks the formatter of the most specific type, so they win over Plotly.NET.Interactive's (registered for
    /// GenericChart, loading plotly.js from a CDN) whichever was loaded first, and over the [TypeFormatterSource] ones.
    /// </summary>
    internal static bool TryRegister()
    {
        var formatter = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(FormatterType)).FirstOrDefault(t => t is not null);
        var register = formatter?.GetMethod("Register", BindingFlags.Public | BindingFlags.Static, [typeof(Type), typeof(Action<object, TextWriter>), typeof(string)]);
        var preferred = formatter?.GetMethod("SetPreferredMimeTypesFor", BindingFlags.Public | BindingFlags.Static, [typeof(Type), typeof(string[])]);
        if (register is null || preferred is null) return false;
        // a static picture next to the HTML, for previews that run no scripts, where a Chromium can draw it
        string[] withoutPicture = ["text/html", "text/plain"];
        string[] mimes = ChartPictures.Chromium is null ? withoutPicture : ["text/html", "image/png", "text/plain"];
        var types = ChartTypes.Concat(ChartRenderableTypes).ToArray();
        Action<object, TextWriter> html = (value, writer) => writer.Write(Html(value));
        Action<object, TextWriter> text = (value, writer) => writer.Write(Text(value));
        Action<object, TextWriter> png = (value, writer) =>
        {
            try
            {
                // notebooks store binary outputs as base64 text, as Jupyter does
                writer.Write(Convert.ToBase64String(ChartPictures.Png(ChartOf(value)) ?? []));
            }
            catch (Exception e)
            {
                // a chart without its picture is still a chart: say why once, and ask for no more pictures in this session
                Console.Error.WriteLine($"charts carry no static picture from here on: {ChartPictures.Chromium} could not draw one ({e.GetBaseException().Message})");
                foreach (var type in types) preferred.Invoke(null, [type, withoutPicture]);
            }
        };
        foreach (var type in types)
        {
            register.Invoke(null, [type, html, "text/html"]);
            register.Invoke(null, [type, png, "image/png"]);
            register.Invoke(null, [type, text, "text/plain"]);
            preferred.Invoke(null, [type, mimes]);
        }
        ChartPictures.StartBrowser();
        return true;
    }

    static GenericChart ChartOf(object value) => value is IChartRenderable r ? r.Chart : (GenericChart)value;
    static string Html(object value) => value is IChartRenderable r ? r.ToHtml() : ChartHtml.Fragment((GenericChart)value);
    static string Text(object value) => value is IChartRenderable r ? r.ToText() : ChartText.Describe((GenericChart)value);

    /// <summary>The helpers' types whose values show a chart (<see cref="IChartRenderable"/>; a test checks the list is whole).</summary>
    internal static Type[] ChartRenderableTypes { get; } = [typeof(TrainingRun), typeof(LearningRateFinding)];

    /// <summary>The concrete types of <see cref="GenericChart"/> (an F# union: one class per case).</summary>
    internal static Type[] ChartTypes { get; } = [typeof(GenericChart.Chart), typeof(GenericChart.MultiChart)];
}
