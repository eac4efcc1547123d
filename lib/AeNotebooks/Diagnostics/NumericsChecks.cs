using TorchSharp;
using TorchSharp.Modules;
using static AeNotebooks.Diagnostics.Stats;
using static TorchSharp.torch;

namespace AeNotebooks.Diagnostics;

/// <summary>Where did the first NaN/∞ come from: the step, the layer, the op, and the values that fed it.</summary>
internal static class NumericsChecks
{
    /// <summary>Rows scanned to reproduce a non-finite loss with the trained weights.</summary>
    public const int ScanRows = 16384;

    public static IEnumerable<Finding> NonFinite(Examination e)
    {
        var ev = e.Run.FirstNonFinite;
        var badValidation = e.Run.Epochs.FirstOrDefault(ep => ep.ValidationLoss is double v && !double.IsFinite(v));
        if (ev is null && badValidation is null) yield break;
        var evidence = new List<string>();
        string mechanism, fix;
        OpTrace? trace = null;
        if (ev is not null)
        {
            evidence.Add($"first at step {ev.Step} (epoch {ev.Epoch}): {ev.Where} — {ev.Detail}");
            try { trace = Trace(e, ev); }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException) { e.Skipped.Add($"NaN op trace: {ex.Message}"); }
            if (trace is not null && trace.Description.Length > 0) evidence.Add(trace.Description);
        }
        if (badValidation is not null)
            evidence.Add($"validation loss is {badValidation.ValidationLoss} from epoch {badValidation.Epoch}" +
                         (double.IsFinite(badValidation.TrainLoss) ? $" while the training loss is finite ({G(badValidation.TrainLoss, 4)})" : ""));
        string where = trace?.Kind ?? (ev?.Where switch
        {
            null => "validation",
            var w when w.Contains("batch") => "data",
            var w when w.StartsWith("parameter") => "update",
            var w when w.StartsWith("gradient") => "backward",
            var w when w.StartsWith("layer") => "layer",
            _ => "loss",
        });
        (mechanism, fix) = where switch
        {
            "data" or "validation" => ("NaN in the data propagates through every op it touches: one bad value makes its batch's loss NaN " +
                                      "(and, if it reaches backpropagation, every weight).",
                                      "Remove or impute the non-finite rows before training (see DATA_NONFINITE); `DataReport.Of(x)` shows where they are."),
            "update" => ("The loss and gradients were finite, but the optimiser's step was so large that the weights overflowed: the usual end of a " +
                         "diverging run (learning rate too high for the data's scale).",
                         "Lower the learning rate, scale the inputs, and clip the gradient norm: `ClipGradNorm = 1.0`."),
            "backward" => ("The forward pass was finite, but a gradient overflowed on its way back: large activations times large weights, " +
                           "multiplied layer after layer.",
                           "Scale the inputs, lower the learning rate, and clip: `ClipGradNorm = 1.0`; check GRAD_EXPLODING."),
            "layer" => ("A layer turned finite inputs into NaN/∞: its weights or its inputs had grown so large that a product or an exponential overflowed float32 (≈ 3.4e38).",
                        "Scale the inputs and lower the learning rate; the weights grew because the steps were too big."),
            _ => ("Every layer's output was finite; the loss itself produced the NaN/∞ (log of 0 or of a negative number in BCE, or a square that overflowed).",
                  "Make the output's range match the loss: a sigmoid before `Losses.Bce`, or drop it and use `Losses.BceWithLogits`; clamp nothing by hand."),
        };
        e.Measure("numerics.step", ev?.Step ?? -1);
        yield return Make.Finding(FindingCodes.NumericsNonFinite, Severity.Error, "Training produced NaN/∞",
            string.Join("; ", evidence) + ".", mechanism, fix, ("step", ev?.Step ?? double.NaN));
    }

    internal sealed record OpTrace(string Kind, string Description);

    static OpTrace? Trace(Examination e, NonFiniteEvent ev)
    {
        if (ev.Where.Contains("batch")) return new OpTrace("data", "op: none — the batch itself held NaN/∞");
        // a gradient that overflowed was applied before the trainer saw it: the weights are NaN now, nothing left to re-run
        if (ev.Where.StartsWith("gradient") && e.Model.parameters().Any(p => CountNonFinite(p) > 0))
            return new OpTrace("backward", $"op: backpropagation at step {ev.Step} (the loss was finite); the update then wrote NaN/∞ into the weights, so the op cannot be re-run");
        // 1. the weights themselves: the last optimiser step overflowed
        foreach (var (name, p) in e.Model.named_parameters())
        {
            long bad = CountNonFinite(p);
            if (bad == 0) continue;
            string grad = e.Run.GradientNorms.TryGetValue(name, out var g) && g.Count > 0
                ? $"; its last recorded gradient norm was {G(g[^1].Norm)} (step {g[^1].Step}), the first {G(g[0].Norm)} (step {g[0].Step})" : "";
            return new OpTrace("update", $"op: the optimiser's update ({e.Options.Optimizer}) wrote NaN/∞ into {bad} of {p.numel()} values of {name}{grad}");
        }
        if (e.Targets is null) return null;
        // 2. find rows whose loss is non-finite with the trained weights
        var (x, y) = OffendingRows(e, ev.Step);
        if (x is null || y is null) return new OpTrace(ev.Where.StartsWith("gradient") ? "backward" : "loss",
            "op: not reproduced — with the final weights every training row gives a finite loss");
        // 3. forward, layer by layer: the first layer with finite input and non-finite output; then op by op inside it
        var layers = new List<(string name, nn.Module<Tensor, Tensor> module, Tensor input, Tensor output)>();
        var handles = new List<IDisposable>();
        foreach (var (name, module) in e.LeafModules())
            if (module is nn.Module<Tensor, Tensor> leaf)
                handles.Add(leaf.OnForward((m, input, output) => { layers.Add((name, m, input.alias(), output.alias())); return output; }));
        Tensor output;
        bool wasTraining = e.Model.training;
        try
        {
            e.Model.eval();
            using (no_grad()) output = e.Model.call(x);
        }
        finally { foreach (var h in handles) h.Dispose(); e.Model.train(wasTraining); }
        foreach (var (name, module, input, result) in layers)
        {
            if (CountNonFinite(input) > 0 || CountNonFinite(result) == 0) continue;
            // the trainer's tracer already names the op the engine flagged; only a Linear layer gains from being taken apart
            if (module is not Linear && ev.Op is not null) return new OpTrace("layer", "");
            return new OpTrace("layer", $"op: {LayerOp(module, input)} in layer {name} ({module.Kind()}), on {x.shape[0]} rows");
        }
        // 4. the loss
        var outRange = Range(output);
        var lossOp = LossOp(e, output, y, ev.Op is not null);
        if (lossOp is not null) return new OpTrace("loss", lossOp.Length == 0 ? "" : lossOp + $" (outputs {G(outRange.min)} … {G(outRange.max)}, targets {G(Range(y).min)} … {G(Range(y).max)})");
        // 5. backward: hooks on each layer output find where the gradient first turns non-finite
        return BackwardOp(e, x, y);
    }

    /// <summary>Rows (up to 64) whose loss is non-finite with the final weights, scanning the training data in chunks.</summary>
    static (Tensor? x, Tensor? y) OffendingRows(Examination e, int step)
    {
        var targets = e.Targets!;
        long n = Math.Min(targets.shape[0], ScanRows);
        bool wasTraining = e.Model.training;
        e.Model.eval();
        try
        {
            for (long start = 0; start < n; start += 1024)
            {
                long len = Math.Min(1024, n - start);
                var y = targets.narrow(0, start, len);
                var x = e.Options.InputTransform is { } t ? t(y, step) : (e.Inputs ?? targets).narrow(0, start, len);
                Tensor output;
                using (no_grad()) output = e.Model.call(x);
                // a row is offending when its own loss is non-finite
                var rows = new List<long>();
                for (long i = 0; i < len && rows.Count < 64; i++)
                {
                    var xi = x.narrow(0, i, 1);
                    if (CountNonFinite(xi) > 0) continue; // data NaN is DATA_NONFINITE's business
                    double l;
                    using (no_grad()) l = e.Loss[output.narrow(0, i, 1), y.narrow(0, i, 1)].item<float>();
                    if (!double.IsFinite(l)) rows.Add(i);
                }
                if (rows.Count > 0) return (x.index_select(0, rows.ToArray()), y.index_select(0, rows.ToArray()));
            }
        }
        finally { e.Model.train(wasTraining); }
        return (null, null);
    }

    /// <summary>Re-runs a layer's forward op by op (Linear: x·Wᵀ, then + b); otherwise names the op the engine recorded.</summary>
    static string LayerOp(nn.Module<Tensor, Tensor> module, Tensor input)
    {
        var (lo, hi) = Range(input);
        string fed = $"fed inputs in [{G(lo)}, {G(hi)}]";
        if (module is Linear linear)
        {
            Tensor product;
            using (no_grad()) product = input.matmul(linear.weight.t());
            var (wlo, whi) = Range(linear.weight);
            double maxRow = MaxAbsRowSum(linear.weight);
            if (CountNonFinite(product) > 0)
                return $"mm (x·Wᵀ) overflowed — {fed}, weights in [{G(wlo)}, {G(whi)}], largest Σ|w| over a row {G(maxRow)}";
            return $"add (the bias) overflowed — x·Wᵀ in [{G(Range(product).min)}, {G(Range(product).max)}], bias in [{G(Range(linear.bias!).min)}, {G(Range(linear.bias!).max)}]";
        }
        // any other layer: PyTorch's anomaly mode checks only backward, so name the layer and what it was fed
        return $"{module.Kind()} produced NaN/∞ — {fed}";
    }

    static double MaxAbsRowSum(Tensor w)
    {
        var v = w.ToArray();
        int cols = (int)w.shape[^1];
        double best = 0;
        for (int r = 0; r < v.Length / cols; r++)
        {
            double s = 0;
            for (int c = 0; c < cols; c++) s += Math.Abs(v[r * cols + c]);
            best = Math.Max(best, s);
        }
        return best;
    }

    /// <summary>The op in the loss that overflowed; "" when the trainer's tracer already named it and there is nothing to add; null if the loss is finite.</summary>
    static string? LossOp(Examination e, Tensor output, Tensor target, bool alreadyNamed)
    {
        float value;
        using (no_grad()) value = e.Loss[output, target].item<float>();
        if (float.IsFinite(value)) return null;
        var y = output.ToArray();
        long negative = y.LongCount(v => v < 0), aboveOne = y.LongCount(v => v > 1);
        if (e.Loss.ExpectsProbabilities && negative + aboveOne > 0)
            return $"op: log inside {e.Loss.Name} — {negative} outputs < 0 and {aboveOne} outputs > 1 fed log(y)/log(1−y)";
        if (alreadyNamed) return "";
        if (e.Loss.Op is { } op) return $"op: {op} in the loss ({e.Loss.Name}) — outputs and targets are finite, so the loss itself overflowed";
        return $"op: the loss ({e.Loss.Name}) — outputs and targets are finite, so its reduction overflowed";
    }

    /// <summary>
    /// Backward in libtorch's anomaly mode, which names the first backward function that returns NaN/∞; layer outputs keep
    /// their gradients (retain_grad: TorchSharp 0.107.0 has no tensor hook) to tell whose output received it.
    /// </summary>
    static OpTrace BackwardOp(Examination e, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var saved = e.Model.parameters().Select(p => p.grad?.detach().clone()).ToList();
        e.Model.zero_grad();
        var order = new List<(string name, Tensor output)>();
        var handles = new List<IDisposable>();
        foreach (var (name, module) in e.LeafModules())
            if (module is nn.Module<Tensor, Tensor> leaf)
                handles.Add(leaf.OnForward((m, input, output) => { if (output.requires_grad) output.retain_grad(); order.Add((name, output.alias())); return output; }));
        string? anomaly = null;
        try
        {
            using (enable_grad())
            {
                var loss = e.Loss[e.Model.call(x), y];
                try
                {
                    using (autograd.detect_anomaly(false)) loss.backward();
                }
                catch (Exception ex) when (ex.Message.Contains("returned nan", StringComparison.OrdinalIgnoreCase))
                {
                    anomaly = System.Text.RegularExpressions.Regex.Match(ex.Message, "Function '([^']+)'") is { Success: true } m ? m.Groups[1].Value : null;
                }
            }
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
            int i = 0;
            foreach (var p in e.Model.parameters())
            {
                var g = saved[i++];
                if (g is null) p.grad = null; else p.grad = g.MoveToOuterDisposeScope();
            }
        }
        // from the loss backwards: the last layer whose output gradient holds NaN/∞ is where it first arrived
        int at = -1;
        for (int k = order.Count - 1; k >= 0; k--)
            if (order[k].output.grad is { } g && CountNonFinite(g) > 0) { at = k; break; }
        if (at < 0 && anomaly is null) return new OpTrace("backward", "op: not reproduced in backward with the final weights");
        string function = anomaly is null ? "" : $" (libtorch's anomaly mode: {anomaly} returned NaN)";
        if (at < 0) return new OpTrace("backward", $"op: {anomaly} in backward");
        string producer = at + 1 < order.Count ? $"the backward of layer {order[at + 1].name}" : "the loss's backward";
        return new OpTrace("backward", $"op: {producer} sent a NaN/∞ gradient into the output of {order[at].name}{function}");
    }
}
