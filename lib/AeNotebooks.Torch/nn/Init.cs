using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Weight initialisers, in place, with PyTorch's formulas and defaults.</summary>
        public static class init
        {
            public enum FanInOut { FanIn, FanOut }
            public enum NonlinearityType { Linear, Sigmoid, Tanh, ReLU, LeakyReLU }

            public static Tensor uniform_(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
            {
                using (no_grad()) return tensor.uniform_(low, high, generator);
            }

            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
            {
                using (no_grad()) return tensor.normal_(mean, std, generator);
            }

            public static Tensor zeros_(Tensor tensor) => tensor.zero_();
            public static Tensor ones_(Tensor tensor) => tensor.fill_(1);
            public static Tensor constant_(Tensor tensor, double value) => tensor.fill_(value);

            /// <summary>The recommended gain for a nonlinearity (PyTorch's calculate_gain).</summary>
            public static double calculate_gain(NonlinearityType nonlinearity, double param = 0.01) => nonlinearity switch
            {
                NonlinearityType.Linear or NonlinearityType.Sigmoid => 1.0,
                NonlinearityType.Tanh => 5.0 / 3,
                NonlinearityType.ReLU => Math.Sqrt(2.0),
                NonlinearityType.LeakyReLU => Math.Sqrt(2.0 / (1 + param * param)),
                _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity)),
            };

            /// <summary>U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).</summary>
            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1.0, Generator? generator = null)
            {
                var (fanIn, fanOut) = Fans(tensor, "xavier_uniform_");
                double a = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
                return uniform_(tensor, -a, a, generator);
            }

            /// <summary>N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).</summary>
            public static Tensor xavier_normal_(Tensor tensor, double gain = 1.0, Generator? generator = null)
            {
                var (fanIn, fanOut) = Fans(tensor, "xavier_normal_");
                return normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
            }

            /// <summary>U(−b, b) with b = gain·√(3 / fan); PyTorch's defaults (a = 0, fan_in, leaky_relu).</summary>
            public static Tensor kaiming_uniform_(Tensor tensor, double a = 0, FanInOut mode = FanInOut.FanIn,
                NonlinearityType nonlinearity = NonlinearityType.LeakyReLU, Generator? generator = null)
            {
                double std = KaimingStd(tensor, a, mode, nonlinearity, "kaiming_uniform_");
                double bound = Math.Sqrt(3.0) * std;
                return uniform_(tensor, -bound, bound, generator);
            }

            /// <summary>N(0, std²) with std = gain / √fan.</summary>
            public static Tensor kaiming_normal_(Tensor tensor, double a = 0, FanInOut mode = FanInOut.FanIn,
                NonlinearityType nonlinearity = NonlinearityType.LeakyReLU, Generator? generator = null)
                => normal_(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity, "kaiming_normal_"), generator);

            static double KaimingStd(Tensor tensor, double a, FanInOut mode, NonlinearityType nonlinearity, string op)
            {
                var (fanIn, fanOut) = Fans(tensor, op);
                double fan = mode == FanInOut.FanIn ? fanIn : fanOut;
                return calculate_gain(nonlinearity, a) / Math.Sqrt(fan);
            }

            /// <summary>fan_in = dim 1 × receptive field, fan_out = dim 0 × receptive field (PyTorch's rule).</summary>
            internal static (double fanIn, double fanOut) Fans(Tensor tensor, string op)
            {
                if (tensor.dims.Length < 2)
                    throw new ArgumentException($"{op}: fan in and fan out need at least 2 dimensions, got {ShapeUtil.Format(tensor.dims)}");
                double receptive = 1;
                for (int i = 2; i < tensor.dims.Length; i++) receptive *= tensor.dims[i];
                return (tensor.dims[1] * receptive, tensor.dims[0] * receptive);
            }
        }

        public static class utils
        {
            /// <summary>Scales all gradients so their joint L2 norm is at most max_norm; returns the norm before clipping.</summary>
            public static double clip_grad_norm_(IEnumerable<Modules.Parameter> parameters, double max_norm, double norm_type = 2.0)
            {
                var grads = parameters.Where(p => p.grad is not null).Select(p => p.grad!).ToList();
                double total;
                if (double.IsPositiveInfinity(norm_type))
                    total = grads.Count == 0 ? 0 : grads.Max(g => Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(g.ReadOnlySpan)));
                else
                {
                    double sum = 0;
                    foreach (var g in grads)
                        foreach (var v in g.ReadOnlySpan) sum += Math.Pow(Math.Abs(v), norm_type);
                    total = Math.Pow(sum, 1 / norm_type);
                }
                double coefficient = max_norm / (total + 1e-6);
                if (coefficient < 1)
                    foreach (var g in grads)
                        System.Numerics.Tensors.TensorPrimitives.Multiply(g.ReadOnlySpan, (float)coefficient, g.Span);
                return total;
            }
        }
    }
}
