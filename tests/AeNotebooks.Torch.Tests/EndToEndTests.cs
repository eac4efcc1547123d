using AeNotebooks.Torch;
using Xunit;
using Xunit.Abstractions;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Tests;

/// <summary>Seed 002 ("why not zero loss?") end to end: what the loss can and cannot reach on x = y.</summary>
public class EndToEndTests(ITestOutputHelper output)
{
    const int Samples = 30_000, Features = 2, Batch = 128;

    /// <summary>Trains with shuffled mini-batches; returns the mean loss over the whole data set after each epoch.</summary>
    static List<double> Train(nn.Module<Tensor, Tensor> model, Tensor data, Func<Tensor, Tensor, Tensor> loss, double lr, int maxEpochs, Func<double, bool> stop)
    {
        var opt = optim.Adam(model.parameters(), lr: lr);
        var history = new List<double>();
        var rng = new Generator(7);
        for (int epoch = 0; epoch < maxEpochs; epoch++)
        {
            var order = rng.Permutation(Samples);
            for (int start = 0; start < Samples; start += Batch)
            {
                var x = data.index_select(0, order[start..Math.Min(start + Batch, Samples)]);
                opt.zero_grad();
                loss(model.forward(x), x).backward();
                opt.step();
            }
            using (no_grad()) history.Add(loss(model.forward(data), data).item<float>());
            if (stop(history[^1])) break;
        }
        return history;
    }

    [Fact]
    public void LinearAutoencoderWithMseReachesBelow1e5()
    {
        manual_seed(2);
        var data = rand(Samples, Features);
        var model = nn.Sequential(nn.Linear(Features, Features), nn.Linear(Features, Features));
        var history = Train(model, data, (y, x) => nn.functional.mse_loss(y, x), lr: 1e-3, maxEpochs: 30, stop: l => l < 1e-5);
        output.WriteLine($"MSE by epoch: {string.Join(", ", history.Select(l => l.ToString("E2")))}");
        Assert.True(history[^1] < 1e-5, $"final full-data MSE {history[^1]:E3} after {history.Count} epochs is not below 1e-5");
    }

    [Fact]
    public void SigmoidBceOnUniformTargetsStaysOnTheEntropyFloor()
    {
        manual_seed(2);
        var data = rand(Samples, Features);
        // BCE(p, t) ≥ H(t) for every p, equality at p = t: the mean binary entropy of the targets is the floor
        double floor = data.ToArray().Average(t => t <= 0 || t >= 1 ? 0 : -(t * Math.Log(t) + (1 - t) * Math.Log(1 - t)));
        Assert.InRange(floor, 0.49, 0.51); // ∫ H(t) dt over U(0,1) = 1/2 nat

        var model = nn.Sequential(nn.Linear(Features, Features), nn.Linear(Features, Features), nn.Sigmoid());
        var history = Train(model, data, (y, x) => nn.functional.binary_cross_entropy(y, x), lr: 1e-3, maxEpochs: 8, stop: _ => false);
        output.WriteLine($"floor {floor:F5}; BCE by epoch: {string.Join(", ", history.Select(l => l.ToString("F5")))}");
        Assert.All(history, l => Assert.True(l >= floor - 1e-4, $"BCE {l:F6} is below the entropy floor {floor:F6}: impossible unless the loss is wrong"));
        Assert.True(history[^1] - floor < 0.02, $"BCE {history[^1]:F5} should approach the floor {floor:F5} (the model can learn p = t)");
    }

    [Fact]
    public void SigmoidBceOnBernoulliTargetsGoesTowardZero()
    {
        manual_seed(2);
        var data = rand(Samples, Features).bernoulli_(0.5);
        var model = nn.Sequential(nn.Linear(Features, Features), nn.Linear(Features, Features), nn.Sigmoid());
        var history = Train(model, data, (y, x) => nn.functional.binary_cross_entropy(y, x), lr: 1e-2, maxEpochs: 10, stop: l => l < 0.05);
        output.WriteLine($"BCE by epoch: {string.Join(", ", history.Select(l => l.ToString("F5")))}");
        Assert.True(history[^1] < 0.05, $"BCE on binary targets should fall toward 0, ended at {history[^1]:F4}");
    }
}
