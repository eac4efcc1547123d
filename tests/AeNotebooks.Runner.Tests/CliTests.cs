using System.Diagnostics;
using AeNotebooks.Runner.Cli;

namespace AeNotebooks.Runner.Tests;

public class CliTests
{
    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("00:10:00", 600_000)]
    [InlineData("45", 45_000)]
    [InlineData("0", 0)]
    public void Durations_are_read(string text, long ms)
    {
        Assert.True(Program.TryParseDuration(text, out var d));
        Assert.Equal(ms, (long)d.TotalMilliseconds);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("")]
    [InlineData("10x")]
    public void Bad_durations_are_refused(string text) => Assert.False(Program.TryParseDuration(text, out _));

    [Fact]
    public void Options_are_parsed()
    {
        Assert.True(Program.TryParse(["notebooks", "--out", "o", "--param", "epochs=1", "--param=label=a=b", "--timeout", "2m", "--parallel", "2", "x.dib"],
            out var o, out var error), error);
        Assert.Equal(["notebooks", "x.dib"], o!.Inputs);
        Assert.Equal("o", o.OutDir);
        Assert.Equal("1", o.Parameters["epochs"]);
        Assert.Equal("a=b", o.Parameters["label"]);
        Assert.Equal(TimeSpan.FromMinutes(2), o.CellTimeout);
        Assert.Equal(2, o.Parallel);

        Assert.False(Program.TryParse(["a.ipynb", "--param", "noequals"], out _, out error));
        Assert.Contains("NAME=VALUE", error);
        Assert.False(Program.TryParse(["a.ipynb", "--bogus"], out _, out error));
        Assert.Contains("unknown option '--bogus'", error);
        Assert.False(Program.TryParse(["--out", "x"], out _, out error));
        Assert.Contains("at least one notebook", error);
        Assert.False(Program.TryParse(["a.ipynb", "--parallel", "0"], out _, out _));
        Assert.False(Program.TryParse(["a.ipynb", "--timeout"], out _, out error));
        Assert.Contains("--timeout needs a value", error);
        Assert.True(Program.TryParse(["--timeout=90s", "--out=x", "a.ipynb"], out o, out _));
        Assert.Equal((TimeSpan.FromSeconds(90), "x"), (o!.CellTimeout, o.OutDir));
    }

    [Fact]
    public void A_wrong_command_line_exits_2()
    {
        var err = new StringWriter();
        Assert.Equal(2, Program.Run(["launch", "x"], TextWriter.Null, err));
        Assert.Contains("unknown command 'launch'", err.ToString());
        Assert.Equal(2, Program.Run(["run"], TextWriter.Null, new StringWriter()));
        var help = new StringWriter();
        Assert.Equal(0, Program.Run(["--help"], help, TextWriter.Null));
        Assert.Contains("exit codes", help.ToString());
    }

    static Task<int> Run(string[] args, TextWriter stdout, TextWriter stderr) => Task.Run(() => Program.Run(args, stdout, stderr));

    static string[] Lines(StringWriter w) => w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public async Task Passing_notebooks_exit_0_and_write_executed_notebooks_reports_and_an_index()
    {
        var outDir = Fixtures.TempFolder("cli-pass");
        var stdout = new StringWriter();
        var code = await Run(["run", Fixtures.PathOf("semantics.ipynb"), Fixtures.PathOf("parameters.dib"), "--out", outDir, "--param", "epochs=3"], stdout, TextWriter.Null);
        Assert.True(code == 0, stdout.ToString());
        var lines = Lines(stdout);
        Assert.Matches(@"^PASS +\S*parameters\.dib  \d", lines[0]);   // in order of name
        Assert.Matches(@"^PASS +\S*semantics\.ipynb  \d", lines[1]);
        Assert.StartsWith("2 notebooks: 2 passed, 0 failed", lines[^1]);
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));
        Assert.True(File.Exists(Path.Combine(outDir, "semantics.html")));
        Assert.True(File.Exists(Path.Combine(outDir, "semantics.ipynb")));
        var executedDib = File.ReadAllText(Path.Combine(outDir, "parameters.ipynb")); // a .dib is written as .ipynb with outputs
        Assert.Contains("\"output_type\": \"execute_result\"", executedDib);
        Assert.Contains("\"injected-parameters\"", executedDib);   // --param went into a new cell after the parameters cell
        Assert.Contains("epochs = 3;", executedDib);
        var index = File.ReadAllText(Path.Combine(outDir, "index.html"));
        Assert.Contains("2 of 2 notebooks passed", index);
        Assert.Contains("href=\"semantics.html\"", index);
    }

    [Fact]
    public async Task A_failing_cell_exits_1_and_bad_notebooks_exit_2_while_the_others_still_run()
    {
        var outDir = Fixtures.TempFolder("cli-fail");
        var stdout = new StringWriter();
        var code = await Run(["run", Fixtures.PathOf("compile-error.dib"), Fixtures.PathOf("semantics.dib"), "--out", outDir, "--parallel", "2"], stdout, TextWriter.Null);
        Assert.Equal(1, code);
        Assert.Contains(Lines(stdout), l => l.StartsWith("FAIL ", StringComparison.Ordinal) && l.Contains("compile-error.dib  ", StringComparison.Ordinal) &&
                                            l.EndsWith("  cell 3, line 2: error CS0103: The name 'undefinedName' does not exist in the current context", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(outDir, "compile-error.html")));
        Assert.Contains("Failed at <a href=\"#cell-3\">", File.ReadAllText(Path.Combine(outDir, "compile-error.html")));

        stdout = new StringWriter();
        var missing = Path.Combine(Fixtures.Folder, "missing.ipynb");
        code = await Run(["run", Fixtures.PathOf("malformed.ipynb"), missing, Fixtures.PathOf("compile-error.ipynb"), Fixtures.PathOf("malformed-meta.dib"), "--out", outDir], stdout, TextWriter.Null);
        Assert.Equal(2, code);
        var lines = Lines(stdout);
        Assert.Contains(lines, l => l.StartsWith("ERROR    " + Fixtures.PathOf("malformed.ipynb") + ": not valid JSON (line ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l == "ERROR    " + missing + ": file not found");
        Assert.Contains(lines, l => l.StartsWith("ERROR    " + Fixtures.PathOf("malformed-meta.dib") + ": the #!meta section is not valid JSON", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("FAIL ", StringComparison.Ordinal) && l.Contains("compile-error.ipynb", StringComparison.Ordinal));
        Assert.Contains("file not found", File.ReadAllText(Path.Combine(outDir, "index.html")));
    }

    [Fact]
    public async Task A_folder_runs_its_notebooks_and_reports_include_plotly_once()
    {
        var folder = Fixtures.TempFolder("cli-folder");
        File.Copy(Fixtures.PathOf("plotly.ipynb"), Path.Combine(folder, "b-plotly.ipynb"));
        File.Copy(Fixtures.PathOf("nuget-local.ipynb"), Path.Combine(folder, "a-local.ipynb"));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a notebook");
        var outDir = Path.Combine(folder, "out");
        var fake = Path.Combine(folder, "plotly.fake.js");
        File.WriteAllText(fake, "window.Plotly = {};");
        var options = new BatchOptions { OutDir = outDir, PlotlyJs = fake };
        options.Inputs.Add(folder);
        var log = new StringWriter();
        var result = await BatchRunner.RunAsync(options, log);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["a-local.ipynb", "b-plotly.ipynb"], result.Outcomes.Select(o => Path.GetFileName(o.DisplayPath)));
        Assert.Equal("window.Plotly = {};", File.ReadAllText(Path.Combine(outDir, "plotly-2.28.0.min.js")));
        var report = File.ReadAllText(Path.Combine(outDir, "b-plotly.html"));
        Assert.Single(report.Split("<script src=").Skip(1));
        Assert.DoesNotContain("plotly-2.35.2", File.ReadAllText(Path.Combine(outDir, "a-local.html")));
    }

    /// <summary>The built runner as its own process (as CI runs it), in the fixtures folder: (exit code, stdout).</summary>
    static async Task<(int Code, string Stdout)> RunBuiltRunner(params string[] args)
    {
        var runnerDll = Path.Combine(AppContext.BaseDirectory, "AeNotebooks.Runner.dll");
        // the dotnet CLI tells child processes where it is; plain "dotnet" from PATH otherwise
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var psi = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Fixtures.Folder,
        };
        foreach (var a in args.Prepend(runnerDll)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(limit.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task The_built_runner_exits_0_when_every_cell_succeeds()
    {
        var (code, text) = await RunBuiltRunner("run", "no-meta.dib", "--out", Fixtures.TempFolder("cli-process-0"));
        Assert.True(code == 0, $"exit {code}\n{text}");
        Assert.Contains("PASS     no-meta.dib", text);
    }

    [Fact]
    public async Task The_built_runner_exits_1_on_a_failed_or_timed_out_cell_and_still_writes_the_reports()
    {
        var outDir = Fixtures.TempFolder("cli-process-1");
        // 10 s, not less: on a loaded 2-core machine even a cell like "var a = 1;" has taken over 3 s
        var (code, text) = await RunBuiltRunner("run", "timeout.ipynb", "compile-error.dib", "--timeout", "10s", "--out", outDir);
        Assert.True(code == 1, $"exit {code}\n{text}");
        Assert.Contains("FAIL     compile-error.dib", text);
        Assert.Contains("TIMEOUT  timeout.ipynb", text);
        Assert.Contains("cell 2: timed out after 10 s: the kernel process was stopped", text);
        Assert.True(File.Exists(Path.Combine(outDir, "timeout.html")));
        Assert.True(File.Exists(Path.Combine(outDir, "timeout.ipynb")));
    }

    [Fact]
    public async Task The_built_runner_exits_2_on_malformed_JSON_naming_the_file()
    {
        var (code, text) = await RunBuiltRunner("run", "malformed.ipynb", "--out", Fixtures.TempFolder("cli-process-2"));
        Assert.True(code == 2, $"exit {code}\n{text}");
        Assert.Contains("ERROR    malformed.ipynb: ", text);
        var (usage, usageText) = await RunBuiltRunner("run", "--bogus");
        Assert.True(usage == 2, usageText);
        Assert.Contains("unknown option '--bogus'", usageText);
    }
}
