using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AeNotebooks.Runner.Formats;

/// <summary>
/// Writes a <see cref="JsonNode"/> exactly the way JavaScript's <c>JSON.stringify(value, null, indent)</c> does,
/// which is how VS Code (and so Polyglot Notebooks) saves .ipynb files: property order as given, <c>": "</c>
/// separators, empty containers as <c>{}</c>/<c>[]</c>, only <c>"</c>, <c>\</c> and control characters escaped.
/// Numbers keep the text they were read with, so reading then writing a file changes nothing.
/// </summary>
public static class JsonText
{
    public static string Write(JsonNode? node, string indent = " ", string newLine = "\n")
    {
        var sb = new StringBuilder();
        WriteNode(sb, node, indent, newLine, 0);
        return sb.ToString();
    }

    static void WriteNode(StringBuilder sb, JsonNode? node, string indent, string nl, int depth)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    sb.Append(nl);
                    AppendIndent(sb, indent, depth + 1);
                    WriteString(sb, key);
                    sb.Append(": ");
                    WriteNode(sb, value, indent, nl, depth + 1);
                }
                sb.Append(nl);
                AppendIndent(sb, indent, depth);
                sb.Append('}');
                break;
            case JsonArray arr:
                if (arr.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (var i = 0; i < arr.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(nl);
                    AppendIndent(sb, indent, depth + 1);
                    WriteNode(sb, arr[i], indent, nl, depth + 1);
                }
                sb.Append(nl);
                AppendIndent(sb, indent, depth);
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    static void WriteValue(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String: WriteString(sb, element.GetString()!); return;
                case JsonValueKind.Number: sb.Append(element.GetRawText()); return;
                case JsonValueKind.True: sb.Append("true"); return;
                case JsonValueKind.False: sb.Append("false"); return;
                case JsonValueKind.Null: sb.Append("null"); return;
                default: sb.Append(element.GetRawText()); return;
            }
        }
        if (value.TryGetValue<string>(out var s)) { WriteString(sb, s); return; }
        if (value.TryGetValue<bool>(out var b)) { sb.Append(b ? "true" : "false"); return; }
        if (value.TryGetValue<int>(out var i)) { sb.Append(i.ToString(CultureInfo.InvariantCulture)); return; }
        if (value.TryGetValue<long>(out var l)) { sb.Append(l.ToString(CultureInfo.InvariantCulture)); return; }
        if (value.TryGetValue<double>(out var d))
        {
            sb.Append(double.IsFinite(d) ? FormatDouble(d) : "null");
            return;
        }
        sb.Append(value.ToJsonString());
    }

    /// <summary>Shortest round-trip form, as JavaScript prints numbers (integers without ".0").</summary>
    public static string FormatDouble(double d)
    {
        if (d == Math.Floor(d) && Math.Abs(d) < 1e21) return d.ToString("0", CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    static void AppendIndent(StringBuilder sb, string indent, int depth)
    {
        for (var i = 0; i < depth; i++) sb.Append(indent);
    }

    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsSurrogate(c))
                    {
                        // well-formed JSON.stringify: pairs stay literal, lone surrogates are escaped
                        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                        {
                            sb.Append(c).Append(s[i + 1]);
                            i++;
                        }
                        else
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Sets <paramref name="key"/>; a new key goes where sorted order puts it (VS Code sorts keys).</summary>
    public static void SetSorted(JsonObject obj, string key, JsonNode? value)
    {
        if (obj.ContainsKey(key))
        {
            obj[key] = value;
            return;
        }
        var pairs = obj.ToList();
        obj.Clear();
        var inserted = false;
        foreach (var (k, v) in pairs)
        {
            if (!inserted && string.CompareOrdinal(k, key) > 0)
            {
                obj[key] = value;
                inserted = true;
            }
            obj[k] = v;
        }
        if (!inserted) obj[key] = value;
    }

    /// <summary>Text of a string-or-array-of-strings field (nbformat's "multiline string").</summary>
    public static string MultilineText(JsonNode? node) => node switch
    {
        null => "",
        JsonArray arr => string.Concat(arr.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n?.ToJsonString() ?? "")),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.String => e.GetString()!,
        _ => node.ToJsonString(),
    };

    /// <summary>nbformat's multiline form: one string per line, each but the last ending with "\n".</summary>
    public static JsonArray SplitLines(string text)
    {
        var arr = new JsonArray();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                arr.Add(JsonValue.Create(text[start..(i + 1)]));
                start = i + 1;
            }
        }
        if (start < text.Length) arr.Add(JsonValue.Create(text[start..]));
        return arr;
    }

    public static string? GetString(JsonNode? node)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<string>(out var s)) return s;
            if (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.String) return e.GetString();
        }
        return null;
    }

    public static int? GetInt(JsonNode? node)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<int>(out var i)) return i;
            if (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var j)) return j;
        }
        return null;
    }
}
