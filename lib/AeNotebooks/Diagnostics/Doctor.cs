using System.Diagnostics;
using AeNotebooks.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// The autoencoder doctor: looks at the data, the model, the loss and the training run, and reports findings a learner
/// can act on — each with a stable code, the evidence in numbers, why it happens and how to fix it.
/// <code>
/// var run = Trainer.Fit(model, inputs: null, targets: train, options);
/// Doctor.Examine(run)                       // renders the findings as a table
/// Doctor.FindLearningRate(model, train)     // a learning-rate range test with a suggestion
/// Doctor.OverfitOneBatch(model, train)      // can the model fit one batch at all?
/// </code>
/// Checks that need the data (data, loss floor, capacity, units, noise, baselines) use the data the run was trained on;
/// pass other data explicitly with <see cref="Examine(TrainingRun, Tensor?, Tensor?)"/>. Thresholds and their reasons are in
/// lib/AeNotebooks/Diagnostics/README.md.
/// </summary>
public static partial class Doctor
{
    delegate IEnumerable<Finding> Check(Examination e);

    /// <summary>The checks in the order they run (and report, within a severity).</summary>
    static readonly (string name, Check check)[] Checks =
    [
        ("data: non-finite values", DataChecks.NonFinite),
        ("data: scale", DataChecks.Unscaled),
        ("data: binary targets", DataChecks.BinaryTargets),
        ("loss: BCE floor", LossChecks.BceFloor),
        ("output: range", LossChecks.OutputRange),
        ("loss/output", LossChecks.LossOutput),
        ("loss: logits", LossChecks.LogitsAdvised),
        ("output: collapse", TrainingChecks.Collapsed),
        ("capacity: bottleneck", CapacityChecks.Bottleneck),
        ("capacity: identity", CapacityChecks.Identity),
        ("gradients", TrainingChecks.Gradients),
        ("learning rate", TrainingChecks.LearningRate),
        ("dead ReLU", TrainingChecks.DeadRelu),
        ("saturated units", TrainingChecks.Saturated),
        ("loss curve", TrainingChecks.CurveShape),
        ("numerics", NumericsChecks.NonFinite),
        ("noise level", NoiseChecks.Level),
        ("fixed mask", NoiseChecks.FixedMask),
        ("baselines", BaselineChecks.Baselines),
    ];

    /// <summary>Examines a finished run, with the training data the run kept (<see cref="TrainingRun.Inputs"/>, <see cref="TrainingRun.Targets"/>).</summary>
    public static Diagnosis Examine(TrainingRun run) => Examine(run, run.Inputs, run.Targets);

    /// <summary>
    /// Examines a finished run against data: <paramref name="inputs"/> as the model saw them (null: the targets, or the run's
    /// InputTransform applied to them) and <paramref name="targets"/> (null: the inputs, x = y).
    /// </summary>
    public static Diagnosis Examine(TrainingRun run, Tensor? inputs, Tensor? targets)
    {
        ArgumentNullException.ThrowIfNull(run);
        var clock = Stopwatch.StartNew();
        var exam = new Examination(run, inputs, targets);
        if (!exam.HasData) exam.Skipped.Add("data, loss-floor, capacity, unit and baseline checks: no data (pass inputs and targets)");
        var findings = new List<Finding>();
        var errors = new List<string>();
        foreach (var (name, check) in Checks)
        {
            try { findings.AddRange(check(exam)); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // one check failing must not hide the others' findings; it is listed, and tests assert it never happens
                errors.Add($"{name}: {e.GetType().Name}: {e.Message}");
            }
        }
        findings = Relate(findings);
        var skipped = exam.Skipped.Concat(errors.Select(e => "check failed — " + e)).ToList();
        return new Diagnosis(run.Name, findings, exam.Measurements, skipped, clock.Elapsed.TotalSeconds) { CheckErrors = errors };
    }

    /// <summary>Codes that describe what the run looks like rather than why: they stay as reported.</summary>
    static bool IsDescription(string code) => code.StartsWith("CURVE_") || code.StartsWith("BASELINE_") || code == FindingCodes.OutputCollapsed;

    /// <summary>
    /// A collapsed output is a symptom: when another warning or error explains it, it is kept as info (what the
    /// reconstructions look like) and names the cause; unexplained, it stays a warning.
    /// </summary>
    static List<Finding> Relate(List<Finding> findings)
    {
        var causes = findings.Where(f => f.Severity >= Severity.Warning && !IsDescription(f.Code)).Select(f => f.Code).ToList();
        if (causes.Count == 0) return findings;
        return findings.Select(f => f.Code == FindingCodes.OutputCollapsed && f.Severity == Severity.Warning
            ? f with { Severity = Severity.Info, Mechanism = f.Mechanism + $" Here it follows from {string.Join(", ", causes)}." }
            : f).ToList();
    }
}
