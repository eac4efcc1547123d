namespace AeNotebooks.Runner.Formats;

/// <summary>A notebook file that is missing, unreadable or not a valid .ipynb/.dib notebook.</summary>
public sealed class NotebookFormatException : Exception
{
    public NotebookFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    public string FilePath { get; }
    public string Problem { get; }
}
