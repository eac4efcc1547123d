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
        // LAPACK's symmetric eigensolver in double precision (the Gram matrix of float32 data is symmetric up to rounding)
        var eigenvalues = torch.linalg.eigvalsh(gram.to(float64) / Math.Max(1, rows - 1)).data<double>().ToArray();
        for (int i = 0; i < eigenvalues.Length; i++) eigenvalues[i] = Math.Max(0, eigenvalues[i]);
        Array.Sort(eigenvalues);
        Array.Reverse(eigenvalues);
        return new Spectrum(eigenvalues, features, rows);
    }
}
