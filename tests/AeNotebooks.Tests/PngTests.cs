using System.Text;
using AeNotebooks.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

public class PngTests
{
    /// <summary>A picture with smooth gradients, edges and noise, so every filter has something to do.</summary>
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

    [Theory]
    [InlineData(PngFilter.None)]
    [InlineData(PngFilter.Sub)]
    [InlineData(PngFilter.Up)]
    [InlineData(PngFilter.Average)]
    [InlineData(PngFilter.Paeth)]
    [InlineData(PngFilter.Adaptive)]
    public void Every_filter_round_trips_grayscale_and_rgb(PngFilter filter)
    {
        foreach (var (color, channels) in new[] { (PngColor.Grayscale, 1), (PngColor.Rgb, 3) })
        {
            var pixels = TestPixels(37, 23, channels);
            var png = Png.Encode(pixels, 37, 23, color, filter);
            var decoded = PngDecoder.Decode(png);
            Assert.Equal((37, 23, channels), (decoded.Width, decoded.Height, decoded.Channels));
            Assert.Equal(pixels, decoded.Pixels);
            if (filter != PngFilter.Adaptive) Assert.Equal([(int)filter], decoded.FiltersSeen);
        }
    }

    [Fact]
    public void Adaptive_filtering_mixes_filter_types_and_beats_no_filter_on_smooth_images()
    {
        var pixels = TestPixels(90, 60, 3);
        var decoded = PngDecoder.Decode(Png.Encode(pixels, 90, 60, PngColor.Rgb));
        Assert.True(decoded.FiltersSeen.Count >= 2, $"filters used: {string.Join(",", decoded.FiltersSeen)}");

        var smooth = new byte[128 * 128];
        for (int y = 0; y < 128; y++) for (int x = 0; x < 128; x++) smooth[y * 128 + x] = (byte)(x + y);
        Assert.True(Png.Encode(smooth, 128, 128, PngColor.Grayscale).Length < Png.Encode(smooth, 128, 128, PngColor.Grayscale, PngFilter.None).Length);
    }

    [Fact]
    public void File_structure_follows_the_spec()
    {
        var png = Png.Encode(TestPixels(5, 3, 1), 5, 3, PngColor.Grayscale);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        // IHDR: length 13, "IHDR", width 5, height 3, depth 8, colour type 0, compression 0, filter 0, interlace 0
        Assert.Equal(new byte[] { 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0, 5, 0, 0, 0, 3, 8, 0, 0, 0, 0 }, png[8..29]);
        Assert.Equal("IEND", Encoding.ASCII.GetString(png, png.Length - 8, 4));
        Assert.Equal(new byte[] { 0xAE, 0x42, 0x60, 0x82 }, png[^4..]); // the CRC of an empty IEND
        var decoded = PngDecoder.Decode(png);
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.Chunks);

        var rgb = Png.Encode(TestPixels(2, 2, 3), 2, 2, PngColor.Rgb);
        Assert.Equal(2, rgb[25]); // colour type 2 = truecolour
    }

    [Fact]
    public void Large_images_split_their_data_over_several_idat_chunks()
    {
        var rng = new Random(3);
        var noise = new byte[300 * 200 * 3];
        rng.NextBytes(noise);
        var decoded = PngDecoder.Decode(Png.Encode(noise, 300, 200, PngColor.Rgb));
        Assert.True(decoded.IdatCount > 1, $"{decoded.IdatCount} IDAT chunks");
        Assert.Equal(noise, decoded.Pixels);
    }

    [Fact]
    public void A_corrupted_byte_is_caught_by_the_crc()
    {
        var png = Png.Encode(TestPixels(8, 8, 1), 8, 8, PngColor.Grayscale);
        png[40] ^= 0x10;
        Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png));
    }

    [Fact]
    public void Crc32_and_paeth_match_reference_values()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));      // the standard check value
        Assert.Equal(PngDecoder.BitwiseCrc("IEND"u8), Crc32.Compute("IEND"u8));
        Assert.Equal(10, Png.Paeth(10, 20, 20));  // p = 10: left is closest
        Assert.Equal(20, Png.Paeth(10, 20, 10));  // p = 20: above
        Assert.Equal(9, Png.Paeth(9, 8, 5));      // p = 12: pa = 3, pb = 4, pc = 7 → left
        Assert.Equal(7, Png.Paeth(10, 2, 7));     // p = 5: pa = 5, pb = 3, pc = 2 → upper left
    }

    [Fact]
    public void Bad_arguments_say_what_is_wrong()
    {
        var e = Assert.Throws<ArgumentException>(() => Png.Encode(new byte[10], 4, 4, PngColor.Grayscale));
        Assert.Contains("16 bytes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Png.Encode([], 0, 4, PngColor.Grayscale));
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
