using System.Text.Json;
using AeNotebooks.Torch.Modules;
using Xunit;
using Xunit.Abstractions;
using static AeNotebooks.Torch.torch;
using static AeNotebooks.Torch.Tests.FixtureSupport;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// Compares the engine's convolutional half with PyTorch 1.13 on the fixtures written by
/// tests/fixtures/make_conv_fixtures.py (Fixtures/conv.json, pool.json, batchnorm.json, conv_modules.json,
/// conv_init.json, cifar_train.json). Each case is its own test case.
///
/// Tolerance (FixtureSupport's rule, as TorchFixtureTests): |actual − expected| ≤ 1e-4 · max(1, |expected|). The 200-step training
/// run must end within 1% of PyTorch's loss.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class ConvFixtureTests(ITestOutputHelper output)
{
    const string Generator = "/usr/bin/python3 tests/fixtures/make_conv_fixtures.py";

    public static readonly string[] Families = ["conv", "pool", "batchnorm", "conv_modules", "conv_init", "cifar_train"];

    static JsonElement Case(string family, string name) => LoadCase(family, name, Generator);

    public static IEnumerable<object[]> Cases(string family) => CaseNames(family);

    [Fact]
    public void FixturesArePresent() => AssertPresent(Families, Generator);

    // ------------------------------------------------------------------------------------------
    // op cases
    // ------------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Cases), "conv")]
    public void Conv(string name) => RunOpCase("conv", name);

    [Theory, MemberData(nameof(Cases), "pool")]
    public void Pool(string name) => RunOpCase("pool", name);

    [Theory, MemberData(nameof(Cases), "batchnorm")]
    public void BatchNorm(string name)
    {
        var c = Case("batchnorm", name);
        if (c.GetProperty("op").GetString() == "module_sequence") RunBatchNormSequence(c, name);
        else RunOpCase("batchnorm", name);
    }

    static void RunOpCase(string family, string name)
    {
        var c = Case(family, name);
        var op = c.GetProperty("op").GetString()!;
        var args = c.GetProperty("args");
        var inputs = c.GetProperty("inputs").EnumerateArray()
            .Select(i => ReadTensor(i, requiresGrad: i.GetProperty("grad").GetBoolean())).ToArray();
        var check = new Mismatches(name);
        var expectedOutputs = c.GetProperty("outputs").EnumerateArray().ToArray();
        var outputs = Apply(op, args, inputs);
        Assert.True(outputs.Length == expectedOutputs.Length, $"case '{name}': {outputs.Length} outputs, PyTorch has {expectedOutputs.Length}");
        Tensor? objective = null;
        for (int k = 0; k < outputs.Length; k++)
        {
            var e = expectedOutputs[k];
            check.Tensor($"output {k}", outputs[k], e);
            if (e.GetProperty("upstream").ValueKind == JsonValueKind.Null) continue;
            if (!outputs[k].requires_grad) { check.Add($"output {k} does not require grad"); continue; }
            var upstream = tensor(ReadFloats(e.GetProperty("upstream")), ReadShape(e.GetProperty("shape")));
            if (!outputs[k].shape.SequenceEqual(upstream.shape)) continue;
            var term = outputs[k].mul(upstream).sum();
            objective = objective is null ? term : objective.add(term);
        }
        if (objective is not null)
        {
            objective.backward();
            var expectedGrads = c.GetProperty("grads").EnumerateArray().ToArray();
            for (int i = 0; i < inputs.Length; i++)
                if (expectedGrads[i].ValueKind != JsonValueKind.Null) check.Grad($"grad of input {i}", inputs[i], expectedGrads[i]);
        }
        check.ThrowIfAny();
    }

    static Tensor[] Apply(string op, JsonElement a, Tensor[] t)
    {
        switch (op)
        {
            case "conv2d":
            {
                var bias = t.Length > 2 ? t[2] : null;
                var p = a.GetProperty("padding");
                if (p.ValueKind == JsonValueKind.String)
                    return [nn.functional.conv2d(t[0], t[1], bias, Longs(a, "stride"), p.GetString() == "same" ? Padding.Same : Padding.Valid,
                        Longs(a, "dilation"), Long(a, "groups"))];
                return [nn.functional.conv2d(t[0], t[1], bias, Longs(a, "stride"), Longs(a, "padding"), Longs(a, "dilation"), Long(a, "groups"))];
            }
            case "conv_transpose2d":
                return [nn.functional.conv_transpose2d(t[0], t[1], t.Length > 2 ? t[2] : null, Longs(a, "stride"), Longs(a, "padding"),
                    Longs(a, "output_padding"), Longs(a, "dilation"), Long(a, "groups"))];
            case "max_pool2d":
                return [nn.functional.max_pool2d(t[0], Longs(a, "kernel_size"), LongsOrNull(a, "stride"), Longs(a, "padding"), Longs(a, "dilation"),
                    a.GetProperty("ceil_mode").GetBoolean())];
            case "avg_pool2d":
                return [nn.functional.avg_pool2d(t[0], Longs(a, "kernel_size"), LongsOrNull(a, "stride"), Longs(a, "padding"),
                    a.GetProperty("ceil_mode").GetBoolean(), a.GetProperty("count_include_pad").GetBoolean(),
                    Has(a, "divisor_override") ? Long(a, "divisor_override") : null)];
            case "interpolate":
            {
                var mode = a.GetProperty("mode").GetString() switch
                {
                    "nearest" => InterpolationMode.Nearest,
                    "nearest-exact" => InterpolationMode.NearestExact,
                    "bilinear" => InterpolationMode.Bilinear,
                    var m => throw new NotSupportedException(m),
                };
                double[]? scale = Has(a, "scale_factor") ? a.GetProperty("scale_factor").EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;
                bool? align = Has(a, "align_corners") ? a.GetProperty("align_corners").GetBoolean() : null;
                return [nn.functional.interpolate(t[0], LongsOrNull(a, "size"), scale, mode, align)];
            }
            case "batch_norm":
            {
                bool stats = a.GetProperty("running_stats").GetBoolean(), affine = a.GetProperty("affine").GetBoolean();
                int next = 1;
                Tensor? rm = stats ? t[next++] : null, rv = stats ? t[next++] : null;
                Tensor? w = affine ? t[next++] : null, b = affine ? t[next++] : null;
                var y = nn.functional.batch_norm(t[0], rm, rv, w, b, a.GetProperty("training").GetBoolean(),
                    a.GetProperty("momentum").GetDouble(), a.GetProperty("eps").GetDouble());
                return stats ? [y, rm!, rv!] : [y];
            }
        }
        throw new NotSupportedException($"the conv fixture test does not know op '{op}'");
    }

    static void RunBatchNormSequence(JsonElement c, string name)
    {
        var check = new Mismatches(name);
        var bn = nn.BatchNorm2d(3, momentum: null);
        bn.load_state_dict(ReadState(c.GetProperty("state")));
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(e => ReadTensor(e)).ToArray();
        var modes = c.GetProperty("modes").EnumerateArray().Select(e => e.GetString()).ToArray();
        var outs = c.GetProperty("outputs").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            bn.train(modes[i] == "train");
            check.Tensor($"output of forward {i} ({modes[i]})", bn.call(inputs[i]), outs[i]);
        }
        CompareState(check, bn, c.GetProperty("state_after"));
        check.ThrowIfAny();
    }

    // ------------------------------------------------------------------------------------------
    // modules
    // ------------------------------------------------------------------------------------------

    [Theory, MemberData(nameof(Cases), "conv_modules")]
    public void Modules(string name)
    {
        var c = Case("conv_modules", name);
        var check = new Mismatches(name);
        var model = nn.Sequential(c.GetProperty("layers").EnumerateArray().Select(BuildLayer).ToArray());
        var state = ReadState(c.GetProperty("state"));
        var engineKeys = model.state_dict().Keys.Order(StringComparer.Ordinal).ToArray();
        var torchKeys = state.Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.True(engineKeys.SequenceEqual(torchKeys),
            $"case '{name}': state_dict keys differ: engine [{string.Join(", ", engineKeys)}], PyTorch [{string.Join(", ", torchKeys)}]");
        model.load_state_dict(state);
        model.train(c.GetProperty("mode").GetString() == "train");

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
        CompareState(check, model, c.GetProperty("state_after"));
        check.ThrowIfAny();
    }

    static void CompareState(Mismatches check, nn.Module model, JsonElement expected)
    {
        var own = model.state_dict();
        foreach (var e in expected.EnumerateObject())
        {
            if (!own.TryGetValue(e.Name, out var t)) { check.Add($"state '{e.Name}' is missing"); continue; }
            check.Tensor($"state '{e.Name}' after forward", t, e.Value);
        }
    }

    static nn.Module<Tensor, Tensor> BuildLayer(JsonElement l)
    {
        (long, long) P(string key) { var v = Longs(l, key); return (v[0], v.Length > 1 ? v[1] : v[0]); }
        switch (l.GetProperty("type").GetString())
        {
            case "Conv2d":
                if (l.GetProperty("padding").ValueKind == JsonValueKind.String)
                    return nn.Conv2d(Long(l, "in"), Long(l, "out"), P("kernel"), l.GetProperty("padding").GetString() == "same" ? Padding.Same : Padding.Valid,
                        P("stride"), P("dilation"), groups: Long(l, "groups"), bias: l.GetProperty("bias").GetBoolean());
                return nn.Conv2d(Long(l, "in"), Long(l, "out"), P("kernel"), P("stride"), P("padding"), P("dilation"),
                    groups: Long(l, "groups"), bias: l.GetProperty("bias").GetBoolean());
            case "ConvTranspose2d":
                return nn.ConvTranspose2d(Long(l, "in"), Long(l, "out"), P("kernel"), P("stride"), P("padding"), P("output_padding"), P("dilation"),
                    groups: Long(l, "groups"), bias: l.GetProperty("bias").GetBoolean());
            case "MaxPool2d":
                return nn.MaxPool2d(P("kernel"), P("stride"), P("padding"), P("dilation"), l.GetProperty("ceil_mode").GetBoolean());
            case "AvgPool2d":
                return nn.AvgPool2d(P("kernel"), P("stride"), P("padding"), l.GetProperty("ceil_mode").GetBoolean(), l.GetProperty("count_include_pad").GetBoolean());
            case "Upsample":
                return nn.Upsample(l.GetProperty("scale_factor").GetDouble(),
                    l.GetProperty("mode").GetString() == "bilinear" ? UpsampleMode.Bilinear : UpsampleMode.Nearest,
                    Has(l, "align_corners") ? l.GetProperty("align_corners").GetBoolean() : null);
            case "BatchNorm1d":
            case "BatchNorm2d":
            {
                long f = Long(l, "features");
                double eps = l.GetProperty("eps").GetDouble();
                double? momentum = Has(l, "momentum") ? l.GetProperty("momentum").GetDouble() : null;
                bool affine = l.GetProperty("affine").GetBoolean(), track = l.GetProperty("track_running_stats").GetBoolean();
                return l.GetProperty("type").GetString() == "BatchNorm1d"
                    ? nn.BatchNorm1d(f, eps, momentum, affine, track)
                    : nn.BatchNorm2d(f, eps, momentum, affine, track);
            }
            case "Linear": return nn.Linear(Long(l, "in"), Long(l, "out"), l.GetProperty("bias").GetBoolean());
            case "ReLU": return nn.ReLU();
            case "Sigmoid": return nn.Sigmoid();
            case "Tanh": return nn.Tanh();
            case "Flatten": return nn.Flatten(Long(l, "start_dim"), Long(l, "end_dim"));
            case "Unflatten": return nn.Unflatten(Long(l, "dim"), Longs(l, "sizes"));
            case var other: throw new NotSupportedException($"unknown layer {other}");
        }
    }

    // ------------------------------------------------------------------------------------------
    // initialisation
    // ------------------------------------------------------------------------------------------

    /// <summary>PyTorch's default init: weight ~ U(±√3·gain/√fan_in) with gain √(2/6) (a = √5), bias ~ U(±1/√fan_in).</summary>
    [Theory, MemberData(nameof(Cases), "conv_init")]
    public void Init(string name)
    {
        var c = Case("conv_init", name);
        var a = c.GetProperty("args");
        manual_seed(20240601);
        Parameter weight, bias;
        if (c.GetProperty("module").GetString() == "Conv2d")
        {
            var m = nn.Conv2d(Long(a, "in"), Long(a, "out"), Long(a, "kernel"), groups: Long(a, "groups"));
            (weight, bias) = (m.weight, m.bias!);
        }
        else
        {
            var m = nn.ConvTranspose2d(Long(a, "in"), Long(a, "out"), Long(a, "kernel"), groups: Long(a, "groups"));
            (weight, bias) = (m.weight, m.bias!);
        }
        Assert.Equal(ReadShape(c.GetProperty("weight_shape")), weight.shape);
        foreach (var (values, bound, what) in new[] { (weight.ToArray(), c.GetProperty("weight_bound").GetDouble(), "weight"), (bias.ToArray(), c.GetProperty("bias_bound").GetDouble(), "bias") })
        {
            double min = values.Min(), max = values.Max();
            var report = $"case '{name}' {what}: n={values.Length} min={min:G6} max={max:G6}, expected bound {bound:G6}";
            Assert.True(min >= -bound * (1 + 1e-6) && max <= bound * (1 + 1e-6), report + " (outside the bound)");
            double reach = values.Length >= 256 ? 0.95 : 0.5;
            if (values.Length >= 16) Assert.True(min <= -reach * bound && max >= reach * bound, report + $" (does not reach ±{reach}·bound)");
            if (values.Length >= 1000)
            {
                double std = Math.Sqrt(values.Select(v => (double)v * v).Average());
                Assert.True(Math.Abs(std / (bound / Math.Sqrt(3)) - 1) < 0.05, report + $" (std {std:G4}, uniform expects {bound / Math.Sqrt(3):G4})");
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // cifar_cae_b32: gradients at step 0, then 200 Adam steps against PyTorch's losses
    // ------------------------------------------------------------------------------------------

    /// <summary>The twin of make_conv_fixtures.blob_image: three discs on a 0.1 background, integer and float32 arithmetic only.</summary>
    public static float[] BlobImage(long index)
    {
        static long Lcg(long h) => (h * 1103515245 + 12345) & 0x7FFFFFFF;
        long h = Lcg(index * 7919 + 17);
        var img = new float[3 * 32 * 32];
        Array.Fill(img, 0.1f);
        var color = new float[3];
        for (int blob = 0; blob < 3; blob++)
        {
            h = Lcg(h); long cy = h % 32;
            h = Lcg(h); long cx = h % 32;
            h = Lcg(h); long r = 4 + h % 9;
            for (int c = 0; c < 3; c++) { h = Lcg(h); color[c] = (float)((h % 256) / 255.0); }
            float r2 = r * r;
            for (int i = 0; i < 32; i++)
                for (int j = 0; j < 32; j++)
                {
                    float d2 = (i - cy) * (i - cy) + (j - cx) * (j - cx);
                    float v = MathF.Max(1f - d2 / r2, 0f);
                    for (int c = 0; c < 3; c++)
                    {
                        ref float p = ref img[(c * 32 + i) * 32 + j];
                        p = MathF.Max(p, color[c] * v);
                    }
                }
        }
        return img;
    }

    public static Tensor BlobBatch(int step, int batch = 32)
    {
        var data = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < batch; i++) BlobImage((long)step * batch + i).CopyTo(data, i * 3 * 32 * 32);
        return tensor(data, [batch, 3, 32, 32]);
    }

    [Theory, MemberData(nameof(Cases), "cifar_train")]
    public void CifarTraining(string name)
    {
        var c = Case("cifar_train", name);
        var first = BlobBatch(0);
        Assert.Equal(ReadFloat(c.GetProperty("batch0_pixel_7_2_5_9")), first.ToArray()[((7 * 3 + 2) * 32 + 5) * 32 + 9]);
        double checksum = first.ToArray().Sum(v => (double)v);
        Assert.True(Math.Abs(checksum - ReadFloat(c.GetProperty("batch0_checksum"))) < 1e-2, $"batch 0 checksum {checksum} differs from PyTorch's");

        var model = nn.Sequential(c.GetProperty("layers").EnumerateArray().Select(BuildLayer).ToArray());
        model.load_state_dict(ReadState(c.GetProperty("state")));
        var opt = optim.Adam(model.parameters(), lr: c.GetProperty("lr").GetDouble());
        var expected = c.GetProperty("losses").EnumerateArray().Select(ReadFloat).ToArray();
        int steps = c.GetProperty("steps").GetInt32(), batch = c.GetProperty("batch").GetInt32();
        var losses = new float[steps];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            var x = BlobBatch(step, batch);
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.call(x), x);
            loss.backward();
            if (step == 0)
            {
                // whole-model gradients at PyTorch's initial weights: relative to each tensor's largest gradient
                var check = new Mismatches(name + " step-0 gradients");
                var grads = c.GetProperty("grads_step0");
                foreach (var (pname, p) in model.named_parameters())
                {
                    var e = ReadTensor(grads.GetProperty(pname)).ToArray();
                    var a = p.grad!.ToArray();
                    double scale = e.Max(v => Math.Abs(v));
                    int bad = 0;
                    for (int i = 0; i < e.Length; i++)
                        if (!(Math.Abs(a[i] - e[i]) <= 1e-3 * Math.Abs(e[i]) + 1e-4 * scale)) bad++;
                    if (bad > 0) check.Add($"grad of {pname}: {bad} of {e.Length} values differ by more than 1e-3·|e| + 1e-4·max|e| (max|e| = {scale:G4})");
                }
                check.ThrowIfAny();
            }
            opt.step();
            losses[step] = loss.item<float>();
        }
        double worst = 0; int worstAt = 0;
        for (int i = 0; i < steps; i++)
        {
            double rel = Math.Abs(losses[i] - expected[i]) / expected[i];
            if (rel > worst) { worst = rel; worstAt = i; }
        }
        output.WriteLine($"{name}: {steps} steps in {sw.Elapsed.TotalSeconds:F1} s; loss {losses[0]:G6} → {losses[^1]:G6} (PyTorch {expected[0]:G6} → {expected[^1]:G6}); " +
            $"final differs by {Math.Abs(losses[^1] - expected[^1]) / expected[^1]:P3}, largest step difference {worst:P3} at step {worstAt}");
        Assert.True(Math.Abs(losses[0] - expected[0]) <= 1e-4 * expected[0], $"step-0 loss {losses[0]:R}, PyTorch {expected[0]:R}");
        Assert.True(Math.Abs(losses[^1] - expected[^1]) <= 0.01 * expected[^1],
            $"final loss after {steps} steps {losses[^1]:R} is not within 1% of PyTorch's {expected[^1]:R}");
    }
}
