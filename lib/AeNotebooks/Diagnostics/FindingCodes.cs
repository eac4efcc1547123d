namespace AeNotebooks;

/// <summary>
/// The doctor's finding codes. They are stable: notebooks and tests refer to them by string
/// (<c>diagnosis.Has("DATA_UNSCALED")</c> or <c>diagnosis.Has(FindingCodes.DataUnscaled)</c>).
/// Each is documented (trigger, threshold and why, fix) in lib/AeNotebooks/Diagnostics/README.md.
/// </summary>
public static class FindingCodes
{
    // data
    public const string DataNonFinite = "DATA_NONFINITE";
    public const string DataUnscaled = "DATA_UNSCALED";
    public const string DataBinaryTargets = "DATA_BINARY_TARGETS";
    // loss and output layer
    public const string LossBceContinuousFloor = "LOSS_BCE_CONTINUOUS_FLOOR";
    public const string OutputRangeMismatch = "OUTPUT_RANGE_MISMATCH";
    public const string LossOutputMismatch = "LOSS_OUTPUT_MISMATCH";
    public const string LossLogitsAdvised = "LOSS_LOGITS_ADVISED";
    public const string OutputCollapsed = "OUTPUT_COLLAPSED";
    // capacity
    public const string CapacityBottleneck = "CAPACITY_BOTTLENECK";
    public const string CapacityIdentity = "CAPACITY_IDENTITY";
    // optimisation
    public const string LrTooHigh = "LR_TOO_HIGH";
    public const string LrTooLow = "LR_TOO_LOW";
    public const string GradVanishing = "GRAD_VANISHING";
    public const string GradExploding = "GRAD_EXPLODING";
    public const string DeadRelu = "DEAD_RELU";
    public const string SaturatedUnits = "SATURATED_UNITS";
    // loss curve
    public const string CurvePlateau = "CURVE_PLATEAU";
    public const string CurveOscillating = "CURVE_OSCILLATING";
    public const string CurveDiverged = "CURVE_DIVERGED";
    public const string CurveStillFalling = "CURVE_STILL_FALLING";
    // numerics
    public const string NumericsNonFinite = "NUMERICS_NONFINITE";
    // denoising
    public const string NoiseTooHigh = "NOISE_TOO_HIGH";
    public const string NoiseTooLow = "NOISE_TOO_LOW";
    public const string MaskFixed = "MASK_FIXED";
    // baselines (info)
    public const string BaselineMean = "BASELINE_MEAN";
    public const string BaselineIdentity = "BASELINE_IDENTITY";
    public const string BaselinePca = "BASELINE_PCA";

    /// <summary>Every code, in the order the checks run.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        DataNonFinite, DataUnscaled, DataBinaryTargets,
        LossBceContinuousFloor, OutputRangeMismatch, LossOutputMismatch, LossLogitsAdvised, OutputCollapsed,
        CapacityBottleneck, CapacityIdentity,
        LrTooHigh, LrTooLow, GradVanishing, GradExploding, DeadRelu, SaturatedUnits,
        CurvePlateau, CurveOscillating, CurveDiverged, CurveStillFalling,
        NumericsNonFinite,
        NoiseTooHigh, NoiseTooLow, MaskFixed,
        BaselineMean, BaselineIdentity, BaselinePca,
    ];
}
