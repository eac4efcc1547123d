using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Kernel;
using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace AeNotebooks.Runner.Execution;

public sealed class RunnerOptions
{
    /// <summary>How long one cell may run. Zero or negative: no limit. Default 10 minutes.</summary>
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Values that replace the variables declared in the notebook's parameters cell.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Run each notebook's kernel in the notebook's own folder (as VS Code does), so relative #r paths resolve there.</summary>
    public bool UseNotebookFolderAsWorkingDirectory { get; init; } = true;

    /// <summary>
    /// Keep running the later cells after a cell fails (a compile error or an exception), as Jupyter's
    /// <c>allow_errors</c> does; the run's status and <see cref="NotebookRun.FailedCell"/> still name the first failure.
    /// A timed-out cell or a dead kernel still stops the notebook. Default false: the notebook stops at the first failure.
    /// </summary>
    public bool ContinueAfterErrors { get; init; }

    /// <summary>Keep the kernel process after the run, for <see cref="NotebookRun.EvaluateAsync"/>; dispose the run to stop it.</summary>
    public bool KeepKernel { get; init; }

    /// <summary>Caps each kernel's managed heap (bytes); null: the machine's memory.</summary>
    public long? KernelMemoryLimit { get; init; }

    /// <summary>Variables set in each kernel process's environment, over the runner's own.</summary>
    public IReadOnlyDictionary<string, string> KernelEnvironment { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Runs a notebook's cells, one after the other, in a kernel process of its own that hosts the real .NET Interactive C#
/// kernel, set up as Polyglot Notebooks sets it up (<see cref="PolyglotKernel"/>). The executed notebook gets every
/// output the kernel produced, execution counts and timings; a cell that times out or kills its kernel ends the run
/// with an error on that cell, its outputs up to then kept and the later cells marked not run.
/// </summary>
public sealed partial class NotebookRunner
{
    public static string Version { get; } =
        typeof(NotebookRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    readonly RunnerOptions _options;

    public NotebookRunner(RunnerOptions? options = null) => _options = options ?? new RunnerOptions();

    public RunnerOptions Options => _options;

    /// <summary>Loads and runs a notebook. A missing or malformed file throws <see cref="NotebookFormatException"/>.</summary>
    public Task<NotebookRun> RunAsync(string path, CancellationToken cancellationToken = default) =>
        RunAsync(NotebookFile.Load(path), cancellationToken);

    /// <summary>Runs a copy of <paramref name="source"/>; the executed copy is <see cref="NotebookRun.Notebook"/>.</summary>
    public async Task<NotebookRun> RunAsync(Notebook source, CancellationToken cancellationToken = default)
    {
        var nb = source.Clone();
        var folder = nb.Path is not null && _options.UseNotebookFolderAsWorkingDirectory
            ? Path.GetDirectoryName(Path.GetFullPath(nb.Path))!
            : Environment.CurrentDirectory;
        var run = new NotebookRun(nb) { StartedAt = DateTimeOffset.Now };
        var clock = Stopwatch.StartNew();

        ParameterException? parameterError = null;
        ParameterInjection? injection = null;
        try
        {
            injection = ParameterInjector.Apply(nb, _options.Parameters);
            if (injection is not null)
            {
                run.AppliedParameters = injection.Applied;
                foreach (var name in injection.Unknown)
                {
                    run.Notes.Add(injection.ParametersCell < 0
                        ? $"--param {name} ignored: no cell is tagged 'parameters'"
                        : $"--param {name} ignored: cell {injection.ParametersCell + 1} (parameters) declares no variable '{name}'");
                }
            }
        }
        catch (ParameterException e)
        {
            parameterError = e;
        }
        for (var i = 0; i < nb.Cells.Count; i++) run.Cells.Add(new CellRun(nb.Cells[i], i + 1));

        KernelProcess? kernel = null;
        string? startError = null;
        var kernelClock = Stopwatch.StartNew();
        try
        {
            kernel = await KernelProcess.StartAsync(folder, new KernelProcessOptions { MemoryLimitBytes = _options.KernelMemoryLimit, Environment = _options.KernelEnvironment }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (KernelStartException e)
        {
            startError = e.Message;
        }
        run.KernelStartup = kernelClock.Elapsed;

        var displays = new Dictionary<string, CellOutput>(StringComparer.Ordinal);
        var executionCount = 0;
        var stopped = false;
        foreach (var cellRun in run.Cells)
        {
            var cell = cellRun.Cell;
            if (!cell.IsCode)
            {
                cellRun.Status = CellRunStatus.Skipped;
                continue;
            }
            if (stopped)
            {
                MarkNotRun(cellRun);
                continue;
            }

            if (parameterError is not null && cellRun.Number - 1 == parameterError.CellIndex)
            {
                cell.ExecutionCount = ++executionCount;
                Fail(cellRun, new CellError(cellRun.Number, parameterError.Line, "ParameterError", parameterError.Message, []), DateTimeOffset.Now, TimeSpan.Zero, []);
            }
            else if (kernel is null)
            {
                cell.ExecutionCount = ++executionCount;
                Fail(cellRun, new CellError(cellRun.Number, null, "KernelError", startError ?? "no kernel", []), DateTimeOffset.Now, TimeSpan.Zero, []);
            }
            else
            {
                cell.ExecutionCount = ++executionCount;
                await RunCellAsync(kernel, cellRun, displays, cancellationToken).ConfigureAwait(false);
            }

            if (cellRun.Status is CellRunStatus.Failed or CellRunStatus.TimedOut or CellRunStatus.Cancelled)
            {
                var fatal = cellRun.Status != CellRunStatus.Failed || kernel is null || kernel.HasExited;
                stopped = fatal || !_options.ContinueAfterErrors;
                if (run.Status == NotebookRunStatus.Succeeded || stopped)
                {
                    run.Status = cellRun.Status switch
                    {
                        CellRunStatus.TimedOut => NotebookRunStatus.TimedOut,
                        CellRunStatus.Cancelled => NotebookRunStatus.Cancelled,
                        _ => NotebookRunStatus.Failed,
                    };
                }
            }
        }

        if (kernel is not null && !kernel.HasExited)
        {
            await run.SnapshotVariablesAsync(kernel, cancellationToken).ConfigureAwait(false);
        }
        if (kernel is not null && _options.KeepKernel && !kernel.HasExited)
        {
            run.AttachKernel(kernel, _options.CellTimeout);
        }
        else if (kernel is not null)
        {
            await kernel.DisposeAsync().ConfigureAwait(false);
        }

        run.Duration = clock.Elapsed;
        var meta = new JsonObject { ["durationMs"] = Ms(run.Duration), ["kernelStartMs"] = Ms(run.KernelStartup) };
        if (run.FailedCell is { } failed) meta["failedCell"] = failed.Number;
        if (run.AppliedParameters.Count > 0)
        {
            var p = new JsonObject();
            foreach (var (k, v) in run.AppliedParameters.OrderBy(p => p.Key, StringComparer.Ordinal)) p[k] = v;
            meta["parameters"] = p;
        }
        meta["runner"] = "AeNotebooks.Runner " + Version;
        meta["startTime"] = run.StartedAt.ToString("o", CultureInfo.InvariantCulture);
        meta["status"] = StatusText(run.Status);
        nb.RunMetadata = meta;
        return run;
    }

    static void MarkNotRun(CellRun cellRun)
    {
        var cell = cellRun.Cell;
        cell.Outputs.Clear();
        cell.ExecutionCount = null;
        cell.OutputsChanged = true;
        cell.RunMetadata = new JsonObject { ["status"] = "not-run" };
        cellRun.Status = CellRunStatus.NotRun;
    }

    async Task RunCellAsync(KernelProcess kernel, CellRun cellRun, Dictionary<string, CellOutput> displays, CancellationToken cancellationToken)
    {
        var number = cellRun.Number;
        var started = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var outputs = new CellOutputs(displays);
        var count = cellRun.Cell.ExecutionCount ?? 0;
        var command = new SubmitCode(cellRun.Cell.Source, TargetKernel(cellRun.Cell));
        var result = await kernel.SendAsync(command, _options.CellTimeout, e => outputs.Add(e, count), cancellationToken).ConfigureAwait(false);
        var elapsed = clock.Elapsed;

        var (status, error) = Judge(result, outputs, number);
        if (error is not null)
        {
            outputs.AddError(error.Kind, error.Summary, error.Details.Count > 0 ? error.Details : [error.Summary]);
            Finish(cellRun, status, started, elapsed, outputs.Outputs);
            cellRun.Error = error;
        }
        else
        {
            Finish(cellRun, status, started, elapsed, outputs.Outputs);
        }
    }

    /// <summary>csharp unless the cell names another kernel the composite kernel has (it then fails with the kernel's own message).</summary>
    static string TargetKernel(NotebookCell cell) => string.IsNullOrEmpty(cell.Language) || cell.Language is "C#" or "c#" ? "csharp" : cell.Language;

    internal static (CellRunStatus, CellError?) Judge(CommandResult result, CellOutputs outputs, int number)
    {
        switch (result.Outcome)
        {
            case CommandOutcome.Succeeded:
                return (CellRunStatus.Succeeded, null);
            case CommandOutcome.TimedOut:
                return (CellRunStatus.TimedOut, new CellError(number, null, "Timeout", result.Message!, []));
            case CommandOutcome.Cancelled:
                return (CellRunStatus.Cancelled, new CellError(number, null, "Cancelled", result.Message!, []));
            case CommandOutcome.KernelDied:
                return (CellRunStatus.Failed, new CellError(number, null, "KernelDied", result.Message!, []));
        }
        return (CellRunStatus.Failed, FailureError(result.Message ?? "the cell failed", outputs, number));
    }

    [GeneratedRegex(@"^(?<type>[A-Za-z_][\w.`+]*(?:Exception|Error))(?::\s*(?<message>.*))?$")]
    private static partial Regex ExceptionHeader();

    [GeneratedRegex(@"^\((?<line>\d+),(?<col>\d+)\):\s*error\s+(?<code>\w+):\s*(?<message>.*)$")]
    private static partial Regex CompileErrorLine();

    /// <summary>A failed command as a CellError: compile errors with their line, exceptions with their type, and the kernel's message.</summary>
    static CellError FailureError(string message, CellOutputs outputs, int number)
    {
        var lines = message.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        if (outputs.CompileErrors.Count > 0 || lines.Count > 0 && CompileErrorLine().IsMatch(lines[0]))
        {
            var errors = outputs.CompileErrors.Count > 0
                ? outputs.CompileErrors
                : lines.Select(l => CompileErrorLine().Match(l)).Where(m => m.Success)
                    .Select(m => new CompileError(int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture),
                                  int.Parse(m.Groups["col"].Value, CultureInfo.InvariantCulture), $"{m.Groups["code"].Value}: {m.Groups["message"].Value}")).ToList();
            var first = errors[0];
            var more = errors.Count > 1 ? $" (and {errors.Count - 1} more error{(errors.Count > 2 ? "s" : "")})" : "";
            return new CellError(number, first.Line, "CompilationError", $"error {first.Text}{more}",
                errors.Select(e => $"({e.Line},{e.Column}): error {e.Text}").ToList());
        }
        var header = lines.Count > 0 ? ExceptionHeader().Match(lines[0]) : Match.Empty;
        if (header.Success)
        {
            var type = header.Groups["type"].Value;
            var text = header.Groups["message"].Value;
            return new CellError(number, LineOf(lines), type, $"{type}: {text}", lines);
        }
        // a directive or a package the kernel could not resolve: its own words (ErrorProduced carries the detail), without
        // the path of the restore project the kernel generated ("/root/.packagemanagement/…/Project.fsproj : error NU1101: …")
        lines = lines.Select(l => RestoreProjectPrefix().Replace(l, "")).ToList();
        var detail = outputs.Errors.Where(e => !string.IsNullOrWhiteSpace(e) && !message.Contains(e.Trim(), StringComparison.Ordinal)).ToList();
        var all = lines.Concat(detail).ToList();
        return new CellError(number, null, "KernelError", all.Count > 0 ? string.Join(" ", all.Take(3)) : message, all);
    }

    [GeneratedRegex(@"^\S*\.fsproj : (?=error )")]
    private static partial Regex RestoreProjectPrefix();

    [GeneratedRegex(@"Submission#\d+.*:line (\d+)")]
    private static partial Regex SubmissionLine();

    static int? LineOf(IEnumerable<string> trace)
    {
        foreach (var l in trace)
        {
            var m = SubmissionLine().Match(l);
            if (m.Success) return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }

    internal static string StatusText(NotebookRunStatus s) => s switch
    {
        NotebookRunStatus.Succeeded => "succeeded",
        NotebookRunStatus.TimedOut => "timed-out",
        NotebookRunStatus.Cancelled => "cancelled",
        _ => "failed",
    };

    static string CellStatusText(CellRunStatus s) => s switch
    {
        CellRunStatus.Succeeded => "ok",
        CellRunStatus.Failed => "error",
        CellRunStatus.TimedOut => "timed-out",
        CellRunStatus.Cancelled => "cancelled",
        CellRunStatus.Skipped => "skipped",
        _ => "not-run",
    };

    static JsonNode Ms(TimeSpan t) => JsonValue.Create(Math.Round(t.TotalMilliseconds, 1));

    static void Finish(CellRun cellRun, CellRunStatus status, DateTimeOffset started, TimeSpan duration, IReadOnlyList<CellOutput> outputs)
    {
        var cell = cellRun.Cell;
        cellRun.Status = status;
        cellRun.StartedAt = started;
        cellRun.Duration = duration;
        cell.Outputs.Clear();
        cell.Outputs.AddRange(outputs);
        cell.OutputsChanged = true;
        var injected = cell.Tags.Contains(ParameterInjector.InjectedTag) ? cell.RunMetadata?["injectedParameters"]?.DeepClone() : null;
        cell.RunMetadata = new JsonObject
        {
            ["durationMs"] = Ms(duration),
            ["startTime"] = started.ToString("o", CultureInfo.InvariantCulture),
            ["status"] = CellStatusText(status),
        };
        if (injected is not null) cell.RunMetadata["injectedParameters"] = injected;
    }

    static void Fail(CellRun cellRun, CellError error, DateTimeOffset started, TimeSpan duration, IReadOnlyList<CellOutput> outputs)
    {
        var all = outputs.ToList();
        all.Add(CellOutput.ErrorOutput(error.Kind, error.Summary, error.Details.Count > 0 ? error.Details : [error.Summary]));
        Finish(cellRun, CellRunStatus.Failed, started, duration, all);
        cellRun.Error = error;
    }

    public static string FormatDuration(TimeSpan t)
    {
        if (t == Timeout.InfiniteTimeSpan || t <= TimeSpan.Zero) return "no limit";
        if (t.TotalSeconds < 1) return $"{t.TotalMilliseconds:0} ms";
        if (t.TotalMinutes < 1) return $"{t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
        if (t.TotalHours < 1) return t.Seconds == 0 ? $"{(int)t.TotalMinutes} min" : $"{(int)t.TotalMinutes} min {t.Seconds} s";
        return t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
    }
}
