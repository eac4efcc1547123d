using System.Globalization;
using AeNotebooks.Torch.Modules;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Modules
{
    /// <summary>
    /// What Conv2d and ConvTranspose2d share (TorchSharp's Convolution, PyTorch's _ConvNd): the channel counts,
    /// kernel, stride, padding, dilation and groups, checked alike; the weight and bias; the description.
    /// </summary>
    public abstract class Convolution : nn.Module<Tensor, Tensor>
    {
        public Parameter weight = null!; // set by each constructor
        public Parameter? bias;
        public long in_channels { get; }
        public long out_channels { get; }
        public (long, long) kernel_size { get; }
        public (long, long) stride { get; }
        /// <summary>Zero padding (H, W); for a Conv2d with a padding_type of Same, (0, 0) (the forward computes it).</summary>
        public (long, long) padding { get; }
        public (long, long) dilation { get; }
        public long groups { get; }

        /// <summary>Checks and keeps the shared arguments; the derived constructor then checks its own and calls <see cref="Init"/>.</summary>
        private protected Convolution(string name, long inChannels, long outChannels, (long, long) kernel, (long, long) stride, (long, long) padding,
            (long, long) dilation, PaddingModes paddingMode, long groups) : base(name)
        {
            ConvChecks.Channels(name, inChannels, outChannels, groups, kernel, stride, dilation, paddingMode);
            (in_channels, out_channels, kernel_size, this.stride, this.padding, this.dilation, this.groups) =
                (inChannels, outChannels, kernel, stride, padding, dilation, groups);
        }

        /// <summary>Makes the weight of `weightShape` and the bias, initialised as PyTorch does, and registers them.</summary>
        private protected void Init(long[] weightShape, bool hasBias)
        {
            weight = new Parameter(empty(weightShape));
            ConvChecks.Init(weight, ref bias, out_channels, hasBias);
            RegisterComponents();
        }

        /// <summary>"Name(in→out, kernel k, stride s, padding p[extra][, dilation d][, groups g][, no bias])".</summary>
        private protected string DescribeAs(string paddingText, string extra = "")
            => $"{name}({in_channels}→{out_channels}, kernel {ConvChecks.Fmt(kernel_size)}, stride {ConvChecks.Fmt(stride)}, padding {paddingText}{extra}"
               + (dilation != (1, 1) ? $", dilation {ConvChecks.Fmt(dilation)}" : "") + (groups != 1 ? $", groups {groups}" : "")
               + (bias is null ? ", no bias" : "") + ")";
    }

    /// <summary>
    /// 2-D convolution, weight [out, in/groups, kH, kW]. Initialised as PyTorch does: weight by
    /// kaiming_uniform_(a = √5), bias ~ U(±1/√fan_in) with fan_in = in/groups·kH·kW.
    /// </summary>
    public sealed class Conv2d : Convolution
    {
        /// <summary>Null for numeric padding; Valid or Same when constructed with a Padding.</summary>
        public Padding? padding_type { get; }

        internal Conv2d(long inChannels, long outChannels, (long, long) kernel, (long, long) stride, (long, long) padding, Padding? paddingType,
            (long, long) dilation, PaddingModes paddingMode, long groups, bool hasBias)
            : base("Conv2d", inChannels, outChannels, kernel, stride, paddingType == null ? padding : (0, 0), dilation, paddingMode, groups)
        {
            if (paddingType == Padding.Same && (stride.Item1 != 1 || stride.Item2 != 1))
                throw new ArgumentException($"Conv2d: padding Same needs stride 1, got {stride}");
            padding_type = paddingType;
            Init([outChannels, inChannels / groups, kernel.Item1, kernel.Item2], hasBias);
        }

        public override Tensor forward(Tensor input)
        {
            ConvChecks.Input(name, input, in_channels);
            long[] s = [stride.Item1, stride.Item2], d = [dilation.Item1, dilation.Item2];
            return padding_type is Padding p
                ? nn.functional.conv2d(input, weight, bias, s, p, d, groups)
                : nn.functional.conv2d(input, weight, bias, s, [padding.Item1, padding.Item2], d, groups);
        }

        protected override string Describe() => DescribeAs(padding_type is Padding p ? p.ToString() : ConvChecks.Fmt(padding));
    }

    /// <summary>
    /// 2-D transposed convolution, weight [in, out/groups, kH, kW]. Initialised as PyTorch does (kaiming_uniform_(a = √5);
    /// PyTorch's fan_in for this weight is out/groups·kH·kW, and the bias bound 1/√fan_in uses it too).
    /// </summary>
    public sealed class ConvTranspose2d : Convolution
    {
        public (long, long) output_padding { get; }

        internal ConvTranspose2d(long inChannels, long outChannels, (long, long) kernel, (long, long) stride, (long, long) padding,
            (long, long) outputPadding, (long, long) dilation, PaddingModes paddingMode, long groups, bool hasBias)
            : base("ConvTranspose2d", inChannels, outChannels, kernel, stride, padding, dilation, paddingMode, groups)
        {
            if (outputPadding.Item1 >= Math.Max(stride.Item1, dilation.Item1) || outputPadding.Item2 >= Math.Max(stride.Item2, dilation.Item2) || outputPadding.Item1 < 0 || outputPadding.Item2 < 0)
                throw new ArgumentException($"ConvTranspose2d: output_padding {outputPadding} must be non-negative and smaller than stride {stride} or dilation {dilation}");
            output_padding = outputPadding;
            Init([inChannels, outChannels / groups, kernel.Item1, kernel.Item2], hasBias);
        }

        public override Tensor forward(Tensor input)
        {
            ConvChecks.Input(name, input, in_channels);
            return nn.functional.conv_transpose2d(input, weight, bias, [stride.Item1, stride.Item2], [padding.Item1, padding.Item2],
                [output_padding.Item1, output_padding.Item2], [dilation.Item1, dilation.Item2], groups);
        }

        protected override string Describe()
            => DescribeAs(ConvChecks.Fmt(padding), output_padding != (0, 0) ? $", output_padding {ConvChecks.Fmt(output_padding)}" : "");
    }

    /// <summary>Max pooling over kH×kW windows (stride defaults to the kernel size).</summary>
    public sealed class MaxPool2d : nn.Module<Tensor, Tensor>
    {
        public (long, long) kernel_size { get; }
        public (long, long) stride { get; }
        public (long, long) padding { get; }
        public (long, long) dilation { get; }
        public bool ceil_mode { get; }

        internal MaxPool2d((long, long) kernel, (long, long)? stride, (long, long)? padding, (long, long)? dilation, bool ceilMode) : base("MaxPool2d")
        {
            (kernel_size, this.stride, this.padding, this.dilation, ceil_mode) = (kernel, stride ?? kernel, padding ?? (0, 0), dilation ?? (1, 1), ceilMode);
            PoolOps.Params("MaxPool2d", [kernel_size.Item1, kernel_size.Item2], [this.stride.Item1, this.stride.Item2],
                [this.padding.Item1, this.padding.Item2], [this.dilation.Item1, this.dilation.Item2]);
        }

        public override Tensor forward(Tensor input)
            => nn.functional.max_pool2d(input, [kernel_size.Item1, kernel_size.Item2], [stride.Item1, stride.Item2],
                [padding.Item1, padding.Item2], [dilation.Item1, dilation.Item2], ceil_mode);

        protected override string Describe()
            => $"MaxPool2d(kernel {ConvChecks.Fmt(kernel_size)}, stride {ConvChecks.Fmt(stride)}, padding {ConvChecks.Fmt(padding)}"
               + (dilation != (1, 1) ? $", dilation {ConvChecks.Fmt(dilation)}" : "") + (ceil_mode ? ", ceil_mode" : "") + ")";
    }

    /// <summary>Average pooling over kH×kW windows (stride defaults to the kernel size).</summary>
    public sealed class AvgPool2d : nn.Module<Tensor, Tensor>
    {
        public (long, long) kernel_size { get; }
        public (long, long) stride { get; }
        public (long, long) padding { get; }
        public bool ceil_mode { get; }
        public bool count_include_pad { get; }
        public long? divisor_override { get; }

        internal AvgPool2d((long, long) kernel, (long, long)? stride, (long, long)? padding, bool ceilMode, bool countIncludePad, long? divisorOverride) : base("AvgPool2d")
        {
            (kernel_size, this.stride, this.padding, ceil_mode, count_include_pad, divisor_override) =
                (kernel, stride ?? kernel, padding ?? (0, 0), ceilMode, countIncludePad, divisorOverride);
            PoolOps.Params("AvgPool2d", [kernel_size.Item1, kernel_size.Item2], [this.stride.Item1, this.stride.Item2], [this.padding.Item1, this.padding.Item2], null);
        }

        public override Tensor forward(Tensor input)
            => nn.functional.avg_pool2d(input, [kernel_size.Item1, kernel_size.Item2], [stride.Item1, stride.Item2],
                [padding.Item1, padding.Item2], ceil_mode, count_include_pad, divisor_override);

        protected override string Describe()
            => $"AvgPool2d(kernel {ConvChecks.Fmt(kernel_size)}, stride {ConvChecks.Fmt(stride)}, padding {ConvChecks.Fmt(padding)}"
               + (ceil_mode ? ", ceil_mode" : "") + (count_include_pad ? "" : ", count_include_pad=false")
               + (divisor_override is long d ? $", divisor_override {d}" : "") + ")";
    }

    /// <summary>Resizes images by a size or a scale factor (Nearest or Bilinear).</summary>
    public sealed class Upsample : nn.Module<Tensor, Tensor>
    {
        public long[]? size { get; }
        public double[]? scale_factor { get; }
        public UpsampleMode mode { get; }
        public bool? align_corners { get; }
        public bool? recompute_scale_factor { get; }

        internal Upsample(long[]? size, double[]? scaleFactor, UpsampleMode mode, bool? alignCorners, bool? recompute) : base("Upsample")
        {
            if ((size is null) == (scaleFactor is null)) throw new ArgumentException("Upsample: give exactly one of size and scale_factor");
            if (mode is not (UpsampleMode.Nearest or UpsampleMode.Bilinear))
                throw new NotSupportedException($"Upsample: mode {mode} is not implemented (Nearest and Bilinear are)");
            if (alignCorners.HasValue && mode == UpsampleMode.Nearest)
                throw new ArgumentException("Upsample: align_corners can only be set with mode Bilinear");
            (this.size, scale_factor, this.mode, align_corners, recompute_scale_factor) = (size, scaleFactor, mode, alignCorners, recompute);
        }

        public override Tensor forward(Tensor input)
            => nn.functional.interpolate(input, size, scale_factor, PoolOps.ToInterpolation(mode), align_corners, recompute_scale_factor ?? false);

        protected override string Describe()
            => "Upsample(" + (size is not null ? $"size {ShapeUtil.Format(size)}" : "scale_factor " + string.Join("×", scale_factor!.Select(v => v.ToString(CultureInfo.InvariantCulture))))
               + $", mode {mode}" + (align_corners is bool a ? $", align_corners={a}" : "") + ")";
    }

    /// <summary>
    /// Batch normalization (BatchNorm1d over [N, C] or [N, C, L], BatchNorm2d over [N, C, H, W]). Training uses
    /// the batch statistics and updates running_mean / running_var (unbiased) with momentum, or with a
    /// cumulative average when momentum is null; eval uses the running statistics.
    /// </summary>
    public abstract class BatchNorm : nn.Module<Tensor, Tensor>
    {
        public Parameter? weight;
        public Parameter? bias;
        public Tensor? running_mean { get; }
        public Tensor? running_var { get; }
        public Tensor? num_batches_tracked { get; }
        public long num_features { get; }
        public double eps { get; }
        public double? momentum { get; set; }
        public bool affine { get; }
        public bool track_running_stats { get; }
        readonly int[] ranks;

        private protected BatchNorm(string name, int[] ranks, long numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats) : base(name)
        {
            if (numFeatures <= 0) throw new ArgumentException($"{name}: num_features must be positive, got {numFeatures}");
            (this.ranks, num_features, this.eps, this.momentum, this.affine, track_running_stats) = (ranks, numFeatures, eps, momentum, affine, trackRunningStats);
            if (affine)
            {
                weight = new Parameter(ones(numFeatures));
                bias = new Parameter(zeros(numFeatures));
            }
            RegisterComponents();
            if (trackRunningStats)
            {
                running_mean = zeros(numFeatures);
                running_var = ones(numFeatures);
                num_batches_tracked = zeros(Array.Empty<long>());
                register_buffer("running_mean", running_mean);
                register_buffer("running_var", running_var);
                register_buffer("num_batches_tracked", num_batches_tracked);
            }
        }

        /// <summary>Zeroes running_mean and num_batches_tracked and sets running_var to ones.</summary>
        public void reset_running_stats()
        {
            running_mean?.zero_(); running_var?.fill_(1); num_batches_tracked?.zero_();
        }

        public override Tensor forward(Tensor input)
        {
            if (!ranks.Contains(input.dims.Length))
                throw new ArgumentException($"{name} expects a {string.Join(" or ", ranks.Select(r => r + "-D"))} input, got {ShapeUtil.Format(input.dims)}");
            if (input.dims[1] != num_features)
                throw new ArgumentException($"{name}({num_features}) expects {num_features} channels in dimension 1, got {ShapeUtil.Format(input.dims)}");
            double factor = momentum ?? 0.0;
            if (training && track_running_stats)
            {
                num_batches_tracked!.storage[num_batches_tracked.offset] += 1;
                if (momentum is null) factor = 1.0 / num_batches_tracked.storage[num_batches_tracked.offset];
            }
            bool useBatchStats = training || running_mean is null;
            return nn.functional.batch_norm(input, !training || track_running_stats ? running_mean : null, !training || track_running_stats ? running_var : null,
                weight, bias, useBatchStats, factor, eps);
        }

        protected override string Describe()
            => $"{name}({num_features}, eps={eps.ToString(CultureInfo.InvariantCulture)}, momentum={momentum?.ToString(CultureInfo.InvariantCulture) ?? "None"}"
               + (affine ? "" : ", affine=false") + (track_running_stats ? "" : ", track_running_stats=false") + ")";
    }

    /// <summary>Batch normalization over [N, C] or [N, C, L].</summary>
    public sealed class BatchNorm1d : BatchNorm
    {
        internal BatchNorm1d(long numFeatures, double eps, double? momentum, bool affine, bool track)
            : base("BatchNorm1d", [2, 3], numFeatures, eps, momentum, affine, track) { }
    }

    /// <summary>Batch normalization over [N, C, H, W].</summary>
    public sealed class BatchNorm2d : BatchNorm
    {
        internal BatchNorm2d(long numFeatures, double eps, double? momentum, bool affine, bool track)
            : base("BatchNorm2d", [4], numFeatures, eps, momentum, affine, track) { }
    }

    internal static class ConvChecks
    {
        public static string Fmt((long, long) v) => v.Item1 == v.Item2 ? v.Item1.ToString(CultureInfo.InvariantCulture) : $"({v.Item1}, {v.Item2})";

        public static void Channels(string op, long inChannels, long outChannels, long groups, (long, long) kernel, (long, long) stride, (long, long) dilation, PaddingModes mode)
        {
            if (inChannels <= 0 || outChannels <= 0) throw new ArgumentException($"{op}({inChannels}→{outChannels}): channel counts must be positive");
            if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
                throw new ArgumentException($"{op}({inChannels}→{outChannels}): groups {groups} must divide both channel counts");
            if (kernel.Item1 < 1 || kernel.Item2 < 1 || stride.Item1 < 1 || stride.Item2 < 1 || dilation.Item1 < 1 || dilation.Item2 < 1)
                throw new ArgumentException($"{op}: kernel {kernel}, stride {stride} and dilation {dilation} must be ≥ 1");
            if (mode != PaddingModes.Zeros) throw new NotSupportedException($"{op}: padding_mode {mode} is not implemented (Zeros is)");
        }

        /// <summary>PyTorch's _ConvNd.reset_parameters.</summary>
        public static void Init(Parameter weight, ref Parameter? bias, long outChannels, bool hasBias)
        {
            nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
            if (!hasBias) return;
            var (fanIn, _) = nn.init.Fans(weight, "Conv init");
            double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            bias = new Parameter(empty(outChannels));
            nn.init.uniform_(bias, -bound, bound);
        }

        public static void Input(string name, Tensor input, long inChannels)
        {
            if (input.dims.Length is not (3 or 4))
                throw new ArgumentException($"{name} expects [N, C, H, W] or [C, H, W], got {ShapeUtil.Format(input.dims)}");
            if (input.dims[^3] != inChannels)
                throw new ArgumentException($"{name} expects {inChannels} input channels, got {ShapeUtil.Format(input.dims)}");
        }
    }
}

namespace AeNotebooks.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Conv2d Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long dilation = 1,
                PaddingModes padding_mode = PaddingModes.Zeros, long groups = 1, bool bias = true)
                => new(in_channels, out_channels, (kernel_size, kernel_size), (stride, stride), (padding, padding), null, (dilation, dilation), padding_mode, groups, bias);

            /// <summary>Conv2d with padding by name: Padding.Same keeps H×W (stride 1), Padding.Valid pads nothing (Keras' "same"/"valid").</summary>
            public static Conv2d Conv2d(long in_channels, long out_channels, long kernel_size, Padding padding, long stride = 1, long dilation = 1,
                PaddingModes padding_mode = PaddingModes.Zeros, long groups = 1, bool bias = true)
                => new(in_channels, out_channels, (kernel_size, kernel_size), (stride, stride), (0, 0), padding, (dilation, dilation), padding_mode, groups, bias);

            public static Conv2d Conv2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null,
                (long, long)? dilation = null, PaddingModes padding_mode = PaddingModes.Zeros, long groups = 1, bool bias = true)
                => new(in_channels, out_channels, kernel_size, stride ?? (1, 1), padding ?? (0, 0), null, dilation ?? (1, 1), padding_mode, groups, bias);

            public static Conv2d Conv2d(long in_channels, long out_channels, (long, long) kernel_size, Padding padding, (long, long)? stride = null,
                (long, long)? dilation = null, PaddingModes padding_mode = PaddingModes.Zeros, long groups = 1, bool bias = true)
                => new(in_channels, out_channels, kernel_size, stride ?? (1, 1), (0, 0), padding, dilation ?? (1, 1), padding_mode, groups, bias);

            public static ConvTranspose2d ConvTranspose2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
                long output_padding = 0, long dilation = 1, PaddingModes padding_mode = PaddingModes.Zeros, long groups = 1, bool bias = true)
                => new(in_channels, out_channels, (kernel_size, kernel_size), (stride, stride), (padding, padding), (output_padding, output_padding),
                    (dilation, dilation), padding_mode, groups, bias);

            public static ConvTranspose2d ConvTranspose2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long)? stride = null,
                (long, long)? padding = null, (long, long)? output_padding = null, (long, long)? dilation = null,
                PaddingModes padding_mode = PaddingModes.Zeros, long groups = 1, bool bias = true)
                => new(in_channels, out_channels, kernel_size, stride ?? (1, 1), padding ?? (0, 0), output_padding ?? (0, 0), dilation ?? (1, 1), padding_mode, groups, bias);

            public static MaxPool2d MaxPool2d(long kernel_size, long? stride = null, long? padding = null, long? dilation = null, bool ceil_mode = false)
                => new((kernel_size, kernel_size), stride is long s ? (s, s) : null, padding is long p ? (p, p) : null, dilation is long d ? (d, d) : null, ceil_mode);

            public static MaxPool2d MaxPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, bool ceil_mode = false)
                => new(kernel_size, stride, padding, dilation, ceil_mode);

            public static AvgPool2d AvgPool2d(long kernel_size, long? stride = null, long? padding = null, bool ceil_mode = false,
                bool count_include_pad = true, long? divisor_override = null)
                => new((kernel_size, kernel_size), stride is long s ? (s, s) : null, padding is long p ? (p, p) : null, ceil_mode, count_include_pad, divisor_override);

            public static AvgPool2d AvgPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, bool ceil_mode = false,
                bool count_include_pad = true, long? divisor_override = null)
                => new(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);

            /// <summary>TorchSharp's signature: a size or per-dimension scale factors.</summary>
            public static Upsample Upsample(long[]? size = null, double[]? scale_factor = null, UpsampleMode mode = UpsampleMode.Nearest,
                bool? align_corners = null, bool? recompute_scale_factor = null)
                => new(size, scale_factor, mode, align_corners, recompute_scale_factor);

            /// <summary>One scale factor for both dimensions (as Keras' UpSampling2D(2) or PyTorch's Upsample(scale_factor=2)).</summary>
            public static Upsample Upsample(double scale_factor, UpsampleMode mode = UpsampleMode.Nearest, bool? align_corners = null)
                => new(null, [scale_factor], mode, align_corners, null);

            public static BatchNorm1d BatchNorm1d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool track_running_stats = true)
                => new(num_features, eps, momentum, affine, track_running_stats);

            public static BatchNorm2d BatchNorm2d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool track_running_stats = true)
                => new(num_features, eps, momentum, affine, track_running_stats);
        }
    }
}
