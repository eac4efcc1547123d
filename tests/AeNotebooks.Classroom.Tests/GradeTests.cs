using System.Security.Cryptography;
using AeNotebooks.Runner.Classroom;
using AeNotebooks.Runner.Cli;

namespace AeNotebooks.Classroom.Tests;

/// <summary>
/// Grades the fixture submissions once (a perfect one, the released stub, and the deliberately wrong, failing,
/// crashing, slow, malformed, cheating and tampering ones in Fixtures/submissions) against Fixtures/course, each in
/// its own sandboxed process, and keeps the result for the tests below.
/// </summary>
public sealed class GradedFixtures
{
    public string Course { get; }
    public string OutDir { get; }
    public string Log { get; }
    public GradeResult Result { get; }
    public bool Sandboxed => Sandbox.IsAvailable;
    public string SolutionHashBefore { get; }

    public GradedFixtures()
    {
        Environment.SetEnvironmentVariable("CLASSROOM_TEST_SECRET", "the grader's secret");
        Course = Paths.Course("grade", Paths.Fixture("course", "notebooks", "10-warmup.ipynb"));
        var submitted = Path.Combine(Course, "submitted");
        Paths.CopyTree(Paths.Fixture("submissions"), submitted);
        // without the sandbox the tampering submission would really tamper: leave it out
        if (!Sandboxed) Directory.Delete(Path.Combine(submitted, "tamper"), recursive: true);
        // a perfect submission (the instructor's notebook without its hidden checks), and the untouched student version
        var solution = AeNotebooks.Runner.Formats.NotebookFile.Load(Path.Combine(Course, "notebooks", "10-warmup.ipynb"));
        solution.Cells.RemoveAll(Conventions.LooksLikeHiddenCheck);
        AeNotebooks.Runner.Formats.NotebookFile.Save(solution, Path.Combine(submitted, "perfect", "10-warmup.ipynb"));
        AeNotebooks.Runner.Formats.NotebookFile.Save(Release.StudentVersion(solution, out _, out _, out _), Path.Combine(submitted, "stub", "10-warmup.ipynb"));
        // files named after the student, not in a folder of their own
        File.Copy(Paths.Fixture("submissions", "wrong", "10-warmup.ipynb"), Path.Combine(submitted, "zoe_10-warmup.ipynb"));
        // a notebook no solution matches
        File.WriteAllText(Path.Combine(submitted, "perfect", "99-unknown.ipynb"), File.ReadAllText(Paths.Fixture("submissions", "wrong", "10-warmup.ipynb")));

        OutDir = Path.Combine(Course, "out");
        SolutionHashBefore = Hash(Path.Combine(Course, "notebooks", "10-warmup.ipynb"));
        var options = new GradeOptions
        {
            Solutions = Path.Combine(Course, "notebooks"),
            OutDir = OutDir,
            CellTimeout = TimeSpan.FromSeconds(5),
            Timeout = TimeSpan.FromMinutes(2),
            Parallel = 2,
            Sandbox = Sandboxed,
        };
        options.Inputs.Add(submitted);
        var log = new StringWriter();
        Result = Grader.RunAsync(options, log).GetAwaiter().GetResult();
        Log = log.ToString();
    }

    public GradeRow Row(string student, string notebook = "10-warmup") =>
        Result.Rows.SingleOrDefault(r => r.Student == student && r.Notebook == notebook)
        ?? throw new Xunit.Sdk.XunitException($"no row for {student}/{notebook}:\n{Log}");

    public static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}

public class GradeTests(GradedFixtures graded) : IClassFixture<GradedFixtures>
{
    void Expect(string student, string status, double score, (string Exercise, double Points)[] exercises, string? reason = null)
    {
        var row = graded.Row(student);
        var why = $"{student}: {row.Status} {row.Score}/{row.MaxScore} — {row.Reason}\n" +
                  string.Join("\n", row.Checks.Select(c => $"  {c.Id}: {c.Outcome} {c.Detail}")) + "\n" + graded.Log;
        Assert.True(row.Status == status, why);
        Assert.True(row.Score == score, why);
        Assert.Equal(4, row.MaxScore);
        foreach (var (exercise, points) in exercises) Assert.True(row.EarnedFor(exercise) == points, $"{exercise}: {row.EarnedFor(exercise)}\n{why}");
        if (reason is not null) Assert.True(row.Reason?.Contains(reason) == true, why);
    }

    [Fact]
    public void The_table_is_written_with_a_row_for_every_submission()
    {
        Assert.Equal(0, graded.Result.ExitCode);
        var expected = new[] { "compile-error", "crash-exit", "crash-overflow", "impostor", "malformed", "perfect", "slow", "stub", "throws", "wrong", "zoe" }
            .Concat(graded.Sandboxed ? ["tamper"] : []).Order(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(expected.Append("perfect").Order(StringComparer.OrdinalIgnoreCase),
            graded.Result.Rows.Select(r => r.Student).Order(StringComparer.OrdinalIgnoreCase));
        var csv = File.ReadAllLines(Path.Combine(graded.OutDir, "grades.csv"));
        Assert.Equal("student,notebook,status,score,max_score,10-squares,10-mean,10-shout,reason,submission,feedback", csv[0]);
        Assert.Contains(csv, l => l.StartsWith("perfect,10-warmup,graded,4,4,2,1,1,,"));
        Assert.Contains(csv, l => l.StartsWith("wrong,10-warmup,graded,1,4,0,1,0,,"));
        Assert.Contains(csv, l => l.StartsWith("malformed,10-warmup,malformed,0,4,0,0,0,\"not valid JSON"));
        var details = File.ReadAllLines(Path.Combine(graded.OutDir, "grades-details.csv"));
        Assert.Equal("student,notebook,exercise,check_cell,points,max_points,outcome,detail", details[0]);
        Assert.Contains(details, l => l.StartsWith("wrong,10-warmup,10-squares,7,0,2,failed,\"✗ 10-squares: not yet — measured 100, expected 385"));
        var html = File.ReadAllText(Path.Combine(graded.OutDir, "grades.html"));
        Assert.Contains("<h2>10-warmup</h2>", html);
        Assert.Contains("<a href=\"feedback/perfect/10-warmup.html\">report</a>", html);
        var feedback = File.ReadAllText(Path.Combine(graded.OutDir, "feedback", "perfect", "10-warmup.html"));
        Assert.Contains("<h2>Grading: 4 of 4 points</h2>", feedback);
        Assert.DoesNotContain("hidden check", feedback);
    }

    [Fact]
    public void Correct_answers_get_full_marks() =>
        Expect("perfect", GradeRow.Graded, 4, [("10-squares", 2), ("10-mean", 1), ("10-shout", 1)]);

    [Fact]
    public void The_untouched_student_version_gets_nothing_and_says_why() =>
        Expect("stub", GradeRow.Errors, 0, [("10-squares", 0), ("10-mean", 0), ("10-shout", 0)],
            "3 cells failed (the later cells still ran); first: cell 5: System.NotImplementedException: The method or operation is not implemented.");

    [Fact]
    public void Wrong_answers_score_per_exercise_with_what_was_measured()
    {
        Expect("wrong", GradeRow.Graded, 1, [("10-squares", 0), ("10-mean", 1), ("10-shout", 0)]);
        Expect("zoe", GradeRow.Graded, 1, [("10-squares", 0), ("10-mean", 1), ("10-shout", 0)]);
        var squares = graded.Row("wrong").Checks.Single(c => c.Id == "10-squares");
        Assert.Equal(CheckOutcome.FailedText, squares.Outcome);
        Assert.Equal("✗ 10-squares: not yet — measured 100, expected 385", squares.Detail);
    }

    [Fact]
    public void A_cell_that_does_not_compile_costs_only_its_exercise()
    {
        Expect("compile-error", GradeRow.Errors, 2, [("10-squares", 0), ("10-mean", 1), ("10-shout", 1)], "first: cell 5, line 2: error CS1002: ; expected");
        var squares = graded.Row("compile-error").Checks.Single(c => c.Id == "10-squares");
        Assert.Equal(CheckOutcome.ErrorText, squares.Outcome);
        Assert.Contains("the check does not compile against this notebook", squares.Detail);
        Assert.Contains("sumOfSquares", squares.Detail);
    }

    [Fact]
    public void An_exception_is_the_reason_and_the_other_exercises_count() =>
        Expect("throws", GradeRow.Errors, 3, [("10-squares", 2), ("10-mean", 1), ("10-shout", 0)],
            "cell 11: System.InvalidOperationException: boom from the student");

    [Fact]
    public void A_kernel_that_exits_or_overflows_its_stack_gets_a_row_with_the_reason()
    {
        // the notebook's kernel process dies, not the grading process: the submission still reports, with how it died;
        // the checks run against the state before the crashing cell, where the first exercise is not answered yet
        Expect("crash-exit", GradeRow.Errors, 0, [], "first: cell 5: the kernel process died (exit code 3)");
        Expect("crash-overflow", GradeRow.Errors, 0, [], "first: cell 5: the kernel process died (signal 6 (SIGABRT)): Stack overflow.");
        foreach (var student in new[] { "crash-exit", "crash-overflow" })
            Assert.All(graded.Row(student).Checks, c => Assert.Equal(CheckOutcome.ErrorText, c.Outcome));
    }

    [Fact]
    public void A_cell_past_the_time_limit_stops_the_notebook_and_the_earlier_answers_count()
    {
        // the timed-out cell's kernel is killed with it; the grader rebuilds the state before that cell in a fresh kernel,
        // so the exercise answered before the slow cell keeps its points
        Expect("slow", GradeRow.TimedOut, 2, [("10-squares", 2), ("10-mean", 0), ("10-shout", 0)],
            "cell 8: timed out after 5 s: the kernel process was stopped; 3 later code cells were not run; the checks ran against the state before that cell");
    }

    [Fact]
    public void A_malformed_notebook_gets_a_row_with_the_parse_error() =>
        Expect("malformed", GradeRow.Malformed, 0, [], "not valid JSON (line 6, column 1)");

    [Fact]
    public void Hidden_checks_written_by_a_student_are_ignored()
    {
        Expect("impostor", GradeRow.Graded, 1, [("10-squares", 0), ("10-mean", 0), ("10-shout", 1)]);
        Assert.Contains("2 cells marked '// hidden check' in the submission were ignored", graded.Row("impostor").Notes.Single());
    }

    [Fact]
    public void A_notebook_without_a_solution_gets_a_row()
    {
        var row = graded.Row("perfect", "99-unknown");
        Assert.Equal(GradeRow.NoSolution, row.Status);
        Assert.Contains("matches the file name 99-unknown.ipynb", row.Reason);
        Assert.Equal(0, row.MaxScore);
    }

    [Fact]
    public void Nothing_a_submission_does_reaches_the_grader_or_another_submission()
    {
        Assert.Equal(graded.SolutionHashBefore, GradedFixtures.Hash(Path.Combine(graded.Course, "notebooks", "10-warmup.ipynb")));
        Assert.False(File.Exists(Path.Combine(graded.Course, "pwned.txt")));
        Assert.False(File.Exists(Path.Combine(Paths.RepoRoot, "lib", "pwned.txt")));
        Assert.StartsWith("student,notebook,status", File.ReadAllText(Path.Combine(graded.OutDir, "grades.csv")));
        Assert.True(Directory.Exists(Path.Combine(graded.Course, "lib", "bin")), "the course's lib link was followed when a submission folder was deleted");
        // the grading session's folders are gone
        Assert.DoesNotContain(graded.Result.Rows, r => r.Reason?.Contains("aenotebooks-grade-") == true);
        if (!graded.Sandboxed) return;

        Expect("tamper", GradeRow.Graded, 2, [("10-squares", 2), ("10-mean", 0), ("10-shout", 0)]);
        var feedback = System.Net.WebUtility.HtmlDecode(File.ReadAllText(Path.Combine(graded.OutDir, "feedback", "tamper", "10-warmup.html")));
        foreach (var attempt in new[] { "overwrite the solution", "write into the course", "write into the grader's output", "write through the lib link", "write into /tmp" })
            Assert.Contains($"{attempt}: blocked", feedback);
        Assert.Contains("solution text length: 0", feedback);   // the solution notebooks are hidden
        Assert.Contains("other submissions visible: 0", feedback);
        Assert.Contains("secret: none", feedback);                // the child's environment is minimal
        Assert.False(File.Exists("/tmp/aenotebooks-classroom-tamper.txt"));
        // the process it started died with it
        var lingering = Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "cmdline"))
            .Where(File.Exists).Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
            .Where(c => c.Contains("31.4159")).ToList();
        Assert.Empty(lingering);
    }
}

/// <summary>Grading runs that need options of their own.</summary>
public class GradeLimitTests
{
    [Fact]
    public async Task A_submission_past_its_time_limit_is_killed_with_everything_it_started()
    {
        var course = Paths.Course("grade-kill", Paths.Fixture("course", "notebooks", "10-warmup.ipynb"));
        var options = new GradeOptions
        {
            Solutions = Path.Combine(course, "notebooks"),
            OutDir = Path.Combine(course, "out"),
            Timeout = TimeSpan.FromSeconds(6),
            CellTimeout = TimeSpan.FromMinutes(5),
            Sandbox = Sandbox.IsAvailable,
        };
        options.Inputs.Add(Paths.Fixture("sleeper"));
        var log = new StringWriter();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await Grader.RunAsync(options, log);
        var row = result.Rows.Single();
        Assert.True(row.Status == GradeRow.Killed, log.ToString());
        Assert.Equal("alice", row.Student);
        Assert.Contains("stopped after 6 s, the time limit for one submission (--timeout)", row.Reason);
        Assert.Equal(0, row.Score);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"took {clock.Elapsed}");
        Assert.Contains("KILLED   alice  10-warmup  0/4", log.ToString());
    }

    [Fact]
    public async Task Every_original_notebook_gets_full_marks()
    {
        var notebooks = Path.Combine(Paths.RepoRoot, "notebooks");
        var options = new GradeOptions
        {
            Solutions = notebooks,
            OutDir = Paths.TempFolder("grade-original"),
            CellTimeout = TimeSpan.FromMinutes(5),
            Timeout = TimeSpan.FromMinutes(10),
            Sandbox = Sandbox.IsAvailable,
            // no npm in tests: the feedback page's charts then load plotly.js from the CDN
            PlotlyFetch = _ => null,
            PlotlyCacheDirectory = Paths.TempFolder("plotly-cache"),
        };
        options.Inputs.Add(notebooks);
        var log = new StringWriter();
        var result = await Grader.RunAsync(options, log);
        var graded = Directory.GetFiles(notebooks, "*.ipynb").Where(f => File.ReadAllText(f).Contains("// hidden check:")).Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToList();
        Assert.True(graded.Count >= 5, $"only {graded.Count} notebooks have hidden checks");
        Assert.Equal(graded, result.Rows.Where(r => r.MaxScore > 0).Select(r => r.Notebook).Order().ToList());
        foreach (var row in result.Rows)
            Assert.True(row.Status == GradeRow.Graded && row.Score == row.MaxScore,
                $"{row.Notebook}: {row.Status} {row.Score}/{row.MaxScore} {row.Reason}\n{string.Join("\n", row.Checks.Select(c => $"{c.Id}: {c.Outcome} {c.Detail}"))}\n{log}");
        var nan = result.Rows.Single(r => r.Notebook == "05-nan-validation-loss");
        Assert.Equal(["05-safe-scaling", "05-safe-msle"], nan.Exercises.Select(e => e.Id));
        Assert.Equal("notebooks", nan.Student);
        var feedback = File.ReadAllText(Path.Combine(options.OutDir, nan.Feedback!));
        Assert.Contains("<h2>Grading: 2 of 2 points</h2>", feedback);
        // the first chart output carries plotly.js (the helpers' offline charts): the page draws without a second copy
        Assert.Contains(AeNotebooks.Runner.Reporting.HtmlReport.InlinePlotlyAttribute, feedback);
        Assert.DoesNotContain("<script src=\"https://cdn.plot.ly/", feedback);
    }

    [Fact]
    public void The_cli_reports_bad_input_with_exit_code_2()
    {
        var course = Paths.Course("grade-cli", Paths.Fixture("course", "notebooks", "10-warmup.ipynb"));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(2, Program.Run(["grade", Path.Combine(course, "nothing-here"), "--solutions", Path.Combine(course, "notebooks")], stdout, stderr));
        Assert.Contains("nothing-here does not exist", stdout.ToString());
        Directory.CreateDirectory(Path.Combine(course, "empty"));
        stdout = new StringWriter();
        Assert.Equal(2, Program.Run(["grade", Path.Combine(course, "empty"), "--solutions", Path.Combine(course, "notebooks")], stdout, stderr));
        Assert.Contains("no submitted notebooks", stdout.ToString());
        stdout = new StringWriter();
        Assert.Equal(2, Program.Run(["grade", Path.Combine(course, "empty"), "--solutions", Path.Combine(course, "missing")], stdout, stderr));
        Assert.Contains("the solutions folder", stdout.ToString());
        stderr = new StringWriter();
        Assert.Equal(2, Program.Run(["grade", "x", "--parallel", "0"], new StringWriter(), stderr));
        Assert.Contains("--parallel needs a whole number", stderr.ToString());
        stderr = new StringWriter();
        Assert.Equal(2, Program.Run(["grade", "x", "--timeout", "soon"], new StringWriter(), stderr));
        Assert.Contains("--timeout: cannot read 'soon'", stderr.ToString());
        stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["grade", "--help"], stdout, new StringWriter()));
        Assert.Contains("--no-sandbox", stdout.ToString());
    }

    [Fact]
    public async Task Without_the_sandbox_it_grades_as_plain_child_processes()
    {
        var course = Paths.Course("grade-plain", Paths.Fixture("course", "notebooks", "10-warmup.ipynb"));
        var options = new GradeOptions { Solutions = Path.Combine(course, "notebooks"), OutDir = Path.Combine(course, "out"), Sandbox = false };
        options.Inputs.Add(Paths.Fixture("submissions", "wrong", "10-warmup.ipynb"));
        var log = new StringWriter();
        var result = await Grader.RunAsync(options, log);
        var row = result.Rows.Single();
        Assert.True(row.Status == GradeRow.Graded && row.Score == 1, log.ToString());
        Assert.Equal("wrong", row.Student);
        Assert.Contains("NOT sandboxed", log.ToString());
        Assert.Contains("<strong>not sandboxed</strong>", File.ReadAllText(result.HtmlPath));
    }
}
