using AeNotebooks.Runner.Execution;
using System.Text.Json;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Classroom;

/// <summary>A hidden check: a C# cell of the instructor's notebook that <c>release</c> removes and <c>grade</c> runs.</summary>
/// <param name="Id">The exercise it scores (several checks may share one exercise: their points add up).</param>
/// <param name="Points">What the check is worth when it passes.</param>
/// <param name="Code">The cell's source, first line included.</param>
/// <param name="CellNumber">1-based position in the instructor's notebook (markdown cells count).</param>
public sealed record HiddenCheck(string Id, double Points, string Code, int CellNumber);

/// <summary>A notebook that breaks a classroom convention (an unclosed solution region, a hidden check without an id).</summary>
public sealed class ClassroomFormatException(string message) : Exception(message);

/// <summary>
/// The classroom conventions, all of them plain C# comments so that they work in .ipynb and .dib alike and show in
/// VS Code as they are:
/// <list type="bullet">
/// <item>a solution region is the lines from <c>// BEGIN SOLUTION</c> to <c>// END SOLUTION</c> (each alone on its line,
/// in a C# cell; several per cell, not nested); <c>release</c> replaces it with <c>// YOUR CODE HERE</c> and
/// <c>throw new NotImplementedException();</c> at the indentation of the BEGIN line;</item>
/// <item>a hidden check is a C# cell whose first non-blank line is <c>// hidden check: ID</c> or
/// <c>// hidden check: ID (points: N)</c> (default 1 point); its last expression is the verdict: a <c>bool</c>, or any
/// object with a public <c>bool Passed</c> property (its text becomes the detail in the grade table).</item>
/// </list>
/// </summary>
public static partial class Conventions
{
    public const string BeginSolution = "// BEGIN SOLUTION";
    public const string EndSolution = "// END SOLUTION";
    public const string Stub = "// YOUR CODE HERE";
    public const string StubThrow = "throw new NotImplementedException();";

    [GeneratedRegex(@"^\s*//\s*BEGIN SOLUTION\s*$")]
    private static partial Regex BeginPattern();

    [GeneratedRegex(@"^\s*//\s*END SOLUTION\s*$")]
    private static partial Regex EndPattern();

    [GeneratedRegex(@"^\s*//\s*hidden[ -]check\b", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenPrefix();

    [GeneratedRegex(@"^\s*//\s*hidden[ -]check\s*:\s*(?<id>[A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(?:\(\s*points?\s*:\s*(?<points>\d+(?:\.\d+)?)\s*\))?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenPattern();

    static string FirstLine(string source)
    {
        foreach (var line in source.Split('\n'))
            if (line.Trim().Length > 0) return line.TrimEnd('\r');
        return "";
    }

    /// <summary>True when the cell's first non-blank line starts with <c>// hidden check</c> (well-formed or not).</summary>
    public static bool LooksLikeHiddenCheck(NotebookCell cell) => cell.IsCode && HiddenPrefix().IsMatch(FirstLine(cell.Source));

    /// <summary>The hidden check a cell declares, or null for any other cell. A malformed marker line throws.</summary>
    public static HiddenCheck? HiddenCheckOf(NotebookCell cell, int cellNumber, string? notebookName = null)
    {
        if (!LooksLikeHiddenCheck(cell)) return null;
        var first = FirstLine(cell.Source);
        var m = HiddenPattern().Match(first);
        if (!m.Success)
        {
            throw new ClassroomFormatException(
                $"{notebookName ?? "notebook"}, cell {cellNumber}: cannot read the hidden check's first line '{first.Trim()}': " +
                "write '// hidden check: EXERCISE-ID' or '// hidden check: EXERCISE-ID (points: 2)'");
        }
        var points = m.Groups["points"].Success ? double.Parse(m.Groups["points"].Value, CultureInfo.InvariantCulture) : 1.0;
        return new HiddenCheck(m.Groups["id"].Value, points, cell.Source, cellNumber);
    }

    /// <summary>Every hidden check of a notebook, in order.</summary>
    public static List<HiddenCheck> HiddenChecks(Notebook nb)
    {
        var list = new List<HiddenCheck>();
        for (var i = 0; i < nb.Cells.Count; i++)
            if (HiddenCheckOf(nb.Cells[i], i + 1, nb.Name) is { } check) list.Add(check);
        return list;
    }

    /// <summary>
    /// The source with every solution region replaced by the stub; <paramref name="regions"/> counts them. Unbalanced
    /// markers throw, naming the line.
    /// </summary>
    public static string StripSolutions(string source, out int regions, string where = "cell")
    {
        regions = 0;
        var newline = source.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = source.Split('\n');
        var output = new List<string>();
        int? openedAt = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (BeginPattern().IsMatch(line))
            {
                if (openedAt is { } o) throw new ClassroomFormatException($"{where}, line {i + 1}: BEGIN SOLUTION inside the region opened at line {o} (regions do not nest)");
                openedAt = i + 1;
                var indent = line[..(line.Length - line.TrimStart().Length)];
                output.Add(indent + Stub);
                output.Add(indent + StubThrow);
                regions++;
                continue;
            }
            if (EndPattern().IsMatch(line))
            {
                if (openedAt is null) throw new ClassroomFormatException($"{where}, line {i + 1}: END SOLUTION without a BEGIN SOLUTION before it");
                openedAt = null;
                continue;
            }
            if (openedAt is null) output.Add(line);
        }
        if (openedAt is { } open) throw new ClassroomFormatException($"{where}, line {open}: BEGIN SOLUTION is never closed by END SOLUTION");
        // the last line keeps the source's ending (no trailing newline in notebook sources)
        return string.Join(newline, output);
    }

    /// <summary>True when the cell holds a solution marker.</summary>
    public static bool HasSolution(NotebookCell cell) =>
        cell.IsCode && cell.Source.Split('\n').Any(l => BeginPattern().IsMatch(l.TrimEnd('\r')) || EndPattern().IsMatch(l.TrimEnd('\r')));

    /// <summary>
    /// A hidden check's verdict from its last expression: a <c>bool</c>, or an object with a public <c>bool Passed</c>
    /// property (read by name, so the runner needs no reference to the library that defines it).
    /// </summary>
    /// <summary>A hidden check's verdict from its last value, as the kernel shared it: a bool, or a value with a bool Passed.</summary>
    public static bool TryReadVerdict(KernelValue? value, out bool passed, out string detail)
    {
        passed = false;
        detail = "";
        if (value?.Json is null)
        {
            detail = value is null ? "the check's last expression has no value" : $"the check's last expression is a {value.TypeName}, which the kernel could not share as JSON";
            return false;
        }
        using var json = JsonDocument.Parse(value.Json);
        var root = json.RootElement;
        switch (root.ValueKind)
        {
            case JsonValueKind.True or JsonValueKind.False:
                passed = root.GetBoolean();
                detail = passed ? "true" : "false";
                return true;
            case JsonValueKind.Null:
                detail = "the check's last expression is null";
                return false;
            case JsonValueKind.Object:
                foreach (var property in root.EnumerateObject())
                {
                    if (!property.NameEquals("passed") && !property.NameEquals("Passed")) continue;
                    if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) break;
                    passed = property.Value.GetBoolean();
                    detail = Clip(value.Text ?? "");
                    return true;
                }
                break;
        }
        detail = $"the check's last expression is a {ShortName(value.TypeName)}: a hidden check must end with a bool or a value with a bool Passed property";
        return false;
    }

    static string ShortName(string? typeName) => typeName is null ? "value" : typeName[(typeName.LastIndexOfAny(['.', '+']) + 1)..];

    internal static string Clip(string text, int max = 400)
    {
        text = text.Replace("\r", "").Trim();
        var nl = text.IndexOf('\n');
        var sb = new StringBuilder(nl >= 0 ? text[..nl] + " …" : text);
        return sb.Length > max ? sb.ToString(0, max) + "…" : sb.ToString();
    }
}
