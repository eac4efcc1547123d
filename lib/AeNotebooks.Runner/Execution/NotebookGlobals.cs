using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Execution;

/// <summary>
/// What cells can call without a using, as in the .NET Interactive C# kernel: <c>display(value, mimeTypes)</c>
/// and <c>HTML(string)</c>. There is no <c>Kernel</c>.
/// </summary>
public class NotebookGlobals
{
    /// <summary>Shows <paramref name="value"/> as a new output of the running cell; the result can replace it later.</summary>
    public DisplayedValue display(object? value, params string[] mimeTypes) => DisplayedValue.Show(value, mimeTypes);

    /// <summary>HTML content: displayed (or returned as a cell's last expression) as text/html.</summary>
    public HtmlContent HTML(string content) => new(content);
}

/// <summary>The handle <c>display()</c> returns; <see cref="Update"/> replaces that output in place.</summary>
public sealed class DisplayedValue
{
    readonly OutputSink? _sink;
    readonly CellOutput _output;
    readonly string[] _mimeTypes;

    DisplayedValue(OutputSink? sink, CellOutput output, string[] mimeTypes)
    {
        _sink = sink;
        _output = output;
        _mimeTypes = mimeTypes;
    }

    public string DisplayId { get; } = Guid.NewGuid().ToString("N");

    internal static DisplayedValue Show(object? value, string[]? mimeTypes)
    {
        mimeTypes ??= [];
        var output = CellOutput.Display(ValueFormatter.Format(value, mimeTypes));
        var sink = OutputSink.Current;
        if (sink is not null) sink.Add(output);
        else Console.WriteLine(output.ToText());
        return new DisplayedValue(sink, output, mimeTypes);
    }

    /// <summary>Replaces the displayed output with <paramref name="updatedValue"/>, formatted with the same mime types.</summary>
    public void Update(object? updatedValue)
    {
        var data = ValueFormatter.Format(updatedValue, _mimeTypes);
        if (_sink is not null) _sink.Replace(_output, data);
        else Console.WriteLine(CellOutput.Display(data).ToText());
    }

    public override string ToString() => $"DisplayedValue {DisplayId}";
}

/// <summary>HTML text that renders as text/html (what <c>HTML("…")</c> returns).</summary>
public sealed class HtmlContent(string html)
{
    public string Html { get; } = html;

    public override string ToString() => Html;
}
