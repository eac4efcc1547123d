using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>The activations the scenarios use, for hidden layers and outputs.</summary>
public enum Activation { Linear, ReLU, LeakyReLU, Sigmoid, Tanh, ELU, GELU, Softplus }

public static class ActivationExtensions
{
    /// <summary>The engine module for an activation (null for Linear: no layer at all).</summary>
    public static nn.Module<Tensor, Tensor>? ToModule(this Activation activation, double leakySlope = 0.1) => activation switch
    {
        Activation.Linear => null,
        Activation.ReLU => nn.ReLU(),
        Activation.LeakyReLU => nn.LeakyReLU(leakySlope),
        Activation.Sigmoid => nn.Sigmoid(),
        Activation.Tanh => nn.Tanh(),
        Activation.ELU => nn.ELU(),
        Activation.GELU => nn.GELU(),
        Activation.Softplus => nn.Softplus(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>The interval of values the activation can produce.</summary>
    public static (double low, double high) Range(this Activation activation) => activation switch
    {
        Activation.Sigmoid => (0, 1),
        Activation.Tanh => (-1, 1),
        Activation.ReLU or Activation.Softplus => (0, double.PositiveInfinity),
        Activation.ELU => (-1, double.PositiveInfinity),
        Activation.GELU => (-0.17, double.PositiveInfinity),
        _ => (double.NegativeInfinity, double.PositiveInfinity),
    };
}
