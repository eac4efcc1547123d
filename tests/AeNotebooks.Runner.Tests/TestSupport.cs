using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AeNotebooks.Runner.Tests;

internal static class Fixtures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string PathOf(string name)
    {
        var path = Path.Combine(Folder, name);
        Assert.True(File.Exists(path), $"fixture {name} is missing from {Folder}");
        return path;
    }

    public static Task<NotebookRun> RunAsync(string name, RunnerOptions? options = null) =>
        new NotebookRunner(options).RunAsync(PathOf(name));

    /// <summary>A fresh folder under the temp directory, deleted by the OS eventually (tests leave it for inspection).</summary>
    public static string TempFolder(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), "aenotebooks-tests", prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string Text(this CellOutput o) => o.ToText();

    public static string? Mime(this CellOutput o, string mime) => o.GetData(mime);

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeNotebooks.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("AeNotebooks.sln not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>
/// Builds FixtureLib.dll and the FixtureDep.dll it depends on into one folder, once per test run, for the #r
/// fixtures: the notebook references only FixtureLib, so FixtureDep must be found next to it.
/// </summary>
internal static class FixtureLibrary
{
    static readonly Lazy<string> Built = new(Build);

    /// <summary>A folder holding lib/FixtureLib.dll and lib/FixtureDep.dll.</summary>
    public static string Folder => Built.Value;

    static string Build()
    {
        var root = Fixtures.TempFolder("fixture-lib");
        var lib = Path.Combine(root, "lib");
        Directory.CreateDirectory(lib);
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var refs = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == framework)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        Emit(Path.Combine(lib, "FixtureDep.dll"), "FixtureDep",
            "namespace FixtureDep { public sealed class Thing { public int Value => 42; } }", refs);
        Emit(Path.Combine(lib, "FixtureLib.dll"), "FixtureLib",
            "namespace FixtureLib { public static class Api { public static string Describe() => \"FixtureLib uses FixtureDep \" + new FixtureDep.Thing().Value; } }",
            refs.Append(MetadataReference.CreateFromFile(Path.Combine(lib, "FixtureDep.dll"))));
        return root;
    }

    static void Emit(string path, string name, string code, IEnumerable<MetadataReference> refs)
    {
        var compilation = CSharpCompilation.Create(name, [CSharpSyntaxTree.ParseText(code)], refs,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
    }
}
