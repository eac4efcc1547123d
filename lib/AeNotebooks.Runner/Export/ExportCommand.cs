using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Reporting;

namespace AeNotebooks.Runner.Export;

/// <summary><c>dotnet run --project lib/AeNotebooks.Runner -- export &lt;notebook-or-folder&gt;... [--out DIR] [--param NAME=VALUE]</c></summary>
public static class ExportCommand
{
    public const string Usage = """
        usage: AeNotebooks.Runner export <notebook-or-folder>... [options]

        Writes each .ipynb/.dib notebook as a .NET file-based app, <name>.cs, that runs without Polyglot Notebooks:
            dotnet run <out>/<name>.cs
        Markdown cells become comments, code cells top-level statements; #r of a library built by this repository
        becomes #:project of its project. The app prints text to the console and writes the notebook's text (its
        formulas typeset by KaTeX, copied to katex/ next to the apps) with its charts, tables and images to
        <name>.html next to itself.

        options:
          --out DIR             where to write the apps (default artifacts/apps)
          --param NAME=VALUE    bake a value into the cell tagged 'parameters' (repeatable)
          --plotly-js FILE      plotly.min.js to copy next to the apps for the pages' charts (default: npm, then the CDN)

        exit codes: 0 every notebook exported completely; 1 a cell could not be carried over (the app has it as a
                    comment, and a warning says why); 2 a notebook is missing or malformed, or the command line is wrong.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            stdout.WriteLine(Usage);
            return BatchRunner.ExitOk;
        }
        var inputs = new List<string>();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        string outDir = Path.Combine("artifacts", "apps");
        string? plotlyJs = null;
        var ok = CommandLine.Parse(args, ["--out", "--param", "-p", "--plotly-js"], inputs, (name, value) =>
        {
            switch (name)
            {
                case "--out":
                    if (string.IsNullOrWhiteSpace(value)) return "--out needs a folder";
                    outDir = value;
                    break;
                case "--param" or "-p":
                    var sep = value.IndexOf('=');
                    if (sep <= 0) return $"--param needs NAME=VALUE, got '{value}'";
                    parameters[value[..sep].Trim()] = value[(sep + 1)..];
                    break;
                default:
                    plotlyJs = value;
                    break;
            }
            return null;
        }, out var error);
        if (!ok) return Fail(error!);
        if (inputs.Count == 0) return Fail("name at least one notebook or folder");

        var exit = BatchRunner.ExitOk;
        var files = BatchRunner.Expand(inputs, [], stdout);
        var exported = 0;
        var withMath = 0;
        foreach (var file in files)
        {
            try
            {
                var result = NotebookExporter.Export(file, new ExportOptions { OutDir = outDir, Parameters = parameters });
                exported++;
                if (result.HasMath) withMath++;
                var app = Path.GetRelativePath(Environment.CurrentDirectory, result.AppPath);
                if (app.StartsWith("..", StringComparison.Ordinal)) app = result.AppPath;
                stdout.WriteLine($"{(result.Complete ? "EXPORTED" : "PARTIAL "),-8} {file}  →  {app}");
                foreach (var w in result.Warnings) stdout.WriteLine($"         warning: {w}");
                foreach (var n in result.Notes) stdout.WriteLine($"         note: {n}");
                stdout.WriteLine($"         run it: dotnet run {app}");
                if (!result.Complete) exit = Math.Max(exit, BatchRunner.ExitCellFailed);
            }
            catch (NotebookFormatException e)
            {
                stdout.WriteLine($"ERROR    {file}: {e.Message}");
                exit = BatchRunner.ExitBadInput;
            }
            catch (ParameterException e)
            {
                stdout.WriteLine($"ERROR    {file}: {e.Message}");
                exit = BatchRunner.ExitBadInput;
            }
            catch (ExportException e)
            {
                stdout.WriteLine($"ERROR    {file}: {e.Message}");
                exit = BatchRunner.ExitBadInput;
            }
        }
        if (exported > 0)
        {
            // the pages load plotly.js from next to the apps, so that charts show offline
            var plotly = PlotlyAsset.Ensure(Path.GetFullPath(outDir), plotlyJs, log: stdout);
            if (!plotly.IsLocal) stdout.WriteLine($"note: the pages' charts load plotly.js from {plotly.Src} (static pictures without internet)");
        }
        // and KaTeX from katex/ next to them for the formulas in the notebooks' text (it says so when npm cannot provide it)
        if (withMath > 0) KatexAsset.CopyTo(Path.GetFullPath(outDir), stdout);
        return exit;

        int Fail(string message)
        {
            stderr.WriteLine(message);
            stderr.WriteLine("run with export --help for usage");
            return BatchRunner.ExitBadInput;
        }
    }
}
