using AeNotebooks.Torch;
using AeNotebooks.Torch.Modules;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks;

/// <summary>How a builder initialises weights.</summary>
public enum Init { PyTorchDefault, XavierUniform, KaimingUniform, KaimingNormal, SmallNormal }

/// <summary>Builders for the scenarios' architectures.</summary>
public static class Models
{
    /// <summary>
    /// input → hidden[0] → … → latent → … reversed hidden … → input, with `activation` between
    /// layers and `output` at the end. The code layer gets `activation` too unless `linearCode`.
    /// Options: BatchNorm is left for the conv issue; dropout after each hidden activation.
    /// </summary>
    public static Autoencoder DenseAutoencoder(int input, int[] hidden, int latent, Activation activation = Activation.ReLU,
        Activation output = Activation.Sigmoid, double dropout = 0, Init init = Init.PyTorchDefault, bool linearCode = false,
        double leakySlope = 0.1)
    {
        if (input <= 0 || latent <= 0 || hidden.Any(h => h <= 0))
            throw new ArgumentException($"DenseAutoencoder: sizes must be positive (input {input}, hidden [{string.Join(", ", hidden)}], latent {latent})");
        var encoderWidths = new[] { input }.Concat(hidden).Append(latent).ToArray();
        var encoder = Stack(encoderWidths, activation, linearCode ? Activation.Linear : activation, dropout, leakySlope);
        var decoderWidths = Enumerable.Reverse(encoderWidths).ToArray();
        var decoder = Stack(decoderWidths, activation, output, dropout, leakySlope);
        var model = new Autoencoder(encoder, decoder, [input], latent, output,
            $"Dense autoencoder {string.Join("→", encoderWidths)}→{string.Join("→", decoderWidths.Skip(1))}, {activation}, output {output}");
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

    static Sequential Stack(int[] widths, Activation hidden, Activation last, double dropout, double leakySlope)
    {
        var seq = nn.Sequential();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            bool isLast = i + 2 == widths.Length;
            seq.append($"linear{i}", nn.Linear(widths[i], widths[i + 1]));
            var act = (isLast ? last : hidden).ToModule(leakySlope);
            if (act != null) seq.append($"{(isLast ? last : hidden).ToString().ToLowerInvariant()}{i}", act);
            if (!isLast && dropout > 0) seq.append($"dropout{i}", nn.Dropout(dropout));
        }
        return seq;
    }

    /// <summary>Re-initialises every Linear layer's weights (biases to zero except for PyTorch's default).</summary>
    public static void Initialise(nn.Module model, Init init)
    {
        if (init == Init.PyTorchDefault) return;
        foreach (var module in model.modules())
        {
            if (module is not Linear linear) continue;
            switch (init)
            {
                case Init.XavierUniform: nn.init.xavier_uniform_(linear.weight); break;
                case Init.KaimingUniform: nn.init.kaiming_uniform_(linear.weight, nonlinearity: nn.init.NonlinearityType.ReLU); break;
                case Init.KaimingNormal: nn.init.kaiming_normal_(linear.weight, nonlinearity: nn.init.NonlinearityType.ReLU); break;
                case Init.SmallNormal: nn.init.normal_(linear.weight, 0, 0.01); break;
            }
            if (linear.bias is not null) nn.init.zeros_(linear.bias);
        }
    }
}
