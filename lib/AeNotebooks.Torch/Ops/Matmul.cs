using AeNotebooks.Torch.Kernels;

namespace AeNotebooks.Torch;

internal static class Ops
{
    public static torch.Tensor Clone(torch.Tensor x)
    {
        var y = new torch.Tensor(x.ReadOnlySpan.ToArray(), x.dims);
        return torch.Tensor.Record(y, "clone", x, g => torch.Tensor.AddInto(x.GradAccumulator(), g));
    }
}

public static partial class torch
{
    /// <summary>Matrix product with PyTorch's rules for 1-D, 2-D and batched operands.</summary>
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);

    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);

    public partial class Tensor
    {
        public Tensor matmul(Tensor other)
        {
            if (dims.Length == 0 || other.dims.Length == 0)
                throw new ArgumentException($"matmul: both operands need at least one dimension, got {ShapeUtil.Format(dims)} and {ShapeUtil.Format(other.dims)}");
            if (dims.Length == 1 && other.dims.Length == 1) return mul(other).sum();
            if (dims.Length == 1)
            {
                if (other.dims.Length < 2 || other.dims[^2] != dims[0])
                    throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(dims)} and {ShapeUtil.Format(other.dims)} cannot be multiplied (inner sizes differ)");
                return unsqueeze(0).matmul(other).squeeze(-2);
            }
            if (other.dims.Length == 1) return matmul(other.unsqueeze(1)).squeeze(-1);
            if (other.dims.Length == 2)
            {
                // [*, k] · [k, n]: fold leading dims into rows
                if (dims.Length == 2) return mm(other);
                int k = dims[^1];
                var lead = dims[..^1];
                var y = reshape(-1, k).mm(other);
                return y.reshape([.. lead.Select(v => (long)v), other.dims[1]]);
            }
            return Bmm(other);
        }

        /// <summary>2-D matrix product [m, k] · [k, n].</summary>
        public Tensor mm(Tensor other)
        {
            var a = this; var b = other;
            if (a.dims.Length != 2 || b.dims.Length != 2 || a.dims[1] != b.dims[0])
                throw new ArgumentException($"mm: shapes {ShapeUtil.Format(a.dims)} and {ShapeUtil.Format(b.dims)} cannot be multiplied (need [m, k] · [k, n])");
            int m = a.dims[0], k = a.dims[1], n = b.dims[1];
            var y = new Tensor([m, n]);
            Sgemm.Multiply(false, false, m, n, k, a.storage, a.offset, k, b.storage, b.offset, n, y.storage, 0, n, accumulate: false);
            return Record(y, "mm", [a, b], g =>
            {
                if (a.requiresGrad) // ga += g · bᵀ
                    Sgemm.Multiply(false, true, m, k, n, g, 0, n, b.storage, b.offset, n, a.GradArray(out int ao), ao, k, accumulate: true);
                if (b.requiresGrad) // gb += aᵀ · g
                    Sgemm.Multiply(true, false, k, n, m, a.storage, a.offset, k, g, 0, n, b.GradArray(out int bo), bo, n, accumulate: true);
            });
        }

        /// <summary>Batched product [..., m, k] · [..., k, n]; batch dimensions broadcast as in PyTorch.</summary>
        Tensor Bmm(Tensor other)
        {
            var a = this; var b = other;
            if (a.dims[^1] != b.dims[^2])
                throw new ArgumentException($"matmul: shapes {ShapeUtil.Format(a.dims)} and {ShapeUtil.Format(b.dims)} cannot be multiplied (inner sizes {a.dims[^1]} and {b.dims[^2]} differ)");
            var batchA = a.dims[..^2]; var batchB = b.dims[..^2];
            var batch = ShapeUtil.Broadcast(batchA, batchB, "matmul (batch dimensions)");
            int m = a.dims[^2], k = a.dims[^1], n = b.dims[^1];
            int batches = ShapeUtil.Numel(batch);
            // which matrix of a and of b each output matrix uses (stride 0 repeats a broadcast batch)
            var aIndex = BatchIndexes(batchA, batch); var bIndex = BatchIndexes(batchB, batch);
            var y = new Tensor([.. batch, m, n]);
            for (int i = 0; i < batches; i++)
                Sgemm.Multiply(false, false, m, n, k, a.storage, a.offset + aIndex[i] * m * k, k, b.storage, b.offset + bIndex[i] * k * n, n, y.storage, i * m * n, n, false);
            return Record(y, "bmm", [a, b], g =>
            {
                for (int i = 0; i < batches; i++)
                {
                    if (a.requiresGrad)
                        Sgemm.Multiply(false, true, m, k, n, g, i * m * n, n, b.storage, b.offset + bIndex[i] * k * n, n, a.GradArray(out int ao), ao + aIndex[i] * m * k, k, true);
                    if (b.requiresGrad)
                        Sgemm.Multiply(true, false, k, n, m, a.storage, a.offset + aIndex[i] * m * k, k, g, i * m * n, n, b.GradArray(out int bo), bo + bIndex[i] * k * n, n, true);
                }
            });
        }

        static int[] BatchIndexes(int[] own, int[] batch)
        {
            var strides = ShapeUtil.BroadcastStrides(own, batch);
            var result = new int[ShapeUtil.Numel(batch)];
            var index = new int[batch.Length];
            for (int i = 0; i < result.Length; i++)
            {
                int s = 0;
                for (int d = 0; d < batch.Length; d++) s += index[d] * strides[d];
                result[i] = s;
                for (int d = batch.Length - 1; d >= 0; d--) { if (++index[d] < batch[d]) break; index[d] = 0; }
            }
            return result;
        }

        /// <summary>The array (and start offset) this tensor's gradient accumulates into, for kernels that take arrays.</summary>
        internal float[] GradArray(out int start)
        {
            if (node == null && gradBuffer == null)
            {
                grad ??= new Tensor(dims);
                start = grad.offset;
                return grad.storage;
            }
            start = 0;
            return gradBuffer ??= Kernels.GradientPool.Rent(length);
        }
    }

    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>y = x·Wᵀ + b for x [*, in], W [out, in], b [out]; fused so backward needs no transposed copies.</summary>
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
            {
                var x = input; var w = weight;
                int outF = w.dims[0], inF = w.dims.Length == 2 ? w.dims[1] : -1;
                if (w.dims.Length != 2 || x.dims.Length == 0 || x.dims[^1] != inF)
                    throw new ArgumentException($"linear: input {ShapeUtil.Format(x.dims)} does not match weight {ShapeUtil.Format(w.dims)} (expects [*, {inF}])");
                if (bias is not null && (bias.dims.Length != 1 || bias.dims[0] != outF))
                    throw new ArgumentException($"linear: bias {ShapeUtil.Format(bias.dims)} does not match weight {ShapeUtil.Format(w.dims)} (expects [{outF}])");
                int rows = x.length / Math.Max(inF, 1);
                var outDims = (int[])x.dims.Clone(); outDims[^1] = outF;
                var y = new Tensor(outDims);
                if (bias is not null)
                    for (int r = 0; r < rows; r++) bias.ReadOnlySpan.CopyTo(y.storage.AsSpan(r * outF, outF));
                Kernels.Sgemm.Multiply(false, true, rows, outF, inF, x.storage, x.offset, inF, w.storage, w.offset, inF, y.storage, 0, outF, accumulate: bias is not null);
                Tensor[] inputs = bias is null ? [x, w] : [x, w, bias];
                return Tensor.Record(y, "linear", inputs, g =>
                {
                    if (x.requires_grad) // gx += g · W
                        Kernels.Sgemm.Multiply(false, false, rows, inF, outF, g, 0, outF, w.storage, w.offset, inF, x.GradArray(out int xo), xo, inF, true);
                    if (w.requires_grad) // gW += gᵀ · x
                        Kernels.Sgemm.Multiply(true, false, outF, inF, rows, g, 0, outF, x.storage, x.offset, inF, w.GradArray(out int wo), wo, inF, true);
                    if (bias is not null && bias.requires_grad)
                    {
                        var gb = bias.GradAccumulator();
                        for (int r = 0; r < rows; r++) Tensor.AddInto(gb, g.AsSpan(r * outF, outF));
                    }
                });
            }
        }
    }
}
