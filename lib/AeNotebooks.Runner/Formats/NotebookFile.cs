using System.Text;
using System.Text.Json;
using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Documents;
using Jupyter = Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace AeNotebooks.Runner.Formats;

/// <summary>Reads and writes .ipynb and .dib notebooks with Microsoft.DotNet.Interactive.Documents.</summary>
public static class NotebookFile
{
    public static bool IsNotebookPath(string path) =>
        path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".dib", StringComparison.OrdinalIgnoreCase);

    public static NotebookFormat FormatOf(string path) =>
        path.EndsWith(".dib", StringComparison.OrdinalIgnoreCase) ? NotebookFormat.Dib : NotebookFormat.Ipynb;

    /// <summary>Loads a notebook; a missing, unreadable or malformed file throws <see cref="NotebookFormatException"/>.</summary>
    public static Notebook Load(string path)
    {
        if (Directory.Exists(path)) throw new NotebookFormatException(path, "is a folder, not a notebook");
        if (!File.Exists(path)) throw new NotebookFormatException(path, "file not found");
        if (!IsNotebookPath(path)) throw new NotebookFormatException(path, "not a notebook (expected a .ipynb or .dib file)");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookFormatException(path, "cannot be read: " + e.Message, e);
        }
        var bom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, bom ? 3 : 0, bytes.Length - (bom ? 3 : 0));
        }
        catch (DecoderFallbackException e)
        {
            throw new NotebookFormatException(path, "is not UTF-8 text", e);
        }
        return Parse(text, FormatOf(path), Path.GetFullPath(path));
    }

    public static Notebook Parse(string text, NotebookFormat format, string? path = null) =>
        format == NotebookFormat.Dib ? ParseDib(text, path) : ParseIpynb(text, path);

    /// <summary>The notebook in its own format (a .dib keeps no outputs).</summary>
    public static string Serialize(Notebook notebook) =>
        notebook.Format == NotebookFormat.Dib ? NotebookDocuments.ToDib(notebook) : NotebookDocuments.ToIpynb(notebook);

    /// <summary>The notebook as .ipynb with outputs (a .dib is converted).</summary>
    public static string SerializeIpynb(Notebook notebook) => NotebookDocuments.ToIpynb(notebook);

    /// <summary>Writes the notebook in the format its extension names (.dib drops outputs).</summary>
    public static void Save(Notebook notebook, string path)
    {
        var text = FormatOf(path) == NotebookFormat.Dib ? NotebookDocuments.ToDib(notebook) : NotebookDocuments.ToIpynb(notebook);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, text, new UTF8Encoding(false));
    }

    static Notebook ParseIpynb(string text, string? path)
    {
        var where = path ?? "notebook";
        // Documents reads {} or an nbformat 3 file as an empty notebook and an unknown cell_type as code: check first
        var kinds = CellKinds(text, where);
        try
        {
            var document = Jupyter.Notebook.Parse(text);
            if (document.Elements.Count != kinds.Count)
                throw new NotebookFormatException(where, $"not a notebook: {kinds.Count} cells, but {document.Elements.Count} were read");
            return NotebookDocuments.FromDocument(document, NotebookFormat.Ipynb, path, kinds);
        }
        catch (Exception e) when (e is not NotebookFormatException)
        {
            // JsonException for an unknown output_type or a field of the wrong type, ArgumentException for bad kernel infos, …
            throw new NotebookFormatException(where, "not a notebook: " + Brief(e.Message), e);
        }
    }

    static Notebook ParseDib(string text, string? path)
    {
        var where = path ?? "notebook";
        try
        {
            var document = CodeSubmission.Parse(text, NotebookDocuments.DibKernels());
            return NotebookDocuments.FromDocument(document, NotebookFormat.Dib, path, null);
        }
        catch (JsonException e)
        {
            throw new NotebookFormatException(where, "the #!meta section is not valid JSON: " + Brief(e.Message), e);
        }
        catch (Exception e) when (e is not NotebookFormatException)
        {
            // a kernel name or alias in #!meta that is empty, starts with '#' or is listed twice
            throw new NotebookFormatException(where, "the #!meta section is not valid: " + Brief(e.Message), e);
        }
    }

    /// <summary>The kind of each cell, after checking that the text is JSON shaped as an nbformat 4 notebook.</summary>
    static List<CellKind> CellKinds(string text, string where)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            var at = e.LineNumber is { } line ? $" (line {line + 1}, column {e.BytePositionInLine + 1})" : "";
            throw new NotebookFormatException(where, $"not valid JSON{at}: {Brief(e.Message)}", e);
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new NotebookFormatException(where, "not a notebook: the JSON document is not an object");
            if (!root.TryGetProperty("nbformat", out var nbformat) || nbformat.ValueKind != JsonValueKind.Number)
                throw new NotebookFormatException(where, "not a notebook: \"nbformat\" is missing");
            if (!nbformat.TryGetInt32(out var version) || version != 4)
                throw new NotebookFormatException(where, $"nbformat {nbformat.GetRawText()} is not supported (the runner reads nbformat 4)");
            if (!root.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
                throw new NotebookFormatException(where, "not a notebook: \"cells\" is missing or not an array");
            var kinds = new List<CellKind>();
            var number = 0;
            foreach (var cell in cells.EnumerateArray())
            {
                number++;
                if (cell.ValueKind != JsonValueKind.Object) throw new NotebookFormatException(where, $"cell {number} is not a JSON object");
                var type = cell.TryGetProperty("cell_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                kinds.Add(type switch
                {
                    "code" => CellKind.Code,
                    "markdown" => CellKind.Markdown,
                    "raw" => CellKind.Raw,
                    null => throw new NotebookFormatException(where, $"cell {number} has no \"cell_type\""),
                    _ => throw new NotebookFormatException(where, $"cell {number} has an unknown cell_type '{type}'"),
                });
            }
            return kinds;
        }
    }

    /// <summary>The first line of an exception message, without System.Text.Json's " Path: … LineNumber: …" tail.</summary>
    static string Brief(string message)
    {
        var nl = message.IndexOfAny(['\r', '\n']);
        if (nl >= 0) message = message[..nl];
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return message.Trim().TrimEnd(':');
    }
}
