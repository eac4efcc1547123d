namespace AeNotebooks.Torch;

public static partial class torch
{
    /// <summary>
    /// A portable random generator: xoshiro256** seeded by SplitMix64, with normals from Box–Muller
    /// computed by <see cref="PortableMath"/> using only +, −, ×, ÷ and √ (all exactly rounded in IEEE 754),
    /// so a seed gives bit-identical numbers on every OS and CPU. Not PyTorch's stream: same seed, other numbers.
    /// </summary>
    public sealed class Generator
    {
        ulong s0, s1, s2, s3;
        double? spareNormal;

        public Generator(long seed = 0) => manual_seed(seed);

        public long initial_seed { get; private set; }

        public Generator manual_seed(long seed)
        {
            initial_seed = seed;
            ulong x = (ulong)seed;
            s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
            spareNormal = null;
            return this;
        }

        static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public ulong NextUInt64()
        {
            ulong result = RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = RotateLeft(s3, 45);
            return result;
        }

        static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

        /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
        public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

        /// <summary>Standard normal (Box–Muller; the second value of each pair is kept for the next call).</summary>
        public double NextNormal()
        {
            if (spareNormal is double spare) { spareNormal = null; return spare; }
            double u1 = 1.0 - NextDouble(); // (0, 1]: log stays finite
            double u2 = NextDouble();
            double radius = Math.Sqrt(-2.0 * PortableMath.Log(u1));
            var (sin, cos) = PortableMath.SinCosTurns(u2);
            spareNormal = radius * sin;
            return radius * cos;
        }

        /// <summary>Uniform integer in [0, n) without modulo bias.</summary>
        public long NextInt64(long n)
        {
            if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "upper bound must be positive");
            ulong bound = (ulong)n, threshold = (0UL - bound) % bound;
            while (true)
            {
                ulong r = NextUInt64();
                if (r >= threshold) return (long)(r % bound);
            }
        }

        /// <summary>A uniformly random permutation of 0..n-1 (Fisher–Yates).</summary>
        public long[] Permutation(long n)
        {
            var p = new long[n];
            for (long i = 0; i < n; i++) p[i] = i;
            for (long i = n - 1; i > 0; i--)
            {
                long j = NextInt64(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
            return p;
        }
    }

    /// <summary>The process-wide generator used when none is passed (seeded 0 until manual_seed), as in PyTorch.</summary>
    public static Generator default_generator { get; } = new Generator(0);

    /// <summary>Seeds the default generator.</summary>
    public static Generator manual_seed(long seed) => default_generator.manual_seed(seed);
}

/// <summary>log and sin/cos from exactly rounded operations only, so results match on every platform.</summary>
internal static class PortableMath
{
    const double Ln2 = 0.69314718055994530942;

    /// <summary>Natural log for x &gt; 0: x = m·2^e with m in [√½, √2), then an atanh series (error ~1e-16).</summary>
    public static double Log(double x)
    {
        if (!(x > 0)) return x == 0 ? double.NegativeInfinity : double.NaN;
        if (double.IsPositiveInfinity(x)) return x;
        long bits = BitConverter.DoubleToInt64Bits(x);
        int e = (int)((bits >> 52) & 0x7FF);
        if (e == 0) { x *= 4503599627370496.0; bits = BitConverter.DoubleToInt64Bits(x); e = (int)((bits >> 52) & 0x7FF) - 52; } // subnormal
        int exponent = e - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > 1.4142135623730951) { m *= 0.5; exponent++; }
        double s = (m - 1) / (m + 1), s2 = s * s;
        double term = s, sum = 0;
        for (int k = 1; k <= 41; k += 2) { sum += term / k; term *= s2; }
        return 2 * sum + exponent * Ln2;
    }

    /// <summary>(sin, cos) of 2π·turns for turns in [0, 1): quadrant from the turns, Taylor series on [0, π/2).</summary>
    public static (double sin, double cos) SinCosTurns(double turns)
    {
        double q4 = turns * 4;
        int quadrant = (int)q4;
        double a = (q4 - quadrant) * (Math.PI / 2);
        double a2 = a * a;
        double sin = 0, cos = 0, ts = a, tc = 1;
        for (int k = 0; k < 12; k++)
        {
            sin += ts; cos += tc;
            ts *= -a2 / ((2 * k + 2) * (2 * k + 3));
            tc *= -a2 / ((2 * k + 1) * (2 * k + 2));
        }
        return (quadrant & 3) switch
        {
            0 => (sin, cos),
            1 => (cos, -sin),
            2 => (-sin, -cos),
            _ => (-cos, sin),
        };
    }
}
