using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AeNotebooks.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>
/// The doctor: one test per catalogue configuration, the catalogue's recall and false-positive rate, and the parts
/// (eigenvalues, curve judge, op tracing, range test, overfit-one-batch, rendering). Trainer.Fit seeds the default
/// generator, hence the collection.
/// </summary>
[Collection("default generator")]
public class DoctorTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> CaseNames => DoctorCatalogue.Cases.Select(c => new object[] { c.Name });

    // ------------------------------------------------------------------ the catalogue

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void CatalogueCase(string name)
    {
        var c = DoctorCatalogue.Cases.Single(x => x.Name == name);
        var o = DoctorCatalogue.Run(c);
        output.WriteLine($"{c.Name}: {c.Why}");
        output.WriteLine($"expected [{string.Join(", ", c.Expected)}]; trained {o.TrainSeconds:F2} s, examined {o.Diagnosis.Seconds:F3} s");
        output.WriteLine(o.Diagnosis.ToText());
        Assert.Empty(o.Diagnosis.CheckErrors);
        var knownMisses = KnownMisses.GetValueOrDefault(c.Name, []);
        Assert.True(o.Missed.Order().SequenceEqual(knownMisses.Order()),
            $"{c.Name}: missed {string.Join(", ", o.Missed)} (documented misses: {string.Join(", ", knownMisses)}); reported {string.Join(", ", o.Diagnosis.Codes)}");
        Assert.True(o.Unexpected.Count == 0, $"{c.Name}: unexpected {string.Join("; ", o.Unexpected)}");
    }

    /// <summary>
    /// Misses measured on TorchSharp and documented in the doctor's README, labels left as built: with libtorch's initial
    /// weights the sigmoid code unit of case 004 is saturated for only 81% of the probe samples and the encoder still gets
    /// gradient. The test fails when the doctor misses anything else, or stops missing these (then the entry goes).
    /// </summary>
    static readonly Dictionary<string, string[]> KnownMisses = new()
    {
        ["004 features ×1 and ×1000, sigmoid net"] = [FindingCodes.SaturatedUnits, FindingCodes.GradVanishing],
    };

    /// <summary>Codes that are info by design (never a warning), so they cannot be false positives.</summary>
    static readonly HashSet<string> InfoOnly = [FindingCodes.DataBinaryTargets, FindingCodes.LossLogitsAdvised, FindingCodes.BaselineMean, FindingCodes.BaselineIdentity, FindingCodes.BaselinePca];

    [Fact]
    public void CatalogueRecallAndFalsePositiveRate()
    {
        var outcomes = DoctorCatalogue.Cases.Select(DoctorCatalogue.Run).ToList();
        int expected = 0, found = 0, negatives = 0, falsePositives = 0, problems = 0, healthyWarnings = 0;
        var sb = new StringBuilder();
        sb.AppendLine($"{"case",-58} {"train s",7} {"exam s",6}  expected → reported (E error, W warning, i info; baselines left out)");
        foreach (var o in outcomes)
        {
            expected += o.Case.Expected.Length;
            found += o.Case.Expected.Count(o.Diagnosis.Has);
            var reported = o.Diagnosis.Problems.Select(f => f.Code).ToHashSet();
            problems += reported.Count;
            foreach (var code in FindingCodes.All.Where(c => !InfoOnly.Contains(c) && !o.Case.Expected.Contains(c)))
            {
                negatives++;
                if (reported.Contains(code)) falsePositives++;
            }
            if (o.Case.Expected.Length == 0) healthyWarnings += reported.Count;
            var shown = o.Diagnosis.Findings.Where(f => !f.Code.StartsWith("BASELINE_")).Select(f => $"{f.Code}({(f.Severity == Severity.Error ? "E" : f.Severity == Severity.Warning ? "W" : "i")})");
            sb.AppendLine($"{o.Case.Name,-58} {o.TrainSeconds,7:F2} {o.Diagnosis.Seconds,6:F3}  [{string.Join(", ", o.Case.Expected)}] → [{string.Join(", ", shown)}]" +
                          (o.Missed.Count > 0 ? $"  MISSED {string.Join(", ", o.Missed)}" : "") +
                          (o.Unexpected.Count > 0 ? $"  UNEXPECTED {string.Join(", ", o.Unexpected.Select(f => f.Code))}" : ""));
        }
        double recall = (double)found / expected;
        double fpr = (double)falsePositives / negatives;
        double fdr = problems == 0 ? 0 : (double)falsePositives / problems;
        var examine = outcomes.Select(o => o.Diagnosis.Seconds).OrderBy(s => s).ToList();
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{outcomes.Count} configurations ({outcomes.Count(o => o.Case.Expected.Length == 0)} healthy), {expected} expected codes: " +
            $"recall {recall:P1} ({found}/{expected}); false-positive rate {fpr:P2} ({falsePositives}/{negatives} case×code negatives); " +
            $"unexpected share of reported problems {fdr:P1}; warnings on healthy configurations: {healthyWarnings}"));
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Doctor.Examine: median {examine[examine.Count / 2]:F3} s, max {examine[^1]:F3} s; training the catalogue: {outcomes.Sum(o => o.TrainSeconds):F1} s"));
        output.WriteLine(sb.ToString());

        Assert.True(outcomes.Count >= 24, $"only {outcomes.Count} configurations");
        foreach (var scenario in new[] { "000", "001", "002", "003", "004" })
        {
            Assert.Contains(outcomes, o => o.Case.Scenario == scenario && o.Case.Expected.Length > 0);
            Assert.Contains(outcomes, o => o.Case.Scenario == scenario && o.Case.Expected.Length == 0);
        }
        Assert.All(outcomes, o => Assert.Empty(o.Diagnosis.CheckErrors));
        // every finding is complete, and its fix's code spans are closed (they render as <code>/<pre>)
        Assert.All(outcomes.SelectMany(o => o.Diagnosis.Findings), f =>
        {
            Assert.False(string.IsNullOrWhiteSpace(f.Title) || string.IsNullOrWhiteSpace(f.Evidence) || string.IsNullOrWhiteSpace(f.Mechanism) || string.IsNullOrWhiteSpace(f.Fix), f.Code);
            Assert.True(f.Fix.Count(ch => ch == '`') % 2 == 0, $"{f.Code}: unbalanced ` in fix: {f.Fix}");
        });
        Assert.True(recall >= 0.95, $"recall {recall:P1}");
        Assert.True(fpr <= 0.05, $"false-positive rate {fpr:P2}");
        Assert.Equal(0, healthyWarnings);
        Assert.True(examine[examine.Count / 2] < 1.0, $"median examination {examine[examine.Count / 2]:F2} s");
        // every code is exercised by some configuration (BASELINE_* appear everywhere as info)
        var exercised = outcomes.SelectMany(o => o.Case.Expected).ToHashSet();
        var untested = FindingCodes.All.Where(c => !c.StartsWith("BASELINE_") && !exercised.Contains(c)).ToList();
        Assert.True(untested.Count == 0, $"codes no configuration expects: {string.Join(", ", untested)}");
    }

    // ------------------------------------------------------------------ parts

    [Fact]
    public void SpectrumAndPcaMatchTheSingularValuesOfTheCentredData()
    {
        // eigh of the covariance (or Gram) matrix against the SVD of the data: two different LAPACK algorithms
        foreach (var (rows, features) in new[] { (50, 8), (8, 50) })
        {
            var x = randn([rows, features], generator: new Generator(3UL));
            var centred = (x - x.mean([0], keepdim: true)).to(ScalarType.Float64);
            var expected = (linalg.svdvals(centred).square() / (rows - 1)).data<double>().ToArray();
            var spectrum = Spectrum.Of(x);
            var pca = Analysis.Pca.Fit(x.data<float>().ToArray(), rows, features, components: Math.Min(rows, features));
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], spectrum.Eigenvalues[i], 1e-4 * expected[0]);
                Assert.Equal(expected[i], pca.Variance[i], 1e-4 * expected[0]);
            }
            Assert.Equal(expected.Sum(), spectrum.Total, 1e-4 * expected.Sum());
            // the components are orthonormal
            for (int a = 0; a < pca.Components.Length; a++)
                for (int b = 0; b < pca.Components.Length; b++)
                    Assert.Equal(a == b ? 1.0 : 0.0, pca.Components[a].Zip(pca.Components[b], (p, q) => p * q).Sum(), 1e-9);
        }
    }

    [Fact]
    public void PcaFindsTheDimensionOfRedundantAndIidData()
    {
        var redundant = Spectrum.Of(Datasets.Redundant(600, 12, 3, seed: 2));
        Assert.Equal(3, redundant.ComponentsFor(0.95));
        Assert.InRange(redundant.ParticipationRatio, 2.5, 3.0);
        Assert.True(redundant.ResidualFraction(3) < 1e-6);
        var iid = Spectrum.Of(Datasets.Uniform(2000, 10, seed: 4));
        Assert.InRange(iid.ParticipationRatio, 9.0, 10.0);
        Assert.InRange(iid.ResidualFraction(5), 0.45, 0.55);
    }

    [Fact]
    public void TheBceFloorOfUniformTargetsIsHalfANat()
    {
        // ∫₀¹ −t ln t − (1−t) ln(1−t) dt = 1/2
        Assert.Equal(0.5, Examination.BinaryEntropyFloor(Datasets.Uniform(20000, 5, seed: 5)), 2);
        Assert.Equal(0, Examination.BinaryEntropyFloor(Datasets.Bernoulli(100, 5, seed: 5)));
    }

    [Fact]
    public void TheCurveJudgeSeparatesShapes()
    {
        var g = new Generator((ulong)(7));
        var draws = randn([10_000], dtype: ScalarType.Float64, generator: g).data<double>().ToArray();
        int k = 0;
        float Noise(double v) => (float)(v * (1 + 0.05 * draws[k++]));
        var flat = Enumerable.Range(0, 300).Select(_ => Noise(0.5)).ToList();
        var decay = Enumerable.Range(0, 300).Select(i => Noise(Math.Exp(-i / 60.0))).ToList();
        var bounce = Enumerable.Range(0, 300).Select(i => Noise(i is > 150 and < 200 ? 5 : Math.Exp(-i / 60.0))).ToList();
        var c1 = Curve.Of(flat, 0)!;
        var c2 = Curve.Of(decay, 0)!;
        var c3 = Curve.Of(bounce, 0)!;
        Assert.True(Math.Abs(c1.LastHalfDrop) < TrainingChecks.PlateauDrop, $"flat: {c1.LastHalfDrop}");
        Assert.True(c1.Rebound < TrainingChecks.OscillationRebound, $"flat rebound {c1.Rebound}");
        Assert.True(c2.LastFifthDrop > TrainingChecks.StillFallingFastDrop, $"decay: {c2.LastFifthDrop}");
        Assert.True(c2.Rebound < TrainingChecks.OscillationRebound);
        Assert.True(c3.Rebound >= TrainingChecks.OscillationRebound, $"bounce rebound {c3.Rebound}");
        Assert.Null(Curve.Of(flat.Take(Curve.MinSteps - 1).ToList(), 0));
    }

    [Fact]
    public void WithoutDataOnlyTheRunsOwnRecordsAreJudged()
    {
        var o = DoctorCatalogue.Run(DoctorCatalogue.Cases.Single(c => c.Name == "SGD at lr 1e-4"));
        var d = Doctor.Examine(o.Run, null, null);
        Assert.Contains(d.Skipped, s => s.Contains("no data"));
        Assert.True(d.Has(FindingCodes.LrTooLow), d.ToText());
        Assert.True(d.Has(FindingCodes.CurvePlateau), d.ToText());
        Assert.False(d.Has(FindingCodes.BaselineMean));
        Assert.Empty(d.CheckErrors);
    }

    [Fact]
    public void ADiagnosisRendersAsATableWithEvidenceAndFixes()
    {
        var d = DoctorCatalogue.Run(DoctorCatalogue.Cases.Single(c => c.Name.StartsWith("004 features ×1 and ×1000, sigmoid"))).Diagnosis;
        var html = d.ToHtml();
        Assert.StartsWith("<table", html);
        foreach (var f in d.Findings) Assert.Contains(f.Code, html);
        Assert.Contains("<code>", html);
        var text = d.ToText();
        Assert.Contains("evidence:", text);
        Assert.Contains("fix:", text);
        var finding = d[FindingCodes.DataUnscaled]!;
        Assert.True(finding["rms"] > DataChecks.RmsLimit);
        Assert.Throws<KeyNotFoundException>(() => finding["no such number"]);
        Assert.Contains(typeof(Diagnosis).GetCustomAttributes(false), a => a.GetType().Name == "TypeFormatterSourceAttribute");
    }

    [Fact]
    public void EveryCodeIsDocumentedInTheReadme()
    {
        var readme = File.ReadAllText(Path.Combine(TestUtil.RepositoryRoot(), "lib", "AeNotebooks", "Diagnostics", "README.md"));
        var documented = Regex.Matches(readme, @"^\| `([A-Z_]+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(FindingCodes.All.OrderBy(c => c), documented.OrderBy(c => c));
    }

    [Fact]
    public void FlattenedMnistPixelsAreNotCalledUnscaled()
    {
        // 784 columns whose spreads range from 0 (the border) to 0.45: the robust spread ratio stays below the limit
        var images = Datasets.Mnist(count: 1200).Train;
        var x = images.reshape(images.shape[0], 784);
        manual_seed(0);
        var run = Trainer.Fit(Models.DenseAutoencoder(784, [64], 32), null, x, new TrainOptions { Epochs = 1, BatchSize = 64, Progress = false });
        var d = Doctor.Examine(run);
        Assert.False(d.Has(FindingCodes.DataUnscaled), d.ToText());
        Assert.InRange(d.Measurements["data.scale_ratio"], 10, DataChecks.ScaleRatioLimit);
    }

    [Fact]
    public void AnUnboundedOutputThatOvershootsBoundedTargetsIsReported()
    {
        var x = Datasets.Uniform(1024, 8, seed: 3);
        manual_seed(0);
        var model = Models.DenseAutoencoder(8, [16], 8, Activation.LeakyReLU, Activation.Linear);
        var run = Trainer.Fit(model, null, x, new TrainOptions { Epochs = 5, BatchSize = 32, Optimizer = Optimizers.Adam(1e-2), Progress = false });
        Assert.False(Doctor.Examine(run).Has(FindingCodes.OutputRangeMismatch));
        // shift every output up by 0.6: a third of them now lie above the targets' maximum of 1
        var last = model.decoder.modules().OfType<Linear>().Last();
        using (no_grad()) last.bias!.copy_(last.bias + 0.6);
        var d = Doctor.Examine(run);
        var f = d[FindingCodes.OutputRangeMismatch];
        Assert.NotNull(f);
        Assert.Equal(Severity.Warning, f!.Severity);
        Assert.True(f["clamp_gain"] >= LossChecks.OvershootLossShare, f.Evidence);
    }

    // ------------------------------------------------------------------ NaN: step, layer, op

    [Fact]
    public void AnOverflowingLayerIsTracedToItsMatmul()
    {
        var data = Datasets.Uniform(64, 3, seed: 7).mul(1e38).add(2e38);
        manual_seed(0);
        var model = Models.DenseAutoencoder(3, [4], 2, output: Activation.Linear);
        foreach (var p in model.parameters()) nn.init.constant_(p, 1);
        var run = Trainer.Fit(model, null, data, new TrainOptions { Epochs = 1, BatchSize = 64, Progress = false });
        var f = Doctor.Examine(run)[FindingCodes.NumericsNonFinite];
        Assert.NotNull(f);
        output.WriteLine(f!.Evidence);
        Assert.Contains("step 0", f.Evidence);
        Assert.Contains("op: mm (x·Wᵀ) overflowed", f.Evidence);
        Assert.Contains("layer encoder.linear0", f.Evidence);
    }

    [Fact]
    public void AnOverflowingUpdateIsTracedToTheOptimiser()
    {
        // lr 3e38 is float32's limit (TorchSharp refuses more): any gradient above ~1.2 makes the first update write ∞
        manual_seed(0);
        var run = Trainer.Fit(Models.LinearAutoencoder(2, 1), null, Datasets.Uniform(256, 2, seed: 2) * 100,
            new TrainOptions { Epochs = 1, BatchSize = 64, Optimizer = Optimizers.Sgd(3e38), Progress = false, RecordEvery = 1 });
        var d = Doctor.Examine(run);
        var f = d[FindingCodes.NumericsNonFinite];
        Assert.NotNull(f);
        output.WriteLine(f!.Evidence);
        Assert.Contains("op: the optimiser's update", f.Evidence);
        Assert.True(d.Has(FindingCodes.CurveDiverged) || run.Steps < Curve.MinSteps);
    }

    [Fact]
    public void AnOverflowingLossIsTracedToTheLoss()
    {
        var o = DoctorCatalogue.Run(DoctorCatalogue.Cases.Single(c => c.Name == "004 features ×1 and ×1000, SGD"));
        var f = o.Diagnosis[FindingCodes.NumericsNonFinite]!;
        output.WriteLine(f.Evidence);
        Assert.Contains("step 2", f.Evidence);
        Assert.Contains("the loss", f.Evidence);
        Assert.Contains("mse_loss", f.Evidence); // the loss function, named by the tracer
        Assert.Contains("a square that overflowed", f.Mechanism);
    }

    // ------------------------------------------------------------------ learning-rate finder and overfit-one-batch

    [Fact]
    public void TheRangeTestSuggestsAWorkingLearningRateAndRestoresTheModel()
    {
        var x = Scalers.Standard().FitTransform(Datasets.Redundant(2048, 16, 4, seed: 21));
        manual_seed(0);
        var model = Models.DenseAutoencoder(16, [32], 4, Activation.LeakyReLU, Activation.Linear);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var found = Doctor.FindLearningRate(model, x, steps: 100, batchSize: 32);
        output.WriteLine(found.ToText());
        foreach (var (k, v) in model.state_dict()) Assert.Equal(before[k], v.ToArray());
        Assert.True(found.Reliable);
        Assert.InRange(found.Suggestion, 1e-4, 0.3);
        Assert.True(found.LearningRates.Zip(found.LearningRates.Skip(1)).All(p => p.Second > p.First));
        Assert.Contains("<table", found.ToHtml());
        Assert.NotNull(found.Chart);
        // and the suggestion trains: a few epochs at it beat the same budget at a hundredth of it
        double Train(double lr)
        {
            manual_seed(0);
            var m = Models.DenseAutoencoder(16, [32], 4, Activation.LeakyReLU, Activation.Linear);
            return Trainer.Fit(m, null, x, new TrainOptions { Epochs = 3, BatchSize = 32, Optimizer = Optimizers.Adam(lr), Progress = false }).FinalTrainLoss;
        }
        Assert.True(Train(found.Suggestion) < Train(found.Suggestion / 100));
    }

    [Fact]
    public void AHealthyModelOverfitsOneBatchAndABrokenOneDoesNot()
    {
        var batch = Datasets.Bernoulli(32, 20, seed: 8);
        manual_seed(0);
        var good = Models.DenseAutoencoder(20, [64], 20, Activation.LeakyReLU, Activation.Linear);
        var before = good.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var ok = Doctor.OverfitOneBatch(good, batch, loss: Losses.BceWithLogits, optimizer: Optimizers.Adam(3e-3));
        output.WriteLine(ok.ToText());
        Assert.True(ok.Succeeded, ok.Verdict);
        Assert.NotNull(ok.StepsToTarget);
        Assert.True(ok.FinalLoss <= ok.Target);
        foreach (var (k, v) in good.state_dict()) Assert.Equal(before[k], v.ToArray());

        // a sigmoid output fed to BCE with logits can never predict below 0.5: it cannot fit zeros
        manual_seed(0);
        var doubleSigmoid = Models.DenseAutoencoder(20, [64], 20, Activation.LeakyReLU, Activation.Sigmoid);
        var bad = Doctor.OverfitOneBatch(doubleSigmoid, batch, loss: Losses.BceWithLogits, optimizer: Optimizers.Adam(3e-3), steps: 300);
        output.WriteLine(bad.ToText());
        Assert.False(bad.Succeeded);
        Assert.Null(bad.StepsToTarget);
        Assert.Contains("<table", bad.ToHtml());
    }
}
