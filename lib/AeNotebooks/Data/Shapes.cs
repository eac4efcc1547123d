using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

public static partial class Datasets
{
    /// <summary>The shape kinds of <see cref="Shapes"/>, in label order.</summary>
    public static IReadOnlyList<string> ShapeClasses { get; } = ["circle", "rectangle", "triangle"];

    /// <summary>
    /// Colour images of simple shapes (the scenarios' 32×32×3 examples), [count, 3, size, size] in [0, 1].
    /// Each image: a background that is a solid colour or a gentle linear gradient in a random direction, then 1–3
    /// shapes (circle, axis-aligned rectangle, rotated equilateral triangle) of random colour, size and position,
    /// drawn in order with anti-aliased edges. The label is the kind of the largest shape (by area). Structured,
    /// so an autoencoder can compress it. The first count − round(testFraction·count) images train, the rest test.
    /// Each image draws from its own generator seeded from (seed, index): image i is the same whatever count is.
    /// </summary>
    public static Dataset Shapes(int count, int size = 32, double testFraction = 0.2, long seed = 0)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "Shapes: count must be positive");
        if (size < 8) throw new ArgumentOutOfRangeException(nameof(size), size, "Shapes: size must be at least 8");
        if (!(testFraction >= 0 && testFraction < 1)) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "Shapes: testFraction must be in [0, 1)");
        int plane = size * size, image = 3 * plane;
        int nTest = (int)Math.Round(testFraction * count, MidpointRounding.AwayFromZero);
        if (testFraction > 0 && count > 1) nTest = Math.Clamp(nTest, 1, count - 1);
        int nTrain = count - nTest;
        var trainValues = new float[(long)nTrain * image];
        var testValues = new float[(long)nTest * image];
        var labels = new int[count];
        Parallel.For(0, count, i =>
        {
            var target = i < nTrain ? trainValues.AsSpan(i * image, image) : testValues.AsSpan((i - nTrain) * image, image);
            labels[i] = DrawShapes(target, size, Seeds.Random(seed, i));
        });
        return new Dataset("Shapes", tensor(trainValues, [nTrain, 3, size, size]), tensor(testValues, [nTest, 3, size, size]),
            labels[..nTrain], labels[nTrain..], ShapeClasses,
            $"synthetic: {size}×{size} RGB, 1–3 shapes per image, label = largest shape, seed {seed}");
    }

    /// <summary>Draws one image into a planar RGB buffer; returns the kind of the largest shape.</summary>
    static int DrawShapes(Span<float> rgb, int size, Random g)
    {
        int plane = size * size;
        // Background: colour c1, or a gradient from c1 to c2 along a random unit direction.
        Span<double> c1 = stackalloc double[3], c2 = stackalloc double[3];
        for (int ch = 0; ch < 3; ch++) c1[ch] = 0.1 + 0.8 * g.NextDouble();
        bool gradient = g.NextDouble() < 0.5;
        for (int ch = 0; ch < 3; ch++) c2[ch] = gradient ? Math.Clamp(c1[ch] + 0.6 * (g.NextDouble() - 0.5), 0, 1) : c1[ch];
        var (dx, dy) = UnitVector(g);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double t = Math.Clamp(0.5 + ((x + 0.5) / size - 0.5) * dx + ((y + 0.5) / size - 0.5) * dy, 0, 1);
                for (int ch = 0; ch < 3; ch++) rgb[ch * plane + y * size + x] = (float)(c1[ch] + (c2[ch] - c1[ch]) * t);
            }

        int shapes = 1 + (int)g.NextInt64(3);
        int largestKind = 0;
        double largestArea = -1;
        Span<double> colour = stackalloc double[3];
        for (int s = 0; s < shapes; s++)
        {
            int kind = (int)g.NextInt64(3);
            // A colour that stands out from the background's mean colour (L1 distance ≥ 0.6, up to 20 tries).
            for (int attempt = 0; attempt < 20; attempt++)
            {
                double distance = 0;
                for (int ch = 0; ch < 3; ch++) { colour[ch] = g.NextDouble(); distance += Math.Abs(colour[ch] - 0.5 * (c1[ch] + c2[ch])); }
                if (distance >= 0.6) break;
            }
            var shape = new Shape { Kind = kind, Cx = size * (0.15 + 0.7 * g.NextDouble()), Cy = size * (0.15 + 0.7 * g.NextDouble()) };
            double area, extent;
            switch (kind)
            {
                case 0:
                    shape.A = size * (0.12 + 0.18 * g.NextDouble()); // radius
                    area = Math.PI * shape.A * shape.A; extent = shape.A;
                    break;
                case 1:
                    shape.A = size * (0.1 + 0.18 * g.NextDouble()); // half width
                    shape.B = size * (0.1 + 0.18 * g.NextDouble()); // half height
                    area = 4 * shape.A * shape.B; extent = Math.Max(shape.A, shape.B);
                    break;
                default:
                {
                    double radius = size * (0.15 + 0.2 * g.NextDouble());
                    area = 3 * Math.Sqrt(3) / 4 * radius * radius; extent = radius;
                    var (ux, uy) = UnitVector(g);
                    // Vertices at 0°, 120°, 240° from the random direction (rotation by complex multiplication: no trig).
                    const double cos120 = -0.5, sin120 = 0.86602540378443865;
                    Span<double> vx = stackalloc double[3], vy = stackalloc double[3];
                    double ax = ux, ay = uy;
                    for (int k = 0; k < 3; k++)
                    {
                        vx[k] = shape.Cx + radius * ax; vy[k] = shape.Cy + radius * ay;
                        (ax, ay) = (ax * cos120 - ay * sin120, ax * sin120 + ay * cos120);
                    }
                    // Unit edge normals, flipped to point away from the centre: the signed distance is the largest edge distance.
                    for (int k = 0; k < 3; k++)
                    {
                        int m = (k + 1) % 3;
                        double ex = vx[m] - vx[k], ey = vy[m] - vy[k], len = Math.Sqrt(ex * ex + ey * ey);
                        double nx = ey / len, ny = -ex / len, off = nx * vx[k] + ny * vy[k];
                        if (nx * shape.Cx + ny * shape.Cy - off > 0) { nx = -nx; ny = -ny; off = -off; }
                        shape.SetEdge(k, nx, ny, off);
                    }
                    break;
                }
            }
            if (area > largestArea) { largestArea = area; largestKind = kind; }

            int x0 = Math.Max(0, (int)Math.Floor(shape.Cx - extent - 1)), x1 = Math.Min(size - 1, (int)Math.Ceiling(shape.Cx + extent + 1));
            int y0 = Math.Max(0, (int)Math.Floor(shape.Cy - extent - 1)), y1 = Math.Min(size - 1, (int)Math.Ceiling(shape.Cy + extent + 1));
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++)
                {
                    double coverage = Math.Clamp(0.5 - shape.SignedDistance(x + 0.5, y + 0.5), 0, 1);
                    if (coverage <= 0) continue;
                    for (int ch = 0; ch < 3; ch++)
                    {
                        int at = ch * plane + y * size + x;
                        rgb[at] = (float)(rgb[at] * (1 - coverage) + colour[ch] * coverage);
                    }
                }
        }
        return largestKind;
    }

    /// <summary>One shape's geometry; <see cref="SignedDistance"/> is in pixels, negative inside.</summary>
    struct Shape
    {
        public int Kind;
        public double Cx, Cy, A, B;
        double n0x, n0y, o0, n1x, n1y, o1, n2x, n2y, o2; // triangle edges: normal and offset

        public void SetEdge(int k, double nx, double ny, double off)
        {
            if (k == 0) (n0x, n0y, o0) = (nx, ny, off);
            else if (k == 1) (n1x, n1y, o1) = (nx, ny, off);
            else (n2x, n2y, o2) = (nx, ny, off);
        }

        public readonly double SignedDistance(double px, double py)
        {
            switch (Kind)
            {
                case 0:
                    return Math.Sqrt((px - Cx) * (px - Cx) + (py - Cy) * (py - Cy)) - A;
                case 1:
                {
                    double qx = Math.Abs(px - Cx) - A, qy = Math.Abs(py - Cy) - B;
                    double ox = Math.Max(qx, 0), oy = Math.Max(qy, 0);
                    return Math.Sqrt(ox * ox + oy * oy) + Math.Min(Math.Max(qx, qy), 0);
                }
                default:
                    return Math.Max(n0x * px + n0y * py - o0, Math.Max(n1x * px + n1y * py - o1, n2x * px + n2y * py - o2));
            }
        }
    }

    /// <summary>A uniformly random direction from rejection sampling in the unit disc (no trigonometry, so it is portable).</summary>
    static (double x, double y) UnitVector(Random g)
    {
        while (true)
        {
            double x = 2 * g.NextDouble() - 1, y = 2 * g.NextDouble() - 1, r2 = x * x + y * y;
            if (r2 > 0.01 && r2 <= 1) { double r = Math.Sqrt(r2); return (x / r, y / r); }
        }
    }
}
