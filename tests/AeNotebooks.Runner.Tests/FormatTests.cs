using System.Text.Json.Nodes;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Tests;

public class FormatTests
{
    [Fact]
    public void Ipynb_cells_kinds_languages_tags_and_outputs_are_read()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("roundtrip-polyglot.ipynb"));
        Assert.Equal(NotebookFormat.Ipynb, nb.Format);
        Assert.Equal("csharp", nb.DefaultKernelName);
        Assert.Equal([CellKind.Markdown, CellKind.Code, CellKind.Code, CellKind.Code, CellKind.Raw, CellKind.Code], nb.Cells.Select(c => c.Kind));
        Assert.Equal("csharp", nb.Cells[1].Language);
        Assert.Equal(["setup", "parameters"], nb.Cells[1].Tags);
        Assert.Equal(3, nb.Cells[1].ExecutionCount);
        Assert.StartsWith("# Round trip: café — ✓ 𝔘\n", nb.Cells[0].Source);

        var outputs = nb.Cells[1].Outputs;
        Assert.Equal(["stream", "display_data", "execute_result", "display_data"], outputs.Select(o => o.OutputType));
        Assert.Equal("6\n", outputs[0].Text);
        Assert.Equal("<table>\n<tr><td>1</td></tr>\n</table>", outputs[1].GetData("text/html"));
        Assert.Equal(3, outputs[2].ExecutionCount);
        var error = nb.Cells[2].Outputs.Single();
        Assert.Equal(("Error", "System.Exception: bad"), (error.EName, error.EValue));
        Assert.Equal(2, error.Traceback.Count);
        var json = nb.Cells[3].Outputs.Single().GetData("application/json")!;
        Assert.Equal(2.5, JsonNode.Parse(json)!["nested"]!["list"]![1]!.GetValue<double>());
    }

    [Fact]
    public void Dib_sections_split_on_kernel_names_only()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("roundtrip-polyglot.dib"));
        Assert.Equal(NotebookFormat.Dib, nb.Format);
        Assert.Equal(["markdown", "csharp", "fsharp", "csharp"], nb.Cells.Select(c => c.Language));
        Assert.Contains("#!notakernel stays here", nb.Cells[0].Source);
        Assert.StartsWith("#!time\nvar xs", nb.Cells[1].Source);
        Assert.EndsWith("Console.WriteLine(xs.Sum());   ", nb.Cells[1].Source);
        Assert.Equal("// last cell", nb.Cells[3].Source);
    }

    [Fact]
    public void A_dib_without_meta_defaults_to_csharp()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("no-meta.dib"));
        Assert.Equal(["csharp", "markdown"], nb.Cells.Select(c => c.Language));
        Assert.Equal("var fromOldDib = 7;", nb.Cells[0].Source);
        Assert.Equal("Text.", nb.Cells[1].Source);
    }

    [Fact]
    public void A_dib_converts_to_ipynb_with_Polyglot_metadata()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("roundtrip-polyglot.dib"));
        var text = NotebookFile.SerializeIpynb(nb);
        var root = JsonNode.Parse(text)!;
        Assert.Equal(4, root["nbformat"]!.GetValue<int>());
        Assert.Equal(5, root["nbformat_minor"]!.GetValue<int>());
        Assert.Equal(".net-csharp", root["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal("csharp", root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>());
        Assert.Equal("fsharp", root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["items"]![1]!["name"]!.GetValue<string>());
        var code = root["cells"]![1]!;
        Assert.Equal("code", code["cell_type"]!.GetValue<string>());
        Assert.Equal("csharp", code["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
        Assert.Equal("csharp", code["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        Assert.Equal("fsharp", root["cells"]![2]!["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        Assert.Equal("markdown", root["cells"]![0]!["cell_type"]!.GetValue<string>());
        Assert.EndsWith("}\n", text);

        // and reads back to the same cells
        var back = NotebookFile.Parse(text, NotebookFormat.Ipynb);
        Assert.Equal(nb.Cells.Select(c => (c.Kind, c.Language, c.Source)), back.Cells.Select(c => (c.Kind, c.Language, c.Source)));
    }

    [Theory]
    [InlineData("malformed.ipynb", "not valid JSON")]
    [InlineData("malformed-nbformat.ipynb", "nbformat 3 is not supported")]
    [InlineData("malformed-cell.ipynb", "cell 1 has an unknown cell_type 'bogus'")]
    [InlineData("malformed-meta.dib", "#!meta section is not valid JSON")]
    public void Malformed_notebooks_name_the_file_and_the_problem(string name, string problem)
    {
        var path = Fixtures.PathOf(name);
        var e = Assert.Throws<NotebookFormatException>(() => NotebookFile.Load(path));
        Assert.Contains(problem, e.Problem);
        Assert.Contains(name, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_missing_notebook_is_reported_as_missing()
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookFile.Load(Path.Combine(Fixtures.Folder, "nope.ipynb")));
        Assert.Equal("file not found", e.Problem);
        Assert.Contains("nope.ipynb", e.Message);
    }
}
