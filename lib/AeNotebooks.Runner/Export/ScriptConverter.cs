using System.Collections.Immutable;
using System.Text;
using AeNotebooks.Runner.Execution;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AeNotebooks.Runner.Export;

/// <summary>One C# cell, its magic lines already taken out (<see cref="CellDirectives"/>).</summary>
internal sealed record ScriptCell(int Number, string Code);

/// <summary>A cell as parts of a file-based app: using directives (hoisted), statements (in place), types (moved after the statements).</summary>
internal sealed record ConvertedCell(int Number, IReadOnlyList<string> Usings, string Statements, IReadOnlyList<string> Types, IReadOnlyList<string> Warnings);

/// <summary>A top-level variable the app reports at the end (name as in the notebook, name in the app).</summary>
internal sealed record ReportedVariable(string Name, string AppName);

/// <summary>A top-level name declared again in a later cell: from that cell on it has another name in the app.</summary>
internal sealed record Redeclaration(int Cell, string Name, string AppName);

internal sealed record ConversionResult(IReadOnlyList<ConvertedCell> Cells, IReadOnlyList<ReportedVariable> Variables, IReadOnlyList<Redeclaration> Redeclared, bool UsesUnsafe);

/// <summary>
/// Turns the cells of a notebook (chained script submissions) into the top-level statements of one program. The cells
/// are bound as the kernel binds them (a chain of script compilations with the kernel's usings and globals), so that:
/// a cell's trailing expression becomes <c>display(expr);</c> unless it is void; a variable or function declared again
/// in a later cell (allowed in a notebook, "the last declaration wins") gets a new name from there on; a local of a
/// nested block that has the name of a top-level variable (fine for a script, whose variables are fields; an error for
/// top-level statements) is renamed; usings move to the top and type declarations after the statements.
/// </summary>
internal static class ScriptConverter
{
    static readonly CSharpParseOptions ScriptParse = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    public static ConversionResult Convert(IReadOnlyList<ScriptCell> cells, IEnumerable<string> referencePaths, IEnumerable<string> reservedNames)
    {
        var references = CompileReferences.Kernel
            .AddRange(CompileReferences.WithDependencies(referencePaths).Select(CompileReferences.For));
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
            usings: [.. CompileReferences.KernelUsings, CompileReferences.KernelHelpersType], allowUnsafe: true, optimizationLevel: OptimizationLevel.Release);

        // bind every cell in a chain of submissions, as the kernel does
        var bound = new List<(ScriptCell Cell, SyntaxTree Tree, SemanticModel Model)>();
        CSharpCompilation? previous = null;
        foreach (var cell in cells)
        {
            var tree = CSharpSyntaxTree.ParseText(cell.Code, ScriptParse, path: $"cell-{cell.Number}", encoding: Encoding.UTF8);
            var compilation = CSharpCompilation.CreateScriptCompilation($"cell-{cell.Number}", tree, references, options, previous, typeof(object));
            // a cell that does not compile ends the chain (Roslyn chains no submission after one with errors), and an app
            // made of it would not build either
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                var first = errors[0];
                var line = first.Location.GetLineSpan().StartLinePosition.Line + 1;
                var missing = referencePaths.Where(p => !File.Exists(p)).Distinct(StringComparer.Ordinal).ToList();
                throw new ExportException($"cell {cell.Number}, line {line}: the cell does not compile ({first.Id}: {first.GetMessage()}" +
                                          (errors.Count > 1 ? $"; {errors.Count - 1} more error(s)" : "") + "), so it cannot become part of an app" +
                                          (missing.Count > 0 ? $"; the notebook references {string.Join(", ", missing)}, which does not exist: build it first (dotnet build)" : ""));
            }
            bound.Add((cell, tree, compilation.GetSemanticModel(tree)));
            previous = compilation;
        }

        // every identifier in the notebook, so that new names clash with nothing
        var taken = new HashSet<string>(reservedNames, StringComparer.Ordinal);
        foreach (var (_, tree, _) in bound)
            foreach (var token in tree.GetRoot().DescendantTokens())
                if (token.IsKind(SyntaxKind.IdentifierToken)) taken.Add(token.ValueText);
        string Fresh(string name)
        {
            for (var i = 2; ; i++)
            {
                var candidate = name + i;
                if (taken.Add(candidate)) return candidate;
            }
        }

        // declarations: top-level ones (script fields and methods) and locals of nested statements
        var topLevel = new List<(ISymbol Symbol, SyntaxToken Name, int Cell)>();
        var nested = new List<(ISymbol Symbol, SyntaxToken Name)>();
        for (var c = 0; c < bound.Count; c++)
        {
            var (_, tree, model) = bound[c];
            foreach (var (node, name) in Declarations(tree.GetRoot()))
            {
                var symbol = model.GetDeclaredSymbol(node);
                if (symbol is null) continue;
                switch (ScopeOf(node))
                {
                    case Scope.TopLevel: topLevel.Add((symbol, name, c)); break;
                    case Scope.Nested: nested.Add((symbol, name)); break;
                }
            }
        }

        var renames = new Dictionary<SymbolKey, string>();
        var redeclared = new List<Redeclaration>();
        var topNames = new HashSet<string>(StringComparer.Ordinal);
        var lastDeclaration = new Dictionary<string, (ISymbol Symbol, string AppName, int Cell)>(StringComparer.Ordinal);
        foreach (var (symbol, token, cell) in topLevel)
        {
            var name = token.ValueText;
            var appName = name;
            if (!topNames.Add(name))
            {
                appName = Fresh(name);
                topNames.Add(appName);
                renames[SymbolKey.Of(symbol)] = appName;
                redeclared.Add(new Redeclaration(bound[cell].Cell.Number, name, appName));
            }
            lastDeclaration[name] = (symbol, appName, cell);
        }
        foreach (var (symbol, token) in nested)
        {
            if (!topNames.Contains(token.ValueText) || renames.ContainsKey(SymbolKey.Of(symbol))) continue;
            renames[SymbolKey.Of(symbol)] = Fresh(token.ValueText);
        }

        // rewrite each cell
        var converted = new List<ConvertedCell>();
        var usesUnsafe = false;
        foreach (var (cell, tree, model) in bound)
        {
            var root = (CompilationUnitSyntax)tree.GetRoot();
            var text = cell.Code;
            var edits = new List<Edit>();
            var warnings = new List<string>();
            usesUnsafe |= root.DescendantTokens().Any(t => t.IsKind(SyntaxKind.UnsafeKeyword));

            if (renames.Count > 0)
            {
                foreach (var (node, name) in Declarations(root))
                    if (model.GetDeclaredSymbol(node) is { } s && renames.TryGetValue(SymbolKey.Of(s), out var newName))
                        edits.Add(new Edit(name.Span.Start, name.Span.Length, newName));
                foreach (var id in root.DescendantNodes().OfType<SimpleNameSyntax>())
                {
                    var info = model.GetSymbolInfo(id);
                    var s = info.Symbol ?? (info.CandidateSymbols.Length == 1 ? info.CandidateSymbols[0] : null);
                    if (s is not null && renames.TryGetValue(SymbolKey.Of(s), out var newName))
                        edits.Add(new Edit(id.Identifier.Span.Start, id.Identifier.Span.Length, newName));
                }
            }

            var usings = new List<string>();
            var types = new List<string>();
            var statements = new StringBuilder();
            var members = root.Members;
            foreach (var u in root.Usings) usings.Add(Apply(text, u.FullSpan, edits).Trim());
            foreach (var e in root.Externs) usings.Add(Apply(text, e.FullSpan, edits).Trim());
            foreach (var attributes in root.AttributeLists)
                warnings.Add($"cell {cell.Number}: the assembly attribute '{attributes}' was left out");

            for (var i = 0; i < members.Count; i++)
            {
                var member = members[i];
                var memberEdits = new List<Edit>(edits);
                switch (member)
                {
                    case GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement } when i == members.Count - 1:
                        // the cell's value: the notebook shows it
                        var type = model.GetTypeInfo(statement.Expression).Type;
                        var shows = type is null || (type.SpecialType != SpecialType.System_Void && type.Name != "DisplayedValue");
                        if (shows)
                        {
                            memberEdits.Add(new Edit(statement.Expression.SpanStart, 0, "display("));
                            memberEdits.Add(new Edit(statement.Expression.Span.End, 0, ");"));
                        }
                        else
                        {
                            memberEdits.Add(new Edit(statement.Expression.Span.End, 0, ";"));
                        }
                        statements.Append(Apply(text, member.FullSpan, memberEdits));
                        break;
                    case GlobalStatementSyntax:
                        statements.Append(Apply(text, member.FullSpan, memberEdits));
                        break;
                    case FieldDeclarationSyntax field:
                        // a script variable: a top-level local (modifiers such as public or static do not apply to locals)
                        foreach (var m in field.Modifiers.Where(m => !m.IsKind(SyntaxKind.ConstKeyword)))
                            memberEdits.Add(new Edit(m.Span.Start, m.FullSpan.End - m.Span.Start, ""));
                        // a script variable starts as default, a local must be assigned before use: `Tensor answer;`,
                        // filled in by an exercise, is `Tensor answer = default;`
                        foreach (var v in field.Declaration.Variables.Where(v => v.Initializer is null && v.ArgumentList is null))
                            memberEdits.Add(new Edit(v.Identifier.Span.End, 0, " = default"));
                        statements.Append(Apply(text, member.FullSpan, memberEdits));
                        break;
                    case MethodDeclarationSyntax method:
                        // a script function: a local function
                        foreach (var m in method.Modifiers.Where(m => !m.IsKind(SyntaxKind.StaticKeyword) && !m.IsKind(SyntaxKind.AsyncKeyword) &&
                                                                        !m.IsKind(SyntaxKind.UnsafeKeyword) && !m.IsKind(SyntaxKind.ExternKeyword)))
                            memberEdits.Add(new Edit(m.Span.Start, m.FullSpan.End - m.Span.Start, ""));
                        statements.Append(Apply(text, member.FullSpan, memberEdits));
                        break;
                    case BaseTypeDeclarationSyntax or DelegateDeclarationSyntax:
                        types.Add(Apply(text, member.FullSpan, memberEdits).Trim('\n', '\r'));
                        break;
                    default:
                        // properties, events, indexers at the top of a script have no top-level-statement equivalent
                        warnings.Add($"cell {cell.Number}, line {member.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: " +
                                     $"a top-level {Describe(member)} cannot be a top-level statement; it was left in as a comment");
                        statements.Append(Commented(Apply(text, member.FullSpan, memberEdits)));
                        break;
                }
            }
            // trivia after the last member (comments at the end of the cell)
            var tail = root.EndOfFileToken.LeadingTrivia.ToFullString();
            if (tail.Trim().Length > 0) statements.Append(tail);
            if (root.DescendantTrivia().Any(t => t.IsKind(SyntaxKind.LoadDirectiveTrivia)))
                warnings.Add($"cell {cell.Number}: #load is not supported by file-based apps; paste the script's code instead");
            converted.Add(new ConvertedCell(cell.Number, usings, TrimBlankLines(statements.ToString()), types, warnings));
        }

        // the variables the app reports at the end: numbers and booleans (and arrays of them), the last declaration of each name
        var variables = new List<ReportedVariable>();
        foreach (var (name, (symbol, appName, _)) in lastDeclaration.OrderBy(p => p.Value.Cell).ThenBy(p => p.Value.Symbol.Locations[0].SourceSpan.Start))
        {
            var type = symbol switch { IFieldSymbol f => f.Type, ILocalSymbol l => l.Type, _ => null };
            if (type is null || !IsReportable(type)) continue;
            // declarations only (every one is assigned: see `= default` above), not pattern variables
            if (symbol.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not VariableDeclaratorSyntax) continue;
            variables.Add(new ReportedVariable(name, appName));
        }
        return new ConversionResult(converted, variables, redeclared, usesUnsafe);
    }

    static string Describe(MemberDeclarationSyntax member) => member switch
    {
        PropertyDeclarationSyntax => "property",
        EventFieldDeclarationSyntax or EventDeclarationSyntax => "event",
        IndexerDeclarationSyntax => "indexer",
        _ => member.Kind().ToString(),
    };

    static string Commented(string code) =>
        string.Join("\n", code.Split('\n').Select(l => l.Trim().Length == 0 ? l : "// " + l.TrimEnd('\r')));

    static bool IsReportable(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol { Rank: 1 } array => IsScalar(array.ElementType),
        _ => IsScalar(type),
    };

    static bool IsScalar(ITypeSymbol type) =>
        type.SpecialType is SpecialType.System_Boolean or SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_Int16
            or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64
            or SpecialType.System_UInt64 or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal
        || type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n && IsScalar(n.TypeArguments[0]);

    enum Scope { TopLevel, Nested, Inner }

    /// <summary>Declarations whose names may clash in one program: variables, loop and catch variables, functions.</summary>
    static IEnumerable<(SyntaxNode Node, SyntaxToken Name)> Declarations(SyntaxNode root)
    {
        foreach (var node in root.DescendantNodes())
        {
            switch (node)
            {
                case VariableDeclaratorSyntax v when v.Parent?.Parent is not (EventFieldDeclarationSyntax) &&
                                                     !(v.Parent?.Parent is FieldDeclarationSyntax f && f.Parent is TypeDeclarationSyntax):
                    yield return (v, v.Identifier);
                    break;
                case SingleVariableDesignationSyntax d:
                    yield return (d, d.Identifier);
                    break;
                case ForEachStatementSyntax f:
                    yield return (f, f.Identifier);
                    break;
                case CatchDeclarationSyntax { Identifier.RawKind: (int)SyntaxKind.IdentifierToken } c:
                    yield return (c, c.Identifier);
                    break;
                case LocalFunctionStatementSyntax l:
                    yield return (l, l.Identifier);
                    break;
                case MethodDeclarationSyntax m when m.Parent is CompilationUnitSyntax:
                    yield return (m, m.Identifier);
                    break;
            }
        }
    }

    /// <summary>
    /// Where a declaration lands in a program made of top-level statements: the top-level scope (script fields and
    /// methods; variables of a top-level declaration, expression statement, if condition, return or throw), a nested
    /// statement's scope (blocks, loops, using, catch), or inside a lambda or function (which may shadow anything).
    /// </summary>
    static Scope ScopeOf(SyntaxNode declaration)
    {
        if (declaration is MethodDeclarationSyntax) return Scope.TopLevel;
        if (declaration is VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax { Parent: CompilationUnitSyntax } }) return Scope.TopLevel;
        var child = declaration;
        for (var node = declaration; node is not null; child = node, node = node.Parent)
        {
            if (node != declaration && node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax
                    or AccessorDeclarationSyntax or QueryExpressionSyntax)
                return Scope.Inner;
            if (node is TypeDeclarationSyntax) return Scope.Inner;
            if (node is FieldDeclarationSyntax { Parent: CompilationUnitSyntax }) return Scope.TopLevel;
            if (node is StatementSyntax statement)
            {
                if (statement.Parent is not GlobalStatementSyntax) return Scope.Nested;
                return statement switch
                {
                    ExpressionStatementSyntax or LocalDeclarationStatementSyntax or ReturnStatementSyntax or ThrowStatementSyntax
                        or YieldStatementSyntax => node == declaration ? Scope.Nested : Scope.TopLevel,
                    IfStatementSyntax i when child == i.Condition => Scope.TopLevel,
                    _ => Scope.Nested,
                };
            }
        }
        return Scope.Inner;
    }

    readonly record struct Edit(int Start, int Length, string Text);

    /// <summary>
    /// The text of <paramref name="span"/> with the edits inside it applied. At one position a replacement is applied
    /// before an insertion, so that an insertion lands in front of the replaced text.
    /// </summary>
    static string Apply(string text, Microsoft.CodeAnalysis.Text.TextSpan span, List<Edit> edits)
    {
        var sb = new StringBuilder(text, span.Start, span.Length, span.Length + 16);
        foreach (var e in edits.Where(e => e.Start >= span.Start && e.Start + e.Length <= span.End)
                               .OrderByDescending(e => e.Start).ThenByDescending(e => e.Length))
        {
            sb.Remove(e.Start - span.Start, e.Length).Insert(e.Start - span.Start, e.Text);
        }
        return sb.ToString();
    }

    static string TrimBlankLines(string code)
    {
        var lines = code.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0) lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return string.Join("\n", lines);
    }

    /// <summary>Identifies a declared symbol across the submissions of the chain: its declaration's tree and position.</summary>
    readonly record struct SymbolKey(SyntaxTree? Tree, int Position, string Name)
    {
        public static SymbolKey Of(ISymbol symbol)
        {
            symbol = symbol.OriginalDefinition;
            if (symbol is IMethodSymbol { MethodKind: MethodKind.ReducedExtension } reduced) symbol = reduced.ReducedFrom ?? symbol;
            var location = symbol.Locations.FirstOrDefault(l => l.IsInSource);
            return new SymbolKey(location?.SourceTree, location?.SourceSpan.Start ?? -1, symbol.Name);
        }
    }
}
