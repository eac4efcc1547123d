using System.Globalization;
using System.Net;
using System.Text;
using AeNotebooks.Rendering;

namespace AeNotebooks;

/// <summary>How much a finding matters: Info (context, a number to judge by), Warning (hurts training), Error (training cannot work).</summary>
public enum Severity { Info, Warning, Error }

/// <summary>
/// One thing the doctor found: a stable <see cref="Code"/> (see <see cref="FindingCodes"/>), how much it matters, a one-line
/// title, the evidence in numbers, why it happens, and what to do (C# where possible). <see cref="Numbers"/> holds the
/// evidence's numbers by name, so a notebook can quote them instead of typing them in.
/// </summary>
public sealed record Finding(string Code, Severity Severity, string Title, string Evidence, string Mechanism, string Fix)
{
    public IReadOnlyDictionary<string, double> Numbers { get; init; } = new Dictionary<string, double>();

    /// <summary>A number from the evidence, e.g. <c>finding["floor"]</c>.</summary>
    public double this[string number] => Numbers.TryGetValue(number, out var v) ? v
        : throw new KeyNotFoundException($"{Code} has no number '{number}' (it has: {string.Join(", ", Numbers.Keys)})");

    public override string ToString() => $"{Severity} {Code}: {Title} — {Evidence}";
}

/// <summary>
/// What <see cref="Doctor.Examine(TrainingRun)"/> found in a run: findings (errors first), every number it measured, and
/// the checks it could not run. Renders as a table of findings with evidence and fixes.
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed class Diagnosis : IRenderable
{
    internal Diagnosis(string subject, IEnumerable<Finding> findings, IReadOnlyDictionary<string, double> measurements,
        IReadOnlyList<string> skipped, double seconds)
    {
        Subject = subject;
        // most severe first; the checks' own order (data → loss → capacity → optimisation → curve) within a severity
        Findings = findings.Select((f, i) => (f, i)).OrderByDescending(x => x.f.Severity).ThenBy(x => x.i).Select(x => x.f).ToList();
        Measurements = measurements;
        Skipped = skipped;
        Seconds = seconds;
    }

    /// <summary>What was examined (the run's name).</summary>
    public string Subject { get; }
    public IReadOnlyList<Finding> Findings { get; }
    /// <summary>The codes found, most severe first.</summary>
    public IReadOnlyList<string> Codes => Findings.Select(f => f.Code).ToList();
    /// <summary>Every quantity the checks computed (baselines, floor, PCA dimension, SNR, ratios …), by name.</summary>
    public IReadOnlyDictionary<string, double> Measurements { get; }
    /// <summary>Checks that did not run, and why (e.g. "no training data: pass inputs and targets").</summary>
    public IReadOnlyList<string> Skipped { get; }
    /// <summary>How long the examination took.</summary>
    public double Seconds { get; }
    /// <summary>Checks that threw (a bug in the doctor, never expected; also listed in <see cref="Skipped"/>).</summary>
    public IReadOnlyList<string> CheckErrors { get; init; } = [];

    public bool Has(string code) => Findings.Any(f => f.Code == code);
    public Finding? this[string code] => Findings.FirstOrDefault(f => f.Code == code);
    /// <summary>Findings of Warning or Error severity.</summary>
    public IReadOnlyList<Finding> Problems => Findings.Where(f => f.Severity >= Severity.Warning).ToList();
    /// <summary>No warning and no error.</summary>
    public bool Healthy => Problems.Count == 0;

    static string Icon(Severity s) => s switch { Severity.Error => "✖", Severity.Warning => "⚠", _ => "ℹ" };

    string Caption()
    {
        int errors = Findings.Count(f => f.Severity == Severity.Error), warnings = Findings.Count(f => f.Severity == Severity.Warning);
        var verdict = errors + warnings == 0 ? "no problems found" : $"{errors} error{(errors == 1 ? "" : "s")}, {warnings} warning{(warnings == 1 ? "" : "s")}";
        return $"Doctor: {Subject} — {verdict}";
    }

    public string ToHtml()
    {
        var sb = new StringBuilder("<table class=\"aen-table aen-doctor\"><caption>").Append(WebUtility.HtmlEncode(Caption())).Append("</caption>");
        sb.Append("<thead><tr><th></th><th>finding</th><th>evidence</th><th>why</th><th>fix</th></tr></thead><tbody>");
        foreach (var f in Findings)
        {
            var colour = f.Severity switch { Severity.Error => "#c0392b", Severity.Warning => "#b9770e", _ => "#2e86c1" };
            sb.Append("<tr><td style=\"color:").Append(colour).Append("\" title=\"").Append(f.Severity).Append("\">").Append(Icon(f.Severity)).Append("</td>");
            sb.Append("<td><code>").Append(WebUtility.HtmlEncode(f.Code)).Append("</code><br/><b>").Append(WebUtility.HtmlEncode(f.Title)).Append("</b></td>");
            sb.Append("<td>").Append(WebUtility.HtmlEncode(f.Evidence)).Append("</td>");
            sb.Append("<td>").Append(WebUtility.HtmlEncode(f.Mechanism)).Append("</td>");
            sb.Append("<td>").Append(FixHtml(f.Fix)).Append("</td></tr>");
        }
        if (Findings.Count == 0) sb.Append("<tr><td></td><td colspan=\"4\">nothing to report</td></tr>");
        sb.Append("</tbody></table>");
        if (Skipped.Count > 0)
            sb.Append("<p class=\"aen-note\">Not checked: ").Append(WebUtility.HtmlEncode(string.Join("; ", Skipped))).Append("</p>");
        return sb.ToString();
    }

    /// <summary>Text before the first "`" is prose; `…` spans are code (a span with a newline becomes a block).</summary>
    static string FixHtml(string fix)
    {
        var sb = new StringBuilder();
        var parts = fix.Split('`');
        for (int i = 0; i < parts.Length; i++)
        {
            var enc = WebUtility.HtmlEncode(parts[i]);
            if (i % 2 == 0) sb.Append(enc);
            else if (parts[i].Contains('\n')) sb.Append("<pre><code>").Append(enc.Trim('\n')).Append("</code></pre>");
            else sb.Append("<code>").Append(enc).Append("</code>");
        }
        return sb.ToString();
    }

    public string ToText()
    {
        var sb = new StringBuilder(Caption()).AppendLine();
        foreach (var f in Findings)
        {
            sb.AppendLine();
            sb.Append(Icon(f.Severity)).Append(' ').Append(f.Severity.ToString().ToUpperInvariant()).Append(' ').Append(f.Code).Append(" — ").AppendLine(f.Title);
            sb.Append("    evidence: ").AppendLine(f.Evidence);
            sb.Append("    why:      ").AppendLine(f.Mechanism);
            sb.Append("    fix:      ").AppendLine(f.Fix.Replace("\n", "\n              "));
        }
        if (Skipped.Count > 0) sb.AppendLine().Append("not checked: ").AppendLine(string.Join("; ", Skipped));
        return sb.ToString().TrimEnd();
    }

    /// <summary>The findings as a plain table (code, severity, title, evidence), e.g. to compare runs.</summary>
    public Table ToTable() => new(Caption(), ["severity", "code", "finding", "evidence"],
        Findings.Select(f => (IReadOnlyList<string>)[f.Severity.ToString(), f.Code, f.Title, f.Evidence]));

    public override string ToString() => ToText();

    internal static string G(double v, int digits = 3) => double.IsNaN(v) ? "NaN" : v.ToString("G" + digits, CultureInfo.InvariantCulture);
}
