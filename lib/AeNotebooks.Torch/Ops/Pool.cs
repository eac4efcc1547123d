using AeNotebooks.Torch.Kernels;
using Parallel = AeNotebooks.Torch.Kernels.Parallel;

namespace AeNotebooks.Torch
{
    /// <summary>nn.Upsample's algorithm (TorchSharp's <c>UpsampleMode</c>); this engine implements Nearest and Bilinear.</summary>
    public enum UpsampleMode { Nearest, Linear, Bilinear, Bicubic, Trilinear }

    /// <summary>functional.interpolate's algorithm (TorchSharp's <c>InterpolationMode</c>); this engine implements Nearest, NearestExact and Bilinear.</summary>
    public enum InterpolationMode { Nearest, Linear, Bilinear, Bicubic, Trilinear, Area, NearestExact }

    public static partial class torch
    {
        public static partial class nn
        {
            public static partial class functional
            {
                /// <summary>Max over kH×kW windows of [N, C, H, W] (or [C, H, W]); stride defaults to the kernel size.</summary>
                public static Tensor max_pool2d(Tensor input, long[] kernel_size, long[]? stride = null,
                    long[]? padding = null, long[]? dilation = null, bool ceil_mode = false)
                {
                    var p = PoolOps.Params("max_pool2d", kernel_size, stride, padding, dilation);
                    return PoolOps.Batched(input, "max_pool2d", x => PoolOps.MaxPool(x, p, ceil_mode, indices: false).Item1);
                }

                /// <summary>max_pool2d that also returns, per output, the flat index (h·W + w) of the max within its input plane (as a float tensor).</summary>
                public static (Tensor output, Tensor indices) max_pool2d_with_indices(Tensor input, long[] kernel_size, long[]? stride = null,
                    long[]? padding = null, long[]? dilation = null, bool ceil_mode = false)
                {
                    var p = PoolOps.Params("max_pool2d", kernel_size, stride, padding, dilation);
                    return PoolOps.Batched2(input, "max_pool2d", x => PoolOps.MaxPool(x, p, ceil_mode, indices: true));
                }

                /// <summary>
                /// Mean over kH×kW windows. count_include_pad counts the zero padding in the divisor (PyTorch's
                /// default); divisor_override replaces the divisor.
                /// </summary>
                public static Tensor avg_pool2d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                    bool ceil_mode = false, bool count_include_pad = true, long? divisor_override = null)
                {
                    var p = PoolOps.Params("avg_pool2d", kernel_size, stride, padding, null);
                    if (divisor_override is <= 0) throw new ArgumentException($"avg_pool2d: divisor_override must be positive, got {divisor_override}");
                    return PoolOps.Batched(input, "avg_pool2d", x => PoolOps.AvgPool(x, p, ceil_mode, count_include_pad, (int?)divisor_override));
                }

                /// <summary>
                /// Resizes [N, C, H, W] (or [C, H, W]) to `size` or by `scale_factor` (one value or (h, w)).
                /// Nearest picks floor(dst·scale) as PyTorch; NearestExact floor((dst + ½)·scale); Bilinear
                /// interpolates (align_corners default false). With a scale factor and no recompute, the
                /// source coordinate uses 1/scale_factor, as PyTorch does.
                /// </summary>
                public static Tensor interpolate(Tensor x, long[]? size = null, double[]? scale_factor = null,
                    InterpolationMode mode = InterpolationMode.Nearest, bool? align_corners = null, bool recompute_scale_factor = false)
                    => PoolOps.Batched(x, "interpolate", t => PoolOps.Interpolate(t, size, scale_factor, mode, align_corners, recompute_scale_factor));

                /// <summary>nn.Upsample's functional form.</summary>
                public static Tensor upsample(Tensor input, long[]? size = null, double[]? scale_factor = null,
                    UpsampleMode mode = UpsampleMode.Nearest, bool? align_corners = null)
                    => interpolate(input, size, scale_factor, PoolOps.ToInterpolation(mode), align_corners);
            }
        }
    }

    /// <summary>Pooling and resizing kernels (NCHW). Each (sample, channel) plane is independent: planes run in parallel, and each plane's gradient is summed in a fixed order.</summary>
    internal static class PoolOps
    {
        internal readonly record struct Window(int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Dh, int Dw);

        public static Window Params(string op, long[] kernel, long[]? stride, long[]? padding, long[]? dilation)
        {
            if (kernel is null || kernel.Length == 0) throw new ArgumentException($"{op}: kernel_size is required");
            var (kh, kw) = torch.nn.functional.Pair(kernel, 1, op, "kernel_size");
            var (sh, sw) = stride is null || stride.Length == 0 ? (kh, kw) : torch.nn.functional.Pair(stride, 1, op, "stride");
            var (ph, pw) = torch.nn.functional.Pair(padding, 0, op, "padding");
            var (dh, dw) = torch.nn.functional.Pair(dilation, 1, op, "dilation");
            if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1)
                throw new ArgumentException($"{op}: kernel ({kh}, {kw}), stride ({sh}, {sw}) and dilation ({dh}, {dw}) must be ≥ 1");
            if (ph > kh / 2 || pw > kw / 2)
                throw new ArgumentException($"{op}: padding ({ph}, {pw}) must be at most half the kernel size ({kh}, {kw})");
            return new Window(kh, kw, sh, sw, ph, pw, dh, dw);
        }

        /// <summary>PyTorch's pooling_output_shape.</summary>
        static int OutputSize(string op, int size, int k, int s, int p, int d, bool ceil)
        {
            long num = size + 2L * p - (long)d * (k - 1) - 1 + (ceil ? s - 1 : 0);
            long o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
            if (ceil && (o - 1) * s >= size + p) o--;
            if (o < 1) throw new ArgumentException($"{op}: input size {size} is too small for kernel {k} (dilation {d}, padding {p}): the output would be empty");
            return (int)o;
        }

        public static torch.Tensor Batched(torch.Tensor input, string op, Func<torch.Tensor, torch.Tensor> f)
        {
            if (input.dims.Length == 4) return f(input);
            if (input.dims.Length == 3) return f(input.unsqueeze(0)).squeeze(0);
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W] (or 3-D [C, H, W]), got {ShapeUtil.Format(input.dims)}");
        }

        public static (torch.Tensor, torch.Tensor) Batched2(torch.Tensor input, string op, Func<torch.Tensor, (torch.Tensor, torch.Tensor)> f)
        {
            if (input.dims.Length == 4) return f(input);
            if (input.dims.Length == 3)
            {
                var (a, b) = f(input.unsqueeze(0));
                return (a.squeeze(0), b.squeeze(0));
            }
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W] (or 3-D [C, H, W]), got {ShapeUtil.Format(input.dims)}");
        }

        // ---------------------------------------------------------------------------------------------
        // max pooling
        // ---------------------------------------------------------------------------------------------

        /// <summary>Max pooling; the float index tensor is only built when asked for (max_pool2d_with_indices).</summary>
        public static (torch.Tensor, torch.Tensor) MaxPool(torch.Tensor x, Window p, bool ceil, bool indices)
        {
            const string op = "max_pool2d";
            int n = x.dims[0], c = x.dims[1], h = x.dims[2], w = x.dims[3];
            int ho = OutputSize(op, h, p.Kh, p.Sh, p.Ph, p.Dh, ceil), wo = OutputSize(op, w, p.Kw, p.Sw, p.Pw, p.Dw, ceil);
            var y = ConvOps.Uninitialized([n, c, ho, wo]);
            int planes = n * c, inPlane = h * w, outPlane = ho * wo;
            bool simple = p.Kh == 2 && p.Kw == 2 && p.Sh == 2 && p.Sw == 2 && p.Ph == 0 && p.Pw == 0 && p.Dh == 1 && p.Dw == 1
                && 2 * ho <= h && 2 * wo <= w;
            if (simple && !indices)
            {
                // 2×2 / stride 2: no index array; backward finds each window's winner again from the input
                Parallel.For(planes, i => MaxPlane2x2(x.storage, x.offset + i * inPlane, w, ho, wo, y.storage, i * outPlane), 4L * outPlane);
                return (torch.Tensor.Record(y, op, x, g =>
                {
                    var gx = x.GradArray(out int gxOff);
                    Parallel.For(planes, i => MaxPlane2x2Backward(x.storage, x.offset + i * inPlane, w, ho, wo, g, i * outPlane, gx, gxOff + i * inPlane), 4L * outPlane);
                }), null!);
            }

            var argmax = GC.AllocateUninitializedArray<int>(n * c * ho * wo);
            Parallel.For(planes, i =>
            {
                var src = x.storage.AsSpan(x.offset + i * inPlane, inPlane);
                var dst = y.storage.AsSpan(i * outPlane, outPlane);
                var idx = argmax.AsSpan(i * outPlane, outPlane);
                MaxPlane(src, h, w, ho, wo, p, dst, idx);
            }, 4L * p.Kh * p.Kw * outPlane);

            var result = torch.Tensor.Record(y, op, x, g =>
            {
                var gx = x.GradArray(out int gxOff);
                Parallel.For(planes, i =>
                {
                    int inBase = gxOff + i * inPlane, outBase = i * outPlane;
                    for (int k = 0; k < outPlane; k++) gx[inBase + argmax[outBase + k]] += g[outBase + k];
                }, 2L * outPlane);
            });
            return (result, indices ? IndexTensor(argmax, [n, c, ho, wo]) : null!);
        }

        static torch.Tensor IndexTensor(int[] argmax, int[] dims)
        {
            var t = new torch.Tensor(dims);
            for (int i = 0; i < argmax.Length; i++) t.storage[i] = argmax[i];
            return t;
        }

        /// <summary>The winner (0..3, row-major) of a 2×2 window: PyTorch keeps the first max and lets NaN win.</summary>
        static int Winner2x2(float a, float b, float c, float d, out float m)
        {
            m = a; int at = 0;
            if (b > m || float.IsNaN(b)) { m = b; at = 1; }
            if (c > m || float.IsNaN(c)) { m = c; at = 2; }
            if (d > m || float.IsNaN(d)) { m = d; at = 3; }
            return at;
        }

        /// <summary>2×2 windows, stride 2, inside the plane (SIMD where AVX2 exists).</summary>
        static unsafe void MaxPlane2x2(float[] src, int srcOff, int w, int ho, int wo, float[] dst, int dstOff)
        {
            fixed (float* ps = &src[srcOff], pd = &dst[dstOff])
            {
                if (PoolSimd.Enabled) { PoolSimd.MaxPool2x2(ps, w, ho, wo, pd); return; }
                for (int oy = 0; oy < ho; oy++)
                {
                    float* r0 = ps + (long)2 * oy * w, r1 = r0 + w;
                    for (int ox = 0; ox < wo; ox++)
                    {
                        Winner2x2(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1], out float m);
                        pd[oy * wo + ox] = m;
                    }
                }
            }
        }

        static unsafe void MaxPlane2x2Backward(float[] src, int srcOff, int w, int ho, int wo, float[] g, int gOff, float[] gx, int gxOff)
        {
            fixed (float* ps = &src[srcOff], pg = &g[gOff], pgx = &gx[gxOff])
            {
                if (PoolSimd.Enabled) { PoolSimd.MaxPool2x2Backward(ps, w, ho, wo, pg, pgx); return; }
                for (int oy = 0; oy < ho; oy++)
                {
                    float* r0 = ps + (long)2 * oy * w, r1 = r0 + w;
                    for (int ox = 0; ox < wo; ox++)
                    {
                        int at = Winner2x2(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1], out _);
                        pgx[(2 * oy + (at >> 1)) * w + 2 * ox + (at & 1)] += pg[oy * wo + ox];
                    }
                }
            }
        }

        static void MaxPlane(ReadOnlySpan<float> src, int h, int w, int ho, int wo, Window p, Span<float> dst, Span<int> idx)
        {
            for (int oy = 0; oy < ho; oy++)
            {
                int hs = oy * p.Sh - p.Ph, he = Math.Min(hs + (p.Kh - 1) * p.Dh + 1, h);
                while (hs < 0) hs += p.Dh;
                for (int ox = 0; ox < wo; ox++)
                {
                    int ws = ox * p.Sw - p.Pw, we = Math.Min(ws + (p.Kw - 1) * p.Dw + 1, w);
                    while (ws < 0) ws += p.Dw;
                    float m = float.NegativeInfinity;
                    int at = hs * w + ws;
                    for (int iy = hs; iy < he; iy += p.Dh)
                        for (int ix = ws; ix < we; ix += p.Dw)
                        {
                            float v = src[iy * w + ix];
                            if (v > m || float.IsNaN(v)) { m = v; at = iy * w + ix; }
                        }
                    dst[oy * wo + ox] = m;
                    idx[oy * wo + ox] = at;
                }
            }
        }

        // ---------------------------------------------------------------------------------------------
        // average pooling
        // ---------------------------------------------------------------------------------------------

        public static torch.Tensor AvgPool(torch.Tensor x, Window p, bool ceil, bool countIncludePad, int? divisorOverride)
        {
            const string op = "avg_pool2d";
            int n = x.dims[0], c = x.dims[1], h = x.dims[2], w = x.dims[3];
            int ho = OutputSize(op, h, p.Kh, p.Sh, p.Ph, 1, ceil), wo = OutputSize(op, w, p.Kw, p.Sw, p.Pw, 1, ceil);
            var y = ConvOps.Uninitialized([n, c, ho, wo]);
            int planes = n * c, inPlane = h * w, outPlane = ho * wo;
            // window bounds and divisors are the same for every plane
            var rows = new (int start, int end, int padded)[ho];
            var cols = new (int start, int end, int padded)[wo];
            for (int oy = 0; oy < ho; oy++) rows[oy] = Clip(oy * p.Sh - p.Ph, p.Kh, h, p.Ph);
            for (int ox = 0; ox < wo; ox++) cols[ox] = Clip(ox * p.Sw - p.Pw, p.Kw, w, p.Pw);
            float Divisor(int oy, int ox)
            {
                if (divisorOverride is int d) return d;
                var (r, q) = (rows[oy], cols[ox]);
                return countIncludePad ? r.padded * q.padded : (r.end - r.start) * (q.end - q.start);
            }
            Parallel.For(planes, i =>
            {
                var src = x.storage.AsSpan(x.offset + i * inPlane, inPlane);
                var dst = y.storage.AsSpan(i * outPlane, outPlane);
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                    {
                        var (r, q) = (rows[oy], cols[ox]);
                        if (r.start >= r.end || q.start >= q.end) { dst[oy * wo + ox] = 0; continue; }
                        float sum = 0;
                        for (int iy = r.start; iy < r.end; iy++)
                            for (int ix = q.start; ix < q.end; ix++) sum += src[iy * w + ix];
                        dst[oy * wo + ox] = sum / Divisor(oy, ox);
                    }
            }, 2L * p.Kh * p.Kw * outPlane);

            return torch.Tensor.Record(y, op, x, g =>
            {
                var gx = x.GradArray(out int gxOff);
                Parallel.For(planes, i =>
                {
                    int inBase = gxOff + i * inPlane, outBase = i * outPlane;
                    for (int oy = 0; oy < ho; oy++)
                        for (int ox = 0; ox < wo; ox++)
                        {
                            var (r, q) = (rows[oy], cols[ox]);
                            if (r.start >= r.end || q.start >= q.end) continue;
                            float v = g[outBase + oy * wo + ox] / Divisor(oy, ox);
                            for (int iy = r.start; iy < r.end; iy++)
                                for (int ix = q.start; ix < q.end; ix++) gx[inBase + iy * w + ix] += v;
                        }
                }, 2L * p.Kh * p.Kw * outPlane);
            });
        }

        /// <summary>PyTorch's avg-pool window: the padded extent (for count_include_pad) and the part inside the input.</summary>
        static (int start, int end, int padded) Clip(int start, int k, int size, int pad)
        {
            int end = Math.Min(start + k, size + pad);
            int padded = end - start;
            return (Math.Max(start, 0), Math.Min(end, size), padded);
        }

        // ---------------------------------------------------------------------------------------------
        // interpolation
        // ---------------------------------------------------------------------------------------------

        public static InterpolationMode ToInterpolation(UpsampleMode mode) => mode switch
        {
            UpsampleMode.Nearest => InterpolationMode.Nearest,
            UpsampleMode.Linear => InterpolationMode.Linear,
            UpsampleMode.Bilinear => InterpolationMode.Bilinear,
            UpsampleMode.Bicubic => InterpolationMode.Bicubic,
            _ => InterpolationMode.Trilinear,
        };

        public static torch.Tensor Interpolate(torch.Tensor x, long[]? size, double[]? scaleFactor, InterpolationMode mode, bool? alignCorners, bool recompute)
        {
            const string op = "interpolate";
            if (mode is not (InterpolationMode.Nearest or InterpolationMode.NearestExact or InterpolationMode.Bilinear))
                throw new NotSupportedException($"{op}: mode {mode} is not implemented for 2-D images (Nearest, NearestExact and Bilinear are)");
            if (alignCorners.HasValue && mode != InterpolationMode.Bilinear)
                throw new ArgumentException($"{op}: align_corners can only be set with an interpolating mode (Bilinear), not {mode}");
            if ((size is null) == (scaleFactor is null))
                throw new ArgumentException($"{op}: give exactly one of size and scale_factor");
            int n = x.dims[0], c = x.dims[1], h = x.dims[2], w = x.dims[3];
            int ho, wo;
            double? sh = null, sw = null;
            if (size is not null)
            {
                var (a, b) = torch.nn.functional.Pair(size, 0, op, "size");
                (ho, wo) = (a, b);
            }
            else
            {
                if (scaleFactor!.Length is < 1 or > 2 || scaleFactor.Any(s => !(s > 0)))
                    throw new ArgumentException($"{op}: scale_factor takes one or two positive values, got [{string.Join(", ", scaleFactor)}]");
                double fh = scaleFactor[0], fw = scaleFactor.Length == 2 ? scaleFactor[1] : scaleFactor[0];
                ho = (int)Math.Floor(h * fh); wo = (int)Math.Floor(w * fw);
                if (!recompute) (sh, sw) = (fh, fw);
            }
            if (ho < 1 || wo < 1) throw new ArgumentException($"{op}: output size {ho}×{wo} is empty (input {h}×{w})");
            var y = ConvOps.Uninitialized([n, c, ho, wo]);
            int planes = n * c, inPlane = h * w, outPlane = ho * wo;

            if (mode == InterpolationMode.Nearest && ho == 2 * h && wo == 2 * w && PoolSimd.Enabled)
                return Upsample2x(x, n * c, h, w, y);
            if (mode is InterpolationMode.Nearest or InterpolationMode.NearestExact)
            {
                bool exact = mode == InterpolationMode.NearestExact;
                var ys = NearestIndexes(h, ho, sh, exact);
                var xs = NearestIndexes(w, wo, sw, exact);
                Parallel.For(planes, i =>
                {
                    var src = x.storage.AsSpan(x.offset + i * inPlane, inPlane);
                    var dst = y.storage.AsSpan(i * outPlane, outPlane);
                    for (int oy = 0; oy < ho; oy++)
                    {
                        var srcRow = src.Slice(ys[oy] * w, w);
                        var dstRow = dst.Slice(oy * wo, wo);
                        if (oy > 0 && ys[oy] == ys[oy - 1]) { dst.Slice((oy - 1) * wo, wo).CopyTo(dstRow); continue; }
                        for (int ox = 0; ox < wo; ox++) dstRow[ox] = srcRow[xs[ox]];
                    }
                }, 2L * outPlane);
                return torch.Tensor.Record(y, "upsample_nearest2d", x, g =>
                {
                    var gx = x.GradArray(out int gxOff);
                    Parallel.For(planes, i =>
                    {
                        int inBase = gxOff + i * inPlane, outBase = i * outPlane;
                        for (int oy = 0; oy < ho; oy++)
                        {
                            int srcRow = inBase + ys[oy] * w, dstRow = outBase + oy * wo;
                            for (int ox = 0; ox < wo; ox++) gx[srcRow + xs[ox]] += g[dstRow + ox];
                        }
                    }, 2L * outPlane);
                });
            }

            bool align = alignCorners ?? false;
            var (y0, y1, ly0, ly1) = LinearWeights(h, ho, sh, align);
            var (x0, x1, lx0, lx1) = LinearWeights(w, wo, sw, align);
            Parallel.For(planes, i =>
            {
                var src = x.storage.AsSpan(x.offset + i * inPlane, inPlane);
                var dst = y.storage.AsSpan(i * outPlane, outPlane);
                for (int oy = 0; oy < ho; oy++)
                {
                    var r0 = src.Slice(y0[oy] * w, w);
                    var r1 = src.Slice(y1[oy] * w, w);
                    for (int ox = 0; ox < wo; ox++)
                    {
                        float top = r0[x0[ox]] * lx0[ox] + r0[x1[ox]] * lx1[ox];
                        float bottom = r1[x0[ox]] * lx0[ox] + r1[x1[ox]] * lx1[ox];
                        dst[oy * wo + ox] = top * ly0[oy] + bottom * ly1[oy];
                    }
                }
            }, 12L * outPlane);
            return torch.Tensor.Record(y, "upsample_bilinear2d", x, g =>
            {
                var gx = x.GradArray(out int gxOff);
                Parallel.For(planes, i =>
                {
                    int inBase = gxOff + i * inPlane, outBase = i * outPlane;
                    for (int oy = 0; oy < ho; oy++)
                    {
                        int r0 = inBase + y0[oy] * w, r1 = inBase + y1[oy] * w;
                        for (int ox = 0; ox < wo; ox++)
                        {
                            float v = g[outBase + oy * wo + ox];
                            float top = v * ly0[oy], bottom = v * ly1[oy];
                            gx[r0 + x0[ox]] += top * lx0[ox];
                            gx[r0 + x1[ox]] += top * lx1[ox];
                            gx[r1 + x0[ox]] += bottom * lx0[ox];
                            gx[r1 + x1[ox]] += bottom * lx1[ox];
                        }
                    }
                }, 12L * outPlane);
            });
        }

        /// <summary>Nearest ×2 (PyTorch's source index for out = 2·in is dst / 2): SIMD for whole vectors of input columns.</summary>
        static unsafe torch.Tensor Upsample2x(torch.Tensor x, int planes, int h, int w, torch.Tensor y)
        {
            int inPlane = h * w, outPlane = 4 * inPlane, full = w / 8 * 8;
            Parallel.For(planes, i =>
            {
                fixed (float* ps = &x.storage[x.offset + i * inPlane], pd = &y.storage[i * outPlane])
                {
                    PoolSimd.Upsample2x(ps, h, w, full, pd);
                    for (int yy = 0; yy < h; yy++)
                        for (int xx = full; xx < w; xx++)
                        {
                            float v = ps[yy * w + xx];
                            float* d = pd + (long)2 * yy * 2 * w + 2 * xx;
                            d[0] = d[1] = d[2 * w] = d[2 * w + 1] = v;
                        }
                }
            }, 2L * outPlane);
            return torch.Tensor.Record(y, "upsample_nearest2d", x, g =>
            {
                var gx = x.GradArray(out int gxOff);
                Parallel.For(planes, i =>
                {
                    fixed (float* pg = &g[i * outPlane], pgx = &gx[gxOff + i * inPlane])
                    {
                        PoolSimd.Upsample2xBackward(pg, h, w, full, pgx);
                        for (int yy = 0; yy < h; yy++)
                            for (int xx = full; xx < w; xx++)
                            {
                                float* r = pg + (long)2 * yy * 2 * w + 2 * xx;
                                pgx[yy * w + xx] += (r[0] + r[1]) + (r[2 * w] + r[2 * w + 1]);
                            }
                    }
                }, 2L * outPlane);
            });
        }

        /// <summary>PyTorch's nearest source index: min(floor(dst·scale), in−1) in float, scale = 1/scale_factor or in/out.</summary>
        static int[] NearestIndexes(int input, int output, double? scaleFactor, bool exact)
        {
            float scale = scaleFactor is double s && s > 0 ? (float)(1.0 / s) : (float)input / output;
            var r = new int[output];
            for (int o = 0; o < output; o++)
            {
                if (!exact && output == input) r[o] = o;
                else if (!exact && output == 2 * input) r[o] = o >> 1;
                else
                {
                    float src = exact ? MathF.Floor((float)((o + 0.5) * scale)) : MathF.Floor(o * scale);
                    r[o] = Math.Min((int)src, input - 1);
                }
            }
            return r;
        }

        /// <summary>PyTorch's linear source indexes and weights (area_pixel_compute_source_index), in float.</summary>
        static (int[] i0, int[] i1, float[] l0, float[] l1) LinearWeights(int input, int output, double? scaleFactor, bool align)
        {
            float scale = align ? (output > 1 ? (float)(input - 1) / (output - 1) : 0f)
                : scaleFactor is double s && s > 0 ? (float)(1.0 / s) : (float)input / output;
            var i0 = new int[output]; var i1 = new int[output]; var l0 = new float[output]; var l1 = new float[output];
            for (int o = 0; o < output; o++)
            {
                float src = align ? scale * o : Math.Max(scale * (o + 0.5f) - 0.5f, 0f);
                int a = Math.Min((int)src, input - 1);
                int offset = a < input - 1 ? 1 : 0;
                float lambda = Math.Clamp(src - a, 0f, 1f);
                i0[o] = a; i1[o] = a + offset; l1[o] = lambda; l0[o] = 1f - lambda;
            }
            return (i0, i1, l0, l1);
        }
    }
}
