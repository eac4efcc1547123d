using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;

namespace AeNotebooks.Runner.Tests;

public class ParameterTests
{
    static RunnerOptions With(params (string Name, string Value)[] p) =>
        new() { Parameters = p.ToDictionary(x => x.Name, x => x.Value) };

    [Theory]
    [InlineData("parameters.ipynb")]
    [InlineData("parameters.dib")]
    public async Task Without_parameters_the_declared_values_are_used(string name)
    {
        var run = await Fixtures.RunAsync(name);
        run.EnsureSucceeded();
        Assert.Equal("full: 10 epochs at 0.01 (scale 1.5, verbose False, window 1s)", run.Variable<string>("summary"));
        Assert.Empty(run.Notes);
    }

    [Theory]
    [InlineData("parameters.ipynb")]
    [InlineData("parameters.dib")]
    public async Task Parameters_replace_the_declared_values_keeping_their_types(string name)
    {
        var run = await Fixtures.RunAsync(name, With(
            ("epochs", "2"), ("learningRate", "1e-3"), ("label", "short \"CI\" run"), ("verbose", "true"), ("scale", "2"),
            ("window", "TimeSpan.FromMilliseconds(250)"), ("unknown", "1")));
        run.EnsureSucceeded();
        Assert.Equal("short \"CI\" run: 2 epochs at 0.001 (scale 2, verbose True, window 0.25s)", run.Variable<string>("summary"));
        Assert.Equal("System.Int32", run.Variables["epochs"].TypeName);
        Assert.Equal("System.Double", run.Variables["learningRate"].TypeName);
        Assert.Equal("System.Single", run.Variables["scale"].TypeName);
        Assert.Equal(["epochs", "label", "learningRate", "scale", "verbose", "window"], run.AppliedParameters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"--param unknown ignored: cell 2 (parameters) declares no variable 'unknown'", Assert.Single(run.Notes));

        // papermill's way: the parameters cell is unchanged, a new cell after it assigns the values, and ran as a cell
        var original = NotebookFile.Load(Fixtures.PathOf(name));
        Assert.Equal(original.Cells[1].Source, run.Notebook.Cells[1].Source);
        Assert.Equal(original.Cells.Count + 1, run.Notebook.Cells.Count);
        var injected = run.Notebook.Cells[2];
        Assert.Equal(["injected-parameters"], injected.Tags);
        Assert.Equal("// Injected parameters\nepochs = 2;\nlearningRate = 0.001d;\nlabel = \"short \\\"CI\\\" run\";\nverbose = true;\nscale = 2f;\nwindow = TimeSpan.FromMilliseconds(250);",
            injected.Source);
        Assert.Equal(CellRunStatus.Succeeded, run.Cells[2].Status);
        Assert.Equal("2", injected.RunMetadata!["injectedParameters"]!["epochs"]!.GetValue<string>());
        // the cells after it moved down by one
        Assert.Equal(CellRunStatus.Succeeded, run.Cells[3].Status);
        Assert.Contains("var summary", run.Cells[3].Cell.Source);
    }

    [Fact]
    public async Task The_executed_ipynb_written_by_the_cli_has_the_injected_parameters_cell_with_its_tag()
    {
        var outDir = Fixtures.TempFolder("cli-param");
        var stdout = new StringWriter();
        var code = await Task.Run(() => Cli.Program.Run(["run", Fixtures.PathOf("parameters.ipynb"), "--out", outDir, "--param", "epochs=3", "--param", "label=cli"], stdout, TextWriter.Null));
        Assert.True(code == 0, stdout.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "parameters.ipynb")));
        var cells = json.RootElement.GetProperty("cells").EnumerateArray().ToList();
        string Source(System.Text.Json.JsonElement c) => c.GetProperty("source").ValueKind == System.Text.Json.JsonValueKind.Array
            ? string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString())) : c.GetProperty("source").GetString()!;
        string[] Tags(System.Text.Json.JsonElement c) => c.GetProperty("metadata").TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
        Assert.Equal(["parameters"], Tags(cells[1]));
        Assert.Equal(["injected-parameters"], Tags(cells[2]));
        Assert.Equal("// Injected parameters\nepochs = 3;\nlabel = \"cli\";", Source(cells[2]));
        // the values took effect: the summary cell's result
        Assert.Contains("cli: 3 epochs at 0.01", Source(cells[3]) + string.Concat(cells[3].GetProperty("outputs").EnumerateArray().Select(o => o.ToString())));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_fails_the_parameters_cell_at_its_line()
    {
        var run = await Fixtures.RunAsync("parameters.ipynb", With(("epochs", "ten")));
        var error = run.FailedCell!.Error!;
        Assert.Equal((2, 1), (error.CellNumber, error.Line));
        Assert.Equal("ParameterError", error.Kind);
        Assert.Equal("cell 2, line 1: parameter 'epochs': 'ten' is not a valid int", error.Summary);
        Assert.Equal(CellRunStatus.NotRun, run.Cells[2].Status);
    }

    [Fact]
    public async Task Without_a_parameters_cell_parameters_are_ignored_with_a_note()
    {
        var run = await Fixtures.RunAsync("compile-error.ipynb", With(("epochs", "1")));
        Assert.Equal("--param epochs ignored: no cell is tagged 'parameters'", Assert.Single(run.Notes));
    }
}
