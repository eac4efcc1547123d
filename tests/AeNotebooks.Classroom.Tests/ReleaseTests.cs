using System.Text.Json.Nodes;
using AeNotebooks.Runner.Classroom;
using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;

namespace AeNotebooks.Classroom.Tests;

/// <summary>release: solution regions become stubs, hidden checks go, outputs and run metadata are cleared, the rest is unchanged.</summary>
public class ReleaseTests
{
    [Fact]
    public void Solution_regions_become_a_stub_at_their_indentation()
    {
        var source = "int Twice(int x)\n{\n    // BEGIN SOLUTION\n    var y = 2 * x;\n    return y;\n    // END SOLUTION\n}\nvar a = 1;\n//BEGIN SOLUTION\na = 2;\n//   END SOLUTION  \na";
        var stripped = Conventions.StripSolutions(source, out var regions);
        Assert.Equal(2, regions);
        Assert.Equal("int Twice(int x)\n{\n    // YOUR CODE HERE\n    throw new NotImplementedException();\n}\nvar a = 1;\n// YOUR CODE HERE\nthrow new NotImplementedException();\na", stripped);
        Assert.Equal("var a = 1;\r\n// YOUR CODE HERE\r\nthrow new NotImplementedException();\r\na",
            Conventions.StripSolutions("var a = 1;\r\n// BEGIN SOLUTION\r\na = 2;\r\n// END SOLUTION\r\na", out _));
        Assert.Equal("no markers", Conventions.StripSolutions("no markers", out var none));
        Assert.Equal(0, none);
    }

    [Theory]
    [InlineData("unclosed.ipynb", "line 2: BEGIN SOLUTION is never closed")]
    [InlineData("nested.ipynb", "line 2: BEGIN SOLUTION inside the region opened at line 1")]
    [InlineData("stray-end.ipynb", "line 2: END SOLUTION without a BEGIN SOLUTION")]
    [InlineData("bad-hidden.ipynb", "cell 2: cannot read the hidden check's first line '// hidden check'")]
    public void Malformed_markers_are_errors_that_name_the_place(string fixture, string expected)
    {
        var nb = NotebookFile.Load(Paths.Fixture("release", fixture));
        var e = Assert.Throws<ClassroomFormatException>(() => Release.StudentVersion(nb, out _, out _, out _));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(fixture, e.Message);
    }

    [Fact]
    public void Hidden_checks_are_read_from_their_first_line()
    {
        var nb = NotebookFile.Load(Paths.Fixture("course", "notebooks", "10-warmup.ipynb"));
        var checks = Conventions.HiddenChecks(nb);
        Assert.Equal([("10-squares", 2.0), ("10-mean", 1.0), ("10-shout", 1.0)], checks.Select(c => (c.Id, c.Points)));
        Assert.Equal([7, 11, 15], checks.Select(c => c.CellNumber));
        Assert.StartsWith("// hidden check: 10-mean\n", checks[1].Code);
    }

    [Fact]
    public void The_student_version_keeps_everything_else()
    {
        var path = Paths.Fixture("release", "executed.ipynb");
        var source = NotebookFile.Load(path);
        var instructor = NotebookFile.Serialize(source);
        var student = Release.StudentVersion(source, out var regions, out var hidden, out var cleared);
        Assert.Equal((3, 1, 3), (regions, hidden, cleared));
        var expectedPath = Paths.Fixture("release", "executed.student.ipynb");
        var written = NotebookFile.Serialize(student);
        Assert.Equal(NotebookFile.Serialize(NotebookFile.Load(expectedPath)), written);
        var expected = JsonNode.Parse(File.ReadAllText(expectedPath))!;
        var actual = JsonNode.Parse(written)!;
        Assert.True(JsonNode.DeepEquals(expected["metadata"], actual["metadata"]), actual["metadata"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected["cells"], actual["cells"]), actual["cells"]!.ToJsonString());
        Assert.DoesNotContain("aenotebooks", written);
        Assert.All(student.Cells.Where(c => c.IsCode), c => Assert.Null(c.ExecutionCount));
        // the instructor's notebook object is not changed
        Assert.Contains("aenotebooks", instructor);
        Assert.Equal(instructor, NotebookFile.Serialize(source));

        // a notebook with nothing to strip comes back unchanged
        var plain = Paths.Fixture("course", "notebooks", "10-warmup.ipynb");
        var released = Release.StudentVersion(NotebookFile.Load(plain), out _, out _, out _);
        var roundTrip = NotebookFile.Serialize(Release.StudentVersion(released, out var r2, out var h2, out var c2));
        Assert.Equal((0, 0, 0), (r2, h2, c2));
        Assert.Equal(NotebookFile.Serialize(released), roundTrip);
    }

    [Fact]
    public void A_dib_notebook_is_released_too()
    {
        var dib = "#!csharp\n\nvar a = 1;\n// BEGIN SOLUTION\na = 2;\n// END SOLUTION\na\n\n#!markdown\n\nSome text.\n\n#!csharp\n\n// hidden check: ex-a\na == 2";
        var nb = NotebookFile.Parse(dib, AeNotebooks.Runner.Model.NotebookFormat.Dib, "/tmp/x.dib");
        Assert.Equal("ex-a", Conventions.HiddenChecks(nb).Single().Id);
        var text = NotebookFile.Serialize(Release.StudentVersion(nb, out var regions, out var hidden, out _));
        Assert.Equal((1, 1), (regions, hidden));
        Assert.StartsWith("#!csharp\n\nvar a = 1;\n// YOUR CODE HERE\nthrow new NotImplementedException();\na\n\n#!markdown\n\nSome text.", text);
        Assert.DoesNotContain("hidden check", text);
        Assert.Equal(2, NotebookFile.Parse(text, AeNotebooks.Runner.Model.NotebookFormat.Dib).Cells.Count);
    }

    [Fact]
    public void The_cli_releases_a_folder_and_refuses_to_overwrite_the_solutions()
    {
        var course = Paths.Course("release-cli", Paths.Fixture("course", "notebooks", "10-warmup.ipynb"));
        var notebooks = Path.Combine(course, "notebooks");
        var student = Path.Combine(course, "student");
        var stdout = new StringWriter();
        var exit = Program.Run(["release", notebooks, "--out", student], stdout, new StringWriter());
        Assert.True(exit == 0, stdout.ToString());
        Assert.Contains("RELEASED", stdout.ToString());
        Assert.Contains("3 solution regions stubbed, 3 hidden checks removed", stdout.ToString());
        Assert.True(File.Exists(Path.Combine(student, "10-warmup.ipynb")));

        var before = File.ReadAllText(Path.Combine(notebooks, "10-warmup.ipynb"));
        stdout = new StringWriter();
        Assert.Equal(2, Program.Run(["release", notebooks, "--out", notebooks], stdout, new StringWriter()));
        Assert.Contains("would overwrite the solutions", stdout.ToString());
        Assert.Equal(before, File.ReadAllText(Path.Combine(notebooks, "10-warmup.ipynb")));

        stdout = new StringWriter();
        Assert.Equal(2, Program.Run(["release", Paths.Fixture("release", "unclosed.ipynb"), "--out", Path.Combine(course, "x")], stdout, new StringWriter()));
        Assert.Contains("ERROR", stdout.ToString());

        var stderr = new StringWriter();
        Assert.Equal(2, Program.Run(["release", "--out", student], new StringWriter(), stderr));
        Assert.Contains("name at least one notebook", stderr.ToString());
        stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["release", "--help"], stdout, new StringWriter()));
        Assert.Contains("usage: AeNotebooks.Runner release", stdout.ToString());
    }

    [Fact]
    public async Task The_released_fixture_stops_at_its_first_stub()
    {
        var course = Paths.Course("release-run", Paths.Fixture("course", "notebooks", "10-warmup.ipynb"));
        Assert.Equal(0, Release.Run(new ReleaseOptions { Inputs = { Path.Combine(course, "notebooks") }, OutDir = Path.Combine(course, "student") }, new StringWriter()).ExitCode);
        var run = await new NotebookRunner().RunAsync(Path.Combine(course, "student", "10-warmup.ipynb"));
        var failed = run.FailedCell!;
        Assert.Contains("// YOUR CODE HERE", failed.Cell.Source);
        Assert.Equal("System.NotImplementedException", failed.Error!.Kind);
        Assert.Equal("System.NotImplementedException: The method or operation is not implemented.", failed.Error.Message);
        Assert.All(run.Cells.Take(failed.Number - 1), c => Assert.NotEqual(CellRunStatus.Failed, c.Status));

        // the original, hidden checks included, runs to the end with every check passing
        var original = await new NotebookRunner().RunAsync(Path.Combine(course, "notebooks", "10-warmup.ipynb"));
        original.EnsureSucceeded();
        var verdicts = original.Cells.Where(c => c.Cell.Source.StartsWith("// check") || c.Cell.Source.StartsWith("// hidden check"))
            .Select(c => c.Outputs.Single().Text()).ToList();
        Assert.Equal(6, verdicts.Count);
        // a CheckResult shows its text (✓ …); a bool, the kernel's HTML for it
        Assert.All(verdicts, v => Assert.True(v.StartsWith("✓") || v.StartsWith("<div class=\"dni-plaintext\"><pre>True</pre></div>"), v));
    }
}

internal static class OutputText
{
    public static string Text(this AeNotebooks.Runner.Model.CellOutput o) => o.ToText();
}
