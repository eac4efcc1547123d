namespace AeNotebooks.Runner.Tests;

/// <summary>#r "relative/path.dll" from the notebook's folder, with a dependency next to it that nobody names.</summary>
public class ReferenceTests
{
    [Theory]
    [InlineData("reference.ipynb")]
    [InlineData("reference.dib")]
    public async Task A_relative_reference_resolves_against_the_notebook_folder_and_its_dependency_is_found_next_to_it(string name)
    {
        // the notebook sits in a folder of its own, far from the test's working directory, with lib/ beside it
        var folder = FixtureLibrary.Folder;
        var path = Path.Combine(folder, name);
        File.Copy(Fixtures.PathOf(name), path, overwrite: true);

        var run = await new Execution.NotebookRunner().RunAsync(path);
        run.EnsureSucceeded();
        Assert.Equal("FixtureLib uses FixtureDep 42", run.Variable<string>("description"));
        Assert.Equal("FixtureLib uses FixtureDep 42", run.Cells[1].Outputs.Single().GetData("text/plain"));
        // both assemblies were loaded by the kernel process from the notebook's lib/ folder
        Assert.Equal(Path.Combine(folder, "lib", "FixtureLib.dll"), run.Variable<string>("libPath"));
        Assert.Equal(Path.Combine(folder, "lib", "FixtureDep.dll"), run.Variable<string>("depPath"));
    }
}
