namespace AeNotebooks.Torch;

public static partial class torch
{
    public partial class Tensor
    {
        /// <summary>Same data, new shape (one dimension may be -1). Shares storage.</summary>
        public Tensor reshape(params long[] shape)
        {
            var x = this;
            var newDims = ShapeUtil.InferReshape(shape, length, dims, "reshape");
            var y = new Tensor(storage, newDims, offset);
            return Record(y, "reshape", x, g => AddInto(x.GradAccumulator(), g));
        }

        public Tensor view(params long[] shape) => reshape(shape);

        public Tensor flatten(long start_dim = 0, long end_dim = -1)
        {
            if (dims.Length == 0) return reshape(1);
            int s = ShapeUtil.NormalizeDim(start_dim, dims.Length, "flatten"), e = ShapeUtil.NormalizeDim(end_dim, dims.Length, "flatten");
            if (s > e) throw new ArgumentException($"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {ShapeUtil.Format(dims)}");
            var newShape = new List<long>();
            for (int i = 0; i < s; i++) newShape.Add(dims[i]);
            long merged = 1;
            for (int i = s; i <= e; i++) merged *= dims[i];
            newShape.Add(merged);
            for (int i = e + 1; i < dims.Length; i++) newShape.Add(dims[i]);
            return reshape(newShape.ToArray());
        }

        public Tensor unflatten(long dim, params long[] sizes)
        {
            int d = ShapeUtil.NormalizeDim(dim, dims.Length, "unflatten");
            long product = 1; foreach (var v in sizes) product *= v;
            if (product != dims[d] && !sizes.Contains(-1))
                throw new ArgumentException($"unflatten: dimension {dim} of {ShapeUtil.Format(dims)} has size {dims[d]}, which is not {ShapeUtil.Format(sizes)} ({product} elements)");
            var newShape = dims.Take(d).Select(v => (long)v).Concat(sizes).Concat(dims.Skip(d + 1).Select(v => (long)v)).ToArray();
            return reshape(newShape);
        }

        public Tensor unsqueeze(long dim)
        {
            int d = ShapeUtil.NormalizeDim(dim, dims.Length + 1, "unsqueeze");
            var s = dims.Select(v => (long)v).ToList();
            s.Insert(d, 1);
            return reshape(s.ToArray());
        }

        public Tensor squeeze(long? dim = null)
        {
            if (dim is null) return reshape(dims.Where(v => v != 1).Select(v => (long)v).ToArray());
            int d = ShapeUtil.NormalizeDim(dim.Value, dims.Length, "squeeze");
            if (dims[d] != 1) return this;
            return reshape(dims.Where((_, i) => i != d).Select(v => (long)v).ToArray());
        }

        /// <summary>Reorders dimensions (copies into new contiguous storage).</summary>
        public Tensor permute(params long[] order)
        {
            if (order.Length != dims.Length)
                throw new ArgumentException($"permute: {ShapeUtil.Format(order)} does not match a tensor of rank {dims.Length} (shape {ShapeUtil.Format(dims)})");
            var perm = new int[order.Length];
            var seen = new bool[order.Length];
            for (int i = 0; i < order.Length; i++)
            {
                perm[i] = ShapeUtil.NormalizeDim(order[i], dims.Length, "permute");
                if (seen[perm[i]]) throw new ArgumentException($"permute: dimension {perm[i]} repeats in {ShapeUtil.Format(order)}");
                seen[perm[i]] = true;
            }
            var x = this;
            var outDims = perm.Select(p => dims[p]).ToArray();
            var y = new Tensor(outDims);
            Permute(x.ReadOnlySpan, dims, perm, y.Span);
            var inverse = new int[perm.Length];
            for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
            return Record(y, "permute", x, g =>
            {
                var back = new float[g.Length];
                Permute(g, outDims, inverse, back);
                AddInto(x.GradAccumulator(), back);
            });
        }

        public Tensor transpose(long dim0, long dim1)
        {
            var order = Enumerable.Range(0, dims.Length).Select(i => (long)i).ToArray();
            int a = ShapeUtil.NormalizeDim(dim0, dims.Length, "transpose"), b = ShapeUtil.NormalizeDim(dim1, dims.Length, "transpose");
            (order[a], order[b]) = (order[b], order[a]);
            return permute(order);
        }

        /// <summary>Transpose of a 2-D tensor.</summary>
        public Tensor t() => dims.Length == 2 ? transpose(0, 1)
            : dims.Length < 2 ? this : throw new ArgumentException($"t() expects a tensor with at most 2 dimensions, got {ShapeUtil.Format(dims)}");

        /// <summary>Rows start..start+length of a dimension. Along dimension 0 this is a view sharing storage.</summary>
        public Tensor narrow(long dim, long start, long length)
        {
            int d = ShapeUtil.NormalizeDim(dim, dims.Length, "narrow");
            if (start < 0) start += dims[d];
            if (start < 0 || length < 0 || start + length > dims[d])
                throw new ArgumentOutOfRangeException(nameof(start), $"narrow: [{start}, {start + length}) is outside dimension {d} of size {dims[d]} (shape {ShapeUtil.Format(dims)})");
            if (d == 0)
            {
                var x = this;
                int rowSize = dims.Length == 0 ? 1 : length == 0 ? 0 : this.length / dims[0];
                var outDims = (int[])dims.Clone(); outDims[0] = (int)length;
                var y = new Tensor(storage, outDims, offset + (int)start * rowSize);
                return Record(y, "narrow", x, g => AddInto(x.GradAccumulator().Slice((int)start * rowSize, g.Length), g));
            }
            var indices = new long[length];
            for (int i = 0; i < length; i++) indices[i] = start + i;
            return index_select(dim, indices);
        }

        /// <summary>Rows [start, stop) of dimension 0 (a view), e.g. a mini-batch.</summary>
        public Tensor slice(long dim, long start, long stop, long step = 1)
        {
            if (step == 1) return narrow(dim, start, stop - start);
            var indices = new List<long>();
            for (long i = start; i < stop; i += step) indices.Add(i);
            return index_select(dim, indices.ToArray());
        }

        /// <summary>The i-th entry along dimension 0, with that dimension removed.</summary>
        public Tensor this[long index]
        {
            get
            {
                if (dims.Length == 0) throw new InvalidOperationException("cannot index a 0-dimensional tensor");
                long i = index < 0 ? index + dims[0] : index;
                if (i < 0 || i >= dims[0]) throw new IndexOutOfRangeException($"index {index} is out of range for dimension 0 of size {dims[0]}");
                return narrow(0, i, 1).squeeze(0);
            }
        }

        /// <summary>The entries at `indices` along `dim` (e.g. a shuffled mini-batch of rows).</summary>
        public Tensor index_select(long dim, long[] indices)
        {
            int d = ShapeUtil.NormalizeDim(dim, dims.Length, "index_select");
            int outer = 1, inner = 1, n = dims[d];
            for (int i = 0; i < d; i++) outer *= dims[i];
            for (int i = d + 1; i < dims.Length; i++) inner *= dims[i];
            var idx = new int[indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                long v = indices[i] < 0 ? indices[i] + n : indices[i];
                if (v < 0 || v >= n) throw new IndexOutOfRangeException($"index_select: index {indices[i]} is out of range for dimension {d} of size {n} (shape {ShapeUtil.Format(dims)})");
                idx[i] = (int)v;
            }
            var x = this;
            var outDims = (int[])dims.Clone(); outDims[d] = idx.Length;
            var y = new Tensor(outDims);
            var xs = x.ReadOnlySpan; var ys = y.Span;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < idx.Length; i++)
                    xs.Slice((o * n + idx[i]) * inner, inner).CopyTo(ys.Slice((o * idx.Length + i) * inner, inner));
            return Record(y, "index_select", x, g =>
            {
                var gx = x.GradAccumulator();
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < idx.Length; i++)
                        AddInto(gx.Slice((o * n + idx[i]) * inner, inner), g.AsSpan((o * idx.Length + i) * inner, inner));
            });
        }

        /// <summary>index_select with indices held in a tensor (integral values, e.g. from randperm).</summary>
        public Tensor index_select(long dim, Tensor indices) => index_select(dim, indices.ToArray().Select(v => (long)v).ToArray());

        /// <summary>Broadcasts to a larger shape (copies; the gradient sums back).</summary>
        public Tensor expand(params long[] sizes)
        {
            var x = this;
            var target = ShapeUtil.ToInt(sizes.Select((s, i) => s == -1 ? dims[i - (sizes.Length - dims.Length)] : s).ToArray(), "expand");
            var outDims = ShapeUtil.Broadcast(dims, target, "expand");
            if (!ShapeUtil.Same(outDims, target)) throw new ArgumentException($"expand: cannot expand {ShapeUtil.Format(dims)} to {ShapeUtil.Format(sizes)}");
            var y = new Tensor(Expanded(x, outDims).ToArray(), outDims);
            return Record(y, "expand", x, g => SumToShape(g, outDims, x.dims, x.GradAccumulator()));
        }

        internal static void AddInto(Span<float> into, ReadOnlySpan<float> values)
            => System.Numerics.Tensors.TensorPrimitives.Add(into, values, into);

        static void Permute(ReadOnlySpan<float> src, int[] srcDims, int[] perm, Span<float> dst)
        {
            var srcStrides = ShapeUtil.Strides(srcDims);
            int rank = perm.Length;
            var stepStrides = new int[rank];
            var outDims = new int[rank];
            for (int i = 0; i < rank; i++) { stepStrides[i] = srcStrides[perm[i]]; outDims[i] = srcDims[perm[i]]; }
            var index = new int[rank];
            int s = 0;
            for (int i = 0; i < dst.Length; i++)
            {
                dst[i] = src[s];
                for (int d = rank - 1; d >= 0; d--)
                {
                    s += stepStrides[d];
                    if (++index[d] < outDims[d]) break;
                    s -= stepStrides[d] * outDims[d];
                    index[d] = 0;
                }
            }
        }
    }

    /// <summary>Joins tensors along an existing dimension.</summary>
    public static Tensor cat(IList<Tensor> tensors, long dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("cat: needs at least one tensor");
        var first = tensors[0];
        int d = ShapeUtil.NormalizeDim(dim, first.dims.Length, "cat");
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= first.dims[i];
        for (int i = d + 1; i < first.dims.Length; i++) inner *= first.dims[i];
        int total = 0;
        foreach (var t in tensors)
        {
            if (t.dims.Length != first.dims.Length || t.dims.Where((v, i) => i != d && v != first.dims[i]).Any())
                throw new ArgumentException($"cat: shapes {ShapeUtil.Format(first.dims)} and {ShapeUtil.Format(t.dims)} differ outside dimension {d}");
            total += t.dims[d];
        }
        var outDims = (int[])first.dims.Clone(); outDims[d] = total;
        var y = new Tensor(outDims);
        var ys = y.storage;
        int at = 0;
        var starts = new int[tensors.Count];
        for (int k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            starts[k] = at;
            int block = t.dims[d] * inner;
            for (int o = 0; o < outer; o++)
                t.ReadOnlySpan.Slice(o * block, block).CopyTo(ys.AsSpan(o * total * inner + at * inner, block));
            at += t.dims[d];
        }
        var inputs = tensors.ToArray();
        return Tensor.Record(y, "cat", inputs, g =>
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                var t = inputs[k];
                if (!t.requires_grad) continue;
                int block = t.dims[d] * inner;
                var gt = t.GradAccumulator();
                for (int o = 0; o < outer; o++)
                    Tensor.AddInto(gt.Slice(o * block, block), g.AsSpan(o * total * inner + starts[k] * inner, block));
            }
        });
    }

    /// <summary>Joins tensors along a new dimension.</summary>
    public static Tensor stack(IList<Tensor> tensors, long dim = 0) => cat(tensors.Select(t => t.unsqueeze(dim)).ToList(), dim);
}
