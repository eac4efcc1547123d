using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>
/// The PCA spectrum of a sample: eigenvalues of its covariance, largest first. With more features than rows the
/// eigenvalues come from the (smaller) Gram matrix, whose non-zero eigenvalues are the same.
/// </summary>
internal sealed class Spectrum
{
    public double[] Eigenvalues { get; }
    public double Total { get; }
    public int Features { get; }
    public int Rows { get; }

    Spectrum(double[] eigenvalues, int features, int rows)
    {
        Eigenvalues = eigenvalues;
        Total = eigenvalues.Sum();
        Features = features;
        Rows = rows;
    }

    /// <summary>The fewest components whose variance adds up to at least <paramref name="fraction"/> of the total.</summary>
    public int ComponentsFor(double fraction)
    {
        if (Total <= 0) return 0;
        double sum = 0;
        for (int i = 0; i < Eigenvalues.Length; i++)
        {
            sum += Eigenvalues[i];
            if (sum >= fraction * Total * (1 - 1e-12)) return i + 1;
        }
        return Eigenvalues.Length;
    }

    /// <summary>The fraction of the variance the first <paramref name="k"/> components do not hold.</summary>
    public double ResidualFraction(long k) => Total <= 0 ? 0 : Math.Max(0, Eigenvalues.Skip((int)Math.Min(k, Eigenvalues.Length)).Sum() / Total);

    /// <summary>Per-value mean squared error of the best rank-k linear reconstruction (PCA with k components).</summary>
    public double ResidualMse(long k) => Eigenvalues.Skip((int)Math.Min(k, Eigenvalues.Length)).Sum() / Features;

    /// <summary>(Σλ)² / Σλ²: how many dimensions the variance effectively spreads over.</summary>
    public double ParticipationRatio
    {
        get
        {
            double sq = Eigenvalues.Sum(l => l * l);
            return sq <= 0 ? 0 : Total * Total / sq;
        }
    }

    /// <summary>The spectrum of x's rows (x: [rows, ...], flattened per row); rows with non-finite values must be removed first.</summary>
    public static Spectrum Of(Tensor x)
    {
        int rows = (int)x.shape[0];
        int features = (int)(x.numel() / Math.Max(1, rows));
        var flat = x.reshape(rows, features);
        var centred = flat - flat.mean([0], keepdim: true);
        Tensor gram;
        using (no_grad())
            gram = features <= rows ? centred.t().matmul(centred) : centred.matmul(centred.t());
        int n = (int)gram.shape[0];
        var values = gram.ToArray();
        var a = new double[n, n];
        double scale = 1.0 / Math.Max(1, rows - 1);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                a[i, j] = 0.5 * (values[i * n + j] + values[j * n + i]) * scale;
        var eigenvalues = SymmetricEigenvalues(a);
        for (int i = 0; i < eigenvalues.Length; i++) eigenvalues[i] = Math.Max(0, eigenvalues[i]);
        Array.Sort(eigenvalues);
        Array.Reverse(eigenvalues);
        return new Spectrum(eigenvalues, features, rows);
    }

    /// <summary>
    /// Eigenvalues of a symmetric matrix (destroyed): Householder reduction to tridiagonal form, then the implicit QL
    /// algorithm with Wilkinson shifts (the classic tred2/tqli pair, eigenvalues only). O(n³), n ≤ a few hundred here.
    /// </summary>
    internal static double[] SymmetricEigenvalues(double[,] a)
    {
        int n = a.GetLength(0);
        var d = new double[n];
        var e = new double[n];
        if (n == 0) return d;
        // Householder: after step i, row/column i is tridiagonal
        for (int i = n - 1; i >= 1; i--)
        {
            int l = i - 1;
            double h = 0, scale = 0;
            if (l > 0)
            {
                for (int k = 0; k <= l; k++) scale += Math.Abs(a[i, k]);
                if (scale == 0) e[i] = a[i, l];
                else
                {
                    for (int k = 0; k <= l; k++) { a[i, k] /= scale; h += a[i, k] * a[i, k]; }
                    double f = a[i, l];
                    double g = f >= 0 ? -Math.Sqrt(h) : Math.Sqrt(h);
                    e[i] = scale * g;
                    h -= f * g;
                    a[i, l] = f - g;
                    f = 0;
                    for (int j = 0; j <= l; j++)
                    {
                        g = 0;
                        for (int k = 0; k <= j; k++) g += a[j, k] * a[i, k];
                        for (int k = j + 1; k <= l; k++) g += a[k, j] * a[i, k];
                        e[j] = g / h;
                        f += e[j] * a[i, j];
                    }
                    double hh = f / (h + h);
                    for (int j = 0; j <= l; j++)
                    {
                        f = a[i, j];
                        e[j] = g = e[j] - hh * f;
                        for (int k = 0; k <= j; k++) a[j, k] -= f * e[k] + g * a[i, k];
                    }
                }
            }
            else e[i] = a[i, l];
            d[i] = h;
        }
        for (int i = 0; i < n; i++) d[i] = a[i, i];
        // QL with implicit shifts on the tridiagonal (d, e): e[i] couples i and i+1
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        for (int l = 0; l < n; l++)
        {
            int iter = 0, m;
            do
            {
                for (m = l; m < n - 1; m++)
                {
                    double dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= 1e-15 * dd) break;
                }
                if (m != l)
                {
                    if (iter++ == 60) break; // does not happen for symmetric input; keep what we have
                    double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
                    double r = Hypot(g, 1.0);
                    g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.Abs(r) : -Math.Abs(r)));
                    double s = 1, c = 1, p = 0;
                    int i;
                    for (i = m - 1; i >= l; i--)
                    {
                        double f = s * e[i], b = c * e[i];
                        e[i + 1] = r = Hypot(f, g);
                        if (r == 0) { d[i + 1] -= p; e[m] = 0; break; }
                        s = f / r; c = g / r;
                        g = d[i + 1] - p;
                        r = (d[i] - g) * s + 2.0 * c * b;
                        d[i + 1] = g + (p = s * r);
                        g = c * r - b;
                    }
                    if (r == 0 && i >= l) continue;
                    d[l] -= p; e[l] = g; e[m] = 0;
                }
            } while (m != l);
        }
        return d;
    }

    static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x > y) return x * Math.Sqrt(1 + (y / x) * (y / x));
        return y == 0 ? 0 : y * Math.Sqrt(1 + (x / y) * (x / y));
    }
}
