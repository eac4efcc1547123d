using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Tests;

/// <summary>What the real kernel gives a cell that the old imitation did not have, or had its own way: display ids, magics.</summary>
public class KernelFeatureTests
{
    [Fact]
    public async Task A_display_updated_through_the_invocation_context_ends_as_one_output_while_the_display_helper_appends()
    {
        var run = await Fixtures.RunAsync("display-update.ipynb");
        run.EnsureSucceeded();
        // KernelInvocationContext.Current.Display(...).Update(...) keeps one display id: the update replaces "a"
        var updated = Assert.Single(run.Cells[0].Outputs);
        Assert.Equal(CellOutput.DisplayData, updated.OutputType);
        Assert.Equal([new KeyValuePair<string, string>("text/plain", "b")], updated.Data);
        // the kernel's display(x).Update(y) publishes the update under an id that was never shown: VS Code appends it
        Assert.Equal(["first", "second"], run.Cells[1].Outputs.Select(o => o.Mime("text/plain")));
    }

    [Fact]
    public async Task The_kernel_process_runs_the_ReadyToRun_copy_the_build_publishes()
    {
        var path = Path.Combine(Fixtures.TempFolder("ready-to-run"), "where.dib");
        File.WriteAllText(path, "#!csharp\n\nSystem.AppContext.BaseDirectory\n");
        var run = await new NotebookRunner().RunAsync(path);
        run.EnsureSucceeded();

        var folder = Assert.Single(run.Cells[0].Outputs).Mime("text/plain")!.TrimEnd('/');
        Assert.Equal("kernel", Path.GetFileName(folder));
        // precompiled: Roslyn and .NET Interactive carry native code (a ReadyToRun header), not IL only
        foreach (var assembly in new[] { "Microsoft.CodeAnalysis.CSharp.dll", "Microsoft.DotNet.Interactive.dll" })
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(folder, assembly)));
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} in {folder} is IL only");
        }
    }

    [Fact]
    public async Task Time_who_set_and_import_magics_work_in_cells()
    {
        var run = await Fixtures.RunAsync("magics.ipynb");
        run.EnsureSucceeded();

        // #!time: one text/plain output after the cell, worded as VS Code's kernel words it
        Assert.Matches(@"^Wall time: \d+(\.\d+)?ms$", Assert.Single(run.Cells[0].Outputs).Mime("text/plain"));

        // #!who: the kernel's HTML list of the variable names, in declaration order
        var who = Assert.Single(run.Cells[1].Outputs).Mime("text/html");
        Assert.NotNull(who);
        Assert.StartsWith("<div><div class=\"dni-plaintext\"><pre>[ shared", who);
        Assert.True(who.IndexOf("shared", StringComparison.Ordinal) < who.IndexOf("label", StringComparison.Ordinal), who);

        // #!set copies a value from the csharp kernel into a new variable; #!import runs another notebook's cells here
        Assert.Empty(run.Cells[2].Outputs);
        Assert.Equal(41, run.Variable<int>("copied"));
        Assert.Equal("imported\n", Assert.Single(run.Cells[3].Outputs).Text);
        Assert.Equal(1, run.Variable<int>("fromImport"));
        Assert.Equal(42, run.Variable<int>("total"));
    }
}
