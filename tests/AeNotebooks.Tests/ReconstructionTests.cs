using System.Text.RegularExpressions;
using AeNotebooks.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

[Collection("default generator")]
public class ReconstructionTests
{
    static Tensor Images(int n, int c, int h, int w, long seed) => rand([n, c, h, w], generator: new Generator((ulong)(seed)));

    static double Mse(float[] a, float[] b) => a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Average();

    [Fact]
    public void Grayscale_grid_has_original_corrupted_and_reconstructed_rows_with_per_image_errors()
    {
        var clean = Images(10, 1, 8, 8, 1);
        var noisy = (clean + rand([10, 1, 8, 8], generator: new Generator((ulong)(2))) * 0.3).clamp(0, 1);
        var model = Models.DenseAutoencoder(64, [16], 4, output: Activation.Sigmoid);
        var grid = Plots.Reconstructions(model, noisy, clean, count: 6);

        Assert.Equal(["original", "corrupted", "reconstructed"], grid.RowLabels);
        Assert.All(grid.Cells, row => Assert.Equal(6, row.Count));
        var cell = grid.Cells[0][0];
        Assert.Equal((96, 96, 1), (cell.Width, cell.Height, cell.Channels)); // 8×8 shown at 12×, nearest neighbour

        using (no_grad())
        {
            var output = model.forward(noisy.narrow(0, 0, 6));
            for (int i = 0; i < 6; i++)
            {
                double recon = Mse(output[i].ToArray(), clean[i].ToArray());
                double input = Mse(noisy[i].ToArray(), clean[i].ToArray());
                Assert.Equal("MSE " + Plots.Sig(recon), grid.Captions![2][i]);
                Assert.Equal("MSE " + Plots.Sig(input), grid.Captions[1][i]);
            }
        }
        Assert.Null(grid.Captions![0][0]);
        Assert.Contains("mean over these 6", grid.Subtitle);
        Assert.Contains("8×8 pixels shown at 12×", grid.Subtitle);
    }

    [Fact]
    public void Pixels_are_the_images_values_enlarged_crisply()
    {
        var clean = Images(3, 1, 4, 5, 3);
        var grid = Plots.Reconstructions(nn.Identity(), clean, clean, count: 3);
        Assert.Equal(["original", "reconstructed"], grid.RowLabels); // inputs = targets: no corrupted row
        Assert.Equal("MSE 0", grid.Captions![1][0]);
        var png = PngDecoder.Decode(grid.Cells[0][1].ToPng());
        int scale = 96 / 5;
        Assert.Equal((5 * scale, 4 * scale), (png.Width, png.Height));
        var values = clean[1].ToArray();
        for (int y = 0; y < png.Height; y++)
            for (int x = 0; x < png.Width; x++)
                Assert.Equal((byte)Math.Round(values[(y / scale) * 5 + x / scale] * 255), png.Pixel(x, y)[0]);
    }

    [Fact]
    public void Rgb_images_stay_in_colour()
    {
        var clean = Images(4, 3, 6, 6, 4);
        var model = Models.DenseAutoencoder(3 * 6 * 6, [12], 3, output: Activation.Sigmoid);
        var grid = Plots.Reconstructions(model, clean, count: 4);
        Assert.All(grid.Cells.SelectMany(r => r), c => Assert.Equal(3, c.Channels));
        var png = PngDecoder.Decode(grid.ToPng());
        Assert.Equal(3, png.Channels);
        // the first original's top-left pixel, channel by channel (channel planes interleaved into RGB)
        var v = clean[0].ToArray();
        var px = png.Pixel(grid.Gap, grid.Gap);
        Assert.Equal([(byte)Math.Round(v[0] * 255), (byte)Math.Round(v[36] * 255), (byte)Math.Round(v[72] * 255)], px);
    }

    [Fact]
    public void Flattened_square_images_and_unnormalised_data_are_shown_with_a_note()
    {
        var flat = rand([5, 49], generator: new Generator((ulong)(5))) * 4 - 2; // standardised-looking data in [-2, 2]
        var grid = Plots.Reconstructions(nn.Identity(), flat, count: 2);
        Assert.Equal(7 * (96 / 7), grid.Cells[0][0].Width);
        Assert.Contains(grid.Notes, n => n.Contains("not in [0, 1]"));

        var exploding = Plots.Reconstructions(new Scale(1000), rand([2, 1, 4, 4], generator: new Generator((ulong)(6))), count: 2);
        Assert.Contains(exploding.Notes, n => n.Contains("outside the display range") && n.Contains("clipped"));
    }

    [Fact]
    public void Html_is_script_free_with_decodable_images_and_text_captions()
    {
        var clean = Images(3, 1, 8, 8, 7);
        var grid = Plots.Reconstructions(nn.Identity(), clean * 0.5, clean, count: 3);
        var html = grid.ToHtml();
        Assert.DoesNotContain("<script", html);
        var images = PngDecoder.DataUris(html);
        Assert.Equal(9, images.Count);
        Assert.All(images, png => Assert.Equal(96, PngDecoder.Decode(png).Width));
        Assert.Equal(6, Regex.Matches(html, ">MSE [0-9.e−-]+<").Count);
        Assert.Contains("image-rendering:pixelated", html);
        Assert.Contains(">corrupted</th>", html);
        var text = grid.ToText();
        Assert.Contains("reconstructed: 3 images — MSE", text);
    }

    [Fact]
    public void The_model_is_evaluated_without_gradients_and_keeps_its_mode()
    {
        var model = Models.DenseAutoencoder(16, [8], 2);
        model.train();
        Plots.Reconstructions(model, rand([2, 1, 4, 4], generator: new Generator((ulong)(8))), count: 2);
        Assert.True(model.training);
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
        model.eval();
        Plots.Reconstructions(model, rand([2, 1, 4, 4], generator: new Generator((ulong)(8))), count: 2);
        Assert.False(model.training);
    }

    [Fact]
    public void Shapes_that_are_not_images_are_refused_with_the_shapes_named()
    {
        var e = Assert.Throws<ArgumentException>(() => Plots.Reconstructions(nn.Identity(), rand(3, 10), count: 2));
        Assert.Contains("[3, 10]", e.Message);
        Assert.Throws<ArgumentException>(() => Plots.Reconstructions(nn.Identity(), rand(3, 1, 4, 4), rand(2, 1, 4, 4)));
    }

    sealed class Scale(float factor) : nn.Module<Tensor, Tensor>("Scale")
    {
        public override Tensor forward(Tensor x) => x * factor;
    }
}
