using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Tests.FormatterFixtures;

namespace AeNotebooks.Runner.Tests;

/// <summary>Formatters found by .NET Interactive's convention, on types of this assembly #r'd by the fixture notebook.</summary>
public class FormatterTests
{
    [Theory]
    [InlineData("formatters.ipynb")]
    [InlineData("formatters.dib")]
    public async Task Convention_formatters_render_values_with_every_mime_type_they_produce(string name)
    {
        var run = await Fixtures.RunAsync(name);
        run.EnsureSucceeded();

        var score = Assert.Single(run.Cells[1].Outputs);
        Assert.Equal(["text/html", "text/plain"], score.Data.Select(d => d.Key));
        Assert.Equal("<b>reconstruction</b>: 0.93", score.Mime("text/html"));
        Assert.Equal("reconstruction = 0.93", score.Mime("text/plain"));

        var chart = Assert.Single(run.Cells[2].Outputs);           // PreferredMimeTypes = text/html
        Assert.Equal(["text/html"], chart.Data.Select(d => d.Key));
        Assert.Equal("<div class=\"chart\">loss</div>", chart.Mime("text/html"));

        var plain = Assert.Single(run.Cells[3].Outputs);           // display(score, "text/plain")
        Assert.Equal(["text/plain"], plain.Data.Select(d => d.Key));
        Assert.Equal("reconstruction = 0.93", plain.Mime("text/plain"));

        var derived = Assert.Single(run.Cells[4].Outputs);         // the attribute is inherited
        Assert.Equal("<b>derived</b>: 0.50", derived.Mime("text/html"));

        var declined = Assert.Single(run.Cells[5].Outputs);        // Format returned false: text/plain fallback
        Assert.Equal(["text/plain"], declined.Data.Select(d => d.Key));
        Assert.Equal("plain fallback", declined.Mime("text/plain"));

        // the notebook's objects are this assembly's types (one copy of the assembly in the process)
        Assert.Equal(0.93, run.Variable<Score>("score").Value);
    }
}
