using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
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
        AssemblyLoadContext.Default.Resolving += ShareLoadedFSharpCore;
        TryRegister();
    }

    /// <summary>
    /// Plotly.NET 6.0.0 asks for FSharp.Core 10.1.0.0; Polyglot Notebooks' kernel has FSharp.Core 10.0.0.0 loaded, which
    /// the runtime does not give a request for a higher version. This answers such a request with the FSharp.Core already
    /// loaded (no second copy: nothing is loaded here). Only called when the runtime's own resolution failed.
    /// </summary>
    internal static Assembly? ShareLoadedFSharpCore(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == "FSharp.Core"
            ? AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == "FSharp.Core" && AssemblyLoadContext.GetLoadContext(a) == context)
            : null;

    /// <summary>
    /// Registers text/html and text/plain formatters for Plotly.NET's charts with the kernel's Formatter, if a kernel
    /// is loaded; false otherwise. They are registered for the chart's concrete types (GenericChart.Chart and
    /// .MultiChart): the kernel picks the formatter of the most specific type, so they win over Plotly.NET.Interactive's
    /// (registered for GenericChart, loading plotly.js from a CDN) whichever was loaded first.
    /// </summary>
    internal static bool TryRegister()
    {
        var formatter = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(FormatterType)).FirstOrDefault(t => t is not null);
        var register = formatter?.GetMethod("Register", BindingFlags.Public | BindingFlags.Static, [typeof(Type), typeof(Action<object, TextWriter>), typeof(string)]);
        var preferred = formatter?.GetMethod("SetPreferredMimeTypesFor", BindingFlags.Public | BindingFlags.Static, [typeof(Type), typeof(string[])]);
        if (register is null || preferred is null) return false;
        Action<object, TextWriter> html = (chart, writer) => writer.Write(ChartHtml.Fragment((GenericChart)chart));
        Action<object, TextWriter> text = (chart, writer) => writer.Write(ChartText.Describe((GenericChart)chart));
        foreach (var type in ChartTypes)
        {
            register.Invoke(null, [type, html, "text/html"]);
            register.Invoke(null, [type, text, "text/plain"]);
            preferred.Invoke(null, [type, new[] { "text/html", "text/plain" }]);
        }
        return true;
    }

    /// <summary>The concrete types of <see cref="GenericChart"/> (an F# union: one class per case).</summary>
    internal static Type[] ChartTypes { get; } = [typeof(GenericChart.Chart), typeof(GenericChart.MultiChart)];
}
