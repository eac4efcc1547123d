using System.Runtime.CompilerServices;

namespace AeNotebooks.Torch.Kernels;

/// <summary>
/// A sliding window over one sample: an "image" of C planes H×W and the Ho×Wo window "positions"
/// (kernel Kh×Kw, stride, padding before the first row/column, dilation). A convolution's image is its
/// input and its positions its output; a transposed convolution swaps the two. Padding after the last
/// row/column is implied by Ho/Wo, so asymmetric ("same" with an even kernel) padding needs nothing extra.
/// </summary>
internal sealed class ConvGeometry
{
    public readonly int C, H, W, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, Ho, Wo;

    public ConvGeometry(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int ho, int wo)
    {
        (C, H, W, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, Ho, Wo) = (c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo);
    }

    /// <summary>Rows of the column matrix: one per (channel, ky, kx).</summary>
    public int Rows => C * Kh * Kw;
    public int Positions => Ho * Wo;
    public int ImageSize => H * W;

    /// <summary>1×1 kernel, stride 1, no padding: the column matrix is the image itself (no copy needed).</summary>
    public bool Pointwise => Kh == 1 && Kw == 1 && Sh == 1 && Sw == 1 && Ph == 0 && Pw == 0 && Ho == H && Wo == W;

    /// <summary>
    /// Output rows per block of positions. Column blocks are capped at ~1 MB so the scratch stays bounded
    /// (and in cache) for large images; the cap depends only on the shape, so sums never depend on threads.
    /// </summary>
    public int BlockRows
    {
        get
        {
            const long ColumnBudget = 1 << 18; // floats
            long perRow = (long)Rows * Wo;
            return (int)Math.Clamp(ColumnBudget / Math.Max(perRow, 1), 1, Math.Max(Ho, 1));
        }
    }
}

/// <summary>
/// The convolution kernels. All three products are "per sample" and run on the calling thread (the ops
/// split the batch over the threads; an SGEMM called from there runs serially, see Parallel.For):
/// <list type="bullet">
/// <item>Gather: pos = W · im2col(img) — conv forward, conv-transpose input gradient;</item>
/// <item>Scatter: img += col2im(Wᵀ · pos) — conv input gradient, conv-transpose forward;</item>
/// <item>WeightGrad: dW += pos · im2col(img)ᵀ — both weight gradients.</item>
/// </list>
/// W is [P, Cimg/groups · Kh · Kw] for P position channels (conv: [Cout, Cin/g, k, k]; conv-transpose:
/// [Cin, Cout/g, k, k]). Column scratch is pooled per thread.
/// </summary>
internal static unsafe class ConvKernels
{
    [ThreadStatic] static float[]? columns;

    /// <summary>Test hook: always use im2col + GEMM (never <see cref="ConvDirect"/>).</summary>
    internal static bool GemmOnly;

    /// <summary>This thread's column scratch, at least n floats (grows, never shrinks).</summary>
    static float[] Columns(long n)
    {
        var c = columns;
        n += 8; // slack: im2col stores whole vectors past the end of a row (see PoolSimd.CopyRowMasked)
        if (c is null || c.Length < n) columns = c = GC.AllocateUninitializedArray<float>(checked((int)Math.Max(n, (c?.Length ?? 0) * 3L / 2)));
        return c;
    }

    // ---------------------------------------------------------------------------------------------
    // im2col / col2im over the output rows [oy0, oy1): column matrix rows × ((oy1−oy0)·Wo), row-major
    // ---------------------------------------------------------------------------------------------

    /// <summary>Range of ox whose input column ox·Sw + off lies inside [0, W).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void InsideColumns(int off, int sw, int w, int wo, out int ox0, out int ox1)
    {
        ox0 = off >= 0 ? 0 : (-off + sw - 1) / sw;
        int last = w - 1 - off; // ox·sw ≤ last
        ox1 = last < 0 ? 0 : Math.Min(wo, last / sw + 1);
        if (ox0 > wo) ox0 = wo;
        if (ox1 < ox0) ox1 = ox0;
    }

    /// <summary>
    /// Stride 2: how many of the positions [ox0, ox1) (a multiple of 8, from ox0) the vector code may take, whole
    /// vectors of 8 while the 16 image floats each reads or writes stay inside the image row (0 without SIMD).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int EvenVectorRun(ConvGeometry g, int off, int ox0, int ox1)
        => PoolSimd.Enabled ? Math.Max(0, Math.Min(ox1 - ox0, (g.W - off - 2 * ox0) / 2) / 8 * 8) : 0;

    public static void Im2Col(float* img, ConvGeometry g, int oy0, int oy1, float* col)
    {
        int n = (oy1 - oy0) * g.Wo, wo = g.Wo;
        for (int c = 0; c < g.C; c++)
            for (int ky = 0; ky < g.Kh; ky++)
                for (int kx = 0; kx < g.Kw; kx++)
                {
                    float* row = col + (long)((c * g.Kh + ky) * g.Kw + kx) * n;
                    int off = kx * g.Dw - g.Pw;
                    InsideColumns(off, g.Sw, g.W, wo, out int ox0, out int ox1);
                    for (int oy = oy0; oy < oy1; oy++)
                    {
                        float* d = row + (oy - oy0) * wo;
                        int iy = oy * g.Sh - g.Ph + ky * g.Dh;
                        if ((uint)iy >= (uint)g.H)
                        {
                            new Span<float>(d, wo).Clear();
                            continue;
                        }
                        float* s = img + ((long)c * g.H + iy) * g.W + off;
                        if (g.Sw == 1 && PoolSimd.Enabled)
                        {
                            PoolSimd.CopyRowMasked(s, d, wo, ox0, ox1);
                            continue;
                        }
                        for (int ox = 0; ox < ox0; ox++) d[ox] = 0;
                        if (g.Sw == 1) new ReadOnlySpan<float>(s + ox0, ox1 - ox0).CopyTo(new Span<float>(d + ox0, ox1 - ox0));
                        else if (g.Sw == 2)
                        {
                            int v = EvenVectorRun(g, off, ox0, ox1);
                            if (v > 0) PoolSimd.GatherEven(s + 2 * ox0, d + ox0, v);
                            for (int ox = ox0 + v; ox < ox1; ox++) d[ox] = s[2 * ox];
                        }
                        else for (int ox = ox0; ox < ox1; ox++) d[ox] = s[ox * g.Sw];
                        for (int ox = ox1; ox < wo; ox++) d[ox] = 0;
                    }
                }
    }

    /// <summary>img += col2im(col) for the output rows [oy0, oy1). Each image element sums its terms in a fixed order.</summary>
    public static void Col2Im(float* col, ConvGeometry g, int oy0, int oy1, float* img)
    {
        int n = (oy1 - oy0) * g.Wo, wo = g.Wo;
        for (int c = 0; c < g.C; c++)
            for (int ky = 0; ky < g.Kh; ky++)
                for (int kx = 0; kx < g.Kw; kx++)
                {
                    float* row = col + (long)((c * g.Kh + ky) * g.Kw + kx) * n;
                    int off = kx * g.Dw - g.Pw;
                    InsideColumns(off, g.Sw, g.W, wo, out int ox0, out int ox1);
                    if (ox1 <= ox0) continue;
                    for (int oy = oy0; oy < oy1; oy++)
                    {
                        int iy = oy * g.Sh - g.Ph + ky * g.Dh;
                        if ((uint)iy >= (uint)g.H) continue;
                        float* d = img + ((long)c * g.H + iy) * g.W + off;
                        float* s = row + (oy - oy0) * wo;
                        if (g.Sw == 1 && PoolSimd.Enabled) PoolSimd.AddRowMasked(s, d, ox0, ox1);
                        else if (g.Sw == 1)
                        {
                            var dst = new Span<float>(d + ox0, ox1 - ox0);
                            System.Numerics.Tensors.TensorPrimitives.Add(dst, new ReadOnlySpan<float>(s + ox0, ox1 - ox0), dst);
                        }
                        else if (g.Sw == 2)
                        {
                            int v = EvenVectorRun(g, off, ox0, ox1);
                            if (v > 0) PoolSimd.ScatterAddEven(s + ox0, d + 2 * ox0, v);
                            for (int ox = ox0 + v; ox < ox1; ox++) d[2 * ox] += s[ox];
                        }
                        else for (int ox = ox0; ox < ox1; ox++) d[ox * g.Sw] += s[ox];
                    }
                }
    }

    // ---------------------------------------------------------------------------------------------
    // the three per-sample products
    // ---------------------------------------------------------------------------------------------

    /// <summary>
    /// pos[P, Ho·Wo] = (accumulate ? pos : 0) + W · im2col(img), per group. img at imgOff (C·H·W floats),
    /// pos at posOff (P·Ho·Wo floats), W at wOff ([P, C/groups·Kh·Kw]).
    /// </summary>
    public static void Gather(ConvGeometry g, int groups, int p,
        float[] img, int imgOff, float[] w, int wOff, float[] pos, int posOff, bool accumulate)
    {
        if (!GemmOnly && ConvDirect.Suits(g, groups, p))
        {
            ConvDirect.Gather(g, groups, p, img, imgOff, w, wOff, pos, posOff, accumulate);
            return;
        }
        Im2ColProducts(g, groups, p, img, imgOff, w, wOff, pos, posOff, accumulate, null, 0, null, 0);
    }

    /// <summary>img += col2im(Wᵀ · pos), per group (the adjoint of <see cref="Gather"/>).</summary>
    public static void Scatter(ConvGeometry g, int groups, int p,
        float[] pos, int posOff, float[] w, int wOff, float[] img, int imgOff)
    {
        if (!GemmOnly && ConvDirect.Suits(g, groups, p))
        {
            ConvDirect.Scatter(g, groups, p, pos, posOff, w, wOff, img, imgOff);
            return;
        }
        int pg = p / groups, kg = g.Rows / groups, n = g.Positions;
        if (g.Pointwise)
        {
            for (int grp = 0; grp < groups; grp++)
                Sgemm.Multiply(true, false, kg, n, pg, w, wOff + grp * pg * kg, kg, pos, posOff + grp * pg * n, n,
                    img, imgOff + grp * kg * n, n, accumulate: true);
            return;
        }
        int blockRows = g.BlockRows;
        var col = Columns((long)g.Rows * blockRows * g.Wo);
        for (int oy0 = 0; oy0 < g.Ho; oy0 += blockRows)
        {
            int oy1 = Math.Min(g.Ho, oy0 + blockRows), nb = (oy1 - oy0) * g.Wo;
            for (int grp = 0; grp < groups; grp++)
                Sgemm.Multiply(true, false, kg, nb, pg, w, wOff + grp * pg * kg, kg, pos, posOff + grp * pg * n + oy0 * g.Wo, n,
                    col, grp * kg * nb, nb, accumulate: false);
            fixed (float* pi = img, pc = col) Col2Im(pc, g, oy0, oy1, pi + imgOff);
        }
    }

    /// <summary>
    /// Both backward products of a transposed convolution for one sample, sharing one im2col of img (its
    /// output gradient): gpos += W · im2col(img) when gpos is given (input gradient), and
    /// dW += pos · im2col(img)ᵀ when dw is given (weight gradient).
    /// </summary>
    public static void GatherAndWeightGrad(ConvGeometry g, int groups, int p, float[] img, int imgOff, float[] w, int wOff,
        float[]? gpos, int gposOff, float[] pos, int posOff, float[]? dw, int dwOff)
    {
        if (g.Pointwise || (!GemmOnly && ConvDirect.Suits(g, groups, p)) || gpos is null || dw is null)
        {
            if (gpos is not null) Gather(g, groups, p, img, imgOff, w, wOff, gpos, gposOff, accumulate: true);
            if (dw is not null) WeightGrad(g, groups, p, pos, posOff, img, imgOff, dw, dwOff);
            return;
        }
        Im2ColProducts(g, groups, p, img, imgOff, w, wOff, gpos, gposOff, true, pos, posOff, dw, dwOff);
    }

    /// <summary>dW += pos · im2col(img)ᵀ, per group; dW is [P, C/groups·Kh·Kw] at dwOff.</summary>
    public static void WeightGrad(ConvGeometry g, int groups, int p,
        float[] pos, int posOff, float[] img, int imgOff, float[] dw, int dwOff)
    {
        if (!GemmOnly && ConvDirect.SuitsWeightGrad(g, groups, p))
        {
            ConvDirect.WeightGrad(g, groups, p, pos, posOff, img, imgOff, dw, dwOff);
            return;
        }
        Im2ColProducts(g, groups, p, img, imgOff, null, 0, null, 0, false, pos, posOff, dw, dwOff);
    }

    /// <summary>
    /// The im2col + GEMM path of <see cref="Gather"/> and <see cref="WeightGrad"/>; when both products are asked
    /// for, each block of columns is made once and feeds both. gpos = (accumulate ? gpos : 0) + W · im2col(img)
    /// when gpos is given; dW += pos · im2col(img)ᵀ when dw is given (w with gpos, pos with dw).
    /// </summary>
    static void Im2ColProducts(ConvGeometry g, int groups, int p, float[] img, int imgOff,
        float[]? w, int wOff, float[]? gpos, int gposOff, bool accumulate, float[]? pos, int posOff, float[]? dw, int dwOff)
    {
        int pg = p / groups, kg = g.Rows / groups, n = g.Positions;
        if (g.Pointwise)
        {
            // 1×1, stride 1, no padding: img is its own column matrix
            for (int grp = 0; grp < groups; grp++) Products(grp, img, imgOff + grp * kg * n, n, 0);
            return;
        }
        int blockRows = g.BlockRows;
        var col = Columns((long)g.Rows * blockRows * g.Wo);
        for (int oy0 = 0; oy0 < g.Ho; oy0 += blockRows)
        {
            int oy1 = Math.Min(g.Ho, oy0 + blockRows), nb = (oy1 - oy0) * g.Wo;
            fixed (float* pi = img, pc = col) Im2Col(pi + imgOff, g, oy0, oy1, pc);
            for (int grp = 0; grp < groups; grp++) Products(grp, col, grp * kg * nb, nb, oy0 * g.Wo);
        }

        // group grp's products over nb positions starting at position `at`, its columns at cols[colOff], nb per row
        void Products(int grp, float[] cols, int colOff, int nb, int at)
        {
            if (gpos is not null)
                Sgemm.Multiply(false, false, pg, nb, kg, w!, wOff + grp * pg * kg, kg, cols, colOff, nb,
                    gpos, gposOff + grp * pg * n + at, n, accumulate);
            if (dw is not null)
                Sgemm.Multiply(false, true, pg, kg, nb, pos!, posOff + grp * pg * n + at, n, cols, colOff, nb,
                    dw, dwOff + grp * pg * kg, kg, accumulate: true);
        }
    }
}

/// <summary>
/// Fixed batch chunks for reductions over the batch (weight and bias gradients, batch-norm statistics):
/// the chunking depends only on the batch size and the size of each partial, each chunk sums its samples
/// in order into its own partial, and the partials are added in chunk order — so the result is the same
/// for any thread count.
/// </summary>
internal static class BatchChunks
{
    /// <summary>Number of chunks for a batch of n whose per-chunk partial holds `partialSize` floats.</summary>
    public static int Count(int n, long partialSize)
    {
        const long PartialBudget = 1 << 22; // floats over all partials (16 MB)
        long byMemory = Math.Max(1, PartialBudget / Math.Max(partialSize, 1));
        return (int)Math.Max(1, Math.Min(Math.Min(n, 16), byMemory));
    }

    public static (int start, int end) Range(int chunk, int chunks, int n)
        => ((int)((long)n * chunk / chunks), (int)((long)n * (chunk + 1) / chunks));

    [ThreadStatic] static float[]? partials;

    /// <summary>The calling thread's partial-sum scratch (zeroed), at least n floats.</summary>
    public static float[] Partials(long n)
    {
        var p = partials;
        if (p is null || p.Length < n) partials = p = new float[checked((int)Math.Max(n, (p?.Length ?? 0) * 3L / 2))];
        else Array.Clear(p, 0, (int)n);
        return p;
    }

    /// <summary>into[i] += Σ_c partials[c·size + i], chunks added in order.</summary>
    public static void AddInOrder(float[] partials, int chunks, int size, Span<float> into)
    {
        for (int c = 0; c < chunks; c++)
            System.Numerics.Tensors.TensorPrimitives.Add(into, partials.AsSpan(c * size, size), into);
    }
}
