using System.Globalization;

// Types for the formatters fixture notebooks: they carry formatters by .NET Interactive's convention, with the
// attribute declared here (matched by name), exactly as the helper library does it.
namespace AeNotebooks.Runner.Tests.FormatterFixtures;

[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = true)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;
    public string[]? PreferredMimeTypes { get; set; }
}

[TypeFormatterSource(typeof(ScoreFormatterSource))]
public class Score(double value, string label)
{
    public double Value { get; } = value;
    public string Label { get; } = label;
}

public sealed class DerivedScore(double value, string label) : Score(value, label);

[TypeFormatterSource(typeof(ChartFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class HtmlOnlyChart(string title)
{
    public string Title { get; } = title;
}

[TypeFormatterSource(typeof(DecliningFormatterSource))]
public sealed class Declined(string text)
{
    public override string ToString() => text;
}

internal sealed class ScoreFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new DelegateFormatter("text/html", (o, w) =>
        {
            if (o is not Score s) return false;
            w.Write($"<b>{s.Label}</b>: {s.Value.ToString("0.00", CultureInfo.InvariantCulture)}");
            return true;
        });
        yield return new DelegateFormatter("text/plain", (o, w) =>
        {
            if (o is not Score s) return false;
            w.Write($"{s.Label} = {s.Value.ToString("0.00", CultureInfo.InvariantCulture)}");
            return true;
        });
    }
}

internal sealed class ChartFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new DelegateFormatter("text/html", (o, w) => { w.Write($"<div class=\"chart\">{((HtmlOnlyChart)o).Title}</div>"); return true; });
        yield return new DelegateFormatter("text/plain", (o, w) => { w.Write("chart (plain)"); return true; });
    }
}

internal sealed class DecliningFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new DelegateFormatter("text/html", (_, _) => false);
    }
}

internal sealed class DelegateFormatter(string mimeType, Func<object, TextWriter, bool> format)
{
    public string MimeType { get; } = mimeType;
    public bool Format(object instance, TextWriter writer) => format(instance, writer);
}
