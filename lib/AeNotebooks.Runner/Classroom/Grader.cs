using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;
using AeNotebooks.Runner.Reporting;

namespace AeNotebooks.Runner.Classroom;

public sealed class GradeOptions
{
    public List<string> Inputs { get; } = new();

    /// <summary>The instructor's notebooks (with solutions and hidden checks).</summary>
    public string Solutions { get; set; } = "notebooks";

    public string OutDir { get; set; } = Path.Combine("artifacts", "grades");

    /// <summary>Wall-clock limit for one submission's whole process; past it the process (and all it started) is killed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Limit for one cell (and one hidden check) inside a submission.</summary>
    public TimeSpan CellTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);
    public int Parallel { get; set; } = 1;

    /// <summary>Run each submission inside <see cref="Classroom.Sandbox"/> (the default); false runs it as a plain child process.</summary>
    public bool Sandbox { get; set; } = true;

    public string? PlotlyJs { get; set; }
    public Func<string, string?>? PlotlyFetch { get; set; }
    public string? PlotlyCacheDirectory { get; set; }
}

/// <summary>An instructor's notebook and the hidden checks it holds.</summary>
public sealed record SolutionNotebook(string Path, Notebook Notebook, IReadOnlyList<HiddenCheck> Checks)
{
    public string Stem => System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>Exercises in order of their first hidden check, with the points of all their checks.</summary>
    public IReadOnlyList<(string Id, double Points)> Exercises =>
        Checks.GroupBy(c => c.Id, StringComparer.Ordinal).Select(g => (g.Key, g.Sum(c => c.Points))).ToList();

    public double MaxPoints => Checks.Sum(c => c.Points);
}

/// <summary>One graded submission: a row of the grade table.</summary>
public sealed class GradeRow
{
    public const string Graded = "graded", Errors = "errors", TimedOut = "timed-out", Killed = "killed", Crashed = "crashed",
        Malformed = "malformed", NoSolution = "no-solution", SandboxError = "sandbox-error";

    public required string Student { get; init; }
    public required string Notebook { get; init; }
    public required string Submission { get; init; }
    public IReadOnlyList<(string Id, double Points)> Exercises { get; init; } = [];
    public double MaxScore { get; init; }
    public string Status { get; set; } = Graded;
    public string? Reason { get; set; }
    public List<string> Notes { get; } = new();
    public List<CheckOutcome> Checks { get; set; } = new();
    public TimeSpan Duration { get; set; }

    /// <summary>The feedback report, relative to the output folder (null when the submission did not run).</summary>
    public string? Feedback { get; set; }

    public double Score => Checks.Sum(c => c.Earned);
    public double EarnedFor(string exercise) => Checks.Where(c => c.Id == exercise).Sum(c => c.Earned);
    public bool HasExercise(string exercise) => Exercises.Any(e => e.Id == exercise);
}

public sealed record GradeResult(IReadOnlyList<GradeRow> Rows, string OutDir, string CsvPath, string HtmlPath, int ExitCode);

/// <summary>
/// <c>grade</c>: runs each submitted notebook in a child process of its own (the runner's <c>grade-submission</c>
/// command), inside <see cref="Classroom.Sandbox"/> unless told otherwise, with a time limit; runs the instructor's
/// hidden checks against the submission's final state; and writes the grade table. Only this process writes the output
/// folder; a submission's process writes only its own temporary folder.
/// </summary>
public static class Grader
{
    const string GradeFolder = ".grade";

    public static async Task<GradeResult> RunAsync(GradeOptions options, TextWriter log, CancellationToken cancellationToken = default)
    {
        var outDir = Path.GetFullPath(options.OutDir);
        GradeResult Bad(string message)
        {
            log.WriteLine("error: " + message);
            return new GradeResult([], outDir, "", "", BatchRunner.ExitBadInput);
        }

        // the instructor's notebooks
        var solutionsDir = Path.GetFullPath(options.Solutions).TrimEnd(Path.DirectorySeparatorChar);
        if (!Directory.Exists(solutionsDir)) return Bad($"the solutions folder {options.Solutions} does not exist (pass --solutions DIR)");
        var solutions = new List<SolutionNotebook>();
        var broken = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in BatchRunner.Expand([solutionsDir], []))
        {
            try
            {
                var nb = NotebookFile.Load(file);
                solutions.Add(new SolutionNotebook(Path.GetFullPath(file), nb, Conventions.HiddenChecks(nb)));
            }
            catch (NotebookFormatException e)
            {
                broken[Path.GetFileNameWithoutExtension(file)] = $"solution notebook {file}: {e.Problem}";
            }
            catch (ClassroomFormatException e)
            {
                broken[Path.GetFileNameWithoutExtension(file)] = e.Message;
            }
        }
        if (solutions.Count == 0 && broken.Count == 0) return Bad($"no notebooks in the solutions folder {options.Solutions}");

        // the submissions
        var found = FindSubmissions(options.Inputs, outDir, out var missing);
        if (missing.Count > 0) return Bad(string.Join("; ", missing.Select(m => $"{m} does not exist")));
        if (found.Count == 0) return Bad($"no submitted notebooks (.ipynb, .dib) in {string.Join(", ", options.Inputs)}");
        // a solution notebook that cannot be read matters only when something was submitted for it
        var needed = broken.Where(b => found.Any(f => Path.GetFileNameWithoutExtension(f.File).Contains(b.Key, StringComparison.OrdinalIgnoreCase))).ToList();
        if (needed.Count > 0) return Bad(string.Join("; ", needed.Select(b => b.Value)));
        foreach (var (_, problem) in broken) log.WriteLine($"note: skipped (nothing was submitted for it): {problem}");

        if (options.Sandbox && !Sandbox.IsAvailable)
        {
            return Bad("grade runs every submission in a sandbox (read-only file system outside its own folder, its own process and " +
                       $"network namespaces), which is not available here: {Sandbox.Unavailability}. To grade without it, pass --no-sandbox — " +
                       "only for submissions you trust, since their code then runs with your permissions.");
        }

        var jobs = found.Select(f => Match(f, solutions)).OrderBy(j => j.Student, StringComparer.OrdinalIgnoreCase)
            .ThenBy(j => j.Solution?.Stem ?? Path.GetFileName(j.File), StringComparer.OrdinalIgnoreCase).ThenBy(j => j.File, StringComparer.Ordinal).ToList();

        // what a submission must not see: the solutions, the submitted files, the output folder
        var hidden = solutions.Select(s => s.Path).Concat(jobs.Select(j => j.File)).Append(outDir).Distinct(StringComparer.Ordinal).ToList();
        var excluded = options.Inputs.Select(i => Path.GetFullPath(i).TrimEnd(Path.DirectorySeparatorChar)).Concat(hidden).ToList();
        var session = Directory.CreateTempSubdirectory("aenotebooks-grade-").FullName;
        var context = new Context(options, solutionsDir, session, hidden, excluded);

        var mode = options.Sandbox ? "sandboxed" : "NOT sandboxed (--no-sandbox)";
        log.WriteLine($"grading {jobs.Count} submission{(jobs.Count == 1 ? "" : "s")} against {Release.Display(solutionsDir)}, " +
                      $"{Math.Max(1, options.Parallel)} at a time, {mode}; limits: {NotebookRunnerFormat(options.Timeout)} per submission, " +
                      $"{NotebookRunnerFormat(options.CellTimeout)} per cell");
        var clock = Stopwatch.StartNew();
        var rows = new GradeRow[jobs.Count];
        var feedback = new ConcurrentDictionary<int, string>();
        var gate = new object();
        using var throttle = new SemaphoreSlim(Math.Max(1, options.Parallel));
        try
        {
            await Task.WhenAll(jobs.Select(async (job, index) =>
            {
                await throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var (row, html) = await GradeOneAsync(context, job, index, cancellationToken).ConfigureAwait(false);
                    rows[index] = row;
                    if (html is not null) feedback[index] = html;
                    lock (gate) Print(log, row);
                }
                finally
                {
                    throttle.Release();
                }
            })).ConfigureAwait(false);
        }
        finally
        {
            TryDeleteTree(session);
        }

        // only this process writes the output folder
        Directory.CreateDirectory(outDir);
        // feedback pages with charts load plotly.js from the output folder, or from the CDN when no copy can be had
        var localPlotly = "../../" + PlotlyAsset.FileName;
        string? plotlySrc = null;
        if (feedback.Values.Any(h => h.Contains(localPlotly, StringComparison.Ordinal)))
        {
            var reference = PlotlyAsset.Ensure(outDir, options.PlotlyJs, options.PlotlyFetch, log, options.PlotlyCacheDirectory);
            plotlySrc = reference.IsLocal ? localPlotly : reference.Src;
        }
        var usedFeedback = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (index, report) in feedback.OrderBy(p => p.Key))
        {
            var row = rows[index];
            var relative = Path.Combine("feedback", SafeName(row.Student), SafeName(row.Notebook) + ".html");
            for (var i = 2; !usedFeedback.Add(relative); i++)
                relative = Path.Combine("feedback", SafeName(row.Student), $"{SafeName(row.Notebook)}-{i}.html");
            var path = Path.Combine(outDir, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, plotlySrc is null || plotlySrc == localPlotly ? report : report.Replace($"src=\"{localPlotly}\"", $"src=\"{plotlySrc}\""));
            row.Feedback = relative.Replace(Path.DirectorySeparatorChar, '/');
        }
        var list = rows.ToList();
        var csv = Path.Combine(outDir, "grades.csv");
        var page = Path.Combine(outDir, "grades.html");
        File.WriteAllText(csv, GradeReport.Csv(list));
        File.WriteAllText(Path.Combine(outDir, "grades-details.csv"), GradeReport.DetailsCsv(list));
        File.WriteAllText(page, GradeReport.Html(list, solutions, options, DateTimeOffset.Now));
        log.WriteLine($"{list.Count} submission{(list.Count == 1 ? "" : "s")} graded ({HtmlReport.FormatDuration(clock.Elapsed)}): " +
                      $"{list.Count(r => r.Status == GradeRow.Graded)} ran cleanly, {list.Count(r => r.Status != GradeRow.Graded)} with problems; " +
                      $"table in {Release.Display(csv)} and {Release.Display(page)}");
        return new GradeResult(list, outDir, csv, page, BatchRunner.ExitOk);
    }

    static string NotebookRunnerFormat(TimeSpan t) => Execution.NotebookRunner.FormatDuration(t <= TimeSpan.Zero ? System.Threading.Timeout.InfiniteTimeSpan : t);

    sealed record Context(GradeOptions Options, string SolutionsDir, string Session, IReadOnlyList<string> Hidden, IReadOnlyList<string> Excluded)
    {
        public string Root => Path.GetDirectoryName(SolutionsDir) ?? SolutionsDir;
    }

    sealed record Job(string File, string Student, SolutionNotebook? Solution);

    sealed record Found(string File, string? Student, string Fallback);

    /// <summary>
    /// Submitted notebooks: files as given, folders searched recursively (hidden folders such as .ipynb_checkpoints and
    /// the output folder skipped). The student is the first folder below the given folder (<c>submitted/alice/…</c>), else
    /// what is left of the file name once the notebook's name is removed (<c>alice_03-…ipynb</c>), else the folder's name.
    /// </summary>
    static List<Found> FindSubmissions(IEnumerable<string> inputs, string outDir, out List<string> missing)
    {
        missing = new List<string>();
        var list = new List<Found>();
        foreach (var input in inputs)
        {
            var full = Path.GetFullPath(input).TrimEnd(Path.DirectorySeparatorChar);
            if (Directory.Exists(full))
            {
                var files = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true });
                foreach (var file in files.Where(NotebookFile.IsNotebookPath).Order(StringComparer.Ordinal))
                {
                    if (IsInside(file, outDir)) continue;
                    var segments = Path.GetRelativePath(full, file).Split(Path.DirectorySeparatorChar);
                    if (segments.Any(s => s.StartsWith('.'))) continue;
                    list.Add(new Found(Path.GetFullPath(file), segments.Length > 1 ? segments[0] : null, Path.GetFileName(full)));
                }
            }
            else if (File.Exists(full))
            {
                list.Add(new Found(full, null, Path.GetFileName(Path.GetDirectoryName(full)) ?? "student"));
            }
            else
            {
                missing.Add(input);
            }
        }
        return list.DistinctBy(f => f.File, StringComparer.Ordinal).ToList();
    }

    static Job Match(Found found, List<SolutionNotebook> solutions)
    {
        var stem = Path.GetFileNameWithoutExtension(found.File);
        var solution = solutions.FirstOrDefault(s => s.Stem.Equals(stem, StringComparison.OrdinalIgnoreCase))
                       ?? solutions.Where(s => stem.Contains(s.Stem, StringComparison.OrdinalIgnoreCase)).MaxBy(s => s.Stem.Length);
        var student = found.Student;
        if (student is null && solution is not null)
        {
            var at = stem.IndexOf(solution.Stem, StringComparison.OrdinalIgnoreCase);
            var rest = (stem[..at] + " " + stem[(at + solution.Stem.Length)..]).Trim(' ', '_', '-', '.');
            if (rest.Length > 0) student = rest;
        }
        return new Job(found.File, student ?? found.Fallback, solution);
    }

    static async Task<(GradeRow Row, string? Feedback)> GradeOneAsync(Context context, Job job, int index, CancellationToken cancellationToken)
    {
        var solution = job.Solution;
        var row = new GradeRow
        {
            Student = job.Student,
            Notebook = solution?.Stem ?? Path.GetFileNameWithoutExtension(job.File),
            Submission = job.File,
            Exercises = solution?.Exercises ?? [],
            MaxScore = solution?.MaxPoints ?? 0,
        };
        var failed = (solution?.Checks ?? []).Select(c => new CheckOutcome(c.Id, c.Points, c.CellNumber, CheckOutcome.ErrorText, "the notebook did not run")).ToList();
        if (solution is null)
        {
            row.Status = GradeRow.NoSolution;
            row.Reason = $"no notebook in {Release.Display(context.SolutionsDir)} matches the file name {Path.GetFileName(job.File)}";
            return (row, null);
        }
        Notebook notebook;
        try
        {
            notebook = NotebookFile.Load(job.File);
        }
        catch (NotebookFormatException e)
        {
            row.Status = GradeRow.Malformed;
            row.Reason = e.Problem;
            row.Checks = failed.Select(c => c with { Detail = "the notebook could not be read" }).ToList();
            return (row, null);
        }
        var impostors = notebook.Cells.RemoveAll(Conventions.LooksLikeHiddenCheck);
        if (impostors > 0) row.Notes.Add($"{impostors} cell{(impostors == 1 ? "" : "s")} marked '// hidden check' in the submission were ignored (only the instructor's checks count)");

        var work = Path.Combine(context.Session, index.ToString("D4", CultureInfo.InvariantCulture));
        var links = new List<string>();
        try
        {
            var notebookPath = Layout(context, work, solution, notebook, job.File, links);
            var grading = Path.Combine(work, GradeFolder);
            Directory.CreateDirectory(grading);
            Directory.CreateDirectory(Path.Combine(work, "tmp"));
            Directory.CreateDirectory(Path.Combine(work, "home"));
            var checksFile = Path.Combine(grading, "checks.json");
            File.WriteAllText(checksFile, JsonSerializer.Serialize(
                solution.Checks.Select(c => new CheckSpec(c.Id, c.Points, c.Code, c.CellNumber)).ToList(), SubmissionResult.Json));
            var hideFile = Path.Combine(grading, "hide.txt");
            File.WriteAllText(hideFile, string.Join("\n", context.Hidden) + "\n");

            var command = new List<string>();
            command.AddRange(RunnerCommand());
            command.AddRange(["grade-submission", notebookPath, "--checks", checksFile, "--result", Path.Combine(grading, "result.json"),
                "--report", Path.Combine(grading, "feedback.html"), "--plotly-src", "../../" + PlotlyAsset.FileName,
                "--cell-timeout", Seconds(context.Options.CellTimeout)]);
            foreach (var (k, v) in context.Options.Parameters) command.AddRange(["--param", $"{k}={v}"]);

            var psi = new ProcessStartInfo
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = work,
            };
            MinimalEnvironment(psi, work);
            // submissions graded side by side share the cores among their kernels' OpenMP threads (as `run --parallel` does)
            foreach (var (k, v) in BatchRunner.KernelEnvironment(context.Options.Parallel)) psi.Environment[k] = v;
            if (context.Options.Sandbox)
            {
                Sandbox.Wrap(psi, work, context.Session, hideFile, command);
            }
            else
            {
                psi.FileName = command[0];
                foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
            }

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("the submission's process did not start");
            process.StandardInput.Close();
            var stdout = TailAsync(process.StandardOutput);
            var stderr = TailAsync(process.StandardError);
            var killed = false;
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (context.Options.Timeout > TimeSpan.Zero) limit.CancelAfter(context.Options.Timeout);
                try
                {
                    await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    killed = true;
                    try
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                    }
                    await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
                }
            }
            row.Duration = clock.Elapsed;
            var errText = await WithinAsync(stderr, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await WithinAsync(stdout, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            var resultText = killed ? null : ReadOwnFile(work, GradeFolder, "result.json", 4 << 20);
            var result = resultText is null ? null : SubmissionResult.TryParse(resultText);
            if (killed)
            {
                row.Status = GradeRow.Killed;
                row.Reason = $"stopped after {NotebookRunnerFormat(context.Options.Timeout)}, the time limit for one submission (--timeout): " +
                             "the process and everything it started were killed; nothing was graded";
                row.Checks = failed.Select(c => c with { Detail = "the submission was stopped at the time limit" }).ToList();
                return (row, null);
            }
            if (result is null)
            {
                var lastError = LastLines(errText);
                var setup = context.Options.Sandbox && process.ExitCode is >= Sandbox.FirstSetupExitCode and <= Sandbox.LastSetupExitCode &&
                            errText.Contains(Sandbox.MessagePrefix, StringComparison.Ordinal);
                row.Status = setup ? GradeRow.SandboxError : GradeRow.Crashed;
                row.Reason = setup
                    ? $"the sandbox could not be set up, so the submission was not run: {lastError}"
                    : $"the process ended (exit code {process.ExitCode}) before reporting a result" + (lastError.Length > 0 ? $": {lastError}" : "");
                row.Checks = failed.Select(c => c with { Detail = "the notebook's process crashed" }).ToList();
                return (row, null);
            }
            row.Checks = result.Checks;
            // a check the submission's process did not report counts as an error
            foreach (var c in solution.Checks.Skip(result.Checks.Count))
                row.Checks.Add(new CheckOutcome(c.Id, c.Points, c.CellNumber, CheckOutcome.ErrorText, "not reported"));
            switch (result.Status)
            {
                case "malformed":
                    row.Status = GradeRow.Malformed;
                    row.Reason = result.Problem;
                    break;
                case "succeeded":
                    row.Status = GradeRow.Graded;
                    break;
                case "timed-out" or "cancelled":
                    row.Status = GradeRow.TimedOut;
                    var last = result.Errors.LastOrDefault();
                    row.Reason = (last?.Summary ?? "a cell timed out") +
                                 (result.CellsNotRun > 0 ? $"; {result.CellsNotRun} later code cell{(result.CellsNotRun == 1 ? " was" : "s were")} not run" : "") +
                                 "; the checks ran against the state before that cell" +
                                 (result.Errors.Count > 1 ? $" (and {result.Errors.Count - 1} cell{(result.Errors.Count == 2 ? "" : "s")} failed before it; first: {result.Errors[0].Summary})" : "");
                    break;
                default:
                    row.Status = GradeRow.Errors;
                    row.Reason = $"{result.Errors.Count} cell{(result.Errors.Count == 1 ? "" : "s")} failed " +
                                 (result.CellsNotRun > 0
                                     ? $"({result.CellsNotRun} later code cell{(result.CellsNotRun == 1 ? " was" : "s were")} not run: the kernel died; the checks ran against the state before that cell)"
                                     : "(the later cells still ran)") +
                                 "; first: " + (result.Errors.FirstOrDefault()?.Summary ?? "unknown");
                    break;
            }
            var feedback = ReadOwnFile(work, GradeFolder, "feedback.html", 64 << 20);
            return (row, feedback);
        }
        finally
        {
            foreach (var link in links) TryDeleteLink(link);
            TryDeleteTree(work);
        }
    }

    /// <summary>
    /// The submission's folder mirrors the project around the solutions folder: <c>W/&lt;solutions folder name&gt;/&lt;notebook&gt;</c>,
    /// with every other entry of the solutions folder's parent (and the non-notebook files next to the solutions) linked in, so
    /// that <c>#r "../lib/bin/…"</c> and data found by walking up resolve as they do for the instructor. Hidden entries
    /// (.git …), the submissions and the output folder are not linked.
    /// </summary>
    static string Layout(Context context, string work, SolutionNotebook solution, Notebook notebook, string submitted, List<string> links)
    {
        var solutionsName = Path.GetFileName(context.SolutionsDir);
        var folder = Path.Combine(work, solutionsName);
        Directory.CreateDirectory(folder);
        bool Skip(string entry) =>
            Path.GetFileName(entry).StartsWith('.') ||
            context.Excluded.Any(x => IsInside(x, entry) || IsInside(entry, x));
        if (!string.Equals(context.Root, context.SolutionsDir, StringComparison.Ordinal))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(context.Root))
            {
                var full = Path.GetFullPath(entry);
                if (string.Equals(full, context.SolutionsDir, StringComparison.Ordinal) || Skip(full)) continue;
                links.Add(Link(Path.Combine(work, Path.GetFileName(full)), full));
            }
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(context.SolutionsDir))
        {
            var full = Path.GetFullPath(entry);
            if (NotebookFile.IsNotebookPath(full) || Skip(full)) continue;
            links.Add(Link(Path.Combine(folder, Path.GetFileName(full)), full));
        }
        var name = solution.Stem + Path.GetExtension(submitted).ToLowerInvariant();
        var path = Path.Combine(folder, name);
        notebook.Path = path;
        NotebookFile.Save(notebook, path);
        return path;
    }

    static string Link(string at, string target)
    {
        if (Directory.Exists(target)) Directory.CreateSymbolicLink(at, target);
        else File.CreateSymbolicLink(at, target);
        return at;
    }

    static bool IsInside(string path, string folder) =>
        string.Equals(path, folder, StringComparison.Ordinal) ||
        path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>How to start this runner: the dotnet host with this assembly (as the tests and <c>dotnet run</c> do).</summary>
    static List<string> RunnerCommand()
    {
        var dll = typeof(Grader).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? p
            : Sandbox.FindOnPath(OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        if (host is not null) return [host, dll];
        // no dotnet host on PATH: this process is the runner's own executable
        return Environment.ProcessPath is { } self ? [self] : ["dotnet", dll];
    }

    static readonly string[] KeptEnvironment = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_HOST_PATH",
        "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT"];

    /// <summary>The child gets a small environment (no tokens or secrets of the grader's), with HOME and TMPDIR in its folder.</summary>
    static void MinimalEnvironment(ProcessStartInfo psi, string work)
    {
        var keep = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var key = (string)e.Key;
            if (KeptEnvironment.Contains(key) || key.StartsWith("AENOTEBOOKS_", StringComparison.Ordinal)) keep[key] = (string?)e.Value ?? "";
        }
        psi.Environment.Clear();
        foreach (var (k, v) in keep) psi.Environment[k] = v;
        psi.Environment["HOME"] = Path.Combine(work, "home");
        psi.Environment["TMPDIR"] = Path.Combine(work, "tmp");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_EnableDiagnostics"] = "0";
        // a short-lived process gains nothing from profile-guided recompilation (≈ 12% less CPU per submission)
        psi.Environment["DOTNET_TieredPGO"] = "0";
    }

    static string Seconds(TimeSpan t) => (t <= TimeSpan.Zero ? 0 : t.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Reads a file the submission's process wrote, refusing links (at any level below its folder), special files and oversized ones.</summary>
    static string? ReadOwnFile(string work, string folder, string name, long maxBytes)
    {
        try
        {
            var dir = new DirectoryInfo(Path.Combine(work, folder));
            if (!dir.Exists || dir.LinkTarget is not null) return null;
            var file = new FileInfo(Path.Combine(dir.FullName, name));
            if (!file.Exists || file.LinkTarget is not null || file.Length == 0 || file.Length > maxBytes) return null;
            if ((file.Attributes & (FileAttributes.Directory | FileAttributes.Device | FileAttributes.ReparsePoint)) != 0) return null;
            using var stream = new FileStream(file.FullName, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.None });
            if (!stream.CanSeek || stream.Length > maxBytes) return null;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    static async Task<string> TailAsync(StreamReader reader, int keep = 16 * 1024)
    {
        var sb = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            sb.Append(buffer, 0, n);
            if (sb.Length > 2 * keep) sb.Remove(0, sb.Length - keep);
        }
        return sb.Length > keep ? sb.ToString(sb.Length - keep, keep) : sb.ToString();
    }

    static async Task<string> WithinAsync(Task<string> task, TimeSpan limit)
    {
        try
        {
            return await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "";
        }
    }

    /// <summary>The first and the last line of what the process wrote to stderr (the runtime's "Stack overflow." comes first).</summary>
    static string LastLines(string text)
    {
        var lines = text.Replace("\r", "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var joined = lines.Count switch
        {
            0 => "",
            1 => lines[0],
            2 => lines[0] + " | " + lines[1],
            _ => lines[0] + " | … | " + lines[^1],
        };
        return joined.Length > 400 ? joined[..400] + "…" : joined;
    }

    internal static string SafeName(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name) sb.Append(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        var s = sb.ToString().Trim('.');
        return s.Length == 0 ? "_" : s.Length > 80 ? s[..80] : s;
    }

    static void TryDeleteLink(string link)
    {
        try
        {
            var info = new FileInfo(link);
            if (info.LinkTarget is not null) File.Delete(link);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Deletes a folder tree without following links (a link inside is removed, not what it points to).</summary>
    static void TryDeleteTree(string folder)
    {
        try
        {
            var dir = new DirectoryInfo(folder);
            if (!dir.Exists) return;
            if (dir.LinkTarget is not null)
            {
                dir.Delete();
                return;
            }
            foreach (var entry in dir.EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null || entry is FileInfo) entry.Delete();
                else TryDeleteTree(entry.FullName);
            }
            dir.Delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    static void Print(TextWriter log, GradeRow row)
    {
        var word = row.Status switch
        {
            GradeRow.Graded => "GRADED",
            GradeRow.Errors => "GRADED",
            GradeRow.TimedOut => "TIMEOUT",
            GradeRow.Killed => "KILLED",
            GradeRow.Crashed => "CRASHED",
            GradeRow.Malformed => "ERROR",
            GradeRow.NoSolution => "ERROR",
            _ => "ERROR",
        };
        var line = $"{word,-8} {row.Student}  {row.Notebook}  {SubmissionProcess.Points(row.Score)}/{SubmissionProcess.Points(row.MaxScore)}";
        if (row.Duration > TimeSpan.Zero) line += "  " + HtmlReport.FormatDuration(row.Duration);
        if (row.Reason is not null) line += "  " + row.Reason;
        log.WriteLine(line);
        foreach (var note in row.Notes) log.WriteLine("         note: " + note);
    }
}
