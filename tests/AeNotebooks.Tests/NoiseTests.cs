using TorchSharp;
using static TorchSharp.torch;
using static AeNotebooks.Tests.TestUtil;

namespace AeNotebooks.Tests;

public class NoiseTests
{
    const int N = 200_000;
    static Tensor Half() => full([400, 500], 0.5);

    [Fact]
    public void Gaussian_adds_factor_times_standard_normal()
    {
        var x = Datasets.Uniform(400, 500, seed: 1);
        var noisy = Noise.Gaussian(x, factor: 0.5, clip: false, seed: 3);
        var noise = (noisy - x).ToArray();
        Assert.InRange(Mean(noise), -4 * 0.5 / Math.Sqrt(N), 4 * 0.5 / Math.Sqrt(N));
        Assert.InRange(Std(noise), 0.5 * 0.99, 0.5 * 1.01);
        // Tails as a normal's: |ε| > 2σ about 4.55 % of the time.
        Assert.InRange(noise.Count(v => Math.Abs(v) > 1.0) / (double)N, 0.042, 0.049);
    }

    [Fact]
    public void Gaussian_clips_to_0_1()
    {
        var noisy = Noise.Gaussian(Half(), factor: 0.5, clip: true, seed: 1).ToArray();
        Assert.True(noisy.Min() >= 0f && noisy.Max() <= 1f);
        // 0.5 + 0.5·ε is clipped to 0 when ε < −1: P = Φ(−1) = 0.1587.
        Assert.InRange(noisy.Count(v => v == 0f) / (double)N, 0.155, 0.163);
        Assert.InRange(noisy.Count(v => v == 1f) / (double)N, 0.155, 0.163);
    }

    [Fact]
    public void Noise_is_seeded_and_leaves_the_input_alone()
    {
        var x = Half();
        Assert.True(Same(Noise.Gaussian(x, 0.3, seed: 5), Noise.Gaussian(x, 0.3, seed: 5)));
        Assert.False(Same(Noise.Gaussian(x, 0.3, seed: 5), Noise.Gaussian(x, 0.3, seed: 6)));
        Assert.True(Same(Noise.SaltAndPepper(x, 0.1, seed: 5), Noise.SaltAndPepper(x, 0.1, seed: 5)));
        Assert.False(Same(Noise.SaltAndPepper(x, 0.1, seed: 5), Noise.SaltAndPepper(x, 0.1, seed: 6)));
        Assert.All(x.ToArray(), v => Assert.Equal(0.5f, v));
        Assert.True(Same(Noise.Gaussian(x, factor: 0), x));
    }

    [Fact]
    public void Salt_and_pepper_corrupts_a_fraction_p_half_white_half_black()
    {
        var noisy = Noise.SaltAndPepper(Half(), p: 0.2, seed: 2).ToArray();
        double salt = noisy.Count(v => v == 1f) / (double)N, pepper = noisy.Count(v => v == 0f) / (double)N;
        Assert.InRange(salt + pepper, 0.197, 0.203);             // σ ≈ 0.0009
        Assert.InRange(salt, 0.097, 0.103);
        Assert.InRange(pepper, 0.097, 0.103);
        Assert.Equal(N, noisy.Count(v => v == 0f || v == 1f || v == 0.5f));
    }

    [Fact]
    public void Mask_zeroes_a_fraction_p()
    {
        var masker = Noise.Mask(ones(400, 500), p: 0.3, seed: 4);
        var masked = masker.Next().ToArray();
        Assert.InRange(masked.Count(v => v == 0f) / (double)N, 0.297, 0.303);
        Assert.Equal(N, masked.Count(v => v == 0f || v == 1f));
    }

    [Fact]
    public void Random_masks_change_every_call_fixed_masks_never_do()
    {
        var x = ones(400, 500);
        var random = Noise.Mask(x, p: 0.3, random: true, seed: 1);
        var first = random.Next().ToArray();
        var second = random.Next().ToArray();
        // Independent masks: a value is masked in both with probability p² = 0.09.
        double both = Enumerable.Range(0, N).Count(i => first[i] == 0f && second[i] == 0f) / (double)N;
        Assert.InRange(both, 0.087, 0.093);
        Assert.Equal(2, random.Calls);
        Assert.True(Same(random.ForEpoch(1), tensor(second, [400, 500])));           // reproducible by epoch
        Assert.True(Same(Noise.Mask(x, 0.3, random: true, seed: 1).Next(), tensor(first, [400, 500])));

        var fixedMask = Noise.Mask(x, p: 0.3, random: false, seed: 1);
        var a = fixedMask.Next();
        Assert.True(Same(a, fixedMask.Next()));
        Assert.True(Same(a, fixedMask.ForEpoch(17)));
        Assert.True(Same(fixedMask.MaskFor(3), a));                                  // on ones, masked x is the mask
    }

    [Fact]
    public void Masks_as_input_transforms_for_the_trainer()
    {
        var batch = ones(64, 100);
        var random = Noise.Mask(batch, p: 0.5, random: true, seed: 2).AsInputTransform();
        Assert.False(Same(random(batch, 0), random(batch, 1)));
        Assert.True(Same(random(batch, 3), random(batch, 3)));
        var fixedMask = Noise.Mask(batch, p: 0.5, random: false, seed: 2).AsInputTransform();
        Assert.True(Same(fixedMask(batch, 0), fixedMask(batch, 1)));

        var fresh = Noise.GaussianEachStep(0.2, seed: 1);
        Assert.False(Same(fresh(batch, 0), fresh(batch, 1)));
        Assert.True(Same(fresh(batch, 5), fresh(batch, 5)));
        Assert.True(fresh(batch, 0).ToArray().All(v => v >= 0f && v <= 1f));
    }

    [Fact]
    public void SnrDb_measures_signal_over_noise_power()
    {
        var clean = ones(10, 10);
        Assert.Equal(20.0, Noise.SnrDb(clean, clean + 0.1), 4);   // power 1 over 0.01
        Assert.Equal(double.PositiveInfinity, Noise.SnrDb(clean, clean));
        var x = Half();
        // Signal power 0.25, noise power 0.25² → 10·log10(4) ≈ 6.02 dB.
        Assert.InRange(Noise.SnrDb(x, Noise.Gaussian(x, factor: 0.25, clip: false, seed: 1)), 5.95, 6.09);
        Assert.Throws<ArgumentException>(() => Noise.SnrDb(ones(2, 3), ones(3, 2)));
    }

    [Fact]
    public void Probabilities_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Noise.SaltAndPepper(ones(2), 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Noise.Mask(ones(2), -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Noise.Gaussian(ones(2), -1));
    }
}
