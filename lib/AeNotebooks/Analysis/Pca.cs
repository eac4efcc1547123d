namespace AeNotebooks.Analysis;

/// <summary>
/// Principal component analysis of rows (samples × features): the directions of largest variance, from the
/// eigendecomposition of the covariance matrix (Jacobi rotations up to 256 features, power iteration with deflation
/// above). Deterministic: the same data gives the same components and signs (each component's largest-magnitude
/// entry is made positive).
/// </summary>
public sealed class Pca
{
    public double[] Mean { get; }
    /// <summary>Components[k] is the k-th unit direction (length = features).</summary>
    public double[][] Components { get; }
    /// <summary>The variance along each component.</summary>
    public double[] Variance { get; }
    /// <summary>Each component's share of the total variance, in [0, 1].</summary>
    public double[] ExplainedVarianceRatio { get; }

    Pca(double[] mean, double[][] components, double[] variance, double total)
    {
        Mean = mean; Components = components; Variance = variance;
        ExplainedVarianceRatio = variance.Select(v => total > 0 ? v / total : 0).ToArray();
    }

    /// <summary>Fits <paramref name="components"/> components to row-major data of <paramref name="rows"/> × <paramref name="features"/>.</summary>
    public static Pca Fit(ReadOnlySpan<float> data, int rows, int features, int components = 2)
    {
        if (rows < 1 || features < 1 || data.Length != rows * features)
            throw new ArgumentException($"PCA of {rows} × {features} needs {rows * features} values, got {data.Length}");
        components = Math.Clamp(components, 1, features);
        var mean = new double[features];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < features; j++) mean[j] += data[i * features + j];
        for (int j = 0; j < features; j++) mean[j] /= rows;

        var cov = new double[features, features];
        var centred = new double[features];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < features; j++) centred[j] = double.IsFinite(data[i * features + j]) ? data[i * features + j] - mean[j] : 0;
            for (int a = 0; a < features; a++)
            {
                double ca = centred[a];
                if (ca == 0) continue;
                for (int b = a; b < features; b++) cov[a, b] += ca * centred[b];
            }
        }
        double denominator = Math.Max(1, rows - 1), total = 0;
        for (int a = 0; a < features; a++)
            for (int b = a; b < features; b++)
            {
                cov[a, b] /= denominator;
                cov[b, a] = cov[a, b];
                if (a == b) total += cov[a, a];
            }

        var vectors = new double[components][];
        var variances = new double[components];
        if (features <= JacobiLimit)
        {
            // all eigenpairs to machine precision, even when eigenvalues nearly coincide (independent columns)
            var (values, eigenvectors) = Jacobi(cov, features);
            var order = Enumerable.Range(0, features).OrderByDescending(i => values[i]).ThenBy(i => i).ToArray();
            for (int k = 0; k < components; k++)
            {
                int i = order[k];
                vectors[k] = Enumerable.Range(0, features).Select(r => eigenvectors[r, i]).ToArray();
                FixSign(vectors[k]);
                variances[k] = Math.Max(0, values[i]);
            }
            return new Pca(mean, vectors, variances, total);
        }
        for (int k = 0; k < components; k++)
        {
            var (vector, value) = PowerIteration(cov, features, k);
            vectors[k] = vector;
            variances[k] = Math.Max(0, value);
            for (int a = 0; a < features; a++)
                for (int b = 0; b < features; b++) cov[a, b] -= value * vector[a] * vector[b];
        }
        return new Pca(mean, vectors, variances, total);
    }

    /// <summary>Up to this many features the full eigendecomposition (Jacobi) is used; above, power iteration for the leading components.</summary>
    const int JacobiLimit = 256;

    /// <summary>Cyclic Jacobi rotations on a symmetric matrix: (eigenvalues, eigenvectors as columns). The input is overwritten.</summary>
    static (double[] Values, double[,] Vectors) Jacobi(double[,] a, int n)
    {
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int p = 0; p < n; p++)
            {
                diag += a[p, p] * a[p, p];
                for (int q = p + 1; q < n; q++) off += a[p, q] * a[p, q];
            }
            if (off <= 1e-30 * Math.Max(diag, 1e-300)) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p, q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * apq);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        return (Enumerable.Range(0, n).Select(i => a[i, i]).ToArray(), v);
    }

    /// <summary>Makes the largest-magnitude entry positive (eigenvectors are only defined up to sign).</summary>
    static void FixSign(double[] v)
    {
        int largest = 0;
        for (int i = 1; i < v.Length; i++) if (Math.Abs(v[i]) > Math.Abs(v[largest]) + 1e-12) largest = i;
        if (v[largest] < 0) for (int i = 0; i < v.Length; i++) v[i] = -v[i];
    }

    static (double[] Vector, double Value) PowerIteration(double[,] m, int n, int seed)
    {
        // a fixed start that is unlikely to be orthogonal to the leading direction
        var v = Enumerable.Range(0, n).Select(i => 1.0 + 0.37 * ((i * 7919 + seed * 104729) % 101) / 101.0).ToArray();
        Normalize(v);
        var next = new double[n];
        for (int iteration = 0; iteration < 1000; iteration++)
        {
            for (int a = 0; a < n; a++)
            {
                double s = 0;
                for (int b = 0; b < n; b++) s += m[a, b] * v[b];
                next[a] = s;
            }
            double norm = Math.Sqrt(next.Sum(x => x * x));
            if (norm < 1e-300) return (v, 0);
            for (int a = 0; a < n; a++) next[a] /= norm;
            double change = 0;
            for (int a = 0; a < n; a++) change = Math.Max(change, Math.Abs(Math.Abs(next[a]) - Math.Abs(v[a])));
            (v, next) = (next, v);
            if (change < 1e-12) break;
        }
        // Rayleigh quotient: the eigenvalue with its sign
        double rq = 0;
        for (int a = 0; a < n; a++)
        {
            double s = 0;
            for (int b = 0; b < n; b++) s += m[a, b] * v[b];
            rq += v[a] * s;
        }
        FixSign(v);
        return (v, rq);
    }

    static void Normalize(double[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => x * x));
        for (int i = 0; i < v.Length; i++) v[i] /= norm;
    }

    /// <summary>Projects row-major data onto the components: result[i][k].</summary>
    public double[][] Transform(ReadOnlySpan<float> data, int rows)
    {
        int features = Mean.Length;
        var result = new double[rows][];
        for (int i = 0; i < rows; i++)
        {
            var row = result[i] = new double[Components.Length];
            for (int k = 0; k < Components.Length; k++)
            {
                double s = 0;
                for (int j = 0; j < features; j++) s += (data[i * features + j] - Mean[j]) * Components[k][j];
                row[k] = s;
            }
        }
        return result;
    }
}
