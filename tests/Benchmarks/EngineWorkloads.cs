using AeNotebooks.Torch;
using static AeNotebooks.Torch.torch;

namespace Benchmarks;

/// <summary>
/// Training-step twins of ../shared/anchors/torch_workloads.py: the same models, batch shapes, loss and
/// Adam(1e-3); one step = zero_grad, forward, loss, backward, optimizer step.
/// </summary>
static class EngineWorkloads
{
    /// <summary>seed 002: five Linear(100,100)+ReLU, Linear(100,100), Sigmoid; BCE on rand(128, 100).</summary>
    public static Workload DenseAutoencoderB128()
    {
        manual_seed(0);
        return TrainingStep(DenseAe(), rand(128, 100), nn.BCELoss());
    }

    /// <summary>Verbatim twin of torch_workloads.py's dense_ae() model.</summary>
    public static AeNotebooks.Torch.Modules.Sequential DenseAe()
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < 5; i++) { layers.Add(nn.Linear(100, 100)); layers.Add(nn.ReLU()); }
        layers.Add(nn.Linear(100, 100)); layers.Add(nn.Sigmoid());
        return nn.Sequential(layers.ToArray());
    }

    /// <summary>seed 004: Linear(2,1), Sigmoid, Linear(1,2), Sigmoid; MSE on three unscaled rows.</summary>
    public static Workload TinyAutoencoderB3()
    {
        manual_seed(0);
        var model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid(), nn.Linear(1, 2), nn.Sigmoid());
        return TrainingStep(model, tensor(new float[] { 1, 1000, 2, 2000, 3, 3000 }, [3, 2]), nn.MSELoss());
    }

    /// <summary>seed 001 'improved' conv DAE: 28×28×1, batch 64, MSE on rand(64, 1, 28, 28).</summary>
    public static Workload MnistDaeB64()
    {
        manual_seed(0);
        return TrainingStep(MnistDae(), rand(64, 1, 28, 28), nn.MSELoss(), MnistDaeFlops(64));
    }

    /// <summary>seed 000 CAE: 32×32×3, latent 32, batch 32, MSE on rand(32, 3, 32, 32).</summary>
    public static Workload CifarCaeB32()
    {
        manual_seed(0);
        return TrainingStep(CifarCae(), rand(32, 3, 32, 32), nn.MSELoss(), CifarCaeFlops(32));
    }

    /// <summary>Verbatim twin of torch_workloads.py's mnist_dae().</summary>
    public static nn.Module<Tensor, Tensor> MnistDae() => nn.Sequential(
        nn.Conv2d(1, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 7 * 7 * 64), nn.ReLU(), nn.Unflatten(1, [64, 7, 7]),
        nn.ConvTranspose2d(64, 64, 3, stride: 2, padding: 1, output_padding: 1), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 3, stride: 2, padding: 1, output_padding: 1), nn.ReLU(), nn.Conv2d(32, 1, 3, padding: 1), nn.Sigmoid());

    /// <summary>Verbatim twin of torch_workloads.py's cifar_cae().</summary>
    public static nn.Module<Tensor, Tensor> CifarCae() => nn.Sequential(
        nn.Conv2d(3, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 16, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(),
        nn.Linear(32, 16 * 8 * 8), nn.ReLU(), nn.Unflatten(1, [16, 8, 8]), nn.ConvTranspose2d(16, 16, 3, padding: 1), nn.ReLU(),
        nn.Upsample(scale_factor: 2), nn.ConvTranspose2d(16, 32, 3, padding: 1), nn.ReLU(), nn.Upsample(scale_factor: 2),
        nn.ConvTranspose2d(32, 3, 3, padding: 1), nn.Sigmoid());

    /// <summary>
    /// Multiply-add flops of one training step (×2 per multiply-add): forward, input gradient (not for the first
    /// layer, whose input needs none) and weight gradient of every conv and linear layer. Elementwise work is not counted.
    /// </summary>
    public static double MnistDaeFlops(int b)
    {
        double conv1 = (double)b * 32 * 28 * 28 * 1 * 9, conv2 = (double)b * 64 * 14 * 14 * 32 * 9;
        double lin1 = (double)b * 3136 * 128, lin2 = (double)b * 128 * 64, lin3 = (double)b * 64 * 128, lin4 = (double)b * 128 * 3136;
        double tconv1 = (double)b * 64 * 7 * 7 * 64 * 9, tconv2 = (double)b * 64 * 14 * 14 * 32 * 9, conv3 = (double)b * 1 * 28 * 28 * 32 * 9;
        return 2 * (2 * conv1 + 3 * (conv2 + lin1 + lin2 + lin3 + lin4 + tconv1 + tconv2 + conv3));
    }

    public static double CifarCaeFlops(int b)
    {
        double conv1 = (double)b * 32 * 32 * 32 * 3 * 9, conv2 = (double)b * 16 * 16 * 16 * 32 * 9;
        double lin1 = (double)b * 1024 * 32, lin2 = (double)b * 32 * 1024;
        double t1 = (double)b * 16 * 8 * 8 * 16 * 9, t2 = (double)b * 16 * 16 * 16 * 32 * 9, t3 = (double)b * 32 * 32 * 32 * 3 * 9;
        return 2 * (2 * conv1 + 3 * (conv2 + lin1 + lin2 + t1 + t2 + t3));
    }

    static Workload TrainingStep(nn.Module<Tensor, Tensor> model, Tensor x, AeNotebooks.Torch.Modules.Loss loss, double flops = 0)
    {
        var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        return new Workload(() =>
        {
            optimizer.zero_grad();
            loss.forward(model.forward(x), x).backward();
            optimizer.step();
        }, flops) { Model = model, Input = x };
    }
}
