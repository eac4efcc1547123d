using TorchSharp;
using static TorchSharp.torch;

namespace Benchmarks;

/// <summary>A workload: its model, one batch of inputs (the targets: x = y) and its loss, as in shared/anchors/torch_workloads.py.</summary>
sealed record Workload(nn.Module<Tensor, Tensor> Model, Tensor Batch, Func<Tensor, Tensor, Tensor> Loss, AeNotebooks.LossFunction HelperLoss);

static class Workloads
{
    public static readonly Dictionary<string, Func<Workload>> All = new()
    {
        ["dense_ae_b128"] = DenseAe,
        ["mnist_dae_b64"] = MnistDae,
        ["cifar_cae_b32"] = CifarCae,
        ["tiny_ae_b3"] = TinyAe,
    };

    static nn.Module<Tensor, Tensor> Seq(params nn.Module<Tensor, Tensor>[] layers) =>
        nn.Sequential(layers.Select((l, i) => ($"{i}", l)).ToArray());

    // seed 002: 100-wide relu AE, sigmoid out, BCE, Adam, batch 128
    static Workload DenseAe()
    {
        var layers = Enumerable.Range(0, 5).SelectMany(_ => new nn.Module<Tensor, Tensor>[] { nn.Linear(100, 100), nn.ReLU() })
            .Append(nn.Linear(100, 100)).Append(nn.Sigmoid()).ToArray();
        return new(Seq(layers), rand(128, 100), (y, t) => nn.functional.binary_cross_entropy(y, t), AeNotebooks.Losses.Bce);
    }

    // seed 001 'improved' conv DAE, 28x28x1, batch 64, MSE
    static Workload MnistDae() => new(Seq(
            nn.Conv2d(1, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 7 * 7 * 64), nn.ReLU(), nn.Unflatten(1, [64, 7, 7]),
            nn.ConvTranspose2d(64, 64, 3, stride: 2, padding: 1, output_padding: 1), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 3, stride: 2, padding: 1, output_padding: 1), nn.ReLU(), nn.Conv2d(32, 1, 3, padding: 1), nn.Sigmoid()),
        rand(64, 1, 28, 28), (y, t) => nn.functional.mse_loss(y, t), AeNotebooks.Losses.Mse);

    // seed 000 CAE, 32x32x3, latent 32, batch 32, MSE
    static Workload CifarCae() => new(Seq(
            nn.Conv2d(3, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 16, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(),
            nn.Linear(32, 16 * 8 * 8), nn.ReLU(), nn.Unflatten(1, [16, 8, 8]), nn.ConvTranspose2d(16, 16, 3, padding: 1), nn.ReLU(),
            nn.Upsample(scale_factor: [2.0, 2.0]), nn.ConvTranspose2d(16, 32, 3, padding: 1), nn.ReLU(), nn.Upsample(scale_factor: [2.0, 2.0]),
            nn.ConvTranspose2d(32, 3, 3, padding: 1), nn.Sigmoid()),
        rand(32, 3, 32, 32), (y, t) => nn.functional.mse_loss(y, t), AeNotebooks.Losses.Mse);

    // seed 004: 2-1-2 sigmoid AE, 3 samples, MSE
    static Workload TinyAe() => new(Seq(nn.Linear(2, 1), nn.Sigmoid(), nn.Linear(1, 2), nn.Sigmoid()),
        tensor(new float[] { 1, 1000, 2, 2000, 3, 3000 }, [3, 2]), (y, t) => nn.functional.mse_loss(y, t), AeNotebooks.Losses.Mse);
}
