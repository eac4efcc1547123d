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
    public async Task A_timeout_still_stops_the_notebook_and_leaves_no_kernel_to_evaluate_in()
    {
        await using var run = await Run(new RunnerOptions { ContinueAfterErrors = true, CellTimeout = TimeSpan.FromSeconds(2), KeepKernel = true },
            "var a = 1;", "System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);", "var b = 2;");
        Assert.Equal(NotebookRunStatus.TimedOut, run.Status);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        // a timeout kills the kernel process: its state is gone, and evaluating says so instead of throwing
        var e = await run.EvaluateAsync("a + 41");
        Assert.Equal(CellRunStatus.Failed, e.Status);
        Assert.Contains("no kernel", e.Error!.Message);
    }

    [Fact]
    public async Task Evaluate_sees_the_final_state_and_its_declarations_persist_like_a_cell()
    {
        await using var run = await Run(new RunnerOptions { KeepKernel = true }, "var x = 20;", "int Twice(int v) => 2 * v;");
        var first = await run.EvaluateAsync("var y = 1;\nTwice(x) + 2");
        Assert.True(first.Succeeded, first.Error?.ToString());
        Assert.True(first.HasValue);
        Assert.Equal("System.Int32", first.Value!.TypeName);
        Assert.True(first.Value.TryGet<int>(out var v) && v == 42, first.Value.ToString());
        // one more submission in the same kernel: y, declared by the previous evaluation, is still there
        var second = await run.EvaluateAsync("y + x");
        Assert.True(second.Succeeded, second.Error?.ToString());
        Assert.True(second.Value!.TryGet<int>(out v) && v == 21);
        // the run's variables are the snapshot taken when the notebook ended, before any evaluation
        Assert.Equal(20, run.Variable<int>("x"));
        Assert.DoesNotContain("y", run.Variables.Keys);
    }

    [Fact]
    public async Task Evaluate_needs_a_kept_kernel()
    {
        await using var run = await Run(new RunnerOptions(), "var x = 1;");
        var e = await run.EvaluateAsync("x");
        Assert.Equal(CellRunStatus.Failed, e.Status);
        Assert.Contains("KeepKernel", e.Error!.Message);
    }

    [Fact]
    public async Task Evaluate_reports_errors_instead_of_throwing()
    {
        await using var run = await Run(new RunnerOptions { KeepKernel = true }, "var x = 1;");
        var compile = await run.EvaluateAsync("y + 1");
        Assert.Equal(CellRunStatus.Failed, compile.Status);
        Assert.Equal("CompilationError", compile.Error!.Kind);
        Assert.Contains("CS0103", compile.Error.Message);
        Assert.Contains(compile.Outputs, o => o.OutputType == "error");

        var thrown = await run.EvaluateAsync("var z = 2;\nthrow new ArgumentException(\"nope\");");
        Assert.Equal(CellRunStatus.Failed, thrown.Status);
        Assert.Equal("System.ArgumentException", thrown.Error!.Kind);
        Assert.Equal("System.ArgumentException: nope", thrown.Error.Message);

        var noValue = await run.EvaluateAsync("Console.WriteLine(x);");
        Assert.True(noValue.Succeeded);
        Assert.False(noValue.HasValue);
        Assert.Equal("1\n", noValue.Outputs.Single().Text);

        // a timed-out evaluation kills the kernel: later evaluations fail at once, naming why
        var slow = await run.EvaluateAsync("System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);", TimeSpan.FromSeconds(1));
        Assert.Equal(CellRunStatus.TimedOut, slow.Status);
        Assert.Contains("timed out after 1 s", slow.Error!.Message);
        var after = await run.EvaluateAsync("x");
        Assert.Equal(CellRunStatus.Failed, after.Status);
        Assert.Contains("the kernel process is gone", after.Error!.Message);
    }
}
