using AeNotebooks.Torch.Modules;
using Xunit;
using static AeNotebooks.Torch.torch;
using static AeNotebooks.Torch.Tests.GradCheck;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// Finite-difference gradient checks of every differentiable op, module and loss. Each case is a named
/// [Theory] row, so a failure names the op; the message names input, element, analytic and numeric values.
/// </summary>
public class GradCheckTests
{
    /// <summary>A case checks itself given its display name and a generator seeded from that name.</summary>
    public delegate void GradCase(string name, Generator g);

    internal static Generator GenFor(string name) => new(name.Aggregate(1469598103L, (h, c) => unchecked(h * 1099511628211L + c)));

    static TheoryData<string> Names(Dictionary<string, GradCase> cases)
    {
        var data = new TheoryData<string>();
        foreach (var k in cases.Keys) data.Add(k);
        return data;
    }

    static void Run(Dictionary<string, GradCase> cases, string name) => cases[name](name, GenFor(name));

    static long[] S(params long[] shape) => shape;

    /// <summary>One input x built by `input`, output f(x).</summary>
    static GradCase One(Func<Generator, Tensor> input, Func<Tensor, Tensor> f, double h = DefaultH, double atol = DefaultAtol, double rtol = DefaultRtol)
        => (name, g) => { var x = input(g); Check(name, () => f(x), [x], h, atol, rtol); };

    /// <summary>Two inputs a, b, output f(a, b); gradients of both are checked.</summary>
    static GradCase Two(Func<Generator, Tensor> inputA, Func<Generator, Tensor> inputB, Func<Tensor, Tensor, Tensor> f, double h = DefaultH, double atol = DefaultAtol, double rtol = DefaultRtol)
        => (name, g) => { var a = inputA(g); var b = inputB(g); Check(name, () => f(a, b), [a, b], h, atol, rtol); };

    static Func<Generator, Tensor> U(long[] shape, double lo = -1, double hi = 1) => g => Uniform(g, shape, lo, hi);
    static Func<Generator, Tensor> Sg(long[] shape, double lo = 0.5, double hi = 2) => g => Signed(g, shape, lo, hi);
    static Func<Generator, Tensor> Away(long[] shape, double lo, double hi, double[] kinks, double margin = 0.1) => g => AwayFrom(g, shape, lo, hi, kinks, margin);
    static Func<Generator, Tensor> Dist(long[] shape) => g => Distinct(g, shape);

    /// <summary>Re-initialises a module's parameters from g so every case is reproducible on its own.</summary>
    internal static void Reinit(nn.Module module, Generator g, double bound = 0.8)
    {
        foreach (var p in module.parameters()) p.uniform_(-bound, bound, g);
    }

    // =====================================================================================
    // unary ops and activations
    // =====================================================================================

    static readonly long[] M = [3, 4];

    public static readonly Dictionary<string, GradCase> UnaryCases = new()
    {
        ["neg"] = One(U(M, -2, 2), x => x.neg()),
        ["exp"] = One(U(M, -2, 2), x => x.exp()),
        ["exp 0-d"] = One(U(S(), -1, 1), x => x.exp()),
        ["log"] = One(U(M, 0.5, 3), x => x.log(), h: 1e-3),
        ["sqrt"] = One(U(M, 0.5, 3), x => x.sqrt(), h: 1e-3),
        ["abs"] = One(Sg(M, 0.1, 2), x => x.abs()),
        ["square"] = One(U(M, -2, 2), x => x.square()),
        ["pow(2)"] = One(U(M, -2, 2), x => x.pow(2)),
        ["pow(3)"] = One(U(M, -2, 2), x => x.pow(3)),
        ["pow(1)"] = One(U(M, -2, 2), x => x.pow(1)),
        ["pow(0)"] = One(U(M, 0.5, 2), x => x.pow(0)),
        ["pow(0.5)"] = One(U(M, 0.5, 3), x => x.pow(0.5), h: 1e-3),
        ["pow(-1.5)"] = One(U(M, 0.5, 3), x => x.pow(-1.5), h: 1e-3),
        ["reciprocal"] = One(Sg(M, 0.5, 2), x => x.reciprocal(), h: 1e-3),
        ["clamp(-0.5, 0.5)"] = One(Away(M, -1.5, 1.5, [-0.5, 0.5]), x => x.clamp(-0.5, 0.5)),
        ["clamp(min 0.2)"] = One(Away(M, -1.5, 1.5, [0.2]), x => x.clamp(min: 0.2)),
        ["clamp(max -0.3)"] = One(Away(M, -1.5, 1.5, [-0.3]), x => x.clamp(max: -0.3)),
        ["clamp_min(0.1)"] = One(Away(M, -1.5, 1.5, [0.1]), x => x.clamp_min(0.1)),
        ["clamp_max(0.4)"] = One(Away(M, -1.5, 1.5, [0.4]), x => x.clamp_max(0.4)),
        ["relu"] = One(Sg(M, 0.1, 2), x => x.relu()),
        ["leaky_relu()"] = One(Sg(M, 0.1, 2), x => x.leaky_relu()),
        ["leaky_relu(0.2)"] = One(Sg(M, 0.1, 2), x => x.leaky_relu(0.2)),
        ["sigmoid"] = One(U(M, -4, 4), x => x.sigmoid()),
        ["tanh"] = One(U(M, -3, 3), x => x.tanh()),
        ["elu()"] = One(Away(M, -3, 3, [0]), x => x.elu()),
        ["elu(0.5)"] = One(Away(M, -3, 3, [0]), x => x.elu(0.5)),
        ["softplus()"] = One(U(M, -4, 4), x => x.softplus()),
        ["softplus(beta 2)"] = One(U(M, -3, 3), x => x.softplus(beta: 2)),
        ["softplus(threshold 1, linear region)"] = One(Away(M, -3, 3, [1.0]), x => x.softplus(threshold: 1)),
        ["softplus(beta 2, threshold 2)"] = One(Away(M, -3, 3, [1.0]), x => x.softplus(2, 2)),
        ["gelu"] = One(U(M, -3, 3), x => x.gelu()),
        // nn.functional spellings
        ["F.relu"] = One(Sg(M, 0.1, 2), x => nn.functional.relu(x)),
        ["F.leaky_relu(0.1)"] = One(Sg(M, 0.1, 2), x => nn.functional.leaky_relu(x, 0.1)),
        ["F.sigmoid"] = One(U(M, -4, 4), x => nn.functional.sigmoid(x)),
        ["F.tanh"] = One(U(M, -3, 3), x => nn.functional.tanh(x)),
        ["F.elu(1.5)"] = One(Away(M, -3, 3, [0]), x => nn.functional.elu(x, 1.5)),
        ["F.softplus(beta 0.5)"] = One(U(M, -3, 3), x => nn.functional.softplus(x, 0.5)),
        ["F.gelu"] = One(U(M, -3, 3), x => nn.functional.gelu(x)),
        // activation modules
        ["nn.ReLU"] = One(Sg(M, 0.1, 2), x => nn.ReLU().forward(x)),
        ["nn.LeakyReLU(0.05)"] = One(Sg(M, 0.1, 2), x => nn.LeakyReLU(0.05).forward(x)),
        ["nn.Sigmoid"] = One(U(M, -4, 4), x => nn.Sigmoid().forward(x)),
        ["nn.Tanh"] = One(U(M, -3, 3), x => nn.Tanh().forward(x)),
        ["nn.ELU(0.7)"] = One(Away(M, -3, 3, [0]), x => nn.ELU(0.7).forward(x)),
        ["nn.Softplus(beta 2)"] = One(U(M, -3, 3), x => nn.Softplus(2).forward(x)),
        ["nn.GELU"] = One(U(M, -3, 3), x => nn.GELU().forward(x)),
        ["nn.Identity"] = One(U(M), x => nn.Identity().forward(x)),
    };

    public static TheoryData<string> UnaryNames => Names(UnaryCases);

    [Theory, MemberData(nameof(UnaryNames))]
    public void Unary(string op) => Run(UnaryCases, op);

    // =====================================================================================
    // binary ops with broadcasting
    // =====================================================================================

    static readonly (long[] a, long[] b)[] BroadcastPairs =
    [
        ([2, 3], [2, 3]),
        ([2, 3], [3]),
        ([3], [2, 3]),
        ([2, 3], [2, 1]),
        ([2, 1], [2, 3]),
        ([3, 1], [1, 4]),
        ([2, 1, 4], [3, 1]),
        ([2, 3, 4], [4]),
        ([4], [2, 3, 1]),
        ([], [2, 3]),
        ([2, 3], []),
        ([], []),
        ([1], [2, 3]),
        ([2, 3], [1, 1]),
        ([5], [5]),
        ([2, 1, 3], [2, 4, 1]),
        ([1, 3, 1], [2, 1, 4]),
    ];

    static string Fmt(long[] s) => "[" + string.Join(", ", s) + "]";

    public static readonly Dictionary<string, GradCase> BinaryCases = BuildBinaryCases();

    static Dictionary<string, GradCase> BuildBinaryCases()
    {
        var ops = new (string name, Func<Tensor, Tensor, Tensor> f, string kind)[]
        {
            ("add", (a, b) => a.add(b), "plain"),
            ("sub", (a, b) => a.sub(b), "plain"),
            ("mul", (a, b) => a.mul(b), "plain"),
            ("div", (a, b) => a.div(b), "div"),
            ("maximum", (a, b) => a.maximum(b), "minmax"),
            ("minimum", (a, b) => a.minimum(b), "minmax"),
            ("a + b", (a, b) => a + b, "plain"),
            ("a - b", (a, b) => a - b, "plain"),
            ("a * b", (a, b) => a * b, "plain"),
            ("a / b", (a, b) => a / b, "div"),
        };
        var cases = new Dictionary<string, GradCase>();
        foreach (var (name, f, kind) in ops)
            foreach (var (sa, sb) in BroadcastPairs)
            {
                Func<Generator, Tensor> ia, ib;
                switch (kind)
                {
                    case "div": ia = U(sa, -2, 2); ib = Sg(sb, 0.5, 2); break;
                    // two grids offset by half a step never tie, and stay 0.15 apart (> 2h)
                    case "minmax": ia = g => Grid(g, sa, 0.3, 0); ib = g => Grid(g, sb, 0.3, 0.15); break;
                    default: ia = U(sa, -2, 2); ib = U(sb, -2, 2); break;
                }
                cases[$"{name} {Fmt(sa)} & {Fmt(sb)}"] = Two(ia, ib, f, h: kind == "div" ? 1e-3 : DefaultH);
            }
        return cases;
    }

    public static TheoryData<string> BinaryNames => Names(BinaryCases);

    [Theory, MemberData(nameof(BinaryNames))]
    public void Binary(string op) => Run(BinaryCases, op);

    // =====================================================================================
    // tensor–scalar forms, operators, reuse of one tensor
    // =====================================================================================

    static readonly long[] N = [2, 3];

    public static readonly Dictionary<string, GradCase> ScalarFormCases = new()
    {
        ["add(2.5)"] = One(U(N), x => x.add(2.5)),
        ["add(-1)"] = One(U(N), x => x.add(-1)),
        ["mul(-1.5)"] = One(U(N), x => x.mul(-1.5)),
        ["mul(0)"] = One(U(N), x => x.mul(0.0)),
        ["x + 2"] = One(U(N), x => x + 2),
        ["2 + x"] = One(U(N), x => 2 + x),
        ["x - 2"] = One(U(N), x => x - 2),
        ["2 - x"] = One(U(N), x => 2 - x),
        ["x * 3"] = One(U(N), x => x * 3),
        ["3 * x"] = One(U(N), x => 3 * x),
        ["x / 4"] = One(U(N), x => x / 4),
        ["4 / x"] = One(Sg(N, 0.5, 2), x => 4 / x, h: 1e-3),
        ["-x"] = One(U(N), x => -x),
        ["add(y, alpha 0.5)"] = Two(U(N), U(N), (x, y) => x.add(y, 0.5)),
        ["add(y [3], alpha -2)"] = Two(U(N), U(S(3)), (x, y) => x.add(y, -2)),
        ["add(y, alpha 1)"] = Two(U(N), U(N), (x, y) => x.add(y, 1)),
        ["x * x (same tensor)"] = One(U(N, -2, 2), x => x * x),
        ["x + x (same tensor)"] = One(U(N), x => x + x),
        ["x - x (same tensor)"] = One(U(N), x => x - x),
        ["x / x (same tensor)"] = One(Sg(N, 0.5, 2), x => x / x, h: 1e-3),
        ["x.maximum(x) (tie: gradient split)"] = One(U(N), x => x.maximum(x)),
        ["x * x.exp() (diamond)"] = One(U(N), x => x * x.exp()),
        ["exp(x) reused three times"] = One(U(N), x => { var e = x.exp(); return e * e.sigmoid() + e; }),
    };

    public static TheoryData<string> ScalarFormNames => Names(ScalarFormCases);

    [Theory, MemberData(nameof(ScalarFormNames))]
    public void ScalarFormsAndOperators(string op) => Run(ScalarFormCases, op);

    // =====================================================================================
    // reductions
    // =====================================================================================

    static readonly long[] R = [2, 3, 4];

    public static readonly Dictionary<string, GradCase> ReductionCases = new()
    {
        ["sum()"] = One(U(R), x => x.sum()),
        ["mean()"] = One(U(R), x => x.mean()),
        ["sum() 1-d"] = One(U(S(7)), x => x.sum()),
        ["sum() 0-d"] = One(U(S()), x => x.sum()),
        ["mean() 0-d"] = One(U(S()), x => x.mean()),
        ["sum(0)"] = One(U(R), x => x.sum(0)),
        ["sum(1)"] = One(U(R), x => x.sum(1)),
        ["sum(2)"] = One(U(R), x => x.sum(2)),
        ["sum(-1)"] = One(U(R), x => x.sum(-1)),
        ["sum(1, keepdim)"] = One(U(R), x => x.sum(1, keepdim: true)),
        ["sum(-1, keepdim)"] = One(U(R), x => x.sum(-1, keepdim: true)),
        ["sum([0, 2])"] = One(U(R), x => x.sum(new long[] { 0, 2 })),
        ["sum([0, 2], keepdim)"] = One(U(R), x => x.sum(new long[] { 0, 2 }, keepdim: true)),
        ["sum([0, 1, 2])"] = One(U(R), x => x.sum(new long[] { 0, 1, 2 })),
        ["mean(0)"] = One(U(R), x => x.mean(0)),
        ["mean(1)"] = One(U(R), x => x.mean(1)),
        ["mean(-1, keepdim)"] = One(U(R), x => x.mean(-1, keepdim: true)),
        ["mean([1, 2])"] = One(U(R), x => x.mean(new long[] { 1, 2 })),
        ["mean([0, 2], keepdim)"] = One(U(R), x => x.mean(new long[] { 0, 2 }, keepdim: true)),
        ["sum(0) 2-d"] = One(U(M), x => x.sum(0)),
        ["mean(1) 2-d"] = One(U(M), x => x.mean(1)),
        ["max()"] = One(Dist(R), x => x.max()),
        ["min()"] = One(Dist(R), x => x.min()),
        ["max() 1-d"] = One(Dist(S(9)), x => x.max()),
        ["max(0)"] = One(Dist(R), x => x.max(0).values),
        ["max(1)"] = One(Dist(R), x => x.max(1).values),
        ["max(-1, keepdim)"] = One(Dist(R), x => x.max(-1, keepdim: true).values),
        ["min(0, keepdim)"] = One(Dist(R), x => x.min(0, keepdim: true).values),
        ["min(1)"] = One(Dist(R), x => x.min(1).values),
        ["min(2)"] = One(Dist(R), x => x.min(2).values),
        ["max(1) 2-d"] = One(Dist(M), x => x.max(1).values),
        ["min(0) 2-d"] = One(Dist(M), x => x.min(0).values),
        ["softmax by hand (max keepdim, sub, exp, sum keepdim, div)"] = One(Dist(M),
            x => { var e = (x - x.max(1, keepdim: true).values).exp(); return e / e.sum(1, keepdim: true); }),
    };

    public static TheoryData<string> ReductionNames => Names(ReductionCases);

    [Theory, MemberData(nameof(ReductionNames))]
    public void Reductions(string op) => Run(ReductionCases, op);

    // =====================================================================================
    // shape ops
    // =====================================================================================

    public static readonly Dictionary<string, GradCase> ShapeCases = new()
    {
        ["reshape(4, 6)"] = One(U(R), x => x.reshape(4, 6)),
        ["reshape(-1)"] = One(U(R), x => x.reshape(-1)),
        ["reshape(3, -1)"] = One(U(R), x => x.reshape(3, -1)),
        ["view(6, 4)"] = One(U(R), x => x.view(6, 4)),
        ["view(2, 12) then narrow(1, 3, 5)"] = One(U(R), x => x.view(2, 12).narrow(1, 3, 5)),
        ["flatten()"] = One(U(R), x => x.flatten()),
        ["flatten(1)"] = One(U(R), x => x.flatten(1)),
        ["flatten(0, 1)"] = One(U(R), x => x.flatten(0, 1)),
        ["flatten() 0-d"] = One(U(S()), x => x.flatten()),
        ["unflatten(2, [2, 2])"] = One(U(R), x => x.unflatten(2, 2, 2)),
        ["unflatten(0, [-1, 3]) of [6, 2]"] = One(U(S(6, 2)), x => x.unflatten(0, -1, 3)),
        ["nn.Flatten()"] = One(U(R), x => nn.Flatten().forward(x)),
        ["nn.Unflatten(1, [2, 2]) of [3, 4]"] = One(U(M), x => nn.Unflatten(1, [2, 2]).forward(x)),
        ["permute(2, 0, 1)"] = One(U(R), x => x.permute(2, 0, 1)),
        ["permute(1, 0, 2)"] = One(U(R), x => x.permute(1, 0, 2)),
        ["permute(-1, 1, 0)"] = One(U(R), x => x.permute(-1, 1, 0)),
        ["permute 4-d (3, 1, 0, 2)"] = One(U(S(2, 3, 2, 4)), x => x.permute(3, 1, 0, 2)),
        ["transpose(0, 2)"] = One(U(R), x => x.transpose(0, 2)),
        ["transpose(-1, -2)"] = One(U(R), x => x.transpose(-1, -2)),
        ["t()"] = One(U(M), x => x.t()),
        ["t() 1-d"] = One(U(S(5)), x => x.t()),
        ["unsqueeze(0)"] = One(U(M), x => x.unsqueeze(0)),
        ["unsqueeze(1)"] = One(U(M), x => x.unsqueeze(1)),
        ["unsqueeze(-1)"] = One(U(M), x => x.unsqueeze(-1)),
        ["squeeze()"] = One(U(S(1, 3, 1, 4)), x => x.squeeze()),
        ["squeeze(0)"] = One(U(S(1, 3, 1, 4)), x => x.squeeze(0)),
        ["squeeze(2)"] = One(U(S(1, 3, 1, 4)), x => x.squeeze(2)),
        ["squeeze(1) no-op"] = One(U(S(1, 3, 1, 4)), x => x.squeeze(1)),
        ["narrow(0, 1, 1)"] = One(U(R), x => x.narrow(0, 1, 1)),
        ["narrow(0, 1, 3) 2-d"] = One(U(S(5, 3)), x => x.narrow(0, 1, 3)),
        ["narrow(0, -2, 2)"] = One(U(S(5, 3)), x => x.narrow(0, -2, 2)),
        ["narrow(1, 1, 2)"] = One(U(R), x => x.narrow(1, 1, 2)),
        ["narrow(1, 0, 2) 2-d"] = One(U(S(3, 5)), x => x.narrow(1, 0, 2)),
        ["narrow(2, 1, 3)"] = One(U(R), x => x.narrow(2, 1, 3)),
        ["narrow of narrow (offset views)"] = One(U(S(6, 4)), x => x.narrow(0, 1, 4).narrow(0, 2, 2).reshape(-1).narrow(0, 3, 4)),
        ["slice(0, 1, 3)"] = One(U(S(5, 3)), x => x.slice(0, 1, 3)),
        ["slice(0, 0, 5, 2)"] = One(U(S(5, 3)), x => x.slice(0, 0, 5, 2)),
        ["slice(1, 1, 5)"] = One(U(S(3, 6)), x => x.slice(1, 1, 5)),
        ["slice(1, 0, 6, 3)"] = One(U(S(3, 6)), x => x.slice(1, 0, 6, 3)),
        ["index_select(0, [1, 0, 1]) repeated"] = One(U(S(3, 4)), x => x.index_select(0, [1, 0, 1])),
        ["index_select(1, [2, 2, 0, -1])"] = One(U(S(3, 4)), x => x.index_select(1, [2, 2, 0, -1])),
        ["index_select(2, tensor [3, 0])"] = One(U(R), x => x.index_select(2, tensor(new float[] { 3, 0 }))),
        ["index_select(0, randperm)"] = One(U(S(6, 2)), x => x.index_select(0, randperm(6, new Generator(3)))),
        ["x[1]"] = One(U(R), x => x[1]),
        ["x[-1]"] = One(U(R), x => x[-1]),
        ["x[0][2]"] = One(U(R), x => x[0][2]),
        ["x[2] of 1-d (0-d result)"] = One(U(S(4)), x => x[2]),
        ["cat dim 0"] = Two(U(S(2, 3)), U(S(4, 3)), (a, b) => cat([a, b], 0)),
        ["cat dim 1"] = Two(U(S(2, 3)), U(S(2, 1)), (a, b) => cat([a, b], 1)),
        ["cat dim -1 3-d"] = Two(U(S(2, 3, 2)), U(S(2, 3, 3)), (a, b) => cat([a, b], -1)),
        ["cat dim 1 3-d, three inputs incl. reuse"] = Two(U(S(2, 1, 2)), U(S(2, 3, 2)), (a, b) => cat([a, b, a], 1)),
        ["cat with a constant"] = One(U(S(2, 3)), a => cat([ones(2, 3), a * 2, zeros(1, 3)], 0)),
        ["stack dim 0"] = Two(U(M), U(M), (a, b) => stack([a, b], 0)),
        ["stack dim 1"] = Two(U(M), U(M), (a, b) => stack([a, b], 1)),
        ["stack dim -1"] = Two(U(M), U(M), (a, b) => stack([a, b, a], -1)),
        ["expand [3, 1] to [2, 3, 4]"] = One(U(S(3, 1)), x => x.expand(2, 3, 4)),
        ["expand [3, 1] to [-1, 5]"] = One(U(S(3, 1)), x => x.expand(-1, 5)),
        ["expand [1, 4] to [3, 4]"] = One(U(S(1, 4)), x => x.expand(3, 4)),
        ["expand 0-d to [2, 3]"] = One(U(S()), x => x.expand(2, 3)),
        ["clone"] = One(U(R), x => x.clone()),
        ["clone then reshape and mul"] = One(U(M), x => x.clone().reshape(2, 6) * 3),
    };

    public static TheoryData<string> ShapeNames => Names(ShapeCases);

    [Theory, MemberData(nameof(ShapeNames))]
    public void ShapeOps(string op) => Run(ShapeCases, op);

    // =====================================================================================
    // matmul / mm / linear
    // =====================================================================================

    public static readonly Dictionary<string, GradCase> MatmulCases = new()
    {
        ["matmul 1-d · 1-d"] = Two(U(S(5)), U(S(5)), (a, b) => a.matmul(b)),
        ["matmul 1-d · 2-d"] = Two(U(S(4)), U(S(4, 3)), (a, b) => a.matmul(b)),
        ["matmul 2-d · 1-d"] = Two(U(S(3, 4)), U(S(4)), (a, b) => a.matmul(b)),
        ["matmul 2-d · 2-d"] = Two(U(S(3, 4)), U(S(4, 5)), (a, b) => a.matmul(b)),
        ["matmul 2-d · 2-d blocked kernel [20, 30]·[30, 25]"] = Two(U(S(20, 30)), U(S(30, 25)), (a, b) => a.matmul(b)),
        ["matmul 3-d · 2-d"] = Two(U(S(2, 3, 4)), U(S(4, 5)), (a, b) => a.matmul(b)),
        ["matmul 3-d · 1-d"] = Two(U(S(2, 3, 4)), U(S(4)), (a, b) => a.matmul(b)),
        ["matmul 3-d · 3-d"] = Two(U(S(2, 3, 4)), U(S(2, 4, 5)), (a, b) => a.matmul(b)),
        ["matmul 3-d · 3-d blocked kernel"] = Two(U(S(2, 16, 20)), U(S(2, 20, 18)), (a, b) => a.matmul(b)),
        ["matmul 4-d · 4-d"] = Two(U(S(2, 2, 3, 4)), U(S(2, 2, 4, 3)), (a, b) => a.matmul(b)),
        ["matmul 4-d · 2-d"] = Two(U(S(2, 2, 3, 4)), U(S(4, 2)), (a, b) => a.matmul(b)),
        ["matmul 4-d · 1-d"] = Two(U(S(2, 2, 3, 4)), U(S(4)), (a, b) => a.matmul(b)),
        ["torch.matmul 2-d · 2-d"] = Two(U(S(3, 4)), U(S(4, 2)), (a, b) => matmul(a, b)),
        ["mm"] = Two(U(S(3, 4)), U(S(4, 5)), (a, b) => a.mm(b)),
        ["torch.mm"] = Two(U(S(5, 2)), U(S(2, 3)), (a, b) => mm(a, b)),
        ["mm of narrowed views (storage offsets)"] = Two(U(S(6, 4)), U(S(5, 3)), (a, b) => a.narrow(0, 2, 3).mm(b.narrow(0, 1, 4))),
        ["mm blocked kernel of narrowed views"] = Two(U(S(24, 30)), U(S(33, 25)), (a, b) => a.narrow(0, 3, 20).mm(b.narrow(0, 2, 30))),
        ["matmul 3-d · 3-d of narrowed view"] = Two(U(S(3, 3, 4)), U(S(2, 4, 5)), (a, b) => a.narrow(0, 1, 2).matmul(b)),
        ["x.t() · x (same tensor)"] = One(U(S(4, 3)), x => x.t().mm(x)),
        // nn.functional.linear: y = x·Wᵀ + b
        ["linear with bias"] = Three(U(S(3, 4)), U(S(5, 4)), U(S(5)), (x, w, b) => nn.functional.linear(x, w, b)),
        ["linear without bias"] = Two(U(S(3, 4)), U(S(5, 4)), (x, w) => nn.functional.linear(x, w)),
        ["linear 1-d input"] = Three(U(S(4)), U(S(5, 4)), U(S(5)), (x, w, b) => nn.functional.linear(x, w, b)),
        ["linear 3-d input"] = Three(U(S(2, 3, 4)), U(S(5, 4)), U(S(5)), (x, w, b) => nn.functional.linear(x, w, b)),
        ["linear blocked kernel [16, 40]·[24, 40]ᵀ"] = Three(U(S(16, 40)), U(S(24, 40)), U(S(24)), (x, w, b) => nn.functional.linear(x, w, b)),
        ["linear of a narrowed input (storage offset)"] = Three(U(S(6, 4)), U(S(3, 4)), U(S(3)), (x, w, b) => nn.functional.linear(x.narrow(0, 2, 3), w, b)),
    };

    static GradCase Three(Func<Generator, Tensor> ia, Func<Generator, Tensor> ib, Func<Generator, Tensor> ic, Func<Tensor, Tensor, Tensor, Tensor> f)
        => (name, g) => { var a = ia(g); var b = ib(g); var c = ic(g); Check(name, () => f(a, b, c), [a, b, c]); };

    public static TheoryData<string> MatmulNames => Names(MatmulCases);

    [Theory, MemberData(nameof(MatmulNames))]
    public void MatmulAndLinear(string op) => Run(MatmulCases, op);

    // =====================================================================================
    // modules
    // =====================================================================================

    static GradCase ModuleCase(Func<nn.Module<Tensor, Tensor>> build, long[] inputShape, double bound = 0.8)
        => (name, g) =>
        {
            var m = build();
            Reinit(m, g, bound);
            var x = Uniform(g, inputShape);
            var ps = m.parameters().ToArray();
            Assert.NotEmpty(ps);
            Check(name, () => m.forward(x), [x, .. ps]);
        };

    public static readonly Dictionary<string, GradCase> ModuleCases = new()
    {
        ["nn.Linear(4, 3): input, weight, bias"] = ModuleCase(() => nn.Linear(4, 3), S(5, 4)),
        ["nn.Linear(4, 3, no bias)"] = ModuleCase(() => nn.Linear(4, 3, hasBias: false), S(5, 4)),
        ["nn.Linear(6, 2) 3-d input"] = ModuleCase(() => nn.Linear(6, 2), S(2, 3, 6)),
        ["nn.Linear(40, 24) blocked kernel"] = ModuleCase(() => nn.Linear(40, 24), S(16, 40), bound: 0.3),
        ["Sequential(Linear, Tanh, Linear, Sigmoid)"] = ModuleCase(() => nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3), nn.Sigmoid()), S(5, 4)),
        ["Sequential(Linear, GELU, Linear, ELU, Linear, Softplus)"] = ModuleCase(
            () => nn.Sequential(nn.Linear(3, 5), nn.GELU(), nn.Linear(5, 4), nn.ELU(), nn.Linear(4, 2), nn.Softplus()), S(4, 3)),
        ["Sequential named, nested"] = ModuleCase(() => nn.Sequential(
            ("encoder", nn.Sequential(("fc", nn.Linear(4, 3)), ("act", nn.Tanh()))),
            ("decoder", nn.Linear(3, 4))), S(2, 4)),
        ["Sequential(Flatten, Linear, Unflatten)"] = ModuleCase(() => nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.Unflatten(1, [2, 2])), S(3, 2, 3)),
        ["Sequential(Linear, Dropout eval)"] = ModuleCase(() => { var s = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5)); s.eval(); return s; }, S(5, 4)),
    };

    public static TheoryData<string> ModuleNames => Names(ModuleCases);

    [Theory, MemberData(nameof(ModuleNames))]
    public void Modules(string op) => Run(ModuleCases, op);

    [Fact]
    public void DropoutFunctionalWithGeneratorInTrainingMode()
    {
        var g = GenFor("dropout");
        var x = Uniform(g, S(6, 5), 0.5, 1.5);
        // a fresh generator with the same seed per evaluation: the same mask every time
        Func<Tensor> f = () => nn.functional.dropout(x, 0.4, training: true, generator: new Generator(77));
        var y = f().ToArray();
        Assert.Contains(y, v => v == 0f);                  // something was dropped …
        Assert.Contains(y, v => v != 0f);                  // … and something kept
        Check("dropout(p 0.4, training, generator)", f, [x]);
    }

    [Fact]
    public void DropoutFunctionalEdgeCases()
    {
        var g = GenFor("dropout edges");
        var x = Uniform(g, S(3, 4));
        Check("dropout(p 0)", () => nn.functional.dropout(x, 0.0, training: true), [x]);
        Check("dropout(p 1)", () => nn.functional.dropout(x, 1.0, training: true), [x]);
        Check("dropout(training false)", () => nn.functional.dropout(x, 0.5, training: false), [x]);
    }

    // =====================================================================================
    // losses (gradient with respect to the input; every reduction; functional and module forms)
    // =====================================================================================

    /// <summary>Data: [input, target, extra constants…]; the loss as function and as module.</summary>
    sealed record LossSpec(Func<Generator, Tensor[]> Data, Func<Tensor[], Reduction, Tensor> Functional, Func<Tensor[], Reduction, Tensor> Module, double H = DefaultH);

    static readonly long[] L = [3, 4];

    /// <summary>x = t + d with |d| in [lo, hi) and at least `margin` from every kink of |d|.</summary>
    static Tensor[] DiffData(Generator g, double lo, double hi, double[] kinks)
    {
        var t = Uniform(g, L, -2, 2);
        var d = AwayFrom(g, L, lo, hi, kinks, 0.1);
        var sign = Signed(g, L, 1, 1);
        Tensor x;
        using (no_grad()) x = (t + d * sign).detach();
        return [x, t];
    }

    static Tensor[] ProbData(Generator g)
    {
        var x = Uniform(g, L, 0.1, 0.9);
        var tv = Uniform(g, L, 0, 1).ToArray();
        tv[0] = 0; tv[1] = 1; // hard labels too
        return [x, tensor(tv, L)];
    }

    static Tensor[] LogitData(Generator g) => [Uniform(g, L, -3, 3), Uniform(g, L, 0, 1)];

    static readonly Dictionary<string, LossSpec> LossSpecs = new()
    {
        ["mse"] = new(g => [Uniform(g, L, -2, 2), Uniform(g, L, -2, 2)],
            (a, r) => nn.functional.mse_loss(a[0], a[1], r), (a, r) => nn.MSELoss(r).forward(a[0], a[1])),
        ["l1"] = new(g => DiffData(g, 0.1, 1.5, []),
            (a, r) => nn.functional.l1_loss(a[0], a[1], r), (a, r) => nn.L1Loss(r).forward(a[0], a[1])),
        ["bce"] = new(ProbData,
            (a, r) => nn.functional.binary_cross_entropy(a[0], a[1], reduction: r), (a, r) => nn.BCELoss(reduction: r).forward(a[0], a[1]), H: 1e-3),
        ["bce weight [4]"] = new(g => [.. ProbData(g), Uniform(g, S(4), 0.5, 1.5)],
            (a, r) => nn.functional.binary_cross_entropy(a[0], a[1], a[2], r), (a, r) => nn.BCELoss(a[2], r).forward(a[0], a[1]), H: 1e-3),
        ["bce_with_logits"] = new(LogitData,
            (a, r) => nn.functional.binary_cross_entropy_with_logits(a[0], a[1], reduction: r),
            (a, r) => nn.BCEWithLogitsLoss(reduction: r).forward(a[0], a[1])),
        ["bce_with_logits weight [3, 4]"] = new(g => [.. LogitData(g), Uniform(g, L, 0.5, 1.5)],
            (a, r) => nn.functional.binary_cross_entropy_with_logits(a[0], a[1], a[2], r),
            (a, r) => nn.BCEWithLogitsLoss(a[2], r).forward(a[0], a[1])),
        ["bce_with_logits pos_weights [4]"] = new(g => [.. LogitData(g), Uniform(g, S(4), 0.5, 3)],
            (a, r) => nn.functional.binary_cross_entropy_with_logits(a[0], a[1], reduction: r, pos_weights: a[2]),
            (a, r) => nn.BCEWithLogitsLoss(reduction: r, pos_weights: a[2]).forward(a[0], a[1])),
        ["bce_with_logits weight [4] and pos_weights [4]"] = new(g => [.. LogitData(g), Uniform(g, S(4), 0.5, 1.5), Uniform(g, S(4), 0.5, 3)],
            (a, r) => nn.functional.binary_cross_entropy_with_logits(a[0], a[1], a[2], r, a[3]),
            (a, r) => nn.BCEWithLogitsLoss(a[2], r, a[3]).forward(a[0], a[1])),
        ["huber delta 1"] = new(g => DiffData(g, 0, 2.5, [1.0]),
            (a, r) => nn.functional.huber_loss(a[0], a[1], r), (a, r) => nn.HuberLoss(r).forward(a[0], a[1])),
        ["huber delta 0.5"] = new(g => DiffData(g, 0, 2, [0.5]),
            (a, r) => nn.functional.huber_loss(a[0], a[1], r, 0.5), (a, r) => nn.HuberLoss(r, 0.5).forward(a[0], a[1])),
        ["smooth_l1 beta 1"] = new(g => DiffData(g, 0, 2.5, [1.0]),
            (a, r) => nn.functional.smooth_l1_loss(a[0], a[1], r), (a, r) => nn.SmoothL1Loss(r).forward(a[0], a[1])),
        ["smooth_l1 beta 0.5"] = new(g => DiffData(g, 0, 2, [0.5]),
            (a, r) => nn.functional.smooth_l1_loss(a[0], a[1], r, 0.5), (a, r) => nn.SmoothL1Loss(r, 0.5).forward(a[0], a[1])),
        ["smooth_l1 beta 0 (L1)"] = new(g => DiffData(g, 0.1, 2, []),
            (a, r) => nn.functional.smooth_l1_loss(a[0], a[1], r, 0), (a, r) => nn.SmoothL1Loss(r, 0).forward(a[0], a[1])),
    };

    public static readonly Dictionary<string, GradCase> LossCases = BuildLossCases();

    static Dictionary<string, GradCase> BuildLossCases()
    {
        var cases = new Dictionary<string, GradCase>();
        foreach (var (name, spec) in LossSpecs)
            foreach (var reduction in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
                foreach (var module in new[] { false, true })
                {
                    var f = module ? spec.Module : spec.Functional;
                    cases[$"{(module ? "module " : "")}{name}, Reduction.{reduction}"] = (n, g) =>
                    {
                        var data = spec.Data(g);
                        var wrt = data.Select((_, i) => i == 0).ToArray(); // input only; target and weights constant
                        Check(n, _ => f(data, reduction), data, wrt, spec.H);
                    };
                }
        // differentiable extra arguments: pos_weights and weight (both flow through ops in PyTorch)
        cases["bce_with_logits wrt pos_weights, Reduction.Mean"] = (n, g) =>
        {
            var data = LossSpecs["bce_with_logits weight [4] and pos_weights [4]"].Data(g);
            Check(n, _ => nn.functional.binary_cross_entropy_with_logits(data[0], data[1], data[2], Reduction.Mean, data[3]), data, [true, false, true, true]);
        };
        cases["bce wrt weight, Reduction.Sum"] = (n, g) =>
        {
            var data = LossSpecs["bce weight [4]"].Data(g);
            Check(n, _ => nn.functional.binary_cross_entropy(data[0], data[1], data[2], Reduction.Sum), data, [true, false, true], h: 1e-3);
        };
        return cases;
    }

    public static TheoryData<string> LossNames => Names(LossCases);

    [Theory, MemberData(nameof(LossNames))]
    public void Losses(string loss) => Run(LossCases, loss);

    /// <summary>
    /// PyTorch differentiates every one of these losses with respect to the target too (e.g. when the
    /// target is another network's output). A target with requires_grad = true must get a gradient;
    /// silently leaving it null trains the wrong thing.
    /// </summary>
    public static readonly Dictionary<string, GradCase> LossTargetCases = new()
    {
        ["mse wrt input and target"] = TargetCase(LossSpecs["mse"], DefaultH),
        ["l1 wrt input and target"] = TargetCase(LossSpecs["l1"], DefaultH),
        ["huber wrt input and target"] = TargetCase(LossSpecs["huber delta 1"], DefaultH),
        ["smooth_l1 wrt input and target"] = TargetCase(LossSpecs["smooth_l1 beta 1"], DefaultH),
        ["bce_with_logits wrt input and target"] = TargetCase(LossSpecs["bce_with_logits"], DefaultH),
        ["bce_with_logits pos_weights wrt input and target"] = TargetCase(LossSpecs["bce_with_logits pos_weights [4]"], DefaultH),
        ["bce wrt input and target"] = TargetCase(LossSpecs["bce"], 1e-3),
    };

    static GradCase TargetCase(LossSpec spec, double h) => (n, g) =>
    {
        var data = spec.Data(g);
        if (n.StartsWith("bce wrt"))
        {
            // keep the target inside (0, 1) so t ± h is a valid probability
            var t = Uniform(g, L, 0.1, 0.9);
            data[1] = t;
        }
        var wrt = data.Select((_, i) => i <= 1).ToArray();
        Check(n, _ => spec.Functional(data, Reduction.Mean), data, wrt, h);
    };

    public static TheoryData<string> LossTargetNames => Names(LossTargetCases);

    [Theory, MemberData(nameof(LossTargetNames))]
    public void LossTargetGradient(string loss) => Run(LossTargetCases, loss);

    // =====================================================================================
    // composite graphs
    // =====================================================================================

    [Fact]
    public void TwoLayerMlpByHand()
    {
        var g = GenFor("mlp");
        var x = Uniform(g, S(5, 4));
        var w1 = Uniform(g, S(4, 6), -0.8, 0.8); var b1 = Uniform(g, S(6));
        var w2 = Uniform(g, S(6, 2), -0.8, 0.8); var b2 = Uniform(g, S(2));
        var t = Uniform(g, S(5, 2));
        Check("mlp by hand", () => nn.functional.mse_loss((x.matmul(w1) + b1).tanh().matmul(w2) + b2, t), [x, w1, b1, w2, b2]);
    }

    [Fact]
    public void ViewSharedByTwoConsumers()
    {
        var g = GenFor("shared view");
        var x = Uniform(g, S(4, 3));
        Check("shared view", () => { var v = x.reshape(3, 4); return v.sum(0) * v.narrow(0, 1, 1).squeeze(0).exp(); }, [x]);
    }
}

/// <summary>Gradient checks that need the process-wide default generator (re-seeded before each evaluation).</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class GradCheckSeededTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void DropoutModuleInTrainingMode(double p)
    {
        var g = GradCheckTests.GenFor($"dropout module {p}");
        var x = Uniform(g, [8, 5], 0.5, 1.5);
        var dropout = nn.Dropout(p);
        dropout.train();
        Func<Tensor> f = () => { manual_seed(123); return dropout.forward(x); };
        var y = f().ToArray();
        Assert.Contains(y, v => v == 0f);
        Assert.Contains(y, v => v != 0f);
        Check($"nn.Dropout({p}) training, manual_seed(123) per evaluation", f, [x]);
    }

    [Fact]
    public void SequentialWithDropoutInTrainingMode()
    {
        var g = GradCheckTests.GenFor("sequential dropout");
        var model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 2));
        GradCheckTests.Reinit(model, g);
        model.train();
        var x = Uniform(g, [6, 4]);
        Check("Sequential(Linear, Tanh, Dropout(0.3), Linear) training", () => { manual_seed(9); return model.forward(x); }, [x, .. model.parameters()]);
    }

    [Fact]
    public void FunctionalDropoutWithDefaultGenerator()
    {
        var x = Uniform(GradCheckTests.GenFor("F.dropout"), [5, 5], 0.5, 1.5);
        Check("F.dropout(p 0.5) default generator", () => { manual_seed(31); return nn.functional.dropout(x, 0.5); }, [x]);
    }
}

/// <summary>The checker itself must catch wrong gradients and say where.</summary>
public class GradCheckHelperTests
{
    [Fact]
    public void ReportsOpInputElementAnalyticAndNumericOnAWrongGradient()
    {
        var x = tensor(new float[] { 0.5f, -0.25f, 1f, 0.75f }, [2, 2]);
        var y = tensor(new float[] { 1f, 2f }, [2]);
        // a hook that doubles the gradient flowing into exp(x): dL/dx becomes twice the truth
        var e = Assert.ThrowsAny<Exception>(() => Check("doubled-exp", () =>
        {
            var t = x.exp();
            t.register_hook(g => g * 2);
            return t + y;
        }, [x, y]));
        Assert.Contains("doubled-exp", e.Message);
        Assert.Contains("input 0", e.Message);
        Assert.Contains("element 0", e.Message);
        Assert.Contains("analytic", e.Message);
        Assert.Contains("numeric", e.Message);
        Assert.DoesNotContain("input 1", e.Message); // y's gradient is right
        Assert.StartsWith("doubled-exp: 4 of 6 ", e.Message);
    }

    [Fact]
    public void RejectsANonDeterministicFunction()
    {
        var x = tensor(new float[] { 1f, 2f, 3f }, [3]);
        var g = new Generator(1);
        var e = Assert.ThrowsAny<Exception>(() => Check("unseeded dropout", () => nn.functional.dropout(x, 0.5, generator: g), [x]));
        Assert.Contains("not deterministic", e.Message);
    }

    [Fact]
    public void PassesOnACorrectGradientAndRestoresTheInputs()
    {
        var values = new float[] { 0.5f, -0.25f, 1f, 0.75f };
        var x = tensor(values, [2, 2]);
        Check("sin-free smooth", () => (x * x).exp().sum(1), [x]);
        Assert.Equal(values, x.ToArray());
    }
}
