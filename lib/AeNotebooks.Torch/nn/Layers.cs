using AeNotebooks.Torch.Modules;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Modules
{
    /// <summary>y = x·Wᵀ + b. Initialised as PyTorch does: W, b ~ U(−1/√in, 1/√in).</summary>
    public sealed class Linear : nn.Module<Tensor, Tensor>
    {
        public Parameter weight;
        public Parameter? bias;
        public long in_features { get; }
        public long out_features { get; }

        internal Linear(long inputSize, long outputSize, bool hasBias) : base("Linear")
        {
            if (inputSize <= 0 || outputSize <= 0)
                throw new ArgumentException($"Linear({inputSize}→{outputSize}): sizes must be positive");
            in_features = inputSize; out_features = outputSize;
            weight = new Parameter(empty(outputSize, inputSize));
            nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5)); // PyTorch's reset_parameters
            if (hasBias)
            {
                double bound = 1 / Math.Sqrt(inputSize);
                bias = new Parameter(empty(outputSize));
                nn.init.uniform_(bias, -bound, bound);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            if (input.dims.Length == 0 || input.dims[^1] != in_features)
                throw new ArgumentException($"Linear({in_features}→{out_features}) expects [*, {in_features}], got {ShapeUtil.Format(input.dims)}");
            return nn.functional.linear(input, weight, bias);
        }

        protected override string Describe() => $"Linear({in_features}→{out_features}{(bias is null ? ", no bias" : "")})";
    }

    /// <summary>A parameter-free layer defined by one function (activations, Flatten, …).</summary>
    public sealed class Lambda : nn.Module<Tensor, Tensor>
    {
        readonly Func<Tensor, Tensor> function;
        readonly string description;
        internal Lambda(string name, Func<Tensor, Tensor> function, string? description = null) : base(name)
        {
            this.function = function;
            this.description = description ?? name + "()";
        }
        public override Tensor forward(Tensor input) => function(input);
        protected override string Describe() => description;
    }

    /// <summary>Zeroes each element with probability p while training and scales the rest by 1/(1−p).</summary>
    public sealed class Dropout : nn.Module<Tensor, Tensor>
    {
        public double p { get; }
        internal Dropout(double p) : base("Dropout")
        {
            if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1]");
            this.p = p;
        }
        public override Tensor forward(Tensor input) => nn.functional.dropout(input, p, training);
        protected override string Describe() => $"Dropout(p={p})";
    }

    /// <summary>Runs children in order; each child is named ("0", "1", … or the names given).</summary>
    public sealed class Sequential : nn.Module<Tensor, Tensor>
    {
        readonly List<nn.Module<Tensor, Tensor>> layers = new();
        readonly List<string> names = new();

        internal Sequential(IEnumerable<(string name, nn.Module<Tensor, Tensor> module)> modules) : base("Sequential")
        {
            foreach (var (n, m) in modules) append(n, m);
        }

        public Sequential append(string name, nn.Module<Tensor, Tensor> module)
        {
            if (names.Contains(name)) throw new ArgumentException($"Sequential: two layers are named '{name}'");
            layers.Add(module); names.Add(name);
            register_module(name, module);
            return this;
        }

        public Sequential append(nn.Module<Tensor, Tensor> module) => append(layers.Count.ToString(), module);

        public int Count => layers.Count;
        public nn.Module<Tensor, Tensor> this[int index] => layers[index];
        public nn.Module<Tensor, Tensor> this[string name] => layers[names.IndexOf(name) is var i and >= 0 ? i : throw new KeyNotFoundException($"Sequential has no layer named '{name}'")];

        public override Tensor forward(Tensor input)
        {
            var x = input;
            for (int i = 0; i < layers.Count; i++)
            {
                try { x = layers[i].call(x); }
                catch (ArgumentException e) when (!e.Message.StartsWith("Sequential"))
                {
                    // name the layer so a shape error in a deep model is easy to place
                    throw new ArgumentException($"Sequential layer '{names[i]}' ({layers[i].name}): {e.Message}", e);
                }
            }
            return x;
        }
    }
}

namespace AeNotebooks.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static Linear Linear(long inputSize, long outputSize, bool hasBias = true) => new(inputSize, outputSize, hasBias);

            public static Sequential Sequential() => new([]);
            public static Sequential Sequential(params (string name, Module<Tensor, Tensor> module)[] modules) => new(modules);
            public static Sequential Sequential(params Module<Tensor, Tensor>[] modules)
                => new(modules.Select((m, i) => (i.ToString(), m)));

            public static Lambda ReLU() => new("ReLU", x => x.relu());
            public static Lambda LeakyReLU(double negative_slope = 0.01) => new("LeakyReLU", x => x.leaky_relu(negative_slope), $"LeakyReLU({negative_slope})");
            public static Lambda Sigmoid() => new("Sigmoid", x => x.sigmoid());
            public static Lambda Tanh() => new("Tanh", x => x.tanh());
            public static Lambda ELU(double alpha = 1.0) => new("ELU", x => x.elu(alpha), $"ELU(alpha={alpha})");
            public static Lambda Softplus(double beta = 1.0, double threshold = 20.0) => new("Softplus", x => x.softplus(beta, threshold), $"Softplus(beta={beta})");
            public static Lambda GELU() => new("GELU", x => x.gelu());
            public static Lambda Identity() => new("Identity", x => x);
            public static Lambda Flatten(long startDim = 1, long endDim = -1) => new("Flatten", x => x.flatten(startDim, endDim), $"Flatten({startDim}, {endDim})");
            public static Lambda Unflatten(long dim, long[] unflattenedSize)
                => new("Unflatten", x => x.unflatten(dim, unflattenedSize), $"Unflatten({dim}, {ShapeUtil.Format(unflattenedSize)})");
            public static Dropout Dropout(double p = 0.5) => new(p);

            public static partial class functional
            {
                public static Tensor relu(Tensor x) => x.relu();
                public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) => x.leaky_relu(negative_slope);
                public static Tensor sigmoid(Tensor x) => x.sigmoid();
                public static Tensor tanh(Tensor x) => x.tanh();
                public static Tensor elu(Tensor x, double alpha = 1.0) => x.elu(alpha);
                public static Tensor softplus(Tensor x, double beta = 1.0, double threshold = 20.0) => x.softplus(beta, threshold);
                public static Tensor gelu(Tensor x) => x.gelu();

                /// <summary>Inverted dropout: a fresh mask from the default generator each call while training.</summary>
                public static Tensor dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
                {
                    if (!training || p == 0) return input;
                    if (p == 1) return input.mul(0.0);
                    var keep = new Tensor((int[])input.dims.Clone()).bernoulli_(1 - p, generator);
                    return input.mul(keep.mul(1 / (1 - p)));
                }
            }
        }
    }
}
