using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// Packages can carry kernel extensions (interactive-extensions/dotnet/*.dll) that VS Code's kernel loads after
/// #r "nuget: …"; the kernel packages have no loader of their own, so the runner's kernel set-up must do it.
/// </summary>
public class KernelExtensionTests
{
    [Fact]
    public async Task A_package_with_a_kernel_extension_gets_it_loaded_after_its_nuget_reference()
    {
        var nb = new Notebook { Format = NotebookFormat.Ipynb };
        nb.Cells.Add(new NotebookCell { Kind = CellKind.Code, Source = "#r \"nuget: Plotly.NET.Interactive, 6.0.0\"" });
        // the extension registers an HTML formatter for Plotly.NET's chart type; without it the kernel would pick its
        // formatter for any object (whose Type is System.Object)
        nb.Cells.Add(new NotebookCell { Kind = CellKind.Code, Source =
            "Microsoft.DotNet.Interactive.Formatting.Formatter.GetPreferredFormatterFor(typeof(Plotly.NET.GenericChart), \"text/html\").Type.FullName" });

        var run = await new NotebookRunner(new RunnerOptions { CellTimeout = TimeSpan.FromMinutes(5) }).RunAsync(nb);

        run.EnsureSucceeded();
        var loaded = run.Cells[0].Outputs.Select(o => o.ToText()).ToList();
        Assert.Contains(loaded, t => t.StartsWith("Loading extensions from `", StringComparison.Ordinal) &&
                                     t.Contains("interactive-extensions/dotnet/Plotly.NET.Interactive.dll", StringComparison.Ordinal));
        Assert.Equal("Plotly.NET.GenericChart", run.Cells[1].Outputs.Single().ToText());
    }
}
