using System.Diagnostics;
using System.Text.Json;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// The runner must not be a host of its own making: a notebook that passes in it must pass in another host of the same
/// kernel. dotnet-repl 0.3.259 (an independent host of .NET Interactive's kernel, installed from NuGet) runs a tutorial
/// notebook, and every code cell must come back without an error, just as in the runner.
/// </summary>
public class IndependentHostTests
{
    const string ReplVersion = "0.3.259";

    [Theory]
    [InlineData("05-nan-validation-loss.ipynb")] // one of the two that failed in the real kernel and passed the old imitation
    [InlineData("00-start-here.ipynb")]
    public async Task A_tutorial_notebook_runs_without_errors_in_dotnet_repl(string name)
    {
        var repl = InstallRepl();
        var notebooks = Path.Combine(Fixtures.RepoRoot, "notebooks");
        var output = Path.Combine(Fixtures.TempFolder("dotnet-repl"), name);

        var start = new ProcessStartInfo(repl) { WorkingDirectory = notebooks, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--run", name, "--exit-after-run", "--output-path", output }) start.ArgumentList.Add(a);
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(File.Exists(output), $"dotnet-repl wrote no notebook (exit {process.ExitCode}): {await stderr}\n{await stdout}");

        using var executed = JsonDocument.Parse(File.ReadAllText(output));
        var code = executed.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code").ToList();
        var errors = code.SelectMany((c, i) => c.GetProperty("outputs").EnumerateArray()
                .Where(o => o.GetProperty("output_type").GetString() == "error")
                .Select(o => $"code cell {i + 1}: {o.GetProperty("ename").GetString()}: {o.GetProperty("evalue").GetString()}"))
            .ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var withOutput = code.Count(c => c.GetProperty("outputs").GetArrayLength() > 0);
        Assert.True(withOutput >= code.Count / 2, $"only {withOutput} of {code.Count} code cells produced output in dotnet-repl");
        // NotebookTests runs the same notebook in the runner, where it must pass as well
    }

    static readonly Lazy<string> Installed = new(() =>
    {
        var toolPath = Path.Combine(Path.GetTempPath(), "aenotebooks-tests", "dotnet-repl-" + ReplVersion);
        var exe = Path.Combine(toolPath, "dotnet-repl");
        if (File.Exists(exe)) return exe;
        var install = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "tool", "install", "dotnet-repl", "--version", ReplVersion, "--tool-path", toolPath }) install.ArgumentList.Add(a);
        using var p = Process.Start(install)!;
        var err = p.StandardError.ReadToEndAsync();
        var outText = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && File.Exists(exe), $"dotnet tool install dotnet-repl {ReplVersion} failed ({p.ExitCode}): {err.Result}\n{outText}");
        return exe;
    });

    static string InstallRepl() => Installed.Value;
}
