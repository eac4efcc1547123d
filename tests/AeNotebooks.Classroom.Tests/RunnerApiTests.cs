using AeNotebooks.Runner.Execution;

namespace AeNotebooks.Classroom.Tests;

/// <summary>What grading needs from the runner: keep going after a failing cell, and evaluate code against the final state.</summary>
public class RunnerApiTests
{
    static Task<NotebookRun> Run(RunnerOptions options, params string[] cells)
    {
        var folder = Paths.TempFolder("api");
        return new NotebookRunner(options).RunAsync(Paths.Parse(Paths.Ipynb(cells), Path.Combine(folder, "nb.ipynb")));
    }

    [Fact]
    public async Task By_default_the_notebook_stops_at_the_first_failure()
    {
        var run = await Run(new RunnerOptions(), "var a = 1;", "throw new Exception(\"x\");", "var b = 2;");
        Assert.Equal(NotebookRunStatus.Failed, run.Status);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
    }

    [Fact]
    public async Task With_ContinueAfterErrors_later_cells_run_and_the_first_failure_is_reported()
    {
        var run = await Run(new RunnerOptions { ContinueAfterErrors = true },
            "var a = 1;",
            "a = 5;\nthrow new InvalidOperationException(\"first\");",
            "var b = a + 1;", // sees the state the failing cell left behind
            "undefinedName + 1",
            "var c = b * 10;");
        Assert.Equal(NotebookRunStatus.Failed, run.Status);
        Assert.Equal(2, run.FailedCell!.Number);
        Assert.Equal([CellRunStatus.Succeeded, CellRunStatus.Failed, CellRunStatus.Succeeded, CellRunStatus.Failed, CellRunStatus.Succeeded],
            run.Cells.Select(c => c.Status));
        Assert.Equal(60, run.Variable<int>("c"));
    }

    [Fact]
    public async Task A_timeout_still_stops_the_notebook()
    {
        var run = await Run(new RunnerOptions { ContinueAfterErrors = true, CellTimeout = TimeSpan.FromMilliseconds(300) },
            "var a = 1;", "System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);", "var b = 2;"); // sleeps: an abandoned thread must not burn a core
        Assert.Equal(NotebookRunStatus.TimedOut, run.Status);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        // the state before the timed-out cell is still there to evaluate against
        var e = await run.EvaluateAsync("a + 41");
        Assert.True(e.Succeeded);
        Assert.Equal(42, e.Value);
    }

    [Fact]
    public async Task Evaluate_sees_the_final_state_and_keeps_no_declarations()
    {
        var run = await Run(new RunnerOptions(), "var x = 20;", "int Twice(int v) => 2 * v;");
        var first = await run.EvaluateAsync("var y = 1;\nTwice(x) + 2");
        Assert.True(first.Succeeded);
        Assert.True(first.HasValue);
        Assert.Equal(42, first.Value);
        // each evaluation starts from the run's final state: y was declared by the previous one only
        var second = await run.EvaluateAsync("y");
        Assert.Equal(CellRunStatus.Failed, second.Status);
        Assert.Contains("CS0103", second.Error!.Message);
        Assert.Equal(20, run.Variable<int>("x"));
        Assert.DoesNotContain("y", run.Variables.Keys);
    }

    [Fact]
    public async Task Evaluate_reports_errors_instead_of_throwing()
    {
        var run = await Run(new RunnerOptions(), "var x = 1;");
        var compile = await run.EvaluateAsync("y + 1");
        Assert.Equal(CellRunStatus.Failed, compile.Status);
        Assert.Equal("CompilationError", compile.Error!.Kind);
        Assert.Contains("CS0103", compile.Error.Message);
        Assert.Contains(compile.Outputs, o => o.OutputType == "error");

        var thrown = await run.EvaluateAsync("var z = 2;\nthrow new ArgumentException(\"nope\");");
        Assert.Equal(CellRunStatus.Failed, thrown.Status);
        Assert.Equal(2, thrown.Error!.Line);
        Assert.Contains("ArgumentException: nope", thrown.Error.Message);

        var noValue = await run.EvaluateAsync("Console.WriteLine(x);");
        Assert.True(noValue.Succeeded);
        Assert.False(noValue.HasValue);
        Assert.Equal("1\n", noValue.Outputs.Single().Text);

        var slow = await run.EvaluateAsync("System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);", TimeSpan.FromMilliseconds(200));
        Assert.Equal(CellRunStatus.TimedOut, slow.Status);
        Assert.Equal(1, (await run.EvaluateAsync("x")).Value);
    }
}
