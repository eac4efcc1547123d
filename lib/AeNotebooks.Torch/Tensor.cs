using System.Globalization;
using System.Text;

namespace AeNotebooks.Torch;

public static partial class torch
{
    /// <summary>
    /// A float32 tensor of any rank over contiguous storage (row-major). Views made by
    /// reshape/view/narrow/select share storage; every other op writes a new tensor.
    /// </summary>
    public partial class Tensor
    {
        internal readonly float[] storage;
        internal readonly int offset;
        internal readonly int[] dims;
        internal readonly int length; // number of elements

        internal Node? node;          // the op that made this tensor, for autograd (null for leaves)
        internal float[]? gradBuffer; // gradient of a non-leaf while backward() runs
        bool requiresGrad;
        List<Func<Tensor, Tensor>>? gradHooks;

        internal Tensor(float[] storage, int[] dims, int offset = 0)
        {
            this.storage = storage;
            this.dims = dims;
            this.offset = offset;
            length = ShapeUtil.Numel(dims);
            if (offset + length > storage.Length)
                throw new ArgumentException($"storage of {storage.Length} floats cannot hold shape {ShapeUtil.Format(dims)} at offset {offset}");
        }

        internal Tensor(int[] dims) : this(new float[ShapeUtil.Numel(dims)], dims) { }

        internal Span<float> Span => storage.AsSpan(offset, length);
        internal ReadOnlySpan<float> ReadOnlySpan => new(storage, offset, length);

        /// <summary>The sizes of each dimension (TorchSharp spelling: long[]).</summary>
        public long[] shape => Array.ConvertAll(dims, d => (long)d);
        public long Dimensions => dims.Length;
        public long dim() => dims.Length;
        public long NumberOfElements => length;
        public long numel() => length;
        public long size(int dim) => dims[ShapeUtil.NormalizeDim(dim, dims.Length, "size")];

        /// <summary>Whether autograd tracks operations on this tensor.</summary>
        public bool requires_grad
        {
            get => requiresGrad;
            set
            {
                if (!value && node != null)
                    throw new InvalidOperationException("requires_grad can only be cleared on a leaf tensor; use detach()");
                requiresGrad = value;
            }
        }

        /// <summary>Sets requires_grad and returns this tensor (PyTorch's requires_grad_()).</summary>
        public Tensor requires_grad_(bool requires = true) { requires_grad = requires; return this; }

        public bool is_leaf => node == null;

        /// <summary>The accumulated gradient of a leaf after backward().</summary>
        public Tensor? grad { get; set; }

        /// <summary>The name of the op that produced this tensor, for error messages and diagnostics.</summary>
        public string? grad_fn => node?.Op;

        /// <summary>Registers a hook that sees (and may replace) this tensor's gradient during backward().</summary>
        public void register_hook(Func<Tensor, Tensor> hook) => (gradHooks ??= new()).Add(hook);

        internal bool HasGradHooks => gradHooks != null;

        internal float[] ApplyGradHooks(float[] g)
        {
            if (gradHooks == null) return g;
            var t = new Tensor(g, dims);
            foreach (var hook in gradHooks)
            {
                var replaced = hook(t);
                if (replaced is not null && !ReferenceEquals(replaced, t))
                {
                    ShapeUtil.CheckSame(replaced.dims, dims, "register_hook (returned gradient)");
                    t = new Tensor(replaced.ReadOnlySpan.ToArray(), dims);
                }
            }
            return t.storage;
        }

        /// <summary>A tensor that shares data but is cut from the autograd graph.</summary>
        public Tensor detach() => new(storage, dims, offset);

        /// <summary>A deep copy (its own storage), still connected to the graph.</summary>
        public Tensor clone() => Ops.Clone(this);

        /// <summary>Copies into a fresh contiguous array (row-major).</summary>
        public float[] ToArray() => ReadOnlySpan.ToArray();

        /// <summary>The single value of a one-element tensor.</summary>
        public T item<T>() where T : unmanaged
        {
            if (length != 1)
                throw new InvalidOperationException($"item() needs a tensor with one element, got shape {ShapeUtil.Format(dims)}");
            float v = storage[offset];
            if (typeof(T) == typeof(float)) return (T)(object)v;
            if (typeof(T) == typeof(double)) return (T)(object)(double)v;
            if (typeof(T) == typeof(bool)) return (T)(object)(v != 0f);
            if (typeof(T) == typeof(int)) return (T)(object)(int)v;
            if (typeof(T) == typeof(long)) return (T)(object)(long)v;
            throw new NotSupportedException($"item<{typeof(T).Name}>(): this engine stores float32; use float, double, int, long or bool");
        }

        /// <summary>Read access to the values (row-major), like TorchSharp's data&lt;float&gt;().</summary>
        public TensorAccessor<T> data<T>() where T : unmanaged
        {
            if (typeof(T) != typeof(float))
                throw new NotSupportedException($"data<{typeof(T).Name}>(): this engine stores float32 only; use data<float>()");
            return new TensorAccessor<T>((T[])(object)storage, offset, length);
        }

        // ---- in-place helpers (no autograd; used by optimizers and init under no_grad) ----

        public Tensor zero_() { Span.Clear(); return this; }
        public Tensor fill_(double value) { Span.Fill((float)value); return this; }

        public Tensor copy_(Tensor source)
        {
            ShapeUtil.CheckSameCount(source, this, "copy_");
            source.ReadOnlySpan.CopyTo(Span);
            return this;
        }

        public override string ToString() => ToString(maxItems: 6);

        /// <summary>Shape, then values, with at most maxItems shown per dimension.</summary>
        public string ToString(int maxItems)
        {
            var sb = new StringBuilder();
            sb.Append(ShapeUtil.Format(dims)).Append(" float32");
            if (node != null) sb.Append(", grad_fn=").Append(node.Op);
            else if (requiresGrad) sb.Append(", requires_grad");
            sb.Append('\n');
            AppendValues(sb, 0, offset, maxItems, 0);
            return sb.ToString();
        }

        void AppendValues(StringBuilder sb, int dim, int start, int maxItems, int indent)
        {
            if (dims.Length == 0) { sb.Append(Fmt(storage[start])); return; }
            int n = dims[dim];
            int stride = 1;
            for (int d = dim + 1; d < dims.Length; d++) stride *= dims[d];
            sb.Append('[');
            for (int i = 0; i < n; i++)
            {
                if (n > maxItems && i == maxItems / 2)
                {
                    sb.Append("...");
                    i = n - maxItems / 2;
                    sb.Append(dim == dims.Length - 1 ? ", " : ",\n" + new string(' ', indent + 1));
                }
                if (dim == dims.Length - 1) sb.Append(Fmt(storage[start + i]));
                else AppendValues(sb, dim + 1, start + i * stride, maxItems, indent + 1);
                if (i < n - 1) sb.Append(dim == dims.Length - 1 ? ", " : ",\n" + new string(' ', indent + 1));
            }
            sb.Append(']');
        }

        static string Fmt(float v) => v.ToString("G5", CultureInfo.InvariantCulture);
    }
}

/// <summary>Read-only view of a tensor's values.</summary>
public sealed class TensorAccessor<T> : IEnumerable<T> where T : unmanaged
{
    readonly T[] storage;
    readonly int offset;
    public long Count { get; }
    internal TensorAccessor(T[] storage, int offset, int count) { this.storage = storage; this.offset = offset; Count = count; }
    public T this[long i] => i >= 0 && i < Count ? storage[offset + i] : throw new IndexOutOfRangeException($"index {i} outside [0, {Count})");
    public T[] ToArray() => storage.AsSpan(offset, (int)Count).ToArray();
    public IEnumerator<T> GetEnumerator() { for (int i = 0; i < Count; i++) yield return storage[offset + i]; }
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
