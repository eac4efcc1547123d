using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;

namespace AeNotebooks.Runner.Export;

/// <summary>Metadata references for binding a notebook's cells the way the C# kernel compiles them.</summary>
internal static class CompileReferences
{
    static readonly ConcurrentDictionary<string, MetadataReference> Cache = new(StringComparer.Ordinal);

    static readonly Lazy<string> FrameworkDir = new(() => Path.GetDirectoryName(typeof(object).Assembly.Location)!);

    static readonly Lazy<ImmutableArray<string>> FrameworkAssemblyPaths = new(() =>
        ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Where(p => string.Equals(Path.GetDirectoryName(p), FrameworkDir.Value, StringComparison.Ordinal))
        .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        .OrderBy(p => p, StringComparer.Ordinal)
        .ToImmutableArray());

    static readonly Lazy<HashSet<string>> FrameworkNames = new(() =>
        new HashSet<string>(FrameworkAssemblyPaths.Value.Select(Path.GetFileNameWithoutExtension)!, StringComparer.OrdinalIgnoreCase));

    /// <summary>The shared framework (Microsoft.NETCore.App) and the kernel's own assemblies (display, HTML, Formatter).</summary>
    public static ImmutableArray<MetadataReference> Kernel { get; } = FrameworkAssemblyPaths.Value
        .Concat([typeof(Microsoft.DotNet.Interactive.Kernel).Assembly.Location, typeof(Microsoft.DotNet.Interactive.Formatting.Formatter).Assembly.Location,
                 typeof(Microsoft.AspNetCore.Html.IHtmlContent).Assembly.Location])
        .Select(For).ToImmutableArray();

    /// <summary>The C# kernel's usings: its defaults and the <c>using static</c> of its helpers (UseKernelHelpers).</summary>
    public static readonly string[] KernelUsings =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"];

    public const string KernelHelpersType = "Microsoft.DotNet.Interactive.Kernel";

    public static bool IsFrameworkAssembly(string simpleName) => FrameworkNames.Value.Contains(simpleName);

    /// <summary>
    /// The given assemblies and, transitively, those they reference that sit next to them: the kernel finds a #r'd
    /// assembly's dependencies in its folder, and binding needs them wherever their types appear in its signatures
    /// (the helpers' charts are Plotly.NET types).
    /// </summary>
    public static IEnumerable<string> WithDependencies(IEnumerable<string> paths)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(paths.Where(File.Exists));
        while (pending.TryDequeue(out var path))
        {
            if (!seen.Add(path)) continue;
            using var pe = new PEReader(File.OpenRead(path));
            if (!pe.HasMetadata) continue;
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.AssemblyReferences)
            {
                var next = Path.Combine(Path.GetDirectoryName(path)!, metadata.GetString(metadata.GetAssemblyReference(handle).Name) + ".dll");
                if (File.Exists(next)) pending.Enqueue(next);
            }
        }
        return seen.Order(StringComparer.Ordinal);
    }

    public static MetadataReference For(string path) => Cache.GetOrAdd(path, p => MetadataReference.CreateFromFile(p));
}
