using System.Globalization;
using System.Text.RegularExpressions;

namespace AeNotebooks.Runner.Cli;

/// <summary><c>dotnet run --project lib/AeNotebooks.Runner -- run &lt;notebook-or-folder&gt;... [options]</c></summary>
public static partial class Program
{
    public const string Usage = """
        usage: AeNotebooks.Runner run <notebook-or-folder>... [options]
               AeNotebooks.Runner export <notebook-or-folder>... [--out DIR] [--param NAME=VALUE]   (export --help)
               AeNotebooks.Runner release <notebook-or-folder>... [--out DIR]                       (release --help)
               AeNotebooks.Runner grade <submitted-notebook-or-folder>... [--solutions DIR] [options] (grade --help)

        Runs .ipynb and .dib notebooks (C# cells) headless, in order of name, and writes the executed
        notebooks, one HTML report each and index.html.

        options:
          --out DIR             where to write reports and executed notebooks (default artifacts/notebooks)
          --param NAME=VALUE    replace a variable declared in the cell tagged 'parameters' (repeatable)
          --timeout DURATION    per cell: 90s, 10m, 1h30m, 500ms, 00:10:00 or plain seconds; 0 = none (default 10m)
          --parallel N          run up to N notebooks at a time (default 1); each kernel gets OMP_NUM_THREADS = cores / N
                                (at least 1) unless the environment sets it, so that OpenMP threads do not fight over the cores
          --plotly-js FILE      plotly.min.js to copy next to the reports (default: npm, then the CDN)

        exit codes: 0 every cell of every notebook succeeded; 1 a cell failed or timed out;
                    2 a notebook is missing or malformed, or the command line is wrong.
        """;

    public static int Main(string[] args)
    {
        // the runner starts itself as each notebook's kernel process
        if (args is [Kernel.KernelWorker.CommandName, var socket, var runner] && int.TryParse(runner, out var runnerProcessId))
            return Kernel.KernelWorker.RunAsync(socket, runnerProcessId).GetAwaiter().GetResult();
        var code = Run(args, Console.Out, Console.Error);
        Console.Out.Flush();
        return code;
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? BatchRunner.ExitBadInput : BatchRunner.ExitOk;
        }
        if (args[0] == "export") return Export.ExportCommand.Run(args[1..], stdout, stderr);
        if (Classroom.ClassroomCli.TryRun(args, stdout, stderr, cancellationToken, out var classroomExit)) return classroomExit;
        if (args[0] != "run")
        {
            stderr.WriteLine($"unknown command '{args[0]}'");
            stderr.WriteLine(Usage);
            return BatchRunner.ExitBadInput;
        }
        if (!TryParse(args.Skip(1).ToArray(), out var options, out var error))
        {
            stderr.WriteLine(error);
            stderr.WriteLine("run with --help for usage");
            return BatchRunner.ExitBadInput;
        }
        var result = BatchRunner.RunAsync(options!, stdout, cancellationToken).GetAwaiter().GetResult();
        return result.ExitCode;
    }

    static readonly string[] ValueOptions = ["--out", "--param", "-p", "--timeout", "--parallel", "--plotly-js"];

    public static bool TryParse(string[] args, out BatchOptions? options, out string? error)
    {
        options = new BatchOptions();
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith('-') || a == "-")
            {
                options.Inputs.Add(a);
                continue;
            }
            // --name value, or --name=value
            var eq = a.IndexOf('=');
            var name = eq > 0 ? a[..eq] : a;
            if (!ValueOptions.Contains(name)) return Fail($"unknown option '{a}'", out error);
            string? value = eq > 0 ? a[(eq + 1)..] : i + 1 < args.Length ? args[++i] : null;
            if (value is null) return Fail($"{name} needs a value", out error);
            switch (name)
            {
                case "--out":
                    if (string.IsNullOrWhiteSpace(value)) return Fail("--out needs a folder", out error);
                    options.OutDir = value;
                    break;
                case "--param" or "-p":
                    var sep = value.IndexOf('=');
                    if (sep <= 0) return Fail($"--param needs NAME=VALUE, got '{value}'", out error);
                    options.Parameters[value[..sep].Trim()] = value[(sep + 1)..];
                    break;
                case "--timeout":
                    if (!TryParseDuration(value, out var timeout))
                        return Fail($"--timeout: cannot read '{value}' as a duration (e.g. 90s, 10m, 00:10:00)", out error);
                    options.CellTimeout = timeout;
                    break;
                case "--parallel":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parallel) || parallel < 1)
                        return Fail($"--parallel needs a whole number of at least 1, got '{value}'", out error);
                    options.Parallel = parallel;
                    break;
                case "--plotly-js":
                    options.PlotlyJs = value;
                    break;
            }
        }
        if (options.Inputs.Count == 0) return Fail("name at least one notebook or folder", out error);
        return true;
    }

    static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }

    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")]
    private static partial Regex DurationPattern();

    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim().ToLowerInvariant();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0) return false;
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration)) return duration >= TimeSpan.Zero;
        var m = DurationPattern().Match(text);
        if (!m.Success || m.Length == 0) return false;
        double G(int i) => m.Groups[i].Success ? double.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
        duration = TimeSpan.FromHours(G(1)) + TimeSpan.FromMinutes(G(2)) + TimeSpan.FromSeconds(G(3)) + TimeSpan.FromMilliseconds(G(4));
        return true;
    }
}
