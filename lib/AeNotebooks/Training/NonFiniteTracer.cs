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

        // re-run forward and loss in anomaly mode: the engine throws at the first op that turns finite
        // values into NaN/±∞; forward pre-hooks tell which layer was running at the time
        string? runningLayer = null, runningKind = null;
        var handles = new List<IDisposable>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module.children().Any() || module is not nn.Module<Tensor, Tensor> leaf) continue;
            handles.Add(leaf.register_forward_pre_hook((m, input) => { runningLayer = name; runningKind = m.name; return input; }));
            handles.Add(leaf.register_forward_hook((m, input, output) => { runningLayer = null; return output; }));
        }
        Tensor? output = null;
        try
        {
            using (no_grad())
            using (autograd.detect_anomaly())
            {
                output = model.forward(inputs);
                _ = loss[output, targets];
            }
        }
        catch (AnomalyException anomaly)
        {
            if (runningLayer is not null)
                return new(step, epoch, $"layer {runningLayer} ({runningKind})", $"{anomaly.Message}", anomaly.Op);
            var range = output is null ? "" : $" (outputs in [{Min(output):G4}, {Max(output):G4}], targets in [{Min(targets):G4}, {Max(targets):G4}])";
            return new(step, epoch, $"the loss ({loss})", $"every layer's output is finite{range}; in the loss, {anomaly.Message}", anomaly.Op);
        }
        finally { foreach (var h in handles) h.Dispose(); }
        // nothing non-finite when re-run: the NaN depended on randomness (e.g. dropout) or on state that changed since
        return new(step, epoch, "not reproducible", "re-running this batch gave finite values everywhere (a random layer such as dropout may have produced it)");
    }

    public static string? FirstNonFiniteGradient((string name, Parameter parameter)[] parameters)
    {
        foreach (var (name, p) in parameters)
            if (p.grad is not null && !AllFinite(p)) return name;
        return null;
    }

    /// <summary>
    /// Runs after every step, so it must not copy the gradients: clip_grad_norm_ with norm_type ∞ returns max |g|
    /// through the engine's vectorised reduction (NaN if any element is NaN), and with max_norm ∞ it never rescales.
    /// One parameter at a time, because a maximum over several would skip a NaN.
    /// </summary>
    static bool AllFinite(Parameter parameter)
        => double.IsFinite(nn.utils.clip_grad_norm_([parameter], max_norm: double.PositiveInfinity, norm_type: double.PositiveInfinity));

    static int CountNonFinite(Tensor t)
    {
        int bad = 0;
        foreach (var v in t.ToArray()) if (!float.IsFinite(v)) bad++;
        return bad;
    }

    static float Min(Tensor t) => t.ToArray().Where(float.IsFinite).DefaultIfEmpty(float.NaN).Min();
    static float Max(Tensor t) => t.ToArray().Where(float.IsFinite).DefaultIfEmpty(float.NaN).Max();
}
