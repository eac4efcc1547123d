using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// Corruptions for denoising autoencoders, drawn with TorchSharp's random functions from a generator seeded with
/// the given seed (same seed, same noise). Results are new tensors (not connected to autograd); the input is never modified.
/// <code>
/// var noisy = Noise.Gaussian(mnist.Train, factor: 0.5, clip: true, seed: 1);
/// </code>
/// </summary>
public static class Noise
{
    /// <summary>x + factor·ε with ε ~ N(0, 1) per value, then clipped to [0, 1] when <paramref name="clip"/> (scenario 001's recipe).</summary>
    public static Tensor Gaussian(Tensor x, double factor, bool clip = true, long seed = 0)
    {
        if (!(factor >= 0)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "Gaussian: factor must be non-negative");
        using var scope = NewDisposeScope();
        var noisy = x.detach() + factor * randn(x.shape, dtype: x.dtype, device: x.device, generator: Seeds.Torch(seed));
        return (clip ? noisy.clamp(0.0, 1.0) : noisy).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Salt-and-pepper noise: each value independently, with probability <paramref name="p"/>, is replaced by 0 (pepper)
    /// or 1 (salt), each half the time; so a fraction p of values is corrupted, p/2 of them set to 1 and p/2 to 0.
    /// </summary>
    public static Tensor SaltAndPepper(Tensor x, double p, long seed = 0)
    {
        CheckProbability(p, nameof(SaltAndPepper));
        using var scope = NewDisposeScope();
        var u = rand(x.shape, dtype: x.dtype, device: x.device, generator: Seeds.Torch(seed));
        var salted = where(u < p / 2, zeros_like(x), ones_like(x));
        return where(u < p, salted, x.detach()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Masking noise: each value is set to 0 with probability <paramref name="p"/>. Returns a <see cref="Masker"/>
    /// over <paramref name="x"/>: with <c>random: true</c> every <see cref="Masker.Next"/> (every epoch) draws a new mask;
    /// with <c>random: false</c> one mask is drawn and reused on every call, so the network sees the same holes each
    /// epoch (scenario 001 warns this lets it compensate instead of learning to fill in).
    /// </summary>
    public static Masker Mask(Tensor x, double p, bool random = true, long seed = 0)
    {
        CheckProbability(p, nameof(Mask));
        return new Masker(x, p, random, seed);
    }

    /// <summary>
    /// For <c>TrainOptions.InputTransform</c>: fresh Gaussian noise for every step, (clean batch, step) → noisy batch,
    /// seeded by (seed, step).
    /// </summary>
    public static Func<Tensor, int, Tensor> GaussianEachStep(double factor, bool clip = true, long seed = 0)
        => (clean, step) => Gaussian(clean, factor, clip, Seeds.Mix(seed, step));

    /// <summary>
    /// Signal-to-noise ratio in decibels: 10·log10(Σ clean² / Σ (noisy − clean)²). +∞ when the two are equal.
    /// </summary>
    public static double SnrDb(Tensor clean, Tensor noisy)
    {
        if (!clean.shape.SequenceEqual(noisy.shape))
            throw new ArgumentException($"SnrDb: shapes differ, [{string.Join(", ", clean.shape)}] and [{string.Join(", ", noisy.shape)}]");
        using var scope = NewDisposeScope();
        var c = clean.detach().to_type(ScalarType.Float64);
        double signal = c.square().sum().item<double>();
        double noise = (noisy.detach().to_type(ScalarType.Float64) - c).square().sum().item<double>();
        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }

    internal static void CheckProbability(double p, string what)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, $"{what}: p must be in [0, 1]");
    }
}

/// <summary>
/// Masking noise over a fixed tensor (see <see cref="Noise.Mask"/>). Random: each call masks with a new pattern,
/// drawn from (seed, call number), so the sequence is reproducible. Fixed: every call returns the same masked tensor.
/// <code>
/// var masker = Noise.Mask(mnist.Train, p: 0.3, random: true, seed: 1);
/// for (int epoch = 0; epoch &lt; 10; epoch++) { var inputs = masker.Next(); … }
/// </code>
/// </summary>
public sealed class Masker
{
    internal Masker(Tensor source, double p, bool random, long seed)
    {
        Source = source;
        P = p;
        Random = random;
        Seed = seed;
    }

    public Tensor Source { get; }
    /// <summary>The probability that a value is masked (set to 0).</summary>
    public double P { get; }
    /// <summary>A new mask each call (true) or one mask for all calls (false).</summary>
    public bool Random { get; }
    public long Seed { get; }
    /// <summary>How many times <see cref="Next"/> has been called.</summary>
    public int Calls { get; private set; }

    /// <summary>The next masked copy of <see cref="Source"/>: call k gets <see cref="ForEpoch"/>(k).</summary>
    public Tensor Next() => ForEpoch(Calls++);

    /// <summary>The masked copy for an epoch: random → mask drawn from (seed, epoch); fixed → the same mask whatever the epoch.</summary>
    public Tensor ForEpoch(int epoch)
    {
        using var scope = NewDisposeScope();
        return (Source.detach() * KeepMask(Source, epoch)).MoveToOuterDisposeScope();
    }

    /// <summary>The mask for an epoch as a tensor: 1 where a value is kept, 0 where it is masked.</summary>
    public Tensor MaskFor(int epoch) => KeepMask(Source, epoch);

    /// <summary>
    /// For <c>TrainOptions.InputTransform</c>, (clean batch, step) → masked batch. Random: a new mask every step.
    /// Fixed: one mask pattern drawn from the seed and reused every step (batches of the same size get the same
    /// positions masked; a shorter last batch uses the pattern's first rows).
    /// </summary>
    public Func<Tensor, int, Tensor> AsInputTransform() => (batch, step) =>
    {
        using var scope = NewDisposeScope();
        return (batch.detach() * KeepMask(batch, Random ? step : 0, forBatches: true)).MoveToOuterDisposeScope();
    };

    /// <summary>1 where a value is kept, 0 where it is masked, same shape, dtype and device as `like`.</summary>
    Tensor KeepMask(Tensor like, int epoch, bool forBatches = false)
    {
        long stream = (Random ? epoch : 0) + (forBatches ? 1L << 40 : 0);
        using var u = rand(like.shape, dtype: like.dtype, device: like.device, generator: Seeds.Torch(Seeds.Mix(Seed, stream)));
        return (u >= P).to_type(like.dtype);
    }

    public override string ToString() => $"Masker(p = {P}, {(Random ? "new mask each call" : "fixed mask")}, seed {Seed}, {Calls} calls)";
}
