using AeNotebooks.Torch;
using AeNotebooks.Torch.Modules;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks;

/// <summary>Finds where a NaN/±∞ first appears: the data, a parameter, a layer's output, or the loss.</summary>
internal static class NonFiniteTracer
{
    public static NonFiniteEvent Trace(nn.Module<Tensor, Tensor> model, (string name, Parameter parameter)[] parameters,
        Tensor inputs, Tensor targets, LossFunction loss, int step, int epoch)
    {
        if (CountNonFinite(inputs) is var badInputs and > 0)
            return new(step, epoch, "the input batch", $"{badInputs} of {inputs.numel()} input values are NaN/Inf: the data itself (e.g. a missing value)");
        if (CountNonFinite(targets) is var badTargets and > 0)
            return new(step, epoch, "the target batch", $"{badTargets} of {targets.numel()} target values are NaN/Inf: the data itself");
        foreach (var (name, p) in parameters)
            if (CountNonFinite(p) is var bad and > 0)
                return new(step, epoch, $"parameter {name}", $"{bad} of {p.numel()} weights are NaN/Inf after the previous update (the update overflowed)");

        // re-run the forward pass, stopping at the first layer whose output is not finite
        string? firstLayer = null, detail = null;
        var handles = new List<IDisposable>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            handles.Add(leaf.register_forward_hook((m, input, output) =>
            {
                if (firstLayer is null && CountNonFinite(output) is var bad and > 0)
                {
                    firstLayer = $"layer {name} ({m.name})";
                    detail = $"{bad} of {output.numel()} outputs are NaN/Inf while its input is finite (input range [{Min(input):G4}, {Max(input):G4}])";
                }
                return output;
            }));
        }
        try
        {
            using (no_grad()) model.forward(inputs);
        }
        finally { foreach (var h in handles) h.Dispose(); }
        if (firstLayer is not null) return new(step, epoch, firstLayer, detail!);
        Tensor output;
        using (no_grad()) output = model.forward(inputs);
        return new(step, epoch, $"the loss ({loss})",
            $"every layer's output is finite (outputs in [{Min(output):G4}, {Max(output):G4}], targets in [{Min(targets):G4}, {Max(targets):G4}]): " +
            "the loss itself overflowed or took the log of 0 or of a negative number");
    }

    public static string? FirstNonFiniteGradient((string name, Parameter parameter)[] parameters)
    {
        foreach (var (name, p) in parameters)
            if (p.grad is not null && CountNonFinite(p.grad) > 0) return name;
        return null;
    }

    static int CountNonFinite(Tensor t)
    {
        int bad = 0;
        foreach (var v in t.ToArray()) if (!float.IsFinite(v)) bad++;
        return bad;
    }

    static float Min(Tensor t) => t.ToArray().Where(float.IsFinite).DefaultIfEmpty(float.NaN).Min();
    static float Max(Tensor t) => t.ToArray().Where(float.IsFinite).DefaultIfEmpty(float.NaN).Max();
}
