using System.Text;
using System.Text.RegularExpressions;

namespace AeNotebooks.Runner.Export;

/// <summary>A magic command or reference line an exported app cannot carry; names the line within the cell.</summary>
public sealed class MagicCommandException(int line, string kind, string message) : Exception(message)
{
    public int Line { get; } = line;
    public string Kind { get; } = kind;
}

/// <summary>A notebook the export cannot turn into an app that builds: a referenced DLL is missing, or a cell does not compile.</summary>
public sealed class ExportException(string message) : Exception(message);

internal enum DirectiveKind { AssemblyReference, NuGetReference }

internal sealed record Directive(DirectiveKind Kind, int Line, string Argument, string? Version, string Text);

/// <summary>A code cell with its magic lines taken out (replaced by blank lines so line numbers stay those of the cell).</summary>
internal sealed record PreparedCell(string Code, bool Time, bool IsMarkdown, IReadOnlyList<Directive> Directives);

/// <summary>
/// For export only (the runner leaves magics to the kernel): takes the .NET Interactive magics out of a C# cell so the
/// rest can become top-level statements of a file-based app: <c>#!csharp</c> (kernel selector), <c>#!time</c>,
/// <c>#!markdown</c> (the cell is markdown), <c>#r "file.dll"</c> and <c>#r "nuget: …"</c> (they become the app's
/// <c>#:project</c> and <c>#:package</c>). Anything else starting with <c>#!</c>, and <c>#i</c>, has no file-based-app
/// equivalent and is an error naming the line.
/// </summary>
internal static partial class CellDirectives
{
    static readonly HashSet<string> CSharpNames = new(StringComparer.Ordinal) { "csharp", "c#", "C#", "cs" };

    static readonly HashSet<string> OtherKernels = new(StringComparer.OrdinalIgnoreCase)
    {
        "fsharp", "f#", "fs", "pwsh", "powershell", "javascript", "js", "html", "sql", "kql", "mermaid", "http", "value",
        "python", "r", "connect", "set", "share",
    };

    public static PreparedCell Prepare(string source, string language)
    {
        if (language is "markdown" or "md") return new PreparedCell("", false, true, []);
        if (!IsCSharp(language))
        {
            throw new MagicCommandException(1, "UnsupportedKernel",
                $"the cell is in the '{language}' kernel; an app holds C# only");
        }
        var lines = source.Split('\n');
        var sb = new StringBuilder(source.Length);
        var time = false;
        var directives = new List<Directive>();
        var sawCode = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var number = i + 1;
            var trimmed = line.Trim();
            var keep = true;
            if (trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                var name = trimmed[2..].Split([' ', '\t'], 2)[0];
                if (CSharpNames.Contains(name))
                {
                    keep = false;
                }
                else if (name == "time")
                {
                    time = true;
                    keep = false;
                }
                else if (name is "markdown" or "md")
                {
                    if (sawCode)
                        throw new MagicCommandException(number, "UnsupportedMagic",
                            $"'#!{name}' after C# code: a cell is either C# or markdown");
                    return new PreparedCell("", false, true, directives);
                }
                else if (name == "meta")
                {
                    throw new MagicCommandException(number, "UnsupportedMagic",
                        "'#!meta' only opens the metadata section of a .dib file; it cannot appear in a cell");
                }
                else if (OtherKernels.Contains(name))
                {
                    throw new MagicCommandException(number, "UnsupportedKernel",
                        $"'#!{name}' switches to the '{name}' kernel; an app holds C# only");
                }
                else
                {
                    throw new MagicCommandException(number, "UnsupportedMagic",
                        $"'#!{name}' has no equivalent in a file-based app; export supports #!csharp, #!markdown, #!time, #r \"file.dll\" and #r \"nuget: …\"");
                }
            }
            else if (IsDirective(trimmed, "#r"))
            {
                directives.Add(ParseReference(trimmed, number));
                keep = false;
            }
            else if (IsDirective(trimmed, "#i"))
            {
                throw new MagicCommandException(number, "NuGetUnavailable",
                    $"'{trimmed}': a file-based app takes package sources from nuget.config, not from the code");
            }
            else if (trimmed.Length > 0 && !trimmed.StartsWith("//", StringComparison.Ordinal))
            {
                sawCode = true;
            }
            if (keep) sb.Append(line.TrimEnd('\r'));
            if (i < lines.Length - 1) sb.Append('\n');
        }
        return new PreparedCell(sb.ToString(), time, false, directives);
    }

    static bool IsCSharp(string language) => CSharpNames.Contains(language);

    static bool IsDirective(string trimmed, string name) =>
        trimmed.StartsWith(name, StringComparison.Ordinal) &&
        (trimmed.Length == name.Length || trimmed[name.Length] is ' ' or '\t' or '"');

    static Directive ParseReference(string trimmed, int line)
    {
        var m = QuotedArgument().Match(trimmed);
        if (!m.Success)
            throw new MagicCommandException(line, "ReferenceError", $"'{trimmed}': expected #r \"path/to/assembly.dll\" or #r \"nuget: Name, version\"");
        var arg = m.Groups[1].Value.Trim();
        if (arg.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase))
        {
            var spec = arg["nuget:".Length..].Split(',', 2);
            var name = spec[0].Trim();
            var version = spec.Length > 1 ? spec[1].Trim() : null;
            if (name.Length == 0)
                throw new MagicCommandException(line, "ReferenceError", $"'{trimmed}': the package name is missing");
            return new Directive(DirectiveKind.NuGetReference, line, name, string.IsNullOrEmpty(version) ? null : version, trimmed);
        }
        return new Directive(DirectiveKind.AssemblyReference, line, arg, null, trimmed);
    }

    [GeneratedRegex("^#r\\s*\"([^\"]*)\"\\s*(//.*)?$")]
    private static partial Regex QuotedArgument();
}
