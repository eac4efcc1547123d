using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>How a builder initialises weights.</summary>
public enum Init { PyTorchDefault, XavierUniform, KaimingUniform, KaimingNormal, SmallNormal }

/// <summary>Builders for the scenarios' architectures.</summary>
public static partial class Models
{
    /// <summary>
    /// input → hidden[0] → … → latent → … reversed hidden … → input, with `activation` between
    /// layers and `output` at the end. The code layer gets `activation` too unless `linearCode`.
    /// Options: `batchNorm` puts a BatchNorm1d after each hidden Linear, before its activation (not after
    /// the code layer nor the output layer); dropout after each hidden activation.
    /// </summary>
    public static Autoencoder DenseAutoencoder(int input, int[] hidden, int latent, Activation activation = Activation.ReLU,
        Activation output = Activation.Sigmoid, double dropout = 0, Init init = Init.PyTorchDefault, bool linearCode = false,
        double leakySlope = 0.1, bool batchNorm = false)
    {
        if (input <= 0 || latent <= 0 || hidden.Any(h => h <= 0))
            throw new ArgumentException($"DenseAutoencoder: sizes must be positive (input {input}, hidden [{string.Join(", ", hidden)}], latent {latent})");
        var encoderWidths = new[] { input }.Concat(hidden).Append(latent).ToArray();
        var encoder = nn.Sequential();
        DenseStack(encoder, 0, encoderWidths, activation, linearCode ? Activation.Linear : activation, dropout, batchNorm, leakySlope);
        var decoderWidths = Enumerable.Reverse(encoderWidths).ToArray();
        var decoder = nn.Sequential();
        DenseStack(decoder, 0, decoderWidths, activation, output, dropout, batchNorm, leakySlope);
        var model = new Autoencoder(encoder, decoder, [input], latent, output,
            $"Dense autoencoder {string.Join("→", encoderWidths)}→{string.Join("→", decoderWidths.Skip(1))}, {activation}, output {output}"
            + (batchNorm ? ", batch norm" : ""));
        Initialise(model, init);
        return model;
    }

    /// <summary>Linear encoder and decoder (one layer each), the simplest autoencoder; `output` may add a final activation.</summary>
    public static Autoencoder LinearAutoencoder(int features, int code, Activation output = Activation.Linear, Init init = Init.PyTorchDefault)
    {
        var encoder = nn.Sequential(("linear", nn.Linear(features, code)));
        var decoder = nn.Sequential(("linear", nn.Linear(code, features)));
        if (output.ToModule() is { } act) decoder.append("output", act);
        var model = new Autoencoder(encoder, decoder, [features], code, output, $"Linear autoencoder {features}→{code}→{features}, output {output}");
        Initialise(model, init);
        return model;
    }

    /// <summary>
    /// Appends Linear layers widths[0]→widths[1]→…, named from `firstIndex` on (linear{i}, bn{i}, relu{i}, dropout{i}).
    /// Hidden layers get BatchNorm1d (if asked), `hidden` and dropout; the last layer gets `last`, and BatchNorm1d
    /// only if `normaliseLast` (a conv decoder's Linear to the feature maps is hidden, not an output).
    /// </summary>
    static void DenseStack(Sequential seq, int firstIndex, int[] widths, Activation hidden, Activation last, double dropout,
        bool batchNorm, double leakySlope, bool normaliseLast = false)
    {
        for (int j = 0; j + 1 < widths.Length; j++)
        {
            int i = firstIndex + j;
            bool isLast = j + 2 == widths.Length;
            seq.append($"linear{i}", nn.Linear(widths[j], widths[j + 1]));
            if (batchNorm && (!isLast || normaliseLast)) seq.append($"bn{i}", nn.BatchNorm1d(widths[j + 1]));
            AppendActivation(seq, isLast ? last : hidden, i, leakySlope);
            if (!isLast && dropout > 0) seq.append($"dropout{i}", nn.Dropout(dropout));
        }
    }

    static void AppendActivation(Sequential seq, Activation activation, int index, double leakySlope)
    {
        if (activation.ToModule(leakySlope) is { } module) seq.append($"{activation.ToString().ToLowerInvariant()}{index}", module);
    }

    /// <summary>
    /// Re-initialises the weights of every Linear, Conv2d and ConvTranspose2d layer, and sets their biases to zero
    /// (PyTorchDefault leaves everything as constructed). BatchNorm keeps its ones and zeros. Fans follow PyTorch's
    /// rule (dim 1 × kernel area is fan-in), so for a ConvTranspose2d, whose weight is [in, out, kH, kW], fan-in
    /// counts the output channels, as torch.nn.init does.
    /// </summary>
    public static void Initialise(nn.Module model, Init init)
    {
        if (init == Init.PyTorchDefault) return;
        foreach (var module in model.modules())
        {
            var (weight, bias) = module switch
            {
                Linear l => (l.weight, l.bias),
                Convolution c => (c.weight, c.bias), // Conv2d and ConvTranspose2d
                _ => ((Parameter?)null, (Parameter?)null),
            };
            if (weight is null) continue;
            switch (init)
            {
                case Init.XavierUniform: nn.init.xavier_uniform_(weight); break;
                case Init.KaimingUniform: nn.init.kaiming_uniform_(weight, nonlinearity: nn.init.NonlinearityType.ReLU); break;
                case Init.KaimingNormal: nn.init.kaiming_normal_(weight, nonlinearity: nn.init.NonlinearityType.ReLU); break;
                case Init.SmallNormal: nn.init.normal_(weight, 0, 0.01); break;
            }
            if (bias is not null) nn.init.zeros_(bias);
        }
    }
}
