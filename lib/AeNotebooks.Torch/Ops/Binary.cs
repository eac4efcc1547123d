using System.Numerics.Tensors;

namespace AeNotebooks.Torch;

public static partial class torch
{
    public partial class Tensor
    {
        // ---- operators (tensor ⊕ tensor broadcast, tensor ⊕ scalar) ----

        public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
        public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
        public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
        public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
        public static Tensor operator -(Tensor a) => a.neg();

        public static Tensor operator +(Tensor a, double b) => a.add(b);
        public static Tensor operator +(double a, Tensor b) => b.add(a);
        public static Tensor operator -(Tensor a, double b) => a.add(-b);
        public static Tensor operator -(double a, Tensor b) => b.neg().add(a);
        public static Tensor operator *(Tensor a, double b) => a.mul(b);
        public static Tensor operator *(double a, Tensor b) => b.mul(a);
        public static Tensor operator /(Tensor a, double b) => a.mul(1.0 / b);
        public static Tensor operator /(double a, Tensor b) => b.reciprocal().mul(a);

        // ---- scalar forms ----

        public Tensor add(double scalar)
        {
            float s = (float)scalar;
            var x = this;
            var y = new Tensor(dims);
            TensorPrimitives.Add(x.ReadOnlySpan, s, y.Span);
            return Record(y, "add", x, g => TensorPrimitives.Add(x.GradAccumulator(), g, x.GradAccumulator()));
        }

        public Tensor mul(double scalar)
        {
            float s = (float)scalar;
            var x = this;
            var y = new Tensor(dims);
            TensorPrimitives.Multiply(x.ReadOnlySpan, s, y.Span);
            return Record(y, "mul", x, g => TensorPrimitives.MultiplyAdd(g, s, x.GradAccumulator(), x.GradAccumulator()));
        }

        public Tensor reciprocal() => Unary("reciprocal",
            static (x, y) => TensorPrimitives.Reciprocal(x, y),
            static (x, y, g, gx) => { for (int i = 0; i < gx.Length; i++) gx[i] -= g[i] * y[i] * y[i]; });

        // ---- tensor forms (broadcasting) ----

        public Tensor add(Tensor other) => Broadcasting("add", this, other,
            static (a, b, y) => TensorPrimitives.Add(a, b, y),
            static (a, b, g, ga) => ga.Add(g),
            static (a, b, g, gb) => gb.Add(g));

        /// <summary>this + alpha·other.</summary>
        public Tensor add(Tensor other, double alpha) => alpha == 1.0 ? add(other) : add(other.mul(alpha));

        public Tensor sub(Tensor other) => Broadcasting("sub", this, other,
            static (a, b, y) => TensorPrimitives.Subtract(a, b, y),
            static (a, b, g, ga) => ga.Add(g),
            static (a, b, g, gb) => gb.Subtract(g));

        public Tensor mul(Tensor other) => Broadcasting("mul", this, other,
            static (a, b, y) => TensorPrimitives.Multiply(a, b, y),
            static (a, b, g, ga) => ga.MultiplyAdd(g, b),
            static (a, b, g, gb) => gb.MultiplyAdd(g, a));

        public Tensor div(Tensor other) => Broadcasting("div", this, other,
            static (a, b, y) => TensorPrimitives.Divide(a, b, y),
            static (a, b, g, ga) => ga.DivideAdd(g, b),
            static (a, b, g, gb) => gb.QuotientGradAdd(g, a, b));

        public Tensor maximum(Tensor other) => Broadcasting("maximum", this, other,
            static (a, b, y) => TensorPrimitives.Max(a, b, y),
            static (a, b, g, ga) => ga.SelectAdd(g, a, b, wantGreater: true),
            static (a, b, g, gb) => gb.SelectAdd(g, b, a, wantGreater: true));

        public Tensor minimum(Tensor other) => Broadcasting("minimum", this, other,
            static (a, b, y) => TensorPrimitives.Min(a, b, y),
            static (a, b, g, ga) => ga.SelectAdd(g, a, b, wantGreater: false),
            static (a, b, g, gb) => gb.SelectAdd(g, b, a, wantGreater: false));

        /// <summary>
        /// Runs a binary op with broadcasting. The kernels see both operands expanded to the output
        /// shape; each backward computes the gradient at output shape, which is then summed back over
        /// the broadcast dimensions of its input.
        /// </summary>
        static Tensor Broadcasting(string op, Tensor a, Tensor b, BinaryForward forward, BinaryBackward backA, BinaryBackward backB)
        {
            int[] outDims = ShapeUtil.Same(a.dims, b.dims) ? a.dims : ShapeUtil.Broadcast(a.dims, b.dims, op);
            var ea = Expanded(a, outDims);
            var eb = Expanded(b, outDims);
            var y = new Tensor(outDims);
            forward(ea, eb, y.Span);
            return Record(y, op, [a, b], g =>
            {
                if (a.requiresGrad) AccumulateReduced(a, outDims, ga => backA(Expanded(a, outDims), Expanded(b, outDims), g, new GradSink(ga)));
                if (b.requiresGrad) AccumulateReduced(b, outDims, gb => backB(Expanded(a, outDims), Expanded(b, outDims), g, new GradSink(gb)));
            });
        }

        /// <summary>The values of t broadcast to `target` (t itself when the shapes already agree).</summary>
        internal static ReadOnlySpan<float> Expanded(Tensor t, int[] target)
        {
            if (t.length == ShapeUtil.Numel(target)) return t.ReadOnlySpan;
            var result = new float[ShapeUtil.Numel(target)];
            if (t.length == 1) { result.AsSpan().Fill(t.storage[t.offset]); return result; }
            var strides = ShapeUtil.BroadcastStrides(t.dims, target);
            int inner = target[^1], innerStride = strides[^1];
            int rows = result.Length / Math.Max(inner, 1);
            var src = t.storage;
            var index = new int[target.Length];
            for (int r = 0; r < rows; r++)
            {
                int s = t.offset;
                for (int d = 0; d < target.Length - 1; d++) s += index[d] * strides[d];
                var dst = result.AsSpan(r * inner, inner);
                if (innerStride == 0) dst.Fill(src[s]);
                else src.AsSpan(s, inner).CopyTo(dst);
                for (int d = target.Length - 2; d >= 0; d--) { if (++index[d] < target[d]) break; index[d] = 0; }
            }
            return result;
        }

        /// <summary>
        /// Lets `produce` write a gradient at the broadcast output shape, then adds it into t's
        /// gradient summed over the broadcast dimensions (directly when no broadcast happened).
        /// </summary>
        static void AccumulateReduced(Tensor t, int[] outDims, GradProducer produce)
        {
            int outCount = ShapeUtil.Numel(outDims);
            if (t.length == outCount)
            {
                // same element count means same shape up to leading 1s: accumulate in place
                produce(t.GradAccumulator());
                return;
            }
            var full = new float[outCount];
            produce(full);
            SumToShape(full, outDims, t.dims, t.GradAccumulator());
        }

        /// <summary>Adds `full` (shape `from`) into `into` (shape `to`, broadcastable to `from`), summing broadcast dims.</summary>
        internal static void SumToShape(ReadOnlySpan<float> full, int[] from, int[] to, Span<float> into)
        {
            if (into.Length == 1) { into[0] += (float)SumDouble(full); return; }
            var strides = ShapeUtil.BroadcastStrides(to, from);
            int inner = from[^1], innerStride = strides[^1];
            int rows = full.Length / Math.Max(inner, 1);
            var index = new int[from.Length];
            for (int r = 0; r < rows; r++)
            {
                int s = 0;
                for (int d = 0; d < from.Length - 1; d++) s += index[d] * strides[d];
                var src = full.Slice(r * inner, inner);
                if (innerStride == 0) into[s] += (float)SumDouble(src);
                else TensorPrimitives.Add(into.Slice(s, inner), src, into.Slice(s, inner));
                for (int d = from.Length - 2; d >= 0; d--) { if (++index[d] < from[d]) break; index[d] = 0; }
            }
        }
    }

    /// <summary>Sum in double precision, in a fixed order.</summary>
    internal static double SumDouble(ReadOnlySpan<float> values)
    {
        // four running sums keep the dependency chain short while the order stays fixed
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= values.Length; i += 4) { s0 += values[i]; s1 += values[i + 1]; s2 += values[i + 2]; s3 += values[i + 3]; }
        for (; i < values.Length; i++) s0 += values[i];
        return (s0 + s1) + (s2 + s3);
    }
}

internal delegate void GradProducer(Span<float> into);

internal delegate void BinaryForward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

/// <summary>Backward of one operand of a binary op, at the output shape: sink += ∂y/∂operand · g.</summary>
internal delegate void BinaryBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> g, GradSink sink);

/// <summary>Accumulation target for a binary op's backward, with the few update forms the ops need.</summary>
internal readonly ref struct GradSink(Span<float> target)
{
    readonly Span<float> t = target;
    public void Add(ReadOnlySpan<float> g) => TensorPrimitives.Add(t, g, t);
    public void Subtract(ReadOnlySpan<float> g) => TensorPrimitives.Subtract(t, g, t);
    public void MultiplyAdd(ReadOnlySpan<float> g, ReadOnlySpan<float> factor) => TensorPrimitives.MultiplyAdd(g, factor, t, t);
    public void DivideAdd(ReadOnlySpan<float> g, ReadOnlySpan<float> divisor) { for (int i = 0; i < t.Length; i++) t[i] += g[i] / divisor[i]; }
    /// <summary>∂(a/b)/∂b = −a/b².</summary>
    public void QuotientGradAdd(ReadOnlySpan<float> g, ReadOnlySpan<float> a, ReadOnlySpan<float> b) { for (int i = 0; i < t.Length; i++) t[i] -= g[i] * a[i] / (b[i] * b[i]); }
    /// <summary>
    /// Routes g to the operand that won a max/min: a tie splits it evenly, and only an operand that
    /// strictly lost gets nothing (so a NaN passes its gradient to both, as in PyTorch).
    /// </summary>
    public void SelectAdd(ReadOnlySpan<float> g, ReadOnlySpan<float> mine, ReadOnlySpan<float> theirs, bool wantGreater)
    {
        for (int i = 0; i < t.Length; i++)
        {
            if (mine[i] == theirs[i]) t[i] += 0.5f * g[i];
            else if (!(wantGreater ? mine[i] < theirs[i] : mine[i] > theirs[i])) t[i] += g[i];
        }
    }
}
