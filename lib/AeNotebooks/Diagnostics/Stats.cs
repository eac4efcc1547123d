using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>Small statistics over float arrays and tensors the checks share.</summary>
internal static class Stats
{
    /// <summary>Per unit (dimension 1; channels of conv maps): statistics over samples and positions.</summary>
    public sealed record Unit(double Min, double Max, double Mean, double Std, double FractionZero, double FractionSaturated);

    /// <summary>Statistics of each unit of a layer output [N, C, …]; `saturated` tells whether a value is saturated.</summary>
    public static Unit[] PerUnit(Tensor output, Func<float, bool>? saturated = null)
    {
        var shape = output.shape;
        if (shape.Length < 2) return [];
        int n = (int)shape[0], c = (int)shape[1];
        int rest = (int)(output.numel() / Math.Max(1, (long)n * c));
        var v = output.ToArray();
        var min = new double[c]; var max = new double[c]; var sum = new double[c]; var sq = new double[c];
        var zero = new long[c]; var sat = new long[c]; var count = new long[c];
        Array.Fill(min, double.PositiveInfinity); Array.Fill(max, double.NegativeInfinity);
        for (int i = 0; i < n; i++)
            for (int u = 0; u < c; u++)
            {
                int start = (i * c + u) * rest;
                for (int k = 0; k < rest; k++)
                {
                    float x = v[start + k];
                    if (!float.IsFinite(x)) continue;
                    count[u]++;
                    if (x < min[u]) min[u] = x;
                    if (x > max[u]) max[u] = x;
                    sum[u] += x; sq[u] += (double)x * x;
                    if (x == 0) zero[u]++;
                    if (saturated is not null && saturated(x)) sat[u]++;
                }
            }
        var units = new Unit[c];
        for (int u = 0; u < c; u++)
        {
            double m = count[u] == 0 ? double.NaN : sum[u] / count[u];
            double var = count[u] == 0 ? double.NaN : Math.Max(0, sq[u] / count[u] - m * m);
            units[u] = new Unit(min[u], max[u], m, Math.Sqrt(var), count[u] == 0 ? 0 : (double)zero[u] / count[u], count[u] == 0 ? 0 : (double)sat[u] / count[u]);
        }
        return units;
    }

    public static double Median(IEnumerable<double> values) => Quantile(values, 0.5);

    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (sorted.Length == 0) return double.NaN;
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    public static double Rms(Tensor t)
    {
        double sq = 0; long n = 0;
        foreach (var v in t.ToArray()) if (float.IsFinite(v)) { sq += (double)v * v; n++; }
        return n == 0 ? double.NaN : Math.Sqrt(sq / n);
    }

    public static (double min, double max) Range(Tensor t)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in t.ToArray()) if (float.IsFinite(v)) { if (v < min) min = v; if (v > max) max = v; }
        return (min, max);
    }

    public static long CountNonFinite(Tensor t)
    {
        long bad = 0;
        foreach (var v in t.ToArray()) if (!float.IsFinite(v)) bad++;
        return bad;
    }

    /// <summary>Per-value variance around each value's own mean over the rows (dimension 0), averaged: the mean predictor's MSE.</summary>
    public static double MeanFeatureVariance(Tensor x)
    {
        int n = (int)x.shape[0];
        int f = (int)(x.numel() / Math.Max(1, n));
        var v = x.ToArray();
        double total = 0;
        for (int j = 0; j < f; j++)
        {
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++) { double a = v[i * f + j]; s += a; s2 += a * a; }
            double m = s / n;
            total += Math.Max(0, s2 / n - m * m);
        }
        return total / Math.Max(1, f);
    }

    public static double MeanSquaredDifference(Tensor a, Tensor b)
    {
        var x = a.ToArray(); var y = b.ToArray();
        double s = 0;
        for (int i = 0; i < x.Length; i++) { double d = (double)x[i] - y[i]; s += d * d; }
        return x.Length == 0 ? 0 : s / x.Length;
    }

    /// <summary>A fraction as a percentage with sensible digits: 37%, 4.2%, 0.031%.</summary>
    public static string Pct(double fraction)
    {
        double p = fraction * 100;
        string s = Math.Abs(p) >= 10 || p == 0 ? p.ToString("F0", CultureInfo.InvariantCulture)
            : Math.Abs(p) >= 0.1 ? p.ToString("F1", CultureInfo.InvariantCulture) : p.ToString("G2", CultureInfo.InvariantCulture);
        return s + "%";
    }

    /// <summary>A number with <paramref name="digits"/> significant digits, invariant culture: plain between 10⁻³ and 10⁵ (7257, 0.0389), else scientific (1.7E+17).</summary>
    public static string G(double v, int digits = 3)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "∞";
        if (double.IsNegativeInfinity(v)) return "−∞";
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e-3 && a < 1e5)
        {
            int decimals = Math.Clamp(digits - 1 - (int)Math.Floor(Math.Log10(a)), 0, 15);
            return Math.Round(v, decimals).ToString("0." + new string('#', Math.Max(decimals, 1)), CultureInfo.InvariantCulture).TrimEnd('.');
        }
        return v.ToString("0." + new string('#', Math.Max(digits - 1, 1)) + "E+0", CultureInfo.InvariantCulture);
    }

    /// <summary>How far the model got from the mean predictor towards the floor, in words ("42% of the way", "worse than the mean predictor").</summary>
    public static string Progress(double learned) => learned < -0.05 ? "worse than simply predicting the mean"
        : learned <= 0.05 ? "no better than simply predicting the mean" : $"{Pct(Math.Min(learned, 1))} of the way";

    /// <summary>A relative size in words: "12% of their size", "2810× their size".</summary>
    public static string OfTheirSize(double ratio) => ratio >= 10 ? $"{G(ratio, 3)}× their size" : $"{Pct(ratio)} of their size";
}
