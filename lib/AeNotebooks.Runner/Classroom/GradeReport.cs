using System.Globalization;
using System.Net;
using System.Text;
using AeNotebooks.Runner.Execution;

namespace AeNotebooks.Runner.Classroom;

/// <summary>The grade table as CSV (one row per submission, one column per exercise), a details CSV and an HTML page.</summary>
public static class GradeReport
{
    /// <summary>Every exercise id of the graded notebooks, in order of notebook, then of first hidden check.</summary>
    public static List<string> ExerciseColumns(IReadOnlyList<GradeRow> rows) =>
        rows.OrderBy(r => r.Notebook, StringComparer.OrdinalIgnoreCase).SelectMany(r => r.Exercises.Select(e => e.Id)).Distinct(StringComparer.Ordinal).ToList();

    public static string Csv(IReadOnlyList<GradeRow> rows)
    {
        var exercises = ExerciseColumns(rows);
        var sb = new StringBuilder();
        Line(sb, ["student", "notebook", "status", "score", "max_score", .. exercises, "reason", "submission", "feedback"]);
        foreach (var r in rows)
        {
            Line(sb, [r.Student, r.Notebook, r.Status, P(r.Score), P(r.MaxScore),
                .. exercises.Select(e => r.HasExercise(e) ? P(r.EarnedFor(e)) : ""),
                string.Join("; ", new[] { r.Reason }.Concat(r.Notes).Where(s => !string.IsNullOrEmpty(s))), r.Submission, r.Feedback ?? ""]);
        }
        return sb.ToString();
    }

    public static string DetailsCsv(IReadOnlyList<GradeRow> rows)
    {
        var sb = new StringBuilder();
        Line(sb, ["student", "notebook", "exercise", "check_cell", "points", "max_points", "outcome", "detail"]);
        foreach (var r in rows)
            foreach (var c in r.Checks)
                Line(sb, [r.Student, r.Notebook, c.Id, c.Cell.ToString(CultureInfo.InvariantCulture), P(c.Earned), P(c.Points), c.Outcome, c.Detail]);
        return sb.ToString();
    }

    static string P(double v) => SubmissionProcess.Points(v);

    static void Line(StringBuilder sb, IEnumerable<string> fields)
    {
        sb.Append(string.Join(",", fields.Select(Field))).Append("\r\n");
    }

    /// <summary>RFC 4180 quoting; text that a spreadsheet would run as a formula gets a leading apostrophe.</summary>
    static string Field(string value)
    {
        value ??= "";
        if (value.Length > 0 && value[0] is '=' or '+' or '@' or '\t' or '\r' || (value.Length > 1 && value[0] == '-' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    public static string Html(IReadOnlyList<GradeRow> rows, IReadOnlyList<SolutionNotebook> solutions, GradeOptions options, DateTimeOffset generated)
    {
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Grades</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n<h1>Grades</h1>\n<p class=\"meta\">")
          .Append(rows.Count).Append(" submission").Append(rows.Count == 1 ? "" : "s").Append(" · solutions ").Append(E(options.Solutions))
          .Append(" · ").Append(options.Sandbox ? "sandboxed" : "<strong>not sandboxed</strong>")
          .Append(" · limits ").Append(E(NotebookRunner.FormatDuration(options.Timeout))).Append(" per submission, ")
          .Append(E(NotebookRunner.FormatDuration(options.CellTimeout))).Append(" per cell · ")
          .Append(E(generated.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture))).Append(" · AeNotebooks.Runner ").Append(E(NotebookRunner.Version))
          .Append("</p>\n<p class=\"meta\">Hover a score for the check's detail; <a href=\"grades.csv\">grades.csv</a> and <a href=\"grades-details.csv\">grades-details.csv</a> hold the same. ")
          .Append("Feedback pages show each submission as it ran, outputs included (they contain what the student's code printed).</p>\n");

        foreach (var group in rows.GroupBy(r => r.Notebook, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase))
        {
            var exercises = group.SelectMany(r => r.Exercises).DistinctBy(e => e.Id).ToList();
            sb.Append("<h2>").Append(E(group.Key)).Append("</h2>\n<table>\n<thead><tr><th>student</th><th>score</th>");
            foreach (var (id, points) in exercises) sb.Append("<th><code>").Append(E(id)).Append("</code><br><span class=\"meta\">").Append(E(P(points))).Append(" pt</span></th>");
            sb.Append("<th>status</th><th>reason</th><th>feedback</th></tr></thead>\n<tbody>\n");
            foreach (var r in group)
            {
                sb.Append("<tr><td>").Append(E(r.Student)).Append("</td><td class=\"score\">").Append(E(P(r.Score))).Append(" / ").Append(E(P(r.MaxScore))).Append("</td>");
                foreach (var (id, points) in exercises)
                {
                    var checks = r.Checks.Where(c => c.Id == id).ToList();
                    var earned = r.EarnedFor(id);
                    var cls = earned >= points && points > 0 ? "ok" : earned > 0 ? "part" : "bad";
                    var title = string.Join("\n", checks.Select(c => $"{c.Outcome}: {c.Detail}"));
                    sb.Append("<td class=\"").Append(cls).Append("\" title=\"").Append(E(title)).Append("\">").Append(E(P(earned))).Append("</td>");
                }
                sb.Append("<td><span class=\"badge ").Append(r.Status == GradeRow.Graded ? "ok" : "bad").Append("\">").Append(E(r.Status)).Append("</span></td><td>")
                  .Append(E(r.Reason));
                foreach (var n in r.Notes) sb.Append("<br><span class=\"meta\">").Append(E(n)).Append("</span>");
                sb.Append("</td><td>");
                if (r.Feedback is not null) sb.Append("<a href=\"").Append(E(r.Feedback)).Append("\">report</a>");
                sb.Append("</td></tr>\n");
            }
            sb.Append("</tbody>\n</table>\n<details><summary>every check</summary>\n<table class=\"details\"><thead><tr><th>student</th><th>exercise</th><th>check cell</th><th>points</th><th>outcome</th><th>detail</th></tr></thead><tbody>\n");
            foreach (var r in group)
                foreach (var c in r.Checks)
                {
                    sb.Append("<tr><td>").Append(E(r.Student)).Append("</td><td><code>").Append(E(c.Id)).Append("</code></td><td>").Append(c.Cell)
                      .Append("</td><td>").Append(E(P(c.Earned))).Append(" / ").Append(E(P(c.Points))).Append("</td><td>").Append(E(c.Outcome))
                      .Append("</td><td>").Append(E(c.Detail)).Append("</td></tr>\n");
                }
            sb.Append("</tbody></table></details>\n");
        }
        var graded = solutions.Where(s => rows.Any(r => r.Notebook == s.Stem)).ToList();
        if (graded.Any(s => s.Checks.Count == 0))
        {
            sb.Append("<p class=\"meta\">Notebooks without hidden checks (no points to give): ")
              .Append(E(string.Join(", ", graded.Where(s => s.Checks.Count == 0).Select(s => s.Stem)))).Append("</p>\n");
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    const string Css = """
        body{font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;max-width:1200px;margin:0 auto;padding:1rem 1.5rem}
        .meta{color:#656d76}table{border-collapse:collapse;width:100%;margin:.5rem 0}
        th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
        td.ok{background:#dafbe1}td.part{background:#fff8c5}td.bad{background:#ffebe9}td.score{font-weight:600;white-space:nowrap}
        .badge{display:inline-block;border-radius:1em;padding:0 .6em;font-size:.8em;font-weight:600;border:1px solid #d0d7de}
        .badge.ok{color:#1a7f37;border-color:#1a7f37}.badge.bad{color:#cf222e;border-color:#cf222e}
        details{margin:.5rem 0 1.5rem}table.details{font-size:.9em}
        """;
}
