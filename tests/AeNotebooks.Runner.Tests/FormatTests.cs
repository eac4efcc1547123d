using System.Text.Json.Nodes;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Documents;

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
        Assert.Equal("polyglot-notebook", root["metadata"]!["language_info"]!["name"]!.GetValue<string>());
        Assert.Equal("csharp", root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>());
        Assert.Equal("fsharp", root["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["items"]![1]!["name"]!.GetValue<string>());
        var code = root["cells"]![1]!;
        Assert.Equal("code", code["cell_type"]!.GetValue<string>());
        Assert.Equal("csharp", code["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
        Assert.Equal("csharp", code["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        Assert.Equal("fsharp", root["cells"]![2]!["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        Assert.Equal("markdown", root["cells"]![0]!["cell_type"]!.GetValue<string>());
        // what Documents writes: reading and writing it with Documents alone changes nothing
        Assert.Equal(NotebookAssert.WrittenByDocuments(text), text);

        // and reads back to the same cells
        var back = NotebookFile.Parse(text, NotebookFormat.Ipynb);
        Assert.Equal(nb.Cells.Select(c => (c.Kind, c.Language, c.Source)), back.Cells.Select(c => (c.Kind, c.Language, c.Source)));
    }

    [Fact]
    public void An_ipynb_converts_to_a_dib_with_its_kernel_info()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("semantics.ipynb"));
        var path = Path.Combine(Fixtures.TempFolder("to-dib"), "semantics.dib");
        NotebookFile.Save(nb, path);
        var text = File.ReadAllText(path);
        Assert.StartsWith("#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"name\":\"csharp\"}]}}\n\n#!markdown\n\n", text);
        Assert.Equal(CodeSubmission.Parse(text, NotebookAssert.DibKernels()).ToCodeSubmissionContent(), text);
        var back = NotebookFile.Load(path);
        Assert.Equal(nb.Cells.Select(c => (c.Kind, c.Language, c.Source)), back.Cells.Select(c => (c.Kind, c.Language, c.Source)));
        Assert.All(back.Cells, c => Assert.Empty(c.Outputs));
    }

    [Theory]
    [InlineData("malformed.ipynb", "not valid JSON (line 6, column 1)")]
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

    [Theory]
    [InlineData("null", "not a notebook: the JSON document is not an object")]
    [InlineData("[]", "not a notebook: the JSON document is not an object")]
    [InlineData("{}", "not a notebook: \"nbformat\" is missing")]
    [InlineData("""{"nbformat": 4}""", "not a notebook: \"cells\" is missing or not an array")]
    [InlineData("""{"nbformat": 4, "cells": [1]}""", "cell 1 is not a JSON object")]
    [InlineData("""{"nbformat": 4, "cells": [{"source": ""}]}""", "cell 1 has no \"cell_type\"")]
    [InlineData("""{"nbformat": 4, "cells": [], "cells": []}""", "not valid JSON: Duplicate property 'cells'")]
    [InlineData("""{"nbformat": 4, "cells": [],}""", "not valid JSON (line 1, column ")]
    // valid JSON shaped as a notebook that Documents refuses: its exception is wrapped
    [InlineData("""{"nbformat": 4, "cells": [{"cell_type": "code", "outputs": [{"output_type": "weird"}]}]}""", "not a notebook: Unrecognized output_type: 'weird'")]
    [InlineData("""{"nbformat": 4, "cells": [], "metadata": "none"}""", "not a notebook: Cannot deserialize IDictionary`2, expecting StartObject but found String")]
    [InlineData("""{"nbformat": 4, "cells": [{"cell_type": "code", "source": [1]}]}""", "not a notebook: The JSON value could not be converted to System.String.")]
    public void Json_that_is_not_a_notebook_is_refused(string text, string problem)
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookFile.Parse(text, NotebookFormat.Ipynb, "/x/bad.ipynb"));
        Assert.StartsWith(problem, e.Problem);
        Assert.StartsWith("/x/bad.ipynb: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("#!meta\n\n[1]\n\n#!csharp\n\n1", "the #!meta section is not valid JSON")]
    [InlineData("#!meta\n\n{\"kernelInfo\":{\"items\":[{\"name\":\"#!bad\"}]}}\n\n#!csharp\n\n1", "the #!meta section is not valid: Kernel names or aliases cannot begin with \"#\"")]
    public void A_dib_with_a_bad_meta_section_is_refused(string text, string problem)
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookFile.Parse(text, NotebookFormat.Dib, "/x/bad.dib"));
        Assert.StartsWith(problem, e.Problem);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_missing_notebook_is_reported_as_missing()
    {
        var e = Assert.Throws<NotebookFormatException>(() => NotebookFile.Load(Path.Combine(Fixtures.Folder, "nope.ipynb")));
        Assert.Equal("file not found", e.Problem);
        Assert.Contains("nope.ipynb", e.Message);
    }

    [Fact]
    public void A_folder_another_extension_and_non_UTF8_text_are_refused()
    {
        var dir = Fixtures.TempFolder("not-notebooks");
        var folder = Directory.CreateDirectory(Path.Combine(dir, "folder.ipynb")).FullName;
        Assert.Equal("is a folder, not a notebook", Assert.Throws<NotebookFormatException>(() => NotebookFile.Load(folder)).Problem);

        var txt = Path.Combine(dir, "notes.txt");
        File.WriteAllText(txt, "{}");
        Assert.StartsWith("not a notebook", Assert.Throws<NotebookFormatException>(() => NotebookFile.Load(txt)).Problem);

        var latin1 = Path.Combine(dir, "latin1.ipynb");
        File.WriteAllBytes(latin1, [(byte)'{', (byte)'"', 0xE9, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        var e = Assert.Throws<NotebookFormatException>(() => NotebookFile.Load(latin1));
        Assert.Equal("is not UTF-8 text", e.Problem);
        Assert.Contains("latin1.ipynb", e.Message);
    }

    [Fact]
    public void A_UTF8_byte_order_mark_is_read_and_not_written()
    {
        var dir = Fixtures.TempFolder("bom");
        var path = Path.Combine(dir, "bom.ipynb");
        File.WriteAllText(path, File.ReadAllText(Fixtures.PathOf("semantics.ipynb")), new System.Text.UTF8Encoding(true));
        var nb = NotebookFile.Load(path);
        Assert.Equal(12, nb.Cells.Count);
        var copy = Path.Combine(dir, "copy.ipynb");
        NotebookFile.Save(nb, copy);
        Assert.Equal((byte)'{', File.ReadAllBytes(copy)[0]);
    }
}
