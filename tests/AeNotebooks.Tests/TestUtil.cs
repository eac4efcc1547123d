using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>
/// Tests that read the shipped data files or change AENOTEBOOKS_DATA (process-wide) share this collection, which
/// runs on its own, after the parallel collections, so no other test sees a changed data folder.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DataFilesCollection
{
    public const string Name = "data files";
}

static class TestUtil
{
    public static double Mean(float[] v) => v.Average(x => (double)x);

    public static double Std(float[] v)
    {
        double m = Mean(v);
        return Math.Sqrt(v.Average(x => (x - m) * (x - m)));
    }

    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.ToArray().AsSpan().SequenceEqual(b.ToArray());

    /// <summary>Column j of a [N, F] tensor.</summary>
    public static float[] Column(Tensor x, int j)
    {
        var v = x.ToArray();
        int f = (int)x.shape[1];
        return Enumerable.Range(0, (int)x.shape[0]).Select(i => v[i * f + j]).ToArray();
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AeNotebooks.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (AeNotebooks.sln) not found above " + AppContext.BaseDirectory);
    }
}
