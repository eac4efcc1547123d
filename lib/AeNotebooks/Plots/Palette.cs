using System.Globalization;

namespace AeNotebooks.Plotting;

/// <summary>The colours every chart uses, so a run, a layer or a class has the same colour throughout a notebook.</summary>
public static class Palette
{
    /// <summary>Categorical colours (Tableau 10): runs, classes, series.</summary>
    public static IReadOnlyList<string> Categorical { get; } =
        ["#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#B07AA1", "#76B7B2", "#EDC948", "#FF9DA7", "#9C755F", "#BAB0AC"];

    public static string Train => Categorical[0];
    public static string Validation => Categorical[1];
    /// <summary>NaN/∞ markers and the "it broke here" line.</summary>
    public const string Problem = "#C62828";

    public const string Text = "#24292F";
    public const string MutedText = "#57606A";
    public const string Grid = "#E8EBEF";
    public const string AxisLine = "#8C959F";
    public const string Background = "#FFFFFF";
    public const string FontFamily = "Inter, 'Segoe UI', 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif";

    /// <summary>Matplotlib's viridis as plotly.js colour-scale stops: perceptually uniform, readable in grey.</summary>
    public static IReadOnlyList<(double Position, string Color)> Viridis { get; } =
    [
        (0.0, "#440154"), (0.125, "#482878"), (0.25, "#3E4A89"), (0.375, "#31688E"), (0.5, "#26828E"),
        (0.625, "#1F9E89"), (0.75, "#35B779"), (0.875, "#6DCD59"), (1.0, "#FDE725"),
    ];

    public static string Category(int i) => Categorical[((i % Categorical.Count) + Categorical.Count) % Categorical.Count];

    /// <summary>
    /// Colour <paramref name="i"/> of <paramref name="count"/> along the network's depth: dark (first layer) to green
    /// (last), so a vanishing gradient reads as a fade along the legend. Stops before viridis's pale yellow.
    /// </summary>
    public static string Depth(int i, int count) => Hex(ViridisAt(count <= 1 ? 0.35 : 0.85 * i / (count - 1)));

    /// <summary>The colour at <paramref name="t"/> in [0, 1] on viridis, interpolated in RGB between stops.</summary>
    public static (byte R, byte G, byte B) ViridisAt(double t)
    {
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        int i = 1;
        while (i < Viridis.Count - 1 && t > Viridis[i].Position) i++;
        var (p0, c0) = Viridis[i - 1];
        var (p1, c1) = Viridis[i];
        double f = Math.Clamp((t - p0) / (p1 - p0), 0, 1);
        var (a, b) = (Rgb(c0), Rgb(c1));
        return ((byte)Math.Round(a.R + (b.R - a.R) * f), (byte)Math.Round(a.G + (b.G - a.G) * f), (byte)Math.Round(a.B + (b.B - a.B) * f));
    }

    public static string Hex((byte R, byte G, byte B) c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";

    public static (byte R, byte G, byte B) Rgb(string hex)
    {
        var h = hex.TrimStart('#');
        if (h.Length == 3) h = string.Concat(h.Select(c => new string(c, 2)));
        if (h.Length != 6) throw new FormatException($"colour '{hex}' is not #rrggbb");
        return (byte.Parse(h[..2], NumberStyles.HexNumber), byte.Parse(h[2..4], NumberStyles.HexNumber), byte.Parse(h[4..], NumberStyles.HexNumber));
    }
}
