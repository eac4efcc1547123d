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
    public async Task An_exception_names_the_cell_and_line_and_keeps_earlier_state(string name)
    {
        var run = await Fixtures.RunAsync(name);
        Assert.Equal(NotebookRunStatus.Failed, run.Status);
        var failed = run.FailedCell!;
        Assert.Equal(3, failed.Number);
        Assert.Equal(3, failed.Error!.Line);
        Assert.Equal("System.ArgumentOutOfRangeException", failed.Error.Kind);
        Assert.StartsWith("cell 3, line 3: System.ArgumentOutOfRangeException: Index was out of range.", failed.Error.Summary);
        var error = failed.Outputs.Last();
        Assert.Equal("System.ArgumentOutOfRangeException", error.EName);
        Assert.Contains(error.Traceback, l => l.Contains("cell-3:line 3", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Traceback, l => l.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal));
        Assert.Equal(CellRunStatus.NotRun, run.Cells[3].Status);
        Assert.Equal(10, run.Variable<int>("x")); // assigned before the exception
        Assert.Equal(1, run.Variable<int>("before"));
    }

    [Fact]
    public async Task An_exception_thrown_in_a_function_of_an_earlier_cell_says_where()
    {
        var nb = NotebookFile.Parse("#!csharp\n\nint Fail() =>\n    throw new InvalidOperationException(\"boom\");\n\n#!csharp\n\nvar y = 1;\nFail();", NotebookFormat.Dib);
        var run = await new NotebookRunner().RunAsync(nb);
        var error = run.FailedCell!.Error!;
        Assert.Equal(2, error.CellNumber);
        Assert.Equal(2, error.Line);
        Assert.Equal("cell 2, line 2: System.InvalidOperationException: boom (raised in cell 1, line 2)", error.Summary);
    }

    [Theory]
    [InlineData("timeout.ipynb")]
    [InlineData("timeout.dib")]
    public async Task A_cell_spinning_past_its_timeout_gets_its_kernel_killed_and_keeps_its_earlier_output(string name)
    {
        var run = await Fixtures.RunAsync(name, new RunnerOptions { CellTimeout = TimeSpan.FromSeconds(3) });
        Assert.Equal(NotebookRunStatus.TimedOut, run.Status);
        var cell = run.FailedCell!;
        Assert.Equal(2, cell.Number);
        Assert.Equal(CellRunStatus.TimedOut, cell.Status);
        Assert.Equal("Timeout", cell.Error!.Kind);
        Assert.Equal("cell 2: timed out after 3 s: the kernel process was stopped", cell.Error.Summary);
        // what the cell printed before it spun is kept, then the error
        Assert.Equal("spinning\n", cell.Outputs[0].Text);
        Assert.Equal("Timeout", cell.Outputs.Last().EName);
        Assert.Equal("start\n", run.Cells[0].Outputs.Single().Text);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        Assert.Null(run.Cells[2].ExecutionCount);
        Assert.InRange(cell.Duration, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30));
        // the kernel was killed: no variables could be asked for
        Assert.Empty(run.Variables);
    }

    [Theory]
    [InlineData("unknown-magic.ipynb")]
    [InlineData("unknown-magic.dib")]
    public async Task An_unknown_magic_is_an_error_naming_the_cell(string name)
    {
        var run = await Fixtures.RunAsync(name);
        var error = run.FailedCell!.Error!;
        Assert.Equal(2, error.CellNumber);
        Assert.Equal(2, error.Line);
        Assert.StartsWith("cell 2, line 2: unknown magic command '#!whos'", error.Summary);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        Assert.False(run.TryGetVariable<int>("x", out _));
    }

    [Fact]
    public async Task A_cell_in_another_kernel_is_an_error_naming_the_cell()
    {
        var run = await Fixtures.RunAsync("other-kernel.dib");
        var error = run.FailedCell!.Error!;
        Assert.Equal(2, error.CellNumber);
        Assert.Contains("'fsharp' kernel; the runner executes C# cells only", error.Summary);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
    }

    [Theory]
    [InlineData("#!fsharp\nlet x = 1", 1, "switches to the 'fsharp' kernel")]
    [InlineData("var a = 1;\n#i \"nuget: https://example.org/feed\"", 2, "package sources cannot be used")]
    [InlineData("var a = 1;\n#!markdown", 2, "'#!markdown' after C# code")]
    [InlineData("\n\n#!meta", 3, "only opens the metadata section of a .dib file")]
    [InlineData("#r nothing-quoted.dll", 1, "expected #r \"path/to/assembly.dll\"")]
    public async Task Other_unsupported_directives_are_errors_naming_cell_and_line(string source, int line, string message)
    {
        var nb = new Notebook();
        nb.Cells.Add(new NotebookCell { Kind = CellKind.Code, Source = source });
        var run = await new NotebookRunner().RunAsync(nb);
        var error = run.FailedCell!.Error!;
        Assert.Equal((1, line), (error.CellNumber, error.Line));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("nuget.ipynb")]
    [InlineData("nuget.dib")]
    public async Task A_nuget_reference_says_packages_cannot_be_fetched(string name)
    {
        var run = await Fixtures.RunAsync(name);
        var error = run.FailedCell!.Error!;
        Assert.Equal((2, 1), (error.CellNumber, error.Line));
        Assert.Equal("NuGetUnavailable", error.Kind);
        Assert.Contains("#r \"nuget: Plotly.NET, 4.2.0\": NuGet packages cannot be fetched here", error.Summary);
        Assert.Contains("works offline", error.Summary);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
    }

    [Fact]
    public async Task A_nuget_reference_to_something_the_runner_has_works()
    {
        var run = await Fixtures.RunAsync("nuget-local.ipynb");
        run.EnsureSucceeded();
        var outputs = run.Cells[0].Outputs;
        Assert.Contains(outputs, o => o.Text().StartsWith("Installed Packages: Markdig 0.", StringComparison.Ordinal) && o.Text().Contains("shipped with the runner"));
        Assert.Contains(outputs, o => o.Text().StartsWith("Installed Packages: System.Text.Json (part of the .NET runtime", StringComparison.Ordinal));
        Assert.Equal("<p><em>hi</em></p>", run.Variable<string>("html"));
    }

    [Fact]
    public async Task A_missing_assembly_names_the_resolved_path()
    {
        var run = await Fixtures.RunAsync("missing-reference.ipynb");
        var error = run.FailedCell!.Error!;
        Assert.Equal((1, 1), (error.CellNumber, error.Line));
        Assert.Contains("no assembly at " + Path.Combine(Fixtures.Folder, "lib", "NotThere.dll"), error.Summary);
    }
}
