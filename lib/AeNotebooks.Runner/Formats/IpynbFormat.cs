using System.Text.Json;
using System.Text.Json.Nodes;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Formats;

/// <summary>
/// nbformat 4 with the metadata Polyglot Notebooks writes: <c>kernelspec</c> <c>.net-csharp</c>,
/// <c>polyglot_notebook.kernelInfo</c>, and per code cell <c>dotnet_interactive.language</c> and
/// <c>polyglot_notebook.kernelName</c>. Written as VS Code writes it (JSON.stringify, indent 1, sorted keys
/// for what the runner adds), keeping whatever layout the file had.
/// </summary>
public static class IpynbFormat
{
    public static Notebook Read(string text, string? path)
    {
        var where = path ?? "notebook";
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            var at = e.LineNumber is { } line ? $" (line {line + 1}, column {e.BytePositionInLine + 1})" : "";
            throw new NotebookFormatException(where, $"not valid JSON{at}: {FirstSentence(e.Message)}", e);
        }
        if (root is not JsonObject obj) throw new NotebookFormatException(where, "not a notebook: the JSON document is not an object");
        try
        {
            _ = obj.Count; // materialise: duplicate keys throw here
        }
        catch (ArgumentException e)
        {
            throw new NotebookFormatException(where, "not valid JSON: " + e.Message, e);
        }

        var nbformat = JsonText.GetInt(obj["nbformat"]);
        if (nbformat is null) throw new NotebookFormatException(where, "not a notebook: \"nbformat\" is missing");
        if (nbformat != 4) throw new NotebookFormatException(where, $"nbformat {nbformat} is not supported (the runner reads nbformat 4)");
        if (obj["cells"] is not JsonArray cells) throw new NotebookFormatException(where, "not a notebook: \"cells\" is missing or not an array");

        var nb = new Notebook
        {
            Path = path,
            Format = NotebookFormat.Ipynb,
            IpynbRoot = obj,
            NewLine = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n",
            TrailingNewLine = text.EndsWith('\n'),
            Indent = DetectIndent(text),
        };
        nb.DefaultKernelName = DefaultKernel(obj["metadata"] as JsonObject);

        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject c) throw new NotebookFormatException(where, $"cell {i + 1} is not a JSON object");
            nb.Cells.Add(ReadCell(c, i + 1, nb.DefaultKernelName, where));
        }
        return nb;
    }

    static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return message.Trim();
    }

    static string DetectIndent(string text)
    {
        var nl = text.IndexOf('\n');
        if (nl < 0) return " ";
        var i = nl + 1;
        var start = i;
        while (i < text.Length && (text[i] == ' ' || text[i] == '\t')) i++;
        return i > start ? text[start..i] : " ";
    }

    internal static string DefaultKernel(JsonObject? metadata)
    {
        var name = JsonText.GetString(metadata?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]);
        if (!string.IsNullOrEmpty(name)) return name;
        var spec = JsonText.GetString(metadata?["kernelspec"]?["name"]);
        return spec switch
        {
            ".net-fsharp" => "fsharp",
            ".net-pwsh" or ".net-powershell" => "pwsh",
            _ => "csharp",
        };
    }

    static NotebookCell ReadCell(JsonObject c, int number, string defaultKernel, string where)
    {
        var type = JsonText.GetString(c["cell_type"]);
        var kind = type switch
        {
            "code" => CellKind.Code,
            "markdown" => CellKind.Markdown,
            "raw" => CellKind.Raw,
            null => throw new NotebookFormatException(where, $"cell {number} has no \"cell_type\""),
            _ => throw new NotebookFormatException(where, $"cell {number} has an unknown cell_type '{type}'"),
        };
        var source = JsonText.MultilineText(c["source"]);
        var metadata = c["metadata"] as JsonObject;
        var cell = new NotebookCell
        {
            Kind = kind,
            Source = source,
            OriginalSource = source,
            Json = c,
            ExecutionCount = JsonText.GetInt(c["execution_count"]),
        };
        cell.Language = kind switch
        {
            CellKind.Markdown => "markdown",
            CellKind.Raw => "raw",
            _ => JsonText.GetString(metadata?["polyglot_notebook"]?["kernelName"])
                 ?? JsonText.GetString(metadata?["dotnet_interactive"]?["language"])
                 ?? defaultKernel,
        };
        if (metadata?["tags"] is JsonArray tags)
        {
            foreach (var t in tags) if (JsonText.GetString(t) is { } tag) cell.Tags.Add(tag);
        }
        if (c["outputs"] is JsonArray outputs)
        {
            foreach (var o in outputs) if (o is JsonObject oo) cell.Outputs.Add(ReadOutput(oo));
        }
        return cell;
    }

    static CellOutput ReadOutput(JsonObject o)
    {
        var output = new CellOutput
        {
            OutputType = JsonText.GetString(o["output_type"]) ?? CellOutput.DisplayData,
            Json = o,
            StreamName = JsonText.GetString(o["name"]),
            ExecutionCount = JsonText.GetInt(o["execution_count"]),
            EName = JsonText.GetString(o["ename"]),
            EValue = JsonText.GetString(o["evalue"]),
        };
        if (o["text"] is { } text) output.Text = JsonText.MultilineText(text);
        if (o["data"] is JsonObject data)
        {
            foreach (var (mime, value) in data)
            {
                var content = value is JsonObject or JsonArray && IsJsonMime(mime) ? value!.ToJsonString() : JsonText.MultilineText(value);
                output.Data.Add(new(mime, content));
            }
        }
        if (o["traceback"] is JsonArray tb)
        {
            foreach (var line in tb) output.Traceback.Add(JsonText.GetString(line) ?? "");
        }
        return output;
    }

    internal static bool IsJsonMime(string mime) =>
        mime == "application/json" || mime.EndsWith("+json", StringComparison.Ordinal);

    public static string Write(Notebook nb)
    {
        var root = nb.Format == NotebookFormat.Ipynb && nb.IpynbRoot is not null
            ? (JsonObject)nb.IpynbRoot.DeepClone()
            : NewRoot(nb);
        var cells = new JsonArray();
        foreach (var cell in nb.Cells) cells.Add(CellJson(cell));
        root["cells"] = cells;
        if (nb.RunMetadata is not null)
        {
            if (root["metadata"] is not JsonObject md)
            {
                md = new JsonObject();
                JsonText.SetSorted(root, "metadata", md);
            }
            JsonText.SetSorted(md, "aenotebooks", nb.RunMetadata.DeepClone());
        }
        var newLine = nb.Format == NotebookFormat.Ipynb ? nb.NewLine : "\n";
        var text = JsonText.Write(root, nb.Format == NotebookFormat.Ipynb ? nb.Indent : " ", newLine);
        var trailing = nb.Format != NotebookFormat.Ipynb || nb.TrailingNewLine;
        return trailing ? text + newLine : text;
    }

    static JsonObject NewRoot(Notebook nb)
    {
        JsonNode kernelInfo;
        if (nb.DibMeta is not null && TryParse(nb.DibMeta.Body) is JsonObject meta && meta["kernelInfo"] is JsonObject ki)
        {
            kernelInfo = Sorted(ki.DeepClone())!;
        }
        else
        {
            kernelInfo = new JsonObject
            {
                ["defaultKernelName"] = nb.DefaultKernelName,
                ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = nb.DefaultKernelName }),
            };
        }
        return new JsonObject
        {
            ["cells"] = new JsonArray(),
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject
                {
                    ["display_name"] = ".NET (C#)",
                    ["language"] = "C#",
                    ["name"] = ".net-csharp",
                },
                ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
                ["polyglot_notebook"] = new JsonObject { ["kernelInfo"] = kernelInfo },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
    }

    static JsonNode? TryParse(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return null; }
    }

    /// <summary>A copy with keys sorted recursively, as VS Code writes notebook JSON.</summary>
    static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value?.DeepClone())))),
        JsonArray a => new JsonArray(a.Select(n => Sorted(n?.DeepClone())).ToArray()),
        _ => node,
    };

    static JsonObject CellJson(NotebookCell cell)
    {
        var obj = cell.Json is not null ? (JsonObject)cell.Json.DeepClone() : NewCellJson(cell);
        if (cell.Source != cell.OriginalSource || cell.Json is null) obj["source"] = JsonText.SplitLines(cell.Source);
        if (cell.Kind == CellKind.Code && (cell.OutputsChanged || cell.Json is null))
        {
            JsonText.SetSorted(obj, "execution_count", cell.ExecutionCount is { } n ? JsonValue.Create(n) : null);
            var outputs = new JsonArray();
            foreach (var o in cell.Outputs) outputs.Add(OutputJson(o));
            JsonText.SetSorted(obj, "outputs", outputs);
        }
        if (cell.RunMetadata is not null)
        {
            if (obj["metadata"] is not JsonObject md)
            {
                md = new JsonObject();
                JsonText.SetSorted(obj, "metadata", md);
            }
            JsonText.SetSorted(md, "aenotebooks", cell.RunMetadata.DeepClone());
        }
        return obj;
    }

    static JsonObject NewCellJson(NotebookCell cell)
    {
        if (cell.Kind == CellKind.Code)
        {
            return new JsonObject
            {
                ["cell_type"] = "code",
                ["execution_count"] = null,
                ["metadata"] = new JsonObject
                {
                    ["dotnet_interactive"] = new JsonObject { ["language"] = cell.Language },
                    ["polyglot_notebook"] = new JsonObject { ["kernelName"] = cell.Language },
                },
                ["outputs"] = new JsonArray(),
                ["source"] = new JsonArray(),
            };
        }
        var md = new JsonObject();
        if (cell.Tags.Count > 0) md["tags"] = new JsonArray(cell.Tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        return new JsonObject
        {
            ["cell_type"] = cell.Kind == CellKind.Markdown ? "markdown" : "raw",
            ["metadata"] = md,
            ["source"] = new JsonArray(),
        };
    }

    internal static JsonNode OutputJson(CellOutput o)
    {
        if (o.Json is not null) return o.Json.DeepClone();
        switch (o.OutputType)
        {
            case CellOutput.Stream:
                return new JsonObject
                {
                    ["name"] = o.StreamName ?? "stdout",
                    ["output_type"] = "stream",
                    ["text"] = JsonText.SplitLines(o.Text ?? ""),
                };
            case CellOutput.Error:
                return new JsonObject
                {
                    ["ename"] = o.EName ?? "Error",
                    ["evalue"] = o.EValue ?? "",
                    ["output_type"] = "error",
                    ["traceback"] = new JsonArray(o.Traceback.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
                };
            default:
                var data = new JsonObject();
                foreach (var (mime, content) in o.Data.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    JsonNode? value = null;
                    if (IsJsonMime(mime)) value = TryParse(content);
                    value ??= mime.StartsWith("image/", StringComparison.Ordinal) && mime != "image/svg+xml"
                        ? JsonValue.Create(content)
                        : JsonText.SplitLines(content);
                    data[mime] = value;
                }
                var result = new JsonObject { ["data"] = data };
                if (o.OutputType == CellOutput.ExecuteResult) result["execution_count"] = o.ExecutionCount is { } n ? JsonValue.Create(n) : null;
                result["metadata"] = new JsonObject();
                result["output_type"] = o.OutputType;
                return result;
        }
    }
}
