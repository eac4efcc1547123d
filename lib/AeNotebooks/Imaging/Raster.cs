using AeNotebooks.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Imaging;

/// <summary>
/// An 8-bit grayscale or RGB picture the suite made from a tensor (row-major, channels interleaved). ImageSharp encodes
/// it; <see cref="ToImage"/> hands it to ImageSharp for anything more (resizing, other formats).
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "image/png", "text/plain"])]
public sealed class Raster : IPngRenderable
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    public int Channels { get; }
    public byte[] Pixels { get; }

    public Raster(int width, int height, int channels, byte[]? pixels = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"size {width}×{height} must be positive");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 (grayscale) or 3 (RGB) channels");
        Width = width; Height = height; Channels = channels;
        Pixels = pixels ?? new byte[width * height * channels];
        if (Pixels.Length != width * height * channels)
            throw new ArgumentException($"{width}×{height}×{channels} needs {width * height * channels} bytes, got {Pixels.Length}", nameof(pixels));
    }

    /// <summary>A blank picture filled with one colour.</summary>
    public static Raster Filled(int width, int height, int channels, byte r, byte g, byte b)
    {
        var image = new Raster(width, height, channels);
        for (int i = 0; i < width * height; i++)
        {
            if (channels == 1) image.Pixels[i] = r;
            else { image.Pixels[3 * i] = r; image.Pixels[3 * i + 1] = g; image.Pixels[3 * i + 2] = b; }
        }
        return image;
    }

    /// <summary>
    /// One image from a tensor shaped [H, W], [1, H, W] or [3, H, W]; values in [<paramref name="low"/>,
    /// <paramref name="high"/>] map to 0…255, values outside are clipped, NaN shows as black.
    /// </summary>
    public static Raster FromTensor(Tensor image, double low = 0, double high = 1)
    {
        var shape = image.shape;
        var (c, h, w) = shape.Length switch
        {
            2 => (1, (int)shape[0], (int)shape[1]),
            3 when shape[0] is 1 or 3 => ((int)shape[0], (int)shape[1], (int)shape[2]),
            _ => throw new ArgumentException($"an image tensor is [H, W], [1, H, W] or [3, H, W], not [{string.Join(", ", shape)}]"),
        };
        return FromPlanes(image.ToArray(), c, h, w, low, high);
    }

    /// <summary>From channel-planar floats (C×H×W, as tensors store them).</summary>
    public static Raster FromPlanes(ReadOnlySpan<float> values, int channels, int height, int width, double low = 0, double high = 1)
    {
        if (values.Length != channels * height * width)
            throw new ArgumentException($"{channels}×{height}×{width} needs {channels * height * width} values, got {values.Length}");
        var raster = new Raster(width, height, channels);
        double scale = high > low ? 255.0 / (high - low) : 0;
        int plane = height * width;
        for (int ch = 0; ch < channels; ch++)
            for (int i = 0; i < plane; i++)
                raster.Pixels[i * channels + ch] = ToByte(values[ch * plane + i], low, scale);
        return raster;
    }

    static byte ToByte(float v, double low, double scale)
    {
        if (float.IsNaN(v)) return 0;
        double b = Math.Round((v - low) * scale);
        return (byte)Math.Clamp(b, 0, 255);
    }

    /// <summary>Each pixel becomes a <paramref name="factor"/>×<paramref name="factor"/> block (nearest neighbour: crisp, no blur).</summary>
    public Raster Upscale(int factor)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "at least 1");
        if (factor == 1) return this;
        var big = new Raster(Width * factor, Height * factor, Channels);
        int srcStride = Width * Channels, dstStride = big.Width * Channels;
        for (int y = 0; y < Height; y++)
        {
            var dstRow = big.Pixels.AsSpan(y * factor * dstStride, dstStride);
            for (int x = 0; x < Width; x++)
                for (int k = 0; k < factor; k++)
                    Pixels.AsSpan(y * srcStride + x * Channels, Channels).CopyTo(dstRow[((x * factor + k) * Channels)..]);
            for (int k = 1; k < factor; k++) dstRow.CopyTo(big.Pixels.AsSpan((y * factor + k) * dstStride, dstStride));
        }
        return big;
    }

    /// <summary>The same picture with three channels.</summary>
    public Raster ToRgb()
    {
        if (Channels == 3) return this;
        var rgb = new Raster(Width, Height, 3);
        for (int i = 0; i < Width * Height; i++) rgb.Pixels[3 * i] = rgb.Pixels[3 * i + 1] = rgb.Pixels[3 * i + 2] = Pixels[i];
        return rgb;
    }

    /// <summary>Copies <paramref name="source"/> (same channel count) with its top-left corner at (x, y).</summary>
    public void Draw(Raster source, int x, int y)
    {
        if (source.Channels != Channels) source = Channels == 3 ? source.ToRgb() : throw new ArgumentException("draw an RGB picture onto an RGB canvas");
        for (int row = 0; row < source.Height; row++)
        {
            int ty = y + row;
            if (ty < 0 || ty >= Height) continue;
            int from = Math.Max(0, -x), to = Math.Min(source.Width, Width - x);
            if (to <= from) continue;
            source.Pixels.AsSpan((row * source.Width + from) * Channels, (to - from) * Channels)
                .CopyTo(Pixels.AsSpan((ty * Width + x + from) * Channels));
        }
    }

    /// <summary>The picture as an ImageSharp image: <c>Image&lt;L8&gt;</c> for grayscale, <c>Image&lt;Rgb24&gt;</c> for RGB.</summary>
    public Image ToImage() => Channels == 3
        ? Image.LoadPixelData<Rgb24>(Pixels, Width, Height)
        : Image.LoadPixelData<L8>(Pixels, Width, Height);

    // grayscale stays one byte per pixel; best compression, since grids are encoded once and stored in notebooks
    static readonly PngEncoder GrayscaleEncoder = new()
    {
        ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.BestCompression,
    };
    static readonly PngEncoder RgbEncoder = new()
    {
        ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.BestCompression,
    };

    public byte[] ToPng()
    {
        using var image = ToImage();
        using var png = new MemoryStream();
        image.SaveAsPng(png, Channels == 3 ? RgbEncoder : GrayscaleEncoder);
        return png.ToArray();
    }

    public string ToDataUri() => "data:image/png;base64," + Convert.ToBase64String(ToPng());

    public void Save(string path) => File.WriteAllBytes(path, ToPng());

    public string ToHtml() =>
        $"<img alt=\"{Width}×{Height} image\" width=\"{Width}\" height=\"{Height}\" style=\"image-rendering:pixelated\" src=\"{ToDataUri()}\">";

    public string ToText() => $"{Width}×{Height} {(Channels == 3 ? "RGB" : "grayscale")} image";

    public override string ToString() => ToText();
}
