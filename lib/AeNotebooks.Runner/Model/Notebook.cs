using System.Text.Json.Nodes;

namespace AeNotebooks.Runner.Model;

public enum NotebookFormat { Ipynb, Dib }

public enum CellKind { Code, Markdown, Raw }

/// <summary>
/// A notebook read from .ipynb or .dib. The format-specific text it was read from is kept alongside
/// (<see cref="IpynbRoot"/>, the .dib section layout) so that writing it back without running changes nothing.
/// </summary>
public sealed class Notebook
{
    public string? Path { get; set; }
    public NotebookFormat Format { get; set; }
    public List<NotebookCell> Cells { get; } = new();

    /// <summary>The kernel a cell without its own language runs in (Polyglot's <c>defaultKernelName</c>).</summary>
    public string DefaultKernelName { get; set; } = "csharp";

    /// <summary>Run information written into the executed notebook's metadata (null when not run).</summary>
    public JsonObject? RunMetadata { get; set; }

    // .ipynb layout
    internal JsonObject? IpynbRoot { get; set; }
    internal string Indent { get; set; } = " ";
    internal string NewLine { get; set; } = "\n";
    internal bool TrailingNewLine { get; set; } = true;
    internal bool Utf8Bom { get; set; }

    // .dib layout
    internal DibSection? DibMeta { get; set; }
    internal string DibPreamble { get; set; } = "";

    public string Name => Path is null ? "notebook" : System.IO.Path.GetFileName(Path);

    public Notebook Clone()
    {
        var copy = new Notebook
        {
            Path = Path,
            Format = Format,
            DefaultKernelName = DefaultKernelName,
            RunMetadata = (JsonObject?)RunMetadata?.DeepClone(),
            IpynbRoot = (JsonObject?)IpynbRoot?.DeepClone(),
            Indent = Indent,
            NewLine = NewLine,
            TrailingNewLine = TrailingNewLine,
            Utf8Bom = Utf8Bom,
            DibMeta = DibMeta,
            DibPreamble = DibPreamble,
        };
        foreach (var cell in Cells) copy.Cells.Add(cell.Clone());
        return copy;
    }
}

public sealed class NotebookCell
{
    public CellKind Kind { get; set; }

    /// <summary>Kernel name: "csharp", "markdown", "fsharp", …</summary>
    public string Language { get; set; } = "csharp";

    public string Source { get; set; } = "";
    public List<string> Tags { get; } = new();
    public List<CellOutput> Outputs { get; } = new();
    public int? ExecutionCount { get; set; }

    /// <summary>Run information written into the executed cell's metadata (null when not run).</summary>
    public JsonObject? RunMetadata { get; set; }

    /// <summary>True once outputs or execution count were replaced (by a run); otherwise they are written as read.</summary>
    public bool OutputsChanged { get; set; }

    internal JsonObject? Json { get; set; }
    internal string? OriginalSource { get; set; }
    internal DibSection? Dib { get; set; }

    public bool IsCode => Kind == CellKind.Code;

    public NotebookCell Clone()
    {
        var copy = new NotebookCell
        {
            Kind = Kind,
            Language = Language,
            Source = Source,
            ExecutionCount = ExecutionCount,
            RunMetadata = (JsonObject?)RunMetadata?.DeepClone(),
            OutputsChanged = OutputsChanged,
            Json = (JsonObject?)Json?.DeepClone(),
            OriginalSource = OriginalSource,
            Dib = Dib,
        };
        copy.Tags.AddRange(Tags);
        foreach (var o in Outputs) copy.Outputs.Add(o.Clone());
        return copy;
    }
}

/// <summary>One nbformat output: stream, display_data, execute_result or error.</summary>
public sealed class CellOutput
{
    public const string Stream = "stream", DisplayData = "display_data", ExecuteResult = "execute_result", Error = "error";

    public string OutputType { get; set; } = DisplayData;

    // stream
    public string? StreamName { get; set; }
    public string? Text { get; set; }

    // display_data / execute_result: mime type → content, in the order produced
    public List<KeyValuePair<string, string>> Data { get; } = new();
    public int? ExecutionCount { get; set; }

    // error
    public string? EName { get; set; }
    public string? EValue { get; set; }
    public List<string> Traceback { get; } = new();

    internal JsonNode? Json { get; set; }

    public string? GetData(string mimeType)
    {
        foreach (var (k, v) in Data) if (k == mimeType) return v;
        return null;
    }

    public static CellOutput StreamText(string name, string text) => new() { OutputType = Stream, StreamName = name, Text = text };

    public static CellOutput Display(IEnumerable<KeyValuePair<string, string>> data, string type = DisplayData, int? executionCount = null)
    {
        var o = new CellOutput { OutputType = type, ExecutionCount = executionCount };
        o.Data.AddRange(data);
        return o;
    }

    public static CellOutput ErrorOutput(string ename, string evalue, IEnumerable<string> traceback)
    {
        var o = new CellOutput { OutputType = Error, EName = ename, EValue = evalue };
        o.Traceback.AddRange(traceback);
        return o;
    }

    public CellOutput Clone()
    {
        var copy = new CellOutput
        {
            OutputType = OutputType,
            StreamName = StreamName,
            Text = Text,
            ExecutionCount = ExecutionCount,
            EName = EName,
            EValue = EValue,
            Json = Json?.DeepClone(),
        };
        copy.Data.AddRange(Data);
        copy.Traceback.AddRange(Traceback);
        return copy;
    }

    /// <summary>Plain text of this output (for logs and test messages).</summary>
    public string ToText() => OutputType switch
    {
        Stream => Text ?? "",
        Error => $"{EName}: {EValue}",
        _ => GetData("text/plain") ?? (Data.Count > 0 ? Data[0].Value : ""),
    };
}

/// <summary>Layout of one .dib section, kept so that a .dib file is written back byte for byte.</summary>
internal sealed record DibSection(string? HeaderLine, string Gap, string Tail, string Body);
