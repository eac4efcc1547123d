using System.Text.Json.Nodes;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Documents;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// Reading then writing a notebook without running it keeps what it means: cells, kinds, languages, sources, tags,
/// outputs and metadata. The text is what Microsoft.DotNet.Interactive.Documents writes, not the bytes read.
/// </summary>
public class RoundTripTests
{
    public static IEnumerable<object[]> WellFormedFixtures() =>
        Directory.EnumerateFiles(Fixtures.Folder)
            .Where(NotebookFile.IsNotebookPath)
            .Where(f => !Path.GetFileName(f).StartsWith("malformed", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });

    public static IEnumerable<object[]> CourseNotebooks() =>
        Directory.EnumerateFiles(Path.Combine(Fixtures.RepoRoot, "notebooks"), "*.ipynb")
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(WellFormedFixtures))]
    public void Every_fixture_round_trips_and_is_written_as_Documents_writes(string name)
    {
        var path = Fixtures.PathOf(name);
        var nb = NotebookFile.Load(path);
        var written = NotebookFile.Serialize(nb);
        var back = NotebookFile.Parse(written, nb.Format, path);
        NotebookAssert.Same(nb, back);
        Assert.Equal(written, NotebookFile.Serialize(back));

        var copy = Path.Combine(Fixtures.TempFolder("roundtrip"), name);
        NotebookFile.Save(nb, copy);
        Assert.Equal(written, File.ReadAllText(copy));

        if (nb.Format == NotebookFormat.Ipynb)
        {
            var original = File.ReadAllText(path);
            NotebookAssert.JsonEqual(NotebookAssert.IpynbMetadata(original), NotebookAssert.IpynbMetadata(written), "notebook metadata");
            var cellsBefore = JsonNode.Parse(original)!["cells"]!.AsArray();
            var cellsAfter = JsonNode.Parse(written)!["cells"]!.AsArray();
            for (var i = 0; i < cellsBefore.Count; i++)
            {
                if (nb.Cells[i].Kind == CellKind.Raw) continue; // gains the raw kernel's name, see below
                NotebookAssert.JsonEqual(cellsBefore[i]!["metadata"], cellsAfter[i]!["metadata"], $"cell {i + 1} metadata");
                var outputs = cellsBefore[i]!["outputs"]?.AsArray() ?? [];
                for (var j = 0; j < outputs.Count; j++)
                    NotebookAssert.JsonEqual(outputs[j]!["metadata"], cellsAfter[i]!["outputs"]![j]!["metadata"], $"cell {i + 1} output {j + 1} metadata");
            }
            Assert.Equal(written, NotebookAssert.WrittenByDocuments(written));
        }
        else
        {
            Assert.Equal(written, CodeSubmission.Parse(written, NotebookAssert.DibKernels()).ToCodeSubmissionContent());
        }
    }

    [Theory]
    [MemberData(nameof(CourseNotebooks))]
    public void The_course_notebooks_keep_their_cells_tags_and_metadata(string name)
    {
        var path = Path.Combine(Fixtures.RepoRoot, "notebooks", name);
        var original = File.ReadAllText(path);
        var nb = NotebookFile.Load(path);
        Assert.Contains(nb.Cells, c => c.Tags.Contains("parameters"));
        var written = NotebookFile.Serialize(nb);
        var back = NotebookFile.Parse(written, NotebookFormat.Ipynb, path);

        NotebookAssert.Same(nb, back);
        var cells = JsonNode.Parse(original)!["cells"]!.AsArray();
        Assert.Equal(cells.Select(c => c!["cell_type"]!.GetValue<string>()), back.Cells.Select(c => c.Kind.ToString().ToLowerInvariant()));
        Assert.Equal(cells.Select(c => Source(c!["source"])), back.Cells.Select(c => c.Source));
        NotebookAssert.JsonEqual(NotebookAssert.IpynbMetadata(original), NotebookAssert.IpynbMetadata(written), "notebook metadata");
        var before = NotebookAssert.CellMetadata(original);
        var after = NotebookAssert.CellMetadata(written);
        for (var i = 0; i < before.Count; i++) NotebookAssert.JsonEqual(before[i], after[i], $"{name} cell {i + 1} metadata");
        // what Documents alone writes for this file
        Assert.Equal(NotebookAssert.WrittenByDocuments(original), written);
    }

    static string Source(JsonNode? source) =>
        source is JsonArray lines ? string.Concat(lines.Select(l => l!.GetValue<string>())) : source?.GetValue<string>() ?? "";

    [Fact]
    public void A_dib_is_written_as_CodeSubmission_writes_it()
    {
        var path = Fixtures.PathOf("roundtrip-polyglot.dib");
        var expected = CodeSubmission.Parse(File.ReadAllText(path), NotebookAssert.DibKernels()).ToCodeSubmissionContent();
        Assert.Equal(expected, NotebookFile.Serialize(NotebookFile.Load(path)));
        // Documents' order of kernel info properties, not the file's
        Assert.Contains("{\"name\":\"fsharp\",\"languageName\":\"F#\",\"aliases\":[\"f#\",\"fs\"]}", expected);

        var noMeta = Fixtures.PathOf("no-meta.dib");
        Assert.Equal("#!csharp\n\nvar fromOldDib = 7;\n\n#!markdown\n\nText.\n", NotebookFile.Serialize(NotebookFile.Load(noMeta)));
    }

    [Fact]
    public void Documents_keeps_ids_tags_counts_and_unknown_metadata_and_drops_unknown_fields()
    {
        const string text = """
            {
              "cells": [
                {
                  "cell_type": "code",
                  "id": "cell-1",
                  "execution_count": 7,
                  "metadata": {
                    "polyglot_notebook": { "kernelName": "csharp" },
                    "tags": ["parameters", "setup"],
                    "custom": { "n": 12, "ratio": 0.25, "list": [1, "a", true, null] },
                    "aenotebooks": { "status": "ok", "durationMs": 1.5 }
                  },
                  "attachments": { "a.png": { "image/png": "AAAA" } },
                  "outputs": [
                    { "output_type": "execute_result", "execution_count": 7, "data": { "text/plain": ["42"] }, "metadata": { "isolated": true } }
                  ],
                  "source": ["var n = 42;\n", "n"]
                },
                { "cell_type": "markdown", "id": "cell-2", "metadata": { "tags": ["intro"] }, "source": "# Title" },
                { "cell_type": "raw", "metadata": {}, "source": "raw text" }
              ],
              "metadata": {
                "kernelspec": { "display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp" },
                "aenotebooks": { "status": "succeeded" },
                "custom_key": { "keep": "me" }
              },
              "extra_top_level": 1,
              "nbformat": 4,
              "nbformat_minor": 4
            }
            """;
        var nb = NotebookFile.Parse(text, NotebookFormat.Ipynb);
        Assert.Equal("succeeded", nb.RunMetadata!["status"]!.GetValue<string>());
        Assert.Equal(["parameters", "setup"], nb.Cells[0].Tags);
        Assert.Equal(7, nb.Cells[0].ExecutionCount);
        Assert.Equal("ok", nb.Cells[0].RunMetadata!["status"]!.GetValue<string>());
        Assert.Equal(["intro"], nb.Cells[1].Tags);
        Assert.Equal([CellKind.Code, CellKind.Markdown, CellKind.Raw], nb.Cells.Select(c => c.Kind));

        var written = JsonNode.Parse(NotebookFile.Serialize(nb))!;
        var cell = written["cells"]![0]!;
        Assert.Equal("cell-1", cell["id"]!.GetValue<string>());
        Assert.Equal(7, cell["execution_count"]!.GetValue<int>());
        NotebookAssert.JsonEqual(JsonNode.Parse("""{ "n": 12, "ratio": 0.25, "list": [1, "a", true, null] }"""), cell["metadata"]!["custom"], "custom cell metadata");
        NotebookAssert.JsonEqual(JsonNode.Parse("""["parameters", "setup"]"""), cell["metadata"]!["tags"], "tags");
        NotebookAssert.JsonEqual(JsonNode.Parse("""{ "status": "ok", "durationMs": 1.5 }"""), cell["metadata"]!["aenotebooks"], "cell run metadata");
        Assert.Equal("csharp", cell["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>()); // added by Documents
        var output = cell["outputs"]![0]!;
        Assert.Equal(7, output["execution_count"]!.GetValue<int>());
        Assert.True(output["metadata"]!["isolated"]!.GetValue<bool>());
        Assert.Equal("cell-2", written["cells"]![1]!["id"]!.GetValue<string>());
        NotebookAssert.JsonEqual(JsonNode.Parse("""["intro"]"""), written["cells"]![1]!["metadata"]!["tags"], "markdown tags");
        Assert.Equal("succeeded", written["metadata"]!["aenotebooks"]!["status"]!.GetValue<string>());
        Assert.Equal("me", written["metadata"]!["custom_key"]!["keep"]!.GetValue<string>());

        // dropped by Documents: fields it does not know, and the nbformat_minor read
        Assert.Null(cell["attachments"]);
        Assert.Null(written["extra_top_level"]);
        Assert.Equal(5, written["nbformat_minor"]!.GetValue<int>());
    }

    [Fact]
    public void Documents_writes_null_result_counts_as_0_no_final_newline_and_no_empty_dib_cells()
    {
        var nb = NotebookFile.Parse("""
            { "cells": [ { "cell_type": "code", "metadata": {}, "source": "1",
                           "outputs": [ { "output_type": "execute_result", "execution_count": null, "data": { "text/plain": "1" }, "metadata": {} } ] } ],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5 }
            """, NotebookFormat.Ipynb);
        Assert.Null(nb.Cells[0].Outputs[0].ExecutionCount);
        var text = NotebookFile.Serialize(nb);
        Assert.Equal(0, JsonNode.Parse(text)!["cells"]![0]!["outputs"]![0]!["execution_count"]!.GetValue<int>());
        Assert.EndsWith("\"nbformat_minor\": 5\n}", text);

        var polyglot = NotebookFile.Load(Fixtures.PathOf("roundtrip-polyglot.ipynb"));
        Assert.Equal("", polyglot.Cells[^1].Source);
        polyglot.Format = NotebookFormat.Dib;
        var dibText = NotebookFile.Serialize(polyglot);
        Assert.StartsWith("#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"name\":\"csharp\"}]}}\n\n#!markdown\n", dibText);
        var dib = NotebookFile.Parse(dibText, NotebookFormat.Dib);
        Assert.Equal(polyglot.Cells.Count - 1, dib.Cells.Count);
    }

    [Fact]
    public void A_raw_cell_is_written_as_a_code_cell_in_the_raw_kernel_and_read_back_as_raw()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("roundtrip-polyglot.ipynb"));
        Assert.Equal(CellKind.Raw, nb.Cells[4].Kind);
        var raw = JsonNode.Parse(NotebookFile.Serialize(nb))!["cells"]![4]!;
        // Documents has no raw cells: it writes every cell that is not markdown as code
        Assert.Equal("code", raw["cell_type"]!.GetValue<string>());
        Assert.Equal("raw", raw["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        var back = NotebookFile.Parse(raw.Root.ToJsonString(), NotebookFormat.Ipynb);
        Assert.Equal((CellKind.Raw, "raw", "raw text\nstays raw"), (back.Cells[4].Kind, back.Cells[4].Language, back.Cells[4].Source));
        Assert.False(back.Cells[4].IsCode);
    }

    [Fact]
    public void Run_metadata_is_written_replaced_and_removed()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("compile-error.ipynb"));
        Assert.Null(nb.RunMetadata);
        nb.RunMetadata = new JsonObject { ["status"] = "failed", ["failedCell"] = 3 };
        nb.Cells[1].RunMetadata = new JsonObject { ["status"] = "ok", ["injectedParameters"] = new JsonObject { ["epochs"] = "2" } };
        var text = NotebookFile.Serialize(nb);
        var root = JsonNode.Parse(text)!;
        NotebookAssert.JsonEqual(JsonNode.Parse("""{ "status": "failed", "failedCell": 3 }"""), root["metadata"]!["aenotebooks"], "notebook run metadata");
        NotebookAssert.JsonEqual(JsonNode.Parse("""{ "status": "ok", "injectedParameters": { "epochs": "2" } }"""), root["cells"]![1]!["metadata"]!["aenotebooks"], "cell run metadata");

        var back = NotebookFile.Parse(text, NotebookFormat.Ipynb);
        Assert.Equal(3, back.RunMetadata!["failedCell"]!.GetValue<int>());
        Assert.Equal("2", back.Cells[1].RunMetadata!["injectedParameters"]!["epochs"]!.GetValue<string>());
        back.RunMetadata = null;
        back.Cells[1].RunMetadata = null;
        var cleared = JsonNode.Parse(NotebookFile.Serialize(back))!;
        Assert.Null(cleared["metadata"]!["aenotebooks"]);
        Assert.Null(cleared["cells"]![1]!["metadata"]!["aenotebooks"]);
        Assert.Equal(NotebookFile.Serialize(NotebookFile.Load(Fixtures.PathOf("compile-error.ipynb"))), NotebookFile.Serialize(back));
    }

    [Fact]
    public void Outputs_are_written_as_nbformat_outputs()
    {
        var png = Convert.ToBase64String([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var nb = new Notebook();
        var cell = new NotebookCell { Kind = CellKind.Code, Source = "Console.WriteLine(1);\n2", ExecutionCount = 4 };
        cell.Outputs.Add(CellOutput.StreamText("stdout", "1\nmore\n"));
        cell.Outputs.Add(CellOutput.Display([new("text/html", "<b>x</b>\n<i>y</i>"), new("image/png", png)]));
        cell.Outputs.Add(CellOutput.Display([new("text/plain", "2")], CellOutput.ExecuteResult, 4));
        cell.Outputs.Add(CellOutput.ErrorOutput("CompilationError", "CS0103: nope", ["line 1", "line 2"]));
        nb.Cells.Add(cell);
        nb.Cells.Add(new NotebookCell { Kind = CellKind.Markdown, Language = "markdown", Source = "# Notes" });

        var text = NotebookFile.SerializeIpynb(nb);
        var outputs = JsonNode.Parse(text)!["cells"]![0]!["outputs"]!;
        NotebookAssert.JsonEqual(JsonNode.Parse("""{ "name": "stdout", "output_type": "stream", "text": ["1\n", "more\n"] }"""), outputs[0], "stream");
        NotebookAssert.JsonEqual(JsonNode.Parse($$"""{ "data": { "text/html": ["<b>x</b>\n", "<i>y</i>"], "image/png": ["{{png}}"] }, "metadata": {}, "output_type": "display_data" }"""), outputs[1], "display_data");
        NotebookAssert.JsonEqual(JsonNode.Parse("""{ "data": { "text/plain": ["2"] }, "execution_count": 4, "metadata": {}, "output_type": "execute_result" }"""), outputs[2], "execute_result");
        NotebookAssert.JsonEqual(JsonNode.Parse("""{ "ename": "CompilationError", "evalue": "CS0103: nope", "output_type": "error", "traceback": ["line 1", "line 2"] }"""), outputs[3], "error");
        Assert.Equal(".net-csharp", JsonNode.Parse(text)!["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());

        NotebookAssert.Same(nb, NotebookFile.Parse(text, NotebookFormat.Ipynb));
    }

    [Fact]
    public void A_json_output_read_as_an_object_is_written_as_its_json_text()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("roundtrip-polyglot.ipynb"));
        var json = nb.Cells[3].Outputs.Single().GetData("application/json");
        Assert.Equal("""{"a":1,"nested":{"empty":{},"list":[1,2.5,true,null]}}""", json);
        // Documents writes mime data only as lines of text
        var data = JsonNode.Parse(NotebookFile.Serialize(nb))!["cells"]![3]!["outputs"]![0]!["data"]!;
        NotebookAssert.JsonEqual(new JsonArray(json), data["application/json"], "application/json");
        Assert.Equal(nb.Cells[3].Outputs.Single().GetData("image/png"), data["image/png"]![0]!.GetValue<string>());
    }

    [Fact]
    public void Changing_a_cell_changes_only_that_cell()
    {
        var path = Fixtures.PathOf("compile-error.ipynb");
        var before = NotebookFile.Serialize(NotebookFile.Load(path));
        var nb = NotebookFile.Load(path);
        nb.Cells[3].Source = "var d = 5;";
        var after = NotebookFile.Serialize(nb);
        Assert.Contains("\"var d = 4;\"", before);
        Assert.Equal(before.Replace("\"var d = 4;\"", "\"var d = 5;\""), after);
    }

    [Fact]
    public void A_clone_is_written_like_the_original_and_is_independent()
    {
        var nb = NotebookFile.Load(Fixtures.PathOf("roundtrip-polyglot.ipynb"));
        var text = NotebookFile.Serialize(nb);
        var clone = nb.Clone();
        Assert.Equal(text, NotebookFile.Serialize(clone));
        clone.Cells[1].Tags.Clear();
        clone.Cells[1].Outputs.Clear();
        clone.RunMetadata = new JsonObject { ["status"] = "x" };
        Assert.Equal(text, NotebookFile.Serialize(nb));
        Assert.NotEqual(text, NotebookFile.Serialize(clone));
    }
}
