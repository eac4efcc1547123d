using System.IO.Compression;
using System.Text;

namespace AeNotebooks.Tests;

/// <summary>
/// A PNG decoder written from the PNG specification (ISO/IEC 15948, W3C PNG 3rd ed.), independent of the encoder:
/// it checks the signature, every chunk's CRC (computed bit by bit, no table), the chunk order, the zlib header and
/// its Adler-32, and reverses all five scanline filters. It handles what the suite writes: 8-bit grayscale and
/// RGB, non-interlaced.
/// </summary>
public sealed record DecodedPng(int Width, int Height, int Channels, byte[] Pixels, IReadOnlyList<string> Chunks, IReadOnlySet<int> FiltersSeen, int IdatCount)
{
    public byte[] Pixel(int x, int y) => Pixels.AsSpan((y * Width + x) * Channels, Channels).ToArray();
}

public static class PngDecoder
{
    static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static DecodedPng Decode(byte[] file)
    {
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException("not a PNG: bad signature");
        int pos = 8;
        var chunks = new List<string>();
        var idat = new MemoryStream();
        int width = 0, height = 0, colorType = -1, idatCount = 0;
        bool idatEnded = false;
        while (true)
        {
            if (pos + 12 > file.Length) throw new InvalidDataException("truncated chunk header");
            uint length = BigEndian(file, pos);
            if (length > int.MaxValue || pos + 12 + length > file.Length) throw new InvalidDataException("chunk runs past the end");
            string type = Encoding.ASCII.GetString(file, pos + 4, 4);
            var data = file.AsSpan(pos + 8, (int)length);
            uint stored = BigEndian(file, pos + 8 + (int)length);
            uint actual = BitwiseCrc(file.AsSpan(pos + 4, 4 + (int)length));
            if (stored != actual) throw new InvalidDataException($"CRC mismatch in {type}: stored {stored:X8}, computed {actual:X8}");
            if (chunks.Count == 0 && type != "IHDR") throw new InvalidDataException("IHDR must come first");
            if (chunks.Count > 0 && chunks[^1] == "IDAT" && type != "IDAT") idatEnded = true;
            chunks.Add(type);
            switch (type)
            {
                case "IHDR":
                    if (length != 13) throw new InvalidDataException("IHDR must be 13 bytes");
                    width = (int)BigEndian(file, pos + 8);
                    height = (int)BigEndian(file, pos + 12);
                    int bitDepth = data[8];
                    colorType = data[9];
                    if (width <= 0 || height <= 0) throw new InvalidDataException("zero size");
                    if (bitDepth != 8) throw new InvalidDataException($"bit depth {bitDepth} not supported here");
                    if (colorType is not (0 or 2 or 6)) throw new InvalidDataException($"colour type {colorType} not supported here");
                    if (data[10] != 0 || data[11] != 0 || data[12] != 0) throw new InvalidDataException("compression, filter and interlace must be 0");
                    break;
                case "IDAT":
                    if (idatEnded) throw new InvalidDataException("IDAT chunks must be consecutive");
                    idat.Write(data);
                    idatCount++;
                    break;
                case "IEND":
                    if (length != 0) throw new InvalidDataException("IEND must be empty");
                    if (pos + 12 != file.Length) throw new InvalidDataException("data after IEND");
                    return Finish(width, height, colorType, idat.ToArray(), chunks, idatCount);
                default:
                    if (char.IsUpper(type[0])) throw new InvalidDataException($"unknown critical chunk {type}");
                    break;
            }
            pos += 12 + (int)length;
        }
    }

    static DecodedPng Finish(int width, int height, int colorType, byte[] zlib, List<string> chunks, int idatCount)
    {
        // zlib (RFC 1950): CMF/FLG check, deflate, 32K window; Adler-32 of the inflated bytes at the end
        if (zlib.Length < 6) throw new InvalidDataException("zlib stream too short");
        if ((zlib[0] & 0x0F) != 8 || (zlib[0] >> 4) > 7 || ((zlib[0] << 8) | zlib[1]) % 31 != 0) throw new InvalidDataException("bad zlib header");
        if ((zlib[1] & 0x20) != 0) throw new InvalidDataException("preset dictionary not allowed in PNG");
        byte[] raw;
        using (var z = new ZLibStream(new MemoryStream(zlib), CompressionMode.Decompress))
        using (var m = new MemoryStream())
        {
            z.CopyTo(m);
            raw = m.ToArray();
        }
        uint adler = BigEndian(zlib, zlib.Length - 4);
        if (adler != Adler32(raw)) throw new InvalidDataException("Adler-32 mismatch");

        int channels = colorType switch { 2 => 3, 6 => 4, _ => 1 }, bpp = channels, stride = width * channels;
        if (raw.Length != (stride + 1) * height) throw new InvalidDataException($"expected {(stride + 1) * height} filtered bytes, got {raw.Length}");
        var pixels = new byte[stride * height];
        var seen = new HashSet<int>();
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            seen.Add(filter);
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? pixels[y * stride + i - bpp] : 0;            // left
                int b = y > 0 ? pixels[(y - 1) * stride + i] : 0;               // above
                int c = i >= bpp && y > 0 ? pixels[(y - 1) * stride + i - bpp] : 0; // upper left
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => PaethFromSpec(a, b, c),
                    _ => throw new InvalidDataException($"filter type {filter} on row {y}"),
                };
                pixels[y * stride + i] = (byte)((line[i] + predictor) & 0xFF);
            }
        }
        return new DecodedPng(width, height, channels, pixels, chunks, seen, idatCount);
    }

    /// <summary>PNG spec §9.4, as written there.</summary>
    static int PaethFromSpec(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        if (pb <= pc) return b;
        return c;
    }

    static uint BigEndian(byte[] b, int at) => (uint)(b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3]);

    /// <summary>CRC-32 (ISO 3309) bit by bit, without the table the encoder uses.</summary>
    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    static uint Adler32(byte[] data)
    {
        uint s1 = 1, s2 = 0;
        foreach (var b in data) { s1 = (s1 + b) % 65521; s2 = (s2 + s1) % 65521; }
        return s2 << 16 | s1;
    }

    /// <summary>Every base64 PNG in data URIs of an HTML or SVG text.</summary>
    public static List<byte[]> DataUris(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, "data:image/png;base64,([A-Za-z0-9+/=]+)").Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
}
