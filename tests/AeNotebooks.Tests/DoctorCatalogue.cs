using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>
/// Training configurations with the findings each must produce: every broken configuration from the five scenarios,
/// its fixed counterpart, and others. <see cref="Case.Expected"/> lists the codes the doctor must report (warnings and
/// errors, plus the few info codes that are the point of a case); any other warning or error counts as a false positive.
/// The labels come from how each case is built (what is wrong with it by construction), not from running the doctor.
/// Small on purpose: ≤ 4k rows, small dense models, a few epochs.
/// </summary>
public static class DoctorCatalogue
{
    public sealed record Case(string Name, string Scenario, string[] Expected, string Why, Func<(TrainingRun run, Tensor? inputs, Tensor? targets)> Train)
    {
        public override string ToString() => Name;
    }

    public sealed record Outcome(Case Case, TrainingRun Run, Diagnosis Diagnosis, double TrainSeconds)
    {
        /// <summary>Expected codes the doctor did not report.</summary>
        public IReadOnlyList<string> Missed => Case.Expected.Where(c => !Diagnosis.Has(c)).ToList();
        /// <summary>Warnings and errors the case does not expect.</summary>
        public IReadOnlyList<Finding> Unexpected => Diagnosis.Problems.Where(f => !Case.Expected.Contains(f.Code)).ToList();
    }

    // ------------------------------------------------------------------ data (cached; every case copies nothing it changes)

    static readonly Lazy<Tensor> mnist = new(() => Datasets.Mnist(count: 2500).Train); // 2,000 × [1, 28, 28] in [0, 1]
    static Tensor Mnist => mnist.Value;

    static readonly Lazy<Tensor> mnistSmall = new(() => Mnist.narrow(0, 0, 1000));
    static Tensor MnistSmall => mnistSmall.Value;

    /// <summary>1×28×28 → 8×14×14 → 4×7×7 (the code: 196 values) → 8×14×14 → 1×28×28, sigmoid output.</summary>
    static Sequential ConvAutoencoder(Activation hidden)
    {
        nn.Module<Tensor, Tensor> Act() => hidden.ToModule()!;
        return nn.Sequential(
            ("conv1", nn.Conv2d(1, 8, 3, stride: 2, padding: 1)), ("act1", Act()),
            ("conv2", nn.Conv2d(8, 4, 3, stride: 2, padding: 1)), ("act2", Act()),
            ("up1", nn.ConvTranspose2d(4, 8, 4, stride: 2, padding: 1)), ("act3", Act()),
            ("up2", nn.ConvTranspose2d(8, 1, 4, stride: 2, padding: 1)), ("out", nn.Sigmoid()));
    }

    static TrainOptions Options(int epochs, LossFunction? loss = null, OptimizerSpec? optimizer = null, int batch = 64, Func<Tensor, int, Tensor>? transform = null,
        bool stopOnNonFinite = true) => new()
    {
        Epochs = epochs, BatchSize = batch, Loss = loss ?? Losses.Mse, Optimizer = optimizer ?? Optimizers.Adam(1e-3),
        InputTransform = transform, Progress = false, StopOnNonFinite = stopOnNonFinite, // default RecordEvery (20), as notebooks use
    };

    static (TrainingRun, Tensor?, Tensor?) Fit(string name, nn.Module<Tensor, Tensor> model, Tensor? inputs, Tensor targets, TrainOptions options)
    {
        var run = Trainer.Fit(model, inputs, targets, options, name);
        return (run, inputs, targets);
    }

    static Autoencoder Dense(int input, int[] hidden, int latent, Activation activation = Activation.ReLU, Activation output = Activation.Sigmoid,
        Init init = Init.PyTorchDefault, long seed = 0)
    {
        manual_seed(seed);
        return Models.DenseAutoencoder(input, hidden, latent, activation, output, init: init);
    }

    static Tensor Standardised(Tensor x) => Scalers.Standard().FitTransform(x);

    /// <summary>Every case, in scenario order.</summary>
    public static IReadOnlyList<Case> Cases { get; } = Build();

    static List<Case> Build()
    {
        var c = new List<Case>();
        void Add(string name, string scenario, string[] expected, string why, Func<(TrainingRun, Tensor?, Tensor?)> train) => c.Add(new Case(name, scenario, expected, why, train));
        string[] none = [];

        // ---------------- scenario 000: the loss does not decrease (notebook 01)
        Add("000 pixels 0-255, sigmoid output", "000",
            [FindingCodes.DataUnscaled, FindingCodes.OutputRangeMismatch, FindingCodes.CurvePlateau],
            "targets up to 255 cannot come out of a sigmoid, so the loss stays above even the mean predictor's; inputs with RMS ≈ 80 are unscaled",
            () => Fit("pixels 0-255", Dense(784, [128], 32), null, Mnist * 255.0, Options(4)));
        Add("000 pixels scaled to [0, 1] (fix)", "000", none,
            "the same model on x / 255",
            () => Fit("pixels /255", Dense(784, [128], 32), null, Mnist, Options(8)));
        Add("000 latent 8 bottleneck", "000",
            [FindingCodes.CapacityBottleneck],
            "8 code values for MNIST digits, which need ~100+ principal components",
            () => Fit("latent 8", Dense(784, [128], 8), null, Mnist, Options(8)));
        Add("000 ReLU output for [0, 1] pixels", "000",
            [FindingCodes.DeadRelu],
            "a ReLU output unit whose pre-activation goes negative for every image is stuck at 0 with zero gradient: those pixels are never reconstructed",
            () => Fit("ReLU output", Dense(784, [128], 32, output: Activation.ReLU), null, Mnist, Options(8)));
        Add("000 code wider than the input on redundant data", "000",
            [FindingCodes.CapacityIdentity],
            "16 features that are 2 signals plus a little noise; a linear 32-wide code learns the identity instead of the 2 signals",
            () => { manual_seed(0); return Fit("wide code", Models.LinearAutoencoder(16, 32), null, NoisyRedundant(2048, 16, 2, seed: 3), Options(20, optimizer: Optimizers.Adam(1e-2), batch: 32)); });
        Add("000 plain SGD at lr 0.01", "000",
            [FindingCodes.LrTooLow, FindingCodes.CurvePlateau],
            "plain gradient descent at 0.01 barely moves a sigmoid-output autoencoder in 8 epochs",
            () => Fit("plain SGD", Dense(784, [128], 32), null, Mnist, Options(8, optimizer: Optimizers.Sgd(0.01))));

        // ---------------- scenario 001: the denoiser fails (notebook 02)
        Add("001 Gaussian noise factor 2.0", "001",
            [FindingCodes.NoiseTooHigh, FindingCodes.CurvePlateau, FindingCodes.OutputCollapsed],
            "noise with std 2 on [0, 1] pixels, clipped: the corrupted digit carries little of the clean one, so the model outputs the average digit and the loss stalls at the mean predictor's",
            () => Fit("noise 2.0", Dense(784, [128], 32), null, Mnist, Options(8, transform: Noise.GaussianEachStep(2.0, clip: true, seed: 1))));
        Add("001 Gaussian noise factor 0.5 (the scenario's first example)", "001", none,
            "the scenario calls this shallow dense DAE at noise 0.5 a failure; by construction nothing is broken: the noise is strong but learnable",
            () => Fit("noise 0.5", Dense(784, [128], 32), null, Mnist, Options(8, transform: Noise.GaussianEachStep(0.5, clip: true, seed: 1))));
        Add("001 Gaussian noise factor 0.2 (fix)", "001", none,
            "moderate noise, fresh every step",
            () => Fit("noise 0.2", Dense(784, [128], 32), null, Mnist, Options(8, transform: Noise.GaussianEachStep(0.2, clip: true, seed: 1))));
        Add("001 Gaussian noise factor 0.01", "001",
            [FindingCodes.NoiseTooLow],
            "noise std 0.01: the input is the target, the denoiser learns to copy",
            () => Fit("noise 0.01", Dense(784, [128], 32), null, Mnist, Options(8, transform: Noise.GaussianEachStep(0.01, clip: true, seed: 1))));
        Add("001 the same mask every step", "001",
            [FindingCodes.MaskFixed],
            "Masker with random: false reuses one mask pattern at every step",
            () => Fit("fixed mask", Dense(784, [128], 32), null, Mnist, Options(8, transform: Noise.Mask(Mnist, 0.3, random: false, seed: 2).AsInputTransform())));
        Add("001 a new mask every step (fix)", "001", none,
            "Masker with random: true draws a new mask each step",
            () => Fit("random mask", Dense(784, [128], 32), null, Mnist, Options(8, transform: Noise.Mask(Mnist, 0.3, random: true, seed: 2).AsInputTransform())));
        Add("001 precomputed mask at fixed positions", "001",
            [FindingCodes.MaskFixed],
            "the same 30% of pixel positions zeroed in every image",
            () => Fit("fixed positions", Dense(784, [128], 32), SamePositionsMasked(Mnist, 0.3, seed: 4), Mnist, Options(8)));

        // ---------------- scenario 002: x = y never reaches zero (notebook 03)
        Add("002 uniform data, sigmoid + BCE", "002",
            [FindingCodes.LossBceContinuousFloor],
            "BCE on U(0,1) targets has a floor of 0.5 nats",
            () => Fit("uniform BCE", Dense(20, [20], 20), null, Datasets.Uniform(4096, 20, seed: 5), Options(10, Losses.Bce, batch: 128)));
        Add("002 uniform data, linear + MSE (fix)", "002",
            [FindingCodes.CapacityIdentity],
            "a linear autoencoder with a full-width code learns the identity (info: on iid data copying is the answer)",
            () => { manual_seed(0); return Fit("uniform MSE", Models.LinearAutoencoder(20, 20), null, Datasets.Uniform(4096, 20, seed: 5), Options(10, optimizer: Optimizers.Adam(1e-2), batch: 128)); });
        Add("002 Bernoulli data, sigmoid + BCE", "002",
            [FindingCodes.LossLogitsAdvised],
            "binary targets drive the sigmoid into saturation, where BCE on probabilities loses precision (info: use logits)",
            () => Fit("Bernoulli BCE", Dense(20, [64], 20, activation: Activation.LeakyReLU), null, Datasets.Bernoulli(4096, 20, seed: 6), Options(40, Losses.Bce, optimizer: Optimizers.Adam(3e-3), batch: 128)));
        Add("002 Bernoulli data, BCE with logits (fix)", "002", none,
            "the same on the logit scale",
            () => Fit("Bernoulli logits", Dense(20, [64], 20, activation: Activation.LeakyReLU, output: Activation.Linear), null, Datasets.Bernoulli(4096, 20, seed: 6), Options(40, Losses.BceWithLogits, optimizer: Optimizers.Adam(3e-3), batch: 128)));
        Add("002 Bernoulli data with MSE", "002",
            [FindingCodes.DataBinaryTargets],
            "binary targets trained with MSE: works, but BCE is their likelihood (info)",
            () => Fit("Bernoulli MSE", Dense(20, [64], 20, activation: Activation.LeakyReLU), null, Datasets.Bernoulli(4096, 20, seed: 6), Options(40, optimizer: Optimizers.Adam(3e-3), batch: 128)));
        Add("002 bottleneck on iid data", "002",
            [FindingCodes.CapacityBottleneck],
            "5 code values for 20 independent features: 75% of the variance cannot pass",
            () => { manual_seed(0); return Fit("iid bottleneck", Models.LinearAutoencoder(20, 5), null, Datasets.Uniform(4096, 20, seed: 7), Options(10, optimizer: Optimizers.Adam(1e-2), batch: 128)); });
        Add("002 bottleneck on redundant data (fix)", "002", none,
            "20 features that are copies of 5: a 5-wide code holds everything",
            () => { manual_seed(0); return Fit("redundant bottleneck", Models.LinearAutoencoder(20, 5), null, Datasets.Redundant(4096, 20, 5, seed: 7), Options(10, optimizer: Optimizers.Adam(1e-2), batch: 128)); });

        // ---------------- scenario 003: the (conv) autoencoder does not converge (notebook 04; dense stand-ins until conv layers exist)
        Add("003 Adam at lr 0.1", "003",
            [FindingCodes.LrTooHigh, FindingCodes.CurvePlateau, FindingCodes.SaturatedUnits],
            "steps of 0.1 per weight on weights of size ~0.05: the first steps drive the output sigmoid into saturation at 0, where its gradient is exactly 0, and the loss stalls above the mean predictor's",
            () => Fit("Adam 0.1", Dense(784, [128], 32, activation: Activation.LeakyReLU), null, Mnist, Options(8, optimizer: Optimizers.Adam(0.1))));
        Add("003 linear output, ReLU everywhere", "003", none,
            "the scenario blames a linear output for [0, 1] images; by construction the output is only unbounded, which MSE pulls back into range",
            () => Fit("linear output", Dense(784, [128], 32, output: Activation.Linear), null, Mnist, Options(8)));
        Add("003 Adam at lr 1e-3, LeakyReLU + sigmoid (fix)", "003", none,
            "the improved configuration",
            () => Fit("Adam 1e-3", Dense(784, [128], 32, activation: Activation.LeakyReLU), null, Mnist, Options(8)));

        // ---------------- scenario 004: NaN (notebook 05)
        Add("004 features ×1 and ×1000, sigmoid net", "004",
            [FindingCodes.DataUnscaled, FindingCodes.OutputRangeMismatch, FindingCodes.SaturatedUnits, FindingCodes.GradVanishing, FindingCodes.CurvePlateau],
            "a sigmoid output cannot produce values up to 1000; inputs of ~1000 saturate the sigmoid code unit, so no gradient reaches the encoder (the scenario's vanishing-gradient claim)",
            () => { var d = Datasets.Unscaled(2048, 2, 1000, seed: 8).Train; return Fit("unscaled sigmoid", Dense(2, [], 1, Activation.Sigmoid, Activation.Sigmoid), null, d, Options(20, batch: 32)); });
        Add("004 features ×1 and ×1000, SGD", "004",
            [FindingCodes.DataUnscaled, FindingCodes.NumericsNonFinite, FindingCodes.CurveDiverged, FindingCodes.LrTooHigh, FindingCodes.GradExploding],
            "gradients scale with the inputs' square: a learning rate fine for unit-scale data is ~10⁶ times too large for features of size 1000, and the loss overflows in 3 steps",
            () => { manual_seed(0); var d = Datasets.Unscaled(2048, 2, 1000, seed: 8).Train; return Fit("unscaled SGD", Models.LinearAutoencoder(2, 1), null, d, Options(5, optimizer: Optimizers.Sgd(0.01), batch: 32)); });
        Add("004 standardised features, linear output (fix)", "004", none,
            "the same data standardised",
            () => { var d = Standardised(Datasets.Unscaled(2048, 2, 1000, seed: 8).Train); return Fit("standardised", Dense(2, [8], 1, activation: Activation.LeakyReLU, output: Activation.Linear), null, d, Options(60, batch: 32)); });
        Add("004 NaN in the data", "004",
            [FindingCodes.DataNonFinite, FindingCodes.NumericsNonFinite],
            "three missing values in the training data",
            () => Fit("NaN data", Dense(8, [16], 4, output: Activation.Linear), null, WithNaN(Standardised(Datasets.Redundant(2048, 8, 4, seed: 9)), 3), Options(5, batch: 32)));
        Add("004 NaN only in the validation data", "004",
            [FindingCodes.DataNonFinite, FindingCodes.NumericsNonFinite],
            "the scenario's title: training is fine, one missing value in the held-out rows makes every validation loss NaN",
            () =>
            {
                var d = Standardised(Datasets.Redundant(2560, 8, 4, seed: 9));
                var options = new TrainOptions { Epochs = 15, BatchSize = 32, Optimizer = Optimizers.Adam(3e-3), Progress = false,
                    ValidationInputs = WithNaN(d.narrow(0, 2048, 512), 1) };
                return Fit("NaN validation", Dense(8, [16], 4, Activation.LeakyReLU, Activation.Linear), null, d.narrow(0, 0, 2048), options);
            });
        Add("004 deep sigmoid network", "004",
            [FindingCodes.GradVanishing, FindingCodes.CurvePlateau],
            "six sigmoid layers on each side: each multiplies the backward signal by ≤ 1/4",
            () => Fit("deep sigmoid", Dense(16, [16, 16, 16, 16, 16], 8, Activation.Sigmoid, Activation.Linear, init: Init.XavierUniform), null, Standardised(Datasets.Redundant(2048, 16, 8, seed: 10)), Options(10, optimizer: Optimizers.Sgd(0.05), batch: 32)));
        Add("004 deep LeakyReLU network (fix)", "004", none,
            "the same depth with LeakyReLU and He initialisation",
            () => Fit("deep LeakyReLU", Dense(16, [16, 16, 16, 16, 16], 8, Activation.LeakyReLU, Activation.Linear, init: Init.KaimingUniform), null, Standardised(Datasets.Redundant(2048, 16, 8, seed: 10)), Options(10, optimizer: Optimizers.Adam(1e-3), batch: 32)));

        // ---------------- others
        Add("SGD at lr 1e-4", "other",
            [FindingCodes.LrTooLow, FindingCodes.CurvePlateau],
            "steps of 10⁻⁴ × gradient: the weights hardly move in the run",
            () => Fit("SGD 1e-4", Dense(784, [128], 32), null, Mnist, Options(6, optimizer: Optimizers.Sgd(1e-4))));
        Add("one epoch only", "other",
            [FindingCodes.CurveStillFalling],
            "a healthy configuration stopped after one epoch, its loss still falling fast",
            () => Fit("1 epoch", Dense(16, [32], 4, Activation.LeakyReLU, Activation.Linear), null, Standardised(Datasets.Redundant(2048, 16, 4, seed: 17)), Options(1, batch: 16)));
        Add("Adam at lr 0.1 on standardised data", "other",
            [FindingCodes.CurveOscillating, FindingCodes.LrTooHigh],
            "steps far too large for the loss's curvature: the loss jumps back above its starting value mid-run",
            () => Fit("Adam 0.1 bouncing", Dense(16, [32], 8, Activation.LeakyReLU, Activation.Linear), null, Standardised(Datasets.Redundant(2048, 16, 8, seed: 10)), Options(10, optimizer: Optimizers.Adam(0.1), batch: 32)));
        Add("deep ReLU network initialised with std 1", "other",
            [FindingCodes.GradExploding, FindingCodes.NumericsNonFinite, FindingCodes.CurveDiverged, FindingCodes.LrTooHigh],
            "weights of std 1 on fan-in 64 multiply activations ×~6 per layer: the first gradients are ~10¹⁰ and the first step overflows",
            () => { var m = Dense(16, [64, 64, 64], 8, output: Activation.Linear); foreach (var l in m.modules().OfType<Linear>()) nn.init.normal_(l.weight, 0, 1.0); return Fit("big init", m, null, Standardised(Datasets.Redundant(2048, 16, 8, seed: 10)), Options(5, optimizer: Optimizers.Sgd(1e-4), batch: 32)); });
        Add("ReLU units killed by negative biases", "other",
            [FindingCodes.DeadRelu, FindingCodes.CurvePlateau, FindingCodes.OutputCollapsed],
            "hidden biases set to −5 on standardised inputs: no ReLU ever fires, the output is a constant and the loss stays at the mean predictor's",
            () => { var m = Dense(16, [64], 8, output: Activation.Linear); KillBiases(m); return Fit("dead ReLU", m, null, Standardised(Datasets.Redundant(2048, 16, 8, seed: 11)), Options(10, batch: 32)); });
        Add("sigmoid output fed to BCE with logits", "other",
            [FindingCodes.LossOutputMismatch, FindingCodes.CurvePlateau],
            "σ applied twice: predictions confined to (0.5, 0.73), so the loss stalls at once",
            () => Fit("double sigmoid", Dense(20, [32], 20), null, Datasets.Bernoulli(2048, 20, seed: 12), Options(10, Losses.BceWithLogits, batch: 32)));
        Add("sigmoid output on standardised data", "other",
            [FindingCodes.OutputRangeMismatch],
            "half the standardised values are negative; a sigmoid cannot produce them",
            () => Fit("sigmoid on z-scores", Dense(16, [32], 8), null, Standardised(Datasets.Redundant(2048, 16, 8, seed: 13)), Options(10, batch: 32)));
        Add("features on scales 1 and 0.001", "other",
            [FindingCodes.DataUnscaled],
            "one feature's spread is 1000× the other's: MSE ignores the small one",
            () => Fit("scale ratio", Dense(4, [16], 2, activation: Activation.LeakyReLU, output: Activation.Linear), null, ScaledColumns(Datasets.Uniform(2048, 4, seed: 14), [1, 1, 1e-3, 1e-3]), Options(15, optimizer: Optimizers.Adam(1e-2), batch: 32)));
        // ---------------- convolutional autoencoders (plain Sequentials: no Autoencoder metadata, so layer order, code width
        // and per-channel units come from the forward pass alone)
        Add("conv DAE, noise 0.2, healthy", "conv", none,
            "Conv2d/ConvTranspose2d with LeakyReLU and a sigmoid output, fresh noise every step",
            () => { manual_seed(0); return Fit("conv DAE", ConvAutoencoder(Activation.LeakyReLU), null, MnistSmall, Options(4, batch: 32, transform: Noise.GaussianEachStep(0.2, clip: true, seed: 1))); });
        Add("conv, ReLU channels killed by negative biases", "conv",
            [FindingCodes.DeadRelu, FindingCodes.OutputCollapsed],
            "every conv bias −3 on [0, 1] images: the first layer's channels never fire, so the decoder sees a constant and outputs one image for all inputs",
            () => { manual_seed(0); var m = ConvAutoencoder(Activation.ReLU); foreach (var conv in m.modules().OfType<Conv2d>()) nn.init.constant_(conv.bias!, -3); return Fit("conv dead", m, null, MnistSmall, Options(4, batch: 32)); });
        Add("conv DAE, the same mask every step", "conv",
            [FindingCodes.MaskFixed],
            "Masker with random: false on a conv denoiser",
            () => { manual_seed(0); return Fit("conv fixed mask", ConvAutoencoder(Activation.LeakyReLU), null, MnistSmall, Options(4, batch: 32, transform: Noise.Mask(MnistSmall, 0.3, random: false, seed: 2).AsInputTransform())); });

        Add("Shapes images, healthy", "other", none,
            "16×16 colour shapes, a reasonable dense autoencoder",
            () => Fit("shapes", Dense(768, [128], 48, activation: Activation.LeakyReLU), null, Datasets.Shapes(1500, size: 16, seed: 15).Train, Options(10, batch: 32)));
        Add("Redundant data, tanh hidden layers, healthy", "other", none,
            "a small tanh autoencoder on standardised redundant data",
            () => Fit("tanh", Dense(12, [24], 4, Activation.Tanh, Activation.Linear, init: Init.XavierUniform), null, Standardised(Datasets.Redundant(2048, 12, 4, seed: 16)), Options(20, optimizer: Optimizers.Adam(3e-3), batch: 32)));
        return c;
    }

    // ------------------------------------------------------------------ helpers that break things on purpose

    /// <summary>The same pixel positions (a share p, drawn once) zeroed in every row.</summary>
    static Tensor SamePositionsMasked(Tensor x, double p, long seed)
    {
        var g = new Generator((ulong)(seed));
        int n = (int)x.shape[0];
        int f = (int)(x.numel() / n);
        var keep = (rand([1, f], generator: g) >= p).to_type(ScalarType.Float32);
        return (x.reshape(n, f) * keep).reshape(x.shape);
    }

    /// <summary>Redundant columns plus N(0, 0.05²) noise in every column: compressible (2 strong directions) but full rank.</summary>
    static Tensor NoisyRedundant(int rows, int features, int distinct, long seed)
        => Datasets.Redundant(rows, features, distinct, seed) + 0.05 * randn([rows, features], generator: new Generator((ulong)(seed + 100)));

    static Tensor WithNaN(Tensor x, int count)
    {
        var v = x.ToArray();
        for (int k = 0; k < count; k++) v[(k * 7919 + 13) % v.Length] = float.NaN;
        return tensor(v, x.shape);
    }

    static Tensor ScaledColumns(Tensor x, double[] scales)
    {
        var v = x.ToArray();
        int f = scales.Length;
        for (int i = 0; i < v.Length; i++) v[i] = (float)(v[i] * scales[i % f]);
        return tensor(v, x.shape);
    }

    static void KillBiases(Autoencoder model)
    {
        foreach (var (name, module) in model.named_modules())
            if (module is Linear linear && linear.bias is not null && name != "decoder.linear1") nn.init.constant_(linear.bias, -5);
    }

    // ------------------------------------------------------------------ running

    static readonly Dictionary<string, Outcome> outcomes = new();
    static readonly object gate = new();

    /// <summary>Trains and examines a case once per process (the per-case tests and the summary share the result).</summary>
    public static Outcome Run(Case c)
    {
        lock (gate)
        {
            if (outcomes.TryGetValue(c.Name, out var done)) return done;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (run, inputs, targets) = c.Train();
            double trained = clock.Elapsed.TotalSeconds;
            var diagnosis = Doctor.Examine(run);
            return outcomes[c.Name] = new Outcome(c, run, diagnosis, trained);
        }
    }
}
