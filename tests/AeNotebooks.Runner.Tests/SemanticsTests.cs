using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Tests;

/// <summary>The C# kernel's semantics, on the same notebook in both formats.</summary>
public class SemanticsTests
{
    [Theory]
    [InlineData("semantics.ipynb")]
    [InlineData("semantics.dib")]
    public async Task Cells_share_state_show_trailing_values_and_capture_output(string name)
    {
        var run = await Fixtures.RunAsync(name);
        run.EnsureSucceeded();
        var cells = run.Cells;
        Assert.Equal(CellRunStatus.Skipped, cells[0].Status);
        Assert.All(cells.Skip(1), c => Assert.Equal(CellRunStatus.Succeeded, c.Status));
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (int?)i), cells.Skip(1).Select(c => c.ExecutionCount));

        // cell 3: Console.Out and Console.Error become stream outputs, in order, merged per stream
        var streams = cells[2].Outputs;
        Assert.Equal([("stdout", "hello\n"), ("stderr", "warn\n"), ("stdout", "a,b\n<script>alert('x')</script> & more\n")],
            streams.Select(o => (o.StreamName!, o.Text!)));

        // cell 4: a trailing expression is the result, in the kernel's HTML (VS Code's kernel prefers text/html; only
        // strings are text/plain); cell 5: a call returning bool, with a semicolon, shows nothing
        var result = Assert.Single(cells[3].Outputs);
        Assert.Equal(CellOutput.ExecuteResult, result.OutputType);
        Assert.Equal(["text/html"], result.Data.Select(d => d.Key));
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>2</pre></div><style>", result.Mime("text/html"));
        Assert.Equal(3, result.ExecutionCount);
        Assert.Empty(cells[4].Outputs);

        // cell 6: display() adds outputs. The helper's Update() publishes under an id never shown, so "second" was
        // appended (as VS Code does); cell 11's Update("third") uses that same id and replaced it, back in cell 6
        var displays = cells[5].Outputs;
        Assert.Equal(["first", null, "third"], displays.Select(o => o.Mime("text/plain")));
        Assert.Equal("<b>bold</b>", displays[1].Mime("text/html"));
        Assert.All(displays, o => Assert.Equal(CellOutput.DisplayData, o.OutputType));

        // cell 7: #!time, await at top level
        Assert.Matches(@"^Wall time: \d+(\.\d+)?ms$", Assert.Single(cells[6].Outputs).Mime("text/plain"));

        // cell 8: the working directory is the notebook's folder
        Assert.Equal("read from the notebook's folder\n", Assert.Single(cells[7].Outputs).Text);
        Assert.Equal(Path.GetFullPath(Fixtures.Folder), Path.GetFullPath(run.Variable<string>("cwd")));

        // cell 9: HTML() renders as text/html; cell 10: null is the kernel's "<null>", HTML-escaped
        Assert.Equal("<i>html</i>", Assert.Single(cells[8].Outputs).Mime("text/html"));
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>&lt;null&gt;</pre></div>", Assert.Single(cells[9].Outputs).Mime("text/html"));

        // cell 11: the Display() extension method: the kernel's tree view of an object
        Assert.StartsWith("<details open=\"open\" class=\"dni-treeview\"><summary><span class=\"dni-code-hint\"><code>{ Name = n, Value = 1.5 }</code>",
            Assert.Single(cells[10].Outputs).Mime("text/html"));

        // variables: the last declaration wins
        Assert.Equal("forty-two", run.Variable<string>("answer"));
        Assert.Equal(["a", "b"], run.Variable<List<string>>("words"));
        var missing = Assert.Throws<KeyNotFoundException>(() => run.Variable<int>("nope"));
        Assert.Contains("greeting", missing.Message);
        Assert.Throws<InvalidCastException>(() => run.Variable<int>("greeting"));
    }

    [Fact]
    public async Task The_executed_notebook_records_outputs_counts_and_timings()
    {
        var run = await Fixtures.RunAsync("semantics.ipynb");
        var text = NotebookFile.SerializeIpynb(run.Notebook);
        var back = NotebookFile.Parse(text, NotebookFormat.Ipynb);
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>2</pre></div>", back.Cells[3].Outputs.Single().GetData("text/html"));
        Assert.Equal(3, back.Cells[3].ExecutionCount);
        using var json = System.Text.Json.JsonDocument.Parse(text);
        var cell = json.RootElement.GetProperty("cells")[3].GetProperty("metadata").GetProperty("aenotebooks");
        Assert.True(cell.GetProperty("durationMs").GetDouble() > 0);
        Assert.Equal("ok", cell.GetProperty("status").GetString());
        Assert.Equal("succeeded", json.RootElement.GetProperty("metadata").GetProperty("aenotebooks").GetProperty("status").GetString());
        // the source notebook is untouched
        Assert.All(NotebookFile.Load(Fixtures.PathOf("semantics.ipynb")).Cells, c => Assert.Empty(c.Outputs));
    }

    [Fact]
    public async Task A_csharp_kernel_selector_at_the_top_of_a_cell_is_allowed()
    {
        var nb = NotebookFile.Parse("#!csharp\n\nvar a = 1;", NotebookFormat.Dib);
        nb.Cells.Add(new NotebookCell { Kind = CellKind.Code, Source = "#!csharp\na + 1", Language = "csharp" });
        var run = await new NotebookRunner().RunAsync(nb);
        run.EnsureSucceeded();
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>2</pre></div>", run.Cells[1].Outputs.Single().GetData("text/html"));
    }

    [Fact]
    public async Task Notebooks_run_side_by_side_keep_their_own_state_and_output()
    {
        var runner = new NotebookRunner();
        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
        {
            var nb = NotebookFile.Parse($"#!csharp\n\nvar id = {i};\nfor (var k = 0; k < 50; k++) Console.Write(id);\n\n#!csharp\n\nid", NotebookFormat.Dib);
            return runner.RunAsync(nb);
        }));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(i, runs[i].Variable<int>("id"));
            Assert.Equal(new string((char)('0' + i), 50), runs[i].Cells[0].Outputs.Single().Text);
        }
    }
}
