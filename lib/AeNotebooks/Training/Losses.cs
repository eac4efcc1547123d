using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>A named reconstruction loss: what the trainer minimises and the doctor reasons about.</summary>
/// <param name="Op">The torch.nn.functional function that computes it (named when it overflows).</param>
public sealed record LossFunction(string Name, Func<Tensor, Tensor, Tensor> Compute, bool TakesLogits = false, bool ExpectsProbabilities = false, string? Op = null)
{
    public Tensor this[Tensor output, Tensor target] => Compute(output, target);
    public override string ToString() => Name;
}

/// <summary>The losses the scenarios use.</summary>
public static class Losses
{
    public static readonly LossFunction Mse = new("MSE", (y, t) => nn.functional.mse_loss(y, t), Op: "mse_loss");
    public static readonly LossFunction Mae = new("MAE (L1)", (y, t) => nn.functional.l1_loss(y, t), Op: "l1_loss");
    /// <summary>Binary cross-entropy on probabilities (a sigmoid output).</summary>
    public static readonly LossFunction Bce = new("BCE", (y, t) => nn.functional.binary_cross_entropy(y, t), ExpectsProbabilities: true, Op: "binary_cross_entropy");
    /// <summary>Binary cross-entropy on logits (no sigmoid layer; numerically stable).</summary>
    public static readonly LossFunction BceWithLogits = new("BCE with logits", (y, t) => nn.functional.binary_cross_entropy_with_logits(y, t), TakesLogits: true, Op: "binary_cross_entropy_with_logits");
    public static LossFunction Huber(double delta = 1.0) => new($"Huber(δ={delta})", (y, t) => nn.functional.huber_loss(y, t, delta: delta), Op: "huber_loss");
}

/// <summary>A named way to build an optimizer for a model's parameters.</summary>
public sealed record OptimizerSpec(string Name, double LearningRate, Func<IEnumerable<TorchSharp.Modules.Parameter>, double, optim.Optimizer> Build)
{
    public optim.Optimizer Create(IEnumerable<TorchSharp.Modules.Parameter> parameters) => Build(parameters, LearningRate);
    public override string ToString() => $"{Name}(lr={LearningRate:G3})";
}

public static class Optimizers
{
    public static OptimizerSpec Adam(double lr = 1e-3, double weightDecay = 0) => new("Adam", lr, (p, r) => new ScalarSafe.Adam(p, lr: r, weight_decay: weightDecay));
    public static OptimizerSpec AdamW(double lr = 1e-3, double weightDecay = 0.01) => new("AdamW", lr, (p, r) => new ScalarSafe.AdamW(p, lr: r, weight_decay: weightDecay));
    public static OptimizerSpec Sgd(double lr = 0.01, double momentum = 0) => new("SGD", lr, (p, r) => new ScalarSafe.SGD(p, lr: r, momentum: momentum));
    public static OptimizerSpec RmsProp(double lr = 1e-3) => new("RMSProp", lr, (p, r) => new ScalarSafe.RMSProp(p, lr: r));
}
