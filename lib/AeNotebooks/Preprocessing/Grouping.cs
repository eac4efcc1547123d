using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>Which values a scaler or report pools into one statistic.</summary>
public enum ScaleOver
{
    /// <summary>Every position of a sample is its own feature (columns of [N, F]; each pixel of an image), as sklearn sees flattened data.</summary>
    Feature,
    /// <summary>One statistic per channel (dimension 1): columns of [N, F], colour channels of [N, C, H, W].</summary>
    Channel,
    /// <summary>One statistic for all values (like dividing pixels by 255).</summary>
    All,
}

/// <summary>Maps each position within a sample (dims 1..) to its group under a <see cref="ScaleOver"/> rule.</summary>
internal sealed class Grouping
{
    public int Samples { get; }
    public int SampleSize { get; }
    public int Groups { get; }
    public long[] SampleShape { get; }
    public int[] GroupOf { get; }

    public Grouping(Tensor x, ScaleOver over, string what)
    {
        var shape = x.shape;
        if (shape.Length == 0) throw new ArgumentException($"{what}: needs a tensor with a sample dimension (dimension 0), got a scalar");
        Samples = (int)shape[0];
        SampleShape = shape[1..];
        SampleSize = (int)SampleShape.Aggregate(1L, (a, b) => a * b);
        GroupOf = new int[SampleSize];
        switch (over)
        {
            case ScaleOver.Feature:
                Groups = SampleSize;
                for (int j = 0; j < SampleSize; j++) GroupOf[j] = j;
                break;
            case ScaleOver.Channel when SampleShape.Length > 0:
                Groups = (int)SampleShape[0];
                int per = Groups == 0 ? 0 : SampleSize / Groups;
                for (int j = 0; j < SampleSize; j++) GroupOf[j] = j / per;
                break;
            default: // All, or Channel of a rank-1 tensor
                Groups = 1;
                break;
        }
    }

    /// <summary>Per group over finite values: count, min, max, mean, population std; and NaN / ±∞ counts.</summary>
    public (long[] count, double[] min, double[] max, double[] mean, double[] std, long[] nan, long[] inf) Statistics(float[] values)
    {
        var count = new long[Groups]; var nan = new long[Groups]; var inf = new long[Groups];
        var min = Enumerable.Repeat(double.PositiveInfinity, Groups).ToArray();
        var max = Enumerable.Repeat(double.NegativeInfinity, Groups).ToArray();
        var sum = new double[Groups];
        for (int i = 0; i < Samples; i++)
        {
            int row = i * SampleSize;
            for (int j = 0; j < SampleSize; j++)
            {
                float v = values[row + j];
                int g = GroupOf[j];
                if (float.IsNaN(v)) { nan[g]++; continue; }
                if (float.IsInfinity(v)) { inf[g]++; continue; }
                count[g]++; sum[g] += v;
                if (v < min[g]) min[g] = v;
                if (v > max[g]) max[g] = v;
            }
        }
        var mean = new double[Groups];
        for (int g = 0; g < Groups; g++) mean[g] = count[g] == 0 ? double.NaN : sum[g] / count[g];
        var squares = new double[Groups];
        for (int i = 0; i < Samples; i++)
        {
            int row = i * SampleSize;
            for (int j = 0; j < SampleSize; j++)
            {
                float v = values[row + j];
                if (!float.IsFinite(v)) continue;
                int g = GroupOf[j];
                double d = v - mean[g];
                squares[g] += d * d;
            }
        }
        var std = new double[Groups];
        for (int g = 0; g < Groups; g++)
        {
            std[g] = count[g] == 0 ? double.NaN : min[g] == max[g] ? 0 : Math.Sqrt(squares[g] / count[g]);
            if (count[g] == 0) { min[g] = double.NaN; max[g] = double.NaN; }
        }
        return (count, min, max, mean, std, nan, inf);
    }
}
