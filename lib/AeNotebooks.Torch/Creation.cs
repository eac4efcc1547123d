namespace AeNotebooks.Torch;

public static partial class torch
{
    /// <summary>A tensor holding a copy of `data` with shape `dimensions`.</summary>
    public static Tensor tensor(float[] data, long[] dimensions, bool requires_grad = false)
    {
        var dims = ShapeUtil.ToInt(dimensions, "tensor");
        if (ShapeUtil.Numel(dims) != data.Length)
            throw new ArgumentException($"tensor: {data.Length} values do not fill shape {ShapeUtil.Format(dims)} ({ShapeUtil.Numel(dims)} elements)");
        return new Tensor((float[])data.Clone(), dims) { requires_grad = requires_grad };
    }

    public static Tensor tensor(float[] data, bool requires_grad = false) => tensor(data, [data.Length], requires_grad);

    public static Tensor tensor(float[,] data, bool requires_grad = false)
    {
        int r = data.GetLength(0), c = data.GetLength(1);
        var flat = new float[r * c];
        Buffer.BlockCopy(data, 0, flat, 0, flat.Length * sizeof(float));
        return new Tensor(flat, [r, c]) { requires_grad = requires_grad };
    }

    public static Tensor tensor(double[] data, long[] dimensions, bool requires_grad = false)
        => tensor(Array.ConvertAll(data, v => (float)v), dimensions, requires_grad);

    /// <summary>A 0-dimensional tensor.</summary>
    public static Tensor tensor(float value, bool requires_grad = false) => new([value], []) { requires_grad = requires_grad };

    public static Tensor zeros(params long[] size) => zeros(size, requires_grad: false);
    public static Tensor zeros(long[] size, bool requires_grad) => new(ShapeUtil.ToInt(size, "zeros")) { requires_grad = requires_grad };
    public static Tensor ones(params long[] size) => ones(size, requires_grad: false);
    public static Tensor ones(long[] size, bool requires_grad) => full(size, 1.0, requires_grad);
    public static Tensor empty(params long[] size) => zeros(size);

    public static Tensor full(long[] size, double value, bool requires_grad = false)
    {
        var t = new Tensor(ShapeUtil.ToInt(size, "full"));
        t.Span.Fill((float)value);
        t.requires_grad = requires_grad;
        return t;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public static Tensor rand(params long[] size) => rand(size, generator: null);
    public static Tensor rand(long[] size, Generator? generator, bool requires_grad = false)
        => new Tensor(ShapeUtil.ToInt(size, "rand")).uniform_(0, 1, generator).requires_grad_(requires_grad);

    /// <summary>Standard normal.</summary>
    public static Tensor randn(params long[] size) => randn(size, generator: null);
    public static Tensor randn(long[] size, Generator? generator, bool requires_grad = false)
        => new Tensor(ShapeUtil.ToInt(size, "randn")).normal_(0, 1, generator).requires_grad_(requires_grad);

    public static Tensor zeros_like(Tensor t) => new((int[])t.dims.Clone());
    public static Tensor ones_like(Tensor t) => full(t.shape, 1.0);
    public static Tensor full_like(Tensor t, double value) => full(t.shape, value);
    public static Tensor rand_like(Tensor t, Generator? generator = null) => rand(t.shape, generator);
    public static Tensor randn_like(Tensor t, Generator? generator = null) => randn(t.shape, generator);

    /// <summary>start, start+step, … below stop (a 1-D tensor).</summary>
    public static Tensor arange(double start, double stop, double step = 1)
    {
        if (step == 0 || (stop - start) / step < 0) throw new ArgumentException($"arange: step {step} never reaches {stop} from {start}");
        int n = (int)Math.Ceiling((stop - start) / step);
        var t = new Tensor([n]);
        var s = t.Span;
        for (int i = 0; i < n; i++) s[i] = (float)(start + i * step);
        return t;
    }

    public static Tensor arange(double stop) => arange(0, stop);

    public static Tensor linspace(double start, double end, long steps)
    {
        var t = new Tensor([(int)steps]);
        var s = t.Span;
        for (int i = 0; i < steps; i++) s[i] = (float)(steps == 1 ? start : start + (end - start) * i / (steps - 1));
        return t;
    }

    /// <summary>A random permutation of 0..n-1 (values stored as float, exact below 2^24).</summary>
    public static Tensor randperm(long n, Generator? generator = null)
        => new(Array.ConvertAll((generator ?? default_generator).Permutation(n), v => (float)v), [(int)n]);

    public partial class Tensor
    {
        /// <summary>Fills with U(from, to) in place.</summary>
        public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
        {
            var g = generator ?? default_generator;
            var s = Span;
            float high = (float)to;
            for (int i = 0; i < s.Length; i++)
            {
                float v = (float)(from + (to - from) * g.NextDouble());
                s[i] = v < high ? v : MathF.BitDecrement(high); // rounding to float must not reach `to`: the interval is [from, to)
            }
            return this;
        }

        /// <summary>Fills with N(mean, std²) in place.</summary>
        public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
        {
            var g = generator ?? default_generator;
            var s = Span;
            for (int i = 0; i < s.Length; i++) s[i] = (float)(mean + std * g.NextNormal());
            return this;
        }

        /// <summary>Fills with 1 with probability p, else 0, in place.</summary>
        public Tensor bernoulli_(double p = 0.5, Generator? generator = null)
        {
            var g = generator ?? default_generator;
            var s = Span;
            for (int i = 0; i < s.Length; i++) s[i] = g.NextDouble() < p ? 1f : 0f;
            return this;
        }
    }
}
