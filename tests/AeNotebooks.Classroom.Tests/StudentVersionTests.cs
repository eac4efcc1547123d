using AeNotebooks.Runner.Classroom;
using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;

namespace AeNotebooks.Classroom.Tests;

/// <summary>
/// Every notebook of the suite, released and run as a student would get it: it fails exactly at the stubs. The notebooks
/// run with short parameters and <see cref="RunnerOptions.ContinueAfterErrors"/>, so that every stub is reached: each
/// stub cell must fail with NotImplementedException at the stub's throw, and no other cell may fail (the check cells
/// report a red ✗ instead of throwing).
/// </summary>
public class StudentVersionTests
{
    /// <summary>
    /// Short runs, per notebook: smaller data and fewer epochs through each notebook's parameters cell. A notebook not
    /// listed here runs with <c>epochs=1</c> only (names its parameters cell does not declare are ignored).
    /// </summary>
    static readonly Dictionary<string, Dictionary<string, string>> Short = new(StringComparer.Ordinal)
    {
        ["00-start-here.ipynb"] = new() { ["samples"] = "1000", ["epochs"] = "1" },
        ["01-loss-not-decreasing.ipynb"] = new() { ["images"] = "400", ["convEpochs"] = "1", ["wideEpochs"] = "5", ["denseEpochs"] = "2" },
        ["02-denoising-autoencoder.ipynb"] = new() { ["denseTrain"] = "500", ["denseEpochs"] = "2", ["convTrain"] = "200", ["convEpochs"] = "1", ["testCount"] = "200" },
        ["03-why-not-zero-loss.ipynb"] = new()
        {
            ["samples"] = "1000", ["questionEpochs"] = "1", ["linearEpochs"] = "2", ["bceEpochs"] = "2", ["bottleneckEpochs"] = "2", ["gridEpochs"] = "1",
        },
        ["04-conv-autoencoder.ipynb"] = new() { ["shapesCount"] = "160", ["fashionCount"] = "160", ["epochs"] = "1", ["lrFinderSteps"] = "10" },
        ["05-nan-validation-loss.ipynb"] = new() { ["tinyEpochs"] = "5", ["fixEpochs"] = "2", ["deepEpochs"] = "2", ["earlyMaxEpochs"] = "12" },
    };

    public static IEnumerable<object[]> Notebooks() =>
        BatchRunner.Expand([Path.Combine(Paths.RepoRoot, "notebooks")], []).Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task The_student_version_fails_exactly_at_the_stubs(string notebook)
    {
        var source = NotebookFile.Load(Path.Combine(Paths.RepoRoot, "notebooks", notebook));
        var hiddenInSource = Conventions.HiddenChecks(source);
        var course = Paths.Course("student-" + Path.GetFileNameWithoutExtension(notebook));
        var log = new StringWriter();
        var (exit, released) = Release.Run(new ReleaseOptions { Inputs = { Path.Combine(Paths.RepoRoot, "notebooks", notebook) }, OutDir = Path.Combine(course, "notebooks") }, log);
        Assert.True(exit == 0, log.ToString());
        var student = NotebookFile.Load(released.Single().Destination!);
        Assert.Empty(Conventions.HiddenChecks(student));
        Assert.DoesNotContain(student.Cells, c => c.IsCode && c.Source.Contains("BEGIN SOLUTION") || c.Outputs.Count > 0);

        var parameters = Short.TryGetValue(notebook, out var p) ? p : new Dictionary<string, string> { ["epochs"] = "1" };
        var run = await new NotebookRunner(new RunnerOptions { ContinueAfterErrors = true, Parameters = parameters, CellTimeout = TimeSpan.FromMinutes(3) })
            .RunAsync(student);
        // numbered in the executed notebook, which has the injected-parameters cell after the parameters cell
        var stubs = run.Cells.Where(c => c.Cell.IsCode && c.Cell.Source.Contains(Conventions.Stub)).Select(c => (c.Cell, c.Number)).ToList();
        if (hiddenInSource.Count > 0) Assert.NotEmpty(stubs);
        var failed = run.Cells.Where(c => c.Status != CellRunStatus.Succeeded && c.Status != CellRunStatus.Skipped).ToList();
        Assert.True(failed.Select(c => c.Number).SequenceEqual(stubs.Select(s => s.Number)),
            $"failed cells: {string.Join("; ", failed.Select(c => c.Error?.Summary ?? c.Status.ToString()))}\nstub cells: {string.Join(", ", stubs.Select(s => s.Number))}");
        // each fails at its own stub's throw (the kernel's stack traces carry no line numbers to compare)
        foreach (var cell in failed)
        {
            Assert.Equal("System.NotImplementedException", cell.Error!.Kind);
            Assert.Contains(Conventions.StubThrow, cell.Cell.Source);
        }
    }
}
