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
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < 5; i++) { layers.Add(nn.Linear(100, 100)); layers.Add(nn.ReLU()); }
        layers.Add(nn.Linear(100, 100)); layers.Add(nn.Sigmoid());
        return TrainingStep(nn.Sequential(layers.ToArray()), rand(128, 100), nn.BCELoss());
    }

    /// <summary>seed 004: Linear(2,1), Sigmoid, Linear(1,2), Sigmoid; MSE on three unscaled rows.</summary>
    public static Workload TinyAutoencoderB3()
    {
        manual_seed(0);
        var model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid(), nn.Linear(1, 2), nn.Sigmoid());
        return TrainingStep(model, tensor(new float[] { 1, 1000, 2, 2000, 3, 3000 }, [3, 2]), nn.MSELoss());
    }

    static Workload TrainingStep(nn.Module<Tensor, Tensor> model, Tensor x, AeNotebooks.Torch.Modules.Loss loss)
    {
        var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        return new Workload(() =>
        {
            optimizer.zero_grad();
            loss.forward(model.forward(x), x).backward();
            optimizer.step();
        });
    }
}
