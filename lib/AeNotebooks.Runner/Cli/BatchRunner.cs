using System.Collections.Concurrent;
using System.Diagnostics;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Reporting;

namespace AeNotebooks.Runner.Cli;

public sealed class BatchOptions
{
    public List<string> Inputs { get; } = new();
    public string OutDir { get; set; } = Path.Combine("artifacts", "notebooks");
    public TimeSpan CellTimeout { get; set; } = TimeSpan.FromMinutes(10);
    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);
    public int Parallel { get; set; } = 1;

    /// <summary>A plotly.min.js to copy next to the reports instead of asking npm.</summary>
    public string? PlotlyJs { get; set; }

    /// <summary>Replaces the npm fetch (tests).</summary>
    public Func<string, string?>? PlotlyFetch { get; set; }

    /// <summary>Where a fetched plotly.js is kept between runs (default ~/.cache/aenotebooks).</summary>
    public string? PlotlyCacheDirectory { get; set; }
}

/// <summary>One notebook of a batch: its run, or the problem that kept it from running.</summary>
public sealed record NotebookOutcome(string DisplayPath, NotebookRun? Run, string? Problem, string? ExecutedNotebookPath, string? ReportPath)
{
    public bool Passed => Run?.Succeeded == true;
}

public sealed record BatchResult(IReadOnlyList<NotebookOutcome> Outcomes, string OutDir, string IndexPath, int ExitCode);

/// <summary>
/// What <c>run</c> does: finds the notebooks, runs them in order of name (up to --parallel at a time), writes each
/// executed notebook and HTML report plus an index page, prints one line per notebook. Exit code 0 when every cell
/// of every notebook succeeded, 1 when a cell failed or timed out, 2 when a notebook is missing or malformed.
/// </summary>
public static class BatchRunner
{
    public const int ExitOk = 0, ExitCellFailed = 1, ExitBadInput = 2;

    /// <summary>The notebooks named by the inputs (folders: their .ipynb and .dib files), in order of name.</summary>
    public static List<string> Expand(IEnumerable<string> inputs, List<string> problems, TextWriter? log = null)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var found = Directory.EnumerateFiles(input)
                    .Where(NotebookFile.IsNotebookPath)
                    .Where(f => !Path.GetFileName(f).StartsWith('.'))
                    .ToList();
                if (found.Count == 0) log?.WriteLine($"note: no .ipynb or .dib notebooks in {input}");
                files.AddRange(found);
            }
            else
            {
                files.Add(input); // a missing or malformed file is reported when it is loaded
            }
        }
        return files
            .DistinctBy(f => Path.GetFullPath(f), StringComparer.Ordinal)
            .OrderBy(f => Path.GetFileName(f), StringComparer.OrdinalIgnoreCase)
            .ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ThenBy(f => f, StringComparer.Ordinal)
            .ToList();
    }

    public static async Task<BatchResult> RunAsync(BatchOptions options, TextWriter log, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var files = Expand(options.Inputs, problems, log);
        var outDir = Path.GetFullPath(options.OutDir);
        Directory.CreateDirectory(outDir);

        // output names, decided up front in order of name: <stem>.ipynb and <stem>.html, de-duplicated
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "index" };
        var stems = new List<string>();
        foreach (var f in files)
        {
            var stem = Path.GetFileNameWithoutExtension(f);
            var candidate = stem;
            for (var i = 2; !used.Add(candidate); i++) candidate = $"{stem}-{i}";
            stems.Add(candidate);
        }

        var parallel = Math.Max(1, options.Parallel);
        var runner = new NotebookRunner(new RunnerOptions
        {
            CellTimeout = options.CellTimeout, Parameters = options.Parameters, KernelEnvironment = KernelEnvironment(parallel),
        });
        var outcomes = new NotebookOutcome?[files.Count];
        var plotlyGate = new object();
        PlotlyReference? plotly = null;
        PlotlyReference Plotly()
        {
            lock (plotlyGate) return plotly ??= PlotlyAsset.Ensure(outDir, options.PlotlyJs, options.PlotlyFetch, log, options.PlotlyCacheDirectory);
        }
        var logGate = new object();
        using var throttle = new SemaphoreSlim(parallel);
        var clock = Stopwatch.StartNew();

        var tasks = files.Select(async (file, index) =>
        {
            await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var outcome = await RunOneAsync(runner, file, stems[index], outDir, Plotly, cancellationToken).ConfigureAwait(false);
                outcomes[index] = outcome;
                lock (logGate) Print(log, outcome);
            }
            finally
            {
                throttle.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        var list = outcomes.Select(o => o!).ToList();
        var indexPath = Path.Combine(outDir, "index.html");
        var entries = list.Select(o => new IndexEntry(
            o.DisplayPath,
            o.Problem is not null ? "error" : o.Run!.Succeeded ? "passed" : o.Run.Status == NotebookRunStatus.TimedOut ? "timed out" : "failed",
            o.Run?.Duration,
            o.Problem ?? o.Run?.Error?.Summary,
            o.ReportPath is null ? null : Path.GetFileName(o.ReportPath),
            o.ExecutedNotebookPath is null ? null : Path.GetFileName(o.ExecutedNotebookPath))).ToList();
        File.WriteAllText(indexPath, HtmlReport.RenderIndex(entries, DateTimeOffset.Now));

        var unknownEverywhere = options.Parameters.Keys
            .Where(k => list.Where(o => o.Run is not null).All(o => !o.Run!.AppliedParameters.ContainsKey(k)))
            .ToList();
        if (list.Any(o => o.Run is not null))
            foreach (var k in unknownEverywhere) log.WriteLine($"warning: --param {k} is declared by none of the notebooks' parameters cells");

        // said once: where no picture was drawn (no browser on this machine), previews that run no scripts show no chart
        var withoutPictures = list.Where(o => o.Run is not null && HtmlReport.ChartsWithoutPictures(o.Run.Notebook)).ToList();
        if (withoutPictures.Count > 0)
            log.WriteLine($"note: the charts of {withoutPictures.Count} notebook{(withoutPictures.Count == 1 ? "" : "s")} carry HTML only, no static picture " +
                          "(image/png), so previews that run no scripts (GitHub, nbviewer) show their text; the suite's helpers draw the pictures " +
                          "with a local Chromium (Debian: apt-get install chromium), none was found");

        var exit = list.Any(o => o.Problem is not null) ? ExitBadInput
            : list.Any(o => !o.Passed) ? ExitCellFailed
            : ExitOk;
        var passed = list.Count(o => o.Passed);
        log.WriteLine($"{list.Count} notebook{(list.Count == 1 ? "" : "s")}: {passed} passed, {list.Count - passed} failed " +
                      $"({HtmlReport.FormatDuration(clock.Elapsed)}); reports in {Relative(indexPath)}");
        return new BatchResult(list, outDir, indexPath, exit);
    }

    /// <summary>
    /// Kernels that run side by side share the cores: each gets OMP_NUM_THREADS = cores / kernels (at least 1), unless the
    /// runner's own environment sets it. OpenMP libraries (libtorch's) otherwise start a thread per core in every kernel,
    /// and threads that spin-wait for work take the cores the other kernels need: two small-model trainings at once each
    /// ran 7–10× slower than alone on a 2-core machine (the suite's README, "How libtorch's threads wait").
    /// </summary>
    public static Dictionary<string, string> KernelEnvironment(int parallel, int? cores = null, string? userThreads = null)
    {
        userThreads ??= Environment.GetEnvironmentVariable(OpenMpThreads);
        if (parallel <= 1 || !string.IsNullOrEmpty(userThreads)) return [];
        int share = Math.Max(1, (cores ?? Environment.ProcessorCount) / parallel);
        return new() { [OpenMpThreads] = share.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    public const string OpenMpThreads = "OMP_NUM_THREADS";

    static async Task<NotebookOutcome> RunOneAsync(NotebookRunner runner, string file, string stem, string outDir,
        Func<PlotlyReference> plotly, CancellationToken cancellationToken)
    {
        Model.Notebook notebook;
        try
        {
            notebook = NotebookFile.Load(file);
        }
        catch (NotebookFormatException e)
        {
            return new NotebookOutcome(file, null, e.Problem, null, null);
        }
        var run = await runner.RunAsync(notebook, cancellationToken).ConfigureAwait(false);
        var executed = Path.Combine(outDir, stem + ".ipynb");
        var report = Path.Combine(outDir, stem + ".html");
        File.WriteAllText(executed, NotebookFile.SerializeIpynb(run.Notebook));
        var plotlyRef = HtmlReport.NeedsPlotly(run.Notebook) ? plotly() : null;
        var links = new ReportLinks("index.html", Path.GetFileName(executed), file);
        File.WriteAllText(report, HtmlReport.Render(run, links, plotlyRef));
        return new NotebookOutcome(file, run, null, executed, report);
    }

    static void Print(TextWriter log, NotebookOutcome o)
    {
        if (o.Problem is not null)
        {
            log.WriteLine($"ERROR    {o.DisplayPath}: {o.Problem}");
            return;
        }
        var run = o.Run!;
        var word = run.Status switch
        {
            NotebookRunStatus.Succeeded => "PASS",
            NotebookRunStatus.TimedOut => "TIMEOUT",
            NotebookRunStatus.Cancelled => "CANCEL",
            _ => "FAIL",
        };
        var line = $"{word,-8} {o.DisplayPath}  {HtmlReport.FormatDuration(run.Duration)}";
        if (run.Error is { } error) line += "  " + error.Summary;
        log.WriteLine(line);
        foreach (var note in run.Notes) log.WriteLine("         note: " + note);
    }

    static string Relative(string path)
    {
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }
}
