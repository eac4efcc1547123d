namespace AeNotebooks.Torch
{
    using AeNotebooks.Torch.Modules;

    public static partial class torch
    {
        public static partial class optim
        {
            public static class lr_scheduler
            {
                /// <summary>Multiplies the learning rate by gamma every step_size calls of step().</summary>
                public static StepLR StepLR(Optimizer optimizer, int step_size, double gamma = 0.1) => new(optimizer, step_size, gamma);

                /// <summary>Cuts the learning rate by factor when the metric stops improving for patience steps.</summary>
                public static ReduceLROnPlateau ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10,
                    double threshold = 1e-4, string threshold_mode = "rel", int cooldown = 0, double min_lr = 0, double eps = 1e-8)
                    => new(optimizer, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps);
            }
        }
    }
}

namespace AeNotebooks.Torch.Modules
{
    using static AeNotebooks.Torch.torch;

    public sealed class StepLR
    {
        readonly optim.Optimizer optimizer;
        readonly int stepSize;
        readonly double gamma;
        public int last_epoch { get; private set; }

        internal StepLR(optim.Optimizer optimizer, int stepSize, double gamma)
        {
            if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR: step_size must be positive");
            (this.optimizer, this.stepSize, this.gamma) = (optimizer, stepSize, gamma);
        }

        public void step()
        {
            last_epoch++;
            if (last_epoch % stepSize == 0) optimizer.LearningRate *= gamma;
        }

        public double get_last_lr() => optimizer.LearningRate;
    }

    public sealed class ReduceLROnPlateau
    {
        readonly optim.Optimizer optimizer;
        readonly bool minimize, relative;
        readonly double factor, threshold, minLr, eps;
        readonly int patience, cooldown;
        double best;
        int badEpochs, cooldownCounter;

        internal ReduceLROnPlateau(optim.Optimizer optimizer, string mode, double factor, int patience, double threshold, string thresholdMode, int cooldown, double minLr, double eps)
        {
            if (factor >= 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "ReduceLROnPlateau: factor must be < 1");
            minimize = mode switch { "min" => true, "max" => false, _ => throw new ArgumentException($"ReduceLROnPlateau: mode must be \"min\" or \"max\", got \"{mode}\"") };
            relative = thresholdMode switch { "rel" => true, "abs" => false, _ => throw new ArgumentException($"ReduceLROnPlateau: threshold_mode must be \"rel\" or \"abs\", got \"{thresholdMode}\"") };
            (this.optimizer, this.factor, this.patience, this.threshold, this.cooldown, this.minLr, this.eps) = (optimizer, factor, patience, threshold, cooldown, minLr, eps);
            best = minimize ? double.PositiveInfinity : double.NegativeInfinity;
        }

        public int num_bad_epochs => badEpochs;

        public void step(double metric)
        {
            if (IsBetter(metric)) { best = metric; badEpochs = 0; }
            else badEpochs++;
            if (cooldownCounter > 0) { cooldownCounter--; badEpochs = 0; }
            if (badEpochs > patience)
            {
                double old = optimizer.LearningRate, lowered = Math.Max(old * factor, minLr);
                if (old - lowered > eps) optimizer.LearningRate = lowered;
                cooldownCounter = cooldown;
                badEpochs = 0;
            }
        }

        bool IsBetter(double a) => (minimize, relative) switch
        {
            (true, true) => a < best * (1 - threshold),
            (true, false) => a < best - threshold,
            (false, true) => a > best * (threshold + 1),
            (false, false) => a > best + threshold,
        };

        public double get_last_lr() => optimizer.LearningRate;
    }
}
