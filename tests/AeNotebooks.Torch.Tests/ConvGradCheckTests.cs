using AeNotebooks.Torch.Kernels;
using Xunit;
using static AeNotebooks.Torch.torch;
using static AeNotebooks.Torch.Tests.GradCheck;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// Finite-difference gradient checks of the convolutional half: conv2d and conv_transpose2d over a grid of
/// shapes (each through the im2col + GEMM kernels and, where the shape allows, the direct SIMD kernels),
/// max/avg pooling, nearest and bilinear interpolation, batch norm in training and eval mode, and small
/// models of the new modules. Every input and parameter gradient is checked element by element.
/// </summary>
[Collection("threads")] // toggles ConvKernels.GemmOnly, so it must not run beside other tests
public class ConvGradCheckTests
{
    public delegate void ConvCase(string name, Generator g);

    static TheoryData<string> Names(Dictionary<string, ConvCase> cases)
    {
        var data = new TheoryData<string>();
        foreach (var k in cases.Keys) data.Add(k);
        return data;
    }

    static long[] S(params long[] shape) => shape;

    /// <summary>conv2d case: batch, Cin, Cout, H, W, kernel, stride, padding (−1 = Same), dilation, groups, bias.</summary>
    static ConvCase Conv(long n, long cin, long cout, long h, long w, long k, long s, long p, long d = 1, long groups = 1, bool bias = true, long kw = 0)
        => (name, g) =>
        {
            kw = kw == 0 ? k : kw;
            var x = Uniform(g, S(n, cin, h, w));
            var wt = Uniform(g, S(cout, cin / groups, k, kw), -0.5, 0.5);
            var b = Uniform(g, S(cout), -0.5, 0.5);
            Tensor F(Tensor[] t) => p < 0
                ? nn.functional.conv2d(t[0], t[1], bias ? t[2] : null, [s], Padding.Same, [d], groups)
                : nn.functional.conv2d(t[0], t[1], bias ? t[2] : null, [s], [p], [d], groups);
            Check(name, F, bias ? [x, wt, b] : [x, wt]);
        };

    /// <summary>conv_transpose2d case: batch, Cin, Cout, H, W, kernel, stride, padding, output_padding, dilation, groups, bias.</summary>
    static ConvCase ConvT(long n, long cin, long cout, long h, long w, long k, long s, long p, long op = 0, long d = 1, long groups = 1, bool bias = true)
        => (name, g) =>
        {
            var x = Uniform(g, S(n, cin, h, w));
            var wt = Uniform(g, S(cin, cout / groups, k, k), -0.5, 0.5);
            var b = Uniform(g, S(cout), -0.5, 0.5);
            Tensor F(Tensor[] t) => nn.functional.conv_transpose2d(t[0], t[1], bias ? t[2] : null, [s], [p], [op], [d], groups);
            Check(name, F, bias ? [x, wt, b] : [x, wt]);
        };

    // Shapes are small (finite differences evaluate the op twice per input element). Direct-kernel shapes
    // (stride 1 and ≤ 4 channels on the positions side: a conv's output, a transposed conv's input) are noted;
    // the rest go through im2col + GEMM. Every case also runs with the GEMM path forced.
    public static readonly Dictionary<string, ConvCase> ConvCases = new()
    {
        ["conv 1→3 k3 s1 p1 (direct)"] = Conv(2, 1, 3, 5, 6, 3, 1, 1),
        ["conv 3→5 k3 s1 p0"] = Conv(1, 3, 5, 6, 5, 3, 1, 0),
        ["conv 2→6 k3 s2 p1"] = Conv(2, 2, 6, 7, 6, 3, 2, 1),
        ["conv 3→1 k5 same (direct)"] = Conv(1, 3, 1, 6, 6, 5, 1, -1),
        ["conv 4→6 k3 same"] = Conv(1, 4, 6, 5, 4, 3, 1, -1),
        ["conv 3→2 k2 same (even kernel, direct)"] = Conv(1, 3, 2, 5, 6, 2, 1, -1),
        ["conv 5→6 k1 s1 (pointwise)"] = Conv(2, 5, 6, 3, 4, 1, 1, 0),
        ["conv 3→6 k1 s2"] = Conv(1, 3, 6, 5, 5, 1, 2, 0),
        ["conv 2→6 k3 s1 p2 d2"] = Conv(1, 2, 6, 7, 7, 3, 1, 2, d: 2),
        ["conv 4→6 k3 p1 groups 2"] = Conv(1, 4, 6, 4, 5, 3, 1, 1, groups: 2),
        ["conv 3→3 k3 p1 depthwise (direct)"] = Conv(1, 3, 3, 4, 4, 3, 1, 1, groups: 3),
        ["conv 3→5 k3 s2 no bias"] = Conv(2, 3, 5, 6, 6, 3, 2, 1, bias: false),
        ["conv 2→5 k3x1 s1 p1"] = Conv(1, 2, 5, 5, 4, 3, 1, 1, kw: 1),
        ["conv 6→2 k3 s1 p1 (direct, few outputs)"] = Conv(1, 6, 2, 5, 5, 3, 1, 1),
        ["conv 8→2 k3 s1 p1 wide rows (direct, > 32 columns)"] = Conv(1, 8, 2, 3, 37, 3, 1, 1),
        ["conv 1→8 k3 s1 p1 wide rows"] = Conv(1, 1, 8, 3, 37, 3, 1, 1),
    };

    public static readonly Dictionary<string, ConvCase> ConvTransposeCases = new()
    {
        ["convT 2→3 k3 s1 p0 (direct)"] = ConvT(2, 2, 3, 3, 4, 3, 1, 0),
        ["convT 3→5 k3 s2 p1 op1"] = ConvT(1, 3, 5, 3, 3, 3, 2, 1, op: 1),
        ["convT 5→3 k3 s2 p1 op0"] = ConvT(2, 5, 3, 3, 4, 3, 2, 1),
        ["convT 6→2 k3 s1 p1"] = ConvT(1, 6, 2, 4, 4, 3, 1, 1),
        ["convT 3→6 k1 s1 (pointwise)"] = ConvT(1, 3, 6, 3, 3, 1, 1, 0),
        ["convT 3→5 k1 s2 op1"] = ConvT(1, 3, 5, 3, 3, 1, 2, 0, op: 1),
        ["convT 3→5 k5 s2 p2 op1"] = ConvT(1, 3, 5, 2, 3, 5, 2, 2, op: 1),
        ["convT 2→5 k3 s2 p1 op1 d2"] = ConvT(1, 2, 5, 3, 3, 3, 2, 1, op: 1, d: 2),
        ["convT 4→6 k3 s2 p1 groups 2"] = ConvT(1, 4, 6, 3, 3, 3, 2, 1, op: 1, groups: 2),
        ["convT 5→6 k3 s1 p1 no bias"] = ConvT(2, 5, 6, 3, 3, 3, 1, 1, bias: false),
    };

    public static TheoryData<string> ConvNames => Names(ConvCases);
    public static TheoryData<string> ConvTransposeNames => Names(ConvTransposeCases);

    [Theory, MemberData(nameof(ConvNames))]
    public void Conv2d(string name) => ConvCases[name](name, GradCheckTests.GenFor(name));

    [Theory, MemberData(nameof(ConvNames))]
    public void Conv2dGemmOnly(string name) => WithGemmOnly(() => ConvCases[name](name + " [GEMM path]", GradCheckTests.GenFor(name)));

    [Theory, MemberData(nameof(ConvTransposeNames))]
    public void ConvTranspose2d(string name) => ConvTransposeCases[name](name, GradCheckTests.GenFor(name));

    [Theory, MemberData(nameof(ConvTransposeNames))]
    public void ConvTranspose2dGemmOnly(string name) => WithGemmOnly(() => ConvTransposeCases[name](name + " [GEMM path]", GradCheckTests.GenFor(name)));

    static void WithGemmOnly(Action a)
    {
        ConvKernels.GemmOnly = true;
        try { a(); }
        finally { ConvKernels.GemmOnly = false; }
    }

    // ---------------------------------------------------------------------------------------------
    // pooling, interpolation, batch norm
    // ---------------------------------------------------------------------------------------------

    static ConvCase One(Func<Generator, Tensor> input, Func<Tensor, Tensor> f, double h = DefaultH)
        => (name, g) => { var x = input(g); Check(name, () => f(x), [x], h); };

    public static readonly Dictionary<string, ConvCase> ResampleCases = new()
    {
        // distinct values 0.25 apart: no ties, so max is differentiable at the check's ±h
        ["max_pool2d k2 (SIMD rows)"] = One(g => Distinct(g, S(1, 2, 4, 20)), x => nn.functional.max_pool2d(x, [2])),
        ["max_pool2d k2 odd size"] = One(g => Distinct(g, S(2, 1, 5, 7)), x => nn.functional.max_pool2d(x, [2])),
        ["max_pool2d k3 s2 p1"] = One(g => Distinct(g, S(1, 2, 6, 5)), x => nn.functional.max_pool2d(x, [3], [2], [1])),
        ["max_pool2d k3 s1 p1 overlapping"] = One(g => Distinct(g, S(1, 1, 5, 5)), x => nn.functional.max_pool2d(x, [3], [1], [1])),
        ["max_pool2d k2 ceil_mode"] = One(g => Distinct(g, S(1, 2, 5, 5)), x => nn.functional.max_pool2d(x, [2], ceil_mode: true)),
        ["max_pool2d k3 s2 p1 d2"] = One(g => Distinct(g, S(1, 1, 7, 7)), x => nn.functional.max_pool2d(x, [3], [2], [1], [2])),
        ["avg_pool2d k2"] = One(g => Uniform(g, S(1, 2, 4, 6)), x => nn.functional.avg_pool2d(x, [2])),
        ["avg_pool2d k3 s2 p1 include pad"] = One(g => Uniform(g, S(1, 2, 5, 6)), x => nn.functional.avg_pool2d(x, [3], [2], [1])),
        ["avg_pool2d k3 s2 p1 exclude pad ceil"] = One(g => Uniform(g, S(1, 2, 6, 6)), x => nn.functional.avg_pool2d(x, [3], [2], [1], ceil_mode: true, count_include_pad: false)),
        ["avg_pool2d divisor_override"] = One(g => Uniform(g, S(1, 1, 4, 4)), x => nn.functional.avg_pool2d(x, [2], divisor_override: 3)),
        ["nearest x2 (SIMD rows)"] = One(g => Uniform(g, S(1, 2, 3, 11)), x => nn.functional.interpolate(x, scale_factor: [2])),
        ["nearest x3"] = One(g => Uniform(g, S(1, 2, 3, 2)), x => nn.functional.interpolate(x, scale_factor: [3])),
        ["nearest size 4x5→7x3"] = One(g => Uniform(g, S(1, 2, 4, 5)), x => nn.functional.interpolate(x, size: [7, 3])),
        ["nearest-exact x1.5"] = One(g => Uniform(g, S(1, 1, 4, 4)), x => nn.functional.interpolate(x, scale_factor: [1.5], mode: InterpolationMode.NearestExact)),
        ["bilinear x2"] = One(g => Uniform(g, S(1, 2, 3, 4)), x => nn.functional.interpolate(x, scale_factor: [2], mode: InterpolationMode.Bilinear)),
        ["bilinear x2 align_corners"] = One(g => Uniform(g, S(1, 2, 3, 4)), x => nn.functional.interpolate(x, scale_factor: [2], mode: InterpolationMode.Bilinear, align_corners: true)),
        ["bilinear size 5x4→3x7"] = One(g => Uniform(g, S(1, 1, 5, 4)), x => nn.functional.interpolate(x, size: [3, 7], mode: InterpolationMode.Bilinear)),
        ["upsample module nearest"] = One(g => Uniform(g, S(2, 1, 3, 3)), x => nn.Upsample(scale_factor: 2).call(x)),
        ["upsample module bilinear"] = One(g => Uniform(g, S(1, 2, 3, 3)), x => nn.Upsample(scale_factor: 2, mode: UpsampleMode.Bilinear).call(x)),
    };

    public static TheoryData<string> ResampleNames => Names(ResampleCases);

    [Theory, MemberData(nameof(ResampleNames))]
    public void Resample(string name) => ResampleCases[name](name, GradCheckTests.GenFor(name));

    /// <summary>batch_norm with x, weight and bias all checked; running statistics are fresh copies per evaluation.</summary>
    static ConvCase BatchNormCase(long[] shape, bool training, bool affine = true)
        => (name, g) =>
        {
            long c = shape[1];
            var x = Uniform(g, shape, -2, 2);
            var w = Uniform(g, S(c), 0.5, 1.5);
            var b = Uniform(g, S(c), -0.5, 0.5);
            var rm = Uniform(g, S(c), -0.5, 0.5);
            var rv = Uniform(g, S(c), 0.5, 1.5);
            Tensor F(Tensor[] t) => nn.functional.batch_norm(t[0], rm.clone(), rv.clone(), affine ? t[1] : null, affine ? t[2] : null, training);
            Check(name, F, affine ? [x, w, b] : [x], h: 1e-2, atol: 2e-3, rtol: 2e-2);
        };

    public static readonly Dictionary<string, ConvCase> BatchNormCases = new()
    {
        ["batch_norm 2d train"] = BatchNormCase(S(3, 2, 3, 3), training: true),
        ["batch_norm 2d eval"] = BatchNormCase(S(3, 2, 3, 3), training: false),
        ["batch_norm 2d train no affine"] = BatchNormCase(S(2, 3, 2, 2), training: true, affine: false),
        ["batch_norm 1d train [N, C]"] = BatchNormCase(S(6, 3), training: true),
        ["batch_norm 1d train [N, C, L]"] = BatchNormCase(S(3, 2, 4), training: true),
        ["batch_norm 1d eval [N, C]"] = BatchNormCase(S(5, 3), training: false),
    };

    public static TheoryData<string> BatchNormNames => Names(BatchNormCases);

    [Theory, MemberData(nameof(BatchNormNames))]
    public void BatchNorm(string name) => BatchNormCases[name](name, GradCheckTests.GenFor(name));

    // ---------------------------------------------------------------------------------------------
    // modules: gradients with respect to the input and every parameter
    // ---------------------------------------------------------------------------------------------

    static ConvCase Model(Func<nn.Module<Tensor, Tensor>> build, long[] inShape, bool train = false, double h = DefaultH)
        => (name, g) =>
        {
            manual_seed(7);
            var model = build();
            GradCheckTests.Reinit(model, g, 0.6);
            model.train(train);
            var x = Uniform(g, inShape);
            var inputs = new List<Tensor> { x };
            inputs.AddRange(model.parameters());
            // batch norm in training mode updates its running statistics on every call; they do not feed the output
            Check(name, () => model.call(x), inputs.ToArray(), h, atol: 2e-3, rtol: 2e-2);
        };

    public static readonly Dictionary<string, ConvCase> ModelCases = new()
    {
        // h = 1e-3: after Tanh two values in a pooling window can be within 1e-2 of each other, and a step that
        // swaps the max crosses a kink
        ["Conv2d → Tanh → MaxPool2d → ConvTranspose2d"] = Model(() => nn.Sequential(
            nn.Conv2d(2, 5, 3, padding: 1), nn.Tanh(), nn.MaxPool2d(2), nn.ConvTranspose2d(5, 2, 3, stride: 2, padding: 1, output_padding: 1)), S(1, 2, 4, 4), h: 1e-3),
        ["Conv2d(same) → BatchNorm2d(train) → AvgPool2d → Upsample"] = Model(() => nn.Sequential(
            nn.Conv2d(2, 6, 3, Padding.Same), nn.BatchNorm2d(6), nn.AvgPool2d(2), nn.Upsample(scale_factor: 2)), S(2, 2, 4, 4), train: true),
        ["Linear → BatchNorm1d(eval) → Tanh"] = Model(() => nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Tanh()), S(3, 4)),
    };

    public static TheoryData<string> ModelNames => Names(ModelCases);

    [Theory, MemberData(nameof(ModelNames))]
    public void Models(string name) => ModelCases[name](name, GradCheckTests.GenFor(name));
}
