using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace AeNotebooks.Imaging;

/// <summary>PNG colour types this encoder writes (8 bits per channel).</summary>
public enum PngColor
{
    /// <summary>One byte per pixel (colour type 0).</summary>
    Grayscale = 0,
    /// <summary>Three bytes per pixel, R G B (colour type 2).</summary>
    Rgb = 2,
}

/// <summary>The per-row filter (PNG spec §9). Adaptive picks, per row, the one with the smallest sum of |bytes|.</summary>
public enum PngFilter
{
    None = 0,
    Sub = 1,
    Up = 2,
    Average = 3,
    Paeth = 4,
    Adaptive = 5,
}

/// <summary>
/// A PNG encoder: 8-bit grayscale or RGB, non-interlaced, deflated with <see cref="ZLibStream"/>. Enough for image
/// grids and heatmaps without an imaging library.
/// </summary>
public static class Png
{
    static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Largest IDAT chunk written; longer image data is split over several IDAT chunks.</summary>
    public const int MaxIdatLength = 1 << 16;

    /// <summary>Encodes row-major pixels (<paramref name="width"/> × <paramref name="height"/> × channels bytes).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, PngColor color,
        PngFilter filter = PngFilter.Adaptive, CompressionLevel level = CompressionLevel.Optimal)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"a PNG needs a positive size, not {width}×{height}");
        int channels = color == PngColor.Rgb ? 3 : color == PngColor.Grayscale ? 1 : throw new ArgumentOutOfRangeException(nameof(color));
        long stride = (long)width * channels;
        if (pixels.Length != stride * height)
            throw new ArgumentException($"{width}×{height} {color} needs {stride * height} bytes, got {pixels.Length}", nameof(pixels));

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;            // bit depth
        ihdr[9] = (byte)color;  // colour type
        ihdr[10] = 0;           // compression: deflate
        ihdr[11] = 0;           // filter method 0 (five per-row filters)
        ihdr[12] = 0;           // no interlace
        WriteChunk(output, "IHDR", ihdr);

        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, level, leaveOpen: true))
        {
            var previous = new byte[stride];
            var candidates = new byte[5][];
            for (int f = 0; f < 5; f++) candidates[f] = new byte[stride + 1];
            for (int y = 0; y < height; y++)
            {
                var row = pixels.Slice((int)(y * stride), (int)stride);
                byte[] chosen;
                if (filter == PngFilter.Adaptive)
                {
                    chosen = candidates[0];
                    long best = long.MaxValue;
                    for (int f = 0; f < 5; f++)
                    {
                        Apply((PngFilter)f, row, previous, channels, candidates[f]);
                        long cost = Cost(candidates[f]);
                        if (cost < best) { best = cost; chosen = candidates[f]; }
                    }
                }
                else
                {
                    chosen = candidates[0];
                    Apply(filter, row, previous, channels, chosen);
                }
                z.Write(chosen);
                row.CopyTo(previous);
            }
        }

        var data = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        int start = 0;
        do
        {
            int length = Math.Min(MaxIdatLength, data.Length - start);
            WriteChunk(output, "IDAT", data.Slice(start, length));
            start += length;
        } while (start < data.Length);
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>Filters one scanline into <paramref name="target"/> (its first byte is the filter type).</summary>
    static void Apply(PngFilter filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> above, int bpp, Span<byte> target)
    {
        target[0] = (byte)filter;
        var t = target[1..];
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
            int predictor = filter switch
            {
                PngFilter.None => 0,
                PngFilter.Sub => a,
                PngFilter.Up => b,
                PngFilter.Average => (a + b) >> 1,
                PngFilter.Paeth => Paeth(a, b, c),
                _ => throw new ArgumentOutOfRangeException(nameof(filter)),
            };
            t[i] = (byte)(row[i] - predictor);
        }
    }

    /// <summary>The Paeth predictor (PNG spec §9.4): whichever of left, above, upper-left is closest to left + above − upper-left.</summary>
    public static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>The usual heuristic: bytes read as signed, summed by magnitude.</summary>
    static long Cost(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        for (int i = 1; i < filtered.Length; i++) sum += Math.Abs((int)(sbyte)filtered[i]);
        return sum;
    }

    static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        s.Write(header);
        s.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, header[4..]), data) ^ 0xFFFFFFFFu;
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }
}

/// <summary>CRC-32 as PNG and zlib's crc32 define it (polynomial 0xEDB88320, reflected).</summary>
public static class Crc32
{
    static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>Feeds bytes into a running (pre-conditioned) CRC; start at 0xFFFFFFFF and invert at the end.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;
}
