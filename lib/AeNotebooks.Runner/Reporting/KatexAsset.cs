using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace AeNotebooks.Runner.Reporting;

/// <summary>KaTeX's script and stylesheet with its fonts inside (data: URLs), for a page that must work on its own, offline.</summary>
public sealed record KatexBundle(string Script, string Stylesheet, string Comment);

/// <summary>
/// Provides the pinned KaTeX (<see cref="Version"/>) that typesets the notebooks' formulas, without a CDN: a folder
/// named by AENOTEBOOKS_KATEX (holding katex.min.js, katex.min.css and fonts/, as the package's dist/ does), else the
/// per-user cache, else <c>npm pack katex@VERSION</c> (once, then cached). Reports carry it inside the page
/// (<see cref="Bundle"/>); exported apps' pages load it from a <c>katex/</c> folder next to them (<see cref="CopyTo"/>).
/// Where none of these works, the formulas stay readable LaTeX source and this says so once.
/// </summary>
public static partial class KatexAsset
{
    public const string Version = "0.19.1";
    public const string PackageName = "katex";
    public const string EnvironmentVariable = "AENOTEBOOKS_KATEX";

    /// <summary>The folder next to the exported apps' pages.</summary>
    public const string FolderName = "katex";

    static readonly string[] Files = ["katex.min.js", "katex.min.css"];

    public static string CacheFolder(string? cacheDirectory = null) => Path.Combine(cacheDirectory ?? PlotlyAsset.CacheDirectory, $"katex-{Version}");

    /// <summary>
    /// Typesets the page's formulas in place (the report's markdown cells and markdown outputs only); a formula KaTeX
    /// cannot parse keeps its source, is marked, and is reported on the console.
    /// </summary>
    public const string TypesetScript =
        "(function(){if(typeof katex==='undefined')return;" +
        "document.querySelectorAll('.markdown .math, .output[data-mime=\"text/markdown\"] .math').forEach(function(el){" +
        "var src=el.textContent.trim(),m=/^\\\\[(\\[]([\\s\\S]*)\\\\[)\\]]$/.exec(src),tex=m?m[1]:src;" +
        "var display=el.tagName==='DIV'||el.classList.contains('display');" +
        "try{katex.render(tex,el,{displayMode:display,throwOnError:true})}" +
        "catch(e){el.classList.add('math-error');el.title=String(e&&e.message||e);console.error('formula not typeset: '+src+': '+el.title)}" +
        "})})();";

    /// <summary>What a page with formulas adds to its styles either way: wide display formulas scroll instead of overflowing.</summary>
    public const string PageCss = ".katex-display{overflow-x:auto;overflow-y:hidden;padding:.1em 0}.math-error{color:#cf222e}";

    /// <summary>The folder holding KaTeX's files, fetching them the first time; null when they cannot be had.</summary>
    public static string? Locate(string? cacheDirectory = null, Func<string, bool>? fetch = null, TextWriter? log = null)
    {
        var given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(given))
        {
            if (IsComplete(given)) return given;
            Note(log, $"note: {EnvironmentVariable}={given} does not hold katex.min.js, katex.min.css and fonts/; looking elsewhere");
        }
        var folder = CacheFolder(cacheDirectory);
        if (IsComplete(folder)) return folder;
        lock (Unavailable)
        {
            // one npm attempt per process: a run of many reports asks once
            if (fetch is null && Unavailable.Contains(folder)) return null;
            if ((fetch ?? FetchWithNpm)(folder) && IsComplete(folder)) return folder;
            if (fetch is null) Unavailable.Add(folder);
        }
        Note(log, $"note: KaTeX {Version} could not be fetched with npm (npm pack {PackageName}@{Version}); formulas are shown as LaTeX source");
        return null;
    }

    static readonly HashSet<string> Unavailable = new(StringComparer.Ordinal);

    static bool IsComplete(string folder) =>
        Files.All(f => File.Exists(Path.Combine(folder, f))) && Directory.Exists(Path.Combine(folder, "fonts"));

    static readonly HashSet<string> Noted = new(StringComparer.Ordinal);

    /// <summary>To the given log; without one (a report being rendered), on stderr once per process, not once per report.</summary>
    static void Note(TextWriter? log, string message)
    {
        if (log is not null) log.WriteLine(message);
        else lock (Noted) if (Noted.Add(message)) Console.Error.WriteLine(message);
    }

    static readonly Dictionary<string, KatexBundle> Bundles = new(StringComparer.Ordinal);

    /// <summary>The script and a stylesheet whose fonts are data: URLs (woff2, which every current browser reads); null when KaTeX cannot be had.</summary>
    public static KatexBundle? Bundle(string? cacheDirectory = null, Func<string, bool>? fetch = null)
    {
        var folder = Locate(cacheDirectory, fetch);
        if (folder is null) return null;
        lock (Bundles)
        {
            if (Bundles.TryGetValue(folder, out var known)) return known;
            var script = File.ReadAllText(Path.Combine(folder, "katex.min.js"));
            var missing = new List<string>();
            var css = FontSources().Replace(File.ReadAllText(Path.Combine(folder, "katex.min.css")), m =>
            {
                var font = Path.Combine(folder, "fonts", m.Groups[1].Value + ".woff2");
                if (!File.Exists(font)) { missing.Add(m.Groups[1].Value); return m.Value; }
                return $"url(data:font/woff2;base64,{Convert.ToBase64String(File.ReadAllBytes(font))}) format(\"woff2\")";
            });
            // inside <script> and <style> only the end tags could break out; the package has none, but a changed copy might
            if (missing.Count > 0 || script.Contains("</script", StringComparison.OrdinalIgnoreCase) || css.Contains("</style", StringComparison.OrdinalIgnoreCase))
            {
                Note(null, $"note: the KaTeX files in {folder} are not the package's ({string.Join(", ", missing.DefaultIfEmpty("an end tag inside"))}); formulas are shown as LaTeX source");
                return null;
            }
            return Bundles[folder] = new KatexBundle(script, css, $"KaTeX {Version} (MIT licence, npm package {PackageName}), included with its fonts to typeset this page's formulas offline");
        }
    }

    /// <summary>One @font-face source list: the woff2 URL and the woff/ttf alternatives after it.</summary>
    [GeneratedRegex("""url\(fonts/([A-Za-z0-9_-]+)\.woff2\) format\("woff2"\)(?:,url\(fonts/[A-Za-z0-9_.-]+\) format\("[a-z]+"\))*""")]
    private static partial Regex FontSources();

    /// <summary>Copies KaTeX into <c>katex/</c> under <paramref name="outDir"/> (the exported apps' pages load it from there); false when it cannot be had.</summary>
    public static bool CopyTo(string outDir, TextWriter? log = null, string? cacheDirectory = null, Func<string, bool>? fetch = null)
    {
        var folder = Locate(cacheDirectory, fetch, log);
        if (folder is null) return false;
        var target = Path.Combine(outDir, FolderName);
        Directory.CreateDirectory(Path.Combine(target, "fonts"));
        foreach (var f in Files) File.Copy(Path.Combine(folder, f), Path.Combine(target, f), overwrite: true);
        foreach (var font in Directory.EnumerateFiles(Path.Combine(folder, "fonts")))
            File.Copy(font, Path.Combine(target, "fonts", Path.GetFileName(font)), overwrite: true);
        return true;
    }

    static readonly object FetchGate = new();

    /// <summary><c>npm pack</c> of the pinned package, its dist/ files unpacked into <paramref name="folder"/>; false when that fails.</summary>
    public static bool FetchWithNpm(string folder)
    {
        lock (FetchGate)
        {
            if (IsComplete(folder)) return true;
            var work = Path.Combine(Path.GetTempPath(), "aenotebooks-katex-" + Guid.NewGuid().ToString("N"));
            var unpacked = folder + "." + Guid.NewGuid().ToString("N") + ".tmp";
            Directory.CreateDirectory(work);
            try
            {
                // no retries: offline (a sandbox, a plane) npm would otherwise wait about a minute before giving up
                var psi = new ProcessStartInfo("npm", ["pack", $"{PackageName}@{Version}", "--silent", "--fetch-retries=0", "--pack-destination", work])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    WorkingDirectory = work,
                };
                using var p = Process.Start(psi);
                if (p is null) return false;
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
                {
                    try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    return false;
                }
                _ = stdout.Result + stderr.Result;
                if (p.ExitCode != 0) return false;
                var tgz = Directory.GetFiles(work, "*.tgz").FirstOrDefault();
                if (tgz is null) return false;
                using (var file = File.OpenRead(tgz))
                using (var gz = new GZipStream(file, CompressionMode.Decompress))
                using (var tar = new TarReader(gz))
                {
                    while (tar.GetNextEntry() is { } entry)
                    {
                        if (entry.DataStream is null || !entry.Name.StartsWith("package/dist/", StringComparison.Ordinal)) continue;
                        var name = entry.Name["package/dist/".Length..];
                        var isFont = name.StartsWith("fonts/", StringComparison.Ordinal) && name.IndexOf('/', "fonts/".Length) < 0 && !name.Contains("..", StringComparison.Ordinal);
                        if (!Files.Contains(name) && !isFont) continue;
                        var path = Path.Combine(unpacked, name);
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        using var outFile = File.Create(path);
                        entry.DataStream.CopyTo(outFile);
                    }
                }
                if (!IsComplete(unpacked)) return false;
                Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); // an incomplete earlier copy
                Directory.Move(unpacked, folder);
                return true;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return false;
            }
            finally
            {
                TryDelete(work);
                TryDelete(unpacked);
            }
        }
    }

    static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
