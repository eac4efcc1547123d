using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Export;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// <c>export</c>: a notebook as a .NET file-based app. The first tests read the app's text (no build); the last ones
/// run the apps with <c>dotnet run</c> and compare what they compute with the runner's run of the same notebook.
/// </summary>
[CollectionDefinition(nameof(ExportTests), DisableParallelization = true)]
public sealed class ExportCollection;

/// <remarks>
/// Not run in parallel with other tests: the engine's default random generator is process-wide, and a notebook that
/// draws from it before seeding (05 builds its first model before any manual_seed) gets numbers that depend on what
/// ran before it in the process. The app runs in a fresh process, so the notebook's run starts from a fresh generator too.
/// </remarks>
[Collection(nameof(ExportTests))]
public class ExportTests
{
    const string Conversions = "export/conversions.dib";

    static string RepoNotebook(string name) => Path.Combine(Fixtures.RepoRoot, "notebooks", name);

    /// <summary>The repository's notebooks (the sample fixture while there are none), as paths from the repository root.</summary>
    public static IEnumerable<object[]> Notebooks() => NotebookTests.Notebooks();

    // ── the app's text ──────────────────────────────────────────────────────────────────────────────────────────

    [Fact]
    public void Markdown_cells_become_comments_and_code_cells_statements_in_order()
    {
        var result = NotebookExporter.Export(Fixtures.PathOf(Conversions), new ExportOptions { OutDir = Fixtures.TempFolder("export-text") });
        Assert.True(result.Complete, string.Join("\n", result.Warnings));
        var app = File.ReadAllText(result.AppPath);

        Assert.Contains("// # Export check\n//\n// Cells that a file-based app needs *rewritten*;", app);
        Assert.True(app.IndexOf("var count = 3;", StringComparison.Ordinal) < app.IndexOf("var values = new List<double>();", StringComparison.Ordinal));
        // a cell's value is displayed; a void last expression just gets its semicolon
        Assert.Contains("display(total);", app);
        Assert.Contains("display(new Badge { Label = \"formatted\" });", app);
        Assert.Contains("Console.WriteLine(\"printed, not displayed: \" + again.ToString(CultureInfo.InvariantCulture));", app);
        Assert.DoesNotContain("display(Console.WriteLine", app);
        // the usings of every cell come first, after the kernel's
        Assert.Matches(new Regex(@"using System\.Linq;\nusing System\.Globalization;\nusing static NotebookDisplay;\n"), app);
        // a script variable starts as default; a top-level local must be assigned first
        Assert.Contains("double unset = default;", app);
        // #!time becomes a clock around the cell
        Assert.Contains("NotebookApp.StartClock();\nvar squares", app);
        // types move after the statements (a file-based app requires it), before the generated host code
        int end = app.IndexOf("NotebookApp.End(", StringComparison.Ordinal), record = app.IndexOf("record Point(double X, double Y);", StringComparison.Ordinal);
        Assert.True(end > 0 && record > end && record < app.IndexOf("file static class NotebookDisplay", StringComparison.Ordinal));
    }

    [Fact]
    public void Names_a_notebook_may_reuse_are_renamed_where_top_level_statements_would_clash()
    {
        var result = NotebookExporter.Export(Fixtures.PathOf(Conversions), new ExportOptions { OutDir = Fixtures.TempFolder("export-names") });
        var app = File.ReadAllText(result.AppPath);

        // declared again in a later cell: a new name from there on, and every later use follows it
        Assert.Contains("var total = 0;", app);
        Assert.Contains("var total2 = 10 * scale;", app);
        Assert.Contains("var twiceTotal = Twice(total2);", app);
        Assert.Contains("double Twice2(double v) => 2.5 * v;", app);
        Assert.Contains("var again = Twice2(1);", app);
        // a nested local named like a top-level variable
        Assert.Contains("foreach (var x in new[] { 1.0, 2.0 }) { var item2 = x * scale; values.Add(item2); }", app);
        Assert.Contains("var item = values.Sum();", app);
        Assert.Contains("cell 5: 'total' is declared again; it is 'total2' in the app from there on", result.Notes);
        // the epilogue reports the last declaration under the notebook's name
        Assert.Contains("(\"total\", total2)", app);
        Assert.Equal(["count", "scale", "item", "total", "twiceTotal", "again", "norm", "squares", "unset", "last", "inNotebookFolder"], result.ReportedVariables);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void The_suites_library_becomes_one_project_directive_relative_to_the_app(string notebook)
    {
        var path = Path.Combine(Fixtures.RepoRoot, notebook);
        if (!File.ReadAllText(path).Contains("lib/bin/AeNotebooks.dll", StringComparison.Ordinal)) return;
        var project = Path.Combine(Fixtures.RepoRoot, "lib", "AeNotebooks", "AeNotebooks.csproj");
        foreach (var outDir in new[] { Fixtures.TempFolder("export-project"), Path.Combine(Fixtures.RepoRoot, "artifacts", "export-tests", "deeper", "still") })
        {
            var result = NotebookExporter.Export(path, new ExportOptions { OutDir = outDir });
            var lines = File.ReadAllLines(result.AppPath);
            // the helpers' project brings the engine along: one directive
            var directive = Assert.Single(lines, l => l.StartsWith("#:project ", StringComparison.Ordinal));
            Assert.Equal(project, Path.GetFullPath(Path.Combine(outDir, directive["#:project ".Length..])));
            Assert.Contains("#:property PublishAot=false", lines);
            // directives first: nothing but comments and blank lines before them, no directive after the first statement
            var firstDirective = Array.FindIndex(lines, l => l.StartsWith("#:", StringComparison.Ordinal));
            Assert.All(lines[..firstDirective], l => Assert.True(l.Length == 0 || l.StartsWith("//", StringComparison.Ordinal), l));
            var firstCode = Array.FindIndex(lines, l => l.StartsWith("using ", StringComparison.Ordinal));
            Assert.True(Array.FindLastIndex(lines, l => l.StartsWith("#:", StringComparison.Ordinal)) < firstCode);
            Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("#r", StringComparison.Ordinal));
        }
        var inRepository = Path.Combine(Fixtures.RepoRoot, "artifacts", "export-tests");
        if (Directory.Exists(inRepository)) Directory.Delete(inRepository, recursive: true);
    }

    [Fact]
    public void Parameters_are_baked_in_and_unknown_ones_are_noted()
    {
        var result = NotebookExporter.Export(Fixtures.PathOf(Conversions), new ExportOptions
        {
            OutDir = Fixtures.TempFolder("export-params"),
            Parameters = new Dictionary<string, string> { ["count"] = "7", ["scale"] = "2", ["missing"] = "1" },
        });
        var app = File.ReadAllText(result.AppPath);
        Assert.Contains("count = 7;", app); // the injected-parameters cell, after the declaration
        Assert.Contains("scale = 2d;", app);
        Assert.Contains("// Exported with --param count=7 --param scale=2.", app);
        Assert.Contains("--param missing ignored: cell 2 (parameters) declares no variable 'missing'", result.Notes);

        Assert.Throws<ParameterException>(() => NotebookExporter.Export(Fixtures.PathOf(Conversions), new ExportOptions
        {
            OutDir = Fixtures.TempFolder("export-params"),
            Parameters = new Dictionary<string, string> { ["count"] = "many" },
        }));
    }

    [Fact]
    public void A_cell_the_app_cannot_hold_is_left_in_as_a_comment_with_a_warning()
    {
        var nb = NotebookFile.Parse("""
            #!csharp

            var kept = 1;

            #!fsharp

            let dropped = 2

            #!csharp

            #!whos
            var alsoDropped = 3;

            #!csharp

            #r "../nowhere/Missing.dll"
            kept + 1
            """, NotebookFormat.Dib, Path.Combine(Fixtures.TempFolder("export-partial"), "partial.dib"));
        var result = NotebookExporter.Export(nb, new ExportOptions { OutDir = Fixtures.TempFolder("export-partial") });
        var app = File.ReadAllText(result.AppPath);

        Assert.False(result.Complete);
        Assert.Equal(3, result.Warnings.Count);
        Assert.Contains("cell 2, line 1: the cell is in the 'fsharp' kernel", result.Warnings[0]);
        Assert.Contains("// let dropped = 2", app);
        Assert.Contains("cell 3, line 1: '#!whos' has no equivalent in a file-based app", result.Warnings[1]);
        Assert.Contains("// var alsoDropped = 3;", app);
        Assert.Contains("#r \"../nowhere/Missing.dll\": no project builds Missing.dll", result.Warnings[2]);
        Assert.Contains("var kept = 1;", app);
        Assert.Contains("display(kept + 1);", app);
    }

    [Fact]
    public void A_cell_that_does_not_compile_stops_the_export_naming_the_cell_and_the_missing_reference()
    {
        var folder = Fixtures.TempFolder("export-unbuilt");
        var nb = NotebookFile.Parse("""
            #!csharp

            var fine = 1;

            #!csharp

            #r "../nowhere/Missing.dll"
            var model = new Missing.Model();
            """, NotebookFormat.Dib, Path.Combine(folder, "unbuilt.dib"));

        var e = Assert.Throws<ExportException>(() => NotebookExporter.Export(nb, new ExportOptions { OutDir = folder }));

        Assert.Contains("cell 2, line 2: the cell does not compile (CS0246", e.Message);
        Assert.Contains(Path.GetFullPath(Path.Combine(folder, "../nowhere/Missing.dll")), e.Message);
        Assert.Contains("build it first", e.Message);
        Assert.False(File.Exists(Path.Combine(folder, "unbuilt.cs")));
    }

    [Fact]
    public void The_export_command_writes_apps_and_reports_bad_input()
    {
        var outDir = Fixtures.TempFolder("export-cli");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(["export", Fixtures.PathOf(Conversions), "--out", outDir, "--param", "count=4"], stdout, stderr);
        Assert.True(code == 0, stdout + "\n" + stderr);
        Assert.Contains("EXPORTED", stdout.ToString());
        Assert.Contains($"run it: dotnet run {Path.Combine(outDir, "conversions.cs")}", stdout.ToString());
        Assert.Contains("count = 4;", File.ReadAllText(Path.Combine(outDir, "conversions.cs")));

        stdout = new StringWriter();
        Assert.Equal(BatchRunner.ExitBadInput, Program.Run(["export", Path.Combine(outDir, "missing.ipynb"), "--out", outDir], stdout, stderr));
        Assert.Contains("ERROR    ", stdout.ToString());
        Assert.Equal(BatchRunner.ExitBadInput, Program.Run(["export", "--bogus"], stdout, stderr));
        Assert.Equal(BatchRunner.ExitBadInput, Program.Run(["export", Fixtures.PathOf(Conversions), "--param", "count=lots", "--out", outDir], stdout, stderr));
        stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["export", "--help"], stdout, stderr));
        Assert.Contains("file-based app", stdout.ToString());
    }

    // ── the apps run ────────────────────────────────────────────────────────────────────────────────────────────

    [Fact]
    public async Task The_app_shows_and_computes_what_the_notebook_does()
    {
        var run = await Fixtures.RunAsync(Conversions);
        run.EnsureSucceeded();
        var result = NotebookExporter.Export(Fixtures.PathOf(Conversions), new ExportOptions { OutDir = AppFolder("conversions") });
        var app = RunApp(result.AppPath);

        AssertSameVariables(run, app.Variables, result.ReportedVariables);
        Assert.Equal(result.ReportedVariables.Count, app.Variables.Count);
        Assert.Equal("true", app.Variables["inNotebookFolder"]);
        // console: the text of each displayed value, in order, and what the cells print
        var expected = new[] { "3", "1.5", "printed, not displayed: 2.5", "Point { X = 3, Y = 4 }", "badge: formatted", "first", "second",
                               "[text/html: see conversions.html]", "extension", "found 4" };
        var lines = app.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var at = -1;
        foreach (var e in expected)
        {
            var next = lines.FindIndex(at + 1, l => l == e);
            Assert.True(next > at, $"'{e}' is not printed after line {at} in:\n{app.Stdout}");
            at = next;
        }
        Assert.Matches(@"Wall time: [\d.]+ms", app.Stdout);
        Assert.Contains($"Charts, tables and images: {result.PagePath}", app.Stdout);
        // the page: the richest form of each output; display(…).Update(…) replaced its output
        var page = File.ReadAllText(result.PagePath);
        Assert.Contains("<b class=\"badge\">formatted</b>", page);
        Assert.Contains("<i class=\"raw\">html</i>", page);
        Assert.Contains("<pre>second</pre>", page);
        Assert.DoesNotContain("<pre>first</pre>", page);
        // the notebook's own outputs agree: the runner shows the same text for the same values
        Assert.Equal("badge: formatted", run.Cells[7].Outputs.Single().Mime("text/plain"));
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Every_notebook_exports_to_an_app_that_computes_the_same_numbers(string notebook)
    {
        var path = Path.Combine(Fixtures.RepoRoot, notebook);
        var parameters = ShortRun(path);
        var result = NotebookExporter.Export(path, new ExportOptions { OutDir = AppFolder(Path.GetFileNameWithoutExtension(path)), Parameters = parameters });
        Assert.True(result.Complete, string.Join("\n", result.Warnings));

        // the notebook first: if it fails, the failure is the notebook's
        await ResetRandomGenerator();
        var run = await new NotebookRunner(new RunnerOptions { Parameters = parameters }).RunAsync(path);
        run.EnsureSucceeded();
        var app = RunApp(result.AppPath);

        var compared = AssertSameVariables(run, app.Variables, result.ReportedVariables);
        Assert.True(compared >= 3, $"only {compared} numbers compared: {string.Join(", ", app.Variables.Keys)}");
        Assert.Contains($"Charts, tables and images: {result.PagePath}", app.Stdout);
        // every chart the notebook shows is on the app's page
        var figures = run.Notebook.Cells.SelectMany(c => c.Outputs).Select(o => o.Mime("text/html") ?? "").Sum(h => Count(h, "class=\"aen-chart\""));
        Assert.Equal(figures, Count(File.ReadAllText(result.PagePath), "class=\"aen-chart\""));
    }

    // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// The same folder on every test run, so that dotnet reuses the app's build output (kept per app path under
    /// ~/.local/share/dotnet/runfile) instead of building, and keeping, a new one each time.
    /// </summary>
    static string AppFolder(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "aenotebooks-tests", "export-apps", name);
        Directory.CreateDirectory(dir);
        foreach (var page in Directory.EnumerateFiles(dir, "*.html")) File.Delete(page);
        return dir;
    }

    /// <summary>Smaller data for the notebooks that declare these parameters (checked to keep those notebooks running).</summary>
    static readonly Dictionary<string, string> SmallerData = new(StringComparer.Ordinal)
    {
        ["samples"] = "1000",                                                                             // 00, 03
        ["images"] = "400",                                                                               // 01
        ["denseTrain"] = "500", ["convTrain"] = "300", ["testCount"] = "200",                             // 02
        ["shapesCount"] = "160", ["fashionCount"] = "160", ["lrFinderSteps"] = "10",                      // 04
    };

    /// <summary>
    /// Short-run parameters for any notebook: every parameter whose name mentions epochs is set to 1, and the ones in
    /// <see cref="SmallerData"/> to theirs.
    /// </summary>
    static Dictionary<string, string> ShortRun(string notebookPath)
    {
        var nb = NotebookFile.Load(notebookPath);
        var cell = nb.Cells.FirstOrDefault(c => c.IsCode && (c.Tags.Contains("parameters") || c.Source.TrimStart().StartsWith("// parameters", StringComparison.OrdinalIgnoreCase)));
        if (cell is null) return [];
        return CSharpSyntaxTree.ParseText(cell.Source, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script)).GetRoot()
            .DescendantNodes().OfType<VariableDeclaratorSyntax>()
            .Select(d => d.Identifier.ValueText)
            .Where(name => name.Contains("epoch", StringComparison.OrdinalIgnoreCase) || SmallerData.ContainsKey(name))
            .Distinct()
            .ToDictionary(name => name, name => SmallerData.GetValueOrDefault(name, "1"));
    }

    /// <summary>libtorch's process-wide generator as a fresh process has it (default_rng_seed_val, 67280421310721), through a notebook of one cell.</summary>
    static async Task ResetRandomGenerator()
    {
        var bin = Path.Combine(Fixtures.RepoRoot, "lib", "bin");
        var nb = NotebookFile.Parse($"#!csharp\n\n#r \"{Path.Combine(bin, "TorchSharp.dll")}\"\n#r \"{Path.Combine(bin, "AeNotebooks.dll")}\"\n" +
            "AeNotebooks.Runtime.NativeTorch.EnsureLoaded();\nTorchSharp.torch.manual_seed(67280421310721);\n", NotebookFormat.Dib,
            Path.Combine(Fixtures.TempFolder("export-seed"), "seed.dib"));
        (await new NotebookRunner().RunAsync(nb)).EnsureSucceeded();
    }

    static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Names that hold times differ between runs and are not compared.</summary>
    static readonly Regex Timing = new("(?i)(second|elapsed|duration|time|millis)");

    /// <summary>Each number the app printed equals the notebook's variable of that name (exactly, within 1e-9 relative).</summary>
    static int AssertSameVariables(NotebookRun run, IReadOnlyDictionary<string, string> printed, IReadOnlyList<string> reported)
    {
        Assert.Equal(reported.Order(StringComparer.Ordinal), printed.Keys.Order(StringComparer.Ordinal));
        var compared = 0;
        foreach (var (name, text) in printed)
        {
            if (Timing.IsMatch(name)) continue;
            Assert.True(run.Variables.TryGetValue(name, out var value), $"the notebook has no variable '{name}'");
            // the kernel shares numbers, bools and arrays of them as JSON; float keeps its own precision
            Assert.True(value.Json is not null, $"{name}: the kernel shared no JSON for a {value.TypeName}");
            using var json = System.Text.Json.JsonDocument.Parse(value.Json);
            var root = json.RootElement;
            switch (root.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Null:
                    Assert.Equal("null", text);
                    break;
                case System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False:
                    Assert.Equal(root.GetBoolean() ? "true" : "false", text);
                    break;
                case System.Text.Json.JsonValueKind.Array:
                    var items = text.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries);
                    var elements = root.EnumerateArray().ToList();
                    Assert.True(items.Length == elements.Count, $"{name}: the app has {items.Length} values, the notebook {elements.Count}");
                    for (var i = 0; i < items.Length; i++) AssertClose($"{name}[{i}]", Scalar(elements[i], value.TypeName == "System.Single[]"), items[i]);
                    break;
                default:
                    AssertClose(name, Scalar(root, value.TypeName == "System.Single"), text);
                    break;
            }
            compared++;
        }
        return compared;
    }

    static object? Scalar(System.Text.Json.JsonElement e, bool isFloat) => e.ValueKind switch
    {
        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => e.GetBoolean(),
        System.Text.Json.JsonValueKind.Number => isFloat ? e.GetSingle() : e.GetDouble(),
        System.Text.Json.JsonValueKind.String => isFloat ? float.Parse(e.GetString()!, CultureInfo.InvariantCulture) : double.Parse(e.GetString()!, CultureInfo.InvariantCulture), // NaN, Infinity
        _ => null,
    };

    static void AssertClose(string name, object? notebook, string app)
    {
        if (notebook is bool b)
        {
            Assert.Equal(b ? "true" : "false", app);
            return;
        }
        if (notebook is float f)
        {
            // printed as a float ("R"): compare in float
            var value = float.Parse(app, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(f.Equals(value) || Math.Abs(f - value) <= 1e-6f * Math.Max(1, Math.Abs(f)),
                $"{name}: the notebook computed {f.ToString("R", CultureInfo.InvariantCulture)}, the app {app}");
            return;
        }
        var expected = Convert.ToDouble(notebook, CultureInfo.InvariantCulture);
        var actual = double.Parse(app, NumberStyles.Float, CultureInfo.InvariantCulture);
        // the kernel shares a value as JSON, the app prints it with its own type's precision (a float: 9 digits)
        Assert.True(expected.Equals(actual) || Math.Abs(expected - actual) <= 1e-6 * Math.Max(1, Math.Abs(expected)),
            $"{name}: the notebook computed {expected.ToString("R", CultureInfo.InvariantCulture)}, the app {app}");
    }

    sealed record AppRun(string Stdout, IReadOnlyDictionary<string, string> Variables);

    /// <summary><c>dotnet run app.cs</c> in the app's folder, asked to print the notebook's numbers.</summary>
    static AppRun RunApp(string appPath)
    {
        // the dotnet CLI tells child processes where it is; plain "dotnet" from PATH otherwise
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var psi = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(appPath)!,
        };
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add(Path.GetFileName(appPath));
        psi.Environment[NotebookExporter.VariablesEnvironment] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // a test host's MSBuild settings are not the app's
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList()) psi.Environment.Remove(key);

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet run {appPath} did not finish in 5 minutes");
        }
        var text = stdout.Result;
        Assert.True(p.ExitCode == 0, $"dotnet run {appPath} exited with {p.ExitCode}\n{text}\n{stderr.Result}");
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(NotebookExporter.VariablePrefix, StringComparison.Ordinal)))
        {
            var pair = line[NotebookExporter.VariablePrefix.Length..];
            var eq = pair.IndexOf('=');
            variables[pair[..eq]] = pair[(eq + 1)..];
        }
        return new AppRun(text, variables);
    }
}
