namespace AeNotebooks.Torch;

/// <summary>How an op sends its output's gradient back to its inputs (accumulating into them).</summary>
internal delegate void BackwardFn(float[] gradOutput);

/// <summary>One recorded op in the autograd graph: its inputs and its backward step.</summary>
internal sealed class Node
{
    public readonly string Op;
    public readonly torch.Tensor[] Inputs;
    public readonly BackwardFn Backward;

    public Node(string op, torch.Tensor[] inputs, BackwardFn backward)
    {
        Op = op; Inputs = inputs; Backward = backward;
    }
}

public static partial class torch
{
    [ThreadStatic] static bool gradDisabled;
    [ThreadStatic] static bool anomalyDetection;

    public static class autograd
    {
        /// <summary>
        /// Within this scope every op checks its output: the first op that turns finite inputs into a
        /// NaN/±∞ throws an <see cref="AnomalyException"/> naming itself (slow; for diagnosis only).
        /// </summary>
        public static IDisposable detect_anomaly() => new AnomalyScope();

        public static bool is_anomaly_enabled() => anomalyDetection;

        sealed class AnomalyScope : IDisposable
        {
            readonly bool previous = anomalyDetection;
            bool disposed;
            public AnomalyScope() => anomalyDetection = true;
            public void Dispose() { if (!disposed) { anomalyDetection = previous; disposed = true; } }
        }
    }

    /// <summary>True unless inside a no_grad() scope on this thread.</summary>
    public static bool is_grad_enabled() => !gradDisabled;

    /// <summary>Turns off graph recording until disposed: <c>using (torch.no_grad()) { ... }</c>.</summary>
    public static IDisposable no_grad() => new GradModeScope(false);

    /// <summary>Turns graph recording back on inside a no_grad() scope.</summary>
    public static IDisposable enable_grad() => new GradModeScope(true);

    sealed class GradModeScope : IDisposable
    {
        readonly bool previousDisabled;
        bool disposed;
        public GradModeScope(bool enabled) { previousDisabled = gradDisabled; gradDisabled = !enabled; }
        public void Dispose() { if (!disposed) { gradDisabled = previousDisabled; disposed = true; } }
    }

    public partial class Tensor
    {
        /// <summary>
        /// Attaches the op's backward to `output` when any input requires grad (and grad mode is on).
        /// Every op calls this right after its forward, so forward and backward sit side by side.
        /// </summary>
        internal static Tensor Record(Tensor output, string op, Tensor[] inputs, BackwardFn backward)
        {
            if (anomalyDetection) CheckAnomaly(output, op, inputs);
            if (gradDisabled) return output;
            foreach (var input in inputs)
            {
                if (input.requiresGrad)
                {
                    output.node = new Node(op, inputs, backward);
                    output.requiresGrad = true;
                    return output;
                }
            }
            return output;
        }

        internal static Tensor Record(Tensor output, string op, Tensor input, BackwardFn backward)
        {
            if (anomalyDetection) CheckAnomaly(output, op, [input]);
            return gradDisabled || !input.requiresGrad ? output : Record(output, op, [input], backward);
        }

        /// <summary>In anomaly mode: the first op whose output is NaN/±∞ while all its inputs are finite throws.</summary>
        static void CheckAnomaly(Tensor output, string op, Tensor[] inputs)
        {
            int bad = CountNonFinite(output.ReadOnlySpan);
            if (bad == 0) return;
            foreach (var input in inputs) if (CountNonFinite(input.ReadOnlySpan) > 0) return; // it came in from upstream
            throw new AnomalyException(op, bad, output.length, inputs);
        }

        internal static int CountNonFinite(ReadOnlySpan<float> values)
        {
            int bad = 0;
            foreach (var v in values) if (!float.IsFinite(v)) bad++;
            return bad;
        }

        /// <summary>
        /// The buffer this tensor's gradient accumulates into during backward (zeros at first).
        /// Leaves accumulate into .grad across backward() calls, as in PyTorch.
        /// </summary>
        internal Span<float> GradAccumulator() => GradArray(out int start).AsSpan(start, length);

        /// <summary>Computes gradients of this tensor with respect to every leaf that requires grad.</summary>
        public void backward(Tensor? gradient = null)
        {
            if (!requiresGrad)
                throw new InvalidOperationException("backward(): this tensor does not require grad (no input had requires_grad = true, or it was computed under no_grad())");
            if (gradient == null && length != 1)
                throw new InvalidOperationException($"backward(): gradient can be implied only for a one-element tensor, got shape {ShapeUtil.Format(dims)}; pass a gradient");
            if (gradient != null) ShapeUtil.CheckSame(gradient.dims, dims, "backward(gradient)");

            var (order, hookedLeaves) = TopologicalOrder(this);
            // a leaf with hooks collects this pass's gradient apart, so its hooks see only that
            foreach (var leaf in hookedLeaves) leaf.gradBuffer = new float[leaf.length];
            try
            {
                var seed = GradAccumulator();
                if (gradient == null) System.Numerics.Tensors.TensorPrimitives.Add(seed, 1f, seed);
                else System.Numerics.Tensors.TensorPrimitives.Add(seed, gradient.ReadOnlySpan, seed);
                if (node == null && !HasGradHooks) return; // backward on a plain leaf: d(self)/d(self) = 1, accumulated

                using (no_grad())
                {
                    // order holds non-leaf tensors, outputs before the inputs they depend on
                    foreach (var t in order)
                    {
                        var g = t.gradBuffer;
                        t.gradBuffer = null; // non-leaf gradients are not retained
                        if (g == null) continue;
                        bool hooked = t.HasGradHooks; // a hook may keep the buffer it was shown
                        g = t.ApplyGradHooks(g);
                        t.node!.Backward(g);
                        if (!hooked) Kernels.GradientPool.Return(g);
                    }
                }
            }
            finally
            {
                foreach (var leaf in hookedLeaves)
                {
                    var g = leaf.gradBuffer;
                    leaf.gradBuffer = null;
                    if (g == null) continue;
                    g = leaf.ApplyGradHooks(g);
                    leaf.grad ??= new Tensor(leaf.dims);
                    System.Numerics.Tensors.TensorPrimitives.Add(leaf.grad.Span, g, leaf.grad.Span);
                }
            }
        }

        /// <summary>Non-leaf tensors from the root toward the inputs, and the leaves that carry gradient hooks.</summary>
        static (List<Tensor> order, List<Tensor> hookedLeaves) TopologicalOrder(Tensor root)
        {
            var order = new List<Tensor>();
            var hookedLeaves = new List<Tensor>();
            var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            var stack = new Stack<(Tensor t, bool expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (t, expanded) = stack.Pop();
                if (expanded) { order.Add(t); continue; }
                if (!visited.Add(t)) continue;
                if (t.node == null)
                {
                    if (t.HasGradHooks && t.requiresGrad) hookedLeaves.Add(t);
                    continue;
                }
                stack.Push((t, true));
                foreach (var input in t.node.Inputs)
                    if (!visited.Contains(input)) stack.Push((input, false));
            }
            order.Reverse(); // post-order reversed: every tensor before its inputs
            return (order, hookedLeaves);
        }
    }
}

/// <summary>Thrown in anomaly mode by the first op that produced NaN/±∞ from finite inputs.</summary>
public sealed class AnomalyException : ArithmeticException
{
    public string Op { get; }
    public int NonFiniteCount { get; }
    public IReadOnlyList<long[]> InputShapes { get; }
    public IReadOnlyList<(float min, float max)> InputRanges { get; }

    internal AnomalyException(string op, int bad, int total, torch.Tensor[] inputs)
        : base(Describe(op, bad, total, inputs))
    {
        Op = op; NonFiniteCount = bad;
        InputShapes = inputs.Select(i => i.shape).ToArray();
        InputRanges = inputs.Select(Range).ToArray();
    }

    static (float min, float max) Range(torch.Tensor t)
    {
        var s = t.ReadOnlySpan;
        return s.Length == 0 ? (float.NaN, float.NaN) : (System.Numerics.Tensors.TensorPrimitives.Min(s), System.Numerics.Tensors.TensorPrimitives.Max(s));
    }

    static string Describe(string op, int bad, int total, torch.Tensor[] inputs)
        => $"op '{op}' produced {bad} non-finite value(s) of {total} from finite inputs " +
           string.Join(", ", inputs.Select(i => { var (lo, hi) = Range(i); return $"{ShapeUtil.Format(i.dims)} in [{lo:G4}, {hi:G4}]"; }));
}
