using System.Globalization;
using AeNotebooks.Runner.Cli;

namespace AeNotebooks.Runner.Classroom;

/// <summary>The classroom commands of the CLI: <c>release</c>, <c>grade</c> and the internal <c>grade-submission</c>.</summary>
public static class ClassroomCli
{
    public const string ReleaseUsage = """
        usage: AeNotebooks.Runner release <notebook-or-folder>... [--out DIR]

        Writes the student version of each notebook into DIR (default student): every solution region
        (// BEGIN SOLUTION … // END SOLUTION) becomes "// YOUR CODE HERE" and a throw of NotImplementedException,
        hidden checks (cells whose first line is "// hidden check: ID") are removed, outputs are cleared.

        exit codes: 0 released; 2 a notebook is missing or malformed, or its markers are unbalanced.
        """;

    public const string GradeUsage = """
        usage: AeNotebooks.Runner grade <submitted-notebook-or-folder>... [options]

        Runs each submission headless in a child process of its own (sandboxed, time-limited), runs the hidden
        checks of the matching solution notebook against its final state and writes a score table.
        A submission matches the solution notebook whose name its file name contains. The student is the first
        folder below a given folder (submitted/alice/03-….ipynb), else the rest of the file name (alice_03-….ipynb).

        options:
          --solutions DIR       the instructor's notebooks, with hidden checks (default notebooks)
          --out DIR             where to write grades.csv, grades-details.csv, grades.html and feedback/ (default artifacts/grades)
          --timeout DURATION    per submission, the whole process: past it everything is killed (default 15m)
          --cell-timeout DURATION  per cell and per hidden check (default 5m)
          --param NAME=VALUE    passed to every submission's parameters cell (repeatable)
          --parallel N          grade up to N submissions at a time (default 1; OMP_NUM_THREADS as for run)
          --no-sandbox          run submissions as plain child processes (only for code you trust)
          --plotly-js FILE      plotly.min.js to copy next to the feedback pages

        exit codes: 0 the table was written (whatever the scores); 2 bad input (no submissions, no solutions,
                    a malformed hidden check, no sandbox available without --no-sandbox).
        """;

    /// <summary>Runs a classroom command; false when <paramref name="args"/> names none.</summary>
    public static bool TryRun(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, out int exitCode)
    {
        exitCode = 0;
        if (args.Length == 0 || args[0] is not ("release" or "grade" or "grade-submission")) return false;
        var rest = args.Skip(1).ToArray();
        if (rest.Any(a => a is "-h" or "--help"))
        {
            stdout.WriteLine(args[0] == "release" ? ReleaseUsage : GradeUsage);
            return true;
        }
        string? error;
        switch (args[0])
        {
            case "release":
                if (!TryParseRelease(rest, out var release, out error)) break;
                exitCode = Release.Run(release!, stdout).ExitCode;
                return true;
            case "grade":
                if (!TryParseGrade(rest, out var grade, out error)) break;
                exitCode = Grader.RunAsync(grade!, stdout, cancellationToken).GetAwaiter().GetResult().ExitCode;
                return true;
            default:
                if (!TryParseSubmission(rest, out var submission, out error)) break;
                exitCode = SubmissionProcess.RunAsync(submission!, stdout, cancellationToken).GetAwaiter().GetResult();
                return true;
        }
        stderr.WriteLine(error);
        stderr.WriteLine($"run '{args[0]} --help' for usage");
        exitCode = BatchRunner.ExitBadInput;
        return true;
    }

    public static bool TryParseRelease(string[] args, out ReleaseOptions? options, out string? error)
    {
        var o = options = new ReleaseOptions();
        return CommandLine.Parse(args, ["--out"], o.Inputs, (name, value) =>
        {
            o.OutDir = value;
            return string.IsNullOrWhiteSpace(value) ? "--out needs a folder" : null;
        }, out error) && Need(o.Inputs, out error);
    }

    public static bool TryParseGrade(string[] args, out GradeOptions? options, out string? error)
    {
        var o = options = new GradeOptions();
        var flags = args.Where(a => a == "--no-sandbox").ToList();
        if (flags.Count > 0) o.Sandbox = false;
        return CommandLine.Parse(args.Where(a => a != "--no-sandbox").ToArray(),
            ["--solutions", "--out", "--timeout", "--cell-timeout", "--param", "-p", "--parallel", "--plotly-js"], o.Inputs, (name, value) =>
        {
            switch (name)
            {
                case "--solutions": o.Solutions = value; break;
                case "--out": o.OutDir = value; break;
                case "--timeout":
                    if (!Program.TryParseDuration(value, out var t)) return $"--timeout: cannot read '{value}' as a duration (e.g. 90s, 10m)";
                    o.Timeout = t;
                    break;
                case "--cell-timeout":
                    if (!Program.TryParseDuration(value, out var c)) return $"--cell-timeout: cannot read '{value}' as a duration (e.g. 90s, 10m)";
                    o.CellTimeout = c;
                    break;
                case "--param" or "-p":
                    var sep = value.IndexOf('=');
                    if (sep <= 0) return $"--param needs NAME=VALUE, got '{value}'";
                    o.Parameters[value[..sep].Trim()] = value[(sep + 1)..];
                    break;
                case "--parallel":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                        return $"--parallel needs a whole number of at least 1, got '{value}'";
                    o.Parallel = n;
                    break;
                case "--plotly-js": o.PlotlyJs = value; break;
            }
            return null;
        }, out error) && Need(o.Inputs, out error);
    }

    static bool TryParseSubmission(string[] args, out SubmissionOptions? options, out string? error)
    {
        var o = options = new SubmissionOptions();
        var inputs = new List<string>();
        var ok = CommandLine.Parse(args, ["--checks", "--result", "--report", "--plotly-src", "--cell-timeout", "--param"], inputs, (name, value) =>
        {
            switch (name)
            {
                case "--checks": o.ChecksFile = value; break;
                case "--result": o.ResultFile = value; break;
                case "--report": o.ReportFile = value; break;
                case "--plotly-src": o.PlotlySrc = value; break;
                case "--cell-timeout":
                    if (!Program.TryParseDuration(value, out var c)) return $"--cell-timeout: cannot read '{value}'";
                    o.CellTimeout = c;
                    break;
                case "--param":
                    var sep = value.IndexOf('=');
                    if (sep <= 0) return $"--param needs NAME=VALUE, got '{value}'";
                    o.Parameters[value[..sep].Trim()] = value[(sep + 1)..];
                    break;
            }
            return null;
        }, out error);
        if (!ok) return false;
        if (inputs.Count != 1 || o.ChecksFile.Length == 0 || o.ResultFile.Length == 0)
        {
            error = "grade-submission (internal) needs one notebook, --checks FILE and --result FILE";
            return false;
        }
        o.Notebook = inputs[0];
        return true;
    }

    static bool Need(List<string> inputs, out string? error)
    {
        error = inputs.Count == 0 ? "name at least one notebook or folder" : null;
        return error is null;
    }
}
