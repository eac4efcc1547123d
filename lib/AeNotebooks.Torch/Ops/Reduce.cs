namespace AeNotebooks.Torch;

public static partial class torch
{
    public partial class Tensor
    {
        /// <summary>Sum of all elements (accumulated in double, fixed order).</summary>
        public Tensor sum()
        {
            var x = this;
            var y = new Tensor([(float)SumDouble(x.ReadOnlySpan)], []);
            return Record(y, "sum", x, g =>
            {
                var gx = x.GradAccumulator();
                float v = g[0];
                for (int i = 0; i < gx.Length; i++) gx[i] += v;
            });
        }

        public Tensor mean()
        {
            var x = this;
            var y = new Tensor([(float)(SumDouble(x.ReadOnlySpan) / x.length)], []);
            return Record(y, "mean", x, g =>
            {
                var gx = x.GradAccumulator();
                float v = g[0] / x.length;
                for (int i = 0; i < gx.Length; i++) gx[i] += v;
            });
        }

        public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);
        public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);

        public Tensor sum(long[] dims, bool keepdim = false) => ReduceDims("sum", dims, keepdim, mean: false);
        public Tensor mean(long[] dims, bool keepdim = false) => ReduceDims("mean", dims, keepdim, mean: true);

        /// <summary>Sum (or mean) over `dims`, viewing the tensor as [outer, reduced, inner] blocks.</summary>
        Tensor ReduceDims(string op, long[] reduceDims, bool keepdim, bool mean)
        {
            var x = this;
            var reduced = new bool[dims.Length];
            foreach (var d in reduceDims) reduced[ShapeUtil.NormalizeDim(d, dims.Length, op)] = true;
            int[] keptDims = new int[dims.Length];
            int count = 1;
            for (int i = 0; i < dims.Length; i++) { keptDims[i] = reduced[i] ? 1 : dims[i]; if (reduced[i]) count *= dims[i]; }
            var outDims = keepdim ? keptDims : dims.Where((_, i) => !reduced[i]).ToArray();
            var y = new Tensor(outDims);
            var acc = new double[y.length];
            var xs = x.ReadOnlySpan;
            var strides = ShapeUtil.BroadcastStrides(keptDims, dims);
            var index = new int[dims.Length];
            for (int i = 0, j = 0; i < xs.Length; i++)
            {
                acc[j] += xs[i];
                j = NextIndex(index, dims, strides, j);
            }
            float scale = mean ? 1f / count : 1f;
            var ys = y.Span;
            for (int j = 0; j < ys.Length; j++) ys[j] = (float)(mean ? acc[j] / count : acc[j]);
            return Record(y, op, x, g =>
            {
                var gx = x.GradAccumulator();
                var gArr = g;
                ForEachIndexSpan(dims, strides, gx, gArr, scale);
            });
        }

        /// <summary>Largest element; its gradient is shared evenly among tied maxima, as in PyTorch.</summary>
        public Tensor max() => Extreme("max", greater: true);
        public Tensor min() => Extreme("min", greater: false);

        Tensor Extreme(string op, bool greater)
        {
            if (length == 0) throw new InvalidOperationException($"{op}(): the tensor is empty");
            var x = this;
            var xs = x.ReadOnlySpan;
            int best = 0;
            for (int i = 1; i < xs.Length; i++)
            {
                if (float.IsNaN(xs[best])) break;
                if (float.IsNaN(xs[i]) || (greater ? xs[i] > xs[best] : xs[i] < xs[best])) best = i;
            }
            var y = new Tensor([xs[best]], []);
            // PyTorch's full max()/min() spread the gradient evenly over all tied extremes
            return Record(y, op, x, g =>
            {
                var values = x.ReadOnlySpan;
                float v = values[best];
                // ties share the gradient; a NaN result shares it among all NaNs
                bool Tied(float e) => float.IsNaN(v) ? float.IsNaN(e) : e == v;
                int ties = 0;
                foreach (var e in values) if (Tied(e)) ties++;
                var gx = x.GradAccumulator();
                for (int i = 0; i < values.Length; i++) if (Tied(values[i])) gx[i] += g[0] / ties;
            });
        }

        /// <summary>Max along a dimension: (values, indexes). Indexes are stored as float (exact below 2^24).</summary>
        public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false) => ExtremeDim("max", dim, keepdim, greater: true);
        public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false) => ExtremeDim("min", dim, keepdim, greater: false);

        (Tensor values, Tensor indexes) ExtremeDim(string op, long dim, bool keepdim, bool greater)
        {
            var x = this;
            int d = ShapeUtil.NormalizeDim(dim, dims.Length, op);
            int outer = 1, inner = 1, n = dims[d];
            for (int i = 0; i < d; i++) outer *= dims[i];
            for (int i = d + 1; i < dims.Length; i++) inner *= dims[i];
            var outDims = keepdim ? dims.Select((s, i) => i == d ? 1 : s).ToArray() : dims.Where((_, i) => i != d).ToArray();
            var values = new Tensor(outDims);
            var indexes = new Tensor(outDims);
            var xs = x.ReadOnlySpan;
            var vs = values.Span; var ix = indexes.Span;
            var arg = new int[values.length];
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < inner; k++)
                {
                    int baseIndex = o * n * inner + k, best = 0;
                    for (int j = 1; j < n; j++)
                    {
                        float cur = xs[baseIndex + j * inner], b = xs[baseIndex + best * inner];
                        if (float.IsNaN(b)) break;
                        if (float.IsNaN(cur) || (greater ? cur > b : cur < b)) best = j;
                    }
                    int r = o * inner + k;
                    arg[r] = best; vs[r] = xs[baseIndex + best * inner]; ix[r] = best;
                }
            Record(values, op, x, g =>
            {
                var gx = x.GradAccumulator();
                for (int o = 0; o < outer; o++)
                    for (int k = 0; k < inner; k++)
                    {
                        int r = o * inner + k;
                        gx[o * n * inner + arg[r] * inner + k] += g[r];
                    }
            });
            return (values, indexes);
        }

        /// <summary>Advances a row-major index over `shape`, returning the matching offset into a reduced tensor.</summary>
        static int NextIndex(int[] index, int[] shape, int[] reducedStrides, int j)
        {
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                j += reducedStrides[d];
                if (++index[d] < shape[d]) return j;
                j -= reducedStrides[d] * shape[d];
                index[d] = 0;
            }
            return j;
        }

        static void ForEachIndexSpan(int[] shape, int[] reducedStrides, Span<float> gx, float[] g, float scale)
        {
            var index = new int[shape.Length];
            for (int i = 0, j = 0; i < gx.Length; i++)
            {
                gx[i] += g[j] * scale;
                j = NextIndex(index, shape, reducedStrides, j);
            }
        }
    }
}
