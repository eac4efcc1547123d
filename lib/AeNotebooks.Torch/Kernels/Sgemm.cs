using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AeNotebooks.Torch.Kernels;

/// <summary>
/// Single-precision GEMM, GotoBLAS/BLIS style: the K dimension is cut into KC-deep panels; for each
/// panel, a block of op(A) is packed into MR-row slivers and a block of op(B) into NR-column slivers
/// (zero padded at the edges), and a register-blocked MR×NR micro-kernel computes each output tile.
///
/// Determinism: every output element is reduced in the same order whatever the thread count — k
/// runs sequentially inside a KC panel and the panels are added to C one after another. Threads
/// only share out whole output tiles, and no blocking size depends on the thread count.
/// </summary>
internal static unsafe class Sgemm
{
    // Micro-tile: 6×16 floats = 12 ymm accumulators + 2 for B + 1 broadcast of A (of 16 registers).
    const int MR = 6, NR = 16;
    // K depth of a panel: one 16×KC B sliver is 16 KB and stays in L1 while the A slivers stream past.
    const int KC = 256;
    // Rows of op(A) packed at once (1.5 MB) and columns of op(B) packed at once (2 MB): caps the pack
    // buffers for tall or wide operands; anything smaller is packed whole, so it is packed only once.
    const int MChunk = 1536;
    const int NChunk = 2048;
    // Work item of the parallel compute phase: at most 8 tiles (48 rows) × 32 slivers (512 columns),
    // so the A block it walks (48×KC) sits in L2 and each B sliver is reused 8 times from L1.
    const int ItemTiles = 8, ItemSlivers = 32, MinItems = 8;
    // Up to this many multiply-adds (e.g. 4×4×8) plain loops beat packing; measured crossover ~100-200.
    const long TinyWork = 128;
    // Pack work is split into groups of this many slivers so big packs can run on both cores.
    const int PackGroup = 8;

    /// <summary>Test hook: run the portable code paths (as on ARM) even where AVX2/FMA exist.</summary>
    internal static bool PortableOnly;

    /// <summary>
    /// Row-major. C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n], where op(A) = transA ? Aᵀ : A
    /// (A stored m×k, or k×m when transA, with row stride lda) and likewise op(B) (B stored k×n, or n×k
    /// when transB, row stride ldb). C has row stride ldc. C must not overlap A or B.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
        float[] c, int cOffset, int ldc, bool accumulate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (m == 0 || n == 0) return;
        CheckMatrix(nameof(c), c, cOffset, ldc, m, n);
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) Array.Clear(c, cOffset + i * ldc, n);
            return;
        }
        CheckMatrix(nameof(a), a, aOffset, lda, transA ? k : m, transA ? m : k);
        CheckMatrix(nameof(b), b, bOffset, ldb, transB ? n : k, transB ? k : n);

        if ((long)m * n * k <= TinyWork)
        {
            Direct(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
            return;
        }

        var job = Job.ForThisThread();
        job.Run(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
    }

    // Bounds are checked once here so the loops below can use raw pointers.
    static void CheckMatrix(string name, float[] x, int offset, int ld, int rows, int cols)
    {
        if (offset < 0 || ld < cols || ld < 1)
            throw new ArgumentException($"{name}: offset {offset} / row stride {ld} invalid for {rows}×{cols}", name);
        if (rows > 0 && cols > 0 && offset + (long)(rows - 1) * ld + cols > x.Length)
            throw new ArgumentException($"{name}: {rows}×{cols} with offset {offset}, stride {ld} exceeds length {x.Length}", name);
    }

    /// <summary>Tiny problems: one dot product per output, no packing, no threads.</summary>
    static void Direct(bool transA, bool transB, int m, int n, int k,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
        float[] c, int cOffset, int ldc, bool accumulate)
    {
        // Element strides of op(A) along i and p, and of op(B) along p and j.
        int ai = transA ? 1 : lda, ap = transA ? lda : 1;
        int bp = transB ? 1 : ldb, bj = transB ? ldb : 1;
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int i = 0; i < m; i++)
            {
                float* aRow = pa + aOffset + (long)i * ai;
                float* cRow = pc + cOffset + (long)i * ldc;
                for (int j = 0; j < n; j++)
                {
                    float* bCol = pb + bOffset + (long)j * bj;
                    float s = 0;
                    for (int p = 0; p < k; p++) s += aRow[(long)p * ap] * bCol[(long)p * bp];
                    cRow[j] = accumulate ? cRow[j] + s : s;
                }
            }
        }
    }

    /// <summary>
    /// State of one blocked multiply. One per calling thread, reused across calls (it owns the pack
    /// buffers), with its parallel bodies bound once so a call allocates nothing but what Parallel.For does.
    /// </summary>
    sealed class Job
    {
        [ThreadStatic] static Job? current;

        /// <summary>This thread's job, or a fresh one if it is busy (a multiply started from inside another's parallel loop).</summary>
        public static Job ForThisThread()
        {
            var job = current ??= new Job();
            return job.busy ? new Job() : job;
        }

        bool busy;

        // Problem.
        bool transA, transB, accumulate;
        int m, n, k, aOffset, lda, bOffset, ldb, cOffset, ldc;
        float[]? a, b, c;

        // Current block: rows [ic, ic+mc) × columns [jc, jc+nc) × depth [pc, pc+kc).
        int ic, mc, jc, nc, pc, kc;
        bool overwrite;        // first K panel without accumulate: store instead of add
        bool packB;            // this pack phase includes B (it is packed once per (pc, jc))
        int packItemsA;        // pack phase items [0, packItemsA) pack A; the rest pack B
        int itemTiles, itemSlivers, itemsM; // compute phase grid

        readonly PackBuffer aPack = new(), bPack = new();
        readonly Action<int> packBody, computeBody;

        Job()
        {
            packBody = PackItem;
            computeBody = ComputeItem;
        }

        public void Run(bool transA, bool transB, int m, int n, int k,
            float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
            float[] c, int cOffset, int ldc, bool accumulate)
        {
            (this.transA, this.transB, this.m, this.n, this.k, this.accumulate) = (transA, transB, m, n, k, accumulate);
            (this.a, this.aOffset, this.lda, this.b, this.bOffset, this.ldb, this.c, this.cOffset, this.ldc) =
                (a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
            busy = true;
            try
            {
                aPack.Ensure(RoundUp(Math.Min(m, MChunk), MR) * Math.Min(k, KC));
                bPack.Ensure(RoundUp(Math.Min(n, NChunk), NR) * Math.Min(k, KC));
                // K panels outermost and in order: each C element gets panel 0, then panel 1, ...
                for (pc = 0; pc < k; pc += KC)
                {
                    kc = Math.Min(KC, k - pc);
                    overwrite = pc == 0 && !accumulate;
                    for (jc = 0; jc < n; jc += NChunk)
                    {
                        nc = Math.Min(NChunk, n - jc);
                        packB = true;
                        for (ic = 0; ic < m; ic += MChunk)
                        {
                            mc = Math.Min(MChunk, m - ic);
                            Pack();
                            Compute();
                            packB = false;
                        }
                    }
                }
            }
            finally
            {
                // Don't keep the caller's arrays alive.
                this.a = this.b = this.c = null;
                busy = false;
            }
        }

        void Pack()
        {
            packItemsA = CeilDiv(CeilDiv(mc, MR), PackGroup);
            int items = packItemsA + (packB ? CeilDiv(CeilDiv(nc, NR), PackGroup) : 0);
            // Work = elements moved: small packs (e.g. 128×100) stay serial, where a fork would cost more.
            Parallel.For(items, packBody, (long)PackGroup * NR * kc);
        }

        void PackItem(int item)
        {
            bool isA = item < packItemsA;
            int group = isA ? item : item - packItemsA;
            if (isA)
            {
                int tiles = CeilDiv(mc, MR);
                fixed (float* src = a)
                    for (int t = group * PackGroup, end = Math.Min(tiles, t + PackGroup); t < end; t++)
                    {
                        int i = ic + t * MR, rows = Math.Min(MR, m - i);
                        float* dst = aPack.Ptr + (long)t * MR * kc;
                        if (transA) PackAT(src + aOffset + (long)pc * lda + i, lda, rows, kc, dst);
                        else PackAN(src + aOffset + (long)i * lda + pc, lda, rows, kc, dst);
                    }
            }
            else
            {
                int s = group * PackGroup, end = Math.Min(CeilDiv(nc, NR), s + PackGroup);
                fixed (float* src = b)
                {
                    if (!transB)
                    {
                        // Full slivers together, row by row: reads whole runs of each B row instead of
                        // 64-byte pieces one row stride apart.
                        int full = Math.Min(end, nc / NR) - s;
                        if (full > 0)
                            PackBNRows(src + bOffset + (long)pc * ldb + jc + s * NR, ldb, full, kc, bPack.Ptr + (long)s * NR * kc);
                        s += Math.Max(full, 0);
                    }
                    for (; s < end; s++)
                    {
                        int j = jc + s * NR, cols = Math.Min(NR, n - j);
                        float* dst = bPack.Ptr + (long)s * NR * kc;
                        if (transB) PackBT(src + bOffset + (long)j * ldb + pc, ldb, cols, kc, dst);
                        else PackBN(src + bOffset + (long)pc * ldb + j, ldb, cols, kc, dst);
                    }
                }
            }
        }

        void Compute()
        {
            int tiles = CeilDiv(mc, MR), slivers = CeilDiv(nc, NR);
            // Item grid depends on the problem only; shrink items until there are enough to share out.
            int it = Math.Min(tiles, ItemTiles), js = Math.Min(slivers, ItemSlivers);
            while (CeilDiv(tiles, it) * CeilDiv(slivers, js) < MinItems)
            {
                if (js > 1 && (js >= it || it == 1)) js = (js + 1) / 2;
                else if (it > 1) it = (it + 1) / 2;
                else break;
            }
            (itemTiles, itemSlivers, itemsM) = (it, js, CeilDiv(tiles, it));
            int items = itemsM * CeilDiv(slivers, js);
            Parallel.For(items, computeBody, 2L * it * MR * js * NR * kc);
        }

        void ComputeItem(int item)
        {
            int t0 = item % itemsM * itemTiles, s0 = item / itemsM * itemSlivers;
            int t1 = Math.Min(CeilDiv(mc, MR), t0 + itemTiles), s1 = Math.Min(CeilDiv(nc, NR), s0 + itemSlivers);
            fixed (float* cBase = c)
            {
                // Sliver outer, tile inner: the B sliver stays in L1 while the A tiles stream from L2.
                for (int s = s0; s < s1; s++)
                {
                    int j = jc + s * NR, cols = Math.Min(NR, n - j);
                    float* bp = bPack.Ptr + (long)s * NR * kc;
                    for (int t = t0; t < t1; t++)
                    {
                        int i = ic + t * MR, rows = Math.Min(MR, m - i);
                        float* ap = aPack.Ptr + (long)t * MR * kc;
                        float* cp = cBase + cOffset + (long)i * ldc + j;
                        Tile(kc, ap, bp, cp, ldc, rows, cols, overwrite);
                    }
                }
            }
        }
    }

    /// <summary>A pinned, 64-byte aligned float buffer that only grows.</summary>
    sealed class PackBuffer
    {
        float[] array = [];
        public float* Ptr { get; private set; }

        public void Ensure(long length)
        {
            if (length + 16 <= array.Length) return;
            // Pinned-heap arrays never move, so the aligned pointer stays valid while we hold the array.
            array = GC.AllocateUninitializedArray<float>(checked((int)(length + 16)), pinned: true);
            var p = (float*)Unsafe.AsPointer(ref array[0]);
            Ptr = (float*)(((nint)p + 63) & ~(nint)63);
        }
    }

    static int CeilDiv(int x, int y) => (x + y - 1) / y;
    static int RoundUp(int x, int y) => CeilDiv(x, y) * y;

    // ---- Packing. A sliver is kc × MR floats laid out p-major (dst[p*MR + r]); a B sliver is
    // kc × NR (dst[p*NR + j]). Rows/columns past the matrix edge are zero so the kernel needs no masks.

    /// <summary>A not transposed: rows are contiguous in p.</summary>
    static void PackAN(float* src, int lda, int rows, int kc, float* dst)
    {
        if (rows == MR && Avx.IsSupported && !PortableOnly)
        {
            PackANAvx(src, lda, kc, dst);
            return;
        }
        for (int r = 0; r < MR; r++)
        {
            float* s = src + (long)r * lda;
            if (r < rows) for (int p = 0; p < kc; p++) dst[p * MR + r] = s[p];
            else for (int p = 0; p < kc; p++) dst[p * MR + r] = 0;
        }
    }

    /// <summary>Full 6-row A sliver: transposes 6×8 blocks with AVX (strided scalar stores are slow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackANAvx(float* src, int lda, int kc, float* dst)
    {
        float* s0 = src, s1 = src + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
        int p = 0;
        for (; p + 8 <= kc; p += 8, dst += 8 * MR)
        {
            // Rows r0..r5, 8 columns each; output is 8 columns × 6 rows, p-major.
            var r0 = Avx.LoadVector256(s0 + p); var r1 = Avx.LoadVector256(s1 + p);
            var r2 = Avx.LoadVector256(s2 + p); var r3 = Avx.LoadVector256(s3 + p);
            var r4 = Avx.LoadVector256(s4 + p); var r5 = Avx.LoadVector256(s5 + p);
            // 4×4 transpose of rows 0-3 within each 128-bit lane.
            var t0 = Avx.UnpackLow(r0, r1);   // a0 b0 a1 b1 | a4 b4 a5 b5
            var t1 = Avx.UnpackHigh(r0, r1);  // a2 b2 a3 b3 | a6 b6 a7 b7
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            var q0 = Avx.Shuffle(t0, t2, 0x44); // a0 b0 c0 d0 | a4 b4 c4 d4
            var q1 = Avx.Shuffle(t0, t2, 0xEE); // a1 b1 c1 d1 | a5 ...
            var q2 = Avx.Shuffle(t1, t3, 0x44); // a2 ...      | a6 ...
            var q3 = Avx.Shuffle(t1, t3, 0xEE); // a3 ...      | a7 ...
            // Rows 4-5 as pairs: e0 f0 e1 f1 | e4 f4 e5 f5 and e2 f2 e3 f3 | e6 f6 e7 f7.
            var u0 = Avx.UnpackLow(r4, r5);
            var u1 = Avx.UnpackHigh(r4, r5);
            // Column c occupies dst[c*6 .. c*6+5]: 4 floats from q, 2 from u.
            StoreCol(dst + 0 * MR, q0.GetLower(), u0.GetLower());
            StoreCol(dst + 1 * MR, q1.GetLower(), Sse.MoveHighToLow(u0.GetLower(), u0.GetLower()));
            StoreCol(dst + 2 * MR, q2.GetLower(), u1.GetLower());
            StoreCol(dst + 3 * MR, q3.GetLower(), Sse.MoveHighToLow(u1.GetLower(), u1.GetLower()));
            StoreCol(dst + 4 * MR, q0.GetUpper(), u0.GetUpper());
            StoreCol(dst + 5 * MR, q1.GetUpper(), Sse.MoveHighToLow(u0.GetUpper(), u0.GetUpper()));
            StoreCol(dst + 6 * MR, q2.GetUpper(), u1.GetUpper());
            StoreCol(dst + 7 * MR, q3.GetUpper(), Sse.MoveHighToLow(u1.GetUpper(), u1.GetUpper()));
        }
        for (; p < kc; p++, dst += MR)
        {
            dst[0] = s0[p]; dst[1] = s1[p]; dst[2] = s2[p]; dst[3] = s3[p]; dst[4] = s4[p]; dst[5] = s5[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreCol(float* dst, Vector128<float> first4, Vector128<float> last2)
    {
        Sse.Store(dst, first4);
        Sse.StoreLow(dst + 4, last2);
    }

    /// <summary>A transposed (stored k×m): each p gives MR contiguous floats.</summary>
    static void PackAT(float* src, int lda, int rows, int kc, float* dst)
    {
        if (rows == MR)
        {
            for (int p = 0; p < kc; p++, src += lda, dst += MR)
            {
                Vector128.Store(Vector128.Load(src), dst);
                dst[4] = src[4];
                dst[5] = src[5];
            }
            return;
        }
        for (int p = 0; p < kc; p++, src += lda, dst += MR)
        {
            int r = 0;
            for (; r < rows; r++) dst[r] = src[r];
            for (; r < MR; r++) dst[r] = 0;
        }
    }

    /// <summary>B not transposed: each p gives NR contiguous floats.</summary>
    static void PackBN(float* src, int ldb, int cols, int kc, float* dst)
    {
        if (cols == NR)
        {
            for (int p = 0; p < kc; p++, src += ldb, dst += NR)
            {
                Vector256.Store(Vector256.Load(src), dst);
                Vector256.Store(Vector256.Load(src + 8), dst + 8);
            }
            return;
        }
        for (int p = 0; p < kc; p++, src += ldb, dst += NR)
        {
            int j = 0;
            for (; j < cols; j++) dst[j] = src[j];
            for (; j < NR; j++) dst[j] = 0;
        }
    }

    /// <summary>B not transposed, several full slivers at once (sliver s of row p from src[p*ldb + s*NR]).</summary>
    static void PackBNRows(float* src, int ldb, int slivers, int kc, float* dst)
    {
        long sliverSize = (long)NR * kc;
        for (int p = 0; p < kc; p++, src += ldb)
        {
            float* d = dst + p * NR;
            for (int s = 0; s < slivers; s++, d += sliverSize)
            {
                Vector256.Store(Vector256.Load(src + s * NR), d);
                Vector256.Store(Vector256.Load(src + s * NR + 8), d + 8);
            }
        }
    }

    /// <summary>B transposed (stored n×k): columns of op(B) are contiguous rows of B.</summary>
    static void PackBT(float* src, int ldb, int cols, int kc, float* dst)
    {
        if (cols == NR && Avx.IsSupported && !PortableOnly)
        {
            PackBTAvx(src, ldb, kc, dst);
            return;
        }
        for (int j = 0; j < NR; j++)
        {
            float* s = src + (long)j * ldb;
            if (j < cols) for (int p = 0; p < kc; p++) dst[p * NR + j] = s[p];
            else for (int p = 0; p < kc; p++) dst[p * NR + j] = 0;
        }
    }

    /// <summary>Full 16-column B sliver from Bᵀ: two 8×8 AVX transposes per 8 values of p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PackBTAvx(float* src, int ldb, int kc, float* dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            Transpose8x8(src + p, ldb, dst + p * NR, NR);
            Transpose8x8(src + 8L * ldb + p, ldb, dst + p * NR + 8, NR);
        }
        for (; p < kc; p++)
            for (int j = 0; j < NR; j++) dst[p * NR + j] = src[(long)j * ldb + p];
    }

    /// <summary>dst[c*dstStride + r] = src[r*srcStride + c] for an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* src, int srcStride, float* dst, int dstStride)
    {
        var r0 = Avx.LoadVector256(src); var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2L * srcStride); var r3 = Avx.LoadVector256(src + 3L * srcStride);
        var r4 = Avx.LoadVector256(src + 4L * srcStride); var r5 = Avx.LoadVector256(src + 5L * srcStride);
        var r6 = Avx.LoadVector256(src + 6L * srcStride); var r7 = Avx.LoadVector256(src + 7L * srcStride);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var q0 = Avx.Shuffle(t0, t2, 0x44); var q1 = Avx.Shuffle(t0, t2, 0xEE);
        var q2 = Avx.Shuffle(t1, t3, 0x44); var q3 = Avx.Shuffle(t1, t3, 0xEE);
        var q4 = Avx.Shuffle(t4, t6, 0x44); var q5 = Avx.Shuffle(t4, t6, 0xEE);
        var q6 = Avx.Shuffle(t5, t7, 0x44); var q7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(q0, q4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(q1, q5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(q2, q6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(q3, q7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(q0, q4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(q1, q5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(q2, q6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(q3, q7, 0x31));
    }

    // ---- Micro-kernels. Each computes the full MR×NR tile acc = Σ_p a[p,:]ᵀ b[p,:] over the packed
    // slivers (p in order), then stores (overwrite) or adds it into the rows×cols part that is inside C.

    [SkipLocalsInit]
    static void Tile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        if (Fma.IsSupported && !PortableOnly)
        {
            if (rows == MR && cols == NR)
            {
                KernelFma(kc, a, b, c, ldc, overwrite);
                return;
            }
            // Edge tile: kernel into a scratch tile, then copy the part inside C. A sliver with at most 8
            // real columns only needs the half-width kernel (each element's sum is the same either way).
            float* tmp = stackalloc float[MR * NR];
            if (cols <= NR / 2) KernelFmaHalf(kc, a, b, tmp);
            else KernelFma(kc, a, b, tmp, NR, overwrite: true);
            MergeEdge(tmp, c, ldc, rows, cols, overwrite);
        }
        else
        {
            float* tmp = stackalloc float[MR * NR];
            KernelPortable(kc, a, b, tmp);
            MergeEdge(tmp, c, ldc, rows, cols, overwrite);
        }
    }

    static void MergeEdge(float* tmp, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        for (int r = 0; r < rows; r++, c += ldc, tmp += NR)
        {
            if (overwrite) for (int j = 0; j < cols; j++) c[j] = tmp[j];
            else for (int j = 0; j < cols; j++) c[j] += tmp[j];
        }
    }

    /// <summary>AVX2+FMA 6×16 kernel: 12 accumulators held in ymm registers for the whole panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void KernelFma(int kc, float* a, float* b, float* c, int ldc, bool overwrite)
    {
        // Fetch the C tile now so its cache misses overlap the k loop instead of stalling the stores.
        for (float* q = c, qEnd = c + MR * (long)ldc; q < qEnd; q += ldc)
        {
            Sse.Prefetch0(q);
            Sse.Prefetch0(q + NR - 1);
        }
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += MR, b += NR)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var av = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
        }
        StoreRow(c, c00, c01, overwrite); c += ldc;
        StoreRow(c, c10, c11, overwrite); c += ldc;
        StoreRow(c, c20, c21, overwrite); c += ldc;
        StoreRow(c, c30, c31, overwrite); c += ldc;
        StoreRow(c, c40, c41, overwrite); c += ldc;
        StoreRow(c, c50, c51, overwrite);
    }

    /// <summary>Left 6×8 half of <see cref="KernelFma"/> for narrow edge slivers; writes tile[r*NR + 0..7].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void KernelFmaHalf(int kc, float* a, float* b, float* tile)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int p = 0; p < kc; p++, a += MR, b += NR)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a), b0, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 1), b0, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 2), b0, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 3), b0, c3);
            c4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 4), b0, c4);
            c5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 5), b0, c5);
        }
        Avx.Store(tile, c0); Avx.Store(tile + NR, c1); Avx.Store(tile + 2 * NR, c2);
        Avx.Store(tile + 3 * NR, c3); Avx.Store(tile + 4 * NR, c4); Avx.Store(tile + 5 * NR, c5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow(float* c, Vector256<float> lo, Vector256<float> hi, bool overwrite)
    {
        if (!overwrite)
        {
            lo = Avx.Add(Avx.LoadVector256(c), lo);
            hi = Avx.Add(Avx.LoadVector256(c + 8), hi);
        }
        Avx.Store(c, lo);
        Avx.Store(c + 8, hi);
    }

    /// <summary>
    /// Fallback for CPUs without FMA (e.g. ARM): one output row at a time, four 128-bit accumulators,
    /// separate multiply and add. Still sums p in order, so it is deterministic too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void KernelPortable(int kc, float* a, float* b, float* tile)
    {
        for (int r = 0; r < MR; r++)
        {
            Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bp = b;
            for (int p = 0; p < kc; p++, bp += NR)
            {
                var av = Vector128.Create(a[p * MR + r]);
                s0 += av * Vector128.Load(bp);
                s1 += av * Vector128.Load(bp + 4);
                s2 += av * Vector128.Load(bp + 8);
                s3 += av * Vector128.Load(bp + 12);
            }
            float* t = tile + r * NR;
            s0.Store(t); s1.Store(t + 4); s2.Store(t + 8); s3.Store(t + 12);
        }
    }
}
