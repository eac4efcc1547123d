using AeNotebooks.Rendering;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>A Keras-style summary: each leaf layer, its output shape for one sample, its parameters.</summary>
public static class ModelSummary
{
    public static Table Of(nn.Module<Tensor, Tensor> model, long[] sampleShape, string? caption = null)
    {
        var rows = new List<string[]>();
        var handles = new List<IDisposable>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            handles.Add(leaf.OnForward((m, input, output) =>
            {
                var shape = "[" + string.Join(", ", output.shape.Skip(1)) + "]";
                rows.Add([name, m.ToString() ?? "", shape, m.ParameterCount().ToString("N0")]);
                return output;
            }));
        }
        // eval mode: batch norm cannot take batch statistics of one sample, and must not update its running ones
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using (no_grad()) model.call(zeros([1, .. sampleShape]));
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            model.train(wasTraining);
        }
        rows.Add(["total", "", "", model.ParameterCount().ToString("N0")]);
        return new Table(caption, ["layer", "type", "output shape", "parameters"], rows);
    }
}
