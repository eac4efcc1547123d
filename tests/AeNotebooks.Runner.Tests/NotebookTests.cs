using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Execution;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// One test per notebook in the repository's notebooks/ folder: it runs headless through the runner's API and
/// fails with the failing cell's error. While notebooks/ has none, the sample fixture proves the path.
/// Add outcome checks for a notebook to <see cref="Expectations"/> (they read the notebook's variables).
/// </summary>
public class NotebookTests
{
    const string Sample = "sample-runner-check.ipynb";

    static readonly Dictionary<string, Action<NotebookRun>> Expectations = new(StringComparer.Ordinal)
    {
        [Sample] = run =>
        {
            Assert.InRange(run.Variable<double>("finalLoss"), 0, 1e-3);
            Assert.Equal(200, run.Variable<int>("steps"));
            Assert.Equal(200.0, run.Variable<double>("steps")); // numeric variables convert
        },
        ["03-why-not-zero-loss.ipynb"] = run =>
        {
            Assert.InRange(run.Variable<double>("linearFinal"), 0, 1e-5);
            double floor = run.Variable<double>("floor"), bce = run.Variable<double>("bceFinal");
            Assert.InRange(floor, 0.49, 0.51);
            Assert.True(Math.Abs(bce - floor) <= 0.02 * floor, $"sigmoid + BCE ended at {bce}, not within 2% of the floor {floor}");
            Assert.InRange(run.Variable<double>("coinFinal"), 0, 0.05);
            double iid = run.Variable<double>("iidBottleneckLoss"), redundant = run.Variable<double>("redundantBottleneckLoss");
            Assert.True(redundant * 100 <= iid, $"redundant-data bottleneck loss {redundant} is not 100× below the iid one {iid}");
        },
        ["05-nan-validation-loss.ipynb"] = run =>
        {
            // roads A–D: NaN in the data, overflow with an unbounded output, log in a loss, 0/0 in preprocessing
            var steps = run.Variable<int[]>("roadSteps");
            var places = run.Variable<string[]>("roadPlaces");
            var ops = run.Variable<string[]>("roadOps");
            Assert.All(steps, s => Assert.True(s >= 0, "every road must produce a non-finite loss"));
            Assert.Equal("the input batch", places[0]);
            Assert.StartsWith("layer ", places[1]);
            Assert.Equal("linear", ops[1]);
            Assert.StartsWith("the loss", places[2]);
            Assert.Equal("log", ops[2]);
            Assert.Equal(("the input batch", 0), (places[3], steps[3]));
            Assert.True(run.Variable<bool>("fixesFinite"), "every fix must keep training and validation losses finite for the whole run");
            Assert.Equal(run.Variable<double>("bestValidation"), run.Variable<double>("restoredValidation"), 6);
        },
    };

    public static IEnumerable<object[]> Notebooks()
    {
        var folder = Path.Combine(Fixtures.RepoRoot, "notebooks");
        var found = Directory.Exists(folder) ? BatchRunner.Expand([folder], []) : [];
        if (found.Count == 0)
        {
            yield return [Path.Combine("tests", "AeNotebooks.Runner.Tests", "Fixtures", Sample)];
            yield break;
        }
        foreach (var f in found) yield return [Path.GetRelativePath(Fixtures.RepoRoot, f)];
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_headless(string notebook)
    {
        var run = await new NotebookRunner().RunAsync(Path.Combine(Fixtures.RepoRoot, notebook));
        run.EnsureSucceeded();
        if (Expectations.TryGetValue(Path.GetFileName(notebook), out var expect)) expect(run);
    }

    [Fact]
    public async Task The_sample_accepts_parameters_for_a_short_run()
    {
        var run = await new NotebookRunner(new RunnerOptions { Parameters = new Dictionary<string, string> { ["steps"] = "3" } })
            .RunAsync(Fixtures.PathOf(Sample));
        var error = run.FailedCell!.Error!;
        Assert.Equal(5, error.CellNumber);
        Assert.Contains("did not converge", error.Summary);
        Assert.Equal(3, run.Variable<int>("steps"));
        Assert.True(run.Variable<double>("finalLoss") > 1e-3);
    }
}
