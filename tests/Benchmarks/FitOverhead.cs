using System.Diagnostics;
using System.Globalization;
using AeNotebooks;
using AeNotebooks.Torch;
using static AeNotebooks.Torch.torch;

namespace Benchmarks;

/// <summary>
/// fit_overhead_dense_ae_b128: what Trainer.Fit costs on top of the loop a user would write with the engine alone.
/// Both train dense_ae_b128's model (five Linear(100,100)+ReLU, Linear, Sigmoid) with BCE and Adam(1e-3) on the
/// same 2,560 rows, in the same shuffled batches of 128, for the same epochs; Fit with its defaults but Progress off
/// (so it records activation statistics and gradient norms every 20 steps and checks every gradient for NaN/Inf).
/// Both end with bit-identical weights, which the benchmark checks, so the time difference is Fit's own work.
/// </summary>
static class FitOverhead
{
    const int Rows = 128 * 20, BatchSize = 128, Epochs = 5, Features = 100;
    const long Seed = 0;
    const int StepsPerRound = Rows / BatchSize * Epochs;

    public static string DenseAeB128(double seconds, bool cpu)
    {
        manual_seed(1);
        var data = rand(Rows, Features);

        // untimed rounds of each first (≥ 3 and ≥ 3 s), so the JIT has tiered up (its background compiles would count
        // against whichever side runs meanwhile) and the pools are filled
        var warmupClock = Stopwatch.StartNew();
        for (int warmup = 0; warmup < 3 || warmupClock.Elapsed.TotalSeconds < 3; warmup++)
        {
            var plainWeights = Round(Plain, data, cpu).weights;
            var fitWeights = Round(Fit, data, cpu).weights;
            if (!plainWeights.SequenceEqual(fitWeights))
                throw new InvalidOperationException("fit_overhead: Trainer.Fit and the plain loop ended with different weights; they do not do the same training");
        }

        // interleaved rounds, so a busy spell on a shared machine hits both sides, taking turns at going first; the
        // fastest round of each side is reported (other processes only ever add time), and the median of the paired
        // ratios as a check
        var plain = new List<double>();
        var fit = new List<double>();
        var clock = Stopwatch.StartNew();
        while (plain.Count < 3 || clock.Elapsed.TotalSeconds < 2 * seconds)
        {
            bool plainFirst = plain.Count % 2 == 0;
            if (plainFirst) plain.Add(Round(Plain, data, cpu).ms / StepsPerRound);
            fit.Add(Round(Fit, data, cpu).ms / StepsPerRound);
            if (!plainFirst) plain.Add(Round(Plain, data, cpu).ms / StepsPerRound);
        }
        double best = fit.Min() / plain.Min() - 1;
        var ratios = plain.Zip(fit, (p, f) => f / p - 1).Order().ToArray();
        double median = ratios[ratios.Length / 2];
        return string.Create(CultureInfo.InvariantCulture,
            $"fit_overhead_dense_ae_b128\tplain {plain.Min():F3} ms/step\tTrainer.Fit {fit.Min():F3} ms/step\toverhead {100 * best:F1} %"
            + $"\tmedian of paired rounds {100 * median:F1} %\t{plain.Count} rounds of {StepsPerRound} steps each");
    }

    /// <summary>Builds the model (untimed) and times one training run; returns ms and the final weights.</summary>
    static (double ms, float[] weights) Round(Action<nn.Module<Tensor, Tensor>, Tensor> train, Tensor data, bool cpu)
    {
        manual_seed(0);
        var model = EngineWorkloads.DenseAe();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        train(model, data);
        double wall = sw.Elapsed.TotalMilliseconds;
        process.Refresh();
        double ms = cpu ? (process.TotalProcessorTime - cpu0).TotalMilliseconds : wall;
        return (ms, model.parameters().SelectMany(p => p.ToArray()).ToArray());
    }

    /// <summary>The hand-written loop: shuffle, take the batch, forward, loss, backward, step; the epoch's mean loss.</summary>
    static void Plain(nn.Module<Tensor, Tensor> model, Tensor data)
    {
        var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        var order = new Generator(Seed);
        model.train();
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            long[] rows = order.Permutation(Rows);
            double lossSum = 0;
            for (int start = 0; start < Rows; start += BatchSize)
            {
                var batch = data.index_select(0, rows[start..Math.Min(start + BatchSize, Rows)]);
                var loss = nn.functional.binary_cross_entropy(model.forward(batch), batch);
                lossSum += loss.item<float>();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            GC.KeepAlive(lossSum);
        }
    }

    static void Fit(nn.Module<Tensor, Tensor> model, Tensor data)
        => Trainer.Fit(model, null, data, new TrainOptions
        {
            Loss = Losses.Bce, Optimizer = Optimizers.Adam(1e-3), Epochs = Epochs, BatchSize = BatchSize, Seed = Seed, Progress = false,
        });
}
