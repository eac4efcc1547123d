using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reactive.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Directives;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace AeNotebooks.Runner.Kernel;

/// <summary>
/// The kernel Polyglot Notebooks gives a C# notebook, built from the same packages the way dotnet-interactive's
/// KernelBuilder builds it: a CompositeKernel whose C# kernel has #r "nuget:…", the kernel helpers (display, HTML, …),
/// #!who/#!whos and value sharing (#!set, #!share, #!value), plus #!import, #!time and the loading of the kernel
/// extensions NuGet packages carry. The packages have neither #!time nor an extension loader (they live in the
/// dotnet-interactive tool), so both are added here, doing what the tool does.
/// </summary>
public static class PolyglotKernel
{
    public static CompositeKernel Create()
    {
        var composite = new CompositeKernel();
        composite.Add(
            new CSharpKernel()
                .UseNugetDirective((kernel, packages) =>
                {
                    kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                    return Task.CompletedTask;
                })
                .UseKernelHelpers()
                .UseWho()
                .UseValueSharing(),
            ["c#", "C#"]);
        composite.UseImportMagicCommand();
        UseTime(composite);
        UseNuGetExtensions(composite);
        composite.DefaultKernelName = "csharp";

        // what VS Code's frontend (BrowserFrontendEnvironment) sets: HTML by default, strings as plain text
        Formatter.DefaultMimeType = HtmlFormatter.MimeType;
        Formatter.SetPreferredMimeTypesFor(typeof(string), PlainTextFormatter.MimeType);
        return composite;
    }

    /// <summary>#!time: the cell's wall time as text/plain once it completes, worded as VS Code's kernel words it.</summary>
    static void UseTime(Microsoft.DotNet.Interactive.Kernel kernel) =>
        kernel.AddDirective(new KernelActionDirective("#!time") { Description = "Time the execution of the cell" }, (_, context) =>
        {
            var clock = Stopwatch.StartNew();
            context.OnComplete(done =>
            {
                var elapsed = clock.Elapsed;
                done.Publish(new DisplayedValueProduced(elapsed, context.Command,
                    [new FormattedValue(PlainTextFormatter.MimeType, $"Wall time: {elapsed.TotalMilliseconds}ms")]));
            });
            return Task.CompletedTask;
        });

    /// <summary>
    /// After a command that added NuGet packages, loads each package's <c>interactive-extensions/dotnet/*.dll</c> and calls
    /// <see cref="IKernelExtension.OnLoadAsync"/> of every extension type in it (e.g. Plotly.NET.Interactive's formatters).
    /// </summary>
    static void UseNuGetExtensions(CompositeKernel kernel)
    {
        var added = new ConcurrentQueue<PackageAdded>();
        var seenRoots = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var loadedAssemblies = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        kernel.RegisterForDisposal(kernel.KernelEvents.OfType<PackageAdded>()
            .Where(p => p.PackageReference.PackageRoot is { } root && seenRoots.TryAdd(root, true))
            .Subscribe(added.Enqueue));

        kernel.AddMiddleware(async (command, context, next) =>
        {
            await next(command, context);
            while (added.TryDequeue(out var package))
            {
                var folder = new DirectoryInfo(Path.Combine(package.PackageReference.PackageRoot, "interactive-extensions", "dotnet"));
                if (!folder.Exists) continue;
                foreach (var dll in folder.GetFiles("*.dll", SearchOption.TopDirectoryOnly))
                {
                    if (!loadedAssemblies.TryAdd(AssemblyName.GetAssemblyName(dll.FullName).FullName, true)) continue;
                    var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll.FullName);
                    var extensionTypes = assembly.ExportedTypes
                        .Where(t => !t.IsAbstract && !t.IsInterface && !t.IsGenericTypeDefinition && typeof(IKernelExtension).IsAssignableFrom(t))
                        .ToList();
                    if (extensionTypes.Count > 0) KernelInvocationContextExtensions.Display(context, $"Loading extensions from `{assembly.Location}`", PlainTextFormatter.MimeType);
                    foreach (var type in extensionTypes)
                    {
                        var extension = (IKernelExtension)Activator.CreateInstance(type)!;
                        try
                        {
                            await extension.OnLoadAsync(kernel);
                            context.Publish(new KernelExtensionLoaded(extension, context.Command));
                        }
                        catch (Exception e)
                        {
                            context.Publish(new ErrorProduced($"Failed to load kernel extension \"{type.Name}\" from assembly {assembly.Location}", context.Command));
                            context.Fail(context.Command, e, $"Failed to load kernel extension \"{type.Name}\": {e.Message}");
                        }
                    }
                }
            }
        });
    }
}
