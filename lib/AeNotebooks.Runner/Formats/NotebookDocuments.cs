using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Documents;
using Jupyter = Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace AeNotebooks.Runner.Formats;

/// <summary>
/// Converts between the runner's <see cref="Notebook"/> and Documents' <see cref="InteractiveDocument"/>. Metadata is
/// Documents' object graph: dictionaries, object arrays, strings, doubles, booleans and nulls.
/// </summary>
internal static class NotebookDocuments
{
    /// <summary>Key of the run information in notebook and cell metadata.</summary>
    public const string RunMetadataKey = "aenotebooks";

    const string TagsKey = "tags";

    /// <summary>A .dib cell in a kernel outside the model's kinds (Documents knows no raw cells).</summary>
    const string RawKernel = "raw";

    static readonly (string Name, string[] Aliases)[] Kernels =
    [
        ("csharp", ["c#", "C#", "cs"]), ("fsharp", ["f#", "F#", "fs"]), ("pwsh", ["powershell"]), ("javascript", ["js"]),
        ("html", []), ("sql", []), ("kql", []), ("mermaid", []), ("http", []), ("value", []), ("python", []), ("r", []),
        ("markdown", ["md"]), (RawKernel, []),
    ];

    /// <summary>
    /// The kernels whose <c>#!name</c> lines open a .dib cell; a file's #!meta adds its own. New for each parse:
    /// CodeSubmission.Parse adds the #!meta kernels to the collection it is given.
    /// </summary>
    public static KernelInfoCollection DibKernels()
    {
        var kernels = new KernelInfoCollection();
        foreach (var (name, aliases) in Kernels) kernels.Add(new KernelInfo(name, aliases: aliases));
        return kernels;
    }

    public static Notebook FromDocument(InteractiveDocument document, NotebookFormat format, string? path, IReadOnlyList<CellKind>? kinds)
    {
        var nb = new Notebook
        {
            Path = path,
            Format = format,
            Document = document,
            DocumentFormat = format,
            DefaultKernelName = DefaultKernel(document),
            RunMetadata = ToNode(document.Metadata.TryGetValue(RunMetadataKey, out var run) ? run : null) as JsonObject,
        };
        for (var i = 0; i < document.Elements.Count; i++)
        {
            var element = document.Elements[i];
            var language = element.KernelName is { Length: > 0 } k ? Canonical(k) : nb.DefaultKernelName;
            var kind = kinds?[i] ?? (language == "markdown" ? CellKind.Markdown : CellKind.Code);
            if (kind == CellKind.Code && language == RawKernel) kind = CellKind.Raw;
            var cell = new NotebookCell
            {
                Kind = kind,
                Language = kind switch { CellKind.Markdown => "markdown", CellKind.Raw => RawKernel, _ => language },
                Source = element.Contents,
                ExecutionCount = element.ExecutionOrder > 0 ? element.ExecutionOrder : null,
                Element = element,
            };
            if (element.Metadata is { } metadata)
            {
                if (metadata.TryGetValue(TagsKey, out var tags) && tags is IEnumerable<object> list)
                    cell.Tags.AddRange(list.OfType<string>());
                cell.RunMetadata = ToNode(metadata.TryGetValue(RunMetadataKey, out var cellRun) ? cellRun : null) as JsonObject;
            }
            foreach (var output in element.Outputs) cell.Outputs.Add(FromOutput(output));
            nb.Cells.Add(cell);
        }
        return nb;
    }

    public static string ToIpynb(Notebook nb)
    {
        var document = new InteractiveDocument();
        var metadata = nb.Document is { } read && nb.DocumentFormat == NotebookFormat.Ipynb ? CopyDictionary(read.Metadata) : NewIpynbMetadata(nb);
        SetOrRemove(metadata, RunMetadataKey, nb.RunMetadata);
        foreach (var (key, value) in metadata) document.Metadata[key] = value!;
        foreach (var cell in nb.Cells) document.Add(ToElement(cell, withOutputs: true));
        // no language: ToJupyterJson("C#") casts the polyglot_notebook metadata read from a file to a KernelInfoCollection and throws
        return Jupyter.Notebook.ToJupyterJson(document, defaultLanguage: null);
    }

    public static string ToDib(Notebook nb)
    {
        var document = new InteractiveDocument();
        if (nb.Document is { } read && nb.DocumentFormat == NotebookFormat.Dib)
        {
            foreach (var (key, value) in CopyDictionary(read.Metadata)) document.Metadata[key] = value!;
        }
        else
        {
            document.Metadata["kernelInfo"] = IpynbKernelInfo(nb) ?? NewKernelInfo(nb);
        }
        foreach (var cell in nb.Cells) document.Add(ToElement(cell, withOutputs: false));
        return document.ToCodeSubmissionContent();
    }

    /// <summary>What Polyglot Notebooks (VS Code) writes: it reads the kernels from polyglot_notebook.kernelInfo.</summary>
    static Dictionary<string, object?> NewIpynbMetadata(Notebook nb) => new()
    {
        ["kernelspec"] = new Dictionary<string, object?>
        {
            ["display_name"] = ".NET (C#)",
            ["language"] = "C#",
            ["name"] = ".net-csharp",
        },
        ["language_info"] = new Dictionary<string, object?> { ["name"] = "polyglot-notebook" },
        ["polyglot_notebook"] = new Dictionary<string, object?> { ["kernelInfo"] = DibKernelInfo(nb) ?? NewKernelInfo(nb) },
    };

    static KernelInfoCollection NewKernelInfo(Notebook nb) => new() { new KernelInfo(nb.DefaultKernelName) };

    static KernelInfoCollection? DibKernelInfo(Notebook nb)
    {
        if (nb.DocumentFormat != NotebookFormat.Dib || nb.Document?.GetKernelInfo() is not { } read) return null;
        var kernels = read.Clone();
        kernels.DefaultKernelName = nb.DefaultKernelName;
        return kernels;
    }

    /// <summary>The kernels VS Code lists in polyglot_notebook.kernelInfo, as the collection a .dib's #!meta holds.</summary>
    static KernelInfoCollection? IpynbKernelInfo(Notebook nb)
    {
        if (nb.DocumentFormat != NotebookFormat.Ipynb || Lookup(nb.Document?.Metadata, "polyglot_notebook", "kernelInfo") is not IDictionary<string, object> listed)
            return null;
        try
        {
            return new InteractiveDocument { Metadata = { ["kernelInfo"] = listed } }.GetKernelInfo();
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            return null; // a kernel without a name: the .dib gets the default kernel
        }
    }

    static string DefaultKernel(InteractiveDocument document)
    {
        // VS Code's polyglot_notebook.kernelInfo; else Documents' places: kernelInfo (.dib), polyglot_notebook, kernelspec.language
        var name = Lookup(document.Metadata, "polyglot_notebook", "kernelInfo", "defaultKernelName") as string
                   ?? document.GetDefaultKernelName();
        return string.IsNullOrEmpty(name) ? "csharp" : Canonical(name);
    }

    static string Canonical(string kernel) => kernel.ToLowerInvariant() switch
    {
        "csharp" or "c#" or "cs" => "csharp",
        "fsharp" or "f#" or "fs" => "fsharp",
        "pwsh" or "powershell" => "pwsh",
        "markdown" or "md" => "markdown",
        "javascript" or "js" => "javascript",
        _ => kernel,
    };

    static InteractiveDocumentElement ToElement(NotebookCell cell, bool withOutputs)
    {
        var metadata = cell.Element?.Metadata is { } read ? CopyDictionary(read) : new Dictionary<string, object?>();
        if (cell.Tags.Count > 0 || metadata.ContainsKey(TagsKey)) metadata[TagsKey] = cell.Tags.ToArray();
        SetOrRemove(metadata, RunMetadataKey, cell.RunMetadata);
        var kernel = cell.Kind switch { CellKind.Markdown => "markdown", CellKind.Raw => RawKernel, _ => cell.Language };
        var element = new InteractiveDocumentElement(cell.Source, kernel)
        {
            Id = cell.Element?.Id,
            Metadata = metadata!,
            ExecutionOrder = cell.IsCode ? cell.ExecutionCount ?? 0 : 0,
        };
        if (withOutputs && cell.IsCode) element.Outputs.AddRange(cell.Outputs.Select(ToOutput));
        return element;
    }

    static CellOutput FromOutput(InteractiveDocumentOutputElement output)
    {
        switch (output)
        {
            case TextElement text:
                return CellOutput.StreamText(text.Name, text.Text);
            case ErrorElement error:
                return CellOutput.ErrorOutput(error.ErrorName, error.ErrorValue, error.StackTrace);
            case ReturnValueElement result:
                var executeResult = CellOutput.Display(DataText(result.Data), CellOutput.ExecuteResult, result.ExecutionOrder > 0 ? result.ExecutionOrder : null);
                executeResult.Metadata = result.Metadata;
                return executeResult;
            case DisplayElement display:
                var displayData = CellOutput.Display(DataText(display.Data));
                displayData.Metadata = display.Metadata;
                return displayData;
            default:
                throw new NotSupportedException("unknown output element " + output.GetType().Name);
        }
    }

    /// <summary>
    /// Mime data as text: a string, or the lines of a string array. Anything else (a JSON mime type's object as VS Code
    /// writes it) becomes its JSON text, which is how it is written back: Documents writes only text lines.
    /// </summary>
    static IEnumerable<KeyValuePair<string, string>> DataText(IDictionary<string, object> data)
    {
        foreach (var (mime, value) in data)
        {
            var text = value switch
            {
                null => "",
                string s => s,
                IEnumerable<object> lines when lines.All(l => l is string) => string.Concat(lines.Cast<string>()),
                _ => JsonSerializer.Serialize(value),
            };
            yield return new(mime, text);
        }
    }

    static InteractiveDocumentOutputElement ToOutput(CellOutput output)
    {
        switch (output.OutputType)
        {
            case CellOutput.Stream:
                return new TextElement(output.Text ?? "", output.StreamName ?? "stdout");
            case CellOutput.Error:
                return new ErrorElement(output.EValue ?? "", output.EName ?? "Error", output.Traceback.ToArray());
            case CellOutput.ExecuteResult:
                var result = new ReturnValueElement { ExecutionOrder = output.ExecutionCount ?? 0 };
                foreach (var (mime, text) in output.Data) result.Data[mime] = text;
                CopyInto(output.Metadata, result.Metadata);
                return result;
            default:
                var data = new Dictionary<string, object>();
                foreach (var (mime, text) in output.Data) data[mime] = text;
                var display = new DisplayElement(data);
                CopyInto(output.Metadata, display.Metadata);
                return display;
        }
    }

    static void CopyInto(IDictionary<string, object>? from, IDictionary<string, object> to)
    {
        if (from is null) return;
        foreach (var (key, value) in CopyDictionary(from)) to[key] = value!;
    }

    static void SetOrRemove(Dictionary<string, object?> metadata, string key, JsonObject? value)
    {
        if (value is null) metadata.Remove(key);
        else metadata[key] = ToPlain(value);
    }

    static object? Lookup(IDictionary<string, object>? metadata, params string[] keys)
    {
        object? node = metadata;
        foreach (var key in keys)
        {
            if (node is not IDictionary<string, object> d || !d.TryGetValue(key, out node)) return null;
        }
        return node;
    }

    /// <summary>A deep copy: Documents' writer adds kernel names into the cell metadata it is given.</summary>
    static Dictionary<string, object?> CopyDictionary(IDictionary<string, object> source)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var (key, value) in source) copy[key] = Copy(value);
        return copy;
    }

    static object? Copy(object? value) => value switch
    {
        IDictionary<string, object> d => CopyDictionary(d),
        object?[] a => a.Select(Copy).ToArray(),
        _ => value,
    };

    static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToArray(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        },
        _ => null,
    };

    /// <summary>Parsed from text so that numbers read back as int or double alike.</summary>
    static JsonNode? ToNode(object? value) => value is null ? null : JsonNode.Parse(JsonSerializer.Serialize(value));
}
