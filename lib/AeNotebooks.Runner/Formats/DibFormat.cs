using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Formats;

/// <summary>
/// Polyglot Notebooks' .dib format: an optional <c>#!meta</c> section holding the kernel info as JSON, then one
/// section per cell opened by a kernel-name line (<c>#!csharp</c>, <c>#!markdown</c>, …). Only lines naming a
/// kernel split cells; other <c>#!</c> lines (<c>#!time</c>) belong to the cell. Blank lines around each section's
/// text are kept as read, so a file is written back byte for byte.
/// </summary>
public static class DibFormat
{
    static readonly string[] KnownKernels =
    [
        "csharp", "c#", "C#", "cs", "fsharp", "f#", "F#", "fs", "pwsh", "powershell", "javascript", "js",
        "html", "sql", "kql", "mermaid", "http", "markdown", "md", "value", "python", "r",
    ];

    public static Notebook Read(string text, string? path)
    {
        var where = path ?? "notebook";
        var nb = new Notebook { Path = path, Format = NotebookFormat.Dib };
        var kernels = new HashSet<string>(KnownKernels, StringComparer.Ordinal);

        // Split into lines keeping their terminators.
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lines.Add(text[start..(i + 1)]);
                start = i + 1;
            }
        }
        if (start < text.Length) lines.Add(text[start..]);

        string? header = null;
        var body = new StringBuilder();
        var sections = new List<(string? Header, string Body)>();
        foreach (var line in lines)
        {
            var name = HeaderName(line);
            var isHeader = name is not null &&
                           (kernels.Contains(name) || (name == "meta" && sections.Count == 0 && header is null && string.IsNullOrWhiteSpace(body.ToString())));
            if (!isHeader)
            {
                body.Append(line);
                continue;
            }
            if (header is not null || body.Length > 0)
            {
                sections.Add((header, body.ToString()));
                // the #!meta section names the kernels (and aliases) that split the rest of the file
                if (header is not null && HeaderName(header) == "meta") AddKernelNames(body.ToString(), kernels, where);
            }
            header = line;
            body.Clear();
        }
        if (header is not null || body.Length > 0) sections.Add((header, body.ToString()));

        foreach (var (h, b) in sections)
        {
            var section = Split(h, b);
            var name = h is null ? null : HeaderName(h);
            if (name == "meta")
            {
                var meta = ParseMeta(section.Body, where);
                nb.DibMeta = section;
                if (JsonText.GetString(meta["kernelInfo"]?["defaultKernelName"]) is { Length: > 0 } dk) nb.DefaultKernelName = dk;
                continue;
            }
            if (name is null && section.Body.Length == 0)
            {
                nb.DibPreamble = b; // whitespace before the first header
                continue;
            }
            var language = Canonical(name ?? nb.DefaultKernelName);
            var cell = new NotebookCell
            {
                Kind = language == "markdown" ? CellKind.Markdown : CellKind.Code,
                Language = language,
                Source = section.Body,
                OriginalSource = section.Body,
                Dib = section,
            };
            nb.Cells.Add(cell);
        }
        return nb;
    }

    static void AddKernelNames(string metaBody, HashSet<string> kernels, string where)
    {
        var meta = ParseMeta(metaBody.Trim(), where);
        if (meta["kernelInfo"]?["items"] is not JsonArray items) return;
        foreach (var item in items)
        {
            if (JsonText.GetString(item?["name"]) is { Length: > 0 } n) kernels.Add(n);
            if (item?["aliases"] is JsonArray aliases)
                foreach (var a in aliases)
                    if (JsonText.GetString(a) is { Length: > 0 } alias) kernels.Add(alias.TrimStart('#', '!'));
        }
    }

    static JsonObject ParseMeta(string body, string where)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject
                   ?? throw new NotebookFormatException(where, "the #!meta section is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new NotebookFormatException(where, "the #!meta section is not valid JSON: " + e.Message.Split(" Path:")[0], e);
        }
    }

    /// <summary>"csharp" for "#!csharp" lines (trailing whitespace allowed); null for other lines.</summary>
    static string? HeaderName(string line)
    {
        var t = line.TrimEnd('\r', '\n', ' ', '\t');
        if (!t.StartsWith("#!", StringComparison.Ordinal) || t.Length == 2) return null;
        var name = t[2..];
        return name.Any(char.IsWhiteSpace) ? null : name;
    }

    internal static string Canonical(string kernel) => kernel switch
    {
        "csharp" or "c#" or "C#" or "cs" => "csharp",
        "markdown" or "md" => "markdown",
        "fsharp" or "f#" or "F#" or "fs" => "fsharp",
        "powershell" => "pwsh",
        "js" => "javascript",
        _ => kernel,
    };

    static DibSection Split(string? header, string block)
    {
        // Gap: whole blank lines after the header line; Tail: blank text after the last non-blank line.
        var pos = 0;
        while (true)
        {
            var nl = block.IndexOf('\n', pos);
            if (nl < 0) break;
            if (!string.IsNullOrWhiteSpace(block[pos..nl])) break;
            pos = nl + 1;
        }
        var gap = block[..pos];
        var rest = block[pos..];
        var end = rest.Length;
        while (end > 0 && char.IsWhiteSpace(rest[end - 1])) end--;
        // keep trailing spaces of the last line in the body; the tail starts at its line break
        var lineEnd = end;
        while (lineEnd < rest.Length && rest[lineEnd] != '\n' && rest[lineEnd] != '\r') lineEnd++;
        if (end == 0) lineEnd = 0;
        var bodyText = rest[..lineEnd];
        var tail = rest[lineEnd..];
        return new DibSection(header, gap, tail, bodyText);
    }

    public static string Write(Notebook nb)
    {
        var sb = new StringBuilder();
        var nl = "\n";
        if (nb.Format == NotebookFormat.Dib)
        {
            sb.Append(nb.DibPreamble);
        }
        if (nb.DibMeta is { } meta)
        {
            sb.Append(meta.HeaderLine).Append(meta.Gap).Append(meta.Body).Append(meta.Tail);
        }
        else if (nb.Format != NotebookFormat.Dib)
        {
            var info = new JsonObject
            {
                ["kernelInfo"] = new JsonObject
                {
                    ["defaultKernelName"] = nb.DefaultKernelName,
                    ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = nb.DefaultKernelName }),
                },
            };
            sb.Append("#!meta").Append(nl).Append(nl).Append(info.ToJsonString()).Append(nl).Append(nl);
        }
        for (var i = 0; i < nb.Cells.Count; i++)
        {
            var cell = nb.Cells[i];
            var last = i == nb.Cells.Count - 1;
            if (cell.Dib is { } d)
            {
                if (d.HeaderLine is not null) sb.Append(d.HeaderLine);
                sb.Append(d.Gap).Append(cell.Source).Append(d.Tail);
                if (last) continue;
                // a section read last in its file may have no line break before the next header
                if (!d.Tail.EndsWith('\n') && sb.Length > 0) sb.Append(nl).Append(nl);
            }
            else
            {
                var kernel = cell.Kind switch { CellKind.Markdown => "markdown", CellKind.Raw => "raw", _ => cell.Language };
                sb.Append("#!").Append(kernel).Append(nl).Append(nl).Append(cell.Source);
                if (!last) sb.Append(nl).Append(nl);
            }
        }
        return sb.ToString();
    }
}
