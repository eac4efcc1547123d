using System.Text;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Formats;

/// <summary>Reads and writes .ipynb and .dib notebooks.</summary>
public static class NotebookFile
{
    public static bool IsNotebookPath(string path) =>
        path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".dib", StringComparison.OrdinalIgnoreCase);

    public static NotebookFormat FormatOf(string path) =>
        path.EndsWith(".dib", StringComparison.OrdinalIgnoreCase) ? NotebookFormat.Dib : NotebookFormat.Ipynb;

    /// <summary>Loads a notebook; a missing, unreadable or malformed file throws <see cref="NotebookFormatException"/>.</summary>
    public static Notebook Load(string path)
    {
        if (Directory.Exists(path)) throw new NotebookFormatException(path, "is a folder, not a notebook");
        if (!File.Exists(path)) throw new NotebookFormatException(path, "file not found");
        if (!IsNotebookPath(path)) throw new NotebookFormatException(path, "not a notebook (expected a .ipynb or .dib file)");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookFormatException(path, "cannot be read: " + e.Message, e);
        }
        var bom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, bom ? 3 : 0, bytes.Length - (bom ? 3 : 0));
        }
        catch (DecoderFallbackException e)
        {
            throw new NotebookFormatException(path, "is not UTF-8 text", e);
        }
        var nb = Parse(text, FormatOf(path), Path.GetFullPath(path));
        nb.Utf8Bom = bom;
        return nb;
    }

    public static Notebook Parse(string text, NotebookFormat format, string? path = null) => format switch
    {
        NotebookFormat.Dib => DibFormat.Read(text, path),
        _ => IpynbFormat.Read(text, path),
    };

    /// <summary>The notebook in its own format (a .dib keeps no outputs).</summary>
    public static string Serialize(Notebook notebook) =>
        notebook.Format == NotebookFormat.Dib ? DibFormat.Write(notebook) : IpynbFormat.Write(notebook);

    /// <summary>The notebook as .ipynb with outputs (a .dib is converted).</summary>
    public static string SerializeIpynb(Notebook notebook) => IpynbFormat.Write(notebook);

    /// <summary>Writes the notebook in the format its extension names (.dib drops outputs).</summary>
    public static void Save(Notebook notebook, string path)
    {
        var text = FormatOf(path) == NotebookFormat.Dib ? DibFormat.Write(notebook) : IpynbFormat.Write(notebook);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, text, new UTF8Encoding(notebook.Utf8Bom));
    }
}
