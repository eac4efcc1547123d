using System.Text.Json.Nodes;
using AeNotebooks.Runner.Model;
using Microsoft.DotNet.Interactive.Documents;
using Jupyter = Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace AeNotebooks.Runner.Tests;

/// <summary>Semantic comparison of notebooks: what a run and a reader see, not the bytes.</summary>
internal static class NotebookAssert
{
    public static void Same(Notebook expected, Notebook actual)
    {
        Assert.Equal(expected.DefaultKernelName, actual.DefaultKernelName);
        Assert.Equal(expected.RunMetadata?.ToJsonString(), actual.RunMetadata?.ToJsonString());
        Assert.Equal(expected.Cells.Count, actual.Cells.Count);
        for (var i = 0; i < expected.Cells.Count; i++) Same(expected.Cells[i], actual.Cells[i], $"cell {i + 1}");
    }

    public static void Same(NotebookCell expected, NotebookCell actual, string where)
    {
        Assert.True((expected.Kind, expected.Language) == (actual.Kind, actual.Language),
            $"{where}: expected {expected.Kind} {expected.Language}, got {actual.Kind} {actual.Language}");
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.ExecutionCount, actual.ExecutionCount);
        Assert.Equal(expected.RunMetadata?.ToJsonString(), actual.RunMetadata?.ToJsonString());
        Assert.Equal(expected.Outputs.Select(Describe), actual.Outputs.Select(Describe));
    }

    /// <summary>Everything the model holds of an output, as one comparable string.</summary>
    public static string Describe(CellOutput o) =>
        $"{o.OutputType} name={o.StreamName} text={o.Text} count={o.ExecutionCount} error={o.EName}/{o.EValue} " +
        $"traceback=[{string.Join("|", o.Traceback)}] data=[{string.Join("|", o.Data.Select(d => d.Key + "=" + d.Value))}]";

    /// <summary>The notebook-level metadata of .ipynb text.</summary>
    public static JsonNode? IpynbMetadata(string ipynb) => JsonNode.Parse(ipynb)!["metadata"];

    /// <summary>The metadata of each cell of .ipynb text.</summary>
    public static List<JsonNode?> CellMetadata(string ipynb) =>
        JsonNode.Parse(ipynb)!["cells"]!.AsArray().Select(c => c!["metadata"]).ToList();

    public static void JsonEqual(JsonNode? expected, JsonNode? actual, string what) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{what} differ:\nexpected {expected?.ToJsonString()}\nactual   {actual?.ToJsonString()}");

    /// <summary>.ipynb text read and written by Documents alone.</summary>
    public static string WrittenByDocuments(string ipynb) => Jupyter.Notebook.ToJupyterJson(Jupyter.Notebook.Parse(ipynb));

    /// <summary>The kernels Polyglot splits a .dib at without #!meta (a file's #!meta adds its own).</summary>
    public static KernelInfoCollection DibKernels() =>
    [
        new KernelInfo("csharp", aliases: ["c#", "C#", "cs"]),
        new KernelInfo("fsharp", aliases: ["f#", "F#", "fs"]),
        new KernelInfo("markdown", aliases: ["md"]),
    ];
}
