using Xunit;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// relu's and leaky_relu's backward run whole vectors and then a scalar tail; both parts must give, bit for bit,
/// what the scalar rule gives: gx += g where !(x ≤ 0) (gx untouched elsewhere, so a −0 stays −0), and
/// gx += (x > 0 ? g : a·g). Lengths around the vector widths; values with ±0, NaN, ±∞ and subnormals; the
/// leaf's .grad set beforehand (the backward accumulates into it).
/// </summary>
public class ActivationBackwardTests
{
    public static TheoryData<int> Lengths => new() { 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 1027 };

    static readonly float[] Specials = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, 1e-38f, -1e-38f];

    static float[] Values(int n, int seed)
    {
        var rng = new System.Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++)
            v[i] = rng.Next(4) == 0 ? Specials[rng.Next(Specials.Length)] : (float)(rng.NextDouble() * 4 - 2);
        return v;
    }

    static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: expected {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}), actual {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8})");
    }

    /// <summary>Runs op on a leaf whose grad starts as gx0, backward with g; returns the leaf's grad.</summary>
    static float[] Backward(Func<Tensor, Tensor> op, float[] x, float[] g, float[] gx0)
    {
        var leaf = tensor(x, requires_grad: true);
        leaf.grad = tensor((float[])gx0.Clone());
        op(leaf).backward(tensor(g));
        return leaf.grad!.ToArray();
    }

    [Theory, MemberData(nameof(Lengths))]
    public void ReluBackwardMatchesScalarRule(int n)
    {
        float[] x = Values(n, 1), g = Values(n, 2), gx0 = Values(n, 3);
        var expected = (float[])gx0.Clone();
        // the seed of backward(gradient) is 0 + g, as the engine makes it
        for (int i = 0; i < n; i++) if (!(x[i] <= 0f)) expected[i] += 0f + g[i];
        AssertBits(expected, Backward(t => t.relu(), x, g, gx0), $"relu grad (n = {n})");
    }

    [Theory, MemberData(nameof(Lengths))]
    public void LeakyReluBackwardMatchesScalarRule(int n)
    {
        float[] x = Values(n, 4), g = Values(n, 5), gx0 = Values(n, 6);
        const float a = 0.01f;
        var expected = (float[])gx0.Clone();
        for (int i = 0; i < n; i++)
        {
            float gi = 0f + g[i];
            expected[i] += x[i] > 0f ? gi : a * gi;
        }
        AssertBits(expected, Backward(t => t.leaky_relu(a), x, g, gx0), $"leaky_relu grad (n = {n})");
    }
}
