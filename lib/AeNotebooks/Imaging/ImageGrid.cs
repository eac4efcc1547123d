using System.Net;
using System.Text;
using AeNotebooks.Rendering;

namespace AeNotebooks.Imaging;

/// <summary>
/// Pictures in labelled rows with a caption under each, e.g. original / corrupted / reconstructed. Renders as
/// script-free HTML (one PNG per cell, captions as text) and as one composite PNG.
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "image/png", "text/plain"])]
public sealed class ImageGrid : IPngRenderable
{
    public string? Title { get; init; }
    /// <summary>Smaller text under the title: what the rows are, what the numbers mean.</summary>
    public string? Subtitle { get; init; }
    public IReadOnlyList<string> RowLabels { get; }
    public IReadOnlyList<string>? ColumnLabels { get; init; }
    /// <summary>Cells[row][column], already at display size.</summary>
    public IReadOnlyList<IReadOnlyList<Raster>> Cells { get; }
    /// <summary>Captions[row][column] (null or empty: none).</summary>
    public IReadOnlyList<IReadOnlyList<string?>>? Captions { get; init; }
    /// <summary>Remarks shown under the grid (e.g. values clipped to the display range).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>Pixels between cells in the composite PNG.</summary>
    public int Gap { get; init; } = 4;

    public ImageGrid(IReadOnlyList<string> rowLabels, IReadOnlyList<IReadOnlyList<Raster>> cells)
    {
        if (rowLabels.Count != cells.Count) throw new ArgumentException($"{rowLabels.Count} row labels for {cells.Count} rows");
        if (cells.Count == 0 || cells.Any(r => r.Count == 0)) throw new ArgumentException("an image grid needs at least one picture in every row");
        RowLabels = rowLabels;
        Cells = cells;
    }

    public int Rows => Cells.Count;
    public int Columns => Cells.Max(r => r.Count);

    string? Caption(int r, int c) => Captions is { } cs && r < cs.Count && c < cs[r].Count ? cs[r][c] : null;

    public string ToHtml()
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.Append("<figure class=\"aen-grid\" style=\"margin:.4em 0;font-family:Inter,'Segoe UI','Helvetica Neue',Arial,sans-serif;font-size:13px;color:#24292F\">");
        if (Title is not null || Subtitle is not null)
        {
            sb.Append("<figcaption style=\"margin:0 0 .4em 0\">");
            if (Title is not null) sb.Append("<div style=\"font-weight:600;font-size:15px\">").Append(E(Title)).Append("</div>");
            if (Subtitle is not null) sb.Append("<div style=\"color:#57606A\">").Append(E(Subtitle)).Append("</div>");
            sb.Append("</figcaption>");
        }
        const string cell = "border:0;padding:0 0 2px 0;text-align:center;vertical-align:top;background:none";
        sb.Append("<table style=\"width:auto;border-collapse:separate;border-spacing:6px 4px;margin:0\">");
        if (ColumnLabels is { Count: > 0 } cols)
        {
            sb.Append("<tr><th style=\"").Append(cell).Append("\"></th>");
            foreach (var c in cols) sb.Append("<th style=\"").Append(cell).Append(";font-weight:500;color:#57606A\">").Append(E(c)).Append("</th>");
            sb.Append("</tr>");
        }
        for (int r = 0; r < Rows; r++)
        {
            sb.Append("<tr><th scope=\"row\" style=\"").Append(cell).Append(";text-align:right;vertical-align:middle;font-weight:600;padding-right:4px;white-space:nowrap\">")
              .Append(E(RowLabels[r])).Append("</th>");
            for (int c = 0; c < Cells[r].Count; c++)
            {
                var img = Cells[r][c];
                var caption = Caption(r, c);
                sb.Append("<td style=\"").Append(cell).Append("\"><img alt=\"").Append(E(RowLabels[r])).Append(' ').Append(c + 1)
                  .Append("\" width=\"").Append(img.Width).Append("\" height=\"").Append(img.Height)
                  .Append("\" style=\"display:block;image-rendering:pixelated;border:1px solid #D0D7DE;max-width:none\" src=\"").Append(img.ToDataUri()).Append("\">");
                if (!string.IsNullOrEmpty(caption))
                    sb.Append("<div style=\"font-size:11px;color:#57606A;font-variant-numeric:tabular-nums;line-height:1.3\">").Append(E(caption)).Append("</div>");
                sb.Append("</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</table>");
        foreach (var note in Notes) sb.Append("<div style=\"color:#9A6700;font-size:12px\">").Append(E(note)).Append("</div>");
        sb.Append("</figure>");
        return sb.ToString();
    }

    /// <summary>All pictures in one PNG on white, rows and columns separated by <see cref="Gap"/> pixels (no text).</summary>
    public Raster ToRaster()
    {
        int cols = Columns;
        var colWidths = Enumerable.Range(0, cols).Select(c => Cells.Max(r => c < r.Count ? r[c].Width : 0)).ToArray();
        var rowHeights = Cells.Select(r => r.Max(i => i.Height)).ToArray();
        int width = colWidths.Sum() + Gap * (cols + 1), height = rowHeights.Sum() + Gap * (Rows + 1);
        int channels = Cells.Any(r => r.Any(i => i.Channels == 3)) ? 3 : 1;
        var canvas = Raster.Filled(width, height, channels, 255, 255, 255);
        int y = Gap;
        for (int r = 0; r < Rows; r++)
        {
            int x = Gap;
            for (int c = 0; c < Cells[r].Count; c++)
            {
                canvas.Draw(Cells[r][c], x, y);
                x += colWidths[c] + Gap;
            }
            y += rowHeights[r] + Gap;
        }
        return canvas;
    }

    public byte[] ToPng() => ToRaster().ToPng();

    public string ToText()
    {
        var sb = new StringBuilder();
        if (Title is not null) sb.AppendLine(Title);
        if (Subtitle is not null) sb.AppendLine(Subtitle);
        for (int r = 0; r < Rows; r++)
        {
            sb.Append(RowLabels[r]).Append(": ").Append(Cells[r].Count).Append(" images");
            var captions = Enumerable.Range(0, Cells[r].Count).Select(c => Caption(r, c)).Where(c => !string.IsNullOrEmpty(c)).ToList();
            if (captions.Count > 0) sb.Append(" — ").Append(string.Join(", ", captions));
            sb.AppendLine();
        }
        foreach (var n in Notes) sb.AppendLine(n);
        return sb.ToString().TrimEnd();
    }

    public override string ToString() => ToText();
}
