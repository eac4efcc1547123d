using Markdig;
using Markdig.Extensions.GenericAttributes;
using Markdig.Extensions.Mathematics;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;

namespace AeNotebooks.Runner.Reporting;

/// <summary>
/// Markdown as the reports show it: Markdig's advanced extensions, with formulas as Polyglot Notebooks finds them.
/// <c>$…$</c> becomes <c>&lt;span class="math"&gt;\(…\)&lt;/span&gt;</c>, <c>$$…$$</c> inside a paragraph
/// <c>&lt;span class="math display"&gt;\[…\]&lt;/span&gt;</c> and a <c>$$</c> block <c>&lt;div class="math"&gt;\[…\]&lt;/div&gt;</c>;
/// <see cref="KatexAsset.TypesetScript"/> typesets them in the page. Code spans and blocks stay literal, and a
/// <c>$</c> that opens before a space or closes before a digit is text (<c>$5 and $10</c>).
/// </summary>
public static class ReportMarkdown
{
    static readonly MarkdownPipeline Pipeline = Build();

    static MarkdownPipeline Build()
    {
        var builder = new MarkdownPipelineBuilder().UseAdvancedExtensions();
        // {…} after text would become HTML attributes and eat C# interpolations ($"{x}"); VS Code has no such syntax
        builder.Extensions.RemoveAll(e => e is GenericAttributesExtension);
        builder.Extensions.Add(new DisplayMathExtension());
        return builder.Build();
    }

    public static string ToHtml(string markdown) => ToHtml(markdown, out _);

    /// <summary>The HTML, and how many formulas it holds (each typeset by the page's script).</summary>
    public static string ToHtml(string markdown, out int formulas)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        formulas = document.Descendants<MathInline>().Count() + document.Descendants<MathBlock>().Count();
        return document.ToHtml(Pipeline);
    }

    /// <summary>Renders <c>$$…$$</c> inside a paragraph as display math, as VS Code does (Markdig writes it inline).</summary>
    sealed class DisplayMathExtension : IMarkdownExtension
    {
        public void Setup(MarkdownPipelineBuilder pipeline) { }

        public void Setup(MarkdownPipeline pipeline, IMarkdownRenderer renderer)
        {
            if (renderer is HtmlRenderer html) html.ObjectRenderers.ReplaceOrAdd<HtmlMathInlineRenderer>(new MathInlineRenderer());
        }
    }

    sealed class MathInlineRenderer : HtmlObjectRenderer<MathInline>
    {
        protected override void Write(HtmlRenderer renderer, MathInline math)
        {
            var display = math.DelimiterCount >= 2;
            if (!renderer.EnableHtmlForInline)
            {
                renderer.WriteEscape(ref math.Content);
                return;
            }
            if (display) math.GetAttributes().AddClass("display");
            renderer.Write("<span").WriteAttributes(math).Write(">").Write(display ? "\\[" : "\\(");
            renderer.WriteEscape(ref math.Content);
            renderer.Write(display ? "\\]" : "\\)").Write("</span>");
        }
    }
}
