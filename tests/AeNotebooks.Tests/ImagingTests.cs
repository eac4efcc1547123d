using System.Text;
using AeNotebooks.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

public class ImagingTests
{
    /// <summary>A picture with smooth gradients, edges and noise.</summary>
    static byte[] TestPixels(int width, int height, int channels, int seed = 1)
    {
        var rng = new Random(seed);
        var p = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < channels; c++)
                {
                    int v = x < width / 3 ? x * 7 + y * 3 + c * 40          // gradient
                          : x < 2 * width / 3 ? ((x / 4 + y / 4) % 2) * 255   // checkerboard edges
                          : rng.Next(256);                                 // noise
                    p[(y * width + x) * channels + c] = (byte)v;
                }
        return p;
    }

    /// <summary>A picture from row-major bytes, as the suite makes them.</summary>
    static Raster Picture(int width, int height, int channels, int seed = 1) => new(width, height, channels, TestPixels(width, height, channels, seed));

    // ImageSharp encodes; the test's own decoder (written from the PNG spec, CRC checked) reads the file back
    [Theory]
    [InlineData(1, 0)]   // grayscale: colour type 0
    [InlineData(3, 2)]   // RGB: colour type 2
    public void ImageSharp_writes_8_bit_pngs_that_decode_to_the_same_pixels(int channels, int colourType)
    {
        var raster = Picture(37, 23, channels);
        var png = raster.ToPng();
        var decoded = PngDecoder.Decode(png);
        Assert.Equal((37, 23, channels), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(raster.Pixels, decoded.Pixels);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal((byte)8, png[24]);                  // bit depth
        Assert.Equal((byte)colourType, png[25]);
        Assert.Equal("IHDR", decoded.Chunks[0]);
        Assert.Equal("IEND", decoded.Chunks[^1]);
        Assert.Contains("IDAT", decoded.Chunks);
    }

    [Fact]
    public void Noise_survives_the_round_trip_and_smooth_pictures_compress()
    {
        var rng = new Random(3);
        var noise = new byte[300 * 200 * 3];
        rng.NextBytes(noise);
        Assert.Equal(noise, PngDecoder.Decode(new Raster(300, 200, 3, noise).ToPng()).Pixels);

        var smooth = new byte[128 * 128];
        for (int y = 0; y < 128; y++) for (int x = 0; x < 128; x++) smooth[y * 128 + x] = (byte)(x + y);
        var size = new Raster(128, 128, 1, smooth).ToPng().Length;
        Assert.True(size < smooth.Length / 4, $"{size} bytes for {smooth.Length} pixels");
    }

    [Fact]
    public void The_picture_hands_itself_to_ImageSharp_with_its_pixel_format()
    {
        using var gray = Picture(4, 3, 1).ToImage();
        using var rgb = Picture(4, 3, 3).ToImage();
        var grayImage = Assert.IsType<Image<L8>>(gray);
        var rgbImage = Assert.IsType<Image<Rgb24>>(rgb);
        Assert.Equal(Picture(4, 3, 1).Pixels[4 * 2 + 1], grayImage[1, 2].PackedValue);
        var p = Picture(4, 3, 3).Pixels.AsSpan((4 * 2 + 1) * 3, 3).ToArray();
        Assert.Equal(p, new[] { rgbImage[1, 2].R, rgbImage[1, 2].G, rgbImage[1, 2].B });
    }

    [Fact]
    public void Bad_arguments_say_what_is_wrong()
    {
        var e = Assert.Throws<ArgumentException>(() => new Raster(4, 4, 1, new byte[10]));
        Assert.Contains("16 bytes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Raster(0, 4, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Raster(4, 4, 2));
    }

    [Fact]
    public void Raster_maps_tensor_values_to_bytes_clipping_and_blacking_out_nan()
    {
        var t = tensor(new float[] { 0f, 0.5f, 1f, -0.3f, 1.7f, float.NaN }, [1, 2, 3]);
        var r = Raster.FromTensor(t);
        Assert.Equal((3, 2, 1), (r.Width, r.Height, r.Channels));
        Assert.Equal(new byte[] { 0, 128, 255, 0, 255, 0 }, r.Pixels);

        var rgb = Raster.FromTensor(tensor(new float[] { 1, 0, 0, 1, 0, 0 }, [3, 1, 2])); // R plane, G plane, B plane
        Assert.Equal(new byte[] { 255, 0, 0, 0, 255, 0 }, rgb.Pixels); // pixel 0 red, pixel 1 green
        Assert.Equal(new byte[] { 255, 0, 0 }, PngDecoder.Decode(rgb.ToPng()).Pixel(0, 0));
        Assert.Equal(new byte[] { 0, 255, 0 }, PngDecoder.Decode(rgb.ToPng()).Pixel(1, 0));
        Assert.Throws<ArgumentException>(() => Raster.FromTensor(zeros(2, 2, 2, 2)));
    }

    [Fact]
    public void Upscaling_is_nearest_neighbour()
    {
        var r = new Raster(2, 2, 1, [10, 20, 30, 40]);
        var big = r.Upscale(3);
        Assert.Equal((6, 6), (big.Width, big.Height));
        var d = PngDecoder.Decode(big.ToPng());
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++)
                Assert.Equal(r.Pixels[(y / 3) * 2 + x / 3], d.Pixel(x, y)[0]);
    }

    [Fact]
    public void Image_grid_composes_cells_on_white_with_gaps()
    {
        var black = Raster.Filled(3, 3, 1, 0, 0, 0);
        var red = Raster.Filled(3, 3, 3, 255, 0, 0);
        var grid = new ImageGrid(["a", "b"], [[black, black], [red, black]]) { Gap = 2 };
        var d = PngDecoder.Decode(grid.ToPng());
        Assert.Equal((2 + 3 + 2 + 3 + 2, 2 + 3 + 2 + 3 + 2, 3), (d.Width, d.Height, d.Channels));
        Assert.Equal(new byte[] { 255, 255, 255 }, d.Pixel(0, 0));   // gap
        Assert.Equal(new byte[] { 0, 0, 0 }, d.Pixel(2, 2));         // first cell
        Assert.Equal(new byte[] { 255, 0, 0 }, d.Pixel(3, 8));       // row 2, column 1
        Assert.Equal(new byte[] { 0, 0, 0 }, d.Pixel(8, 8));         // row 2, column 2 (grayscale drawn as RGB)
        Assert.Equal(4, PngDecoder.DataUris(grid.ToHtml()).Count);
        Assert.Contains("b: 2 images", grid.ToText());
    }
}
