using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Tests;

/// <summary>Compile errors, exceptions, timeouts, unsupported magics and packages: an error at the cell, later cells not run.</summary>
public class FailureTests
{
    [Theory]
    [InlineData("compile-error.ipynb")]
    [InlineData("compile-error.dib")]
    public async Task A_compile_error_names_the_cell_and_line_and_stops_the_notebook(string name)
    {
        var run = await Fixtures.RunAsync(name);
        Assert.Equal(NotebookRunStatus.Failed, run.Status);
        var failed = run.FailedCell!;
        Assert.Equal(3, failed.Number);
        Assert.Equal(2, failed.Error!.Line);
        Assert.Equal("CompilationError", failed.Error.Kind);
        Assert.Equal("cell 3, line 2: error CS0103: The name 'undefinedName' does not exist in the current context", failed.Error.Summary);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[3].Status);
        Assert.Null(run.Cells[3].ExecutionCount);

        var error = failed.Outputs.Last();
        Assert.Equal(CellOutput.Error, error.OutputType);
        Assert.Equal("CompilationError", error.EName);
        Assert.Contains("cell 3, line 2", error.EValue);
        Assert.Contains("(2,13): error CS0103", error.Traceback[0]);

        // the cells before ran; nothing of the failed cell did
        Assert.Equal(1, run.Variable<int>("a"));
        Assert.False(run.TryGetVariable<int>("b", out _));
        var ex = Assert.Throws<NotebookRunFailedException>(() => run.EnsureSucceeded());
        Assert.Contains("cell 3, line 2: error CS0103", ex.Message);
        Assert.Contains(name, ex.Message);
    }

    [Theory]
    [InlineData("runtime-error.ipynb")]
    [InlineData("runtime-error.dib")]
    public async Task An_exception_names_the_cell_and_its_type_and_keeps_earlier_state(string name)
    {
        var run = await Fixtures.RunAsync(name);
        Assert.Equal(NotebookRunStatus.Failed, run.Status);
        var failed = run.FailedCell!;
        Assert.Equal(3, failed.Number);
        // the kernel compiles submissions without line information: its stack traces name Submission#N, not a line
        Assert.Null(failed.Error!.Line);
        Assert.Equal("System.ArgumentOutOfRangeException", failed.Error.Kind);
        Assert.Equal("cell 3: System.ArgumentOutOfRangeException: Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')",
            failed.Error.Summary);
        var error = failed.Outputs.Last();
        Assert.Equal("System.ArgumentOutOfRangeException", error.EName);
        Assert.Contains(error.Traceback, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*at Submission#\d+\.<<Initialize>>"));
        Assert.Equal(CellRunStatus.NotRun, run.Cells[3].Status);
        Assert.Equal(10, run.Variable<int>("x")); // assigned before the exception
        Assert.Equal(1, run.Variable<int>("before"));
    }

    [Fact]
    public async Task An_exception_thrown_in_a_function_of_an_earlier_cell_shows_that_function_in_the_trace()
    {
        var nb = NotebookFile.Parse("#!csharp\n\nint Fail() =>\n    throw new InvalidOperationException(\"boom\");\n\n#!csharp\n\nvar y = 1;\nFail();", NotebookFormat.Dib);
        var run = await new NotebookRunner().RunAsync(nb);
        var error = run.FailedCell!.Error!;
        Assert.Equal(2, error.CellNumber);
        Assert.Equal("cell 2: System.InvalidOperationException: boom", error.Summary);
        // Fail() was compiled by the first cell's submission, and called by the next one
        int SubmissionOf(string pattern) =>
            int.Parse(error.Details.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\s*at Submission#(\d+)\." + pattern)).First(m => m.Success).Groups[1].Value);
        Assert.Equal(SubmissionOf(@"Fail\(\)") + 1, SubmissionOf("<<Initialize>>"));
        Assert.Equal(1, run.Variable<int>("y"));
    }

    [Theory]
    [InlineData("timeout.ipynb")]
    [InlineData("timeout.dib")]
    public async Task A_cell_spinning_past_its_timeout_gets_its_kernel_killed_and_keeps_its_earlier_output(string name)
    {
        // 10 s, not less: on a loaded 2-core machine even a cell like "var a = 1;" has taken over 3 s
        var run = await Fixtures.RunAsync(name, new RunnerOptions { CellTimeout = TimeSpan.FromSeconds(10) });
        Assert.Equal(NotebookRunStatus.TimedOut, run.Status);
        var cell = run.FailedCell!;
        Assert.Equal(2, cell.Number);
        Assert.Equal(CellRunStatus.TimedOut, cell.Status);
        Assert.Equal("Timeout", cell.Error!.Kind);
        Assert.Equal("cell 2: timed out after 10 s: the kernel process was stopped", cell.Error.Summary);
        // what the cell printed before it spun is kept, then the error
        Assert.Equal("spinning\n", cell.Outputs[0].Text);
        Assert.Equal("Timeout", cell.Outputs.Last().EName);
        Assert.Equal("start\n", run.Cells[0].Outputs.Single().Text);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        Assert.Null(run.Cells[2].ExecutionCount);
        Assert.InRange(cell.Duration, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40));
        // the kernel was killed: no variables could be asked for
        Assert.Empty(run.Variables);
    }

    [Theory]
    [InlineData("unknown-magic.ipynb")]
    [InlineData("unknown-magic.dib")]
    public async Task An_unknown_magic_is_the_kernels_DNI101_error_at_its_line(string name)
    {
        var run = await Fixtures.RunAsync(name);
        var error = run.FailedCell!.Error!;
        Assert.Equal(2, error.CellNumber);
        Assert.Equal(2, error.Line);
        Assert.Equal("cell 2, line 2: error DNI101: Unknown magic command '#!nosuchmagic'", error.Summary);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        Assert.False(run.TryGetVariable<int>("x", out _));
        Assert.Equal(1, run.Variable<int>("ok"));
    }

    [Fact]
    public async Task A_cell_for_a_kernel_the_notebook_kernel_lacks_fails_with_the_kernels_message()
    {
        var run = await Fixtures.RunAsync("other-kernel.dib");
        var error = run.FailedCell!.Error!;
        Assert.Equal(2, error.CellNumber);
        Assert.Equal("Microsoft.DotNet.Interactive.NoSuitableKernelException", error.Kind);
        Assert.Equal("cell 2: Microsoft.DotNet.Interactive.NoSuitableKernelException: No handler registered on kernel fsharp for command: SubmitCode: let x = 1",
            error.Summary);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
    }

    [Theory]
    [InlineData("#!fsharp\nlet x = 1", 1, "error DNI101: Unknown magic command '#!fsharp'")]
    [InlineData("var a = 1;\n#!markdown", 2, "error DNI101: Unknown magic command '#!markdown'")]
    [InlineData("#r nothing-quoted.dll", 1, "error CS7010: Quoted file name expected")]
    public async Task Directives_the_kernel_rejects_fail_at_their_line_with_its_message(string source, int line, string message)
    {
        var nb = new Notebook();
        nb.Cells.Add(new NotebookCell { Kind = CellKind.Code, Source = source });
        var run = await new NotebookRunner().RunAsync(nb);
        var error = run.FailedCell!.Error!;
        Assert.Equal((1, line), (error.CellNumber, error.Line));
        Assert.Equal("CompilationError", error.Kind);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("nuget.ipynb")]
    [InlineData("nuget.dib")]
    public async Task A_nuget_package_that_does_not_exist_fails_its_cell_naming_the_package(string name)
    {
        var run = await Fixtures.RunAsync(name);
        var error = run.FailedCell!.Error!;
        Assert.Equal(2, error.CellNumber);
        Assert.Equal("KernelError", error.Kind);
        // NuGet's own restore error, as the kernel passes it on
        Assert.Contains("error NU1101: Unable to find package AeNotebooksNoSuchPackage12345. No packages exist with this id in source(s):", error.Message);
        Assert.Contains("nuget.org", error.Message);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
    }

    [Fact]
    public async Task A_nuget_package_from_the_feed_is_installed_and_usable()
    {
        var run = await Fixtures.RunAsync("nuget-local.ipynb");
        run.EnsureSucceeded();
        var outputs = run.Cells[0].Outputs;
        // the kernel's "Installed Packages" summary, then the cell's value (a string: text/plain)
        Assert.Equal("<div><div></div><div></div><div><strong>Installed Packages</strong><ul><li><span>Markdig, 0.45.0</span></li></ul></div></div>",
            outputs[0].Mime("text/html"));
        Assert.Equal("<p><em>hi</em></p>", outputs[^1].Mime("text/plain"));
        Assert.Equal("<p><em>hi</em></p>", run.Variable<string>("html"));
    }

    [Fact]
    public async Task A_missing_assembly_is_the_compilers_CS0006_naming_the_file()
    {
        var run = await Fixtures.RunAsync("missing-reference.ipynb");
        var error = run.FailedCell!.Error!;
        Assert.Equal((1, 1), (error.CellNumber, error.Line));
        Assert.Equal("cell 1, line 1: error CS0006: Metadata file 'lib/NotThere.dll' could not be found", error.Summary);
    }
}
