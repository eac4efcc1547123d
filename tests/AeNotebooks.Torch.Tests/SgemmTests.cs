using AeNotebooks.Torch.Kernels;
using Xunit;

namespace AeNotebooks.Torch.Tests;

/// <summary>Shared helpers: random operands laid out with offsets and padded strides, and a float64 reference.</summary>
static class SgemmCase
{
    public sealed record Operands(float[] A, int AOffset, int Lda, float[] B, int BOffset, int Ldb, float[] C, int COffset, int Ldc);

    /// <summary>
    /// Operands for op(A)[m×k]·op(B)[k×n] stored with the given offsets and stride padding. Everything in
    /// C outside the logical m×n block is a sentinel so stray writes show up.
    /// </summary>
    public static Operands Make(bool transA, bool transB, int m, int n, int k, int seed,
        int offset = 0, int pad = 0, bool nanC = false)
    {
        var rng = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = Math.Max(1, aCols + pad), ldb = Math.Max(1, bCols + pad), ldc = Math.Max(1, n + pad);
        var a = Random(rng, offset + aRows * lda + 3);
        var b = Random(rng, offset + bRows * ldb + 3);
        var c = new float[offset + m * ldc + 3];
        Array.Fill(c, Sentinel);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[offset + i * ldc + j] = nanC ? float.NaN : (float)(rng.NextDouble() * 2 - 1);
        return new(a, offset, lda, b, offset, ldb, c, offset, ldc);
    }

    public const float Sentinel = -12345.5f;

    static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    public static void Run(bool transA, bool transB, int m, int n, int k, Operands o, bool accumulate) =>
        Sgemm.Multiply(transA, transB, m, n, k, o.A, o.AOffset, o.Lda, o.B, o.BOffset, o.Ldb, o.C, o.COffset, o.Ldc, accumulate);

    /// <summary>Runs the kernel and checks every element of C (and that nothing outside it changed).</summary>
    public static void Check(bool transA, bool transB, int m, int n, int k, int offset, int pad, bool accumulate, int seed)
    {
        var o = Make(transA, transB, m, n, k, seed, offset, pad, nanC: !accumulate);
        var before = (float[])o.C.Clone();
        Run(transA, transB, m, n, k, o, accumulate);

        for (int idx = 0; idx < o.C.Length; idx++)
        {
            int rel = idx - o.COffset, i = rel / o.Ldc, j = rel % o.Ldc;
            bool inside = rel >= 0 && i < m && j < n;
            if (!inside)
            {
                Assert.True(o.C[idx] == before[idx], $"C[{idx}] outside the {m}×{n} block was written");
                continue;
            }
            double sum = 0, magnitude = 0;
            for (int p = 0; p < k; p++)
            {
                double x = transA ? o.A[o.AOffset + p * o.Lda + i] : o.A[o.AOffset + i * o.Lda + p];
                double y = transB ? o.B[o.BOffset + j * o.Ldb + p] : o.B[o.BOffset + p * o.Ldb + j];
                sum += x * y;
                magnitude += Math.Abs(x * y);
            }
            if (accumulate)
            {
                sum += before[idx];
                magnitude += Math.Abs(before[idx]);
            }
            // Standard float32 dot-product bound: (k+1) roundings of at most 2^-24 relative to Σ|terms|.
            double tolerance = (k + 2) * 6e-8 * magnitude + 1e-30;
            double error = Math.Abs(o.C[idx] - sum);
            Assert.True(error <= tolerance,
                $"C[{i},{j}] = {o.C[idx]} but reference {sum} (error {error:g3} > {tolerance:g3}); " +
                $"transA={transA} transB={transB} {m}×{n}×{k} accumulate={accumulate}");
        }
    }
}

public class SgemmTests
{
    // (m, n, k): tiny (direct path), edge tiles in both directions, the engine's 128×100·100×100,
    // k beyond one 256-deep panel, n beyond one 2048-column chunk, m beyond one 1536-row chunk.
    static readonly int[][] Shapes =
    [
        [1, 1, 1], [3, 2, 1], [2, 3, 4], [4, 4, 8], [5, 5, 5], [6, 16, 1], [7, 13, 5], [12, 32, 9], [33, 17, 40],
        [128, 100, 100], [100, 100, 128], [257, 129, 65], [1000, 3, 17], [3, 1000, 17], [1, 300, 300], [300, 1, 300],
        [50, 40, 600], [9, 2100, 3], [1600, 7, 3],
    ];

    public static TheoryData<bool, bool, int, int, int> AllCases()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        foreach (var s in Shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(ta, tb, s[0], s[1], s[2]);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MatchesReference_Overwrite(bool transA, bool transB, int m, int n, int k) =>
        SgemmCase.Check(transA, transB, m, n, k, offset: 0, pad: 0, accumulate: false, seed: m * 7919 + n * 31 + k);

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MatchesReference_AccumulateWithOffsetsAndPaddedStrides(bool transA, bool transB, int m, int n, int k) =>
        SgemmCase.Check(transA, transB, m, n, k, offset: 5, pad: 3, accumulate: true, seed: m * 131 + n * 17 + k);

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MatchesReference_OverwriteWithOffsetsAndPaddedStrides(bool transA, bool transB, int m, int n, int k) =>
        SgemmCase.Check(transA, transB, m, n, k, offset: 11, pad: 17, accumulate: false, seed: m + n * 977 + k * 3);

    [Fact]
    public void KnownSmallProduct()
    {
        // [1 2; 3 4; 5 6] · [7; 8] = [23; 53; 83]
        float[] a = [1, 2, 3, 4, 5, 6], b = [7, 8], c = [-1, -1, -1];
        Sgemm.Multiply(false, false, 3, 1, 2, a, 0, 2, b, 0, 1, c, 0, 1, accumulate: false);
        Assert.Equal([23f, 53f, 83f], c);
        Sgemm.Multiply(false, false, 3, 1, 2, a, 0, 2, b, 0, 1, c, 0, 1, accumulate: true);
        Assert.Equal([46f, 106f, 166f], c);
    }

    [Fact]
    public void KnownProductOnBlockedPath()
    {
        // Integer-valued operands make every partial sum exact, so the blocked kernel must match exactly.
        const int m = 20, n = 37, k = 300;
        var a = new float[m * k];
        var b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = i % 5 - 2;
        for (int i = 0; i < b.Length; i++) b[i] = i % 3 - 1;
        var c = new float[m * n];
        Sgemm.Multiply(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, accumulate: false);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float expected = 0;
                for (int p = 0; p < k; p++) expected += a[i * k + p] * b[p * n + j];
                Assert.Equal(expected, c[i * n + j]);
            }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroDepthClearsOrKeepsC(bool accumulate)
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        Sgemm.Multiply(false, false, 2, 2, 0, [], 0, 1, [], 0, 2, c, 1, 3, accumulate);
        Assert.Equal(accumulate ? [1f, 2, 3, 4, 5, 6] : [1f, 0, 0, 4, 0, 0], c);
    }

    [Fact]
    public void EmptyOutputIsANoOp()
    {
        float[] c = [7];
        Sgemm.Multiply(false, false, 0, 1, 3, [], 0, 3, [1, 2, 3], 0, 1, c, 0, 1, accumulate: false);
        Sgemm.Multiply(false, false, 1, 0, 3, [1, 2, 3], 0, 3, [], 0, 1, c, 0, 1, accumulate: false);
        Assert.Equal([7f], c);
    }

    [Fact]
    public void RejectsOperandsTooSmallForTheirShape()
    {
        var a = new float[10];
        var b = new float[12];
        var c = new float[6];
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 3, 6, a, 0, 6, b, 0, 3, c, 0, 3, false));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 3, 4, a, 0, 4, b, 1, 3, c, 0, 3, false));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 3, 4, a, 0, 4, b, 0, 3, c, 1, 3, false));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 3, 4, a, 0, 3, b, 0, 3, c, 0, 3, false));
    }
}

/// <summary>Tests that change process-wide kernel settings; kept out of parallel runs with each other.</summary>
[Collection("threads")]
public class SgemmThreadingTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void BitIdenticalForOneAndTwoThreads(bool transA, bool transB)
    {
        // Big enough to go parallel, with several K panels and edge tiles on both sides.
        const int m = 301, n = 650, k = 700;
        int saved = torch.get_num_threads();
        try
        {
            var one = SgemmCase.Make(transA, transB, m, n, k, seed: 42);
            var two = SgemmCase.Make(transA, transB, m, n, k, seed: 42);
            torch.set_num_threads(1);
            SgemmCase.Run(transA, transB, m, n, k, one, accumulate: true);
            torch.set_num_threads(2);
            SgemmCase.Run(transA, transB, m, n, k, two, accumulate: true);
            Assert.True(one.C.AsSpan().SequenceEqual(two.C), "1-thread and 2-thread results differ");

            // And the same answer again on a second call (pack buffers reused, not reset).
            var again = SgemmCase.Make(transA, transB, m, n, k, seed: 42);
            SgemmCase.Run(transA, transB, m, n, k, again, accumulate: true);
            Assert.True(two.C.AsSpan().SequenceEqual(again.C), "repeated call gave a different result");
        }
        finally
        {
            torch.set_num_threads(saved);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void PortablePathMatchesReference(bool transA, bool transB)
    {
        // The non-x86 code (ARM builds use it) exercised here on any CPU.
        Sgemm.PortableOnly = true;
        try
        {
            SgemmCase.Check(transA, transB, 37, 41, 300, offset: 2, pad: 1, accumulate: true, seed: 5);
            SgemmCase.Check(transA, transB, 128, 100, 100, offset: 0, pad: 0, accumulate: false, seed: 6);
        }
        finally
        {
            Sgemm.PortableOnly = false;
        }
    }
}
