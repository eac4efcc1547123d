using AeNotebooks.Torch.Modules;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch
{
    /// <summary>How a loss combines its per-element values.</summary>
    public enum Reduction { None, Mean, Sum }

    public static partial class torch
    {
        public static partial class nn
        {
            public static Loss MSELoss(Reduction reduction = Reduction.Mean) => new("MSELoss", (i, t) => functional.mse_loss(i, t, reduction));
            public static Loss L1Loss(Reduction reduction = Reduction.Mean) => new("L1Loss", (i, t) => functional.l1_loss(i, t, reduction));
            public static Loss BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean)
                => new("BCELoss", (i, t) => functional.binary_cross_entropy(i, t, weight, reduction));
            public static Loss BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? pos_weights = null)
                => new("BCEWithLogitsLoss", (i, t) => functional.binary_cross_entropy_with_logits(i, t, weight, reduction, pos_weights));
            public static Loss HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0)
                => new("HuberLoss", (i, t) => functional.huber_loss(i, t, reduction, delta));
            public static Loss SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0)
                => new("SmoothL1Loss", (i, t) => functional.smooth_l1_loss(i, t, reduction, beta));

            public static partial class functional
            {
                public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
                    => PointwiseLoss("mse_loss", input, target, reduction,
                        static (x, t) => (x - t) * (x - t),
                        static (x, t) => 2f * (x - t),
                        static (x, t) => -2f * (x - t));

                public static Tensor l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
                    => PointwiseLoss("l1_loss", input, target, reduction,
                        static (x, t) => MathF.Abs(x - t),
                        static (x, t) => MathF.Sign(x - t),
                        static (x, t) => -MathF.Sign(x - t));

                /// <summary>−[t·log x + (1−t)·log(1−x)], with each log clamped at −100 as PyTorch does.</summary>
                public static Tensor binary_cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
                {
                    var xs = input.ReadOnlySpan;
                    for (int i = 0; i < xs.Length; i++)
                        if (!(xs[i] >= 0f && xs[i] <= 1f))
                            throw new ArgumentException($"binary_cross_entropy: input values must be in [0, 1] (probabilities), found {xs[i]} at flat index {i}; " +
                                "use a sigmoid output or binary_cross_entropy_with_logits");
                    var loss = PointwiseLoss("binary_cross_entropy", input, target, Reduction.None,
                        static (x, t) => -(t * MathF.Max(MathF.Log(x), -100f) + (1 - t) * MathF.Max(MathF.Log(1 - x), -100f)),
                        // PyTorch's gradient: (x − t) / max((1 − x)·x, 1e-12)
                        static (x, t) => (x - t) / MathF.Max((1 - x) * x, 1e-12f),
                        // ∂/∂t = log(1−x) − log x, with the same −100 clamps
                        static (x, t) => MathF.Max(MathF.Log(1 - x), -100f) - MathF.Max(MathF.Log(x), -100f));
                    return Reduce(weight is null ? loss : loss.mul(weight), reduction);
                }

                /// <summary>BCE on logits z, computed stably as max(z,0) − z·t + log(1 + e^−|z|).</summary>
                public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? pos_weights = null)
                {
                    Tensor loss;
                    if (pos_weights is null)
                        loss = PointwiseLoss("binary_cross_entropy_with_logits", input, target, Reduction.None,
                            static (z, t) => MathF.Max(z, 0) - z * t + MathF.Log(1 + MathF.Exp(-MathF.Abs(z))),
                            static (z, t) => torch.Sigmoid(z) - t,
                            static (z, t) => -z);
                    else
                    {
                        // (1 + (p−1)·t)·softplus(−z) + (1 − t)·z, the weighted form PyTorch uses
                        var logWeight = pos_weights.add(-1.0).mul(target).add(1.0);
                        loss = target.neg().add(1.0).mul(input).add(logWeight.mul(input.neg().softplus()));
                    }
                    return Reduce(weight is null ? loss : loss.mul(weight), reduction);
                }

                /// <summary>½d² below delta, delta·(|d| − ½delta) above.</summary>
                public static Tensor huber_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
                {
                    float dl = (float)delta;
                    return PointwiseLoss("huber_loss", input, target, reduction,
                        (x, t) => MathF.Abs(x - t) < dl ? 0.5f * (x - t) * (x - t) : dl * (MathF.Abs(x - t) - 0.5f * dl),
                        (x, t) => MathF.Abs(x - t) < dl ? x - t : dl * MathF.Sign(x - t),
                        (x, t) => MathF.Abs(x - t) < dl ? t - x : -dl * MathF.Sign(x - t));
                }

                /// <summary>Huber divided by beta: ½d²/β below β, |d| − ½β above (β = 0 gives L1).</summary>
                public static Tensor smooth_l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
                {
                    float b = (float)beta;
                    return PointwiseLoss("smooth_l1_loss", input, target, reduction,
                        (x, t) => MathF.Abs(x - t) < b ? 0.5f * (x - t) * (x - t) / b : MathF.Abs(x - t) - 0.5f * b,
                        (x, t) => MathF.Abs(x - t) < b ? (x - t) / b : MathF.Sign(x - t),
                        (x, t) => MathF.Abs(x - t) < b ? (t - x) / b : -MathF.Sign(x - t));
                }

                /// <summary>
                /// An elementwise loss ℓ(x, t) with its partial derivatives ∂ℓ/∂x and ∂ℓ/∂t side by side,
                /// then the reduction. (Targets rarely need a gradient, but PyTorch gives one.)
                /// </summary>
                static Tensor PointwiseLoss(string op, Tensor input, Tensor target, Reduction reduction,
                    Func<float, float, float> loss, Func<float, float, float> dInput, Func<float, float, float> dTarget)
                {
                    if (!ShapeUtil.Same(input.dims, target.dims))
                        throw new ArgumentException($"{op}: input {ShapeUtil.Format(input.dims)} and target {ShapeUtil.Format(target.dims)} must have the same shape");
                    var x = input; var t = target;
                    var y = new Tensor((int[])x.dims.Clone());
                    var xs = x.ReadOnlySpan; var ts = t.ReadOnlySpan; var ys = y.Span;
                    for (int i = 0; i < ys.Length; i++) ys[i] = loss(xs[i], ts[i]);
                    var perElement = Tensor.Record(y, op, [x, t], g =>
                    {
                        var xv = x.ReadOnlySpan; var tv = t.ReadOnlySpan;
                        if (x.requires_grad)
                        {
                            var gx = x.GradAccumulator();
                            for (int i = 0; i < gx.Length; i++) gx[i] += g[i] * dInput(xv[i], tv[i]);
                        }
                        if (t.requires_grad)
                        {
                            var gt = t.GradAccumulator();
                            for (int i = 0; i < gt.Length; i++) gt[i] += g[i] * dTarget(xv[i], tv[i]);
                        }
                    });
                    return Reduce(perElement, reduction);
                }

                static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
                {
                    Reduction.Mean => perElement.mean(),
                    Reduction.Sum => perElement.sum(),
                    _ => perElement,
                };
            }
        }
    }
}

namespace AeNotebooks.Torch.Modules
{
    /// <summary>A loss as a module: forward(input, target).</summary>
    public sealed class Loss : nn.Module<Tensor, Tensor, Tensor>
    {
        readonly Func<Tensor, Tensor, Tensor> function;
        internal Loss(string name, Func<Tensor, Tensor, Tensor> function) : base(name) => this.function = function;
        public override Tensor forward(Tensor input, Tensor target) => function(input, target);
    }
}
