using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting.Hosting;

namespace AeNotebooks.Runner.Execution;

/// <summary>
/// Assembly references for scripts. A <c>#r "file.dll"</c> assembly is loaded into the default load context (so
/// its types are the same types the host and every other notebook in the process see), its dependencies next
/// to it are loaded with it, and the folder is probed when the default context cannot find an assembly.
/// </summary>
internal static class AssemblyReferences
{
    static readonly ConcurrentDictionary<string, byte> ProbeFolders = new(StringComparer.Ordinal);
    static readonly ConcurrentDictionary<string, MetadataReference> MetadataCache = new(StringComparer.Ordinal);
    static readonly object LoadGate = new();
    static int _resolvingInstalled;

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

    /// <summary>Every assembly of the shared framework (Microsoft.NETCore.App), as the C# kernel references them.</summary>
    public static ImmutableArray<MetadataReference> Framework { get; } = FrameworkAssemblyPaths.Value
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();

    public static bool IsFrameworkAssembly(string simpleName) => FrameworkNames.Value.Contains(simpleName);

    public static MetadataReference MetadataFor(string path) =>
        MetadataCache.GetOrAdd(path, p => MetadataReference.CreateFromFile(p));

    static void EnsureResolving()
    {
        if (Interlocked.Exchange(ref _resolvingInstalled, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            if (name.Name is null) return null;
            foreach (var folder in ProbeFolders.Keys)
            {
                var candidate = Path.Combine(folder, name.Name + ".dll");
                if (!File.Exists(candidate)) continue;
                try
                {
                    return context.LoadFromAssemblyPath(candidate);
                }
                catch (Exception e) when (e is FileLoadException or BadImageFormatException)
                {
                }
            }
            return null;
        };
    }

    /// <summary>Loads <paramref name="path"/> (and the assemblies next to it that it uses) into the default context.</summary>
    public static Assembly Load(string path, InteractiveAssemblyLoader loader)
    {
        EnsureResolving();
        var folder = Path.GetDirectoryName(path)!;
        ProbeFolders.TryAdd(folder, 0);
        lock (LoadGate)
        {
            var assembly = LoadOne(path);
            loader.RegisterDependency(assembly);
            LoadDependencies(assembly, folder, loader, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
            return assembly;
        }
    }

    static Assembly LoadOne(string path)
    {
        var name = AssemblyName.GetAssemblyName(path);
        var loaded = AssemblyLoadContext.Default.Assemblies.FirstOrDefault(a =>
            string.Equals(a.GetName().Name, name.Name, StringComparison.OrdinalIgnoreCase));
        // one copy per process: a second #r of the same assembly (another notebook, or the host's own copy) reuses it
        return loaded ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
    }

    static void LoadDependencies(Assembly assembly, string folder, InteractiveAssemblyLoader loader, HashSet<string> seen)
    {
        foreach (var reference in assembly.GetReferencedAssemblies())
        {
            if (reference.Name is null || !seen.Add(reference.Name) || IsFrameworkAssembly(reference.Name)) continue;
            var candidate = Path.Combine(folder, reference.Name + ".dll");
            if (!File.Exists(candidate)) continue;
            Assembly dependency;
            try
            {
                dependency = LoadOne(candidate);
            }
            catch (Exception e) when (e is FileLoadException or BadImageFormatException)
            {
                continue;
            }
            loader.RegisterDependency(dependency);
            LoadDependencies(dependency, folder, loader, seen);
        }
    }

    /// <summary>Tells the script loader about every assembly already in the default context, so submissions bind to those.</summary>
    public static void RegisterLoaded(InteractiveAssemblyLoader loader, HashSet<Assembly> registered)
    {
        foreach (var assembly in AssemblyLoadContext.Default.Assemblies)
        {
            if (assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location)) continue;
            if (registered.Add(assembly)) loader.RegisterDependency(assembly);
        }
    }

    /// <summary>
    /// A NuGet package the runner can satisfy without fetching: an assembly of the .NET runtime (already
    /// referenced) or one shipped with the runner. Null when it cannot.
    /// </summary>
    public static (string? Path, string Origin)? LocalPackage(string name)
    {
        if (IsFrameworkAssembly(name)) return (null, "part of the .NET runtime");
        var local = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        if (File.Exists(local)) return (local, "shipped with the runner");
        return null;
    }
}
