using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace AeNotebooks.Torch;

/// <summary>Forward of a unary op: y = f(x), element by element.</summary>
internal delegate void UnaryForward(ReadOnlySpan<float> x, Span<float> y);

/// <summary>Backward of a unary op: gx += g · f'(x), given x, y = f(x) and g = dL/dy.</summary>
internal delegate void UnaryBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> gx);

public static partial class torch
{
    public partial class Tensor
    {
        /// <summary>Runs an elementwise op and records its backward next to it.</summary>
        internal Tensor Unary(string op, UnaryForward forward, UnaryBackward backward)
        {
            var x = this;
            var y = new Tensor(dims);
            forward(x.ReadOnlySpan, y.Span);
            return Record(y, op, x, g => backward(x.ReadOnlySpan, y.ReadOnlySpan, g, x.GradAccumulator()));
        }

        public Tensor neg() => Unary("neg",
            static (x, y) => TensorPrimitives.Negate(x, y),
            static (x, y, g, gx) => TensorPrimitives.Subtract(gx, g, gx));

        public Tensor exp() => Unary("exp",
            static (x, y) => TensorPrimitives.Exp(x, y),
            static (x, y, g, gx) => TensorPrimitives.MultiplyAdd(g, y, gx, gx));

        public Tensor log() => Unary("log",
            static (x, y) => TensorPrimitives.Log(x, y),
            static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] / x[i]; });

        public Tensor sqrt() => Unary("sqrt",
            static (x, y) => TensorPrimitives.Sqrt(x, y),
            static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * 0.5f / y[i]; });

        public Tensor abs() => Unary("abs",
            static (x, y) => TensorPrimitives.Abs(x, y),
            static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0f; });

        public Tensor square() => Unary("square",
            static (x, y) => TensorPrimitives.Multiply(x, x, y),
            static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += 2f * x[i] * g[i]; });

        public Tensor pow(double exponent)
        {
            float p = (float)exponent;
            if (p == 2f) return square();
            return Unary("pow",
                (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = MathF.Pow(x[i], p); },
                (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * (p == 0f ? 0f : p * MathF.Pow(x[i], p - 1f)); });
        }

        /// <summary>Limits values to [min, max]; the gradient passes where the value was inside (PyTorch: inclusive bounds).</summary>
        public Tensor clamp(double? min = null, double? max = null)
        {
            float lo = min.HasValue ? (float)min.Value : float.NegativeInfinity;
            float hi = max.HasValue ? (float)max.Value : float.PositiveInfinity;
            return Unary("clamp",
                (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = float.IsNaN(x[i]) ? float.NaN : Math.Min(Math.Max(x[i], lo), hi); },
                (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) if (x[i] >= lo && x[i] <= hi) gx[i] += g[i]; });
        }

        public Tensor clamp_min(double min) => clamp(min, null);
        public Tensor clamp_max(double max) => clamp(null, max);

        // ---- activations ----

        public Tensor relu() => Unary("relu",
            static (x, y) => TensorPrimitives.Max(x, 0f, y),
            // gx += g where !(x ≤ 0), which lets a NaN's gradient through, as PyTorch's threshold_backward does;
            // elsewhere gx keeps its bits (adding 0 would turn a −0 into +0). Whole vectors, then a scalar tail.
            static (x, y, g, gx) =>
            {
                ref float xs = ref MemoryMarshal.GetReference(x), gs = ref MemoryMarshal.GetReference(g), acc = ref MemoryMarshal.GetReference(gx);
                int i = 0;
                for (; i <= gx.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var a = Vector.LoadUnsafe(ref acc, (nuint)i);
                    var blocked = Vector.LessThanOrEqual(Vector.LoadUnsafe(ref xs, (nuint)i), Vector<float>.Zero);
                    Vector.ConditionalSelect(blocked, a, a + Vector.LoadUnsafe(ref gs, (nuint)i)).StoreUnsafe(ref acc, (nuint)i);
                }
                for (; i < gx.Length; i++) if (!(x[i] <= 0f)) gx[i] += g[i];
            });

        public Tensor leaky_relu(double negative_slope = 0.01)
        {
            float a = (float)negative_slope;
            return Unary("leaky_relu",
                (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0f ? x[i] : a * x[i]; },
                // gx += (x > 0 ? g : a·g): whole vectors, then a scalar tail (the same roundings either way)
                (x, y, g, gx) =>
                {
                    ref float xs = ref MemoryMarshal.GetReference(x), gs = ref MemoryMarshal.GetReference(g), acc = ref MemoryMarshal.GetReference(gx);
                    var slope = new Vector<float>(a);
                    int i = 0;
                    for (; i <= gx.Length - Vector<float>.Count; i += Vector<float>.Count)
                    {
                        var gv = Vector.LoadUnsafe(ref gs, (nuint)i);
                        var passes = Vector.GreaterThan(Vector.LoadUnsafe(ref xs, (nuint)i), Vector<float>.Zero);
                        (Vector.LoadUnsafe(ref acc, (nuint)i) + Vector.ConditionalSelect(passes, gv, slope * gv)).StoreUnsafe(ref acc, (nuint)i);
                    }
                    for (; i < gx.Length; i++) gx[i] += x[i] > 0f ? g[i] : a * g[i];
                });
        }

        public Tensor sigmoid() => Unary("sigmoid",
            static (x, y) => TensorPrimitives.Sigmoid(x, y),
            static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * y[i] * (1f - y[i]); });

        public Tensor tanh() => Unary("tanh",
            static (x, y) => TensorPrimitives.Tanh(x, y),
            static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * (1f - y[i] * y[i]); });

        public Tensor elu(double alpha = 1.0)
        {
            float a = (float)alpha;
            return Unary("elu",
                (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0f ? x[i] : a * (MathF.Exp(x[i]) - 1f); },
                (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] += x[i] <= 0f ? g[i] * (y[i] + a) : g[i]; });
        }

        /// <summary>log(1 + exp(βx))/β, linear above threshold (PyTorch's defaults β = 1, threshold = 20).</summary>
        public Tensor softplus(double beta = 1.0, double threshold = 20.0)
        {
            float b = (float)beta, t = (float)threshold;
            return Unary("softplus",
                (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = x[i] * b > t ? x[i] : Log1pExp(x[i] * b) / b; },
                (x, y, g, gx) =>
                {
                    for (int i = 0; i < gx.Length; i++)
                        gx[i] += x[i] * b > t ? g[i] : g[i] * Sigmoid(x[i] * b);
                });
        }

        /// <summary>x·Φ(x) with the exact normal CDF (PyTorch's approximate='none').</summary>
        public Tensor gelu() => Unary("gelu",
            static (x, y) => { for (int i = 0; i < y.Length; i++) y[i] = (float)(x[i] * NormalCdf(x[i])); },
            static (x, y, g, gx) =>
            {
                for (int i = 0; i < gx.Length; i++)
                {
                    double v = x[i];
                    double pdf = Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
                    gx[i] += (float)(g[i] * (NormalCdf(v) + v * pdf));
                }
            });

        // ---- checks (no gradient) ----

        /// <summary>1 where the value is NaN, else 0.</summary>
        public Tensor isnan() => Mask(static v => float.IsNaN(v));
        /// <summary>1 where the value is ±∞, else 0.</summary>
        public Tensor isinf() => Mask(static v => float.IsInfinity(v));
        /// <summary>1 where the value is finite, else 0.</summary>
        public Tensor isfinite() => Mask(static v => float.IsFinite(v));

        /// <summary>True when any element is non-zero (a one-element tensor, like TorchSharp's any()).</summary>
        public Tensor any()
        {
            foreach (var v in ReadOnlySpan) if (v != 0f) return new Tensor([1f], []);
            return new Tensor([0f], []);
        }

        /// <summary>True when every element is non-zero.</summary>
        public Tensor all()
        {
            foreach (var v in ReadOnlySpan) if (v == 0f) return new Tensor([0f], []);
            return new Tensor([1f], []);
        }

        Tensor Mask(Func<float, bool> predicate)
        {
            var y = new Tensor(dims);
            var x = ReadOnlySpan; var o = y.Span;
            for (int i = 0; i < o.Length; i++) o[i] = predicate(x[i]) ? 1f : 0f;
            return y;
        }
    }

    internal static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    /// <summary>log(1 + eˣ) without overflow.</summary>
    internal static float Log1pExp(float v) => v > 0 ? v + MathF.Log(1f + MathF.Exp(-v)) : MathF.Log(1f + MathF.Exp(v));

    internal static double NormalCdf(double v) => 0.5 * (1.0 + Erf(v / Math.Sqrt(2.0)));

    /// <summary>Error function (W. J. Cody's rational approximations; |error| &lt; 1e-15 relative, far below float32).</summary>
    internal static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 0.5)
        {
            double t = x * x;
            double num = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
            double den = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
            return x * num / den;
        }
        return Math.Sign(x) * (1.0 - Erfc(ax));
    }

    static double Erfc(double ax)
    {
        double r;
        if (ax < 4.0)
        {
            double num = ((((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax
                + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725);
            double den = ((((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax
                + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942);
            r = num / den;
        }
        else
        {
            if (ax > 27) return 0.0;
            double z = 1.0 / (ax * ax);
            double num = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
            double den = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 2.33520497626869185e-3;
            r = (1.0 / Math.Sqrt(Math.PI) - z * num / den) / ax;
        }
        double xsq = Math.Truncate(ax * 16.0) / 16.0;
        return Math.Exp(-xsq * xsq) * Math.Exp(-(ax - xsq) * (ax + xsq)) * r;
    }
}
