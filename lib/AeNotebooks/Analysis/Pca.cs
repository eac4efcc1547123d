using TorchSharp;

namespace AeNotebooks.Analysis;

/// <summary>
/// Principal component analysis of rows (samples × features): the directions of largest variance, from the
/// eigendecomposition of the covariance matrix by LAPACK (<c>torch.linalg.eigh</c>, in double precision). Deterministic:
/// the same data gives the same components and signs (each component's largest-magnitude entry is made positive).
/// Non-finite values count as the feature's mean (they add no variance).
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
        if (rows < 1 || features < 1 || data.Length != (long)rows * features)
            throw new ArgumentException($"PCA of {rows} × {features} needs {(long)rows * features} values, got {data.Length}");
        components = Math.Clamp(components, 1, features);
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var x = torch.tensor(data.ToArray(), [rows, features]).to(torch.float64);
        var finite = x.isfinite();
        var zeros = torch.zeros_like(x);
        // sum(dim: 0), not sum(0): a literal 0 converts to the ScalarType overload (a sum of everything, as bytes)
        var mean = torch.where(finite, x, zeros).sum(dim: 0) / finite.sum(dim: 0).to(torch.float64).clamp_min(1);
        var centred = torch.where(finite, x - mean, zeros);
        var covariance = centred.t().mm(centred) / Math.Max(1, rows - 1);
        var (values, vectors) = torch.linalg.eigh(covariance);   // ascending eigenvalues, eigenvectors as columns
        var variances = values.flip(0).narrow(0, 0, components).clamp_min(0).data<double>().ToArray();
        var directions = vectors.flip(1).narrow(1, 0, components).t().contiguous().data<double>().ToArray();
        var componentVectors = new double[components][];
        for (int k = 0; k < components; k++)
        {
            componentVectors[k] = directions.AsSpan(k * features, features).ToArray();
            FixSign(componentVectors[k]);
        }
        return new Pca(mean.data<double>().ToArray(), componentVectors, variances, covariance.trace().item<double>());
    }

    /// <summary>Makes the largest-magnitude entry positive (eigenvectors are only defined up to sign).</summary>
    static void FixSign(double[] v)
    {
        int largest = 0;
        for (int i = 1; i < v.Length; i++) if (Math.Abs(v[i]) > Math.Abs(v[largest]) + 1e-12) largest = i;
        if (v[largest] < 0) for (int i = 0; i < v.Length; i++) v[i] = -v[i];
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
