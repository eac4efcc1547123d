using AeNotebooks.Torch.Modules;

namespace AeNotebooks.Torch
{
    public static partial class torch
    {
        public static partial class optim
        {
            /// <summary>
            /// Base of the optimizers: one parameter group, per-parameter state, PyTorch's update
            /// rules written out elementwise in float32 so one step matches PyTorch's to rounding.
            /// </summary>
            public abstract class Optimizer
            {
                protected readonly Parameter[] parameters;

                protected Optimizer(IEnumerable<Parameter> parameters, double lr, string name)
                {
                    this.parameters = parameters.ToArray();
                    if (this.parameters.Length == 0) throw new ArgumentException($"{name}: got an empty parameter list");
                    if (lr < 0 || double.IsNaN(lr)) throw new ArgumentOutOfRangeException(nameof(lr), lr, $"{name}: invalid learning rate");
                    LearningRate = lr;
                    InitialLearningRate = lr;
                }

                /// <summary>The current learning rate (schedulers change it).</summary>
                public double LearningRate { get; set; }
                public double InitialLearningRate { get; }

                public IReadOnlyList<Parameter> Parameters => parameters;

                /// <summary>Clears gradients (sets them to null, PyTorch 2's default).</summary>
                public void zero_grad()
                {
                    foreach (var p in parameters) p.grad = null;
                }

                /// <summary>Applies one update to every parameter that has a gradient.</summary>
                public void step()
                {
                    using (no_grad())
                        for (int i = 0; i < parameters.Length; i++)
                            if (parameters[i].grad is { } g)
                                Update(i, parameters[i].Span, g.ReadOnlySpan);
                }

                /// <summary>Updates parameter i in place given its gradient.</summary>
                protected abstract void Update(int index, Span<float> param, ReadOnlySpan<float> grad);

                /// <summary>Per-parameter state buffers, created zeroed on first use.</summary>
                protected float[] State(float[]?[] slots, int index) => slots[index] ??= new float[parameters[index].length];
            }

            public static SGD SGD(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double dampening = 0,
                double weight_decay = 0, bool nesterov = false, bool maximize = false)
                => new(parameters, learningRate, momentum, dampening, weight_decay, nesterov, maximize);

            public static Adam Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool maximize = false)
                => new(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled: false);

            public static Adam AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 0.01, bool amsgrad = false, bool maximize = false)
                => new(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled: true);

            public static RMSProp RMSProp(IEnumerable<Parameter> parameters, double lr = 0.01, double alpha = 0.99, double eps = 1e-8,
                double weight_decay = 0, double momentum = 0, bool centered = false, bool maximize = false)
                => new(parameters, lr, alpha, eps, weight_decay, momentum, centered, maximize);
        }
    }
}

namespace AeNotebooks.Torch.Modules
{
    using static AeNotebooks.Torch.torch;

    /// <summary>SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's algorithm).</summary>
    public sealed class SGD : optim.Optimizer
    {
        readonly float momentum, dampening, weightDecay;
        readonly bool nesterov, maximize;
        readonly float[]?[] momentumBuffers;

        internal SGD(IEnumerable<Parameter> parameters, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
            : base(parameters, lr, "SGD")
        {
            if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("SGD: Nesterov momentum needs momentum > 0 and dampening = 0");
            (this.momentum, this.dampening, this.weightDecay, this.nesterov, this.maximize) = ((float)momentum, (float)dampening, (float)weightDecay, nesterov, maximize);
            momentumBuffers = new float[]?[this.parameters.Length];
        }

        protected override void Update(int index, Span<float> p, ReadOnlySpan<float> grad)
        {
            float lr = (float)LearningRate;
            bool first = momentumBuffers[index] is null;
            var buf = momentum != 0 ? State(momentumBuffers, index) : null;
            for (int i = 0; i < p.Length; i++)
            {
                float d = maximize ? -grad[i] : grad[i];
                if (weightDecay != 0) d += weightDecay * p[i];
                if (buf is not null)
                {
                    buf[i] = first ? d : momentum * buf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                p[i] -= lr * d;
            }
        }
    }

    /// <summary>Adam, and AdamW when the weight decay is decoupled (PyTorch's algorithms, incl. AMSGrad).</summary>
    public sealed class Adam : optim.Optimizer
    {
        readonly float beta1, beta2, eps, weightDecay;
        readonly bool amsgrad, maximize, decoupled;
        readonly float[]?[] expAvg, expAvgSq, maxExpAvgSq;
        readonly int[] steps;

        internal Adam(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool maximize, bool decoupled)
            : base(parameters, lr, decoupled ? "AdamW" : "Adam")
        {
            if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"{(decoupled ? "AdamW" : "Adam")}: betas must be in [0, 1), got ({beta1}, {beta2})");
            (this.beta1, this.beta2, this.eps, this.weightDecay) = ((float)beta1, (float)beta2, (float)eps, (float)weightDecay);
            (this.amsgrad, this.maximize, this.decoupled) = (amsgrad, maximize, decoupled);
            int n = this.parameters.Length;
            expAvg = new float[]?[n]; expAvgSq = new float[]?[n]; maxExpAvgSq = new float[]?[n];
            steps = new int[n];
        }

        protected override void Update(int index, Span<float> p, ReadOnlySpan<float> grad)
        {
            int t = ++steps[index];
            float lr = (float)LearningRate;
            var m = State(expAvg, index); var v = State(expAvgSq, index);
            var vMax = amsgrad ? State(maxExpAvgSq, index) : null;
            float biasCorrection1 = 1 - MathF.Pow(beta1, t);
            float biasCorrection2Sqrt = MathF.Sqrt(1 - MathF.Pow(beta2, t));
            float stepSize = lr / biasCorrection1;
            for (int i = 0; i < p.Length; i++)
            {
                float g = maximize ? -grad[i] : grad[i];
                if (decoupled) p[i] *= 1 - lr * weightDecay;
                else if (weightDecay != 0) g += weightDecay * p[i];
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                float second = v[i];
                if (vMax is not null) second = vMax[i] = MathF.Max(vMax[i], v[i]);
                float denom = MathF.Sqrt(second) / biasCorrection2Sqrt + eps;
                p[i] -= stepSize * m[i] / denom;
            }
        }
    }

    /// <summary>RMSProp with optional momentum and centering (PyTorch's algorithm; TorchSharp's name).</summary>
    public sealed class RMSProp : optim.Optimizer
    {
        readonly float alpha, eps, weightDecay, momentum;
        readonly bool centered, maximize;
        readonly float[]?[] squareAvg, gradAvg, momentumBuffers;

        internal RMSProp(IEnumerable<Parameter> parameters, double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize)
            : base(parameters, lr, "RMSProp")
        {
            (this.alpha, this.eps, this.weightDecay, this.momentum, this.centered, this.maximize) = ((float)alpha, (float)eps, (float)weightDecay, (float)momentum, centered, maximize);
            int n = this.parameters.Length;
            squareAvg = new float[]?[n]; gradAvg = new float[]?[n]; momentumBuffers = new float[]?[n];
        }

        protected override void Update(int index, Span<float> p, ReadOnlySpan<float> grad)
        {
            float lr = (float)LearningRate;
            var sq = State(squareAvg, index);
            var ga = centered ? State(gradAvg, index) : null;
            var buf = momentum > 0 ? State(momentumBuffers, index) : null;
            for (int i = 0; i < p.Length; i++)
            {
                float g = maximize ? -grad[i] : grad[i];
                if (weightDecay != 0) g += weightDecay * p[i];
                sq[i] = alpha * sq[i] + (1 - alpha) * g * g;
                float avg;
                if (ga is not null)
                {
                    ga[i] = alpha * ga[i] + (1 - alpha) * g;
                    avg = MathF.Sqrt(sq[i] - ga[i] * ga[i]) + eps;
                }
                else avg = MathF.Sqrt(sq[i]) + eps;
                if (buf is not null)
                {
                    buf[i] = momentum * buf[i] + g / avg;
                    p[i] -= lr * buf[i];
                }
                else p[i] -= lr * g / avg;
            }
        }
    }
}
