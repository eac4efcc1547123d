using System.Text;
using System.Text.Json;
using AeNotebooks.Torch;
using AeNotebooks.Torch.Modules;
using Xunit;
using static AeNotebooks.Torch.torch;
using static AeNotebooks.Torch.Tests.FixtureSupport;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// Compares the engine with PyTorch 1.13 on the fixtures written by tests/fixtures/make_fixtures.py
/// (tests/AeNotebooks.Torch.Tests/Fixtures/*.json; inputs, outputs and gradients are stored, PyTorch is
/// not needed here). Each fixture case is its own test case.
///
/// Tolerance rule for values, outputs and gradients: |actual − expected| ≤ 1e-4 · max(1, |expected|),
/// i.e. relative 1e-4 above magnitude 1 and absolute 1e-4 below it. NaN must be NaN and ±∞ must be the
/// same infinity, exactly. Learning rates (schedulers) are compared purely relatively: |a − e| ≤ 1e-4·|e|.
/// </summary>
public class TorchFixtureTests
{
    const string Generator = "/usr/bin/python3 tests/fixtures/make_fixtures.py";

    /// <summary>Every fixture file this suite expects; each must exist and hold at least one case.</summary>
    public static readonly string[] Families =
        ["elementwise", "binary", "reductions", "shape", "matmul", "composite", "losses", "modules", "optimizers", "schedulers", "init"];

    static JsonElement Case(string family, string name) => LoadCase(family, name, Generator);

    /// <summary>MemberData source: one row per case name (empty when the file is missing; FixturesArePresent then fails).</summary>
    public static IEnumerable<object[]> Cases(string family) => CaseNames(family);

    /// <summary>The suite cannot pass silently without data.</summary>
    [Fact]
    public void FixturesArePresent() => AssertPresent(Families, Generator);

    // ------------------------------------------------------------------------------------------
    // one theory per family
    // ------------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Cases), "elementwise")]
    public void Elementwise(string name) => RunOpCase("elementwise", name);

    [Theory, MemberData(nameof(Cases), "binary")]
    public void Binary(string name) => RunOpCase("binary", name);

    [Theory, MemberData(nameof(Cases), "reductions")]
    public void Reductions(string name) => RunOpCase("reductions", name);

    [Theory, MemberData(nameof(Cases), "shape")]
    public void Shape(string name) => RunOpCase("shape", name);

    [Theory, MemberData(nameof(Cases), "matmul")]
    public void Matmul(string name) => RunOpCase("matmul", name);

    [Theory, MemberData(nameof(Cases), "composite")]
    public void Composite(string name) => RunOpCase("composite", name);

    [Theory, MemberData(nameof(Cases), "losses")]
    public void Losses(string name) => RunOpCase("losses", name);

    [Theory, MemberData(nameof(Cases), "modules")]
    public void Modules(string name)
    {
        var c = Case("modules", name);
        var check = new Mismatches(name);
        var layers = c.GetProperty("layers").EnumerateArray().Select(BuildLayer).ToArray();
        var model = nn.Sequential(layers);
        if (c.GetProperty("mode").GetString() == "eval") model.eval();

        var state = ReadState(c.GetProperty("state"));
        var engineKeys = model.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var torchKeys = state.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.True(engineKeys.SequenceEqual(torchKeys),
            $"case '{name}': state_dict keys differ: engine [{string.Join(", ", engineKeys)}], PyTorch [{string.Join(", ", torchKeys)}]");
        model.load_state_dict(state);

        var x = ReadTensor(c.GetProperty("input"), requiresGrad: true);
        var target = ReadTensor(c.GetProperty("target"));
        var y = model.call(x);
        check.Tensor("output", y, c.GetProperty("output"));
        var loss = nn.functional.mse_loss(y, target);
        check.Values("loss", [loss.item<float>()], [ReadFloat(c.GetProperty("loss"))], []);
        loss.backward();
        check.Grad("input grad", x, c.GetProperty("input_grad"));
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var g in c.GetProperty("grads").EnumerateObject())
        {
            if (!parameters.TryGetValue(g.Name, out var p)) { check.Add($"parameter '{g.Name}' is missing from the engine's model"); continue; }
            check.Grad($"grad of {g.Name}", p, g.Value);
        }
        check.ThrowIfAny();
    }

    [Theory, MemberData(nameof(Cases), "optimizers")]
    public void Optimizers(string name)
    {
        var c = Case("optimizers", name);
        var check = new Mismatches(name);
        var args = c.GetProperty("args");
        var ps = c.GetProperty("params").EnumerateArray().Select(p => new Parameter(ReadTensor(p))).ToArray();
        bool maximize = Bool(args, "maximize", false);
        optim.Optimizer opt = c.GetProperty("optimizer").GetString() switch
        {
            "SGD" => optim.SGD(ps, learningRate: Num(args, "lr", double.NaN), momentum: Num(args, "momentum", 0), dampening: Num(args, "dampening", 0),
                weight_decay: Num(args, "weight_decay", 0), nesterov: Bool(args, "nesterov", false), maximize: maximize),
            "Adam" => optim.Adam(ps, lr: Num(args, "lr", 1e-3), beta1: Betas(args).b1, beta2: Betas(args).b2, eps: Num(args, "eps", 1e-8),
                weight_decay: Num(args, "weight_decay", 0), amsgrad: Bool(args, "amsgrad", false), maximize: maximize),
            "AdamW" => optim.AdamW(ps, lr: Num(args, "lr", 1e-3), beta1: Betas(args).b1, beta2: Betas(args).b2, eps: Num(args, "eps", 1e-8),
                weight_decay: Num(args, "weight_decay", 1e-2), amsgrad: Bool(args, "amsgrad", false), maximize: maximize),
            "RMSprop" => optim.RMSProp(ps, lr: Num(args, "lr", 1e-2), alpha: Num(args, "alpha", 0.99), eps: Num(args, "eps", 1e-8),
                weight_decay: Num(args, "weight_decay", 0), momentum: Num(args, "momentum", 0), centered: Bool(args, "centered", false), maximize: maximize),
            var other => throw new NotSupportedException($"case '{name}': unknown optimizer {other}"),
        };
        int step = 0;
        foreach (var s in c.GetProperty("steps").EnumerateArray())
        {
            step++;
            var grads = s.GetProperty("grads").EnumerateArray().ToArray();
            for (int i = 0; i < ps.Length; i++) ps[i].grad = tensor(ReadFloats(grads[i]), ps[i].shape);
            opt.step();
            var expected = s.GetProperty("params").EnumerateArray().ToArray();
            for (int i = 0; i < ps.Length; i++)
                check.Values($"param {i} after step {step}", ps[i].ToArray(), ReadFloats(expected[i]), ToInt(ps[i].shape));
        }
        check.ThrowIfAny();
    }

    [Theory, MemberData(nameof(Cases), "schedulers")]
    public void Schedulers(string name)
    {
        var c = Case("schedulers", name);
        var args = c.GetProperty("args");
        var opt = optim.SGD([new Parameter(zeros(1))], learningRate: c.GetProperty("lr0").GetDouble());
        var expected = c.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = new List<double>();
        switch (c.GetProperty("scheduler").GetString())
        {
            case "StepLR":
                var stepLr = optim.lr_scheduler.StepLR(opt, (int)Num(args, "step_size", double.NaN), Num(args, "gamma", 0.1));
                for (int i = 0; i < expected.Length; i++) { opt.step(); stepLr.step(); actual.Add(opt.LearningRate); }
                break;
            case "ReduceLROnPlateau":
                var plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode: Str(args, "mode", "min"), factor: Num(args, "factor", 0.1),
                    patience: (int)Num(args, "patience", 10), threshold: Num(args, "threshold", 1e-4), threshold_mode: Str(args, "threshold_mode", "rel"),
                    cooldown: (int)Num(args, "cooldown", 0), min_lr: Num(args, "min_lr", 0), eps: Num(args, "eps", 1e-8));
                foreach (var m in c.GetProperty("metrics").EnumerateArray()) { opt.step(); plateau.step(m.GetDouble()); actual.Add(opt.LearningRate); }
                break;
            default: throw new NotSupportedException($"case '{name}': unknown scheduler");
        }
        var bad = new List<string>();
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= Tolerance * Math.Abs(expected[i])))
                bad.Add($"  {name} lr after step {i + 1}: expected {expected[i]:R}, actual {actual[i]:R}");
        if (bad.Count > 0)
            Assert.Fail($"case '{name}': {bad.Count} learning rates differ from PyTorch\n" + string.Join("\n", bad) +
                $"\n  expected [{string.Join(", ", expected)}]\n  actual   [{string.Join(", ", actual)}]");
    }

    /// <summary>
    /// Random streams differ from PyTorch's, so this checks the distribution: the empirical std within 5%
    /// of PyTorch's formula (32768 samples: ~0.4% sampling noise; 15% for Linear's 256 biases), |mean| within
    /// 5 standard errors (5·std/√n) of 0, uniform samples inside [−bound, bound] and reaching past ±0.95·bound
    /// (±0.9 for 256 biases).
    /// </summary>
    [Theory, MemberData(nameof(Cases), "init")]
    public void Init(string name)
    {
        var c = Case("init", name);
        var args = c.GetProperty("args");
        var shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var gen = new Generator(20240501);
        Tensor t = c.GetProperty("init").GetString() switch
        {
            "kaiming_uniform_" => nn.init.kaiming_uniform_(empty(shape), a: Num(args, "a", 0), generator: gen),
            "kaiming_normal_" => nn.init.kaiming_normal_(empty(shape), a: Num(args, "a", 0),
                mode: Str(args, "mode", "fan_in") == "fan_in" ? nn.init.FanInOut.FanIn : nn.init.FanInOut.FanOut,
                nonlinearity: Str(args, "nonlinearity", "leaky_relu") switch
                {
                    "relu" => nn.init.NonlinearityType.ReLU,
                    "leaky_relu" => nn.init.NonlinearityType.LeakyReLU,
                    "tanh" => nn.init.NonlinearityType.Tanh,
                    "linear" => nn.init.NonlinearityType.Linear,
                    var o => throw new NotSupportedException(o),
                }, generator: gen),
            "xavier_uniform_" => nn.init.xavier_uniform_(empty(shape), gain: Num(args, "gain", 1), generator: gen),
            "xavier_normal_" => nn.init.xavier_normal_(empty(shape), gain: Num(args, "gain", 1), generator: gen),
            "Linear.weight" => nn.Linear((long)Num(args, "in", 0), (long)Num(args, "out", 0)).weight,
            "Linear.bias" => nn.Linear((long)Num(args, "in", 0), (long)Num(args, "out", 0)).bias!,
            var other => throw new NotSupportedException($"case '{name}': unknown init {other}"),
        };
        Assert.True(t.shape.SequenceEqual(shape), $"case '{name}': shape {Fmt(t.shape)}, expected {Fmt(shape)}");
        var v = t.ToArray();
        double mean = v.Average(x => (double)x);
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        double min = v.Min(), max = v.Max();
        double expectedStd = c.GetProperty("std").GetDouble();
        bool small = v.Length < 1000;
        double stdTol = small ? 0.15 : 0.05, reach = small ? 0.9 : 0.95;
        var report = $"case '{name}': n={v.Length} min={min:G6} max={max:G6} mean={mean:G6} std={std:G6}; expected std {expectedStd:G6}";
        Assert.True(Math.Abs(std / expectedStd - 1) <= stdTol, report + $" (std off by more than {stdTol:P0})");
        Assert.True(Math.Abs(mean) <= 5 * expectedStd / Math.Sqrt(v.Length), report + " (mean more than 5 standard errors from 0)");
        if (c.GetProperty("distribution").GetString() == "uniform")
        {
            double bound = c.GetProperty("bound").GetDouble();
            Assert.True(min >= -bound * (1 + 1e-6) && max <= bound * (1 + 1e-6), report + $" (outside ±{bound:G6})");
            Assert.True(min <= -reach * bound && max >= reach * bound, report + $" (does not reach ±{reach}·{bound:G6})");
        }
    }

    // ------------------------------------------------------------------------------------------
    // op cases: run, compare outputs, backward of sum(out·upstream), compare gradients
    // ------------------------------------------------------------------------------------------

    static void RunOpCase(string family, string name)
    {
        var c = Case(family, name);
        var op = c.GetProperty("op").GetString()!;
        var args = c.GetProperty("args");
        var inputs = c.GetProperty("inputs").EnumerateArray()
            .Select(i => ReadTensor(i, requiresGrad: i.GetProperty("grad").GetBoolean())).ToArray();
        // with backward_passes = n the forward and backward run n times: leaves accumulate their gradients
        int passes = (int)Num(args, "backward_passes", 1);
        var check = new Mismatches(name);
        var expectedOutputs = c.GetProperty("outputs").EnumerateArray().ToArray();
        bool anyBackward = false;
        for (int pass = 0; pass < passes; pass++)
        {
            Tensor[] outputs;
            try { outputs = Apply(op, args, inputs); }
            catch (Exception e) when (e is not NotSupportedException)
            {
                throw new Xunit.Sdk.XunitException($"case '{name}': {op} threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            Assert.True(outputs.Length == expectedOutputs.Length, $"case '{name}': {outputs.Length} outputs, PyTorch has {expectedOutputs.Length}");
            Tensor? objective = null;
            for (int k = 0; k < outputs.Length; k++)
            {
                var e = expectedOutputs[k];
                if (pass == 0) check.Tensor($"output {k}", outputs[k], e);
                if (e.GetProperty("upstream").ValueKind == JsonValueKind.Null) continue;
                var upstream = tensor(ReadFloats(e.GetProperty("upstream")), ReadShape(e.GetProperty("shape")));
                if (!outputs[k].requires_grad) { if (pass == 0) check.Add($"output {k} does not require grad (no graph recorded)"); continue; }
                if (!outputs[k].shape.SequenceEqual(upstream.shape)) continue; // already reported as a shape mismatch
                var term = outputs[k].mul(upstream).sum();
                objective = objective is null ? term : objective.add(term);
            }
            if (objective is null) break;
            objective.backward();
            anyBackward = true;
        }
        if (anyBackward)
        {
            var expectedGrads = c.GetProperty("grads").EnumerateArray().ToArray();
            for (int i = 0; i < inputs.Length; i++)
            {
                if (expectedGrads[i].ValueKind == JsonValueKind.Null)
                {
                    if (inputs[i].grad is not null) check.Add($"input {i} got a gradient but does not require grad");
                    continue;
                }
                check.Grad($"grad of input {i}", inputs[i], expectedGrads[i]);
            }
        }
        check.ThrowIfAny();
    }

    /// <summary>Runs the named op on the engine (the same call the fixture script made on PyTorch).</summary>
    static Tensor[] Apply(string op, JsonElement a, Tensor[] t)
    {
        Tensor x = t[0];
        switch (op)
        {
            // elementwise
            case "neg": return [x.neg()];
            case "exp": return [x.exp()];
            case "log": return [x.log()];
            case "sqrt": return [x.sqrt()];
            case "abs": return [x.abs()];
            case "square": return [x.square()];
            case "pow": return [x.pow(Num(a, "exponent"))];
            case "reciprocal": return [x.reciprocal()];
            case "clamp": return [x.clamp(NumOrNull(a, "min"), NumOrNull(a, "max"))];
            case "clamp_min": return [x.clamp_min(Num(a, "min"))];
            case "clamp_max": return [x.clamp_max(Num(a, "max"))];
            case "relu": return [x.relu()];
            case "leaky_relu": return [x.leaky_relu(Num(a, "negative_slope"))];
            case "sigmoid": return [x.sigmoid()];
            case "tanh": return [x.tanh()];
            case "elu": return [x.elu(Num(a, "alpha"))];
            case "softplus": return [x.softplus(Num(a, "beta"), Num(a, "threshold"))];
            case "gelu": return [x.gelu()];

            // binary
            case "add": return [t[0].add(t[1])];
            case "sub": return [t[0].sub(t[1])];
            case "mul": return [t[0].mul(t[1])];
            case "div": return [t[0].div(t[1])];
            case "maximum": return [t[0].maximum(t[1])];
            case "minimum": return [t[0].minimum(t[1])];
            case "add_alpha": return [t[0].add(t[1], Num(a, "alpha"))];
            case "add_scalar": return [x.add(Num(a, "scalar"))];
            case "mul_scalar": return [x.mul(Num(a, "scalar"))];
            case "sub_scalar": return [x - Num(a, "scalar")];
            case "rsub_scalar": return [Num(a, "scalar") - x];
            case "div_scalar": return [x / Num(a, "scalar")];
            case "rdiv_scalar": return [Num(a, "scalar") / x];

            // reductions
            case "sum": return [x.sum()];
            case "mean": return [x.mean()];
            case "sum_dim":
                return [a.GetProperty("dim").ValueKind == JsonValueKind.Array ? x.sum(Longs(a, "dim"), Bool(a, "keepdim", false)) : x.sum(Long(a, "dim"), Bool(a, "keepdim", false))];
            case "mean_dim":
                return [a.GetProperty("dim").ValueKind == JsonValueKind.Array ? x.mean(Longs(a, "dim"), Bool(a, "keepdim", false)) : x.mean(Long(a, "dim"), Bool(a, "keepdim", false))];
            case "max": return [x.max()];
            case "min": return [x.min()];
            case "max_dim": { var (v, i) = x.max(Long(a, "dim"), Bool(a, "keepdim", false)); return [v, i]; }
            case "min_dim": { var (v, i) = x.min(Long(a, "dim"), Bool(a, "keepdim", false)); return [v, i]; }

            // shape
            case "reshape": return [x.reshape(Longs(a, "shape"))];
            case "view": return [x.view(Longs(a, "shape"))];
            case "flatten": return [x.flatten(Long(a, "start_dim"), Long(a, "end_dim"))];
            case "unflatten": return [x.unflatten(Long(a, "dim"), Longs(a, "sizes"))];
            case "permute": return [x.permute(Longs(a, "dims"))];
            case "transpose": return [x.transpose(Long(a, "dim0"), Long(a, "dim1"))];
            case "t": return [x.t()];
            case "unsqueeze": return [x.unsqueeze(Long(a, "dim"))];
            case "squeeze": return [a.GetProperty("dim").ValueKind == JsonValueKind.Null ? x.squeeze() : x.squeeze(Long(a, "dim"))];
            case "narrow": return [x.narrow(Long(a, "dim"), Long(a, "start"), Long(a, "length"))];
            case "slice": return [x.slice(Long(a, "dim"), Long(a, "start"), Long(a, "stop"), Long(a, "step"))];
            case "index": return [x[Long(a, "index")]];
            case "index_select": return [x.index_select(Long(a, "dim"), Longs(a, "index"))];
            case "cat": return [cat(t, Long(a, "dim"))];
            case "stack": return [stack(t, Long(a, "dim"))];
            case "expand": return [x.expand(Longs(a, "sizes"))];
            case "clone": return [x.clone()];

            // matmul
            case "matmul": return [t[0].matmul(t[1])];
            case "mm": return [t[0].mm(t[1])];
            case "linear": return [nn.functional.linear(t[0], t[1], t.Length > 2 ? t[2] : null)];

            // composite graphs
            case "diamond": return [x.mul(x).add(x.sigmoid().mul(x))];
            case "reuse_broadcast_two_outputs": return [t[0].mul(t[1]).sum(0), t[0].sub(t[1]).exp().mean(1)];
            case "view_chain_matmul": return [t[0].narrow(0, 2, 3).t().matmul(t[1]).relu()];
            case "narrow_reshape_linear": return [nn.functional.linear(t[0].narrow(0, 1, 3).reshape(6, 3), t[1], t[2]).tanh()];
            case "mlp_manual": return [nn.functional.linear(nn.functional.linear(t[0], t[1], t[2]).tanh(), t[3]).softplus()];
            case "softmax_manual":
            {
                var e = x.sub(x.max(1, keepdim: true).values).exp();
                var d = x.sub(x.max(1, keepdim: true).values).exp().sum(1, keepdim: true);
                return [e.div(d)];
            }
            case "stack_cat_permute":
                return [cat([stack([t[0], t[1]], 0).permute(2, 1, 0).reshape(3, 4), t[0].t()], 1).square()];

            // losses (inputs: input, target, then weight / pos_weight when the args say so)
            case "mse_loss": return [nn.functional.mse_loss(t[0], t[1], Red(a))];
            case "l1_loss": return [nn.functional.l1_loss(t[0], t[1], Red(a))];
            case "binary_cross_entropy":
                return [nn.functional.binary_cross_entropy(t[0], t[1], Bool(a, "weight", false) ? t[2] : null, Red(a))];
            case "binary_cross_entropy_with_logits":
            {
                int next = 2;
                var weight = Bool(a, "weight", false) ? t[next++] : null;
                var posWeight = Bool(a, "pos_weight", false) ? t[next++] : null;
                return [nn.functional.binary_cross_entropy_with_logits(t[0], t[1], weight, Red(a), posWeight)];
            }
            case "huber_loss": return [nn.functional.huber_loss(t[0], t[1], Red(a), Num(a, "delta"))];
            case "smooth_l1_loss": return [nn.functional.smooth_l1_loss(t[0], t[1], Red(a), Num(a, "beta"))];
        }
        throw new NotSupportedException($"the fixture test does not know op '{op}'");
    }

    static nn.Module<Tensor, Tensor> BuildLayer(JsonElement l) => l.GetProperty("type").GetString() switch
    {
        "Linear" => nn.Linear(Long(l, "in"), Long(l, "out"), Bool(l, "bias", true)),
        "ReLU" => nn.ReLU(),
        "Sigmoid" => nn.Sigmoid(),
        "Tanh" => nn.Tanh(),
        "LeakyReLU" => nn.LeakyReLU(Num(l, "negative_slope")),
        "ELU" => nn.ELU(Num(l, "alpha")),
        "Softplus" => nn.Softplus(Num(l, "beta"), Num(l, "threshold")),
        "GELU" => nn.GELU(),
        "Flatten" => nn.Flatten(Long(l, "start_dim"), Long(l, "end_dim")),
        "Unflatten" => nn.Unflatten(Long(l, "dim"), Longs(l, "sizes")),
        "Dropout" => nn.Dropout(Num(l, "p")),
        "Identity" => nn.Identity(),
        var other => throw new NotSupportedException($"unknown layer {other}"),
    };

    // ------------------------------------------------------------------------------------------
    // JSON helpers of this suite (the shared ones are in FixtureSupport)
    // ------------------------------------------------------------------------------------------

    static (double b1, double b2) Betas(JsonElement args)
    {
        if (!Has(args, "betas")) return (0.9, 0.999);
        var b = args.GetProperty("betas").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return (b[0], b[1]);
    }

    static Reduction Red(JsonElement a) => a.GetProperty("reduction").GetString() switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        var r => throw new NotSupportedException($"reduction {r}"),
    };
}
