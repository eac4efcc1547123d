using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>How a conv decoder doubles the image size at each stage.</summary>
public enum Upsampling
{
    /// <summary>
    /// ConvTranspose2d (stride 1, same padding) → activation → Upsample(2, nearest) per stage; a last
    /// ConvTranspose2d makes the image's channels (notebooks 01 and 04, the Keras tutorial's UpSampling2D).
    /// </summary>
    Nearest,
    /// <summary>
    /// ConvTranspose2d with stride 2 (padding k/2, output_padding 1) → activation per stage; a last same-padded
    /// Conv2d makes the image's channels (notebook 02).
    /// </summary>
    StridedTranspose,
}

public static partial class Models
{
    /// <summary>
    /// A convolutional autoencoder for images [C, H, W]. Encoder: per entry of `channels`, Conv2d (kernel × kernel,
    /// Keras' "same" padding) → activation → MaxPool2d(2); then, if `dense` is given, Flatten → Linear to each
    /// width of `dense` with `activation` (the last width is the code). Decoder: the mirror image — Linear back to
    /// the last stage's feature maps and Unflatten, then per stage a transposed convolution that doubles H×W
    /// (`upsampling`) through the channels in reverse, and a last convolution to C channels with `output`.
    /// </summary>
    /// <remarks>
    /// `dense: null` keeps the code convolutional: the last stage's pooled feature maps, channels[^1] × H/2ᵏ × W/2ᵏ.
    /// `batchNorm` puts a BatchNorm2d after each conv except the output conv, and a BatchNorm1d after each hidden
    /// Linear (not the code layer), always before the activation. `dropout` drops units of the code (the encoder's
    /// output) while training. `init` also re-initialises the conv weights (biases to zero).
    /// </remarks>
    /// <example>
    /// The notebooks' three architectures, layer for layer (ConvModelTests checks them weight for weight):
    /// <code>
    /// Models.ConvAutoencoder([3, 32, 32], [32, 16], dense: [32]);                                     // 01
    /// Models.ConvAutoencoder([1, 28, 28], [32, 64], dense: [128, 64], upsampling: Upsampling.StridedTranspose,
    ///                        init: Init.XavierUniform);                                              // 02
    /// Models.ConvAutoencoder([1, 28, 28], [32, 64], activation: Activation.LeakyReLU, batchNorm: true,
    ///                        init: Init.XavierUniform);                                              // 04
    /// </code>
    /// </example>
    public static Autoencoder ConvAutoencoder(long[] image, int[] channels, int[]? dense = null, int kernel = 3,
        Upsampling upsampling = Upsampling.Nearest, Activation activation = Activation.ReLU, Activation output = Activation.Sigmoid,
        bool batchNorm = false, double dropout = 0, Init init = Init.PyTorchDefault, double leakySlope = 0.1)
    {
        CheckConvArguments(image, channels, dense, kernel, dropout);
        long imageChannels = image[0];
        int stages = channels.Length;
        long[] codeMaps = [channels[^1], image[1] >> stages, image[2] >> stages];
        long mapSize = codeMaps[0] * codeMaps[1] * codeMaps[2];
        if (dense is not null && mapSize > int.MaxValue)
            throw new ArgumentException($"ConvAutoencoder: the last stage's feature maps {string.Join("×", codeMaps)} are too many values to flatten into a Linear layer");

        var encoder = nn.Sequential();
        long inChannels = imageChannels;
        for (int i = 0; i < stages; i++)
        {
            encoder.append($"conv{i}", nn.Conv2d(inChannels, channels[i], kernel, Padding.Same));
            if (batchNorm) encoder.append($"bn{i}", nn.BatchNorm2d(channels[i]));
            AppendActivation(encoder, activation, i, leakySlope);
            encoder.append($"pool{i}", nn.MaxPool2d(2));
            inChannels = channels[i];
        }

        var decoder = nn.Sequential();
        int decoderIndex = 0;
        if (dense is not null)
        {
            encoder.append("flatten", nn.Flatten());
            DenseStack(encoder, stages, [(int)mapSize, .. dense], activation, activation, 0, batchNorm, leakySlope);
            DenseStack(decoder, 0, [.. Enumerable.Reverse(dense), (int)mapSize], activation, activation, 0, batchNorm, leakySlope, normaliseLast: true);
            decoder.append("unflatten", nn.Unflatten(1, codeMaps));
            decoderIndex = dense.Length;
        }
        // on the code, so the decoder learns to work from partial codes (notebook 04's regularisation)
        if (dropout > 0) encoder.append("dropout", nn.Dropout(dropout));

        long pad = kernel / 2; // "same" for an odd kernel; with stride 2 and output_padding 1 it exactly doubles H×W
        for (int j = 0; j < stages; j++, decoderIndex++)
        {
            long outChannels = channels[stages - 1 - j];
            decoder.append($"deconv{decoderIndex}", upsampling == Upsampling.Nearest
                ? nn.ConvTranspose2d(inChannels, outChannels, kernel, padding: pad)
                : nn.ConvTranspose2d(inChannels, outChannels, kernel, stride: 2, padding: pad, output_padding: 1));
            if (batchNorm) decoder.append($"bn{decoderIndex}", nn.BatchNorm2d(outChannels));
            AppendActivation(decoder, activation, decoderIndex, leakySlope);
            if (upsampling == Upsampling.Nearest) decoder.append($"up{decoderIndex}", nn.Upsample(scale_factor: [2.0, 2.0]));
            inChannels = outChannels;
        }
        if (upsampling == Upsampling.Nearest)
            decoder.append($"deconv{decoderIndex}", nn.ConvTranspose2d(inChannels, imageChannels, kernel, padding: pad));
        else
            decoder.append($"conv{decoderIndex}", nn.Conv2d(inChannels, imageChannels, kernel, Padding.Same));
        AppendActivation(decoder, output, decoderIndex, leakySlope);

        long codeSize = dense is null ? mapSize : dense[^1];
        string code = dense is null ? $"code {string.Join("×", codeMaps)}" : $"dense {string.Join("→", dense)}";
        string decoding = upsampling == Upsampling.Nearest ? "transposed conv + upsample" : "strided transposed conv";
        var model = new Autoencoder(encoder, decoder, [.. image], codeSize, output,
            $"Conv autoencoder {string.Join("×", image)} → conv {string.Join(", ", channels)} ({kernel}×{kernel}, max-pool) → {code} → {decoding}, "
            + $"{activation}, output {output}" + (batchNorm ? ", batch norm" : "") + (dropout > 0 ? $", dropout {dropout} on the code" : ""));
        Initialise(model, init);
        return model;
    }

    static void CheckConvArguments(long[] image, int[] channels, int[]? dense, int kernel, double dropout)
    {
        const string builder = "ConvAutoencoder";
        if (image.Length != 3 || image.Any(s => s <= 0))
            throw new ArgumentException($"{builder}: image must be [C, H, W] with positive sizes, got [{string.Join(", ", image)}]");
        if (channels.Length == 0 || channels.Any(c => c <= 0))
            throw new ArgumentException($"{builder}: channels must name at least one stage, all positive, got [{string.Join(", ", channels)}]");
        if (dense is not null && (dense.Length == 0 || dense.Any(d => d <= 0)))
            throw new ArgumentException($"{builder}: dense must end with the code width and be positive, got [{string.Join(", ", dense)}] " +
                                        "(null keeps the code convolutional)");
        if (kernel <= 0 || kernel % 2 == 0)
            throw new ArgumentException($"{builder}: kernel {kernel} must be odd (\"same\" padding of k/2 keeps H×W only for an odd kernel)");
        if (dropout < 0 || dropout >= 1)
            throw new ArgumentException($"{builder}: dropout {dropout} must be in [0, 1)");
        // each stage halves H and W with MaxPool2d(2) and the decoder doubles them back, so both must divide by 2^stages
        int stages = channels.Length;
        if (stages > 30 || image[1] % (1L << stages) != 0 || image[2] % (1L << stages) != 0)
        {
            long factor = 1L << Math.Min(stages, 62);
            throw new ArgumentException($"{builder}: image {image[1]}×{image[2]} is not divisible by 2^{stages} = {factor}, which {stages} " +
                                        $"pooling stages (channels [{string.Join(", ", channels)}]) need; use fewer stages or resize the images");
        }
    }
}
