using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

internal static class TorchExtensions
{
    /// <summary>The values as a float array (row-major), whatever the tensor's device, dtype or strides.</summary>
    public static float[] ToArray(this Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    /// <summary>The layer's kind as PyTorch prints it: "Linear", "ReLU", "Conv2d".</summary>
    public static string Kind(this nn.Module module) => module.GetType().Name;

    public static long ParameterCount(this nn.Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>The learning rate of the optimizer's first parameter group (the helpers build optimizers with one).</summary>
    public static double LearningRate(this optim.Optimizer optimizer) => optimizer.ParamGroups.First().LearningRate;

    public static void SetLearningRate(this optim.Optimizer optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }

    /// <summary>register_forward_hook, removable with Dispose (fires when the module runs through call()).</summary>
    public static IDisposable OnForward(this nn.Module<Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor> hook)
        => new Removal(module.register_forward_hook(hook).remove);

    public static IDisposable BeforeForward(this nn.Module<Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor> hook)
        => new Removal(module.register_forward_pre_hook(hook).remove);

    sealed class Removal(Action remove) : IDisposable
    {
        Action? pending = remove;
        public void Dispose() { pending?.Invoke(); pending = null; }
    }
}
