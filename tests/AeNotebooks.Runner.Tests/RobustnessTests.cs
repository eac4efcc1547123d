using System.Text.Json;
using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Execution;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// A cell cannot take the runner down: whatever it does to its kernel process (spin, overflow the stack, exit, exhaust
/// memory), the runner reports it on that cell, marks the later cells not run, writes the executed notebook and report,
/// and goes on with the other notebooks.
/// </summary>
public class RobustnessTests
{
    static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>The cells of an executed .ipynb as written: (status from the runner's metadata, outputs).</summary>
    static List<(string? Status, JsonElement Outputs)> ExecutedCells(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cells").EnumerateArray()
            .Select(c => (c.GetProperty("metadata").TryGetProperty("aenotebooks", out var m) && m.TryGetProperty("status", out var s) ? s.GetString() : null,
                          c.GetProperty("outputs").Clone()))
            .ToList();
    }

    [Fact]
    public async Task A_spinning_cell_in_a_batch_times_out_its_notebook_is_written_and_the_other_notebooks_still_run()
    {
        var outDir = Fixtures.TempFolder("batch-timeout");
        var stdout = new StringWriter();
        // 10 s, not less: on a loaded 2-core machine even a cell like "var a = 1;" has taken over 3 s
        var code = await Task.Run(() => Program.Run(["run", Path.Combine(Fixtures.Folder, "batch"), "--out", outDir, "--timeout", "10s"], stdout, TextWriter.Null));

        Assert.True(code == 1, stdout.ToString());
        var lines = Lines(stdout);
        Assert.Matches(@"^PASS +\S*1-first\.ipynb  ", lines[0]);
        Assert.Matches(@"^TIMEOUT +\S*2-spins\.ipynb  .*  cell 2: timed out after 10 s: the kernel process was stopped$", lines[1]);
        Assert.Matches(@"^PASS +\S*3-last\.ipynb  ", lines[2]);   // the notebook after the killed kernel got a kernel of its own
        Assert.StartsWith("3 notebooks: 2 passed, 1 failed", lines[^1]);

        // the timed-out notebook is written: its output before the spin, the timeout error, the later cell not run
        var cells = ExecutedCells(Path.Combine(outDir, "2-spins.ipynb"));
        Assert.Equal(["ok", "timed-out", "not-run"], cells.Select(c => c.Status));
        var spun = cells[1].Outputs.EnumerateArray().ToList();
        Assert.Equal("spinning\n", string.Concat(spun[0].GetProperty("text").EnumerateArray().Select(t => t.GetString())));
        Assert.Equal("Timeout", spun[^1].GetProperty("ename").GetString());
        Assert.Equal(0, cells[2].Outputs.GetArrayLength());
        Assert.Contains("timed out after 10 s: the kernel process was stopped", File.ReadAllText(Path.Combine(outDir, "2-spins.html")));
        Assert.Contains("last ran", File.ReadAllText(Path.Combine(outDir, "3-last.ipynb")));
        Assert.Contains("2 of 3 notebooks passed", File.ReadAllText(Path.Combine(outDir, "index.html")));
    }

    [Fact]
    public async Task Infinite_recursion_kills_the_kernel_with_SIGABRT_and_the_run_reports_it()
    {
        var run = await Fixtures.RunAsync("crash/stack-overflow.ipynb");
        Assert.Equal(NotebookRunStatus.Failed, run.Status);
        var cell = run.FailedCell!;
        Assert.Equal(2, cell.Number);
        Assert.Equal("KernelDied", cell.Error!.Kind);
        // .NET aborts the process on a stack overflow and says so first on stderr
        Assert.StartsWith("cell 2: the kernel process died (signal 6 (SIGABRT)): Stack overflow.", cell.Error.Summary);
        Assert.Equal("KernelDied", cell.Outputs.Last().EName);
        Assert.Equal("before the recursion\n", run.Cells[0].Outputs.Single().Text);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        Assert.Empty(run.Variables); // a dead kernel has none to give
    }

    [Fact]
    public async Task Environment_Exit_kills_the_kernel_with_its_exit_code()
    {
        var run = await Fixtures.RunAsync("crash/exit.ipynb");
        var cell = run.FailedCell!;
        Assert.Equal(2, cell.Number);
        Assert.Equal("KernelDied", cell.Error!.Kind);
        Assert.Equal("cell 2: the kernel process died (exit code 3)", cell.Error.Summary);
        Assert.Equal("about to exit\n", run.Cells[0].Outputs.Single().Text);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
    }

    [Fact]
    public async Task Running_out_of_a_capped_heap_fails_the_cell_with_OutOfMemoryException_and_the_report_is_written()
    {
        var run = await Fixtures.RunAsync("crash/out-of-memory.ipynb", new RunnerOptions { KernelMemoryLimit = 256L << 20 });
        var cell = run.FailedCell!;
        Assert.Equal(2, cell.Number);
        Assert.Equal(OutOfMemoryKind, cell.Error!.Kind);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
        Assert.Equal(1, run.Variable<int>("before"));
        var html = Reporting.HtmlReport.Render(run, new Reporting.ReportLinks("index.html", "out-of-memory.ipynb", "out-of-memory.ipynb"), null);
        Assert.Contains(OutOfMemoryKind, html);
    }

    const string OutOfMemoryKind = "System.OutOfMemoryException";

    [Fact]
    public async Task With_parallel_2_two_notebooks_run_at_the_same_time_in_two_kernel_processes()
    {
        // each notebook writes <name>.started with its process id and waits for the other's: only a concurrent run passes
        var folder = Fixtures.TempFolder("parallel");
        foreach (var f in Directory.GetFiles(Path.Combine(Fixtures.Folder, "parallel"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var stdout = new StringWriter();
        var code = await Task.Run(() => Program.Run(["run", folder, "--out", Path.Combine(folder, "out"), "--parallel", "2", "--timeout", "90s"], stdout, TextWriter.Null));
        Assert.True(code == 0, stdout.ToString());
        var a = int.Parse(File.ReadAllText(Path.Combine(folder, "a.started")));
        var b = int.Parse(File.ReadAllText(Path.Combine(folder, "b.started")));
        Assert.NotEqual(a, b);
        Assert.DoesNotContain(Environment.ProcessId, new[] { a, b });
        // kernels side by side share the cores among their OpenMP threads, unless the runner's environment chose a count
        var expected = Environment.GetEnvironmentVariable(BatchRunner.OpenMpThreads) is { Length: > 0 } chosen ? chosen : Math.Max(1, Environment.ProcessorCount / 2).ToString();
        Assert.Equal(expected, File.ReadAllText(Path.Combine(folder, "a.threads")));
    }

    [Fact]
    public void Kernels_run_side_by_side_get_a_share_of_the_cores_for_their_openmp_threads()
    {
        Assert.Empty(BatchRunner.KernelEnvironment(parallel: 1, cores: 8, userThreads: ""));
        Assert.Equal("4", BatchRunner.KernelEnvironment(parallel: 2, cores: 8, userThreads: "")[BatchRunner.OpenMpThreads]);
        Assert.Equal("1", BatchRunner.KernelEnvironment(parallel: 4, cores: 2, userThreads: "")[BatchRunner.OpenMpThreads]);
        Assert.Equal("2", BatchRunner.KernelEnvironment(parallel: 3, cores: 8, userThreads: "")[BatchRunner.OpenMpThreads]);
        Assert.Empty(BatchRunner.KernelEnvironment(parallel: 2, cores: 8, userThreads: "3")); // the user's choice stands
    }
}
