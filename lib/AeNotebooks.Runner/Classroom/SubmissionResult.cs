using System.Text.Json;
using System.Text.Json.Serialization;

namespace AeNotebooks.Runner.Classroom;

/// <summary>One hidden check as the grader passes it to the process that runs a submission.</summary>
public sealed record CheckSpec(string Id, double Points, string Code, int Cell);

/// <summary>One hidden check's outcome: <c>passed</c>, <c>failed</c> (the verdict was false) or <c>error</c> (no verdict).</summary>
public sealed record CheckOutcome(string Id, double Points, int Cell, string Outcome, string Detail)
{
    public const string PassedText = "passed", FailedText = "failed", ErrorText = "error";

    [JsonIgnore] public bool Passed => Outcome == PassedText;
    [JsonIgnore] public double Earned => Passed ? Points : 0;
}

/// <summary>A failed cell of a submission.</summary>
public sealed record CellProblem(int Cell, string Summary);

/// <summary>What the process that ran one submission reports back (result.json in its folder).</summary>
public sealed class SubmissionResult
{
    /// <summary><c>succeeded</c>, <c>failed</c> (some cells failed; the others ran), <c>timed-out</c> (a cell hit the cell limit).</summary>
    public string Status { get; set; } = "succeeded";
    public double DurationMs { get; set; }
    public List<CellProblem> Errors { get; set; } = new();
    public int CellsNotRun { get; set; }
    public List<CheckOutcome> Checks { get; set; } = new();
    public bool NeedsPlotly { get; set; }
    public string? Problem { get; set; }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SubmissionResult? TryParse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<SubmissionResult>(text, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
