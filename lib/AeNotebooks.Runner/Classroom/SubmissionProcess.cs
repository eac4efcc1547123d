using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;
using AeNotebooks.Runner.Reporting;

namespace AeNotebooks.Runner.Classroom;

public sealed class SubmissionOptions
{
    public string Notebook { get; set; } = "";
    public string ChecksFile { get; set; } = "";
    public string ResultFile { get; set; } = "";
    public string? ReportFile { get; set; }
    public string? PlotlySrc { get; set; }
    public TimeSpan CellTimeout { get; set; } = TimeSpan.FromMinutes(5);
    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The internal <c>grade-submission</c> command: what runs inside the child process the grader starts for one
/// submission. It runs the notebook headless with <see cref="RunnerOptions.ContinueAfterErrors"/> (a failing exercise
/// does not cost the later ones), then each hidden check against the final script state with
/// <see cref="NotebookRun.EvaluateAsync"/>, and writes result.json and the feedback report into its own folder.
/// </summary>
public static class SubmissionProcess
{
    public static async Task<int> RunAsync(SubmissionOptions options, TextWriter log, CancellationToken cancellationToken = default)
    {
        var checks = JsonSerializer.Deserialize<List<CheckSpec>>(File.ReadAllText(options.ChecksFile), SubmissionResult.Json) ?? [];
        // the checks are in memory now: the submission's code need not find them on disk
        TryDelete(options.ChecksFile);
        var result = new SubmissionResult();

        Notebook notebook;
        try
        {
            notebook = NotebookFile.Load(options.Notebook);
        }
        catch (NotebookFormatException e)
        {
            result.Status = "malformed";
            result.Problem = e.Problem;
            File.WriteAllText(options.ResultFile, result.ToJson());
            return 0;
        }
        notebook.Cells.RemoveAll(Conventions.LooksLikeHiddenCheck);

        var runner = new NotebookRunner(new RunnerOptions
        {
            CellTimeout = options.CellTimeout,
            Parameters = options.Parameters,
            ContinueAfterErrors = true,
            KeepKernel = true, // the hidden checks run in the notebook's kernel after the notebook
        });
        await using var run = await runner.RunAsync(notebook, cancellationToken).ConfigureAwait(false);
        result.Status = NotebookRunner.StatusText(run.Status);
        result.DurationMs = Math.Round(run.Duration.TotalMilliseconds, 1);
        result.Errors = run.Cells.Where(c => c.Error is not null).Select(c => new CellProblem(c.Number, Conventions.Clip(c.Error!.Summary))).ToList();
        result.CellsNotRun = run.Cells.Count(c => c.Status == CellRunStatus.NotRun);

        // a cell that timed out or killed its kernel took the kernel with it: the checks run against the state before
        // that cell, rebuilt by running the cells before it in a fresh kernel
        NotebookRun? before = null;
        if (!run.HasKernel && run.Cells.FirstOrDefault(c => c.Status == CellRunStatus.TimedOut || c.Error?.Kind == "KernelDied") is { } fatal)
        {
            var earlier = run.Notebook.Clone(); // holds the injected parameters already
            earlier.Cells.RemoveRange(fatal.Number - 1, earlier.Cells.Count - (fatal.Number - 1));
            before = await new NotebookRunner(new RunnerOptions { CellTimeout = options.CellTimeout, ContinueAfterErrors = true, KeepKernel = true })
                .RunAsync(earlier, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            foreach (var check in checks)
            {
                var evaluation = await (before ?? run).EvaluateAsync(check.Code, options.CellTimeout, cancellationToken).ConfigureAwait(false);
                result.Checks.Add(Judge(check, evaluation, options.CellTimeout));
            }
        }
        finally
        {
            if (before is not null) await before.DisposeAsync().ConfigureAwait(false);
        }

        if (options.ReportFile is not null)
        {
            var plotly = options.PlotlySrc is not null && HtmlReport.NeedsPlotly(run.Notebook)
                ? new PlotlyReference(options.PlotlySrc, true, $"plotly.js {PlotlyAsset.Version}, next to the grade table")
                : null;
            result.NeedsPlotly = plotly is not null;
            File.WriteAllText(options.ReportFile, WithGrading(HtmlReport.Render(run, null, plotly), result));
        }
        File.WriteAllText(options.ResultFile, result.ToJson());
        log.WriteLine($"{run.Name}: {result.Status}; {result.Checks.Count(c => c.Passed)} of {result.Checks.Count} hidden checks passed");
        return 0;
    }

    internal static CheckOutcome Judge(CheckSpec check, Evaluation evaluation, TimeSpan timeout)
    {
        string outcome, detail;
        switch (evaluation.Status)
        {
            case CellRunStatus.Succeeded when !evaluation.HasValue:
                (outcome, detail) = (CheckOutcome.ErrorText, "the hidden check ends without a value: its last line must be an expression without ';'");
                break;
            case CellRunStatus.Succeeded:
                var read = Conventions.TryReadVerdict(evaluation.Value, out var passed, out var text);
                (outcome, detail) = (read ? passed ? CheckOutcome.PassedText : CheckOutcome.FailedText : CheckOutcome.ErrorText, text);
                break;
            case CellRunStatus.TimedOut:
                (outcome, detail) = (CheckOutcome.ErrorText, $"the check timed out after {NotebookRunner.FormatDuration(timeout)}");
                break;
            default:
                var error = evaluation.Error;
                var where = error?.Line is { } line ? $"line {line} of the check: " : "";
                var what = error?.Kind == "CompilationError" ? "the check does not compile against this notebook" : "the check failed";
                (outcome, detail) = (CheckOutcome.ErrorText, Conventions.Clip($"{what}: {where}{error?.Message ?? evaluation.Status.ToString()}"));
                break;
        }
        return new CheckOutcome(check.Id, check.Points, check.Cell, outcome, detail);
    }

    /// <summary>The executed notebook's report with a grading summary at the top (the checks' code stays hidden).</summary>
    static string WithGrading(string html, SubmissionResult result)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var earned = result.Checks.Sum(c => c.Earned);
        var max = result.Checks.Sum(c => c.Points);
        var sb = new StringBuilder("<section class=\"grading\"><h2>Grading: ")
            .Append(E(Points(earned))).Append(" of ").Append(E(Points(max))).Append(" points</h2>\n<table><thead><tr><th>exercise</th><th>points</th><th>result</th><th>detail</th></tr></thead><tbody>\n");
        foreach (var c in result.Checks)
        {
            sb.Append("<tr><td><code>").Append(E(c.Id)).Append("</code></td><td>").Append(E(Points(c.Earned))).Append(" / ").Append(E(Points(c.Points)))
              .Append("</td><td><span class=\"badge ").Append(c.Passed ? "ok" : "failed").Append("\">").Append(E(c.Outcome)).Append("</span></td><td>")
              .Append(E(c.Detail)).Append("</td></tr>\n");
        }
        sb.Append("</tbody></table></section>\n");
        const string marker = "<main>\n";
        var at = html.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? html : html.Insert(at + marker.Length, sb.ToString());
    }

    internal static string Points(double p) => p.ToString("0.##", CultureInfo.InvariantCulture);

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
