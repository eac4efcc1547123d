namespace AeNotebooks.Diagnostics;

/// <summary>
/// The shape of a run's step losses, made robust to mini-batch noise: the steps are cut into windows and each window is
/// summarised by its median; shapes are judged on the log of the loss above its floor (BCE's entropy floor, else 0),
/// so a run that goes from 1 to 10⁻⁴ is judged as evenly as one from 10 to 9.
/// </summary>
internal sealed class Curve
{
    /// <summary>Fewer steps than this and the shape says nothing.</summary>
    public const int MinSteps = 20;

    public int Steps { get; private init; }
    public double Floor { get; private init; }
    /// <summary>The first step's loss: the untrained model's.</summary>
    public double Initial { get; private init; }
    /// <summary>Median loss (not excess) per window, in order.</summary>
    public double[] Windows { get; private init; } = [];
    public int WindowSize { get; private init; }
    /// <summary>Loss above the floor: first window, best window, last window.</summary>
    public double FirstExcess { get; private init; }
    public double BestExcess { get; private init; }
    public double FinalExcess { get; private init; }
    /// <summary>Sums of the window-to-window rises and falls of log(excess).</summary>
    public double Rises { get; private init; }
    public double Falls { get; private init; }
    /// <summary>The largest climb of log(excess) from a running minimum (how far it bounced back up).</summary>
    public double Rebound { get; private init; }
    /// <summary>log(excess) drop over the second half and over the last fifth of the windows (positive = still improving).</summary>
    public double LastHalfDrop { get; private init; }
    public double LastFifthDrop { get; private init; }
    /// <summary>Share of steps whose loss is more than 3× its window's median excess: spikes.</summary>
    public double SpikeShare { get; private init; }
    /// <summary>Share of window-to-window changes in the last half that are falls.</summary>
    public double LateFallShare { get; private init; }

    double Epsilon { get; init; }
    public double Log(double excess) => Math.Log(Math.Max(excess, 0) + Epsilon);

    public static Curve? Of(IReadOnlyList<float> stepLosses, double floor)
    {
        var losses = new List<double>();
        foreach (var l in stepLosses)
        {
            if (!float.IsFinite(l)) break;
            losses.Add(l);
        }
        if (losses.Count < MinSteps) return null;
        int n = losses.Count;
        int windows = Math.Clamp(n / 10, 4, 30);
        int size = n / windows;
        var medians = new double[windows];
        for (int w = 0; w < windows; w++)
        {
            int start = w * size, end = w == windows - 1 ? n : start + size;
            medians[w] = Stats.Median(losses.Skip(start).Take(end - start));
        }
        double initial = losses[0];
        double scale = Math.Max(initial - floor, medians.Max() - floor);
        double eps = Math.Max(1e-3 * Math.Max(scale, 0), 1e-12);
        double L(double m) => Math.Log(Math.Max(m - floor, 0) + eps);
        double rises = 0, falls = 0, rebound = 0, runningMin = L(medians[0]);
        int lateFalls = 0, lateChanges = 0;
        for (int w = 1; w < windows; w++)
        {
            double d = L(medians[w]) - L(medians[w - 1]);
            if (d > 0) rises += d; else falls -= d;
            runningMin = Math.Min(runningMin, L(medians[w]));
            rebound = Math.Max(rebound, L(medians[w]) - runningMin);
            if (w >= windows / 2) { lateChanges++; if (d < 0) lateFalls++; }
        }
        int spikes = 0;
        for (int i = size; i < n; i++)
        {
            int w = Math.Min(i / size, windows - 1);
            double excess = medians[w] - floor;
            if (losses[i] - floor > 3 * excess + eps) spikes++;
        }
        int mid = windows / 2, fifth = Math.Max(1, windows / 5);
        return new Curve
        {
            Steps = n, Floor = floor, Initial = initial, Windows = medians, WindowSize = size, Epsilon = eps,
            FirstExcess = medians[0] - floor, BestExcess = medians.Min() - floor, FinalExcess = medians[^1] - floor,
            Rises = rises, Falls = falls, Rebound = rebound,
            LastHalfDrop = L(medians[mid - 1]) - L(medians[^1]),
            LastFifthDrop = L(medians[windows - 1 - fifth]) - L(medians[^1]),
            SpikeShare = (double)spikes / Math.Max(1, n - size),
            LateFallShare = lateChanges == 0 ? 0 : (double)lateFalls / lateChanges,
        };
    }
}
