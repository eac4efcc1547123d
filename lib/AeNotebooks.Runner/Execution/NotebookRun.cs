using System.Globalization;
using AeNotebooks.Runner.Model;

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

/// <summary>The result of running one notebook: the executed notebook, each cell's status, and the script's variables.</summary>
public sealed class NotebookRun
{
    readonly Func<IReadOnlyList<KeyValuePair<string, object?>>> _variables;

    internal NotebookRun(Notebook notebook, Func<IReadOnlyList<KeyValuePair<string, object?>>> variables)
    {
        Notebook = notebook;
        _variables = variables;
    }

    /// <summary>The executed notebook: outputs, execution counts and timings filled in.</summary>
    public Notebook Notebook { get; }

    public string? Path => Notebook.Path;
    public string Name => Notebook.Name;
    public List<CellRun> Cells { get; } = new();
    public NotebookRunStatus Status { get; internal set; } = NotebookRunStatus.Succeeded;
    public bool Succeeded => Status == NotebookRunStatus.Succeeded;
    public TimeSpan Duration { get; internal set; }
    public DateTimeOffset StartedAt { get; internal set; }

    /// <summary>Warnings that did not fail the run (e.g. a --param the notebook does not declare).</summary>
    public List<string> Notes { get; } = new();

    /// <summary>Parameters that replaced values in the parameters cell.</summary>
    public IReadOnlyDictionary<string, string> AppliedParameters { get; internal set; } = new Dictionary<string, string>();

    public CellRun? FailedCell => Cells.FirstOrDefault(c => c.Status is CellRunStatus.Failed or CellRunStatus.TimedOut or CellRunStatus.Cancelled);

    public CellError? Error => FailedCell?.Error;

    /// <summary>The script's variables after the run; when a name was declared more than once the last declaration wins.</summary>
    public IReadOnlyDictionary<string, object?> Variables
    {
        get
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, value) in _variables()) map[name] = value;
            return map;
        }
    }

    public bool TryGetVariable<T>(string name, out T value)
    {
        value = default!;
        if (!Variables.TryGetValue(name, out var raw)) return false;
        switch (raw)
        {
            case T t:
                value = t;
                return true;
            case null when default(T) is null:
                return true;
            case IConvertible when typeof(IConvertible).IsAssignableFrom(Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)):
                try
                {
                    value = (T)Convert.ChangeType(raw, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture);
                    return true;
                }
                catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
                {
                    return false;
                }
            default:
                return false;
        }
    }

    /// <summary>A variable of the notebook, e.g. <c>run.Variable&lt;double&gt;("finalLoss")</c>.</summary>
    public T Variable<T>(string name)
    {
        if (TryGetVariable<T>(name, out var value)) return value;
        var variables = Variables;
        if (!variables.TryGetValue(name, out var raw))
        {
            throw new KeyNotFoundException(
                $"{Name} has no variable '{name}'" + (Succeeded ? "" : $" (the run stopped at {Error?.Summary})") +
                $". Variables: {(variables.Count == 0 ? "none" : string.Join(", ", variables.Keys.Order(StringComparer.Ordinal)))}");
        }
        throw new InvalidCastException($"{Name}: variable '{name}' is a {raw?.GetType().FullName ?? "null"}, not a {typeof(T).FullName}");
    }

    internal Func<string, TimeSpan?, CancellationToken, Task<Evaluation>>? Evaluator { get; set; }

    /// <summary>
    /// Runs extra C# code against the script state the run ended with (after a timed-out cell: the state before it), as if
    /// it were one more cell, without changing that state: each evaluation starts from the same final state and sees the
    /// notebook's variables, functions and usings. Its last expression (no <c>;</c>) is <see cref="Evaluation.Value"/>.
    /// A compile error or exception is reported in the result, never thrown. <paramref name="timeout"/> defaults to the
    /// runner's cell timeout.
    /// </summary>
    public Task<Evaluation> EvaluateAsync(string code, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Evaluator is { } evaluate
            ? evaluate(code, timeout, cancellationToken)
            : throw new InvalidOperationException("this run has no script state to evaluate against");

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
public sealed record Evaluation(CellRunStatus Status, object? Value, bool HasValue, CellError? Error, IReadOnlyList<CellOutput> Outputs, TimeSpan Duration)
{
    public bool Succeeded => Status == CellRunStatus.Succeeded;
}

public sealed class NotebookRunFailedException(NotebookRun run)
    : Exception($"{run.Path ?? run.Name} failed at {run.Error?.ToString() ?? run.Status.ToString()}")
{
    public NotebookRun Run { get; } = run;
}
