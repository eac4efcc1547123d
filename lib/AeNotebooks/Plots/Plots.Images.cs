using System.Globalization;
using AeNotebooks.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

public static partial class Plots
{
    /// <summary>
    /// The first <paramref name="count"/> samples in rows: the original (<paramref name="targets"/>), the corrupted input
    /// the model saw (<paramref name="inputs"/>, left out when it equals the target), and the model's reconstruction,
    /// each with its mean squared error against the original. Works for [N,1,H,W], [N,3,H,W], [N,H,W] and flattened
    /// square grayscale images [N, H·W]; small images are enlarged with nearest-neighbour scaling so pixels stay crisp.
    /// </summary>
    public static ImageGrid Reconstructions(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, int count = 8, string? title = null)
    {
        if (inputs.shape[0] != targets.shape[0])
            throw new ArgumentException($"Plots.Reconstructions: {inputs.shape[0]} inputs but {targets.shape[0]} targets");
        int n = (int)Math.Min(count, targets.shape[0]);
        if (n < 1) throw new ArgumentException("Plots.Reconstructions: no samples to show");
        var (c, h, w) = ImageShape(targets);
        var x = inputs.narrow(0, 0, n);
        var y = targets.narrow(0, 0, n);

        Tensor output;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using (no_grad()) output = model.call(x);
        }
        finally
        {
            model.train(wasTraining);
        }
        int plane = c * h * w;
        if (output.numel() != (long)n * plane)
            throw new ArgumentException($"Plots.Reconstructions: the model's output [{string.Join(", ", output.shape)}] does not hold {n} images of {c}×{h}×{w}");

        var original = y.ToArray();
        var corrupted = x.numel() == (long)n * plane ? x.ToArray() : null;
        var reconstructed = output.ToArray();
        bool showCorrupted = corrupted is not null && !corrupted.AsSpan().SequenceEqual(original);

        // display range: [0, 1] for images; otherwise the originals' own range, so standardised data still shows
        var finite = original.Where(float.IsFinite).ToList();
        double lo = 0, hi = 1;
        if (finite.Count > 0 && (finite.Min() < -1e-3 || finite.Max() > 1 + 1e-3)) { lo = finite.Min(); hi = finite.Max(); }
        if (hi - lo < 1e-12) hi = lo + 1;
        int scale = Math.Max(1, (int)Math.Floor(96.0 / Math.Max(h, w)));

        var rows = new List<IReadOnlyList<Raster>>();
        var captions = new List<IReadOnlyList<string?>>();
        var labels = new List<string>();
        void AddRow(string label, float[] values, Func<int, string?> caption)
        {
            labels.Add(label);
            rows.Add(Enumerable.Range(0, n).Select(i => Raster.FromPlanes(values.AsSpan(i * plane, plane), c, h, w, lo, hi).Upscale(scale)).ToList());
            captions.Add(Enumerable.Range(0, n).Select(caption).ToList());
        }

        var reconError = Enumerable.Range(0, n).Select(i => Mse(reconstructed, original, i * plane, plane)).ToArray();
        AddRow("original", original, _ => null);
        double[]? inputError = null;
        if (showCorrupted)
        {
            inputError = Enumerable.Range(0, n).Select(i => Mse(corrupted!, original, i * plane, plane)).ToArray();
            AddRow("corrupted", corrupted!, i => "MSE " + Sig(inputError[i]));
        }
        AddRow("reconstructed", reconstructed, i => "MSE " + Sig(reconError[i]));

        var notes = new List<string>();
        int outside = reconstructed.Count(v => !float.IsFinite(v) || v < lo - 1e-6 || v > hi + 1e-6);
        if (outside > 0)
            notes.Add($"{outside} of {reconstructed.Length} reconstructed values ({100.0 * outside / reconstructed.Length:F1}%) fall outside the display range " +
                      $"[{F(lo)}, {F(hi)}] and are clipped" + (reconstructed.Any(v => !float.IsFinite(v)) ? "; NaN shows as black" : ""));
        if (lo != 0 || hi != 1) notes.Add($"values are not in [0, 1]; shown from {F(lo)} (black) to {F(hi)} (white)");

        double meanRecon = reconError.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        var subtitle = $"mean squared error against the original, per image; mean over these {n}: {Sig(meanRecon)}"
                       + (inputError is null ? "" : $" (the corrupted inputs: {Sig(inputError.Average())})")
                       + (scale > 1 ? $" · {w}×{h} pixels shown at {scale}×" : "");
        return new ImageGrid(labels, rows)
        {
            Title = title ?? (showCorrupted ? "original · corrupted · reconstructed" : "original · reconstructed"),
            Subtitle = subtitle,
            Captions = captions,
            Notes = notes,
        };
    }

    /// <summary>Without a separate target: the model reconstructs its own inputs.</summary>
    public static ImageGrid Reconstructions(nn.Module<Tensor, Tensor> model, Tensor inputs, int count = 8, string? title = null) =>
        Reconstructions(model, inputs, inputs, count, title);

    /// <summary>(channels, height, width) of one sample of an image batch.</summary>
    internal static (int C, int H, int W) ImageShape(Tensor batch)
    {
        var s = batch.shape;
        switch (s.Length)
        {
            case 4 when s[1] is 1 or 3: return ((int)s[1], (int)s[2], (int)s[3]);
            case 3: return (1, (int)s[1], (int)s[2]);
            case 2:
                int side = (int)Math.Round(Math.Sqrt(s[1]));
                if ((long)side * side == s[1]) return (1, side, side);
                break;
        }
        throw new ArgumentException($"Plots.Reconstructions shows images [N,1,H,W], [N,3,H,W], [N,H,W] or square [N,H·W]; got [{string.Join(", ", s)}]");
    }

    static double Mse(float[] a, float[] b, int offset, int length)
    {
        double sum = 0;
        for (int i = offset; i < offset + length; i++) { double d = a[i] - b[i]; sum += d * d; }
        return sum / length;
    }
}
