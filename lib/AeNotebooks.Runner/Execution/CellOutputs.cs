using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace AeNotebooks.Runner.Execution;

/// <summary>
/// Turns the kernel's events into nbformat outputs, in order: console text becomes <c>stream</c> outputs (consecutive
/// writes to one stream merge, as in Jupyter), displayed values <c>display_data</c>, the cell's value
/// <c>execute_result</c>, and display updates replace the output with the same id, as VS Code does.
/// </summary>
sealed class CellOutputs
{
    readonly Dictionary<string, CellOutput> _byDisplayId;
    readonly List<CellOutput> _outputs = new();
    readonly List<string> _errors = new();

    public CellOutputs(Dictionary<string, CellOutput> byDisplayId) => _byDisplayId = byDisplayId;

    public IReadOnlyList<CellOutput> Outputs => _outputs;

    /// <summary>Messages of ErrorProduced events (e.g. a NuGet restore that failed), in order.</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Compile errors the kernel reported for this cell: (line, column, "CS0103: …").</summary>
    public List<CompileError> CompileErrors { get; } = new();

    public void Add(KernelEvent e, int executionCount)
    {
        switch (e)
        {
            case StandardOutputValueProduced o:
                Stream("stdout", Text(o.FormattedValues));
                break;
            case StandardErrorValueProduced o:
                Stream("stderr", Text(o.FormattedValues));
                break;
            case DisplayedValueProduced or DisplayedValueUpdated:
                Show((DisplayEvent)e);
                break;
            case ReturnValueProduced r:
                _outputs.Add(CellOutput.Display(Data(r.FormattedValues), CellOutput.ExecuteResult, executionCount));
                break;
            case ErrorProduced err:
                _errors.Add(err.Message);
                break;
            case DiagnosticsProduced diagnostics:
                foreach (var d in diagnostics.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error))
                {
                    var start = d.LinePositionSpan.Start;
                    CompileErrors.Add(new CompileError(start.Line + 1, start.Character + 1, $"{d.Code}: {d.Message}"));
                }
                break;
        }
    }

    /// <summary>
    /// As VS Code applies display events: one whose id is already shown replaces that output in place, any other is
    /// appended (so an update whose id was never displayed shows up as a new output, as it does there).
    /// </summary>
    void Show(DisplayEvent e)
    {
        var data = Data(e.FormattedValues).ToList();
        if (data.Count == 0) return;
        if (e.ValueId is not null && _byDisplayId.TryGetValue(e.ValueId, out var shown))
        {
            shown.Data.Clear();
            shown.Data.AddRange(data);
            return;
        }
        var display = CellOutput.Display(data);
        if (e.ValueId is not null) _byDisplayId[e.ValueId] = display;
        _outputs.Add(display);
    }

    public void AddError(string name, string value, IEnumerable<string> traceback) => _outputs.Add(CellOutput.ErrorOutput(name, value, traceback));

    public void AddText(string mimeType, string text) => _outputs.Add(CellOutput.Display([new(mimeType, text)]));

    void Stream(string name, string text)
    {
        if (text.Length == 0) return;
        if (_outputs.Count > 0 && _outputs[^1] is { OutputType: CellOutput.Stream } last && last.StreamName == name) last.Text += text;
        else _outputs.Add(CellOutput.StreamText(name, text));
    }

    static string Text(IReadOnlyCollection<FormattedValue> values) =>
        values.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value ?? values.FirstOrDefault()?.Value ?? "";

    static IEnumerable<KeyValuePair<string, string>> Data(IReadOnlyCollection<FormattedValue> values) =>
        values.Where(v => !v.SuppressDisplay).Select(v => new KeyValuePair<string, string>(v.MimeType, v.Value));
}

/// <summary>One compile error of a cell: 1-based line and column, "CS0103: …".</summary>
sealed record CompileError(int Line, int Column, string Text);
