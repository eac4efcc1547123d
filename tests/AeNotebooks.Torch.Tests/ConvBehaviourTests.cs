using AeNotebooks.Torch.Kernels;
using AeNotebooks.Torch.Modules;
using Xunit;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// Behaviour of the convolutional layers beyond their numbers: results independent of the thread count,
/// the two kernel paths agreeing, hooks, error messages, state_dict with buffers, and no allocation per
/// step beyond the output tensors.
/// </summary>
[Collection("threads")] // changes the thread count and ConvKernels.GemmOnly; measures allocation
public class ConvBehaviourTests
{
    /// <summary>The cifar_cae_b32 model of shared/anchors/torch_workloads.py.</summary>
    static nn.Module<Tensor, Tensor> CifarCae() => nn.Sequential(
        nn.Conv2d(3, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 16, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(),
        nn.Linear(32, 16 * 8 * 8), nn.ReLU(), nn.Unflatten(1, [16, 8, 8]), nn.ConvTranspose2d(16, 16, 3, padding: 1), nn.ReLU(),
        nn.Upsample(scale_factor: 2), nn.ConvTranspose2d(16, 32, 3, padding: 1), nn.ReLU(), nn.Upsample(scale_factor: 2),
        nn.ConvTranspose2d(32, 3, 3, padding: 1), nn.Sigmoid());

    /// <summary>A model touching every new layer, with an odd batch so the batch chunks are uneven.</summary>
    static nn.Module<Tensor, Tensor> Mixed() => nn.Sequential(
        nn.Conv2d(3, 8, 3, Padding.Same), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, stride: 2, padding: 1),
        nn.Conv2d(8, 12, 3, stride: 2, padding: 1, groups: 4), nn.ReLU(), nn.AvgPool2d(2, ceil_mode: true),
        nn.ConvTranspose2d(12, 6, 3, stride: 2, padding: 1, output_padding: 1), nn.Tanh(),
        nn.Upsample(scale_factor: 2, mode: UpsampleMode.Bilinear), nn.Conv2d(6, 1, 5, padding: 2), nn.Sigmoid());

    /// <summary>Forward, MSE against the input's first channel, backward; returns output, loss and every gradient.</summary>
    static List<float[]> Run(Func<nn.Module<Tensor, Tensor>> build, long[] shape, int threads)
    {
        int saved = get_num_threads();
        set_num_threads(threads);
        try
        {
            manual_seed(3);
            var model = build();
            var x = rand(shape).requires_grad_();
            var y = model.call(x);
            var target = rand(y.shape);
            var loss = nn.functional.mse_loss(y, target);
            loss.backward();
            var r = new List<float[]> { y.ToArray(), new[] { loss.item<float>() }, x.grad!.ToArray() };
            r.AddRange(model.parameters().Select(p => p.grad!.ToArray()));
            r.AddRange(model.named_buffers().Select(b => b.buffer.ToArray()));
            return r;
        }
        finally { set_num_threads(saved); }
    }

    static void AssertBitIdentical(List<float[]> a, List<float[]> b, string what)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int j = 0; j < a[i].Length; j++)
                if (BitConverter.SingleToInt32Bits(a[i][j]) != BitConverter.SingleToInt32Bits(b[i][j]))
                    Assert.Fail($"{what}: tensor {i} element {j} differs: {a[i][j]:R} vs {b[i][j]:R}");
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(7)]
    [InlineData(1)]
    public void CifarModelIsBitIdenticalForAnyThreadCount(int batch)
    {
        var one = Run(CifarCae, [batch, 3, 32, 32], 1);
        AssertBitIdentical(one, Run(CifarCae, [batch, 3, 32, 32], 2), $"batch {batch}, 1 vs 2 threads");
        AssertBitIdentical(one, Run(CifarCae, [batch, 3, 32, 32], 3), $"batch {batch}, 1 vs 3 threads");
    }

    [Fact]
    public void MixedModelIsBitIdenticalForAnyThreadCount()
    {
        var one = Run(Mixed, [7, 3, 13, 11], 1);
        AssertBitIdentical(one, Run(Mixed, [7, 3, 13, 11], 2), "1 vs 2 threads");
        AssertBitIdentical(one, Run(Mixed, [7, 3, 13, 11], 4), "1 vs 4 threads");
    }

    [Fact]
    public void GemmAndDirectKernelsAgree()
    {
        var direct = Run(Mixed, [5, 3, 12, 12], 2);
        ConvKernels.GemmOnly = true;
        List<float[]> gemm;
        try { gemm = Run(Mixed, [5, 3, 12, 12], 2); }
        finally { ConvKernels.GemmOnly = false; }
        for (int i = 0; i < direct.Count; i++)
            for (int j = 0; j < direct[i].Length; j++)
                Assert.True(Math.Abs(direct[i][j] - gemm[i][j]) <= 1e-5 * Math.Max(1, Math.Abs(gemm[i][j])),
                    $"tensor {i} element {j}: direct {direct[i][j]:R}, GEMM {gemm[i][j]:R}");
    }

    [Fact]
    public void ConvolutionAllocatesOnlyItsOutputInSteadyState()
    {
        manual_seed(1);
        var conv = nn.Conv2d(16, 32, 3, padding: 1);
        var convT = nn.ConvTranspose2d(32, 16, 3, stride: 2, padding: 1, output_padding: 1);
        var x = rand(8, 16, 16, 16).requires_grad_();
        var x2 = rand(8, 32, 16, 16).requires_grad_();
        var g1 = randn(8, 32, 16, 16);
        var g2 = randn(8, 16, 32, 32);
        void Step()
        {
            // leaves' .grad, weight.grad and bias.grad accumulate in place; the seeds' buffers come from the pool
            conv.call(x).backward(g1);
            convT.call(x2).backward(g2);
        }
        // one thread: with more, a pool thread that runs a convolution for the first time allocates its own scratch
        int saved = get_num_threads();
        set_num_threads(1);
        double perStep;
        try
        {
            for (int i = 0; i < 3; i++) Step();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            const int steps = 5;
            for (int i = 0; i < steps; i++) Step();
            perStep = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)steps;
        }
        finally { set_num_threads(saved); }
        double outputs = 4.0 * (8 * 32 * 16 * 16 + 8 * 16 * 32 * 32); // conv output, convT output
        Assert.True(perStep <= outputs + 64 * 1024, $"a step allocated {perStep / 1024:F0} KB; its outputs are {outputs / 1024:F0} KB");
    }

    // ---------------------------------------------------------------------------------------------
    // hooks
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void ForwardHooksSeeAndReplaceOutputsOfEveryNewLayer()
    {
        manual_seed(2);
        var layers = new nn.Module<Tensor, Tensor>[]
        {
            nn.Conv2d(2, 4, 3, padding: 1), nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.AvgPool2d(1),
            nn.ConvTranspose2d(4, 2, 2, stride: 2), nn.Upsample(scale_factor: 2),
        };
        var model = nn.Sequential(layers);
        var seen = new List<string>();
        foreach (var layer in layers)
        {
            layer.register_forward_pre_hook((m, input) => { seen.Add("pre " + m.name); return input; });
            layer.register_forward_hook((m, input, output) => { seen.Add(m.name + " " + string.Join("x", output.shape)); return null!; });
        }
        var y = model.call(rand(2, 2, 4, 4));
        Assert.Equal(new long[] { 2, 2, 8, 8 }, y.shape);
        Assert.Equal(new[] { "pre Conv2d", "Conv2d 2x4x4x4", "pre BatchNorm2d", "BatchNorm2d 2x4x4x4", "pre MaxPool2d", "MaxPool2d 2x4x2x2",
            "pre AvgPool2d", "AvgPool2d 2x4x2x2", "pre ConvTranspose2d", "ConvTranspose2d 2x2x4x4", "pre Upsample", "Upsample 2x2x8x8" }, seen);

        // a hook's return value replaces the output
        var conv = nn.Conv2d(1, 1, 1);
        using var handle = conv.register_forward_hook((m, input, output) => output.mul(0.0));
        Assert.All(conv.call(rand(1, 1, 3, 3)).ToArray(), v => Assert.Equal(0f, v));
        handle.remove_();
        Assert.Contains(conv.call(ones(1, 1, 3, 3)).ToArray(), v => v != 0f);
    }

    [Fact]
    public void TensorHooksSeeGradientsThroughConvolutions()
    {
        manual_seed(4);
        var conv = nn.Conv2d(2, 3, 3, padding: 1);
        var x = rand(1, 2, 5, 5).requires_grad_();
        var y = conv.call(x);
        Tensor? seen = null;
        y.register_hook(g => { seen = g.clone(); return g.mul(2.0); });
        var pooled = nn.functional.max_pool2d(y, [2]);
        pooled.sum().backward();
        Assert.NotNull(seen);
        Assert.Equal(y.shape, seen!.shape);
        Assert.Equal(pooled.numel(), (long)seen.ToArray().Count(v => v == 1f)); // one winner per window
        // the doubled gradient reached the weights: compare with an unhooked run
        var w2 = conv.weight.grad!.ToArray();
        conv.zero_grad();
        nn.functional.max_pool2d(conv.call(x), [2]).sum().backward();
        var w1 = conv.weight.grad!.ToArray();
        for (int i = 0; i < w1.Length; i++) Assert.Equal(2 * w1[i], w2[i], 5);
    }

    // ---------------------------------------------------------------------------------------------
    // shapes, errors, state
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void ShapesFollowPyTorch()
    {
        manual_seed(5);
        Assert.Equal(new long[] { 2, 8, 7, 9 }, nn.Conv2d(3, 8, 3, Padding.Same).call(rand(2, 3, 7, 9)).shape);
        Assert.Equal(new long[] { 2, 8, 7, 9 }, nn.Conv2d(3, 8, 4, Padding.Same).call(rand(2, 3, 7, 9)).shape);
        Assert.Equal(new long[] { 2, 8, 5, 7 }, nn.Conv2d(3, 8, 3, Padding.Valid).call(rand(2, 3, 7, 9)).shape);
        Assert.Equal(new long[] { 8, 4, 5 }, nn.Conv2d(3, 8, 3, stride: 2, padding: 1).call(rand(3, 7, 9)).shape); // unbatched
        Assert.Equal(new long[] { 1, 4, 14, 14 }, nn.ConvTranspose2d(8, 4, 3, stride: 2, padding: 1, output_padding: 1).call(rand(1, 8, 7, 7)).shape);
        Assert.Equal(new long[] { 1, 2, 4, 4 }, nn.MaxPool2d(2).call(rand(1, 2, 9, 9)).shape);
        Assert.Equal(new long[] { 1, 2, 5, 5 }, nn.MaxPool2d(2, ceil_mode: true).call(rand(1, 2, 9, 9)).shape);
        Assert.Equal(new long[] { 1, 2, 18, 27 }, nn.Upsample(scale_factor: [2, 3]).call(rand(1, 2, 9, 9)).shape);
        Assert.Equal(new long[] { 1, 2, 5, 4 }, nn.Upsample(size: [5, 4], mode: UpsampleMode.Bilinear).call(rand(1, 2, 9, 9)).shape);
        var (values, indices) = nn.functional.max_pool2d_with_indices(tensor(new float[] { 1, 5, 2, 0, 3, 4, 9, 8 }, [1, 1, 2, 4]), [2]);
        Assert.Equal(new float[] { 5, 9 }, values.ToArray());
        Assert.Equal(new float[] { 1, 6 }, indices.ToArray());
    }

    /// <summary>As PyTorch: a NaN wins its window (the last NaN, by the rule v &gt; max || isnan(v)), ties go to the first max.</summary>
    [Fact]
    public void MaxPoolFollowsPyTorchOnNaNAndTies()
    {
        foreach (var general in new[] { false, true }) // the 2×2 SIMD path, and the general path that max_pool2d_with_indices takes
        {
            var x = tensor(new float[] { float.NaN, 1, 3, -1, float.NaN, 2, 3, 3 }, [1, 1, 2, 4], requires_grad: true);
            var y = general
                ? nn.functional.max_pool2d_with_indices(x, [2]).output
                : nn.functional.max_pool2d(x, [2]);
            y.sum().backward();
            Assert.True(float.IsNaN(y.ToArray()[0]));
            Assert.Equal(3f, y.ToArray()[1]);
            Assert.Equal(new float[] { 0, 0, 1, 0, 1, 0, 0, 0 }, x.grad!.ToArray());
        }
    }

    [Fact]
    public void ErrorsNameTheProblem()
    {
        var e = Assert.Throws<ArgumentException>(() => nn.Conv2d(3, 8, 3).call(rand(1, 4, 8, 8)));
        Assert.Contains("3 input channels", e.Message);
        e = Assert.Throws<ArgumentException>(() => nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(3, 4, 3)).call(rand(1, 1, 8, 8)));
        Assert.Contains("Sequential layer '1'", e.Message);
        Assert.Throws<ArgumentException>(() => nn.Conv2d(3, 8, 3, Padding.Same, stride: 2));
        Assert.Throws<ArgumentException>(() => nn.ConvTranspose2d(3, 8, 3, stride: 2, output_padding: 2));
        Assert.Throws<ArgumentException>(() => nn.Conv2d(3, 8, 3, groups: 2));
        Assert.Throws<NotSupportedException>(() => nn.Conv2d(3, 8, 3, padding_mode: PaddingModes.Reflect));
        e = Assert.Throws<ArgumentException>(() => nn.Conv2d(3, 8, 5).call(rand(1, 3, 4, 4)));
        Assert.Contains("smaller than the dilated kernel", e.Message);
        Assert.Throws<ArgumentException>(() => nn.MaxPool2d(2, padding: 2));
        Assert.Throws<ArgumentException>(() => nn.BatchNorm2d(4).call(rand(2, 3, 4, 4)));
        Assert.Throws<ArgumentException>(() => nn.BatchNorm1d(3).call(rand(1, 3)));            // one value per channel
        Assert.Throws<ArgumentException>(() => nn.functional.interpolate(rand(1, 1, 4, 4), scale_factor: [2], align_corners: true));
        Assert.Throws<NotSupportedException>(() => nn.Upsample(scale_factor: 2, mode: UpsampleMode.Bicubic));
    }

    [Fact]
    public void BatchNormStateDictHoldsBuffersAndRoundTrips()
    {
        manual_seed(6);
        var model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3));
        Assert.Equal(new[] { "0.bias", "0.weight", "1.bias", "1.num_batches_tracked", "1.running_mean", "1.running_var", "1.weight" },
            model.state_dict().Keys.Order(StringComparer.Ordinal).ToArray());
        model.call(rand(4, 2, 5, 5));
        model.call(rand(4, 2, 5, 5));
        var bn = (BatchNorm2d)((AeNotebooks.Torch.Modules.Sequential)model)[1];
        Assert.Equal(2f, bn.num_batches_tracked!.item<float>());
        Assert.Contains(bn.running_mean!.ToArray(), v => v != 0f);

        var path = Path.GetTempFileName();
        try
        {
            model.save(path);
            var copy = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3));
            copy.load(path);
            copy.eval(); model.eval();
            var x = rand(2, 2, 5, 5);
            Assert.Equal(model.call(x).ToArray(), copy.call(x).ToArray());
        }
        finally { File.Delete(path); }

        // eval uses the running statistics: a constant shift of the input shifts the output
        var y1 = model.call(zeros(1, 2, 5, 5)).ToArray();
        Assert.Equal(y1.Length, model.call(zeros(1, 2, 5, 5)).numel());
        Assert.Contains("BatchNorm2d(3, eps=1E-05, momentum=0.1)", model.ToString());
        Assert.Contains("Conv2d(2→3, kernel 3, stride 1, padding 0)", model.ToString());
    }

    [Fact]
    public void ModuleParametersMatchPyTorchShapesAndCounts()
    {
        Assert.Equal(896, nn.Conv2d(3, 32, 3).parameter_count());
        Assert.Equal(new long[] { 32, 16, 3, 3 }, nn.ConvTranspose2d(32, 16, 3).weight.shape);
        Assert.Equal(4624, nn.ConvTranspose2d(32, 16, 3).parameter_count());
        Assert.Equal(new long[] { 8, 2, 3, 3 }, nn.Conv2d(4, 8, 3, groups: 2).weight.shape);
        Assert.Null(nn.Conv2d(4, 8, 3, bias: false).bias);
        Assert.Equal(0, nn.BatchNorm2d(4, affine: false).parameter_count());
        Assert.Empty(nn.BatchNorm2d(4, track_running_stats: false).named_buffers());
    }
}
