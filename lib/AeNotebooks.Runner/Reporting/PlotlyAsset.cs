using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace AeNotebooks.Runner.Reporting;

/// <summary>How a report page loads plotly.js: a file next to the reports, or (offline fallback failed) the CDN.</summary>
public sealed record PlotlyReference(string Src, bool IsLocal, string Comment);

/// <summary>
/// Provides the pinned plotly.js (<see cref="Version"/>) next to the reports, so pages with charts work without
/// internet when they are opened: an explicit file (--plotly-js or AENOTEBOOKS_PLOTLY_JS), else the per-user cache,
/// else <c>npm pack plotly.js-dist-min@VERSION</c> (once, then cached), else the CDN URL.
/// </summary>
public static class PlotlyAsset
{
    // the plotly.js that Plotly.NET 6.0.0 embeds and draws its charts with (npm's plotly.js-dist-min@2.28.0 is the same file)
    public const string Version = "2.28.0";
    public const string PackageName = "plotly.js-dist-min";
    public static string FileName => $"plotly-{Version}.min.js";
    public static string CdnUrl => $"https://cdn.plot.ly/plotly-{Version}.min.js";

    public static string CacheDirectory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "aenotebooks");
        }
    }

    /// <summary>Makes sure the reports in <paramref name="outDir"/> can load plotly.js and says how.</summary>
    public static PlotlyReference Ensure(string outDir, string? explicitSource = null, Func<string, string?>? fetch = null, TextWriter? log = null,
        string? cacheDirectory = null)
    {
        var cacheDir = cacheDirectory ?? CacheDirectory;
        var target = Path.Combine(outDir, FileName);
        string Local(string how) => $"plotly.js {Version} ({how}), included once for the charts on this page";
        if (File.Exists(target)) return new PlotlyReference(FileName, true, Local("copied next to the reports"));

        var source = explicitSource ?? Environment.GetEnvironmentVariable("AENOTEBOOKS_PLOTLY_JS");
        if (!string.IsNullOrEmpty(source))
        {
            if (File.Exists(source))
            {
                Directory.CreateDirectory(outDir);
                File.Copy(source, target, overwrite: true);
                return new PlotlyReference(FileName, true, Local("from " + Path.GetFileName(source)));
            }
            log?.WriteLine($"note: plotly.js file {source} not found; looking elsewhere");
        }

        var cached = Path.Combine(cacheDir, FileName);
        if (!File.Exists(cached))
        {
            var fetched = (fetch ?? FetchWithNpm)(cacheDir);
            if (fetched is null || !File.Exists(fetched))
            {
                log?.WriteLine($"note: plotly.js {Version} could not be fetched with npm; reports load it from {CdnUrl} (needs internet when viewed)");
                return new PlotlyReference(CdnUrl, false,
                    $"plotly.js {Version} from the CDN: npm could not provide a local copy when this report was written, so charts need internet to show");
            }
            cached = fetched;
        }
        Directory.CreateDirectory(outDir);
        File.Copy(cached, target, overwrite: true);
        return new PlotlyReference(FileName, true, Local($"npm package {PackageName}@{Version}"));
    }

    static readonly object FetchGate = new();

    /// <summary><c>npm pack</c> of the pinned package into <paramref name="cacheDir"/>; the path of plotly.min.js or null.</summary>
    public static string? FetchWithNpm(string cacheDir)
    {
        lock (FetchGate)
        {
            var cached = Path.Combine(cacheDir, FileName);
            if (File.Exists(cached)) return cached;
            var work = Path.Combine(Path.GetTempPath(), "aenotebooks-plotly-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(work);
            try
            {
                var psi = new ProcessStartInfo("npm", ["pack", $"{PackageName}@{Version}", "--silent", "--pack-destination", work])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    WorkingDirectory = work,
                };
                using var p = Process.Start(psi);
                if (p is null) return null;
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
                {
                    try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    return null;
                }
                _ = stdout.Result + stderr.Result;
                if (p.ExitCode != 0) return null;
                var tgz = Directory.GetFiles(work, "*.tgz").FirstOrDefault();
                if (tgz is null) return null;
                using var file = File.OpenRead(tgz);
                using var gz = new GZipStream(file, CompressionMode.Decompress);
                using var tar = new TarReader(gz);
                while (tar.GetNextEntry() is { } entry)
                {
                    if (entry.Name is not ("package/plotly.min.js") || entry.DataStream is null) continue;
                    Directory.CreateDirectory(cacheDir);
                    var tmp = cached + "." + Guid.NewGuid().ToString("N") + ".tmp";
                    using (var outFile = File.Create(tmp)) entry.DataStream.CopyTo(outFile);
                    File.Move(tmp, cached, overwrite: true);
                    return cached;
                }
                return null;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return null;
            }
            finally
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }
}
