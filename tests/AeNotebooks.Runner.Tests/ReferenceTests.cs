using System.Runtime.Loader;

namespace AeNotebooks.Runner.Tests;

/// <summary>#r "relative/path.dll" from the notebook's folder, with a dependency next to it.</summary>
public class ReferenceTests
{
    [Theory]
    [InlineData("reference.ipynb")]
    [InlineData("reference.dib")]
    public async Task An_assembly_next_to_the_notebook_and_its_dependency_load(string name)
    {
        var folder = FixtureLibrary.Folder;
        var path = Path.Combine(folder, name);
        File.Copy(Fixtures.PathOf(name), path, overwrite: true);

        var run = await new Execution.NotebookRunner().RunAsync(path);
        run.EnsureSucceeded();
        Assert.Equal("FixtureLib uses FixtureDep 42", run.Variable<string>("description"));
        Assert.Equal("FixtureLib uses FixtureDep 42", run.Cells[1].Outputs.Single().GetData("text/plain"));
        Assert.Equal("Default", run.Variable<string>("context"));
        var loaded = AssemblyLoadContext.Default.Assemblies.Where(a => a.GetName().Name is "FixtureLib" or "FixtureDep").ToList();
        Assert.Equal(2, loaded.Count);
        Assert.All(loaded, a => Assert.StartsWith(Path.Combine(folder, "lib"), a.Location));
    }
}
