using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Classroom.Tests;

internal static class Paths
{
    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Fixture(params string[] parts)
    {
        var path = Path.Combine([Fixtures, .. parts]);
        Assert.True(File.Exists(path) || Directory.Exists(path), $"fixture {Path.Combine(parts)} is missing from {Fixtures}");
        return path;
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AeNotebooks.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("AeNotebooks.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A fresh folder under the temp directory (left for inspection; the OS cleans it eventually).</summary>
    public static string TempFolder(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), "aenotebooks-tests", prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// A course folder laid out like the repository: <c>notebooks/</c> with the given notebooks, <c>lib</c> and <c>data</c>
    /// linked to the repository's, so that the notebooks' <c>#r "../lib/bin/…"</c> resolves and the library finds its data.
    /// </summary>
    public static string Course(string prefix, params string[] notebooks)
    {
        var root = TempFolder(prefix);
        Directory.CreateDirectory(Path.Combine(root, "notebooks"));
        Directory.CreateSymbolicLink(Path.Combine(root, "lib"), Path.Combine(RepoRoot, "lib"));
        // the kernel loads lib/bin/AeNotebooks.dll through the link, so the library looks for data/ above the link's path
        Directory.CreateSymbolicLink(Path.Combine(root, "data"), Path.Combine(RepoRoot, "data"));
        foreach (var nb in notebooks) File.Copy(nb, Path.Combine(root, "notebooks", Path.GetFileName(nb)));
        return root;
    }

    public static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var dir in Directory.EnumerateDirectories(from)) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    public static Notebook Parse(string json, string path) => NotebookFile.Parse(json, NotebookFormat.Ipynb, path);

    /// <summary>A minimal Polyglot notebook with the given C# cells.</summary>
    public static string Ipynb(params string[] cells)
    {
        var list = new System.Text.Json.Nodes.JsonArray();
        foreach (var c in cells)
        {
            list.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["cell_type"] = "code",
                ["execution_count"] = null,
                ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["polyglot_notebook"] = new System.Text.Json.Nodes.JsonObject { ["kernelName"] = "csharp" } },
                ["outputs"] = new System.Text.Json.Nodes.JsonArray(),
                ["source"] = c,
            });
        }
        return new System.Text.Json.Nodes.JsonObject
        {
            ["cells"] = list,
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["kernelspec"] = new System.Text.Json.Nodes.JsonObject { ["name"] = ".net-csharp" } },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        }.ToJsonString();
    }
}
