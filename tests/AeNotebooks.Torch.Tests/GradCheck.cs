using System.Globalization;
using System.Text;
using Xunit;
using Xunit.Sdk;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// Tests in this collection run alone (no other test class in parallel): they depend on the exact
/// stream of the process-wide default generator (torch.manual_seed), which any concurrently running
/// test that calls rand()/randn()/nn.Linear(...) would otherwise consume.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultGeneratorCollection
{
    public const string Name = "default generator";
}

/// <summary>
/// Finite-difference gradient checking for the float32 engine.
///
/// For f(inputs) → y it forms the scalar L = Σ w ⊙ y with a fixed random w, gets dL/dx from autograd
/// (y.backward(w)), and compares each element against the central difference
/// (L(x + h) − L(x − h)) / ((x + h) − (x − h)), where L is accumulated in double on the C# side from
/// y.ToArray() and the denominator is the perturbation actually representable in float32.
/// A check passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
/// </summary>
public static class GradCheck
{
    public const double DefaultH = 1e-2;
    public const double DefaultAtol = 1e-3;
    public const double DefaultRtol = 1e-2;

    /// <summary>Checks the gradient of f with respect to every tensor in `inputs` (which must be leaves).</summary>
    public static void Check(string op, Func<Tensor[], Tensor> f, Tensor[] inputs,
        double h = DefaultH, double atol = DefaultAtol, double rtol = DefaultRtol, long weightSeed = 20240601, int maxReported = 8)
        => Check(op, f, inputs, inputs.Select(_ => true).ToArray(), h, atol, rtol, weightSeed, maxReported);

    /// <summary>Overload for closures that capture their inputs.</summary>
    public static void Check(string op, Func<Tensor> f, Tensor[] inputs,
        double h = DefaultH, double atol = DefaultAtol, double rtol = DefaultRtol, long weightSeed = 20240601, int maxReported = 8)
        => Check(op, _ => f(), inputs, h, atol, rtol, weightSeed, maxReported);

    /// <summary>
    /// Checks the gradient of f with respect to inputs[i] for every i with wrt[i] = true; the others get
    /// requires_grad = false and are treated as constants (e.g. loss targets).
    /// </summary>
    public static void Check(string op, Func<Tensor[], Tensor> f, Tensor[] inputs, bool[] wrt,
        double h = DefaultH, double atol = DefaultAtol, double rtol = DefaultRtol, long weightSeed = 20240601, int maxReported = 8)
    {
        if (inputs.Length == 0 || inputs.Length != wrt.Length)
            throw new ArgumentException($"GradCheck({op}): need at least one input and one wrt flag per input");
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].is_leaf) throw new ArgumentException($"GradCheck({op}): input {i} is not a leaf tensor");
            inputs[i].requires_grad = wrt[i];
            inputs[i].grad = null;
        }

        // ---- analytic: dL/dx with L = Σ w ⊙ f(x) ----
        var y = f(inputs);
        if (!y.requires_grad)
            throw new XunitException($"{op}: the output does not require grad although input(s) {string.Join(", ", Enumerable.Range(0, wrt.Length).Where(i => wrt[i]))} do");
        var outShape = y.shape;
        var w = Weights(y.numel(), weightSeed);
        y.backward(tensor(Array.ConvertAll(w, v => (float)v), outShape));
        var analytic = new float[]?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var g = inputs[i].grad;
            if (g is null) continue;
            if (!g.shape.SequenceEqual(inputs[i].shape))
                throw new XunitException($"{op}: gradient of input {i} has shape {Fmt(g.shape)}, the input has shape {Fmt(inputs[i].shape)}");
            analytic[i] = g.ToArray();
        }

        // ---- numeric: central differences, L accumulated in double ----
        double Evaluate()
        {
            using (no_grad())
            {
                var yy = f(inputs);
                if (!yy.shape.SequenceEqual(outShape))
                    throw new XunitException($"{op}: output shape changed from {Fmt(outShape)} to {Fmt(yy.shape)} between evaluations");
                var values = yy.ToArray();
                double l = 0;
                for (int k = 0; k < values.Length; k++) l += w[k] * values[k];
                return l;
            }
        }

        double l0 = Evaluate(), l0Again = Evaluate();
        if (BitConverter.DoubleToInt64Bits(l0) != BitConverter.DoubleToInt64Bits(l0Again))
            throw new XunitException($"{op}: f is not deterministic (L = {l0:R}, then {l0Again:R} at the same point); re-seed any randomness inside f");

        var failures = new List<string>();
        int failureCount = 0, checkedCount = 0;
        double worstRatio = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!wrt[i]) continue;
            var x = inputs[i];
            var storage = x.storage;
            int n = (int)x.numel();
            for (int j = 0; j < n; j++)
            {
                int at = x.offset + j;
                float original = storage[at];
                float plus = (float)(original + h), minus = (float)(original - h);
                double lp, lm;
                try
                {
                    storage[at] = plus; lp = Evaluate();
                    storage[at] = minus; lm = Evaluate();
                }
                finally { storage[at] = original; }
                double numeric = (lp - lm) / ((double)plus - minus);
                double a = analytic[i] is { } arr ? arr[j] : 0.0;
                double err = Math.Abs(a - numeric), tol = atol + rtol * Math.Abs(numeric);
                checkedCount++;
                if (err <= tol) { worstRatio = Math.Max(worstRatio, err / tol); continue; }
                failureCount++; // also NaN
                if (failures.Count < maxReported)
                    failures.Add(string.Create(CultureInfo.InvariantCulture,
                        $"  input {i} {Fmt(x.shape)}, element {j} {Fmt(Unravel(j, x.shape))}: analytic {a:G7}{(analytic[i] is null ? " (grad is null)" : "")}, numeric {numeric:G7}, |diff| {err:G3} > tol {tol:G3}"));
            }
        }
        if (checkedCount == 0) throw new ArgumentException($"GradCheck({op}): nothing to check");
        if (failureCount > 0)
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{op}: {failureCount} of {checkedCount} gradient elements disagree with central differences (h = {h:G3}, atol = {atol:G3}, rtol = {rtol:G3}):\n");
            foreach (var line in failures) sb.Append(line).Append('\n');
            if (failureCount > failures.Count) sb.Append(CultureInfo.InvariantCulture, $"  … and {failureCount - failures.Count} more\n");
            throw new XunitException(sb.ToString());
        }
    }

    /// <summary>Fixed random weights for L = Σ w ⊙ y, uniform in ±[0.5, 1.5] (never near zero).</summary>
    static double[] Weights(long count, long seed)
    {
        var g = new Generator(seed);
        var w = new double[count];
        for (int k = 0; k < count; k++)
        {
            double m = 0.5 + g.NextDouble();
            w[k] = g.NextDouble() < 0.5 ? -m : m;
        }
        return w;
    }

    static long[] Unravel(int flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat = (int)(flat / shape[d]);
        }
        return index;
    }

    static string Fmt(long[] shape) => "[" + string.Join(", ", shape) + "]";

    // ---- input builders: values chosen away from kinks so central differences are meaningful ----

    /// <summary>A leaf with values uniform in [lo, hi).</summary>
    public static Tensor Uniform(Generator g, long[] shape, double lo = -1, double hi = 1)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(lo + (hi - lo) * g.NextDouble());
        return tensor(v, shape);
    }

    /// <summary>A leaf with values uniform in [lo, hi) but at least `margin` away from every kink.</summary>
    public static Tensor AwayFrom(Generator g, long[] shape, double lo, double hi, double[] kinks, double margin = 0.1)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double x;
            int tries = 0;
            do
            {
                x = lo + (hi - lo) * g.NextDouble();
                if (++tries > 10_000) throw new ArgumentException("AwayFrom: the range leaves no room away from the kinks");
            } while (kinks.Any(k => Math.Abs(x - k) < margin));
            v[i] = (float)x;
        }
        return tensor(v, shape);
    }

    /// <summary>Values of magnitude in [lo, hi) with random signs (away from 0 when lo &gt; 0).</summary>
    public static Tensor Signed(Generator g, long[] shape, double lo = 0.5, double hi = 2)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double m = lo + (hi - lo) * g.NextDouble();
            v[i] = (float)(g.NextDouble() < 0.5 ? -m : m);
        }
        return tensor(v, shape);
    }

    /// <summary>All-distinct values spacing apart (a shuffled grid plus offset): no ties for max/min.</summary>
    public static Tensor Distinct(Generator g, long[] shape, double spacing = 0.25, double offset = 0)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var perm = g.Permutation(n);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((perm[i] - n / 2.0) * spacing + offset);
        return tensor(v, shape);
    }

    /// <summary>Values on the grid spacing·k + offset, k in [−range, range]: two grids with different offsets never tie.</summary>
    public static Tensor Grid(Generator g, long[] shape, double spacing, double offset, int range = 5)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(spacing * (g.NextInt64(2 * range + 1) - range) + offset);
        return tensor(v, shape);
    }
}
