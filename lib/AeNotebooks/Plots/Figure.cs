using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AeNotebooks.Rendering;

namespace AeNotebooks.Plotting;

/// <summary>
/// A plotly.js figure built from typed C#: traces, a layout and a config, serialised with System.Text.Json to
/// plotly.js's own schema (<c>{"data": [...], "layout": {...}, "config": {...}}</c>). Renders as an HTML fragment
/// that draws it with plotly.js, and as a static SVG drawn here for viewers that run no scripts.
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "image/svg+xml", "text/plain"])]
public sealed class Figure : ISvgRenderable
{
    [JsonPropertyName("data")] public List<Trace> Data { get; } = new();
    [JsonPropertyName("layout")] public Layout Layout { get; } = new();
    [JsonPropertyName("config")] public PlotConfig Config { get; } = new();

    /// <summary>The id of the chart's div, unique per figure so that several charts can share a page.</summary>
    [JsonIgnore] public string Id { get; } = "aen-plot-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>One line per trace for <see cref="ToText"/>; builders add a short summary here.</summary>
    [JsonIgnore] public List<string> Notes { get; } = new();

    public Figure Add(Trace trace) { Data.Add(trace); return this; }

    /// <summary>The figure as plotly.js JSON (non-finite numbers become null, which plotly draws as gaps).</summary>
    public string ToJson(bool indented = false) =>
        JsonSerializer.Serialize(this, indented ? PlotlyJson.Indented : PlotlyJson.Options);

    public string ToHtml() => FigureHtml.Fragment(this);
    public string ToSvg() => SvgRenderer.Render(this);

    /// <summary>A standalone page (plotly.js from <paramref name="plotlySrc"/>, the CDN by default).</summary>
    public string ToHtmlPage(string? plotlySrc = null) => FigureHtml.Page(this, plotlySrc);

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.Append(PlainTitle(Layout.Title?.Text) ?? "figure").Append(" (").Append(Data.Count).Append(Data.Count == 1 ? " trace" : " traces").Append(')');
        foreach (var t in Data.Where(t => t.Name is not null && t.ShowLegend != false)) sb.AppendLine().Append("  ").Append(t.Describe());
        foreach (var n in Notes) sb.AppendLine().Append("  ").Append(n);
        return sb.ToString();
    }

    static string? PlainTitle(string? title) => title is null ? null
        : System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(title.Replace("<br>", " — "), "<[^>]*>", ""));

    public override string ToString() => ToText();
}

/// <summary>A plotly.js trace; the JSON discriminator is plotly's own <c>type</c> field.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Scatter), "scatter")]
[JsonDerivedType(typeof(Bar), "bar")]
[JsonDerivedType(typeof(Heatmap), "heatmap")]
public abstract class Trace
{
    public string? Name { get; set; }
    public bool? ShowLegend { get; set; }
    public string? LegendGroup { get; set; }
    /// <summary>The x axis this trace is drawn on: "x", "x2", …</summary>
    public string? XAxis { get; set; }
    public string? YAxis { get; set; }
    public double[]? X { get; set; }
    public double[]? Y { get; set; }
    public string[]? Text { get; set; }
    public string? HoverTemplate { get; set; }
    public double? Opacity { get; set; }

    internal string XId => XAxis ?? "x";
    internal string YId => YAxis ?? "y";

    internal virtual string Describe() =>
        $"{Name}: {X?.Length ?? 0} points" + (Y is { Length: > 0 } y && y.Any(double.IsFinite)
            ? $", y from {Fmt(y.Where(double.IsFinite).Min())} to {Fmt(y.Where(double.IsFinite).Max())}" : "");

    internal static string Fmt(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>Lines and/or markers (plotly's scatter).</summary>
public sealed class Scatter : Trace
{
    /// <summary>"lines", "markers" or "lines+markers".</summary>
    public string Mode { get; set; } = "lines";
    public Line? Line { get; set; }
    public Marker? Marker { get; set; }
    public bool? ConnectGaps { get; set; }
}

/// <summary>Bars at X with heights Y (histograms are binned here and drawn as bars).</summary>
public sealed class Bar : Trace
{
    /// <summary>Bar width in x units.</summary>
    public double? Width { get; set; }
    public Marker? Marker { get; set; }
}

/// <summary>A grid of coloured cells: Z[row][column] at (X[column], Y[row]).</summary>
public sealed class Heatmap : Trace
{
    public double[][]? Z { get; set; }
    public ColorScale? ColorScale { get; set; }
    public double? ZMin { get; set; }
    public double? ZMax { get; set; }
    public bool? ShowScale { get; set; }
    public ColorBar? ColorBar { get; set; }

    internal override string Describe() => $"{Name}: {Z?.Length ?? 0} × {Z?.FirstOrDefault()?.Length ?? 0} cells";
}

public sealed class Line
{
    public string? Color { get; set; }
    public double? Width { get; set; }
    /// <summary>"solid", "dot", "dash", "dashdot" or "longdash".</summary>
    public string? Dash { get; set; }
}

public sealed class Marker
{
    public string? Color { get; set; }
    public double? Size { get; set; }
    /// <summary>"circle", "square", "diamond", "x", "triangle-up".</summary>
    public string? Symbol { get; set; }
    public double? Opacity { get; set; }
    public Line? Line { get; set; }
}

public sealed class ColorBar
{
    public ColorBarTitle? Title { get; set; }
    public double? Thickness { get; set; }
    public double? Len { get; set; }
    public double? X { get; set; }
    public double? Y { get; set; }
    public string? YAnchor { get; set; }
}

public sealed class ColorBarTitle
{
    public string? Text { get; set; }
    /// <summary>"right", "top" or "bottom".</summary>
    public string? Side { get; set; }
}

/// <summary>Colour stops from 0 to 1, serialised as plotly's <c>[[0, "#440154"], …, [1, "#fde725"]]</c>.</summary>
[JsonConverter(typeof(ColorScaleConverter))]
public sealed record ColorScale(IReadOnlyList<(double Position, string Color)> Stops)
{
    /// <summary>The colour at <paramref name="t"/> in [0, 1], interpolated in RGB between stops.</summary>
    public (byte R, byte G, byte B) At(double t)
    {
        if (double.IsNaN(t)) t = 0;
        t = Math.Clamp(t, 0, 1);
        for (int i = 1; i < Stops.Count; i++)
        {
            if (t > Stops[i].Position && i < Stops.Count - 1) continue;
            var (p0, c0) = Stops[i - 1];
            var (p1, c1) = Stops[i];
            double f = p1 > p0 ? Math.Clamp((t - p0) / (p1 - p0), 0, 1) : 0;
            var a = Palette.Rgb(c0);
            var b = Palette.Rgb(c1);
            return ((byte)Math.Round(a.R + (b.R - a.R) * f), (byte)Math.Round(a.G + (b.G - a.G) * f), (byte)Math.Round(a.B + (b.B - a.B) * f));
        }
        return Palette.Rgb(Stops[^1].Color);
    }
}

sealed class ColorScaleConverter : JsonConverter<ColorScale>
{
    public override ColorScale Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var stops = new List<(double, string)>();
        using var doc = JsonDocument.ParseValue(ref reader);
        foreach (var stop in doc.RootElement.EnumerateArray()) stops.Add((stop[0].GetDouble(), stop[1].GetString() ?? "#000"));
        return new ColorScale(stops);
    }

    public override void Write(Utf8JsonWriter writer, ColorScale value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var (position, color) in value.Stops)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(position);
            writer.WriteStringValue(color);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }
}

public sealed class Font
{
    public string? Family { get; set; }
    public double? Size { get; set; }
    public string? Color { get; set; }
}

public sealed class Title
{
    public string? Text { get; set; }
    public Font? Font { get; set; }
    /// <summary>Position in paper fractions.</summary>
    public double? X { get; set; }
    public string? XAnchor { get; set; }
    public double? Y { get; set; }
    public string? YAnchor { get; set; }
    public string? XRef { get; set; }
}

public sealed class AxisTitle
{
    public string? Text { get; set; }
    public Font? Font { get; set; }
    public double? Standoff { get; set; }
}

public sealed class Margin
{
    public double? L { get; set; }
    public double? R { get; set; }
    public double? T { get; set; }
    public double? B { get; set; }
    public double? Pad { get; set; }
}

public sealed class Legend
{
    /// <summary>"v" or "h".</summary>
    public string? Orientation { get; set; }
    public double? X { get; set; }
    public double? Y { get; set; }
    public string? XAnchor { get; set; }
    public string? YAnchor { get; set; }
    public string? BgColor { get; set; }
    public string? BorderColor { get; set; }
    public double? BorderWidth { get; set; }
    public Font? Font { get; set; }
}

public sealed class Axis
{
    public AxisTitle? Title { get; set; }
    /// <summary>"linear" or "log".</summary>
    public string? Type { get; set; }
    /// <summary>[low, high]; for log axes in log10 units, as plotly.js expects.</summary>
    public double[]? Range { get; set; }
    /// <summary>The part of the plotting area this axis spans, [from, to] in fractions.</summary>
    public double[]? Domain { get; set; }
    /// <summary>The opposite axis this one is drawn against ("y2" for "xaxis2").</summary>
    public string? Anchor { get; set; }
    /// <summary>Another axis id whose range this axis shares.</summary>
    public string? Matches { get; set; }
    /// <summary>Distance between ticks (linear axes), e.g. 1 for whole epochs.</summary>
    public double? DTick { get; set; }
    public bool? ShowGrid { get; set; }
    public string? GridColor { get; set; }
    public bool? ZeroLine { get; set; }
    public bool? ShowLine { get; set; }
    public string? LineColor { get; set; }
    public double? LineWidth { get; set; }
    /// <summary>"outside", "inside" or "".</summary>
    public string? Ticks { get; set; }
    public string? TickColor { get; set; }
    public double? TickLen { get; set; }
    public Font? TickFont { get; set; }
    public bool? ShowTickLabels { get; set; }
    public string? ExponentFormat { get; set; }
    public bool? AutoMargin { get; set; }
    /// <summary>"normal" or "tozero".</summary>
    public string? RangeMode { get; set; }

    [JsonIgnore] public bool IsLog => Type == "log";
}

/// <summary>Text placed in data coordinates (xref "x", "x2", …) or paper fractions (xref "paper").</summary>
public sealed class Annotation
{
    public string? Text { get; set; }
    public double X { get; set; }
    public double Y { get; set; }
    public string XRef { get; set; } = "paper";
    public string YRef { get; set; } = "paper";
    public string? XAnchor { get; set; }
    public string? YAnchor { get; set; }
    public bool ShowArrow { get; set; }
    public Font? Font { get; set; }
    public string? BgColor { get; set; }
    public string? Align { get; set; }
}

/// <summary>A line or rectangle in data or paper coordinates.</summary>
public sealed class Shape
{
    /// <summary>"line" or "rect".</summary>
    public string Type { get; set; } = "line";
    public string XRef { get; set; } = "x";
    public string YRef { get; set; } = "y";
    public double X0 { get; set; }
    public double X1 { get; set; }
    public double Y0 { get; set; }
    public double Y1 { get; set; }
    public Line? Line { get; set; }
    public string? FillColor { get; set; }
    public double? Opacity { get; set; }
    /// <summary>"below" draws under the traces.</summary>
    public string? Layer { get; set; }
}

public sealed class Layout
{
    public Title? Title { get; set; }
    public double Width { get; set; } = 700;
    public double Height { get; set; } = 400;
    public Font? Font { get; set; }
    public Margin? Margin { get; set; }
    [JsonPropertyName("paper_bgcolor")] public string? PaperBgColor { get; set; }
    [JsonPropertyName("plot_bgcolor")] public string? PlotBgColor { get; set; }
    public bool? ShowLegend { get; set; }
    public Legend? Legend { get; set; }
    /// <summary>"overlay", "group" or "stack".</summary>
    public string? BarMode { get; set; }
    public double? BarGap { get; set; }
    /// <summary>"closest", "x", "x unified".</summary>
    public string? HoverMode { get; set; }
    public List<Annotation>? Annotations { get; set; }
    public List<Shape>? Shapes { get; set; }

    /// <summary>
    /// The axes under plotly's keys ("xaxis", "yaxis", "xaxis2", …); use <see cref="XAxis"/> and <see cref="YAxis"/>.
    /// </summary>
    [JsonExtensionData] public Dictionary<string, object> AxisEntries { get; set; } = new();

    /// <summary>The x axis with index <paramref name="i"/> (1 = "xaxis", 2 = "xaxis2"), created when missing.</summary>
    public Axis XAxis(int i = 1) => GetAxis(i == 1 ? "xaxis" : $"xaxis{i}");

    public Axis YAxis(int i = 1) => GetAxis(i == 1 ? "yaxis" : $"yaxis{i}");

    /// <summary>The axis a trace refers to by id ("x", "y2", …), or null when the layout has none.</summary>
    public Axis? AxisById(string id)
    {
        var key = id[..1] + "axis" + id[1..];
        return AxisEntries.TryGetValue(key, out var a) ? a as Axis : null;
    }

    Axis GetAxis(string key)
    {
        if (AxisEntries.TryGetValue(key, out var existing) && existing is Axis a) return a;
        var axis = new Axis();
        AxisEntries[key] = axis;
        return axis;
    }

    public Layout Annotate(Annotation a) { (Annotations ??= new()).Add(a); return this; }
    public Layout AddShape(Shape s) { (Shapes ??= new()).Add(s); return this; }
}

/// <summary>plotly.js's config (the third argument of Plotly.newPlot).</summary>
public sealed class PlotConfig
{
    [JsonPropertyName("responsive")] public bool? Responsive { get; set; }
    [JsonPropertyName("displaylogo")] public bool? DisplayLogo { get; set; } = false;
    [JsonPropertyName("displayModeBar")] public bool? DisplayModeBar { get; set; }
    [JsonPropertyName("modeBarButtonsToRemove")] public string[]? ModeBarButtonsToRemove { get; set; } = ["select2d", "lasso2d"];
    [JsonPropertyName("toImageButtonOptions")] public ImageButtonOptions? ToImageButtonOptions { get; set; } = new();
}

public sealed class ImageButtonOptions
{
    [JsonPropertyName("format")] public string Format { get; set; } = "png";
    [JsonPropertyName("filename")] public string? Filename { get; set; }
    [JsonPropertyName("scale")] public double Scale { get; set; } = 2;
}

/// <summary>The serializer settings for plotly.js JSON.</summary>
public static class PlotlyJson
{
    public static JsonSerializerOptions Options { get; } = Create(false);
    public static JsonSerializerOptions Indented { get; } = Create(true);

    static JsonSerializerOptions Create(bool indented)
    {
        var o = new JsonSerializerOptions
        {
            // plotly's attribute names are lower-case words run together: showlegend, hovertemplate, xanchor
            PropertyNamingPolicy = new LowerCaseNamingPolicy(),
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = indented,
        };
        o.Converters.Add(new PlotlyNumberConverter());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    sealed class LowerCaseNamingPolicy : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name.ToLowerInvariant();
    }
}

/// <summary>
/// Numbers for plotly.js: NaN and ±∞ (which JSON cannot hold) become null, which plotly draws as a gap; values
/// that came from float32 are written in float32's shortest form (0.1, not 0.10000000149011612).
/// </summary>
sealed class PlotlyNumberConverter : JsonConverter<double>
{
    public override bool HandleNull => true;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (!double.IsFinite(value)) { writer.WriteNullValue(); return; }
        float f = (float)value;
        if (f == value && float.IsFinite(f)) writer.WriteRawValue(f.ToString("R", CultureInfo.InvariantCulture));
        else writer.WriteNumberValue(value);
    }
}
