using AeNotebooks.Rendering;
using AeNotebooks.Torch;
using static AeNotebooks.Torch.torch;

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
            handles.Add(leaf.register_forward_hook((m, input, output) =>
            {
                var shape = "[" + string.Join(", ", output.shape.Skip(1)) + "]";
                rows.Add([name, m.ToString(), shape, m.parameter_count().ToString("N0")]);
                return output;
            }));
        }
        try
        {
            using (no_grad()) model.call(zeros([1, .. sampleShape]));
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
        rows.Add(["total", "", "", model.parameter_count().ToString("N0")]);
        return new Table(caption, ["layer", "type", "output shape", "parameters"], rows);
    }
}
