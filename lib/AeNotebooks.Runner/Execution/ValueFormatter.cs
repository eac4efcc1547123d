using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace AeNotebooks.Runner.Execution;

/// <summary>
/// Turns a value into mime-typed outputs the way .NET Interactive does for libraries that do not reference
/// it: an attribute whose type is <em>named</em> <c>TypeFormatterSourceAttribute</c> on the value's type names a
/// <c>FormatterSourceType</c>; that type's <c>CreateTypeFormatters()</c> returns objects with a <c>MimeType</c>
/// property and a <c>bool Format(object, TextWriter)</c> method (an optional <c>Type</c> property narrows what
/// they format, and the attribute's optional <c>PreferredMimeTypes</c> chooses which mime types are emitted).
/// Without a formatter the value is shown as text/plain.
/// </summary>
public static class ValueFormatter
{
    public const string PlainText = "text/plain";
    public const string Html = "text/html";

    sealed record ConventionFormatter(string MimeType, Type? FormattedType, object Instance, MethodInfo Format);

    sealed record TypeFormatters(IReadOnlyList<ConventionFormatter> Formatters, IReadOnlyList<string>? PreferredMimeTypes);

    static readonly ConcurrentDictionary<Type, TypeFormatters> Cache = new();

    /// <summary>Formats <paramref name="value"/>; with <paramref name="mimeTypes"/> only those mime types are produced.</summary>
    public static List<KeyValuePair<string, string>> Format(object? value, IReadOnlyList<string>? mimeTypes = null)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (value is null)
        {
            result.Add(new(PlainText, "<null>"));
            return result;
        }
        if (value is HtmlContent html)
        {
            result.Add(new(Html, html.Html));
            if (mimeTypes?.Contains(PlainText) == true) result.Add(new(PlainText, html.Html));
            return result;
        }

        var formatters = FormattersFor(value.GetType());
        IEnumerable<string> wanted = mimeTypes is { Count: > 0 }
            ? mimeTypes
            : formatters.PreferredMimeTypes is { Count: > 0 } preferred
                ? preferred
                : formatters.Formatters.Select(f => f.MimeType).Distinct(StringComparer.Ordinal);

        foreach (var mime in wanted.Distinct(StringComparer.Ordinal))
        {
            var text = TryConvention(formatters, mime, value);
            if (text is null && mimeTypes is { Count: > 0 })
            {
                // explicitly requested: a string is the content itself (display("<b>x</b>", "text/html"))
                text = value is string s ? s : mime == PlainText ? ToPlainText(value) : null;
            }
            if (text is not null) result.Add(new(mime, text));
        }
        if (result.Count == 0) result.Add(new(PlainText, ToPlainText(value)));
        return result;
    }

    static string? TryConvention(TypeFormatters formatters, string mime, object value)
    {
        foreach (var f in formatters.Formatters)
        {
            if (f.MimeType != mime) continue;
            if (f.FormattedType is { } t && !t.IsInstanceOfType(value)) continue;
            var writer = new StringWriter(CultureInfo.InvariantCulture);
            object? ok;
            try
            {
                ok = f.Format.Invoke(f.Instance, [value, writer]);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new InvalidOperationException(
                    $"The {mime} formatter {f.Instance.GetType().FullName} for {value.GetType().FullName} threw: {e.InnerException.Message}",
                    e.InnerException);
            }
            if (ok is false) continue;
            return writer.ToString();
        }
        return null;
    }

    static TypeFormatters FormattersFor(Type type) => Cache.GetOrAdd(type, Discover);

    static TypeFormatters Discover(Type type)
    {
        var list = new List<ConventionFormatter>();
        List<string>? preferred = null;
        object[] attributes;
        try
        {
            attributes = type.GetCustomAttributes(inherit: true);
        }
        catch (Exception)
        {
            return new TypeFormatters(list, null);
        }
        foreach (var attr in attributes)
        {
            var attrType = attr.GetType();
            if (attrType.Name != "TypeFormatterSourceAttribute") continue;
            if (attrType.GetProperty("FormatterSourceType")?.GetValue(attr) is not Type sourceType) continue;
            if (attrType.GetProperty("PreferredMimeTypes")?.GetValue(attr) is string[] { Length: > 0 } mimes)
            {
                preferred ??= new List<string>();
                preferred.AddRange(mimes);
            }
            var source = Activator.CreateInstance(sourceType, nonPublic: true);
            if (source is null) continue;
            var create = sourceType.GetMethod("CreateTypeFormatters", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
            if (create?.Invoke(source, null) is not IEnumerable created) continue;
            foreach (var formatter in created)
            {
                if (formatter is null) continue;
                var ft = formatter.GetType();
                if (ft.GetProperty("MimeType")?.GetValue(formatter) is not string mime) continue;
                var format = ft.GetMethod("Format", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [typeof(object), typeof(TextWriter)]);
                if (format is null) continue;
                var formattedType = ft.GetProperty("Type")?.GetValue(formatter) as Type;
                list.Add(new ConventionFormatter(mime, formattedType, formatter, format));
            }
        }
        return new TypeFormatters(list, preferred);
    }

    /// <summary>The text/plain rendering: strings as they are, numbers invariant, sequences as [ a, b, … ].</summary>
    public static string ToPlainText(object? value, int depth = 0)
    {
        switch (value)
        {
            case null: return "<null>";
            case string s: return s;
            case char c: return c.ToString();
            case bool b: return b ? "True" : "False";
            case HtmlContent h: return h.Html;
            case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
            case Type t: return t.ToString();
        }
        if (value is IEnumerable seq && depth < 2)
        {
            var sb = new StringBuilder("[ ");
            var n = 0;
            foreach (var item in seq)
            {
                if (n == 20)
                {
                    sb.Append(", … (more)");
                    break;
                }
                if (n > 0) sb.Append(", ");
                sb.Append(ToPlainText(item, depth + 1));
                n++;
            }
            return n == 0 ? "[ ]" : sb.Append(" ]").ToString();
        }
        var text = value.ToString() ?? "";
        var type = value.GetType();
        if (depth < 1 && text == type.ToString())
        {
            // no ToString of its own: list public properties, as the C# kernel's plain text formatter does
            var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).Take(20).ToList();
            if (props.Count == 0) return text;
            var sb = new StringBuilder(type.Name).Append(" { ");
            for (var i = 0; i < props.Count; i++)
            {
                if (i > 0) sb.Append(", ");
                object? v;
                try { v = props[i].GetValue(value); }
                catch (Exception e) { v = $"<{e.GetType().Name}>"; }
                sb.Append(props[i].Name).Append(": ").Append(ToPlainText(v, depth + 1));
            }
            return sb.Append(" }").ToString();
        }
        return text;
    }
}
