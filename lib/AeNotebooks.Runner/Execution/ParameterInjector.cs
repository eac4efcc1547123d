using System.Globalization;
using System.Text;
using AeNotebooks.Runner.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AeNotebooks.Runner.Execution;

/// <summary>A --param value that cannot replace the declared variable (wrong type, for instance): reported on the parameters cell.</summary>
public sealed class ParameterException(int cellIndex, int line, string message) : Exception(message)
{
    /// <summary>0-based index of the parameters cell.</summary>
    public int CellIndex { get; } = cellIndex;
    public int Line { get; } = line;
}

/// <summary>What --param did: the parameters cell's index (-1: none), the values applied, the names the cell does not declare.</summary>
internal sealed record ParameterInjection(int ParametersCell, IReadOnlyDictionary<string, string> Applied, IReadOnlyList<string> Unknown);

/// <summary>
/// papermill's convention, adapted to C#: the cell tagged <c>parameters</c> (or, in a .dib, whose first line is
/// <c>// parameters</c>) declares variables with default values; the --param values go into a new cell right after
/// it, tagged <c>injected-parameters</c>, that assigns each variable a literal of its declared (or inferred) type.
/// </summary>
internal static class ParameterInjector
{
    public static NotebookCell? FindParametersCell(Notebook nb) =>
        nb.Cells.FirstOrDefault(c => c.IsCode &&
            (c.Tags.Contains("parameters", StringComparer.Ordinal) ||
             string.Equals(FirstLine(c.Source), "// parameters", StringComparison.OrdinalIgnoreCase)));

    static string FirstLine(string source)
    {
        foreach (var line in source.Split('\n'))
        {
            var t = line.Trim();
            if (t.Length > 0) return t;
        }
        return "";
    }

    public const string Tag = "parameters", InjectedTag = "injected-parameters";

    /// <summary>Inserts the injected-parameters cell after the parameters cell. Null when there is nothing to inject.</summary>
    public static ParameterInjection? Apply(Notebook nb, IReadOnlyDictionary<string, string> parameters)
    {
        if (parameters.Count == 0) return null;
        var cell = FindParametersCell(nb);
        if (cell is null) return new ParameterInjection(-1, new Dictionary<string, string>(), parameters.Keys.ToList());
        var cellIndex = nb.Cells.IndexOf(cell);

        var tree = CSharpSyntaxTree.ParseText(cell.Source, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        var root = tree.GetRoot();
        var declarators = root.DescendantNodes().OfType<VariableDeclaratorSyntax>()
            .Where(d => d.Initializer is not null && d.Parent is VariableDeclarationSyntax v &&
                        (v.Parent is FieldDeclarationSyntax || v.Parent is LocalDeclarationStatementSyntax { Parent: GlobalStatementSyntax }))
            .ToList();

        var assignments = new List<string>();
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var (name, value) in parameters)
        {
            var matches = declarators.Where(d => d.Identifier.ValueText == name).ToList();
            if (matches.Count == 0)
            {
                unknown.Add(name);
                continue;
            }
            foreach (var d in matches)
            {
                var declaration = (VariableDeclarationSyntax)d.Parent!;
                var line = d.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                var type = declaration.Type.IsVar ? InferType(d.Initializer!.Value) : Normalize(declaration.Type.ToString());
                assignments.Add($"{name} = {ToLiteral(cellIndex, name, value, type, line)};");
                break; // one assignment, whichever declaration of the name comes first
            }
            applied[name] = value;
        }

        if (assignments.Count > 0)
        {
            var injected = new NotebookCell { Kind = CellKind.Code, Language = cell.Language, Source = "// Injected parameters\n" + string.Join("\n", assignments) };
            injected.Tags.Add(InjectedTag);
            var values = new System.Text.Json.Nodes.JsonObject();
            foreach (var (k, v) in applied.OrderBy(p => p.Key, StringComparer.Ordinal)) values[k] = v;
            injected.RunMetadata = new System.Text.Json.Nodes.JsonObject { ["injectedParameters"] = values };
            nb.Cells.Insert(cellIndex + 1, injected);
        }
        return new ParameterInjection(cellIndex, applied, unknown);
    }

    static string? Normalize(string type) => type switch
    {
        "int" or "Int32" or "System.Int32" => "int",
        "long" or "Int64" or "System.Int64" => "long",
        "short" or "Int16" or "System.Int16" => "short",
        "byte" or "Byte" or "System.Byte" => "byte",
        "uint" or "UInt32" or "System.UInt32" => "uint",
        "ulong" or "UInt64" or "System.UInt64" => "ulong",
        "double" or "Double" or "System.Double" => "double",
        "float" or "Single" or "System.Single" => "float",
        "decimal" or "Decimal" or "System.Decimal" => "decimal",
        "bool" or "Boolean" or "System.Boolean" => "bool",
        "string" or "String" or "System.String" or "string?" => "string",
        _ => null,
    };

    static string? InferType(ExpressionSyntax e) => e switch
    {
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } => "string",
        InterpolatedStringExpressionSyntax => "string",
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.TrueLiteralExpression or (int)SyntaxKind.FalseLiteralExpression } => "bool",
        LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } lit => lit.Token.Value switch
        {
            int => "int",
            long => "long",
            uint => "uint",
            ulong => "ulong",
            float => "float",
            double => "double",
            decimal => "decimal",
            _ => null,
        },
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } u => InferType(u.Operand),
        ParenthesizedExpressionSyntax p => InferType(p.Expression),
        _ => null,
    };

    static string ToLiteral(int cellIndex, string name, string value, string? type, int line)
    {
        var inv = CultureInfo.InvariantCulture;
        string Bad(string what) => throw new ParameterException(cellIndex, line, $"parameter '{name}': '{value}' is not a valid {what}");
        switch (type)
        {
            case "string":
                return SymbolDisplay.FormatLiteral(value, quote: true);
            case "bool":
                return bool.TryParse(value, out var b) ? (b ? "true" : "false") : Bad("bool (true or false)");
            case "int" or "short" or "byte":
                return long.TryParse(value, NumberStyles.Integer, inv, out var i) ? i.ToString(inv) : Bad(type);
            case "long":
                return long.TryParse(value, NumberStyles.Integer, inv, out var l) ? l.ToString(inv) + "L" : Bad(type);
            case "uint":
                return ulong.TryParse(value, NumberStyles.Integer, inv, out var ui) ? ui.ToString(inv) + "U" : Bad(type);
            case "ulong":
                return ulong.TryParse(value, NumberStyles.Integer, inv, out var ul) ? ul.ToString(inv) + "UL" : Bad(type);
            case "double":
                return double.TryParse(value, NumberStyles.Float, inv, out var d) && double.IsFinite(d) ? d.ToString("R", inv) + "d" : Bad(type);
            case "float":
                return float.TryParse(value, NumberStyles.Float, inv, out var f) && float.IsFinite(f) ? f.ToString("R", inv) + "f" : Bad(type);
            case "decimal":
                return decimal.TryParse(value, NumberStyles.Float, inv, out var m) ? m.ToString(inv) + "m" : Bad(type);
            default:
                // another type: the value is taken as a C# expression (e.g. TimeSpan.FromSeconds(5))
                return value;
        }
    }
}
