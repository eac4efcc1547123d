using System.Net;
using System.Text;

namespace AeNotebooks.Rendering;

/// <summary>
/// Marks a type whose values render themselves. .NET Interactive finds formatters by this
/// attribute's *name* (not its assembly), so declaring it here lets our types render in VS Code
/// Polyglot Notebooks and in the suite's runner without referencing either.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>A value that can show itself as HTML and as plain text.</summary>
public interface IRenderable
{
    /// <summary>An HTML fragment (no &lt;html&gt; wrapper).</summary>
    string ToHtml();
    /// <summary>A plain-text rendering for consoles and logs.</summary>
    string ToText();
}

/// <summary>A renderable that is also a raster picture (image/png).</summary>
public interface IPngRenderable : IRenderable
{
    /// <summary>The PNG file's bytes.</summary>
    byte[] ToPng();
}

/// <summary>
/// A renderable whose HTML shows a chart (a training run, a learning-rate range test): in a notebook kernel its output also
/// carries that chart's static picture (image/png), as a chart's own output does.
/// </summary>
public interface IChartRenderable : IRenderable
{
    Plotly.NET.GenericChart Chart { get; }
}

/// <summary>One formatter in .NET Interactive's convention: MimeType, Type, Format(object, TextWriter).</summary>
public sealed class RenderableFormatter(string mimeType) 
{
    public const string Html = "text/html", PlainText = "text/plain", Png = "image/png";

    public string MimeType { get; } = mimeType;
    public Type Type => MimeType == Png ? typeof(IPngRenderable) : typeof(IRenderable);

    public bool Format(object instance, TextWriter writer)
    {
        switch (MimeType, instance)
        {
            case (Html, IRenderable r): writer.Write(r.ToHtml()); return true;
            // notebooks store binary outputs as base64 text, as Jupyter does
            case (Png, IPngRenderable p): writer.Write(Convert.ToBase64String(p.ToPng())); return true;
            case (PlainText, IRenderable r): writer.Write(r.ToText()); return true;
            default: return false;
        }
    }
}

/// <summary>The formatter source named by [TypeFormatterSource] on every renderable type.</summary>
public sealed class RenderableFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters() =>
    [
        new RenderableFormatter(RenderableFormatter.Html),
        new RenderableFormatter(RenderableFormatter.Png), new RenderableFormatter(RenderableFormatter.PlainText),
    ];
}

/// <summary>A small table with a caption that renders as HTML or aligned text.</summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed class Table : IRenderable
{
    public string? Caption { get; }
    public IReadOnlyList<string> Columns { get; }
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }

    public Table(string? caption, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        Caption = caption;
        Columns = columns;
        Rows = rows.ToList();
        foreach (var row in Rows)
            if (row.Count != columns.Count)
                throw new ArgumentException($"table '{caption}': a row has {row.Count} cells, the header has {columns.Count}");
    }

    public string ToHtml()
    {
        var sb = new StringBuilder("<table class=\"aen-table\">");
        if (Caption != null) sb.Append("<caption>").Append(WebUtility.HtmlEncode(Caption)).Append("</caption>");
        sb.Append("<thead><tr>");
        foreach (var c in Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in Rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    public string ToText()
    {
        var widths = Columns.Select((c, i) => Math.Max(c.Length, Rows.Count == 0 ? 0 : Rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        if (Caption != null) sb.AppendLine(Caption);
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
        sb.AppendLine(Line(Columns));
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in Rows) sb.AppendLine(Line(row));
        return sb.ToString().TrimEnd();
    }

    public override string ToString() => ToText();
}
