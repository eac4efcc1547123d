using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;

namespace AeNotebooks.Runner.Model;

public enum NotebookFormat { Ipynb, Dib }

public enum CellKind { Code, Markdown, Raw }

/// <summary>
/// A notebook read from .ipynb or .dib with Microsoft.DotNet.Interactive.Documents. The parsed document is kept
/// so that writing it back keeps the metadata this model does not show.
/// </summary>
public sealed class Notebook
{
    public string? Path { get; set; }
    public NotebookFormat Format { get; set; }
    public List<NotebookCell> Cells { get; } = new();

    /// <summary>The kernel a cell without its own language runs in (Polyglot's <c>defaultKernelName</c>).</summary>
    public string DefaultKernelName { get; set; } = "csharp";

    /// <summary>Run information in the notebook's metadata ("aenotebooks"): as read, replaced by a run; null writes none.</summary>
    public JsonObject? RunMetadata { get; set; }

    /// <summary>The document this notebook was read from; never changed (writing works on copies).</summary>
    internal InteractiveDocument? Document { get; set; }

    /// <summary>The format <see cref="Document"/> was read from (its metadata differs by format).</summary>
    internal NotebookFormat DocumentFormat { get; set; }

    public string Name => Path is null ? "notebook" : System.IO.Path.GetFileName(Path);

    public Notebook Clone()
    {
        var copy = new Notebook
        {
            Path = Path,
            Format = Format,
            DefaultKernelName = DefaultKernelName,
            RunMetadata = (JsonObject?)RunMetadata?.DeepClone(),
            Document = Document,
            DocumentFormat = DocumentFormat,
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

    /// <summary>Run information in the cell's metadata ("aenotebooks"): as read, replaced by a run; null writes none.</summary>
    public JsonObject? RunMetadata { get; set; }

    /// <summary>True once outputs or execution count were replaced (by a run). Informational: outputs are always written from <see cref="Outputs"/>.</summary>
    public bool OutputsChanged { get; set; }

    /// <summary>The element this cell was read from (id, metadata); never changed (writing works on copies).</summary>
    internal InteractiveDocumentElement? Element { get; set; }

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
            Element = Element,
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

    /// <summary>The output's nbformat metadata as read (display_data, execute_result); never changed.</summary>
    internal IDictionary<string, object>? Metadata { get; set; }

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
            Metadata = Metadata,
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
