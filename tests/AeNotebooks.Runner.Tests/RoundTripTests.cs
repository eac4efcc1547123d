using System.Text;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Tests;

/// <summary>Reading then writing a notebook without running it changes nothing, byte for byte.</summary>
public class RoundTripTests
{
    public static IEnumerable<object[]> WellFormedFixtures() =>
        Directory.EnumerateFiles(Fixtures.Folder)
            .Where(NotebookFile.IsNotebookPath)
            .Where(f => !Path.GetFileName(f).StartsWith("malformed", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(WellFormedFixtures))]
    public void Every_fixture_is_written_back_byte_for_byte(string name)
    {
        var path = Fixtures.PathOf(name);
        var original = File.ReadAllBytes(path);
        var nb = NotebookFile.Load(path);

        var written = Encoding.UTF8.GetBytes(NotebookFile.Serialize(nb));
        Assert.Equal(Encoding.UTF8.GetString(original), Encoding.UTF8.GetString(written));

        var copy = Path.Combine(Fixtures.TempFolder("roundtrip"), name);
        NotebookFile.Save(nb, copy);
        Assert.Equal(original, File.ReadAllBytes(copy));
    }

    [Fact]
    public void The_ipynb_fixture_is_what_VS_Code_writes_and_survives_a_clone()
    {
        var path = Fixtures.PathOf("roundtrip-polyglot.ipynb");
        var text = File.ReadAllText(path);
        Assert.StartsWith("{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",", text);
        Assert.EndsWith("\"nbformat_minor\": 5\n}\n", text);
        var nb = NotebookFile.Load(path).Clone();
        Assert.Equal(text, NotebookFile.Serialize(nb));
    }

    [Fact]
    public void Other_layouts_round_trip_too_crlf_tabs_bom_and_no_trailing_newline()
    {
        var text = File.ReadAllText(Fixtures.PathOf("semantics.ipynb"));
        var variants = new[]
        {
            text.Replace("\n", "\r\n"),
            text.TrimEnd('\n'),
            string.Join("\n", text.Split('\n').Select(IndentWithTabs)),
        };
        foreach (var variant in variants)
        {
            var nb = NotebookFile.Parse(variant, NotebookFormat.Ipynb);
            Assert.Equal(variant, NotebookFile.Serialize(nb));
        }

        var bom = Path.Combine(Fixtures.TempFolder("bom"), "bom.ipynb");
        File.WriteAllText(bom, text, new UTF8Encoding(true));
        var copy = bom + ".copy.ipynb";
        NotebookFile.Save(NotebookFile.Load(bom), copy);
        Assert.Equal(File.ReadAllBytes(bom), File.ReadAllBytes(copy));

        var dib = File.ReadAllText(Fixtures.PathOf("semantics.dib"));
        foreach (var variant in new[] { dib.Replace("\n", "\r\n"), dib + "\n", "\n\n" + dib + "\n\n\n" })
        {
            Assert.Equal(variant, NotebookFile.Serialize(NotebookFile.Parse(variant, NotebookFormat.Dib)));
        }
    }

    static string IndentWithTabs(string line)
    {
        var n = line.Length - line.TrimStart(' ').Length;
        return new string('\t', n) + line[n..];
    }

    [Fact]
    public void Changing_a_cell_changes_only_that_cell()
    {
        var path = Fixtures.PathOf("compile-error.ipynb");
        var nb = NotebookFile.Load(path);
        nb.Cells[3].Source = "var d = 5;";
        var before = File.ReadAllText(path);
        var after = NotebookFile.Serialize(nb);
        Assert.Equal(before.Replace("\"var d = 4;\"", "\"var d = 5;\""), after);
    }
}
