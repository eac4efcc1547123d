using System.Globalization;
using AeNotebooks.Runner.Kernel;
using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace AeNotebooks.Runner.Execution;

public enum NotebookRunStatus { Succeeded, Failed, TimedOut, Cancelled }

public enum CellRunStatus { Succeeded, Failed, TimedOut, Cancelled, NotRun, Skipped }

/// <summary>Why a cell failed: the cell's number (1-based, counting every cell), the line within it and the message.</summary>
public sealed record CellError(int CellNumber, int? Line, string Kind, string Message, IReadOnlyList<string> Details)
{
    /// <summary>"cell 3, line 2: error CS0103: The name 'x' does not exist in the current context"</summary>
    public string Summary => $"cell {CellNumber}{(Line is { } l ? $", line {l}" : "")}: {Message}";

    public override string ToString() => Details.Count == 0 ? Summary : Summary + Environment.NewLine + string.Join(Environment.NewLine, Details);
}

/// <summary>What happened to one cell.</summary>
public sealed class CellRun
{
    internal CellRun(NotebookCell cell, int number) { Cell = cell; Number = number; }

    public NotebookCell Cell { get; }

    /// <summary>1-based position of the cell in the notebook (markdown cells count).</summary>
    public int Number { get; }

    public CellRunStatus Status { get; internal set; } = CellRunStatus.NotRun;
    public TimeSpan Duration { get; internal set; }
    public DateTimeOffset? StartedAt { get; internal set; }
    public CellError? Error { get; internal set; }
    public int? ExecutionCount => Cell.ExecutionCount;
    public IReadOnlyList<CellOutput> Outputs => Cell.Outputs;

    public override string ToString() => $"cell {Number}: {Status}{(Error is null ? "" : " — " + Error.Summary)}";
}

/// <summary>
/// The result of running one notebook: the executed notebook, each cell's status, and the kernel's variables as they
/// were when the run ended. With <see cref="RunnerOptions.KeepKernel"/> the kernel stays up for
/// <see cref="EvaluateAsync"/> until the run is disposed.
/// </summary>
public sealed class NotebookRun : IAsyncDisposable
{
    IReadOnlyDictionary<string, KernelValue> _variables = new Dictionary<string, KernelValue>();
    KernelProcess? _kernel;
    TimeSpan _timeout;
    int _evaluations;

    internal NotebookRun(Notebook notebook) => Notebook = notebook;

    /// <summary>The executed notebook: outputs, execution counts and timings filled in.</summary>
    public Notebook Notebook { get; }

    public string? Path => Notebook.Path;
    public string Name => Notebook.Name;
    public List<CellRun> Cells { get; } = new();
    public NotebookRunStatus Status { get; internal set; } = NotebookRunStatus.Succeeded;
    public bool Succeeded => Status == NotebookRunStatus.Succeeded;
    public TimeSpan Duration { get; internal set; }
    public DateTimeOffset StartedAt { get; internal set; }

    /// <summary>From starting the kernel process to its connecting back, ready for the first cell.</summary>
    public TimeSpan KernelStartup { get; internal set; }

    /// <summary>Warnings that did not fail the run (e.g. a --param the notebook does not declare).</summary>
    public List<string> Notes { get; } = new();

    /// <summary>Parameters that replaced values in the parameters cell.</summary>
    public IReadOnlyDictionary<string, string> AppliedParameters { get; internal set; } = new Dictionary<string, string>();

    public CellRun? FailedCell => Cells.FirstOrDefault(c => c.Status is CellRunStatus.Failed or CellRunStatus.TimedOut or CellRunStatus.Cancelled);

    public CellError? Error => FailedCell?.Error;

    /// <summary>
    /// The notebook's variables when the run ended, as the kernel shares them (#!who, #!share): each with its type, its
    /// text summary and, for numbers, strings, arrays and lists of them and types the notebook declared, its JSON.
    /// When a name was declared more than once the last declaration wins. After a kernel that died: none.
    /// </summary>
    public IReadOnlyDictionary<string, KernelValue> Variables => _variables;

    public bool TryGetVariable<T>(string name, out T value)
    {
        value = default!;
        return _variables.TryGetValue(name, out var raw) && raw.TryGet(out value);
    }

    /// <summary>A variable of the notebook, e.g. <c>run.Variable&lt;double&gt;("finalLoss")</c>.</summary>
    public T Variable<T>(string name)
    {
        if (!_variables.TryGetValue(name, out var raw))
        {
            throw new KeyNotFoundException(
                $"{Name} has no variable '{name}'" + (Succeeded ? "" : $" (the run stopped at {Error?.Summary})") +
                $". Variables: {(_variables.Count == 0 ? "none" : string.Join(", ", _variables.Keys.Order(StringComparer.Ordinal)))}");
        }
        if (raw.TryGet<T>(out var value)) return value;
        throw new InvalidCastException($"{Name}: variable '{name}' is a {raw.TypeName ?? "value of unknown type"} ({raw.Text}), not a {typeof(T).FullName}");
    }

    internal async Task SnapshotVariablesAsync(KernelProcess kernel, CancellationToken cancellationToken)
    {
        var infos = new List<Microsoft.DotNet.Interactive.ValueSharing.KernelValueInfo>();
        var listed = await kernel.SendAsync(new RequestValueInfos("csharp"), TimeSpan.FromSeconds(30), e =>
        {
            if (e is ValueInfosProduced produced) infos.AddRange(produced.ValueInfos);
        }, cancellationToken).ConfigureAwait(false);
        if (listed.Outcome != CommandOutcome.Succeeded) return;

        var values = new Dictionary<string, KernelValue>(StringComparer.Ordinal);
        foreach (var info in infos)
        {
            string? json = null;
            if (KernelValue.IsShareableAsJson(info.TypeName))
            {
                await kernel.SendAsync(new RequestValue(info.Name, "application/json", "csharp"), TimeSpan.FromSeconds(30), e =>
                {
                    if (e is ValueProduced produced) json = produced.FormattedValue?.Value;
                }, cancellationToken).ConfigureAwait(false);
            }
            values[info.Name] = new KernelValue(info.TypeName, info.FormattedValue?.Value, json);
        }
        _variables = values;
    }

    /// <summary>Whether the run kept a live kernel for <see cref="EvaluateAsync"/> (a timeout or a crash stops it).</summary>
    public bool HasKernel => _kernel is { HasExited: false };

    internal void AttachKernel(KernelProcess kernel, TimeSpan timeout)
    {
        _kernel = kernel;
        _timeout = timeout;
    }

    /// <summary>
    /// Runs extra C# code in the kernel the run ended with (kept with <see cref="RunnerOptions.KeepKernel"/>), as one more
    /// submission: it sees the notebook's variables, functions and usings, and what it declares stays for later
    /// evaluations. Its last expression (no <c>;</c>) is <see cref="Evaluation.Value"/>, shared as JSON. A compile error,
    /// an exception or a dead kernel is reported in the result, never thrown.
    /// </summary>
    public async Task<Evaluation> EvaluateAsync(string code, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var number = Cells.Count + Interlocked.Increment(ref _evaluations);
        if (_kernel is null || _kernel.HasExited)
        {
            var why = _kernel is null ? "the run kept no kernel (RunnerOptions.KeepKernel) or it could not start" : "the kernel process is gone";
            return new Evaluation(CellRunStatus.Failed, null, false, new CellError(number, null, "KernelError", why, []), [], TimeSpan.Zero);
        }
        return await Evaluator.EvaluateAsync(_kernel, code, number, timeout ?? _timeout, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_kernel is { } kernel)
        {
            _kernel = null;
            await kernel.DisposeAsync().ConfigureAwait(false);
        }
    }

/// <summary>Throws with the failing cell's error when the run did not succeed.</summary>
    public NotebookRun EnsureSucceeded()
    {
        if (!Succeeded) throw new NotebookRunFailedException(this);
        return this;
    }

    public override string ToString() => $"{Name}: {Status}{(Error is null ? "" : " at " + Error.Summary)}";
}

/// <summary>
/// What <see cref="NotebookRun.EvaluateAsync"/> produced: the status, the last expression's value (when the code ends with
/// an expression without <c>;</c>), the error (with a cell number after the notebook's last cell) and any outputs.
/// </summary>
public sealed record Evaluation(CellRunStatus Status, KernelValue? Value, bool HasValue, CellError? Error, IReadOnlyList<CellOutput> Outputs, TimeSpan Duration)
{
    public bool Succeeded => Status == CellRunStatus.Succeeded;
}

public sealed class NotebookRunFailedException(NotebookRun run)
    : Exception($"{run.Path ?? run.Name} failed at {run.Error?.ToString() ?? run.Status.ToString()}")
{
    public NotebookRun Run { get; } = run;
}
