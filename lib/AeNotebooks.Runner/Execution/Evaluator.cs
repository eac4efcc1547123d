using System.Diagnostics;
using AeNotebooks.Runner.Kernel;
using AeNotebooks.Runner.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace AeNotebooks.Runner.Execution;

/// <summary>
/// <see cref="NotebookRun.EvaluateAsync"/>: the code goes to the kernel as one more submission. A value cannot cross
/// the process boundary, so a last expression without <c>;</c> is kept in a variable and asked back as JSON with the
/// kernel's own value sharing (RequestValue), as #!share would.
/// </summary>
static class Evaluator
{
    const string ResultVariable = "__aenbEvaluation";

    public static async Task<Evaluation> EvaluateAsync(KernelProcess kernel, string code, int number, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var outputs = new CellOutputs(new Dictionary<string, CellOutput>(StringComparer.Ordinal));
        var (submitted, hasValue) = CaptureLastExpression(code);
        var result = await kernel.SendAsync(new SubmitCode(submitted, "csharp"), timeout, e => outputs.Add(e, 0), cancellationToken).ConfigureAwait(false);
        var (status, error) = NotebookRunner.Judge(result, outputs, number);

        KernelValue? value = null;
        if (status == CellRunStatus.Succeeded && hasValue)
        {
            string? json = null, typeName = null, text = null;
            await kernel.SendAsync(new RequestValueInfos("csharp"), TimeSpan.FromSeconds(30), e =>
            {
                if (e is ValueInfosProduced infos && infos.ValueInfos.FirstOrDefault(i => i.Name == ResultVariable) is { } info)
                    (typeName, text) = (info.TypeName, info.FormattedValue?.Value);
            }, cancellationToken).ConfigureAwait(false);
            var shared = await kernel.SendAsync(new RequestValue(ResultVariable, "application/json", "csharp"), TimeSpan.FromSeconds(30), e =>
            {
                if (e is ValueProduced produced) json = produced.FormattedValue?.Value;
            }, cancellationToken).ConfigureAwait(false);
            if (shared.Outcome == CommandOutcome.Succeeded) value = new KernelValue(typeName, text, json);
        }
        var all = outputs.Outputs.ToList();
        if (error is not null) all.Add(CellOutput.ErrorOutput(error.Kind, error.Summary, error.Details.Count > 0 ? error.Details : [error.Summary]));
        return new Evaluation(status, value, hasValue && value is not null, error, all, clock.Elapsed);
    }

    /// <summary>"…; x.Passed" becomes "…; var __aenbEvaluation = (x.Passed);" when the code ends with an expression without ';'.</summary>
    internal static (string Code, bool HasValue) CaptureLastExpression(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        if (tree.GetRoot() is not CompilationUnitSyntax root ||
            root.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement })
        {
            return (code, false);
        }
        var expression = statement.Expression.Span;
        var captured = code[..expression.Start] + $"var {ResultVariable} = ({code[expression.Start..expression.End]});" + code[expression.End..];
        return (captured, true);
    }
}
