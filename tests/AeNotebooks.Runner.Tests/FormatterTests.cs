using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Tests.FormatterFixtures;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// Formatters found by .NET Interactive's convention ([TypeFormatterSource], matched by name), on types of this
/// assembly #r'd by the fixture notebook, as the real kernel applies them with VS Code's preference for text/html.
/// </summary>
public class FormatterTests
{
    [Theory]
    [InlineData("formatters.ipynb")]
    [InlineData("formatters.dib")]
    public async Task Convention_formatters_render_values_in_the_mime_type_the_kernel_prefers(string name)
    {
        var run = await Fixtures.RunAsync(name);
        run.EnsureSucceeded();

        // a cell's value is formatted once, as text/html (the default mime type VS Code's kernel sets)
        var score = Assert.Single(run.Cells[1].Outputs);
        Assert.Equal([new KeyValuePair<string, string>("text/html", "<b>reconstruction</b>: 0.93")], score.Data);

        var chart = Assert.Single(run.Cells[2].Outputs);           // PreferredMimeTypes = text/html
        Assert.Equal([new KeyValuePair<string, string>("text/html", "<div class=\"chart\">loss</div>")], chart.Data);

        var plain = Assert.Single(run.Cells[3].Outputs);           // display(score, "text/plain") asks for the other formatter
        Assert.Equal([new KeyValuePair<string, string>("text/plain", "reconstruction = 0.93")], plain.Data);

        var derived = Assert.Single(run.Cells[4].Outputs);         // the attribute is inherited
        Assert.Equal("<b>derived</b>: 0.50", derived.Mime("text/html"));

        // Format returned false: the kernel falls back to its own HTML tree view, headed by ToString()
        var declined = Assert.Single(run.Cells[5].Outputs);
        Assert.Equal(["text/html"], declined.Data.Select(d => d.Key));
        Assert.StartsWith("<details open=\"open\" class=\"dni-treeview\"><summary><span class=\"dni-code-hint\"><code>plain fallback</code>", declined.Mime("text/html"));

        // a type the notebook did not declare is not shared as JSON: the variable has its type and text only
        var shared = run.Variables["score"];
        Assert.Equal(typeof(Score).FullName, shared.TypeName);
        Assert.Null(shared.Json);
        Assert.False(run.TryGetVariable<Score>("score", out _));
    }
}
