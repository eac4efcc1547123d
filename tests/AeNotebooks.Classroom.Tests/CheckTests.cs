using AeNotebooks.Rendering;
using AeNotebooks.Runner.Classroom;
using AeNotebooks.Runner.Execution;

namespace AeNotebooks.Classroom.Tests;

/// <summary>Check.Exercise: friendly pass/fail with the measured value and a hint, and never an exception.</summary>
public class CheckTests
{
    [Fact]
    public void A_passing_number_shows_what_was_measured_and_expected()
    {
        var r = Check.Exercise("03-narrow-floor", 0.6503, expected: 0.6504, tolerance: 2e-3, hint: "average H(t)", success: "above 0.5");
        Assert.True(r.Passed);
        Assert.Equal("03-narrow-floor", r.Id);
        Assert.Equal("0.6503", r.Measured);
        Assert.Equal("0.6504 ± 0.002", r.Expected);
        Assert.Equal("above 0.5", r.Message);
        Assert.Equal("✓ 03-narrow-floor: passed — measured 0.6503, expected 0.6504 ± 0.002. above 0.5", r.ToText());
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_wrong_or_non_finite_number_fails_with_the_hint(double measured)
    {
        var r = Check.Exercise("ex", measured, expected: 0.65, tolerance: 1e-3, hint: "average H(t)");
        Assert.False(r.Passed);
        Assert.Equal("average H(t)", r.Message);
        Assert.StartsWith("✗ ex: not yet — measured ", r.ToText());
    }

    [Fact]
    public void Exact_values_compare_with_Equals()
    {
        Assert.True(Check.Exercise("code", 2, expected: 2, hint: "h").Passed);
        var wrong = Check.Exercise("code", 3, expected: 2, hint: "two independent columns");
        Assert.False(wrong.Passed);
        Assert.Equal(("3", "2"), (wrong.Measured, wrong.Expected));
        Assert.True(Check.Exercise("s", "HELLO", expected: "HELLO", hint: "h").Passed);
        Assert.False(Check.Exercise("s", (string?)null, expected: "HELLO", hint: "h").Passed);
    }

    [Fact]
    public void A_condition_you_computed_is_reported_as_is()
    {
        var r = Check.Exercise("ex", false, "loss 0.3", "lower the learning rate");
        Assert.False(r.Passed);
        Assert.Equal("✗ ex: not yet — measured loss 0.3. lower the learning rate", r.ToText());
    }

    [Fact]
    public void Code_that_throws_inside_a_lazy_check_fails_instead_of_throwing()
    {
        string? missing = null;
        var r = Check.Exercise("ex", () => missing!.Length > 0, () => $"length {missing!.Length}", hint: "set `missing`");
        Assert.False(r.Passed);
        Assert.StartsWith("could not measure: NullReferenceException", r.Measured);
        Assert.Contains("the check could not run (NullReferenceException", r.Message);
        Assert.EndsWith("set `missing`", r.Message);

        var thrown = Check.Exercise("ex", () => throw new NotImplementedException(), () => "x", hint: "h");
        Assert.Contains("NotImplementedException", thrown.Message);
    }

    [Fact]
    public void It_renders_by_the_formatter_convention_and_escapes_html()
    {
        var attribute = typeof(CheckResult).GetCustomAttributes(typeof(TypeFormatterSourceAttribute), true).Cast<TypeFormatterSourceAttribute>().Single();
        Assert.Equal(["text/html", "text/plain"], attribute.PreferredMimeTypes!);
        var r = Check.Exercise("ex<1>", false, "<script>", "a < b");
        var html = r.ToHtml();
        Assert.Contains("not yet", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("hint: a &lt; b", html);
        Assert.Contains("#cf222e", html);
        Assert.Contains("#1a7f37", Check.Exercise("ex", true, "1", "h").ToHtml());
    }

    /// <summary>A value as the kernel shares it with the grader: type name, text and JSON (System.Text.Json, camelCase).</summary>
    static KernelValue Shared(object? value) => new(value?.GetType().FullName, value?.ToString(),
        System.Text.Json.JsonSerializer.Serialize(value, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));

    [Fact]
    public void The_grader_reads_its_verdict_by_convention()
    {
        Assert.True(Conventions.TryReadVerdict(Shared(Check.Exercise("ex", true, "1", "h")), out var passed, out var detail));
        Assert.True(passed);
        Assert.Equal("✓ ex: passed — measured 1", detail);
        Assert.True(Conventions.TryReadVerdict(Shared(Check.Exercise("ex", 1.0, 2.0, 0.1, "h")), out passed, out _));
        Assert.False(passed);
        Assert.True(Conventions.TryReadVerdict(Shared(true), out passed, out _));
        Assert.True(passed);
        Assert.False(Conventions.TryReadVerdict(Shared("passed"), out _, out detail));
        Assert.Contains("must end with a bool or a value with a bool Passed property", detail);
        Assert.False(Conventions.TryReadVerdict(null, out _, out detail));
        Assert.Equal("the check's last expression has no value", detail);
        Assert.False(Conventions.TryReadVerdict(Shared(new { Passed = "yes" }), out _, out _));
        Assert.True(Conventions.TryReadVerdict(Shared(new { Passed = true }), out passed, out _));
        Assert.True(passed);
        // a value the kernel could not turn into JSON (no json): not a verdict, and the detail says why
        Assert.False(Conventions.TryReadVerdict(new KernelValue("Some.Model", "Model", null), out _, out detail));
        Assert.Contains("could not share as JSON", detail);
    }
}
