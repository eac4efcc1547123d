using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.Scripting.Hosting;

namespace AeNotebooks.Runner.Execution;

public sealed class RunnerOptions
{
    /// <summary>How long one cell may run (compile included). Zero or negative: no limit. Default 10 minutes.</summary>
    public TimeSpan CellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Values that replace the variables declared in the notebook's parameters cell.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Run each notebook with its own folder as the working directory (as .NET Interactive does).</summary>
    public bool UseNotebookFolderAsWorkingDirectory { get; init; } = true;

    /// <summary>
    /// Keep running the later cells after a cell fails (a compile error or an exception), as Jupyter's
    /// <c>allow_errors</c> does; the run's status and <see cref="NotebookRun.FailedCell"/> still name the first failure.
    /// A timed-out or cancelled cell still stops the notebook. Default false: the notebook stops at the first failure.
    /// </summary>
    public bool ContinueAfterErrors { get; init; }
}

/// <summary>
/// Runs the C# cells of a notebook as chained Roslyn script submissions sharing state, with the .NET
/// Interactive C# kernel's default usings, globals (<c>display</c>, <c>HTML</c>) and magics, and fills in the
/// outputs. Each cell runs on a thread of its own so that a cell past its timeout can be abandoned.
/// </summary>
public sealed partial class NotebookRunner
{
    /// <summary>The C# kernel's default usings, plus the namespace of <c>value.Display()</c>.</summary>
    public static readonly ImmutableArray<string> DefaultImports =
    [
        "System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq",
        "AeNotebooks.Runner.Scripting",
    ];

    public static string Version { get; } =
        typeof(NotebookRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    readonly RunnerOptions _options;

    public NotebookRunner(RunnerOptions? options = null)
    {
        _options = options ?? new RunnerOptions();
        RoutingWriter.Install();
    }

    public RunnerOptions Options => _options;

    /// <summary>Loads and runs a notebook. A missing or malformed file throws <see cref="NotebookFormatException"/>.</summary>
    public Task<NotebookRun> RunAsync(string path, CancellationToken cancellationToken = default) =>
        RunAsync(NotebookFile.Load(path), cancellationToken);

    /// <summary>Runs a copy of <paramref name="source"/>; the executed copy is <see cref="NotebookRun.Notebook"/>.</summary>
    public async Task<NotebookRun> RunAsync(Notebook source, CancellationToken cancellationToken = default)
    {
        var nb = source.Clone();
        var folder = nb.Path is not null ? Path.GetDirectoryName(Path.GetFullPath(nb.Path))! : Environment.CurrentDirectory;
        using var lease = _options.UseNotebookFolderAsWorkingDirectory
            ? await WorkingDirectory.AcquireAsync(folder, cancellationToken).ConfigureAwait(false)
            : null;

        var session = new Session(folder);
        var run = new NotebookRun(nb, session.Variables) { StartedAt = DateTimeOffset.Now };
        run.Evaluator = (code, timeout, token) => EvaluateAsync(session, folder, nb, code, timeout, token);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < nb.Cells.Count; i++) run.Cells.Add(new CellRun(nb.Cells[i], i + 1));

        // parameters
        int? parametersCell = null;
        ParameterException? parameterError = null;
        try
        {
            var injection = ParameterInjector.Apply(nb, _options.Parameters, out parametersCell);
            if (injection is not null)
            {
                run.AppliedParameters = injection.Applied;
                foreach (var name in injection.Unknown)
                {
                    run.Notes.Add(injection.CellIndex < 0
                        ? $"--param {name} ignored: no cell is tagged 'parameters'"
                        : $"--param {name} ignored: cell {injection.CellIndex + 1} (parameters) declares no variable '{name}'");
                }
            }
        }
        catch (ParameterException e)
        {
            parameterError = e;
        }

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
                cell.Outputs.Clear();
                cell.ExecutionCount = null;
                cell.OutputsChanged = true;
                cell.RunMetadata = new JsonObject { ["status"] = "not-run" };
                cellRun.Status = CellRunStatus.NotRun;
                continue;
            }

            if (parameterError is not null && parametersCell == cellRun.Number - 1)
            {
                Fail(cellRun, new CellError(cellRun.Number, parameterError.Line, "ParameterError", parameterError.Message, []), DateTimeOffset.Now, TimeSpan.Zero, []);
            }
            else
            {
                await RunCellAsync(session, nb, cellRun, executionCount + 1, cancellationToken).ConfigureAwait(false);
                if (cellRun.Status != CellRunStatus.Skipped) executionCount++;
            }
            if (parametersCell == cellRun.Number - 1 && run.AppliedParameters.Count > 0)
            {
                var injected = new JsonObject();
                foreach (var (k, v) in run.AppliedParameters.OrderBy(p => p.Key, StringComparer.Ordinal)) injected[k] = v;
                cell.RunMetadata ??= new JsonObject();
                cell.RunMetadata["injectedParameters"] = injected;
            }
            if (cellRun.Status is CellRunStatus.Failed or CellRunStatus.TimedOut or CellRunStatus.Cancelled)
            {
                stopped = !(_options.ContinueAfterErrors && cellRun.Status == CellRunStatus.Failed);
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

        run.Duration = clock.Elapsed;
        var meta = new JsonObject { ["durationMs"] = Ms(run.Duration) };
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
        cell.RunMetadata = new JsonObject
        {
            ["durationMs"] = Ms(duration),
            ["startTime"] = started.ToString("o", CultureInfo.InvariantCulture),
            ["status"] = CellStatusText(status),
        };
    }

    static void Fail(CellRun cellRun, CellError error, DateTimeOffset started, TimeSpan duration, IReadOnlyList<CellOutput> outputs, CellRunStatus status = CellRunStatus.Failed)
    {
        var all = outputs.ToList();
        all.Add(CellOutput.ErrorOutput(error.Kind, error.Summary, error.Details.Count > 0 ? error.Details : [error.Summary]));
        Finish(cellRun, status, started, duration, all);
        cellRun.Error = error;
    }

    async Task RunCellAsync(Session session, Notebook nb, CellRun cellRun, int executionCount, CancellationToken cancellationToken)
    {
        var cell = cellRun.Cell;
        var number = cellRun.Number;
        var started = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var sink = new OutputSink();

        PreparedCell prepared;
        try
        {
            prepared = CellPreprocessor.Prepare(cell.Source, cell.Language);
            if (prepared.IsMarkdown)
            {
                cellRun.Status = CellRunStatus.Skipped;
                return;
            }
            cell.ExecutionCount = executionCount;
            session.Resolve(prepared.Directives, sink);
        }
        catch (MagicCommandException e)
        {
            cell.ExecutionCount = executionCount;
            Fail(cellRun, new CellError(number, e.Line, e.Kind, e.Message, []), started, clock.Elapsed, sink.Snapshot());
            return;
        }

        var result = await ExecuteOnThreadAsync(session, prepared.Code, number, executionCount, sink, commit: true, _options.CellTimeout,
            $"{nb.Name} cell {number}", cancellationToken).ConfigureAwait(false);

        var elapsed = clock.Elapsed;
        var outputs = sink.Snapshot().ToList();
        if (prepared.Time && result.Status is CellRunStatus.Succeeded or CellRunStatus.Failed)
        {
            outputs.Add(CellOutput.Display([new("text/plain", $"Wall time: {elapsed.TotalMilliseconds.ToString("0.####", CultureInfo.InvariantCulture)}ms")]));
        }
        if (result.Error is { } error) Fail(cellRun, error, started, elapsed, outputs, result.Status);
        else Finish(cellRun, result.Status, started, elapsed, outputs);
    }

    /// <summary>
    /// Runs code in a session on a thread of its own, with a timeout counted from the end of compilation. Past the
    /// timeout the token is cancelled, the sink closed and the thread abandoned (Roslyn cannot abort running code); the
    /// session then ignores whatever state that thread produces, should it ever finish.
    /// </summary>
    static async Task<ExecutionResult> ExecuteOnThreadAsync(Session session, string code, int number, int executionCount, OutputSink sink,
        bool commit, TimeSpan cellTimeout, string threadName, CancellationToken cancellationToken)
    {
        var timeout = cellTimeout <= TimeSpan.Zero ? Timeout.InfiniteTimeSpan : cellTimeout;
        if (timeout.TotalMilliseconds > int.MaxValue - 1) timeout = Timeout.InfiniteTimeSpan;
        var done = new TaskCompletionSource<ExecutionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var compiled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var thread = new Thread(() =>
        {
            OutputSink.Current = sink;
            try
            {
                done.TrySetResult(session.Execute(code, number, executionCount, sink, () => compiled.TrySetResult(), commit, cts.Token));
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                done.TrySetResult(new(CellRunStatus.Cancelled, null));
            }
            catch (Exception e)
            {
                done.TrySetResult(new(CellRunStatus.Failed, RuntimeError(e, number)));
            }
        }, maxStackSize: 16 * 1024 * 1024)
        {
            IsBackground = true,
            Name = threadName,
        };
        thread.Start();

        // the timeout counts from the start of execution: compiling (seconds for the first cell of a process) is not timed
        try
        {
            await Task.WhenAny(compiled.Task, done.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        var delay = Task.Delay(timeout, cancellationToken);
        var first = done.Task.IsCompleted ? done.Task : await Task.WhenAny(done.Task, delay).ConfigureAwait(false);
        if (first == done.Task)
        {
            var result = await done.Task.ConfigureAwait(false);
            cts.Dispose();
            return result;
        }
        // Roslyn cannot abort running code: the token is cancelled for code that looks at it, the cell's
        // thread is abandoned (a background thread, it does not keep the process alive) and the notebook stops.
        cts.Cancel();
        sink.Close();
        session.Abandon();
        return cancellationToken.IsCancellationRequested
            ? new(CellRunStatus.Cancelled, new CellError(number, null, "Cancelled", "the run was cancelled while this cell was running", []))
            : new(CellRunStatus.TimedOut, new CellError(number, null, "Timeout",
                $"timed out after {FormatDuration(timeout)}: the cell was cancelled and the notebook stopped here", []));
    }

    /// <summary><see cref="NotebookRun.EvaluateAsync"/>: code run against the session's final state, whose declarations are not kept.</summary>
    async Task<Evaluation> EvaluateAsync(Session session, string folder, Notebook nb, string code, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var lease = _options.UseNotebookFolderAsWorkingDirectory
            ? await WorkingDirectory.AcquireAsync(folder, cancellationToken).ConfigureAwait(false)
            : null;
        var number = nb.Cells.Count + session.NextEvaluation();
        var sink = new OutputSink();
        var clock = Stopwatch.StartNew();
        PreparedCell prepared;
        try
        {
            prepared = CellPreprocessor.Prepare(code, "csharp");
            if (prepared.IsMarkdown) return new Evaluation(CellRunStatus.Skipped, null, false, null, [], clock.Elapsed);
            session.Resolve(prepared.Directives, sink);
        }
        catch (MagicCommandException e)
        {
            return new Evaluation(CellRunStatus.Failed, null, false, new CellError(number, e.Line, e.Kind, e.Message, []), sink.Snapshot(), clock.Elapsed);
        }
        var result = await ExecuteOnThreadAsync(session, prepared.Code, number, 0, sink, commit: false, timeout ?? _options.CellTimeout,
            $"{nb.Name} evaluation {number}", cancellationToken).ConfigureAwait(false);
        var outputs = sink.Snapshot().ToList();
        if (result.Error is { } error) outputs.Add(CellOutput.ErrorOutput(error.Kind, error.Summary, error.Details.Count > 0 ? error.Details : [error.Summary]));
        return new Evaluation(result.Status, result.Value, result.HasValue, result.Error, outputs, clock.Elapsed);
    }

    readonly record struct ExecutionResult(CellRunStatus Status, CellError? Error, object? Value = null, bool HasValue = false);

    public static string FormatDuration(TimeSpan t)
    {
        if (t == Timeout.InfiniteTimeSpan) return "no limit";
        if (t.TotalSeconds < 1) return $"{t.TotalMilliseconds:0} ms";
        if (t.TotalMinutes < 1) return $"{t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
        if (t.TotalHours < 1) return t.Seconds == 0 ? $"{(int)t.TotalMinutes} min" : $"{(int)t.TotalMinutes} min {t.Seconds} s";
        return t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(?<= in )\S*?cell-(\d+):line")]
    private static partial Regex CellPath();

    [GeneratedRegex(@"cell-(\d+):line (\d+)")]
    private static partial Regex CellFrame();

    internal static CellError RuntimeError(Exception e, int number)
    {
        while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
        var text = CellPath().Replace(e.ToString(), "cell-$1:line");
        var trace = text.Split('\n').Select(l => l.TrimEnd('\r'))
            .Where(l => !l.Contains("Microsoft.CodeAnalysis.Scripting.", StringComparison.Ordinal) &&
                        !l.StartsWith("--- End of stack trace", StringComparison.Ordinal))
            .ToList();
        int? line = null;
        (int Cell, int Line)? deepest = null;
        foreach (Match m in CellFrame().Matches(text))
        {
            var cellNo = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var lineNo = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            deepest ??= (cellNo, lineNo);
            if (cellNo == number)
            {
                line = lineNo;
                break;
            }
        }
        // thrown by code of an earlier cell (a function declared there): say where
        var elsewhere = deepest is { } d && d.Cell != number ? $" (raised in cell {d.Cell}, line {d.Line})" : "";
        var type = e.GetType().FullName ?? e.GetType().Name;
        return new CellError(number, line, type, $"{type}: {e.Message}{elsewhere}", trace);
    }

    /// <summary>The script state of one notebook run.</summary>
    sealed class Session
    {
        readonly string _folder;
        readonly InteractiveAssemblyLoader _loader = new();
        readonly HashSet<Assembly> _registered = new();
        readonly NotebookGlobals _globals = new();
        readonly HashSet<string> _referenced = new(StringComparer.Ordinal);
        ScriptOptions _options;
        ScriptState<object>? _state;
        int _generation;
        int _evaluations;

        /// <summary>A timed-out cell's thread was abandoned: whatever state it produces later is not kept.</summary>
        public void Abandon() => Interlocked.Increment(ref _generation);

        public int NextEvaluation() => Interlocked.Increment(ref _evaluations);

        public Session(string folder)
        {
            _folder = folder;
            _options = ScriptOptions.Default
                .WithReferences(AssemblyReferences.Framework)
                .AddReferences(AssemblyReferences.MetadataFor(typeof(NotebookGlobals).Assembly.Location))
                .WithImports(DefaultImports)
                .WithEmitDebugInformation(true)
                .WithFileEncoding(Encoding.UTF8)
                .WithOptimizationLevel(OptimizationLevel.Release)
                .WithAllowUnsafe(true)
                .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(folder))
                .WithSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, folder));
        }

        public IReadOnlyList<KeyValuePair<string, object?>> Variables()
        {
            var state = _state;
            if (state is null) return [];
            var list = new List<KeyValuePair<string, object?>>();
            foreach (var v in state.Variables)
            {
                object? value;
                try { value = v.Value; }
                catch (Exception) { continue; }
                list.Add(new(v.Name, value));
            }
            return list;
        }

        /// <summary>#r directives: local assemblies, and NuGet names the runner has locally.</summary>
        public void Resolve(IReadOnlyList<Directive> directives, OutputSink sink)
        {
            foreach (var d in directives)
            {
                if (d.Kind == DirectiveKind.AssemblyReference)
                {
                    var path = Path.GetFullPath(Path.Combine(_folder, d.Argument));
                    if (!File.Exists(path))
                        throw new MagicCommandException(d.Line, "ReferenceError", $"{d.Text}: no assembly at {path}");
                    Reference(path, d);
                }
                else
                {
                    var spec = d.Argument + (d.Version is null ? "" : ", " + d.Version);
                    var local = AssemblyReferences.LocalPackage(d.Argument);
                    if (local is null)
                    {
                        throw new MagicCommandException(d.Line, "NuGetUnavailable",
                            $"#r \"nuget: {spec}\": NuGet packages cannot be fetched here — the runner works offline and restores no packages, " +
                            $"and '{d.Argument}' is not an assembly it has locally. Build the library and reference its DLL instead: #r \"path/to/{d.Argument}.dll\"");
                    }
                    string version = "";
                    if (local.Value.Path is { } p)
                    {
                        var asm = Reference(p, d);
                        version = " " + asm.GetName().Version;
                    }
                    sink.Add(CellOutput.Display([new("text/plain", $"Installed Packages: {d.Argument}{version} ({local.Value.Origin}; nothing was downloaded)")]));
                }
            }
        }

        Assembly Reference(string path, Directive d)
        {
            Assembly assembly;
            try
            {
                assembly = AssemblyReferences.Load(path, _loader);
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or IOException)
            {
                throw new MagicCommandException(d.Line, "ReferenceError", $"{d.Text}: cannot load {path}: {e.Message}");
            }
            if (_referenced.Add(path)) _options = _options.AddReferences(AssemblyReferences.MetadataFor(path));
            return assembly;
        }

        public ExecutionResult Execute(string code, int number, int executionCount, OutputSink sink, Action compiled, bool commit, CancellationToken token)
        {
            var generation = Volatile.Read(ref _generation);
            var filePath = $"cell-{number}";
            var options = _options.WithFilePath(filePath);
            Script<object> script = _state is null
                ? CSharpScript.Create(code, options, typeof(NotebookGlobals), _loader)
                : _state.Script.ContinueWith(code, options);

            var diagnostics = script.Compile(token);
            var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0) return new(CellRunStatus.Failed, CompileError(errors, number, filePath));

            AssemblyReferences.RegisterLoaded(_loader, _registered);
            compiled();
            var task = _state is null
                ? script.RunAsync(_globals, _ => true, token)
                : script.RunFromAsync(_state, _ => true, token);
            var state = task.GetAwaiter().GetResult();
            if (commit && generation == Volatile.Read(ref _generation)) _state = state;
            if (state.Exception is { } exception) return new(CellRunStatus.Failed, RuntimeError(exception, number));

            var hasValue = HasValue(script, filePath);
            if (hasValue && state.ReturnValue is not DisplayedValue)
            {
                sink.Add(CellOutput.Display(ValueFormatter.Format(state.ReturnValue), CellOutput.ExecuteResult, executionCount));
            }
            return new(CellRunStatus.Succeeded, null, hasValue ? state.ReturnValue : null, hasValue);
        }

        static bool HasValue(Script script, string filePath)
        {
            var compilation = script.GetCompilation();
            var tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == filePath) ?? compilation.SyntaxTrees.LastOrDefault();
            if (tree?.GetRoot() is not CompilationUnitSyntax root) return false;
            if (root.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement } ||
                !statement.SemicolonToken.IsMissing)
            {
                return false;
            }
            var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
            return type is not null && type.SpecialType != SpecialType.System_Void;
        }

        static CellError CompileError(List<Diagnostic> errors, int number, string filePath)
        {
            var details = new List<string>();
            int? firstLine = null;
            foreach (var d in errors)
            {
                var span = d.Location.GetLineSpan();
                var line = span.StartLinePosition.Line + 1;
                var col = span.StartLinePosition.Character + 1;
                var where = d.Location.IsInSource && span.Path != filePath ? $"{span.Path}" : "";
                if (d.Location.IsInSource && span.Path == filePath) firstLine ??= line;
                var id = $"error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
                details.Add(d.Location.IsInSource ? $"{where}({line},{col}): {id}" : id);
            }
            var first = errors[0];
            var message = $"error {first.Id}: {first.GetMessage(CultureInfo.InvariantCulture)}" +
                          (errors.Count > 1 ? $" (and {errors.Count - 1} more error{(errors.Count > 2 ? "s" : "")})" : "");
            return new CellError(number, firstLine, "CompilationError", message, details);
        }
    }
}
