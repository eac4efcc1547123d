using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>Finds where a NaN/±∞ first appears: the data, a parameter, a layer's output, or the loss.</summary>
internal static class NonFiniteTracer
{
    public static NonFiniteEvent Trace(nn.Module<Tensor, Tensor> model, (string name, Parameter parameter)[] parameters,
        Tensor inputs, Tensor targets, LossFunction loss, int step, int epoch)
    {
        using var scope = NewDisposeScope();
        if (CountNonFinite(inputs) is var badInputs and > 0)
            return new(step, epoch, "the input batch", $"{badInputs} of {inputs.numel()} input values are NaN/Inf: the data itself (e.g. a missing value)");
        if (CountNonFinite(targets) is var badTargets and > 0)
            return new(step, epoch, "the target batch", $"{badTargets} of {targets.numel()} target values are NaN/Inf: the data itself");
        foreach (var (name, p) in parameters)
            if (CountNonFinite(p) is var bad and > 0)
                return new(step, epoch, $"parameter {name}", $"{bad} of {p.numel()} weights are NaN/Inf after the previous update (the update overflowed)");

        // re-run forward: forward hooks (they fire through call()) find the first layer whose finite input became NaN/±∞
        (string name, string kind, string detail)? culprit = null;
        var handles = new List<IDisposable>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            handles.Add(leaf.OnForward((m, input, output) =>
            {
                if (culprit is null && CountNonFinite(input) == 0 && CountNonFinite(output) is var badOut and > 0)
                    culprit = (name, m.Kind(), $"{badOut} of {output.numel()} outputs are NaN/Inf from finite inputs in [{Min(input):G4}, {Max(input):G4}]");
                return output;
            }));
        }
        Tensor? output = null;
        float value;
        try
        {
            using (no_grad())
            {
                output = model.call(inputs);
                value = loss[output, targets].item<float>();
            }
        }
        finally { foreach (var h in handles) h.Dispose(); }
        if (culprit is { } c)
            return new(step, epoch, $"layer {c.name} ({c.kind})", c.detail, FunctionalName(c.kind));
        if (!float.IsFinite(value))
        {
            var range = $" (outputs in [{Min(output):G4}, {Max(output):G4}], targets in [{Min(targets):G4}, {Max(targets):G4}])";
            string? op = loss.ExpectsProbabilities && (Min(output) < 0 || Max(output) > 1) ? "log" : loss.Op;
            return new(step, epoch, $"the loss ({loss})", $"every layer's output is finite{range}; {op ?? "the loss"} returned {value}", op);
        }
        // nothing non-finite when re-run: the NaN depended on randomness (e.g. dropout) or on state that changed since
        return new(step, epoch, "not reproducible", "re-running this batch gave finite values everywhere (a random layer such as dropout may have produced it)");
    }

    /// <summary>The first parameter whose gradient holds a NaN/±∞, or null. One reduction per parameter, no copy.</summary>
    public static string? FirstNonFiniteGradient((string name, Parameter parameter)[] parameters)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, p) in parameters)
            if (p.grad is { } g && !g.isfinite().all().item<bool>()) return name;
        return null;
    }

    /// <summary>The torch.nn.functional name of a layer kind: Linear → linear, ConvTranspose2d → conv_transpose2d.</summary>
    internal static string FunctionalName(string kind) => kind switch
    {
        "ConvTranspose2d" => "conv_transpose2d",
        "BatchNorm1d" or "BatchNorm2d" => "batch_norm",
        "LeakyReLU" => "leaky_relu",
        "MaxPool2d" => "max_pool2d",
        "Upsample" => "interpolate",
        _ => kind.ToLowerInvariant(),
    };

    internal static long CountNonFinite(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.numel() - t.detach().isfinite().sum().item<long>();
    }

    static float Min(Tensor t) => FiniteExtreme(t, max: false);
    static float Max(Tensor t) => FiniteExtreme(t, max: true);

    static float FiniteExtreme(Tensor t, bool max)
    {
        using var scope = NewDisposeScope();
        var finite = t.detach().masked_select(t.detach().isfinite());
        return finite.numel() == 0 ? float.NaN : (max ? finite.max() : finite.min()).item<float>();
    }
}
