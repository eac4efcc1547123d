using AeNotebooks.Torch.Modules;
using Xunit;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Tests;

/// <summary>Tests that change the global thread count run alone.</summary>
[CollectionDefinition("threads", DisableParallelization = true)]
public sealed class ThreadsCollection { }

/// <summary>Engine behaviour that is not a gradient: shapes, errors, graph bookkeeping, modules, creation, utilities.</summary>
public class EngineBehaviourTests
{
    static Tensor T(float[] values, params long[] shape) => tensor(values, shape);
    static Tensor T(params float[] values) => tensor(values);
    static string Fmt(long[] s) => "[" + string.Join(", ", s) + "]";

    static float[] Seq(int n, float start = 1f, float step = 1f) => Enumerable.Range(0, n).Select(i => start + i * step).ToArray();

    static long Numel(long[] s) => s.Aggregate(1L, (a, b) => a * b);

    // =====================================================================================
    // broadcasting
    // =====================================================================================

    public static TheoryData<long[], long[], long[]> BroadcastShapes => new()
    {
        { [2, 3], [2, 3], [2, 3] },
        { [2, 3], [3], [2, 3] },
        { [3], [2, 3], [2, 3] },
        { [2, 3], [2, 1], [2, 3] },
        { [3, 1], [1, 4], [3, 4] },
        { [2, 1, 4], [3, 1], [2, 3, 4] },
        { [5, 1, 3], [4, 1], [5, 4, 3] },
        { [], [2, 3], [2, 3] },
        { [2, 3], [], [2, 3] },
        { [], [], [] },
        { [1], [2, 3], [2, 3] },
        { [4], [3, 1], [3, 4] },
        { [1, 1], [5], [1, 5] },
    };

    /// <summary>Index into a tensor of shape `shape` for an output multi-index under broadcasting.</summary>
    static int BroadcastSource(long[] outIndex, long[] shape)
    {
        int flat = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            long i = outIndex[outIndex.Length - shape.Length + d];
            flat = (int)(flat * shape[d] + (shape[d] == 1 ? 0 : i));
        }
        return flat;
    }

    [Theory, MemberData(nameof(BroadcastShapes))]
    public void BinaryOpsBroadcastShapesAndValues(long[] sa, long[] sb, long[] expected)
    {
        var g = new Generator(3);
        var a = rand(sa, g) * 4 - 2;
        var b = rand(sb, g) + 0.5; // positive: safe divisor
        var av = a.ToArray(); var bv = b.ToArray();
        var ops = new (string name, Func<Tensor, Tensor, Tensor> op, Func<float, float, float> reference)[]
        {
            ("add", (x, y) => x.add(y), (x, y) => x + y),
            ("sub", (x, y) => x.sub(y), (x, y) => x - y),
            ("mul", (x, y) => x.mul(y), (x, y) => x * y),
            ("div", (x, y) => x.div(y), (x, y) => x / y),
            ("maximum", (x, y) => x.maximum(y), MathF.Max),
            ("minimum", (x, y) => x.minimum(y), MathF.Min),
            ("operator +", (x, y) => x + y, (x, y) => x + y),
            ("operator *", (x, y) => x * y, (x, y) => x * y),
        };
        foreach (var (name, op, reference) in ops)
        {
            var y = op(a, b);
            Assert.True(expected.SequenceEqual(y.shape), $"{name}: {Fmt(sa)} ⊕ {Fmt(sb)} gave shape {Fmt(y.shape)}, expected {Fmt(expected)}");
            var yv = y.ToArray();
            var index = new long[expected.Length];
            for (int k = 0; k < yv.Length; k++)
            {
                // unravel k
                long rest = k;
                for (int d = expected.Length - 1; d >= 0; d--) { index[d] = rest % expected[d]; rest /= expected[d]; }
                float want = reference(av[BroadcastSource(index, sa)], bv[BroadcastSource(index, sb)]);
                Assert.True(want == yv[k], $"{name}: {Fmt(sa)} ⊕ {Fmt(sb)} element {k}: got {yv[k]}, expected {want}");
            }
        }
    }

    public static TheoryData<string, long[], long[]> MismatchedShapes => new()
    {
        { "add", [2, 3], [4] },
        { "sub", [2, 3], [3, 2] },
        { "mul", [4, 3], [2, 3] },
        { "div", [2, 3, 4], [3, 3] },
        { "maximum", [5], [4] },
        { "minimum", [2, 2], [3, 1] },
    };

    [Theory, MemberData(nameof(MismatchedShapes))]
    public void ShapeMismatchMessageNamesOpAndBothShapes(string op, long[] sa, long[] sb)
    {
        var a = zeros(sa); var b = zeros(sb);
        Func<Tensor> call = op switch
        {
            "add" => () => a.add(b),
            "sub" => () => a.sub(b),
            "mul" => () => a.mul(b),
            "div" => () => a.div(b),
            "maximum" => () => a.maximum(b),
            _ => () => a.minimum(b),
        };
        var e = Assert.Throws<ArgumentException>(() => call());
        Assert.Contains(op, e.Message);
        Assert.Contains(Fmt(sa), e.Message);
        Assert.Contains(Fmt(sb), e.Message);
    }

    [Fact]
    public void OperatorShapeMismatchNamesTheUnderlyingOp()
    {
        var e = Assert.Throws<ArgumentException>(() => zeros(2, 3) + zeros(2, 4));
        Assert.Contains("add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[2, 4]", e.Message);
    }

    [Fact]
    public void OtherShapeErrorsNameOpAndShapes()
    {
        var mm = Assert.Throws<ArgumentException>(() => zeros(2, 3).mm(zeros(4, 5)));
        Assert.Contains("mm", mm.Message); Assert.Contains("[2, 3]", mm.Message); Assert.Contains("[4, 5]", mm.Message);

        var bmm = Assert.Throws<ArgumentException>(() => zeros(2, 3, 4).matmul(zeros(2, 5, 6)));
        Assert.Contains("matmul", bmm.Message); Assert.Contains("[2, 3, 4]", bmm.Message); Assert.Contains("[2, 5, 6]", bmm.Message);

        var mse = Assert.Throws<ArgumentException>(() => nn.functional.mse_loss(zeros(4, 1), zeros(4)));
        Assert.Contains("mse_loss", mse.Message); Assert.Contains("[4, 1]", mse.Message); Assert.Contains("[4]", mse.Message);

        var cat = Assert.Throws<ArgumentException>(() => torch.cat([zeros(2, 3), zeros(2, 4)], 0));
        Assert.Contains("cat", cat.Message); Assert.Contains("[2, 3]", cat.Message); Assert.Contains("[2, 4]", cat.Message);

        var reshape = Assert.Throws<ArgumentException>(() => zeros(2, 3).reshape(4, 2));
        Assert.Contains("reshape", reshape.Message); Assert.Contains("[2, 3]", reshape.Message); Assert.Contains("[4, 2]", reshape.Message);

        var lin = Assert.Throws<ArgumentException>(() => nn.functional.linear(zeros(3, 5), zeros(2, 4)));
        Assert.Contains("linear", lin.Message); Assert.Contains("[3, 5]", lin.Message); Assert.Contains("[2, 4]", lin.Message);
    }

    [Fact]
    public void LinearModuleShapeErrorIsExact()
    {
        var layer = nn.Linear(100, 32);
        var e = Assert.Throws<ArgumentException>(() => layer.forward(zeros(128, 784)));
        Assert.Equal("Linear(100→32) expects [*, 100], got [128, 784]", e.Message);
    }

    [Fact]
    public void SequentialShapeErrorNamesTheLayer()
    {
        var model = nn.Sequential(("encoder", nn.Linear(8, 4)), ("act", nn.ReLU()), ("head", nn.Linear(5, 1)));
        var e = Assert.Throws<ArgumentException>(() => model.forward(zeros(2, 8)));
        Assert.Contains("head", e.Message);
        Assert.Contains("Linear(5→1) expects [*, 5], got [2, 4]", e.Message);
    }

    // =====================================================================================
    // autograd bookkeeping
    // =====================================================================================

    [Fact]
    public void GradientsAccumulateAcrossTwoBackwardCalls()
    {
        var x = T([1f, -2f, 3f], 3).requires_grad_();
        (x * x).sum().backward();
        Assert.Equal([2f, -4f, 6f], x.grad!.ToArray());
        (x * 3).sum().backward();
        Assert.Equal([5f, -1f, 9f], x.grad!.ToArray()); // 2x + 3
    }

    [Fact]
    public void GradientsAccumulateWhenTheRootIsALeaf()
    {
        // PyTorch: x.backward() twice on a scalar leaf gives x.grad == 2
        var s = tensor(3f, requires_grad: true);
        s.backward();
        s.backward();
        Assert.Equal(2f, s.grad!.item<float>());

        var v = T([1f, 2f], 2).requires_grad_();
        v.backward(T([1f, 2f], 2));
        v.backward(T([1f, 2f], 2));
        Assert.Equal([2f, 4f], v.grad!.ToArray());
    }

    [Fact]
    public void NonLeafGradientsAreNotRetained()
    {
        var x = T([1f, 2f], 2).requires_grad_();
        var y = x * 2;
        y.sum().backward();
        Assert.Null(y.grad);
        Assert.False(y.is_leaf);
        Assert.Equal([2f, 2f], x.grad!.ToArray());
    }

    [Fact]
    public void NoGradRecordsNoGraphAndNestedScopesRestore()
    {
        var x = T([1f, 2f], 2).requires_grad_();
        Assert.True(is_grad_enabled());
        using (no_grad())
        {
            Assert.False(is_grad_enabled());
            var y = x * 2;
            Assert.False(y.requires_grad);
            Assert.Null(y.grad_fn);
            Assert.True(y.is_leaf);
            Assert.Throws<InvalidOperationException>(() => y.sum().backward());

            using (no_grad()) Assert.False(is_grad_enabled());
            Assert.False(is_grad_enabled()); // inner scope restored "disabled", not "enabled"

            using (enable_grad())
            {
                Assert.True(is_grad_enabled());
                var z = x * 2;
                Assert.True(z.requires_grad);
                Assert.Equal("mul", z.grad_fn);
            }
            Assert.False(is_grad_enabled());
        }
        Assert.True(is_grad_enabled());
        Assert.True((x * 2).requires_grad);
    }

    [Fact]
    public void NoGradScopeIsRestoredWhenAnExceptionEscapes()
    {
        try
        {
            using (no_grad()) throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException) { }
        Assert.True(is_grad_enabled());
    }

    [Fact]
    public void DetachCutsTheGraphButSharesData()
    {
        var x = T([1f, 2f, 3f], 3).requires_grad_();
        var d = x.detach();
        Assert.False(d.requires_grad);
        Assert.True(d.is_leaf);
        Assert.Equal(x.ToArray(), d.ToArray());

        (x * x.detach()).sum().backward(); // d/dx (x · const) = const = x, not 2x
        Assert.Equal([1f, 2f, 3f], x.grad!.ToArray());

        var y = (x * 2).detach();
        Assert.False(y.requires_grad);
        Assert.Null(y.grad_fn);

        d.fill_(7); // shares storage, as in PyTorch
        Assert.Equal([7f, 7f, 7f], x.ToArray());
    }

    [Fact]
    public void RequiresGradPropagates()
    {
        var x = T([1f, 2f], 2).requires_grad_();
        var c = T([3f, 4f], 2);
        Assert.True(x.is_leaf); Assert.True(c.is_leaf);
        Assert.False(c.requires_grad);
        Assert.False((c * c).requires_grad);
        Assert.False(c.exp().sum().requires_grad);
        var y = x + c;
        Assert.True(y.requires_grad);
        Assert.Equal("add", y.grad_fn);
        Assert.Equal("sum", (c * y).sum().grad_fn);
        Assert.True(stack([c, x], 0).requires_grad);
        Assert.True(torch.cat([c, x], 0).requires_grad);
        Assert.True(c.matmul(x).requires_grad);
        Assert.Throws<InvalidOperationException>(() => y.requires_grad = false);
        Assert.Same(c, c.requires_grad_());
        Assert.True(c.requires_grad);
        Assert.True(zeros([2], requires_grad: true).requires_grad);
        Assert.True(new Parameter(zeros(2)).requires_grad);
        Assert.False(new Parameter(zeros(2), requires_grad: false).requires_grad);
    }

    [Fact]
    public void BackwardOnANonScalarNeedsAGradient()
    {
        var x = T([1f, 2f, 3f, 4f, 5f, 6f], 2, 3).requires_grad_();
        var y = x * 2;
        var e = Assert.Throws<InvalidOperationException>(() => y.backward());
        Assert.Contains("[2, 3]", e.Message);
        Assert.Null(x.grad);

        Assert.Throws<ArgumentException>(() => y.backward(ones(3, 2)));
        y.backward(T([1f, 0f, 2f, 0f, 1f, 3f], 2, 3));
        Assert.Equal([2f, 0f, 4f, 0f, 2f, 6f], x.grad!.ToArray());

        Assert.Throws<InvalidOperationException>(() => T([1f], 1).backward()); // requires no grad
    }

    [Fact]
    public void TensorHookOnAnIntermediateSeesAndReplacesTheGradient()
    {
        var x = T([1f, -2f, 3f], 3).requires_grad_();
        float[]? seen = null;
        var y = x * 3;
        y.register_hook(g => { seen = g.ToArray(); return null!; }); // observe only
        (y * y).sum().backward();
        Assert.Equal([6f, -12f, 18f], seen!);              // dL/dy = 2y
        Assert.Equal([18f, -36f, 54f], x.grad!.ToArray()); // 3 · 2y

        x.grad = null;
        var z = x * 3;
        z.register_hook(g => g * 0.5);
        z.register_hook(g => { seen = g.ToArray(); return g + 1; }); // hooks chain: sees the replaced gradient
        (z * z).sum().backward();
        Assert.Equal([3f, -6f, 9f], seen!);
        Assert.Equal([12f, -15f, 30f], x.grad!.ToArray()); // 3 · (0.5 · 2z + 1)

        var w = x * 1;
        w.register_hook(_ => zeros(2));
        Assert.Throws<ArgumentException>(() => w.sum().backward()); // wrong shape
    }

    [Fact]
    public void TensorHookOnALeafSeesAndReplacesTheGradient()
    {
        // PyTorch: a hook on a leaf runs before the gradient is accumulated into .grad
        var x = T([1f, -2f, 3f], 3).requires_grad_();
        float[]? seen = null;
        x.register_hook(g => { seen = g.ToArray(); return g * 2; });
        (x * x).sum().backward();
        Assert.True(seen is not null, "register_hook on a leaf tensor was never called during backward()");
        Assert.Equal([2f, -4f, 6f], seen!);
        Assert.Equal([4f, -8f, 12f], x.grad!.ToArray());
    }

    [Fact]
    public void AConstantOperandGetsNoGradient()
    {
        var a = T([1f, 2f, 3f, 4f, 5f, 6f], 2, 3).requires_grad_();
        var b = T([2f, -1f, 0.5f], 3);
        (a * b).sum().backward();
        Assert.Null(b.grad);
        Assert.Equal([2f, -1f, 0.5f, 2f, -1f, 0.5f], a.grad!.ToArray());
    }

    [Fact]
    public void MaxAndMinAlongADimensionReturnValuesAndIndexes()
    {
        var x = T([3f, 9f, 1f, 7f, 2f, 8f], 2, 3);
        var (v1, i1) = x.max(1);
        Assert.Equal([9f, 8f], v1.ToArray()); Assert.Equal([1f, 2f], i1.ToArray());
        var (v0, i0) = x.min(0, keepdim: true);
        Assert.Equal([1L, 3L], v0.shape);
        Assert.Equal([3f, 2f, 1f], v0.ToArray()); Assert.Equal([0f, 1f, 0f], i0.ToArray());
        Assert.Equal(9f, x.max().item<float>());
        Assert.Equal(1f, x.min().item<float>());
    }

    [Fact]
    public void TiedExtremesShareTheGradientAsInPyTorch()
    {
        // max()/min() over all elements: evenly distributed among ties
        var x = T([1f, 3f, 3f, 2f], 4).requires_grad_();
        x.max().backward();
        Assert.Equal([0f, 0.5f, 0.5f, 0f], x.grad!.ToArray());
        // maximum(a, b) at a tie: half to each operand
        var a = T([1f, 2f], 2).requires_grad_(); var b = T([1f, 3f], 2).requires_grad_();
        a.maximum(b).sum().backward();
        Assert.Equal([0.5f, 0f], a.grad!.ToArray());
        Assert.Equal([0.5f, 1f], b.grad!.ToArray());
    }

    // =====================================================================================
    // modules
    // =====================================================================================

    static Sequential NestedModel() => nn.Sequential(
        ("encoder", nn.Sequential(("fc1", nn.Linear(6, 5)), ("act", nn.Tanh()), ("fc2", nn.Linear(5, 3)))),
        ("dropout", nn.Dropout(0.25)),
        ("head", nn.Linear(3, 2, hasBias: false)));

    [Fact]
    public void NamedParametersInNestedSequentialWithTupleNames()
    {
        var model = NestedModel();
        var names = model.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(["encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight", "encoder.fc2.bias", "head.weight"], names);
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => Fmt(p.parameter.shape));
        Assert.Equal("[5, 6]", shapes["encoder.fc1.weight"]);
        Assert.Equal("[5]", shapes["encoder.fc1.bias"]);
        Assert.Equal("[2, 3]", shapes["head.weight"]);
        Assert.Empty(model.named_parameters(recurse: false));

        var positional = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], positional.named_parameters().Select(p => p.name));
        Assert.Equal(["", "encoder", "encoder.fc1", "encoder.act", "encoder.fc2", "dropout", "head"], model.named_modules().Select(m => m.name));
    }

    [Fact]
    public void TrainAndEvalPropagateToEveryChild()
    {
        var model = NestedModel();
        Assert.All(model.modules(), m => Assert.True(m.training));
        model.eval();
        Assert.All(model.modules(), m => Assert.False(m.training, $"{m.name} is still training after eval()"));
        model.train();
        Assert.All(model.modules(), m => Assert.True(m.training, $"{m.name} is not training after train()"));
        model.train(false);
        Assert.All(model.modules(), m => Assert.False(m.training));
    }

    [Fact]
    public void DropoutInEvalModeIsIdentity()
    {
        var x = rand([50, 40], new Generator(4)) + 0.5;
        var dropout = nn.Dropout(0.5);
        dropout.eval();
        Assert.Equal(x.ToArray(), dropout.forward(x).ToArray());
        Assert.Equal(x.ToArray(), nn.functional.dropout(x, 0.9, training: false).ToArray());
    }

    [Fact]
    public void DropoutInTrainingModeZeroesAboutPAndScalesTheRest()
    {
        var x = rand([100, 100], new Generator(4)) + 0.5;
        var xv = x.ToArray();
        var y = nn.functional.dropout(x, 0.3, training: true, generator: new Generator(8)).ToArray();
        int zeros = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] == 0f) { zeros++; continue; }
            Assert.True(Math.Abs(y[i] - xv[i] / 0.7) <= 1e-5 * Math.Abs(xv[i] / 0.7), $"kept element {i}: {y[i]} is not x/(1−p) = {xv[i] / 0.7}");
        }
        // 10 000 Bernoulli(0.3): sd of the fraction ≈ 0.0046, so ±0.02 is > 4 sd
        Assert.InRange(zeros / 10000.0, 0.28, 0.32);
    }

    [Fact]
    public void StateDictRoundTrip()
    {
        var a = NestedModel(); var b = NestedModel();
        var g = new Generator(10);
        foreach (var p in a.parameters()) p.uniform_(-1, 1, g);
        foreach (var p in b.parameters()) p.uniform_(-1, 1, g);
        var x = rand([4, 6], g);
        a.eval(); b.eval();
        Assert.NotEqual(a.forward(x).ToArray(), b.forward(x).ToArray());

        var state = a.state_dict();
        Assert.Equal(a.named_parameters().Select(p => p.name).OrderBy(n => n), state.Keys.OrderBy(n => n));
        var (missing, unexpected) = b.load_state_dict(state);
        Assert.Empty(missing); Assert.Empty(unexpected);
        foreach (var ((na, pa), (nb, pb)) in a.named_parameters().Zip(b.named_parameters()))
        {
            Assert.Equal(na, nb);
            Assert.Equal(pa.ToArray(), pb.ToArray());
            Assert.NotSame(pa, pb);
        }
        Assert.Equal(a.forward(x).ToArray(), b.forward(x).ToArray());

        // a copy, not an alias: changing the source afterwards leaves the target alone
        var before = b.parameters().First().ToArray();
        a.parameters().First().fill_(42);
        Assert.Equal(before, b.parameters().First().ToArray());
    }

    [Fact]
    public void LoadStateDictShapeMismatchNamesTheKey()
    {
        var target = nn.Sequential(("enc", nn.Linear(3, 4)));
        var source = nn.Sequential(("enc", nn.Linear(3, 5)));
        var e = Assert.Throws<ArgumentException>(() => target.load_state_dict(source.state_dict()));
        Assert.Contains("enc.weight", e.Message);
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("[5, 3]", e.Message);
    }

    [Fact]
    public void LoadStateDictStrictNamesMissingAndUnexpectedKeys()
    {
        var target = nn.Sequential(("enc", nn.Linear(3, 4)));
        var source = nn.Sequential(("dec", nn.Linear(3, 4)));
        var e = Assert.Throws<ArgumentException>(() => target.load_state_dict(source.state_dict()));
        Assert.Contains("enc.weight", e.Message);
        Assert.Contains("dec.weight", e.Message);

        var state = source.state_dict();
        state.Remove("dec.bias");
        var (missing, unexpected) = target.load_state_dict(state, strict: false);
        Assert.Equal(["enc.weight", "enc.bias"], missing.OrderByDescending(s => s));
        Assert.Equal(["dec.weight"], unexpected);
    }

    [Fact]
    public void SaveAndLoadRoundTripThroughATempFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"aenb-state-{Guid.NewGuid():N}.bin");
        try
        {
            var a = NestedModel(); var b = NestedModel();
            var g = new Generator(11);
            foreach (var p in a.parameters()) p.uniform_(-1, 1, g);
            a.save(path);
            Assert.True(new FileInfo(path).Length > 0);
            b.load(path);
            foreach (var ((na, pa), (nb, pb)) in a.named_parameters().Zip(b.named_parameters()))
            {
                Assert.Equal(na, nb);
                Assert.Equal(pa.shape, pb.shape);
                Assert.Equal(pa.ToArray(), pb.ToArray()); // bit-exact float32 round trip
            }
            var wrong = nn.Sequential(nn.Linear(6, 5));
            Assert.ThrowsAny<ArgumentException>(() => wrong.load(path)); // names differ: strict load says so
        }
        finally { File.Delete(path); }
    }

    public static TheoryData<string> GarbageFiles => new() { "text", "empty", "0xFF bytes", "random bytes", "truncated model file", "valid header, absurd shape" };

    [Theory, MemberData(nameof(GarbageFiles))]
    public void LoadOfAGarbageFileGivesAClearError(string kind)
    {
        var path = Path.Combine(Path.GetTempPath(), $"aenb-garbage-{Guid.NewGuid():N}.bin");
        try
        {
            switch (kind)
            {
                case "text": File.WriteAllText(path, "this is not a model file, just some text\n"); break;
                case "empty": File.WriteAllBytes(path, []); break;
                case "0xFF bytes": File.WriteAllBytes(path, Enumerable.Repeat((byte)0xFF, 64).ToArray()); break;
                case "random bytes":
                    var bytes = new byte[256]; new Random(5).NextBytes(bytes); File.WriteAllBytes(path, bytes); break;
                case "truncated model file":
                    nn.Linear(20, 10).save(path);
                    var full = File.ReadAllBytes(path);
                    File.WriteAllBytes(path, full[..(full.Length / 2)]);
                    break;
                default:
                    using (var w = new BinaryWriter(File.Create(path)))
                    {
                        w.Write("AENB-STATE-1"); w.Write(1); w.Write("weight");
                        w.Write(2); w.Write(-5); w.Write(3); // a negative dimension
                    }
                    break;
            }
            var model = nn.Linear(20, 10);
            var e = Assert.ThrowsAny<Exception>(() => model.load(path));
            Assert.True(e is InvalidDataException, $"load of a {kind} file threw {e.GetType().Name}: {e.Message} (expected InvalidDataException naming the file)");
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ParameterCountSumsEveryParameter()
    {
        Assert.Equal(10 * 5 + 5, nn.Linear(10, 5).parameter_count());
        Assert.Equal(10 * 5, nn.Linear(10, 5, hasBias: false).parameter_count());
        Assert.Equal((6 * 5 + 5) + (5 * 3 + 3) + 3 * 2, NestedModel().parameter_count());
        Assert.Equal(0, nn.ReLU().parameter_count());
        var model = NestedModel();
        Assert.Equal(model.parameters().Sum(p => p.ToArray().Length), model.parameter_count());
    }

    [Fact]
    public void ForwardHookOnAChildInsideSequential()
    {
        var first = nn.Linear(3, 4); var act = nn.Tanh(); var last = nn.Linear(4, 2);
        var model = nn.Sequential(first, act, last);
        var x = rand([5, 3], new Generator(12));
        Tensor? hookIn = null, hookOut = null;
        int calls = 0;
        nn.Module<Tensor, Tensor>? hookModule = null;
        var handle = model[1].register_forward_hook((m, input, output) => { calls++; hookModule = m; hookIn = input; hookOut = output; return null!; });
        var y = model.forward(x);

        Assert.Equal(1, calls);
        Assert.Same(act, hookModule);
        var expectedIn = nn.functional.linear(x, first.weight, first.bias);
        Assert.Equal(expectedIn.ToArray(), hookIn!.ToArray());
        Assert.Equal(expectedIn.tanh().ToArray(), hookOut!.ToArray());
        Assert.Equal(nn.functional.linear(hookOut, last.weight, last.bias).ToArray(), y.ToArray());

        // a hook that returns a tensor replaces the child's output
        var replace = model[1].register_forward_hook((m, input, output) => zeros_like(output));
        var replaced = model.forward(x).ToArray();
        var bias = last.bias!.ToArray();
        for (int i = 0; i < replaced.Length; i++) Assert.Equal(bias[i % 2], replaced[i]);
        Assert.Equal(2, calls);

        handle.Dispose();
        replace.remove_();
        var again = model.forward(x);
        Assert.Equal(2, calls); // removed
        Assert.Equal(y.ToArray(), again.ToArray());
    }

    [Fact]
    public void ForwardPreHookCanReplaceTheInput()
    {
        var layer = nn.Linear(2, 2);
        var model = nn.Sequential(layer);
        var x = rand([3, 2], new Generator(2));
        using (layer.register_forward_pre_hook((m, input) => input * 2))
        {
            Assert.Equal(layer.forward(x * 2).ToArray(), model.forward(x).ToArray());
        }
        Assert.Equal(layer.forward(x).ToArray(), model.forward(x).ToArray());
    }

    // =====================================================================================
    // tensor accessors
    // =====================================================================================

    [Fact]
    public void ItemIntReadsAnInteger()
    {
        Assert.Equal(-3, tensor(-3f).item<int>());
        Assert.Equal(7, tensor(7.9f).item<int>()); // truncates like a C# cast
    }

    [Fact]
    public void ItemDataAndToString()
    {
        Assert.Equal(2.5f, tensor(2.5f).item<float>());
        Assert.Equal(2.5, tensor(2.5f).item<double>());
        Assert.Equal(-3L, tensor(-3f).item<long>());
        Assert.True(tensor(2.5f).item<bool>());
        Assert.False(tensor(0f).item<bool>());
        Assert.True(T([-1f], 1).item<bool>());
        Assert.Equal(7f, T([7f], 1, 1).item<float>());
        var e = Assert.Throws<InvalidOperationException>(() => zeros(2, 3).item<float>());
        Assert.Contains("[2, 3]", e.Message);

        var x = T(Seq(6), 2, 3);
        var data = x.data<float>();
        Assert.Equal(6, data.Count);
        Assert.Equal(Seq(6), data.ToArray());
        Assert.Equal(Seq(6), data.ToList());
        Assert.Equal(5f, data[4]);
        Assert.Throws<IndexOutOfRangeException>(() => data[6]);
        Assert.Throws<NotSupportedException>(() => x.data<double>());
        Assert.Equal([4f, 5f, 6f], x[1].data<float>().ToArray()); // a view reads its own window

        var s = x.ToString();
        Assert.Contains("[2, 3]", s);
        Assert.Contains("float32", s);
        Assert.Contains("[4, 5, 6]", s);
        Assert.Contains("requires_grad", x.requires_grad_().ToString());
        Assert.Contains("grad_fn=mul", (x * 2).ToString());
        var big = zeros(1000).ToString();
        Assert.Contains("[1000]", big);
        Assert.Contains("...", big);
        Assert.True(big.Length < 200, "a 1000-element tensor should print elided");
    }

    // =====================================================================================
    // creation
    // =====================================================================================

    [Fact]
    public void CreationFunctions()
    {
        Assert.Equal(new float[6], zeros(2, 3).ToArray());
        Assert.Equal([2L, 3L], zeros(2, 3).shape);
        Assert.Equal(Enumerable.Repeat(1f, 4), ones(2, 2).ToArray());
        Assert.Equal(Enumerable.Repeat(-1.5f, 6), full([3, 2], -1.5).ToArray());
        Assert.Equal([3L, 2L], full([3, 2], 0).shape);
        Assert.Equal([0f, 1f, 2f, 3f, 4f], arange(5).ToArray());
        Assert.Equal([1f, 1.25f, 1.5f, 1.75f], arange(1, 2, 0.25).ToArray());
        Assert.Equal([5f, 3f, 1f], arange(5, 0, -2).ToArray());
        Assert.Throws<ArgumentException>(() => arange(0, 5, -1));
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f, 1f], linspace(0, 1, 5).ToArray());
        Assert.Equal([-1f, 0f, 1f], linspace(-1, 1, 3).ToArray());
        Assert.Equal([2f], linspace(2, 3, 1).ToArray());
        Assert.Equal(0L, tensor(3f).dim());
        Assert.Empty(tensor(3f).shape);
        var m = tensor(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal([2L, 3L], m.shape);
        Assert.Equal(Seq(6), m.ToArray());
        Assert.Throws<ArgumentException>(() => tensor(new float[] { 1, 2, 3 }, [2, 2]));
        Assert.Equal([2L, 3L], zeros_like(m).shape);
        Assert.Equal(Enumerable.Repeat(1f, 6), ones_like(m).ToArray());
        Assert.Equal(Enumerable.Repeat(9f, 6), full_like(m, 9).ToArray());
        var source = new float[] { 1, 2 };
        var t = tensor(source);
        source[0] = 99;
        Assert.Equal(1f, t.ToArray()[0]); // tensor() copies its data
    }

    [Fact]
    public void RandIsUniformInZeroOne()
    {
        var v = rand([100_000], new Generator(21)).ToArray();
        Assert.All(v, x => Assert.True(x >= 0f && x < 1f, $"rand value {x} outside [0, 1)"));
        double mean = v.Average(x => (double)x);
        double variance = v.Average(x => (x - mean) * (x - mean));
        // n = 1e5: sd(mean) = 0.0009, sd(var) ≈ 0.0003, so these bounds are > 5 sd
        Assert.InRange(mean, 0.495, 0.505);
        Assert.InRange(variance, 1.0 / 12 - 0.002, 1.0 / 12 + 0.002);
        var deciles = new int[10];
        foreach (var x in v) deciles[(int)(x * 10)]++;
        Assert.All(deciles, c => Assert.InRange(c, 9_500, 10_500)); // sd ≈ 95 per bin
        Assert.All(rand(1000).ToArray(), x => Assert.True(x >= 0f && x < 1f)); // default generator
        Assert.Equal([4L, 5L], rand_like(zeros(4, 5)).shape);
    }

    [Fact]
    public void RandnHasMeanZeroAndStdOne()
    {
        var v = randn([100_000], new Generator(22)).ToArray();
        double mean = v.Average(x => (double)x);
        double std = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
        // sd(mean) = 0.0032, sd(std) ≈ 0.0022
        Assert.InRange(mean, -0.015, 0.015);
        Assert.InRange(std, 0.985, 1.015);
        double within1 = v.Count(x => Math.Abs(x) < 1) / (double)v.Length, within2 = v.Count(x => Math.Abs(x) < 2) / (double)v.Length;
        Assert.InRange(within1, 0.6827 - 0.01, 0.6827 + 0.01);
        Assert.InRange(within2, 0.9545 - 0.005, 0.9545 + 0.005);
        Assert.All(v, x => Assert.True(float.IsFinite(x)));
        Assert.Equal([3L, 2L], randn_like(zeros(3, 2)).shape);
    }

    // =====================================================================================
    // utilities
    // =====================================================================================

    [Fact]
    public void ClipGradNormReturnsTheNormAndScales()
    {
        var p1 = new Parameter(zeros(2)); var p2 = new Parameter(zeros(1)); var p3 = new Parameter(zeros(3));
        p1.grad = T([3f, 4f], 2); p2.grad = T([12f], 1); // joint 2-norm 13; p3 has no grad
        double norm = nn.utils.clip_grad_norm_([p1, p2, p3], 6.5);
        Assert.Equal(13.0, norm, 5);
        double scale = 6.5 / (13 + 1e-6);
        AssertClose([3 * scale, 4 * scale], p1.grad!.ToArray(), 1e-6);
        AssertClose([12 * scale], p2.grad!.ToArray(), 1e-6);
        Assert.Null(p3.grad);

        // below the limit: untouched
        p1.grad = T([3f, 4f], 2);
        Assert.Equal(5.0, nn.utils.clip_grad_norm_([p1], 10), 5);
        Assert.Equal([3f, 4f], p1.grad!.ToArray());

        // infinity norm
        p1.grad = T([3f, -8f], 2); p2.grad = T([2f], 1);
        Assert.Equal(8.0, nn.utils.clip_grad_norm_([p1, p2], 4, double.PositiveInfinity), 5);
        AssertClose([1.5, -4], p1.grad!.ToArray(), 1e-5);
        AssertClose([1], p2.grad!.ToArray(), 1e-5);

        // the gradient after clipping has norm max_norm
        var model = nn.Linear(5, 3);
        nn.functional.mse_loss(model.forward(rand([4, 5], new Generator(1)) * 10), zeros(4, 3)).backward();
        double before = nn.utils.clip_grad_norm_(model.parameters(), 0.1);
        Assert.True(before > 0.1, $"test set-up: gradient norm {before} should exceed 0.1");
        double after = Math.Sqrt(model.parameters().Sum(p => p.grad!.ToArray().Sum(v => (double)v * v)));
        Assert.Equal(0.1, after, 4);
    }

    static void AssertClose(double[] expected, float[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: {actual[i]} vs expected {expected[i]}");
    }

    [Fact]
    public void NanInfChecksAnyAndAll()
    {
        var x = T(1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -2.5f);
        Assert.Equal([0f, 1f, 0f, 0f, 0f, 0f], x.isnan().ToArray());
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f], x.isinf().ToArray());
        Assert.Equal([1f, 0f, 0f, 0f, 1f, 1f], x.isfinite().ToArray());
        Assert.True(x.isnan().any().item<bool>());
        Assert.False(x.isfinite().all().item<bool>());
        Assert.False(T(1f, 2f).isnan().any().item<bool>());
        Assert.True(T(1f, 2f).isfinite().all().item<bool>());
        Assert.False(T(0f, 0f, 0f).any().item<bool>());
        Assert.True(T(0f, 3f, 0f).any().item<bool>());
        Assert.True(T(1f, 2f, -3f).all().item<bool>());
        Assert.False(T(1f, 0f, 3f).all().item<bool>());
        Assert.Equal([2L, 3L], zeros(2, 3).isnan().shape);
    }

    [Fact]
    public void OptimizerZeroGradSetsGradToNull()
    {
        var model = nn.Linear(3, 2);
        var x = rand([4, 3], new Generator(5));
        foreach (var opt in new optim.Optimizer[] { optim.SGD(model.parameters(), 0.1), optim.Adam(model.parameters()), optim.RMSProp(model.parameters()) })
        {
            model.forward(x).sum().backward();
            Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
            var single = model.weight.grad!.ToArray();
            opt.zero_grad();
            Assert.All(model.parameters(), p => Assert.Null(p.grad));
            model.forward(x).sum().backward(); // fresh, not accumulated onto the old gradient
            Assert.Equal(single, model.weight.grad!.ToArray());
            model.zero_grad();
            Assert.All(model.parameters(), p => Assert.Null(p.grad));
        }
    }

    [Fact]
    public void StepLRMultipliesEveryStepSize()
    {
        var opt = optim.SGD([new Parameter(zeros(1))], 1.0);
        var sched = optim.lr_scheduler.StepLR(opt, step_size: 3, gamma: 0.1);
        var lrs = new List<double>();
        for (int i = 0; i < 7; i++) { sched.step(); lrs.Add(sched.get_last_lr()); }
        double[] expected = [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], lrs[i], 12);
        Assert.Equal(opt.LearningRate, sched.get_last_lr());
    }

    [Fact]
    public void ReduceLROnPlateauCutsAfterPatienceBadSteps()
    {
        var opt = optim.SGD([new Parameter(zeros(1))], 1.0);
        var sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor: 0.5, patience: 2);
        double[] metrics = [10, 9, 9, 9, 9, 9, 9, 9, 8, 8];
        double[] expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25];
        for (int i = 0; i < metrics.Length; i++)
        {
            sched.step(metrics[i]);
            Assert.True(Math.Abs(expected[i] - opt.LearningRate) < 1e-12, $"after step {i} (metric {metrics[i]}): lr {opt.LearningRate}, expected {expected[i]}");
        }

        // improving metrics never cut; "max" mode improves upward
        var up = optim.SGD([new Parameter(zeros(1))], 1.0);
        var maxSched = optim.lr_scheduler.ReduceLROnPlateau(up, mode: "max", factor: 0.1, patience: 0);
        foreach (var m in new double[] { 1, 2, 3, 4 }) maxSched.step(m);
        Assert.Equal(1.0, up.LearningRate);
        maxSched.step(3.5);
        Assert.Equal(0.1, up.LearningRate, 12);

        // min_lr floor
        var floor = optim.SGD([new Parameter(zeros(1))], 1.0);
        var floorSched = optim.lr_scheduler.ReduceLROnPlateau(floor, factor: 0.1, patience: 0, min_lr: 0.05);
        foreach (var m in new double[] { 5, 5, 5, 5, 5 }) floorSched.step(m);
        Assert.Equal(0.05, floor.LearningRate, 12);

        // cooldown: no bad epochs are counted for `cooldown` steps after a cut
        var cool = optim.SGD([new Parameter(zeros(1))], 1.0);
        var coolSched = optim.lr_scheduler.ReduceLROnPlateau(cool, factor: 0.5, patience: 0, cooldown: 2);
        var seen = new List<double>();
        foreach (var m in new double[] { 5, 5, 5, 5, 5 }) { coolSched.step(m); seen.Add(cool.LearningRate); }
        Assert.Equal([1, 0.5, 0.5, 0.5, 0.25], seen);

        Assert.Throws<ArgumentException>(() => optim.lr_scheduler.ReduceLROnPlateau(cool, mode: "sideways"));
    }
}

/// <summary>Behaviour of the process-wide default generator: runs alone so no other test consumes its stream.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class EngineBehaviourSeedTests
{
    static bool BitEqual(float[] a, float[] b) => a.Length == b.Length && a.Zip(b).All(p => BitConverter.SingleToInt32Bits(p.First) == BitConverter.SingleToInt32Bits(p.Second));

    [Fact]
    public void ManualSeedMakesRandRandnAndRandpermReproducible()
    {
        manual_seed(42);
        var r1 = rand(500).ToArray(); var n1 = randn(500).ToArray(); var p1 = randperm(200).ToArray();
        manual_seed(42);
        var r2 = rand(500).ToArray(); var n2 = randn(500).ToArray(); var p2 = randperm(200).ToArray();
        Assert.True(BitEqual(r1, r2), "rand differs after re-seeding with the same seed");
        Assert.True(BitEqual(n1, n2), "randn differs after re-seeding with the same seed");
        Assert.True(BitEqual(p1, p2), "randperm differs after re-seeding with the same seed");

        manual_seed(43);
        var r3 = rand(500).ToArray(); var n3 = randn(500).ToArray(); var p3 = randperm(200).ToArray();
        Assert.False(BitEqual(r1, r3), "rand is the same for seeds 42 and 43");
        Assert.False(BitEqual(n1, n3), "randn is the same for seeds 42 and 43");
        Assert.False(BitEqual(p1, p3), "randperm is the same for seeds 42 and 43");

        // the default generator after manual_seed(s) is the same stream as new Generator(s)
        manual_seed(42);
        var viaDefault = rand(100).ToArray();
        Assert.True(BitEqual(viaDefault, rand([100], new Generator(42)).ToArray()));
        Assert.Equal(42, default_generator.initial_seed);
    }

    [Fact]
    public void ManualSeedMakesModelInitialisationAndDropoutReproducible()
    {
        manual_seed(7);
        var a = nn.Linear(8, 4);
        var da = nn.functional.dropout(ones(20, 20), 0.5).ToArray();
        manual_seed(7);
        var b = nn.Linear(8, 4);
        var db = nn.functional.dropout(ones(20, 20), 0.5).ToArray();
        Assert.True(BitEqual(a.weight.ToArray(), b.weight.ToArray()));
        Assert.True(BitEqual(a.bias!.ToArray(), b.bias!.ToArray()));
        Assert.True(BitEqual(da, db));
        var c = nn.Linear(8, 4); // continues the stream: different values
        Assert.False(BitEqual(a.weight.ToArray(), c.weight.ToArray()));
        // PyTorch's init bounds: |W| ≤ 1/√in, |b| ≤ 1/√in
        Assert.All(a.weight.ToArray(), w => Assert.InRange(Math.Abs(w), 0, 1 / Math.Sqrt(8) + 1e-7));
        Assert.All(a.bias!.ToArray(), w => Assert.InRange(Math.Abs(w), 0, 1 / Math.Sqrt(8) + 1e-7));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(1000)]
    public void RandpermIsAPermutation(int n)
    {
        manual_seed(n);
        foreach (var p in new[] { randperm(n).ToArray(), randperm(n, new Generator(n + 1)).ToArray() })
        {
            Assert.Equal(n, p.Length);
            Assert.Equal(Enumerable.Range(0, n).Select(i => (float)i), p.OrderBy(v => v));
            if (n >= 17) Assert.NotEqual(Enumerable.Range(0, n).Select(i => (float)i), p); // shuffled
        }
    }
}

/// <summary>Results must not depend on the thread count.</summary>
[Collection("threads")]
public class EngineBehaviourThreadsTests
{
    /// <summary>20 Adam steps of a 512→256→10 MLP on a 256-row batch; returns the loss bits and the final parameter bits.</summary>
    static (int[] losses, int[] parameters) Train(int threads, Dictionary<string, float[]> initial)
    {
        set_num_threads(threads);
        Assert.Equal(threads, get_num_threads());
        var model = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 64), nn.Tanh(), nn.Linear(64, 10));
        using (no_grad())
            foreach (var (name, p) in model.named_parameters()) p.copy_(tensor(initial[name], p.shape));
        var g = new Generator(99);
        var x = randn([256, 512], g);
        var t = rand([256, 10], g);
        var opt = optim.Adam(model.parameters(), lr: 1e-3);
        var losses = new List<int>();
        for (int step = 0; step < 20; step++)
        {
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), t);
            loss.backward();
            opt.step();
            losses.Add(BitConverter.SingleToInt32Bits(loss.item<float>()));
        }
        var bits = model.parameters().SelectMany(p => p.ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();
        return (losses.ToArray(), bits);
    }

    [Fact]
    public void TwentyTrainingStepsAreBitIdenticalForOneAndTwoThreads()
    {
        int saved = get_num_threads();
        try
        {
            var reference = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 64), nn.Tanh(), nn.Linear(64, 10));
            var g = new Generator(5);
            foreach (var p in reference.parameters()) p.uniform_(-0.06, 0.06, g);
            var initial = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.ToArray());

            var one = Train(1, initial);
            var two = Train(2, initial);
            Assert.True(one.losses[^1] != one.losses[0], "test set-up: the loss should change while training");
            Assert.Equal(one.losses, two.losses);
            int firstDiff = Enumerable.Range(0, one.parameters.Length).FirstOrDefault(i => one.parameters[i] != two.parameters[i], -1);
            Assert.True(firstDiff < 0, $"parameters differ between 1 and 2 threads (first at flat index {firstDiff})");
        }
        finally { set_num_threads(saved); }
    }
}
