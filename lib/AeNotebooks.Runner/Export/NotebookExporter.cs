using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AeNotebooks.Runner.Execution;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;
using AeNotebooks.Runner.Reporting;

namespace AeNotebooks.Runner.Export;

public sealed class ExportOptions
{
    /// <summary>Where the app is written (default artifacts/apps). The HTML page the app writes goes next to it.</summary>
    public string OutDir { get; init; } = Path.Combine("artifacts", "apps");

    /// <summary>Values baked into the parameters cell, as <c>run --param</c> does.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>The file name of the app without extension (default: the notebook's).</summary>
    public string? AppName { get; init; }
}

/// <summary>What an export wrote, and what it could not carry over.</summary>
public sealed record ExportResult(string NotebookPath, string AppPath, IReadOnlyList<string> Warnings, IReadOnlyList<string> Notes,
    IReadOnlyList<string> ReportedVariables)
{
    /// <summary>True when every cell made it into the app.</summary>
    public bool Complete => Warnings.Count == 0;

    /// <summary>True when the notebook's text has formulas: its page then loads KaTeX from katex/ next to the app.</summary>
    public bool HasMath { get; init; }

    /// <summary>The HTML page the app writes the notebook's text and its charts, tables and images to.</summary>
    public string PagePath => Path.ChangeExtension(AppPath, ".html");
}

/// <summary>
/// Writes a notebook as a .NET file-based app (<c>dotnet run app.cs</c>), for learners without Polyglot Notebooks:
/// markdown cells become comments, C# cells top-level statements in order, <c>#r</c> of a library the repository
/// builds becomes <c>#:project</c> of its project, and <c>display(…)</c> writes text to the console and charts,
/// tables and images to an HTML page next to the app (see <see cref="AppShim"/>).
/// </summary>
public static partial class NotebookExporter
{
    /// <summary>Set to 1 to make an exported app print <c>#AENB name=value</c> for the notebook's numeric variables at the end.</summary>
    public const string VariablesEnvironment = "AENOTEBOOKS_PRINT_VARIABLES";

    /// <summary>The start of the lines an app prints for <see cref="VariablesEnvironment"/>.</summary>
    public const string VariablePrefix = "#AENB ";

    /// <summary>The kernel's usings: a file-based app has other implicit usings, so the app turns those off and lists these.</summary>
    static readonly string[] KernelUsings = CompileReferences.KernelUsings;

    /// <summary>Loads and exports a notebook. A missing or malformed notebook throws <see cref="NotebookFormatException"/>;
    /// a --param value that does not fit its variable throws <see cref="ParameterException"/>.</summary>
    public static ExportResult Export(string notebookPath, ExportOptions? options = null) =>
        Export(NotebookFile.Load(notebookPath), options);

    public static ExportResult Export(Notebook source, ExportOptions? options = null)
    {
        options ??= new ExportOptions();
        var nb = source.Clone();
        var notebookFolder = nb.Path is null ? Environment.CurrentDirectory : Path.GetDirectoryName(Path.GetFullPath(nb.Path))!;
        var outDir = Path.GetFullPath(options.OutDir);
        var appName = options.AppName ?? (nb.Path is null ? "notebook" : Path.GetFileNameWithoutExtension(nb.Path));
        var appPath = Path.Combine(outDir, appName + ".cs");
        var warnings = new List<string>();
        var notes = new List<string>();

        var injection = ParameterInjector.Apply(nb, options.Parameters);
        if (injection is not null)
        {
            foreach (var name in injection.Unknown)
                notes.Add(injection.ParametersCell < 0
                    ? $"--param {name} ignored: no cell is tagged 'parameters'"
                    : $"--param {name} ignored: cell {injection.ParametersCell + 1} (parameters) declares no variable '{name}'");
        }

        // cells: markdown as comments, C# through the kernel's magic handling
        var parts = new List<CellPart>();
        var scriptCells = new List<ScriptCell>();
        var directives = new List<string>();
        var referencePaths = new List<string>();
        var unbuilt = new List<(int Cell, Directive Directive, string Dll)>();
        var projects = new List<string>();
        var formulas = 0;
        for (var i = 0; i < nb.Cells.Count; i++)
        {
            var cell = nb.Cells[i];
            var number = i + 1;
            if (!cell.IsCode)
            {
                if (cell.Source.Trim().Length > 0)
                    parts.Add(new CellPart(number, Comment(cell.Source), null, false) { Html = cell.Kind == CellKind.Markdown ? PageText(cell.Source, ref formulas) : null });
                continue;
            }
            PreparedCell prepared;
            try
            {
                prepared = CellDirectives.Prepare(cell.Source, cell.Language);
            }
            catch (MagicCommandException e)
            {
                warnings.Add($"cell {number}, line {e.Line}: {e.Message}; the cell is in the app as a comment");
                parts.Add(new CellPart(number, $"// cell {number} was not exported: {e.Message}\n" + Comment(cell.Source), null, false));
                continue;
            }
            if (prepared.IsMarkdown)
            {
                var text = string.Join("\n", cell.Source.Split('\n').SkipWhile(l => !l.TrimStart().StartsWith("#!markdown", StringComparison.Ordinal)).Skip(1));
                if (text.Trim().Length > 0) parts.Add(new CellPart(number, Comment(text), null, false) { Html = PageText(text, ref formulas) });
                continue;
            }
            foreach (var d in prepared.Directives)
            {
                if (d.Kind == DirectiveKind.AssemblyReference)
                {
                    var dll = Path.GetFullPath(Path.Combine(notebookFolder, d.Argument));
                    referencePaths.Add(dll);
                    var project = ProjectFor(dll);
                    if (project is null) unbuilt.Add((number, d, dll));
                    else if (!projects.Contains(project)) projects.Add(project);
                }
                else if (CompileReferences.IsFrameworkAssembly(d.Argument))
                {
                    notes.Add($"cell {number}: {d.Text}: part of the .NET runtime, nothing to reference");
                }
                else
                {
                    var line = $"#:package {d.Argument}@{d.Version ?? "*"}";
                    if (!directives.Contains(line)) directives.Add(line);
                }
            }
            parts.Add(new CellPart(number, null, scriptCells.Count, prepared.Time, ParameterInjector.FindParametersCell(nb) == cell, prepared.Directives.Count > 0));
            scriptCells.Add(new ScriptCell(number, prepared.Code));
        }

        // a DLL no project builds may come with a project the notebook also references (TorchSharp.dll with the helpers,
        // which bring the TorchSharp-cpu package): that project's deps.json next to its DLL lists it
        foreach (var (cellNumber, d, dll) in unbuilt)
        {
            var bringer = referencePaths.FirstOrDefault(r => r != dll && ProjectFor(r) is not null && DepsListAssembly(r, Path.GetFileNameWithoutExtension(dll)));
            if (bringer is not null)
                notes.Add($"cell {cellNumber}: {d.Text}: comes with {Path.GetFileName(ProjectFor(bringer))} (a package it references), nothing more to reference");
            else
                warnings.Add($"cell {cellNumber}, line {d.Line}: {d.Text}: no project builds {Path.GetFileName(dll)} (looked for " +
                             $"<folder>/{Path.GetFileNameWithoutExtension(dll)}/{Path.GetFileNameWithoutExtension(dll)}.csproj above it); " +
                             "a file-based app references projects and packages, not DLLs, so the reference is missing from the app");
        }

        var converted = ScriptConverter.Convert(scriptCells, referencePaths, AppShim.Names);
        foreach (var c in converted.Cells) warnings.AddRange(c.Warnings);
        foreach (var r in converted.Redeclared)
            notes.Add($"cell {r.Cell}: '{r.Name}' is declared again; it is '{r.AppName}' in the app from there on");

        var title = Title(nb) ?? appName;
        var sb = new StringBuilder();
        var display = nb.Path is null ? "the notebook" : RepositoryPath(nb.Path);
        sb.Append("// ").Append(display).Append(" as a .NET file-based app, written by\n")
          .Append("// `dotnet run --project lib/AeNotebooks.Runner -- export`. Markdown cells are comments, code cells are\n")
          .Append("// top-level statements in order, and a cell's last expression became display(…). Run it with\n")
          .Append("//\n")
          .Append("//     dotnet run ").Append(Path.GetFileName(appPath)).Append('\n')
          .Append("//\n")
          .Append("// Text goes to the console; charts, tables and images to ").Append(Path.GetFileNameWithoutExtension(appPath))
          .Append(".html next to this file.\n");
        if (injection is { Applied.Count: > 0 })
            sb.Append("// Exported with ").Append(string.Join(" ", injection.Applied.Select(p => $"--param {p.Key}={p.Value}"))).Append(".\n");
        sb.Append('\n');

        foreach (var project in DropTransitive(projects)) sb.Append("#:project ").Append(RelativeOrFull(outDir, project)).Append('\n');
        foreach (var d in directives) sb.Append(d).Append('\n');
        // the NativeAOT runtime package that file-based apps ask for by default cannot be restored everywhere
        sb.Append("#:property PublishAot=false\n");
        // the kernel's usings and nullable context, not a file-based app's defaults
        sb.Append("#:property ImplicitUsings=disable\n#:property Nullable=disable\n");
        if (converted.UsesUnsafe) sb.Append("#:property AllowUnsafeBlocks=true\n");
        sb.Append('\n');

        var usings = new List<string>();
        foreach (var u in KernelUsings.Select(n => $"using {n};").Concat(converted.Cells.SelectMany(c => c.Usings)))
            if (!usings.Contains(u)) usings.Add(u);
        foreach (var u in usings) sb.Append(u).Append('\n');
        sb.Append("using static ").Append(AppShim.DisplayClass).Append(";\n\n");

        sb.Append("// as in the notebook, relative paths start from the notebook's folder\n")
          .Append(AppShim.AppClass).Append(".Start(").Append(Literal(RelativeOrFull(outDir, notebookFolder))).Append(");\n");

        var cellLines = new List<(int Line, int Cell)>();
        foreach (var part in parts)
        {
            sb.Append('\n');
            if (part.Comment is not null)
            {
                sb.Append(part.Comment).Append('\n');
                continue;
            }
            var cell = converted.Cells[part.ScriptIndex!.Value];
            if (cell.Statements.Length == 0 && !part.Time)
            {
                if (part.HasReferences || cell.Usings.Count > 0)
                    sb.Append("// ── cell ").Append(part.Number).Append(": its references and usings are at the top of this file ──\n");
                else
                    sb.Length--; // an empty cell
                continue;
            }
            cellLines.Add((LineNumberAtEnd(sb), part.Number));
            sb.Append("// ── cell ").Append(part.Number)
              .Append(part.IsParameters ? " · parameters (export --param NAME=VALUE bakes in other values) ──\n" : " ──\n");
            if (part.Time) sb.Append(AppShim.AppClass).Append(".StartClock();\n");
            if (cell.Statements.Length > 0) sb.Append(cell.Statements).Append('\n');
            if (part.Time) sb.Append(AppShim.AppClass).Append(".StopClock();\n");
        }

        sb.Append("\n// ── end of the notebook: write the HTML page, say where it is; with ").Append(AppShim.VariablesEnvironment)
          .Append("=1 print the\n// notebook's numbers as `").Append(AppShim.VariablePrefix).Append("name=value` lines (the suite's tests compare them with the notebook's run)\n")
          .Append(AppShim.AppClass).Append(".End(");
        var variables = converted.Variables;
        for (var i = 0; i < variables.Count; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append(i % 4 == 0 ? "\n    " : " ")
              .Append('(').Append(Literal(variables[i].Name)).Append(", ").Append(variables[i].AppName).Append(')');
        }
        sb.Append(");\n");

        var types = converted.Cells.SelectMany(c => c.Types.Select(t => (c.Number, Text: t))).ToList();
        if (types.Count > 0)
        {
            sb.Append("\n// ── types declared in the notebook (a file-based app declares types after its statements) ──\n");
            foreach (var group in types.GroupBy(t => t.Number))
            {
                sb.Append("\n// from cell ").Append(group.Key).Append('\n');
                sb.Append(string.Join("\n\n", group.Select(t => t.Text))).Append('\n');
            }
        }

        sb.Append("\n// ── what the notebook host provided (generated by the export) ").Append(new string('─', 40)).Append("\n\n");
        var markdownCells = parts.Where(p => p.Html is not null).Select(p => (p.Number, p.Html!)).ToList();
        sb.Append(AppShim.Source(title, PlotlyAsset.FileName, markdownCells, formulas > 0, cellLines));

        Directory.CreateDirectory(outDir);
        File.WriteAllText(appPath, sb.ToString(), new UTF8Encoding(false));
        return new ExportResult(nb.Path ?? appName, appPath, warnings, notes, variables.Select(v => v.Name).ToList()) { HasMath = formulas > 0 };
    }

    sealed record CellPart(int Number, string? Comment, int? ScriptIndex, bool Time, bool IsParameters = false, bool HasReferences = false)
    {
        /// <summary>A markdown cell's text as the app's page shows it.</summary>
        public string? Html { get; init; }
    }

    static string PageText(string markdown, ref int formulas)
    {
        var html = ReportMarkdown.ToHtml(markdown, out var found);
        formulas += found;
        return html;
    }

    /// <summary>The number of the line that text appended to <paramref name="sb"/> now starts on.</summary>
    static int LineNumberAtEnd(StringBuilder sb)
    {
        var lines = 1;
        foreach (var chunk in sb.GetChunks())
            lines += chunk.Span.Count('\n');
        return lines;
    }

    static string Comment(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0) lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return string.Join("\n", lines.Select(l => l.Length == 0 ? "//" : "// " + l));
    }

    static string Literal(string s) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(s, quote: true);

    /// <summary>The first markdown heading's text (without # and emphasis), else null.</summary>
    static string? Title(Notebook nb)
    {
        foreach (var cell in nb.Cells.Where(c => c.Kind == CellKind.Markdown || c.Source.TrimStart().StartsWith("#!markdown", StringComparison.Ordinal)))
        {
            var m = Heading().Match(cell.Source);
            if (m.Success) return m.Groups[1].Value.Replace("*", "").Replace("`", "").Trim();
        }
        return null;
    }

    [GeneratedRegex(@"^\s*#{1,3}\s+(.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    /// <summary>A path as a file-based app directive or the prologue wants it: relative to <paramref name="from"/>, with '/'.</summary>
    static string RelativeOrFull(string from, string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Path.GetFullPath(from), full);
        return (Path.IsPathRooted(relative) ? full : relative).Replace('\\', '/');
    }

    /// <summary>The notebook's path from the root of its repository (the folder holding .git or a .sln), else its file name.</summary>
    static string RepositoryPath(string path)
    {
        var full = Path.GetFullPath(path);
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(full)!); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")) ||
                dir.EnumerateFiles("*.sln").Any())
                return Path.GetRelativePath(dir.FullName, full).Replace('\\', '/');
        }
        return Path.GetFileName(full);
    }

    /// <summary>
    /// The project that builds <paramref name="dll"/>: a folder named as the assembly, holding &lt;name&gt;.csproj, next to
    /// the DLL's folder or above it (lib/bin/AeNotebooks.dll → lib/AeNotebooks/AeNotebooks.csproj).
    /// </summary>
    internal static string? ProjectFor(string dll)
    {
        var name = Path.GetFileNameWithoutExtension(dll);
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(dll)!); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, name, name + ".csproj"), Path.Combine(dir.FullName, "lib", name, name + ".csproj"),
                                              Path.Combine(dir.FullName, "src", name, name + ".csproj") })
            {
                if (File.Exists(candidate)) return candidate;
            }
            if (File.Exists(Path.Combine(dir.FullName, ".git")) || Directory.Exists(Path.Combine(dir.FullName, ".git"))) break;
        }
        return null;
    }

    /// <summary>The projects minus those another one references (directly or not): a project reference brings its own along.</summary>
    internal static List<string> DropTransitive(IReadOnlyList<string> projects)
    {
        var reachable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in projects)
        {
            var stack = new Stack<string>(References(p));
            while (stack.Count > 0)
            {
                var r = stack.Pop();
                if (!reachable.Add(r)) continue;
                foreach (var next in References(r)) stack.Push(next);
            }
        }
        return projects.Where(p => !reachable.Contains(p)).ToList();

        static IEnumerable<string> References(string project)
        {
            if (!File.Exists(project)) return [];
            try
            {
                var folder = Path.GetDirectoryName(project)!;
                return XDocument.Load(project).Descendants()
                    .Where(e => e.Name.LocalName == "ProjectReference" && e.Attribute("Include") is not null)
                    .Select(e => Path.GetFullPath(Path.Combine(folder, e.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar))))
                    .ToList();
            }
            catch (System.Xml.XmlException)
            {
                return [];
            }
        }
    }

    /// <summary>Whether &lt;dll&gt;.deps.json (written next to a built project's DLL) lists an assembly of that name.</summary>
    static bool DepsListAssembly(string projectDll, string assemblyName)
    {
        var deps = Path.ChangeExtension(projectDll, ".deps.json");
        if (!File.Exists(deps)) return false;
        return File.ReadAllText(deps).Contains($"/{assemblyName}.dll\"", StringComparison.OrdinalIgnoreCase);
    }
}
