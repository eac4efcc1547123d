using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace AeNotebooks;

/// <summary>
/// A notebook loads this library with one <c>#r "../lib/bin/AeNotebooks.dll"</c>. The kernel does
/// not read our deps.json, so dependencies (the engine, System.Numerics.Tensors) are resolved from
/// the folder this assembly was loaded from.
/// </summary>
static class DependencyResolver
{
    [ModuleInitializer]
    internal static void Install()
    {
        var folder = Path.GetDirectoryName(typeof(DependencyResolver).Assembly.Location);
        if (string.IsNullOrEmpty(folder)) return;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
    }
}
