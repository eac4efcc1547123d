using System.Net;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AeNotebooks.Runner.Reporting;

/// <summary>Syntax highlighting of a C# cell from Roslyn's tokens: keywords, strings, numbers, comments, directives.</summary>
public static class CSharpHighlighter
{
    public static string ToHtml(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        var sb = new StringBuilder(code.Length * 2);
        foreach (var token in tree.GetRoot().DescendantTokens())
        {
            foreach (var t in token.LeadingTrivia) Trivia(sb, t);
            Span(sb, TokenClass(token), token.Text);
            foreach (var t in token.TrailingTrivia) Trivia(sb, t);
        }
        return sb.ToString();
    }

    static void Trivia(StringBuilder sb, SyntaxTrivia trivia)
    {
        var kind = trivia.Kind();
        string? cls = kind switch
        {
            SyntaxKind.SingleLineCommentTrivia or SyntaxKind.MultiLineCommentTrivia or
                SyntaxKind.SingleLineDocumentationCommentTrivia or SyntaxKind.MultiLineDocumentationCommentTrivia => "c",
            SyntaxKind.DisabledTextTrivia => "c",
            _ when trivia.IsDirective || kind is SyntaxKind.BadDirectiveTrivia or SyntaxKind.ShebangDirectiveTrivia => "d",
            _ => null,
        };
        var text = trivia.ToFullString();
        var body = cls is null ? text : text.TrimEnd('\r', '\n');
        Span(sb, cls, body);
        if (body.Length < text.Length) sb.Append(text[body.Length..]); // line breaks stay outside the span
    }

    static string? TokenClass(SyntaxToken token)
    {
        var kind = token.Kind();
        if (SyntaxFacts.IsKeywordKind(kind)) return "k";
        switch (kind)
        {
            case SyntaxKind.StringLiteralToken:
            case SyntaxKind.CharacterLiteralToken:
            case SyntaxKind.InterpolatedStringStartToken:
            case SyntaxKind.InterpolatedStringEndToken:
            case SyntaxKind.InterpolatedStringTextToken:
            case SyntaxKind.InterpolatedVerbatimStringStartToken:
            case SyntaxKind.InterpolatedRawStringEndToken:
            case SyntaxKind.InterpolatedSingleLineRawStringStartToken:
            case SyntaxKind.InterpolatedMultiLineRawStringStartToken:
            case SyntaxKind.SingleLineRawStringLiteralToken:
            case SyntaxKind.MultiLineRawStringLiteralToken:
            case SyntaxKind.Utf8StringLiteralToken:
                return "s";
            case SyntaxKind.NumericLiteralToken:
                return "n";
            case SyntaxKind.IdentifierToken when SyntaxFacts.GetContextualKeywordKind(token.Text) is SyntaxKind.VarKeyword or SyntaxKind.AwaitKeyword
                or SyntaxKind.AsyncKeyword or SyntaxKind.RecordKeyword or SyntaxKind.YieldKeyword or SyntaxKind.NameOfKeyword:
                return "k";
            case SyntaxKind.IdentifierToken when token.Text.Length > 0 && char.IsUpper(token.Text[0]):
                return "t";
            default:
                return null;
        }
    }

    static void Span(StringBuilder sb, string? cls, string text)
    {
        if (text.Length == 0) return;
        if (cls is null)
        {
            sb.Append(WebUtility.HtmlEncode(text));
            return;
        }
        sb.Append("<span class=\"").Append(cls).Append("\">").Append(WebUtility.HtmlEncode(text)).Append("</span>");
    }
}
