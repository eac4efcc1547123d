using System.Text;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Execution;

/// <summary>
/// Collects one cell's outputs in order: Console text becomes <c>stream</c> outputs (consecutive writes to
/// the same stream merge, as in Jupyter), <c>display()</c> adds <c>display_data</c>. Thread-safe: code a cell
/// starts on other threads or tasks writes here too (the current sink flows with the ExecutionContext).
/// </summary>
public sealed class OutputSink
{
    readonly List<CellOutput> _outputs = new();
    bool _closed;

    internal object Gate { get; } = new();

    public void WriteStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (Gate)
        {
            if (_closed) return;
            if (_outputs.Count > 0 && _outputs[^1] is { OutputType: CellOutput.Stream } last && last.StreamName == name)
            {
                last.Text += text;
                return;
            }
            _outputs.Add(CellOutput.StreamText(name, text));
        }
    }

    public void Add(CellOutput output)
    {
        lock (Gate)
        {
            if (_closed) return;
            _outputs.Add(output);
        }
    }

    /// <summary>Replaces an output's content in place (display(...).Update(...)); works after the cell ended too.</summary>
    internal void Replace(CellOutput output, IEnumerable<KeyValuePair<string, string>> data)
    {
        lock (Gate)
        {
            output.Data.Clear();
            output.Data.AddRange(data);
        }
    }

    /// <summary>Stops collecting (a timed-out cell's abandoned thread may keep writing).</summary>
    public void Close()
    {
        lock (Gate) _closed = true;
    }

    public IReadOnlyList<CellOutput> Snapshot()
    {
        lock (Gate) return _outputs.ToList();
    }

    internal List<CellOutput> Live => _outputs;

    static readonly AsyncLocal<OutputSink?> CurrentSink = new();

    /// <summary>The sink of the cell whose code is running on this flow of execution.</summary>
    public static OutputSink? Current
    {
        get => CurrentSink.Value;
        internal set => CurrentSink.Value = value;
    }
}

/// <summary>
/// Console.Out/Console.Error replacement installed once per process: text written while a cell runs goes
/// to that cell's outputs, everything else to the real console. Several notebooks can run at once.
/// </summary>
internal sealed class RoutingWriter : TextWriter
{
    readonly TextWriter _fallback;
    readonly string _stream;

    RoutingWriter(TextWriter fallback, string stream)
    {
        _fallback = fallback;
        _stream = stream;
    }

    public override Encoding Encoding => _fallback.Encoding;

    static readonly object InstallGate = new();
    static bool _installed;

    public static void Install()
    {
        lock (InstallGate)
        {
            if (_installed) return;
            Console.SetOut(new RoutingWriter(Console.Out, "stdout"));
            Console.SetError(new RoutingWriter(Console.Error, "stderr"));
            _installed = true;
        }
    }

    public override void Write(char value)
    {
        if (OutputSink.Current is { } sink) sink.WriteStream(_stream, value.ToString());
        else _fallback.Write(value);
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        if (OutputSink.Current is { } sink) sink.WriteStream(_stream, value);
        else _fallback.Write(value);
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

    public override void WriteLine(string? value) => Write((value ?? "") + CoreNewLineStr);

    public override void WriteLine() => Write(CoreNewLineStr);

    string CoreNewLineStr => new(CoreNewLine);

    public override void Flush()
    {
        if (OutputSink.Current is null) _fallback.Flush();
    }
}
