using System.Globalization;
using System.Net;
using System.Text;
using AeNotebooks.Rendering;

namespace AeNotebooks;

/// <summary>
/// The outcome of one exercise check: which exercise, whether it passed, what was measured, and what to do next.
/// It renders as a green or red box in a notebook. The classroom grader reads <see cref="Passed"/> from a hidden
/// check cell whose last expression is a <c>CheckResult</c> (by the property's name: the runner does not know this type).
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed class CheckResult : IRenderable
{
    internal CheckResult(string id, bool passed, string measured, string? expected, string message)
    {
        Id = id;
        Passed = passed;
        Measured = measured;
        Expected = expected;
        Message = message;
    }

    /// <summary>The exercise id, e.g. <c>03-narrow-floor</c>.</summary>
    public string Id { get; }

    public bool Passed { get; }

    /// <summary>What the check measured in your notebook, as text (a number with its unit, a value, or why it could not measure).</summary>
    public string Measured { get; }

    /// <summary>What it expected, when the check compares with a value; otherwise null.</summary>
    public string? Expected { get; }

    /// <summary>The hint when the check failed; the note on success otherwise (may be empty).</summary>
    public string Message { get; }

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.Append(Passed ? "✓ " : "✗ ").Append(Id).Append(Passed ? ": passed" : ": not yet");
        sb.Append(" — measured ").Append(Measured);
        if (Expected is not null) sb.Append(", expected ").Append(Expected);
        if (Message.Length > 0) sb.Append(". ").Append(Message);
        return sb.ToString();
    }

    public string ToHtml()
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var (border, background, mark) = Passed ? ("#1a7f37", "#dafbe1", "✓") : ("#cf222e", "#ffebe9", "✗");
        var sb = new StringBuilder();
        sb.Append("<div class=\"aen-check ").Append(Passed ? "passed" : "failed").Append("\" style=\"border-left:4px solid ").Append(border)
          .Append(";background:").Append(background).Append(";padding:.45rem .8rem;margin:.3rem 0;border-radius:4px\">")
          .Append("<strong>").Append(mark).Append(" Exercise <code>").Append(E(Id)).Append("</code>: ")
          .Append(Passed ? "passed" : "not yet").Append("</strong><br>")
          .Append("measured: <code>").Append(E(Measured)).Append("</code>");
        if (Expected is not null) sb.Append(" · expected: <code>").Append(E(Expected)).Append("</code>");
        if (Message.Length > 0) sb.Append("<br>").Append(Passed ? "" : "hint: ").Append(E(Message));
        return sb.Append("</div>").ToString();
    }

    public override string ToString() => ToText();
}

/// <summary>
/// Exercise checks for notebooks. A check never throws: a wrong answer, a missing variable or code that fails while
/// being checked all give a failed <see cref="CheckResult"/> that says what was measured and gives the hint, so a
/// notebook with correct answers runs to the end and a learner's mistake shows up as a red box, not a crash.
/// <code>
/// Check.Exercise("03-narrow-floor", narrowFloor, expected: exact, tolerance: 2e-3, hint: "average H(t) over [0.25, 0.75]")
/// Check.Exercise("03-smallest-code", smallestCode, expected: 2, hint: "the data has 2 independent columns")
/// Check.Exercise("05-safe-msle", () => !safeRun.Diverged, () => $"{safeRun.Steps} steps", hint: "clamp before the log")
/// </code>
/// </summary>
public static class Check
{
    /// <summary>A condition you computed, what you measured (shown either way) and a hint for when it fails.</summary>
    public static CheckResult Exercise(string id, bool passed, string measured, string hint, string? success = null) =>
        new(Id(id), passed, measured ?? "<null>", null, passed ? success ?? "" : hint ?? "");

    /// <summary>
    /// The same, evaluated inside the check: when the condition or the measurement throws (a variable your solution
    /// should have set is still null, say), the check fails with the exception's message instead of stopping the notebook.
    /// </summary>
    public static CheckResult Exercise(string id, Func<bool> passed, Func<string> measured, string hint, string? success = null)
    {
        ArgumentNullException.ThrowIfNull(passed);
        ArgumentNullException.ThrowIfNull(measured);
        string text;
        try
        {
            text = measured() ?? "<null>";
        }
        catch (Exception e)
        {
            text = "could not measure: " + Describe(e);
        }
        bool ok;
        try
        {
            ok = passed();
        }
        catch (Exception e)
        {
            return new CheckResult(Id(id), false, text, null, $"the check could not run ({Describe(e)}); run your solution cell first. {hint}".TrimEnd());
        }
        return new CheckResult(Id(id), ok, text, null, ok ? success ?? "" : hint ?? "");
    }

    /// <summary>A number that should be within <paramref name="tolerance"/> of <paramref name="expected"/> (NaN and ±∞ fail).</summary>
    public static CheckResult Exercise(string id, double measured, double expected, double tolerance, string hint, string? success = null)
    {
        var ok = double.IsFinite(measured) && Math.Abs(measured - expected) <= tolerance;
        return new CheckResult(Id(id), ok, Number(measured), $"{Number(expected)} ± {Number(tolerance)}", ok ? success ?? "" : hint ?? "");
    }

    /// <summary>A value that should equal <paramref name="expected"/> (by <c>Equals</c>).</summary>
    public static CheckResult Exercise<T>(string id, T measured, T expected, string hint, string? success = null)
    {
        var ok = EqualityComparer<T>.Default.Equals(measured, expected);
        return new CheckResult(Id(id), ok, Show(measured), Show(expected), ok ? success ?? "" : hint ?? "");
    }

    static string Id(string id) => string.IsNullOrWhiteSpace(id) ? "exercise" : id.Trim();

    static string Describe(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
        return $"{e.GetType().Name}: {e.Message}";
    }

    static string Number(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "+∞" : "−∞")
        : v != 0 && (Math.Abs(v) < 1e-3 || Math.Abs(v) >= 1e6) ? v.ToString("0.####E+0", CultureInfo.InvariantCulture)
        : v.ToString("0.######", CultureInfo.InvariantCulture);

    static string Show<T>(T value) => value switch
    {
        null => "<null>",
        double d => Number(d),
        float f => Number(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "<null>",
    };
}
