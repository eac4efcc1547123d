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
        Assert.IsType<int>(run.Variables["epochs"]);
        Assert.IsType<double>(run.Variables["learningRate"]);
        Assert.IsType<float>(run.Variables["scale"]);
        Assert.Equal(["epochs", "label", "learningRate", "scale", "verbose", "window"], run.AppliedParameters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"--param unknown ignored: cell 2 (parameters) declares no variable 'unknown'", Assert.Single(run.Notes));

        // the executed notebook shows the code that ran and which values were injected
        var cell = run.Notebook.Cells[1];
        Assert.Contains("var epochs = 2;", cell.Source);
        Assert.Contains("double learningRate = 0.001d;", cell.Source);
        Assert.Contains("var label = \"short \\\"CI\\\" run\";", cell.Source);
        Assert.Equal("2", cell.RunMetadata!["injectedParameters"]!["epochs"]!.GetValue<string>());
        Assert.Contains("\"parameters\": {", NotebookFile.SerializeIpynb(run.Notebook));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_fails_the_parameters_cell_at_its_line()
    {
        var run = await Fixtures.RunAsync("parameters.ipynb", With(("epochs", "ten")));
        var error = run.FailedCell!.Error!;
        Assert.Equal((2, 1), (error.CellNumber, error.Line));
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
