using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AeNotebooks.Torch.Kernels;

/// <summary>
/// Direct SIMD convolution for stride 1 when the positions side has few channels (e.g. the 32→1 output layer
/// of an autoencoder): there im2col + GEMM wastes most of each 6×16 register tile on padding, while this
/// keeps up to 32 outputs of one row in four ymm accumulators and runs over the taps.
///
/// The source planes are first copied into a zero-padded scratch (rows wide enough that every vector load
/// stays inside the buffer), so the inner loops have no bounds checks. Every output sums its taps in the
/// fixed order (source channel, ky, kx), whatever the thread count.
/// </summary>
internal static unsafe class ConvDirect
{
    const int Lanes = 8, Block = 4 * Lanes; // outputs per row chunk

    [ThreadStatic] static float[]? padded, rowScratch;

    static float[] Padded(long n)
    {
        var p = padded;
        if (p is null || p.Length < n) padded = p = new float[checked((int)Math.Max(n, (p?.Length ?? 0) * 3L / 2))];
        return p;
    }

    /// <summary>
    /// Whether the direct gather/scatter beat im2col + GEMM: stride 1 and at most 4 channels on the positions side
    /// (e.g. a 32→1 output layer: 1.9 vs 9.6 ms per batch of 64 at 28×28). With few channels on the image side
    /// instead (a 1→32 first layer) the GEMM stays faster (0.8 vs 2.3 ms), so that case keeps it.
    /// </summary>
    public static bool Suits(ConvGeometry g, int groups, int p)
        => g.Sh == 1 && g.Sw == 1 && !g.Pointwise && p / groups <= 4;

    /// <summary>The direct weight gradient (one dot product per weight) only beats the GEMM for ≤ 2 position channels.</summary>
    public static bool SuitsWeightGrad(ConvGeometry g, int groups, int p)
        => g.Sh == 1 && g.Sw == 1 && !g.Pointwise && p / groups <= 2;

    /// <summary>
    /// dst[d, y, x] (+)= Σ_{s, ky, kx} w(d, s, ky, kx) · src[s, y + ky·dh − top, x + kx·dw − left], for y &lt; outH, x &lt; outW;
    /// source positions outside the plane count as zero. Channels are grouped: d in group grp = d / dPerGroup reads
    /// the sources of that group, s local to it; w(d, s, ky, kx) = weights[wBase + d·sD + grp·sG + s·sS + ky·sY + kx·sX].
    /// </summary>
    static void Correlate(float[] src, int srcOff, int srcChannels, int srcH, int srcW, int top, int left,
        float[] dst, int dstOff, int dstChannels, int outH, int outW, bool accumulate,
        float[] weights, int wOff, int wBase, int sD, int sG, int sS, int sY, int sX, int kh, int kw, int dh, int dw, int groups)
    {
        int sPerGroup = srcChannels / groups, dPerGroup = dstChannels / groups;
        int chunks = (outW + Block - 1) / Block;
        // padded source: rows [0, hp) × columns [0, wp); real data at (top, left)
        int hp = outH + (kh - 1) * dh;
        int wp = chunks * Block + (kw - 1) * dw;
        long planeP = (long)hp * wp;
        var pad = Padded(srcChannels * planeP + Block);
        fixed (float* ps = src, pp = pad, pd = dst, pw = weights)
        {
            for (int s = 0; s < srcChannels; s++)
            {
                float* plane = pp + s * planeP;
                for (int r = 0; r < hp; r++)
                {
                    float* row = plane + (long)r * wp;
                    int iy = r - top;
                    if ((uint)iy >= (uint)srcH) { new Span<float>(row, wp).Clear(); continue; }
                    int x0 = Math.Clamp(left, 0, wp), x1 = Math.Clamp(left + srcW, 0, wp);
                    new Span<float>(row, x0).Clear();
                    int from = x0 - left; // first source column copied
                    new ReadOnlySpan<float>(ps + srcOff + ((long)s * srcH + iy) * srcW + from, x1 - x0).CopyTo(new Span<float>(row + x0, x1 - x0));
                    new Span<float>(row + x1, wp - x1).Clear();
                }
            }
            new Span<float>(pp + srcChannels * planeP, Block).Clear();

            float* tail = stackalloc float[Block];
            for (int d = 0; d < dstChannels; d++)
            {
                int grp = d / dPerGroup;
                float* wd = pw + wOff + wBase + (long)d * sD + (long)grp * sG;
                float* firstSrc = pp + (long)grp * sPerGroup * planeP;
                for (int y = 0; y < outH; y++)
                {
                    float* outRow = pd + dstOff + ((long)d * outH + y) * outW;
                    for (int chunk = 0; chunk < chunks; chunk++)
                    {
                        int x0 = chunk * Block, n = Math.Min(Block, outW - x0);
                        Vector256<float> a0, a1, a2, a3;
                        if (accumulate && n == Block)
                        {
                            a0 = Vector256.Load(outRow + x0); a1 = Vector256.Load(outRow + x0 + 8);
                            a2 = Vector256.Load(outRow + x0 + 16); a3 = Vector256.Load(outRow + x0 + 24);
                        }
                        else a0 = a1 = a2 = a3 = Vector256<float>.Zero;
                        for (int s = 0; s < sPerGroup; s++)
                        {
                            float* ws = wd + (long)s * sS;
                            float* srcPlane = firstSrc + s * planeP + x0;
                            for (int ky = 0; ky < kh; ky++)
                            {
                                float* srcRow = srcPlane + (long)(y + ky * dh) * wp;
                                float* wy = ws + (long)ky * sY;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    var wv = Vector256.Create(wy[(long)kx * sX]);
                                    float* q = srcRow + kx * dw;
                                    a0 = MulAdd(wv, Vector256.Load(q), a0);
                                    a1 = MulAdd(wv, Vector256.Load(q + 8), a1);
                                    a2 = MulAdd(wv, Vector256.Load(q + 16), a2);
                                    a3 = MulAdd(wv, Vector256.Load(q + 24), a3);
                                }
                            }
                        }
                        if (n == Block)
                        {
                            a0.Store(outRow + x0); a1.Store(outRow + x0 + 8); a2.Store(outRow + x0 + 16); a3.Store(outRow + x0 + 24);
                        }
                        else
                        {
                            a0.Store(tail); a1.Store(tail + 8); a2.Store(tail + 16); a3.Store(tail + 24);
                            if (accumulate) for (int i = 0; i < n; i++) outRow[x0 + i] += tail[i];
                            else for (int i = 0; i < n; i++) outRow[x0 + i] = tail[i];
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        => Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>pos = (accumulate ? pos : 0) + W · im2col(img), stride 1 (the twin of ConvKernels.Gather).</summary>
    public static void Gather(ConvGeometry g, int groups, int p, float[] img, int imgOff, float[] w, int wOff, float[] pos, int posOff, bool accumulate)
    {
        int cg = g.C / groups, k2 = g.Kh * g.Kw;
        Correlate(img, imgOff, g.C, g.H, g.W, g.Ph, g.Pw, pos, posOff, p, g.Ho, g.Wo, accumulate,
            w, wOff, 0, cg * k2, 0, k2, g.Kw, 1, g.Kh, g.Kw, g.Dh, g.Dw, groups);
    }

    /// <summary>img += col2im(Wᵀ · pos), stride 1: a correlation of pos with the flipped kernel (the twin of ConvKernels.Scatter).</summary>
    public static void Scatter(ConvGeometry g, int groups, int p, float[] pos, int posOff, float[] w, int wOff, float[] img, int imgOff)
    {
        int cg = g.C / groups, pg = p / groups, k2 = g.Kh * g.Kw;
        // img[c, y, x] += Σ W[q, c, ky, kx]·pos[q, y + ph − ky·dh, x + pw − kx·dw]; with ky' = kh−1−ky the source row is
        // y + ky'·dh − ((kh−1)·dh − ph)
        int top = (g.Kh - 1) * g.Dh - g.Ph, left = (g.Kw - 1) * g.Dw - g.Pw;
        Correlate(pos, posOff, p, g.Ho, g.Wo, top, left, img, imgOff, g.C, g.H, g.W, accumulate: true,
            // W is [P, C/groups, kh, kw]: image channel c is local (c − grp·cg), the pos channel absolute (grp·pg + s)
            w, wOff, (g.Kh - 1) * g.Kw + (g.Kw - 1), k2, pg * cg * k2 - cg * k2, cg * k2, -g.Kw, -1, g.Kh, g.Kw, g.Dh, g.Dw, groups);
    }

    /// <summary>dW += pos · im2col(img)ᵀ, stride 1 (the twin of ConvKernels.WeightGrad): one dot product per weight.</summary>
    public static void WeightGrad(ConvGeometry g, int groups, int p, float[] pos, int posOff, float[] img, int imgOff, float[] dw, int dwOff)
    {
        int cg = g.C / groups, pg = p / groups, kh = g.Kh, kw = g.Kw;
        int chunks = (g.Wo + Lanes - 1) / Lanes, wv = chunks * Lanes;
        int hp = g.Ho + (kh - 1) * g.Dh, wp = wv + (kw - 1) * g.Dw;
        long planeP = (long)hp * wp;
        var pad = Padded(g.C * planeP + Lanes);
        var rows = rowScratch is { } rs && rs.Length >= (long)p * g.Ho * wv ? rs : rowScratch = new float[Math.Max((long)p * g.Ho * wv, (rowScratch?.Length ?? 0) * 3L / 2)];
        fixed (float* pi = img, pp = pad, pq = pos, pr = rows, pd = dw)
        {
            // image, zero padded; pos rows padded to whole vectors with zeros
            for (int c = 0; c < g.C; c++)
                for (int r = 0; r < hp; r++)
                {
                    float* row = pp + c * planeP + (long)r * wp;
                    int iy = r - g.Ph;
                    if ((uint)iy >= (uint)g.H) { new Span<float>(row, wp).Clear(); continue; }
                    int x0 = Math.Clamp(g.Pw, 0, wp), x1 = Math.Clamp(g.Pw + g.W, 0, wp);
                    new Span<float>(row, x0).Clear();
                    new ReadOnlySpan<float>(pi + imgOff + ((long)c * g.H + iy) * g.W + (x0 - g.Pw), x1 - x0).CopyTo(new Span<float>(row + x0, x1 - x0));
                    new Span<float>(row + x1, wp - x1).Clear();
                }
            new Span<float>(pp + g.C * planeP, Lanes).Clear();
            for (int q = 0; q < p; q++)
                for (int y = 0; y < g.Ho; y++)
                {
                    float* row = pr + ((long)q * g.Ho + y) * wv;
                    new ReadOnlySpan<float>(pq + posOff + ((long)q * g.Ho + y) * g.Wo, g.Wo).CopyTo(new Span<float>(row, g.Wo));
                    new Span<float>(row + g.Wo, wv - g.Wo).Clear();
                }
            // lanes past the row's end: the pos side is zero there, but a non-finite image value would still make NaN
            var lastMask = Vector256.LessThan(Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((float)(g.Wo - (chunks - 1) * Lanes)));
            for (int q = 0; q < p; q++)
            {
                int grp = q / pg;
                for (int s = 0; s < cg; s++)
                {
                    float* imgPlane = pp + (grp * cg + s) * planeP;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                        {
                            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
                            for (int y = 0; y < g.Ho; y++)
                            {
                                float* a = pr + ((long)q * g.Ho + y) * wv;
                                float* b = imgPlane + (long)(y + ky * g.Dh) * wp + kx * g.Dw;
                                int ch = 0;
                                for (; ch + 2 <= chunks - 1; ch += 2)
                                {
                                    acc0 = MulAdd(Vector256.Load(a + ch * Lanes), Vector256.Load(b + ch * Lanes), acc0);
                                    acc1 = MulAdd(Vector256.Load(a + ch * Lanes + Lanes), Vector256.Load(b + ch * Lanes + Lanes), acc1);
                                }
                                for (; ch < chunks - 1; ch++) acc0 = MulAdd(Vector256.Load(a + ch * Lanes), Vector256.Load(b + ch * Lanes), acc0);
                                var last = Vector256.Load(a + ch * Lanes) * Vector256.Load(b + ch * Lanes);
                                acc1 += Vector256.ConditionalSelect(lastMask, last, Vector256<float>.Zero);
                            }
                            pd[dwOff + ((long)q * cg + s) * kh * kw + ky * kw + kx] += Vector256.Sum(acc0 + acc1);
                        }
                }
            }
        }
    }
}
