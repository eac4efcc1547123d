using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AeNotebooks.Torch.Kernels;

/// <summary>
/// AVX2 fast paths for the two resampling steps every convolutional autoencoder has: 2×2 stride-2 max
/// pooling and ×2 nearest upsampling. Each works on one plane; the callers fall back to the general
/// scalar code where AVX2 is missing or for the columns past the last full vector.
/// </summary>
internal static unsafe class PoolSimd
{
    public static bool Enabled => Avx2.IsSupported;

    /// <summary>
    /// Pairs of a 16-float run as (even, odd) vectors in "shuffled" order: pair i of the run sits in lane
    /// [0, 1, 4, 5, 2, 3, 6, 7][i]; Unshuffle puts lanes back in pair order.
    /// </summary>
    static void Split(float* p, out Vector256<float> even, out Vector256<float> odd)
        => Split(Avx.LoadVector256(p), Avx.LoadVector256(p + 8), out even, out odd);

    static void Split(Vector256<float> a, Vector256<float> b, out Vector256<float> even, out Vector256<float> odd)
    {
        even = Avx.Shuffle(a, b, 0b10_00_10_00);
        odd = Avx.Shuffle(a, b, 0b11_01_11_01);
    }

    static Vector256<float> Unshuffle(Vector256<float> v) => Avx2.Permute4x64(v.AsDouble(), 0b11_01_10_00).AsSingle();

    /// <summary>PyTorch's rule for replacing the running max: v &gt; max, or v is NaN.</summary>
    static Vector256<float> Replaces(Vector256<float> v, Vector256<float> max)
        => Avx.Or(Avx.CompareGreaterThan(v, max), Avx.CompareUnordered(v, v));

    /// <summary>The max of each 2×2 window and which element (row-major 0..3) won, in shuffled lane order.</summary>
    static Vector256<float> Max4(Vector256<float> e0, Vector256<float> o0, Vector256<float> e1, Vector256<float> o1, out Vector256<float> code)
    {
        var m = e0;
        code = Vector256<float>.Zero;
        var c = Replaces(o0, m); m = Avx.BlendVariable(m, o0, c); code = Avx.BlendVariable(code, Vector256.Create(1f), c);
        c = Replaces(e1, m); m = Avx.BlendVariable(m, e1, c); code = Avx.BlendVariable(code, Vector256.Create(2f), c);
        c = Replaces(o1, m); m = Avx.BlendVariable(m, o1, c); code = Avx.BlendVariable(code, Vector256.Create(3f), c);
        return m;
    }

    /// <summary>
    /// Loads the two rows of 8 windows starting at output column ox (16 floats each) as shuffled even/odd
    /// vectors. For a partial chunk (n &lt; 8 windows) masked loads read only the 2n floats that exist.
    /// </summary>
    static void LoadWindows(float* r0, float* r1, int n, out Vector256<float> e0, out Vector256<float> o0, out Vector256<float> e1, out Vector256<float> o1)
    {
        if (n == 8)
        {
            Split(r0, out e0, out o0);
            Split(r1, out e1, out o1);
            return;
        }
        var m0 = Mask(0, Math.Min(8, 2 * n));
        var m1 = Mask(0, Math.Max(0, 2 * n - 8));
        Split(Avx.MaskLoad(r0, m0), Avx.MaskLoad(r0 + 8, m1), out e0, out o0);
        Split(Avx.MaskLoad(r1, m0), Avx.MaskLoad(r1 + 8, m1), out e1, out o1);
    }

    /// <summary>2×2 stride-2 max pooling of one plane: w columns in, ho × wo out (all windows inside the plane).</summary>
    public static void MaxPool2x2(float* src, int w, int ho, int wo, float* dst)
    {
        float* tail = stackalloc float[8];
        for (int oy = 0; oy < ho; oy++)
        {
            float* r0 = src + (long)2 * oy * w, r1 = r0 + w, d = dst + (long)oy * wo;
            for (int ox = 0; ox < wo; ox += 8)
            {
                int n = Math.Min(8, wo - ox);
                LoadWindows(r0 + 2 * ox, r1 + 2 * ox, n, out var e0, out var o0, out var e1, out var o1);
                var m = Unshuffle(Max4(e0, o0, e1, o1, out _));
                if (n == 8) Avx.Store(d + ox, m);
                else
                {
                    Avx.Store(tail, m);
                    for (int i = 0; i < n; i++) d[ox + i] = tail[i];
                }
            }
        }
    }

    /// <summary>Backward of <see cref="MaxPool2x2"/>: recomputes each window's winner from the input and adds g there.</summary>
    public static void MaxPool2x2Backward(float* src, int w, int ho, int wo, float* g, float* gx)
    {
        var zero = Vector256<float>.Zero;
        float* gt = stackalloc float[8];
        float* t = stackalloc float[32];
        for (int oy = 0; oy < ho; oy++)
        {
            float* r0 = src + (long)2 * oy * w, r1 = r0 + w;
            float* g0 = gx + (long)2 * oy * w, g1 = g0 + w, gr = g + (long)oy * wo;
            for (int ox = 0; ox < wo; ox += 8)
            {
                int n = Math.Min(8, wo - ox);
                LoadWindows(r0 + 2 * ox, r1 + 2 * ox, n, out var e0, out var o0, out var e1, out var o1);
                Max4(e0, o0, e1, o1, out var code);
                Vector256<float> gv;
                if (n == 8) gv = Avx.LoadVector256(gr + ox);
                else
                {
                    for (int i = 0; i < 8; i++) gt[i] = i < n ? gr[ox + i] : 0f;
                    gv = Avx.LoadVector256(gt);
                }
                gv = Unshuffle(gv); // Unshuffle is its own inverse: g in shuffled lane order
                var ge0 = Avx.BlendVariable(zero, gv, Avx.CompareEqual(code, zero));
                var go0 = Avx.BlendVariable(zero, gv, Avx.CompareEqual(code, Vector256.Create(1f)));
                var ge1 = Avx.BlendVariable(zero, gv, Avx.CompareEqual(code, Vector256.Create(2f)));
                var go1 = Avx.BlendVariable(zero, gv, Avx.CompareEqual(code, Vector256.Create(3f)));
                // interleaving the shuffled (even, odd) pairs gives the input columns back in order
                float* q0 = g0 + 2 * ox, q1 = g1 + 2 * ox;
                if (n == 8)
                {
                    Avx.Store(q0, Avx.Add(Avx.LoadVector256(q0), Avx.UnpackLow(ge0, go0)));
                    Avx.Store(q0 + 8, Avx.Add(Avx.LoadVector256(q0 + 8), Avx.UnpackHigh(ge0, go0)));
                    Avx.Store(q1, Avx.Add(Avx.LoadVector256(q1), Avx.UnpackLow(ge1, go1)));
                    Avx.Store(q1 + 8, Avx.Add(Avx.LoadVector256(q1 + 8), Avx.UnpackHigh(ge1, go1)));
                }
                else
                {
                    Avx.Store(t, Avx.UnpackLow(ge0, go0)); Avx.Store(t + 8, Avx.UnpackHigh(ge0, go0));
                    Avx.Store(t + 16, Avx.UnpackLow(ge1, go1)); Avx.Store(t + 24, Avx.UnpackHigh(ge1, go1));
                    for (int i = 0; i < 2 * n; i++) { q0[i] += t[i]; q1[i] += t[16 + i]; }
                }
            }
        }
    }

    /// <summary>×2 nearest upsampling of one plane (h × w → 2h × 2w) for the first `full` input columns (a multiple of 8).</summary>
    public static void Upsample2x(float* src, int h, int w, int full, float* dst)
    {
        int wo = 2 * w;
        for (int y = 0; y < h; y++)
        {
            float* s = src + (long)y * w, d0 = dst + (long)2 * y * wo, d1 = d0 + wo;
            for (int x = 0; x < full; x += 8)
            {
                var v = Avx.LoadVector256(s + x);
                var lo = Avx.UnpackLow(v, v);   // s0 s0 s1 s1 | s4 s4 s5 s5
                var hi = Avx.UnpackHigh(v, v);  // s2 s2 s3 s3 | s6 s6 s7 s7
                var a = Avx.Permute2x128(lo, hi, 0x20);
                var b = Avx.Permute2x128(lo, hi, 0x31);
                Avx.Store(d0 + 2 * x, a); Avx.Store(d0 + 2 * x + 8, b);
                Avx.Store(d1 + 2 * x, a); Avx.Store(d1 + 2 * x + 8, b);
            }
        }
    }

    /// <summary>Backward of <see cref="Upsample2x"/>: gx[y, x] += (g[2y, 2x] + g[2y, 2x+1]) + (g[2y+1, 2x] + g[2y+1, 2x+1]).</summary>
    public static void Upsample2xBackward(float* g, int h, int w, int full, float* gx)
    {
        int wo = 2 * w;
        for (int y = 0; y < h; y++)
        {
            float* r0 = g + (long)2 * y * wo, r1 = r0 + wo, d = gx + (long)y * w;
            for (int x = 0; x < full; x += 8)
            {
                Split(r0 + 2 * x, out var e0, out var o0);
                Split(r1 + 2 * x, out var e1, out var o1);
                var sum = Unshuffle(Avx.Add(Avx.Add(e0, o0), Avx.Add(e1, o1)));
                Avx.Store(d + x, Avx.Add(Avx.LoadVector256(d + x), sum));
            }
        }
    }

    static readonly int[] MaskTable = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Lanes [from, to) of an 8-lane vector set (0 ≤ from ≤ to ≤ 8).</summary>
    static Vector256<float> Mask(int from, int to)
    {
        fixed (int* t = MaskTable)
        {
            var upTo = Avx.LoadVector256(t + 8 - to);   // lanes < to
            var below = Avx.LoadVector256(t + 8 - from); // lanes < from
            return Avx.AndNot(below.AsSingle(), upTo.AsSingle());
        }
    }

    /// <summary>
    /// d[i] = (from ≤ i &lt; to) ? s[i] : 0 for i in [0, n): one image row into one im2col row. Only s[from, to) is read
    /// (masked loads never touch the lanes outside). Whole vectors are stored (AMD's masked store is microcoded
    /// and slow), so d[n, roundup8(n)) is overwritten too: the caller writes rows in increasing order and keeps
    /// 8 floats of slack after the last one.
    /// </summary>
    public static void CopyRowMasked(float* s, float* d, int n, int from, int to)
    {
        for (int i = 0; i < n; i += 8)
        {
            int lo = from - i, hi = to - i;
            Vector256<float> v;
            if (lo <= 0 && hi >= 8) v = Avx.LoadVector256(s + i);
            else if (hi <= 0 || lo >= 8 || lo >= hi) v = Vector256<float>.Zero;
            else v = Avx.MaskLoad(s + i, Mask(Math.Max(lo, 0), Math.Min(hi, 8)));
            Avx.Store(d + i, v);
        }
    }

    /// <summary>d[i] += s[i] for i in [from, to): one im2col row back into one image row (nothing outside is touched).</summary>
    public static void AddRowMasked(float* s, float* d, int from, int to)
    {
        int i = from;
        for (; i + 8 <= to; i += 8) Avx.Store(d + i, Avx.Add(Avx.LoadVector256(d + i), Avx.LoadVector256(s + i)));
        for (; i < to; i++) d[i] += s[i];
    }

    /// <summary>d[i] = s[2i] for i in [0, n), n a multiple of 8 (reads s[0, 2n)).</summary>
    public static void GatherEven(float* s, float* d, int n)
    {
        for (int i = 0; i < n; i += 8)
        {
            Split(s + 2 * i, out var even, out _);
            Avx.Store(d + i, Unshuffle(even));
        }
    }

    /// <summary>d[2i] += s[i] for i in [0, n), n a multiple of 8 (touches d[0, 2n), adding 0 at odd places).</summary>
    public static void ScatterAddEven(float* s, float* d, int n)
    {
        var zero = Vector256<float>.Zero;
        for (int i = 0; i < n; i += 8)
        {
            var v = Avx.LoadVector256(s + i);
            var lo = Avx.UnpackLow(v, zero);   // s0 0 s1 0 | s4 0 s5 0
            var hi = Avx.UnpackHigh(v, zero);  // s2 0 s3 0 | s6 0 s7 0
            float* q = d + 2 * i;
            Avx.Store(q, Avx.Add(Avx.LoadVector256(q), Avx.Permute2x128(lo, hi, 0x20)));
            Avx.Store(q + 8, Avx.Add(Avx.LoadVector256(q + 8), Avx.Permute2x128(lo, hi, 0x31)));
        }
    }
}
