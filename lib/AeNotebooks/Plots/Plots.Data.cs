using AeNotebooks.Analysis;
using AeNotebooks.Plotting;
using Plotly.NET;
using static AeNotebooks.Plotting.PlotlyAttributes;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>One line of <see cref="Plots.Lines"/>: x and y values, optionally dashed ("dash", "dot") or with markers.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, string? Dash = null, bool Markers = false);

public static partial class Plots
{
    /// <summary>A histogram of every value in <paramref name="values"/> (data, activations, weights, errors).</summary>
    public static GenericChart Histogram(Tensor values, int bins = 50, string? title = null, string? xLabel = null, bool logY = false) =>
        Histogram([("values", values.ToArray())], bins, title, xLabel, logY);

    public static GenericChart Histogram(float[] values, int bins = 50, string? title = null, string? xLabel = null, bool logY = false) =>
        Histogram([("values", values)], bins, title, xLabel, logY);

    /// <summary>Several named series on shared bins, overlaid (e.g. clean vs noisy inputs).</summary>
    public static GenericChart Histogram(params (string Name, Tensor Values)[] series) =>
        Histogram(series.Select(s => (s.Name, s.Values.ToArray())).ToList());

    public static GenericChart Histogram(IReadOnlyList<(string Name, float[] Values)> series, int bins = 50, string? title = null, string? xLabel = null, bool logY = false)
    {
        if (series.Count == 0) throw new ArgumentException("Plots.Histogram: no values given");
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "at least one bin");
        var finite = series.SelectMany(s => s.Values).Where(float.IsFinite).ToList();
        double lo = finite.Count > 0 ? finite.Min() : 0, hi = finite.Count > 0 ? finite.Max() : 1;
        if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
        double width = (hi - lo) / bins;
        var centres = Enumerable.Range(0, bins).Select(b => lo + (b + 0.5) * width).ToArray();
        bool single = series.Count == 1;
        var f = NewChart(title ?? (single ? "distribution of values" : "distributions: " + string.Join(" vs ", series.Select(s => s.Name))));
        var notes = new List<string>();
        var summaries = new List<string>();
        for (int i = 0; i < series.Count; i++)
        {
            var (name, values) = series[i];
            var counts = new double[bins];
            int nonFinite = 0;
            foreach (var v in values)
            {
                if (!float.IsFinite(v)) { nonFinite++; continue; }
                counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
            }
            f.Add(new Trace2D("bar").Set("name", Html(name)).Set("x", Numbers(centres)).Set("y", counts).Set("width", width).Set("opacity", single ? 0.9 : 0.55)
                .Set("marker", Marker(Palette.Category(i), line: Line(Palette.Category(i), 0.5)))
                .Set("hovertemplate", $"{Html(name)}<br>%{{x:.4g}} ± {F(width / 2)}<br>%{{y}} values<extra></extra>"));
            var stats = values.Where(float.IsFinite).Select(v => (double)v).ToList();
            double mean = stats.Count > 0 ? stats.Average() : double.NaN;
            double std = stats.Count > 0 ? Math.Sqrt(stats.Average(v => (v - mean) * (v - mean))) : double.NaN;
            notes.Add($"{name}: {values.Length} values, mean {F(mean)}, std {F(std)}, min {F(stats.DefaultIfEmpty(double.NaN).Min())}, max {F(stats.DefaultIfEmpty(double.NaN).Max())}"
                      + (nonFinite > 0 ? $", {nonFinite} NaN/∞ not shown" : ""));
            summaries.Add((single ? "" : name + ": ") + $"mean {F(mean)}, std {F(std)}" + (single ? $", {values.Length} values" : ""));
            if (nonFinite > 0)
                f.Annotations.Add(Annotation($"{Html(name)}: {nonFinite} NaN/∞ values not shown", 1, 1 - 0.07 * i, xanchor: "right", yanchor: "top",
                    font: Font(11, Palette.Problem), bgcolor: "rgba(255,255,255,0.85)"));
        }
        f.Subtitle = string.Join(" · ", summaries);
        f.MarginTop = 74;
        f.Layout.Set("barmode", "overlay").Set("bargap", 0);
        Style(f.XAxis(), xLabel ?? "value");
        Style(f.YAxis(), "count" + (logY ? " (log scale)" : ""), logY).Set("rangemode", logY ? null : "tozero");
        f.Notes.AddRange(notes);
        return Finish(f);
    }

    /// <summary>
    /// The latent space in 2-D: the codes of <paramref name="inputs"/> (projected onto their first two principal
    /// components when the code is wider than 2), one colour per label. Clusters that separate mean the code keeps
    /// what tells the classes apart.
    /// </summary>
    public static GenericChart Latent(Autoencoder model, Tensor inputs, int[]? labels = null, IReadOnlyList<string>? classNames = null, int maxPoints = 2000)
    {
        int n = (int)Math.Min(inputs.shape[0], maxPoints);
        Tensor codes;
        bool wasTraining = model.training;
        model.eval();
        using (no_grad()) codes = model.encode(inputs.narrow(0, 0, n));
        model.train(wasTraining);
        return Latent(codes, labels?.Take(n).ToArray(), classNames, title: $"latent space: {model.CodeSize}-D code");
    }

    /// <summary>Codes [N, k] in 2-D (PCA when k &gt; 2), coloured by label.</summary>
    public static GenericChart Latent(Tensor codes, int[]? labels = null, IReadOnlyList<string>? classNames = null, string? title = null)
    {
        int n = (int)codes.shape[0];
        int k = codes.dim() == 1 ? 1 : (int)(codes.numel() / Math.Max(1, n));
        var data = codes.ToArray();
        double[] x, y;
        string xTitle, yTitle, how;
        if (k == 2)
        {
            x = Enumerable.Range(0, n).Select(i => (double)data[2 * i]).ToArray();
            y = Enumerable.Range(0, n).Select(i => (double)data[2 * i + 1]).ToArray();
            (xTitle, yTitle, how) = ("code dimension 1", "code dimension 2", "the 2-D code itself");
        }
        else if (k == 1)
        {
            x = data.Select(v => (double)v).ToArray();
            y = new double[n];
            (xTitle, yTitle, how) = ("code value", "", "a 1-D code");
        }
        else
        {
            var pca = Pca.Fit(data, n, k, 2);
            var p = pca.Transform(data, n);
            x = p.Select(r => r[0]).ToArray();
            y = p.Select(r => r[1]).ToArray();
            var ratio = pca.ExplainedVarianceRatio;
            xTitle = $"PC 1 ({100 * ratio[0]:F1}% of variance)";
            yTitle = $"PC 2 ({100 * ratio[1]:F1}% of variance)";
            how = $"{k}-D codes projected onto their first two principal components ({100 * (ratio[0] + ratio[1]):F0}% of the variance)";
        }
        var f = NewChart(title ?? "latent space", $"{n} samples · {how}", width: 680, height: 520);
        if (labels is not null && labels.Length >= n)
        {
            foreach (var label in labels.Take(n).Distinct().OrderBy(l => l))
            {
                var idx = Enumerable.Range(0, n).Where(i => labels[i] == label).ToArray();
                var name = classNames is not null && label >= 0 && label < classNames.Count ? classNames[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);
                f.Add(Scatter(Html(name), idx.Select(i => x[i]), idx.Select(i => y[i]), "markers")
                    .Set("marker", Marker(Palette.Category(label), 5, opacity: 0.75))
                    .Set("hovertemplate", $"{Html(name)}<br>(%{{x:.3g}}, %{{y:.3g}})<extra></extra>"));
            }
            f.ShowLegend = true;
        }
        else
        {
            f.Add(Scatter("samples", x, y, "markers").Set("marker", Marker(Palette.Category(0), 5, opacity: 0.7))
                .Set("hovertemplate", "(%{x:.3g}, %{y:.3g})<extra></extra>"));
            f.ShowLegend = false;
        }
        Style(f.XAxis(), xTitle);
        Style(f.YAxis(), yTitle);
        f.Notes.Add(how);
        return Finish(f);
    }

    /// <summary>
    /// A line chart in the suite's style for anything that is not a loss curve (spectra, sweeps, PSNR over steps):
    /// one colour per series, hover with the series' name and both values.
    /// </summary>
    public static GenericChart Lines(string title, string xTitle, string yTitle, IEnumerable<Series> series, bool logX = false, bool logY = false)
    {
        var list = series.ToList();
        var f = NewChart(title);
        for (int i = 0; i < list.Count; i++)
        {
            var (name, x, y, dash, markers) = list[i];
            if (x.Count != y.Count) throw new ArgumentException($"series '{name}': {x.Count} x values but {y.Count} y values");
            var color = Palette.Category(i);
            f.Add(Scatter(Html(name), x, y, markers ? "lines+markers" : "lines").Set("line", Line(color, 2, dash)).Set("marker", markers ? Marker(color, 5) : null)
                .Set("hovertemplate", $"{Html(name)}<br>{Html(xTitle)} %{{x:.4g}}<br>{Html(yTitle)} %{{y:.4g}}<extra></extra>"));
        }
        Style(f.XAxis(), xTitle, logX);
        Style(f.YAxis(), yTitle, logY);
        return Finish(f);
    }

    /// <summary>
    /// The learning-rate finder's curve: loss while the learning rate grows exponentially (log x). The suggestion (by
    /// default where the smoothed loss falls fastest) is marked; the blow-up at the end is cut off so the useful part
    /// is readable.
    /// </summary>
    public static GenericChart LearningRateFinder(IReadOnlyList<double> learningRates, IReadOnlyList<double> losses, double? suggestion = null)
    {
        if (learningRates.Count != losses.Count) throw new ArgumentException($"{learningRates.Count} learning rates but {losses.Count} losses");
        int n = losses.Count;
        var smooth = Smooth(losses, Math.Clamp(n / 15, 1, 21) | 1);
        var lrs = learningRates.ToArray();
        suggestion ??= SteepestDescent(lrs, smooth);
        var finite = smooth.Where(double.IsFinite).ToList();
        double first = finite.Count > 0 ? finite[0] : 1, best = finite.Count > 0 ? finite.Min() : 0;
        double top = Math.Max(first, best) + Math.Max(Math.Abs(first - best), 1e-9) * 0.6;
        var f = NewChart("learning-rate finder", suggestion is double s ? $"suggested learning rate ≈ {F(s)}" : "no clear descent: try a wider range");
        f.Add(Scatter("loss (each batch)", lrs, losses).Set("opacity", 0.35).Set("line", Line(Palette.Train, 1))
            .Set("hovertemplate", "lr %{x:.3g}<br>loss %{y:.4g}<extra></extra>"));
        f.Add(Scatter("loss (smoothed)", lrs, smooth).Set("line", Line(Palette.Train, 2.5))
            .Set("hovertemplate", "lr %{x:.3g}<br>smoothed loss %{y:.4g}<extra></extra>"));
        if (suggestion is double lr)
        {
            int at = Array.FindIndex(lrs, v => v >= lr);
            double yAt = at >= 0 ? smooth[at] : best;
            f.Add(Scatter("suggestion", [lr], [yAt], "markers").Set("text", new[] { $"suggested lr {F(lr)}" })
                .Set("marker", Marker(Palette.Validation, 12, "circle", line: Line("#FFFFFF", 2)))
                .Set("hovertemplate", "%{text}<extra></extra>"));
            f.Shapes.Add(VerticalLine("x", "y", lr, Line(Palette.Validation, 1.2, "dash"), below: true));
            f.Notes.Add($"suggested learning rate {F(lr)}");
        }
        Style(f.XAxis(), "learning rate (log scale)", log: true);
        double bottom = losses.Concat(finite).Where(double.IsFinite).DefaultIfEmpty(0).Min(), pad = (top - bottom) * 0.05;
        Style(f.YAxis(), "loss", range: [bottom - pad, top]);
        return Finish(f);
    }

    /// <summary>The learning rate where the smoothed loss falls fastest per decade of learning rate (before its minimum).</summary>
    internal static double? SteepestDescent(double[] lrs, double[] smooth)
    {
        int n = Math.Min(lrs.Length, smooth.Length);
        if (n < 3) return null;
        int minAt = 0;
        for (int i = 1; i < n; i++) if (double.IsFinite(smooth[i]) && (!double.IsFinite(smooth[minAt]) || smooth[i] < smooth[minAt])) minAt = i;
        double bestSlope = 0; int bestAt = -1;
        for (int i = 1; i <= minAt; i++)
        {
            if (!(lrs[i] > 0 && lrs[i - 1] > 0) || !double.IsFinite(smooth[i]) || !double.IsFinite(smooth[i - 1])) continue;
            double dx = Math.Log10(lrs[i]) - Math.Log10(lrs[i - 1]);
            if (dx <= 0) continue;
            double slope = (smooth[i] - smooth[i - 1]) / dx;
            if (slope < bestSlope) { bestSlope = slope; bestAt = i; }
        }
        return bestAt >= 0 ? lrs[bestAt] : null;
    }
}
