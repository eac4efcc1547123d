using AeNotebooks.Torch.Kernels;
using Parallel = AeNotebooks.Torch.Kernels.Parallel;

namespace AeNotebooks.Torch
{
    /// <summary>Conv2d's padding by name (TorchSharp's <c>Padding</c>): Valid = none, Same = output size = input size (stride 1).</summary>
    public enum Padding { Valid = 0, Same = 1 }

    /// <summary>How a convolution pads (TorchSharp's <c>PaddingModes</c>); this engine implements Zeros.</summary>
    public enum PaddingModes { Zeros = 0, Reflect = 1, Replicate = 2, Circular = 3 }

    public static partial class torch
    {
        public static partial class nn
        {
            public static partial class functional
            {
                /// <summary>
                /// 2-D cross-correlation of input [N, Cin, H, W] (or [Cin, H, W]) with weight [Cout, Cin/groups, kH, kW].
                /// strides / padding / dilation take one value (both dims) or two (H, W), as in TorchSharp.
                /// </summary>
                public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null,
                    long[]? strides = null, long[]? padding = null, long[]? dilation = null, long groups = 1)
                {
                    var (sh, sw) = Pair(strides, 1, "conv2d", "strides");
                    var (ph, pw) = Pair(padding, 0, "conv2d", "padding");
                    var (dh, dw) = Pair(dilation, 1, "conv2d", "dilation");
                    return ConvOps.Conv2d(input, weight, bias, sh, sw, ph, pw, dh, dw, (int)groups, same: false);
                }

                /// <summary>conv2d with padding by name: Valid (none) or Same (stride 1; an even kernel pads one more after than before, as PyTorch).</summary>
                public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias, long[]? strides, Padding padding,
                    long[]? dilation = null, long groups = 1)
                {
                    var (sh, sw) = Pair(strides, 1, "conv2d", "strides");
                    var (dh, dw) = Pair(dilation, 1, "conv2d", "dilation");
                    return ConvOps.Conv2d(input, weight, bias, sh, sw, 0, 0, dh, dw, (int)groups, same: padding == Padding.Same);
                }

                /// <summary>
                /// 2-D transposed convolution of input [N, Cin, H, W] (or [Cin, H, W]) with weight [Cin, Cout/groups, kH, kW];
                /// output size (H−1)·stride − 2·padding + dilation·(k−1) + output_padding + 1.
                /// </summary>
                public static Tensor conv_transpose2d(Tensor input, Tensor weight, Tensor? bias = null,
                    long[]? strides = null, long[]? padding = null, long[]? output_padding = null, long[]? dilation = null, long groups = 1)
                {
                    var (sh, sw) = Pair(strides, 1, "conv_transpose2d", "strides");
                    var (ph, pw) = Pair(padding, 0, "conv_transpose2d", "padding");
                    var (oph, opw) = Pair(output_padding, 0, "conv_transpose2d", "output_padding");
                    var (dh, dw) = Pair(dilation, 1, "conv_transpose2d", "dilation");
                    return ConvOps.ConvTranspose2d(input, weight, bias, sh, sw, ph, pw, oph, opw, dh, dw, (int)groups);
                }

                /// <summary>One value for both spatial dims, or two (H, W).</summary>
                internal static (int h, int w) Pair(long[]? values, int fallback, string op, string name)
                {
                    if (values is null || values.Length == 0) return (fallback, fallback);
                    if (values.Length > 2) throw new ArgumentException($"{op}: {name} takes one value or two (H, W), got {ShapeUtil.Format(values)}");
                    long h = values[0], w = values.Length == 2 ? values[1] : values[0];
                    if (h < 0 || w < 0 || h > int.MaxValue || w > int.MaxValue)
                        throw new ArgumentException($"{op}: {name} {ShapeUtil.Format(values)} must be non-negative");
                    return ((int)h, (int)w);
                }
            }
        }
    }

    /// <summary>Forward and backward of conv2d and conv_transpose2d (NCHW, float32) on top of <see cref="ConvKernels"/>.</summary>
    internal static class ConvOps
    {
        /// <summary>Runs f on a 4-D input, or on a 3-D (unbatched) input as a batch of one.</summary>
        static torch.Tensor Batched(torch.Tensor input, string op, Func<torch.Tensor, torch.Tensor> f)
        {
            if (input.dims.Length == 4) return f(input);
            if (input.dims.Length == 3) return f(input.unsqueeze(0)).squeeze(0);
            throw new ArgumentException($"{op}: expected a 4-D input [N, C, H, W] (or 3-D [C, H, W]), got {ShapeUtil.Format(input.dims)}");
        }

        public static torch.Tensor Conv2d(torch.Tensor input, torch.Tensor weight, torch.Tensor? bias,
            int sh, int sw, int ph, int pw, int dh, int dw, int groups, bool same)
            => Batched(input, "conv2d", x => Conv2d4(x, weight, bias, sh, sw, ph, pw, dh, dw, groups, same));

        /// <summary>An output tensor whose every element the op writes: no zeroing needed.</summary>
        internal static torch.Tensor Uninitialized(int[] dims) => new(GC.AllocateUninitializedArray<float>(ShapeUtil.Numel(dims)), dims);

        static torch.Tensor Conv2d4(torch.Tensor x, torch.Tensor w, torch.Tensor? b,
            int sh, int sw, int ph, int pw, int dh, int dw, int groups, bool same)
        {
            const string op = "conv2d";
            CheckWeight(op, w, b, groups, transposed: false);
            int n = x.dims[0], cin = x.dims[1], h = x.dims[2], wd = x.dims[3];
            int cout = w.dims[0], kh = w.dims[2], kw = w.dims[3];
            if (cin != w.dims[1] * groups)
                throw new ArgumentException($"{op}: input {ShapeUtil.Format(x.dims)} has {cin} channels, weight {ShapeUtil.Format(w.dims)} expects {w.dims[1] * groups} (= {w.dims[1]} × groups {groups})");
            if (sh < 1 || sw < 1 || dh < 1 || dw < 1) throw new ArgumentException($"{op}: stride ({sh}, {sw}) and dilation ({dh}, {dw}) must be ≥ 1");
            int ho, wo;
            if (same)
            {
                if (sh != 1 || sw != 1) throw new ArgumentException($"{op}: padding Same needs stride 1, got ({sh}, {sw})");
                // PyTorch: total = dilation·(k−1); before = total / 2, after = the rest
                ph = dh * (kh - 1) / 2; pw = dw * (kw - 1) / 2;
                ho = h; wo = wd;
            }
            else
            {
                ho = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
                wo = (wd + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
                if (h + 2 * ph - dh * (kh - 1) - 1 < 0 || wd + 2 * pw - dw * (kw - 1) - 1 < 0)
                    throw new ArgumentException($"{op}: input {ShapeUtil.Format(x.dims)} (padded by ({ph}, {pw})) is smaller than the dilated kernel {dh * (kh - 1) + 1}×{dw * (kw - 1) + 1}");
            }
            var g = new ConvGeometry(cin, h, wd, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo);
            var y = Uninitialized([n, cout, ho, wo]); // the bias fill or the product writes every element
            int inSize = cin * h * wd, outSize = cout * ho * wo;
            long flopsPerSample = 2L * cout * (g.Rows / groups) * g.Positions;

            Parallel.For(n, s =>
            {
                if (b is not null) FillBias(y.storage, s * outSize, b, cout, g.Positions);
                ConvKernels.Gather(g, groups, cout, x.storage, x.offset + s * inSize, w.storage, w.offset, y.storage, s * outSize, accumulate: b is not null);
            }, flopsPerSample);

            torch.Tensor[] inputs = b is null ? [x, w] : [x, w, b];
            return torch.Tensor.Record(y, op, inputs, grad =>
            {
                int gxOff = 0;
                float[]? gx = x.requires_grad ? x.GradArray(out gxOff) : null;
                Backward(n, w, b, grad, outSize, cout, g.Positions, flopsPerSample * (gx is null ? 1 : 2), (s, dW, dwOff) =>
                {
                    if (gx is not null) ConvKernels.Scatter(g, groups, cout, grad, s * outSize, w.storage, w.offset, gx, gxOff + s * inSize);
                    if (dW is not null) ConvKernels.WeightGrad(g, groups, cout, grad, s * outSize, x.storage, x.offset + s * inSize, dW, dwOff);
                });
            });
        }

        public static torch.Tensor ConvTranspose2d(torch.Tensor input, torch.Tensor weight, torch.Tensor? bias,
            int sh, int sw, int ph, int pw, int oph, int opw, int dh, int dw, int groups)
            => Batched(input, "conv_transpose2d", x => ConvTranspose2d4(x, weight, bias, sh, sw, ph, pw, oph, opw, dh, dw, groups));

        static torch.Tensor ConvTranspose2d4(torch.Tensor x, torch.Tensor w, torch.Tensor? b,
            int sh, int sw, int ph, int pw, int oph, int opw, int dh, int dw, int groups)
        {
            const string op = "conv_transpose2d";
            CheckWeight(op, w, b, groups, transposed: true);
            int n = x.dims[0], cin = x.dims[1], h = x.dims[2], wd = x.dims[3];
            int cout = w.dims[1] * groups, kh = w.dims[2], kw = w.dims[3];
            if (cin != w.dims[0])
                throw new ArgumentException($"{op}: input {ShapeUtil.Format(x.dims)} has {cin} channels, weight {ShapeUtil.Format(w.dims)} expects {w.dims[0]}");
            if (sh < 1 || sw < 1 || dh < 1 || dw < 1) throw new ArgumentException($"{op}: stride ({sh}, {sw}) and dilation ({dh}, {dw}) must be ≥ 1");
            if (oph >= Math.Max(sh, dh) || opw >= Math.Max(sw, dw))
                throw new ArgumentException($"{op}: output_padding ({oph}, {opw}) must be smaller than stride or dilation ({sh}, {sw}) / ({dh}, {dw})");
            int ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
            int wo = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
            if (ho <= 0 || wo <= 0)
                throw new ArgumentException($"{op}: input {ShapeUtil.Format(x.dims)} gives an empty output {ho}×{wo} (padding ({ph}, {pw}) too large)");
            // the image side of the window is the output, the positions are the input
            var g = new ConvGeometry(cout, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, h, wd);
            var y = Uninitialized([n, cout, ho, wo]); // filled with the bias or zeros per sample below
            int inSize = cin * h * wd, outSize = cout * ho * wo;
            long flopsPerSample = 2L * cin * (g.Rows / groups) * g.Positions;

            Parallel.For(n, s =>
            {
                if (b is not null) FillBias(y.storage, s * outSize, b, cout, ho * wo);
                else Array.Clear(y.storage, s * outSize, outSize);
                ConvKernels.Scatter(g, groups, cin, x.storage, x.offset + s * inSize, w.storage, w.offset, y.storage, s * outSize);
            }, flopsPerSample);

            torch.Tensor[] inputs = b is null ? [x, w] : [x, w, b];
            return torch.Tensor.Record(y, op, inputs, grad =>
            {
                int gxOff = 0;
                float[]? gx = x.requires_grad ? x.GradArray(out gxOff) : null;
                Backward(n, w, b, grad, outSize, cout, ho * wo, flopsPerSample * (gx is null ? 1 : 2), (s, dW, dwOff) =>
                    ConvKernels.GatherAndWeightGrad(g, groups, cin, grad, s * outSize, w.storage, w.offset, gx, gxOff + s * inSize,
                        x.storage, x.offset + s * inSize, dW, dwOff));
            });
        }

        /// <summary>
        /// The shared backward driver: sample(s, dW, dwOffset) adds sample s's input gradient and, when dW is not
        /// null, its weight gradient into dW at dwOffset. Samples are split into fixed chunks (<see cref="BatchChunks"/>);
        /// the chunks run in parallel, each sample's input gradient is its own, and the weight and bias gradients
        /// are summed per chunk into partials that are then added in chunk order.
        /// </summary>
        static void Backward(int n, torch.Tensor w, torch.Tensor? b, float[] grad, int outSize, int channels, int planeSize,
            long flopsPerSample, Action<int, float[]?, int> sample)
        {
            bool needW = w.requires_grad, needB = b is not null && b.requires_grad;
            int wSize = w.length, partial = (needW ? wSize : 0) + (needB ? channels : 0);
            if (partial == 0)
            {
                Parallel.For(n, s => sample(s, null, 0), flopsPerSample);
                return;
            }
            int chunks = BatchChunks.Count(n, partial);
            var partials = BatchChunks.Partials((long)chunks * partial);
            Parallel.For(chunks, c =>
            {
                var (start, end) = BatchChunks.Range(c, chunks, n);
                for (int s = start; s < end; s++)
                {
                    sample(s, needW ? partials : null, c * partial);
                    if (needB) AddChannelSums(grad, s * outSize, channels, planeSize, partials, c * partial + (needW ? wSize : 0));
                }
            }, flopsPerSample * ((n + chunks - 1) / chunks));
            if (needW)
            {
                var gw = w.GradAccumulator();
                for (int c = 0; c < chunks; c++)
                    System.Numerics.Tensors.TensorPrimitives.Add(gw, partials.AsSpan(c * partial, wSize), gw);
            }
            if (needB)
            {
                var gb = b!.GradAccumulator();
                int at = needW ? wSize : 0;
                for (int c = 0; c < chunks; c++)
                    System.Numerics.Tensors.TensorPrimitives.Add(gb, partials.AsSpan(c * partial + at, channels), gb);
            }
        }

        static void FillBias(float[] y, int offset, torch.Tensor b, int channels, int planeSize)
        {
            var bias = b.ReadOnlySpan;
            for (int c = 0; c < channels; c++) y.AsSpan(offset + c * planeSize, planeSize).Fill(bias[c]);
        }

        /// <summary>into[c] += Σ over the plane of g[c] (one sample).</summary>
        static void AddChannelSums(float[] g, int offset, int channels, int planeSize, float[] into, int intoOffset)
        {
            for (int c = 0; c < channels; c++)
                into[intoOffset + c] += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>(g, offset + c * planeSize, planeSize));
        }

        static void CheckWeight(string op, torch.Tensor w, torch.Tensor? b, int groups, bool transposed)
        {
            if (w.dims.Length != 4)
                throw new ArgumentException($"{op}: weight must be 4-D [{(transposed ? "Cin, Cout/groups" : "Cout, Cin/groups")}, kH, kW], got {ShapeUtil.Format(w.dims)}");
            if (groups < 1 || w.dims[0] % groups != 0)
                throw new ArgumentException($"{op}: groups {groups} must be ≥ 1 and divide weight dimension 0 ({w.dims[0]})");
            if (w.dims[2] < 1 || w.dims[3] < 1) throw new ArgumentException($"{op}: kernel {w.dims[2]}×{w.dims[3]} is empty");
            int outChannels = transposed ? w.dims[1] * groups : w.dims[0];
            if (b is not null && (b.dims.Length != 1 || b.dims[0] != outChannels))
                throw new ArgumentException($"{op}: bias {ShapeUtil.Format(b.dims)} does not match {outChannels} output channels");
        }
    }
}
