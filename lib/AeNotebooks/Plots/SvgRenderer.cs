using System.Globalization;
using System.Net;
using System.Text;
using AeNotebooks.Imaging;

namespace AeNotebooks.Plotting;

/// <summary>
/// Draws a <see cref="Figure"/> as a static SVG, following plotly.js's layout rules for the parts the charts use:
/// subplots by axis domain, linear and log axes with ticks and grid, lines (with gaps at NaN), markers, bars,
/// heatmaps (a nearest-neighbour PNG), shapes, annotations, a legend and a colour bar. It is the picture shown
/// where scripts do not run (a repository's notebook preview), so it aims to look like the interactive chart.
/// </summary>
public static class SvgRenderer
{
    const double CharWidth = 0.5; // average glyph advance of a sans-serif face, in ems

    sealed class AxisInfo
    {
        public required string Id;
        public required Axis Axis;
        public bool IsX;
        public double Lo, Hi;          // range in axis units (log10 for log axes)
        public double PxFrom, PxTo;    // pixel positions of Lo and Hi
        public bool Log => Axis.IsLog;

        public double ToUnit(double v) => Log ? (v > 0 ? Math.Log10(v) : double.NaN) : v;

        public double Px(double v)
        {
            double u = ToUnit(v);
            return double.IsFinite(u) ? PxFrom + (u - Lo) / (Hi - Lo) * (PxTo - PxFrom) : double.NaN;
        }
    }

    public static string Render(Figure figure, string? idPrefix = null)
    {
        var r = new Renderer(figure, idPrefix ?? figure.Id + "-svg");
        return r.Draw();
    }

    sealed class Renderer(Figure figure, string prefix)
    {
        readonly Layout layout = figure.Layout;
        readonly StringBuilder sb = new();
        readonly Dictionary<string, AxisInfo> axes = new();
        double W, H, left, right, top, bottom;
        double fontSize;
        string fontColor = Palette.Text;

        public string Draw()
        {
            W = layout.Width; H = layout.Height;
            var m = layout.Margin ?? new Margin();
            left = m.L ?? 80; right = W - (m.R ?? 80); top = m.T ?? 100; bottom = H - (m.B ?? 80);
            fontSize = layout.Font?.Size ?? 12;
            fontColor = layout.Font?.Color ?? Palette.Text;
            var family = layout.Font?.Family ?? Palette.FontFamily;
            var title = layout.Title?.Text;

            sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"").Append(N(W))
              .Append("\" height=\"").Append(N(H)).Append("\" viewBox=\"0 0 ").Append(N(W)).Append(' ').Append(N(H))
              .Append("\" font-family=\"").Append(E(family)).Append("\" font-size=\"").Append(N(fontSize)).Append("\" fill=\"").Append(fontColor)
              .Append("\" role=\"img\" aria-label=\"").Append(E(Plain(title ?? "chart"))).Append("\">");
            if (title is not null) sb.Append("<title>").Append(E(Plain(title))).Append("</title>");
            sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"").Append(layout.PaperBgColor ?? Palette.Background).Append("\"/>");

            BuildAxes();
            var subplots = figure.Data.Select(t => (t.XId, t.YId)).Distinct().ToList();
            if (subplots.Count == 0 && axes.ContainsKey("x") && axes.ContainsKey("y")) subplots.Add(("x", "y"));
            foreach (var (x, y) in subplots) DrawFrame(axes[x], axes[y]);
            DrawShapes("below");
            foreach (var trace in figure.Data.OfType<Heatmap>()) DrawHeatmap(trace);
            foreach (var trace in figure.Data.OfType<Bar>()) DrawBars(trace);
            foreach (var trace in figure.Data.OfType<Scatter>()) DrawScatter(trace);
            foreach (var (x, y) in subplots) DrawAxes(axes[x], axes[y]);
            DrawShapes("above");
            DrawAnnotations();
            DrawLegend();
            DrawColorBar();
            if (title is not null) DrawTitle(layout.Title!);
            sb.Append("</svg>");
            return sb.ToString();
        }

        // ---- axes ----

        void BuildAxes()
        {
            var ids = new List<string>();
            foreach (var t in figure.Data) { ids.Add(t.XId); ids.Add(t.YId); }
            foreach (var key in layout.AxisEntries.Keys) ids.Add(key[..1] + key[5..]);
            if (ids.Count == 0) ids.AddRange(["x", "y"]);
            foreach (var id in ids.Distinct())
            {
                var axis = layout.AxisById(id) ?? new Axis();
                axes[id] = new AxisInfo { Id = id, Axis = axis, IsX = id[0] == 'x' };
            }
            foreach (var a in axes.Values) AutoRange(a);
            // axes that match another share the union of their ranges
            foreach (var group in axes.Values.GroupBy(a => a.Axis.Matches ?? a.Id))
            {
                var members = group.Concat(axes.TryGetValue(group.Key, out var lead) ? [lead] : []).Distinct().ToList();
                if (members.Count < 2) continue;
                double lo = members.Min(a => a.Lo), hi = members.Max(a => a.Hi);
                foreach (var a in members) { a.Lo = lo; a.Hi = hi; }
            }
            foreach (var a in axes.Values)
            {
                var d = a.Axis.Domain ?? [0, 1];
                if (a.IsX) { a.PxFrom = left + d[0] * (right - left); a.PxTo = left + d[1] * (right - left); }
                else { a.PxFrom = bottom - d[0] * (bottom - top); a.PxTo = bottom - d[1] * (bottom - top); }
            }
        }

        void AutoRange(AxisInfo a)
        {
            if (a.Axis.Range is [var r0, var r1] && double.IsFinite(r0) && double.IsFinite(r1) && r1 != r0) { a.Lo = r0; a.Hi = r1; return; }
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            bool pad = false, markers = false, toZero = a.Axis.RangeMode == "tozero";
            void Take(double v)
            {
                double u = a.ToUnit(v);
                if (!double.IsFinite(u)) return;
                if (u < lo) lo = u;
                if (u > hi) hi = u;
            }
            foreach (var t in figure.Data.Where(t => (a.IsX ? t.XId : t.YId) == a.Id))
            {
                var values = a.IsX ? t.X : t.Y;
                switch (t)
                {
                    case Heatmap: // cell edges, not centres
                        if (values is { Length: > 0 })
                        {
                            double step = values.Length > 1 ? (values[^1] - values[0]) / (values.Length - 1) : 1;
                            Take(values[0] - step / 2); Take(values[^1] + step / 2);
                        }
                        break;
                    case Bar b:
                        if (values is null) break;
                        if (a.IsX) foreach (var v in values) { Take(v - (b.Width ?? 0) / 2); Take(v + (b.Width ?? 0) / 2); }
                        else { foreach (var v in values) Take(v); if (!a.Log) Take(0); pad = true; }
                        break;
                    case Scatter s:
                        if (values is null) break;
                        // a point whose partner coordinate is missing is not drawn, so it does not count
                        var other = a.IsX ? s.Y : s.X;
                        for (int i = 0; i < values.Length; i++)
                            if (other is null || (i < other.Length && double.IsFinite(other[i]))) Take(values[i]);
                        pad |= !a.IsX;
                        markers |= a.IsX && s.Mode.Contains("markers");
                        break;
                }
            }
            if (toZero && !a.Log) { Take(0); }
            if (!double.IsFinite(lo)) { lo = a.Log ? -1 : 0; hi = a.Log ? 1 : 1; }
            if (hi - lo < 1e-12) { double d = a.Log ? 0.5 : Math.Max(Math.Abs(lo) * 0.1, 0.5); lo -= d; hi += d; }
            else if (pad)
            {
                double p = (hi - lo) * 0.05;
                bool zeroFloor = toZero || (!a.Log && lo == 0 && figure.Data.Any(t => t is Bar && t.YId == a.Id));
                if (!zeroFloor) lo -= p;
                hi += p;
            }
            else if (markers)
            {
                // room for the markers at the ends, as plotly leaves
                double p = (hi - lo) * 0.02;
                lo -= p; hi += p;
            }
            a.Lo = lo; a.Hi = hi;
        }

        void DrawFrame(AxisInfo x, AxisInfo y)
        {
            double x0 = x.PxFrom, x1 = x.PxTo, y0 = y.PxTo, y1 = y.PxFrom;
            sb.Append("<rect x=\"").Append(N(x0)).Append("\" y=\"").Append(N(y0)).Append("\" width=\"").Append(N(x1 - x0))
              .Append("\" height=\"").Append(N(y1 - y0)).Append("\" fill=\"").Append(layout.PlotBgColor ?? Palette.Background).Append("\"/>");
            sb.Append("<clipPath id=\"").Append(ClipId(x, y)).Append("\"><rect x=\"").Append(N(x0)).Append("\" y=\"").Append(N(y0))
              .Append("\" width=\"").Append(N(x1 - x0)).Append("\" height=\"").Append(N(y1 - y0)).Append("\"/></clipPath>");
            // grid lines under everything
            sb.Append("<g stroke-width=\"1\" fill=\"none\">");
            if (x.Axis.ShowGrid != false)
                foreach (var (v, _) in Ticks(x))
                    sb.Append("<line x1=\"").Append(N(x.Px(v))).Append("\" x2=\"").Append(N(x.Px(v))).Append("\" y1=\"").Append(N(y0))
                      .Append("\" y2=\"").Append(N(y1)).Append("\" stroke=\"").Append(x.Axis.GridColor ?? Palette.Grid).Append("\"/>");
            if (y.Axis.ShowGrid != false)
                foreach (var (v, _) in Ticks(y))
                    sb.Append("<line x1=\"").Append(N(x0)).Append("\" x2=\"").Append(N(x1)).Append("\" y1=\"").Append(N(y.Px(v)))
                      .Append("\" y2=\"").Append(N(y.Px(v))).Append("\" stroke=\"").Append(y.Axis.GridColor ?? Palette.Grid).Append("\"/>");
            sb.Append("</g>");
        }

        readonly HashSet<string> drawnAxes = new();

        void DrawAxes(AxisInfo x, AxisInfo y)
        {
            double x0 = x.PxFrom, x1 = x.PxTo, y0 = y.PxTo, y1 = y.PxFrom;
            double tickFont = x.Axis.TickFont?.Size ?? fontSize - 1;
            var lineColor = x.Axis.LineColor ?? Palette.AxisLine;
            if (drawnAxes.Add(x.Id))
            {
                sb.Append("<g class=\"xaxis\" font-size=\"").Append(N(tickFont)).Append("\" fill=\"").Append(Palette.MutedText).Append("\" text-anchor=\"middle\">");
                if (x.Axis.ShowLine != false)
                    sb.Append("<line x1=\"").Append(N(x0)).Append("\" x2=\"").Append(N(x1)).Append("\" y1=\"").Append(N(y1)).Append("\" y2=\"").Append(N(y1))
                      .Append("\" stroke=\"").Append(lineColor).Append("\"/>");
                foreach (var (v, label) in Ticks(x))
                {
                    double px = x.Px(v);
                    if (x.Axis.Ticks == "outside")
                        sb.Append("<line x1=\"").Append(N(px)).Append("\" x2=\"").Append(N(px)).Append("\" y1=\"").Append(N(y1)).Append("\" y2=\"")
                          .Append(N(y1 + 5)).Append("\" stroke=\"").Append(lineColor).Append("\"/>");
                    if (x.Axis.ShowTickLabels != false) Text(px, y1 + 8 + tickFont * 0.8, label, null);
                }
                sb.Append("</g>");
                if (x.Axis.Title?.Text is { } xt)
                    sb.Append("<text x=\"").Append(N((x0 + x1) / 2)).Append("\" y=\"").Append(N(y1 + 26 + tickFont + (x.Axis.Title.Standoff ?? 0)))
                      .Append("\" text-anchor=\"middle\" font-size=\"").Append(N(x.Axis.Title.Font?.Size ?? fontSize)).Append("\">").Append(Rich(xt)).Append("</text>");
            }
            if (drawnAxes.Add(y.Id))
            {
                double yTickFont = y.Axis.TickFont?.Size ?? fontSize - 1;
                var yLine = y.Axis.LineColor ?? Palette.AxisLine;
                double widest = 0;
                sb.Append("<g class=\"yaxis\" font-size=\"").Append(N(yTickFont)).Append("\" fill=\"").Append(Palette.MutedText).Append("\" text-anchor=\"end\">");
                if (y.Axis.ShowLine != false)
                    sb.Append("<line x1=\"").Append(N(x0)).Append("\" x2=\"").Append(N(x0)).Append("\" y1=\"").Append(N(y0)).Append("\" y2=\"").Append(N(y1))
                      .Append("\" stroke=\"").Append(yLine).Append("\"/>");
                foreach (var (v, label) in Ticks(y))
                {
                    double py = y.Px(v);
                    if (y.Axis.Ticks == "outside")
                        sb.Append("<line x1=\"").Append(N(x0 - 5)).Append("\" x2=\"").Append(N(x0)).Append("\" y1=\"").Append(N(py)).Append("\" y2=\"")
                          .Append(N(py)).Append("\" stroke=\"").Append(yLine).Append("\"/>");
                    if (y.Axis.ShowTickLabels != false)
                    {
                        Text(x0 - 8, py + yTickFont * 0.35, label, null);
                        widest = Math.Max(widest, TextWidth(Plain(label), yTickFont));
                    }
                }
                sb.Append("</g>");
                if (y.Axis.Title?.Text is { } yt)
                {
                    double tx = x0 - 8 - widest - 12 - (y.Axis.Title.Standoff ?? 0), ty = (y0 + y1) / 2;
                    sb.Append("<text transform=\"translate(").Append(N(tx)).Append(',').Append(N(ty)).Append(") rotate(-90)\" text-anchor=\"middle\" font-size=\"")
                      .Append(N(y.Axis.Title.Font?.Size ?? fontSize)).Append("\">").Append(Rich(yt)).Append("</text>");
                }
            }
        }

        /// <summary>Tick values with labels: 1-2-5 steps on linear axes, powers of ten (and 2, 5 between) on log axes.</summary>
        List<(double Value, string Label)> Ticks(AxisInfo a)
        {
            double lengthPx = Math.Abs(a.PxTo - a.PxFrom);
            int target = Math.Max(2, (int)(lengthPx / (a.IsX ? 90 : 45)));
            var ticks = new List<(double, string)>();
            if (a.Log)
            {
                double lo = Math.Min(a.Lo, a.Hi), hi = Math.Max(a.Lo, a.Hi), decades = hi - lo;
                // short ranges: every d·10^k (d = 1…9) if they fit, else 1, 2, 5; long ranges: powers of ten only
                foreach (var digits in new[] { new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 }, [1.0, 2, 5], [1.0] })
                {
                    ticks.Clear();
                    for (int k = (int)Math.Floor(lo); k <= (int)Math.Ceiling(hi); k++)
                        foreach (var d in digits)
                        {
                            double u = k + Math.Log10(d);
                            if (u < lo - 1e-9 || u > hi + 1e-9) continue;
                            double v = d * Math.Pow(10, k);
                            ticks.Add((v, d == 1 ? PowerLabel(k) : Number(v, Math.Pow(10, k))));
                        }
                    if (ticks.Count <= target + 2 && ticks.Count >= 2) return ticks;
                }
                if (ticks.Count < 2) return LinearTicks(Math.Pow(10, lo), Math.Pow(10, hi), target);
                int every = Math.Max(1, (int)Math.Ceiling(decades / target));
                return ticks.Where(t => Math.Round(Math.Log10(t.Item1)) % every == 0).ToList();
            }
            if (a.Axis.DTick is double dt && dt > 0 && (a.Hi - a.Lo) / dt <= 4 * target)
            {
                var list = new List<(double, string)>();
                for (double v = Math.Ceiling(Math.Min(a.Lo, a.Hi) / dt - 1e-9) * dt; v <= Math.Max(a.Lo, a.Hi) + dt * 1e-9; v += dt) list.Add((v, Number(v, dt)));
                return list;
            }
            return LinearTicks(Math.Min(a.Lo, a.Hi), Math.Max(a.Lo, a.Hi), target);
        }

        static List<(double, string)> LinearTicks(double lo, double hi, int target)
        {
            double raw = (hi - lo) / target, mag = Math.Pow(10, Math.Floor(Math.Log10(raw))), step = mag;
            foreach (var f in new[] { 1, 2, 2.5, 5, 10 })
                if (f * mag >= raw) { step = f * mag; break; }
            var list = new List<(double, string)>();
            for (double v = Math.Ceiling(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
            {
                double clean = Math.Abs(v) < step * 1e-9 ? 0 : v;
                list.Add((clean, Number(clean, step)));
            }
            return list;
        }

        static string PowerLabel(int k) => k switch
        {
            >= -3 and <= 4 => Number(Math.Pow(10, k), Math.Pow(10, k)),
            _ => "10<sup>" + (k < 0 ? "\u2212" : "") + Math.Abs(k).ToString(CultureInfo.InvariantCulture) + "</sup>",
        };

        // ---- traces ----

        void DrawScatter(Scatter s)
        {
            if (s.X is null || s.Y is null) return;
            var x = axes[s.XId];
            var y = axes[s.YId];
            int n = Math.Min(s.X.Length, s.Y.Length);
            var color = s.Line?.Color ?? s.Marker?.Color ?? Palette.Category(figure.Data.IndexOf(s));
            sb.Append("<g clip-path=\"url(#").Append(ClipId(x, y)).Append(")\"");
            if (s.Opacity is double op) sb.Append(" opacity=\"").Append(N(op, 2)).Append('"');
            sb.Append('>');
            if (s.Mode.Contains("lines"))
            {
                double width = s.Line?.Width ?? 2;
                sb.Append("<path fill=\"none\" stroke=\"").Append(color).Append("\" stroke-width=\"").Append(N(width, 2))
                  .Append("\" stroke-linejoin=\"round\" stroke-linecap=\"round\"");
                if (Dash(s.Line?.Dash, width) is { } dash) sb.Append(" stroke-dasharray=\"").Append(dash).Append('"');
                sb.Append(" d=\"").Append(PathData(s.X, s.Y, n, x, y, s.ConnectGaps == true)).Append("\"/>");
            }
            if (s.Mode.Contains("markers"))
            {
                var mk = s.Marker ?? new Marker();
                var mColor = mk.Color ?? color;
                double size = mk.Size ?? 6;
                sb.Append("<g fill=\"").Append(mColor).Append('"');
                if (mk.Opacity is double mo) sb.Append(" fill-opacity=\"").Append(N(mo, 2)).Append('"');
                if (mk.Line is { } ml) sb.Append(" stroke=\"").Append(ml.Color ?? "#fff").Append("\" stroke-width=\"").Append(N(ml.Width ?? 1, 2)).Append('"');
                sb.Append('>');
                for (int i = 0; i < n; i++)
                {
                    double px = x.Px(s.X[i]), py = y.Px(s.Y[i]);
                    if (!double.IsFinite(px) || !double.IsFinite(py)) continue;
                    MarkerShape(mk.Symbol ?? "circle", px, py, size, mColor, s.Text is { } t && i < t.Length ? t[i] : null);
                }
                sb.Append("</g>");
            }
            sb.Append("</g>");
        }

        void MarkerShape(string symbol, double x, double y, double size, string color, string? tooltip)
        {
            double r = size / 2;
            string tip = tooltip is null ? "" : "<title>" + E(Plain(tooltip)) + "</title>";
            string close = tip.Length > 0 ? ">" + tip + "</" : "/>";
            switch (symbol)
            {
                case "x":
                    sb.Append("<path stroke=\"").Append(color).Append("\" stroke-width=\"").Append(N(Math.Max(2, size / 4), 2)).Append("\" stroke-linecap=\"round\" d=\"M")
                      .Append(N(x - r)).Append(' ').Append(N(y - r)).Append('L').Append(N(x + r)).Append(' ').Append(N(y + r)).Append('M')
                      .Append(N(x - r)).Append(' ').Append(N(y + r)).Append('L').Append(N(x + r)).Append(' ').Append(N(y - r)).Append('"')
                      .Append(tip.Length > 0 ? close + "path>" : "/>");
                    break;
                case "square":
                    sb.Append("<rect x=\"").Append(N(x - r)).Append("\" y=\"").Append(N(y - r)).Append("\" width=\"").Append(N(size)).Append("\" height=\"").Append(N(size)).Append('"')
                      .Append(tip.Length > 0 ? close + "rect>" : "/>");
                    break;
                case "diamond":
                    sb.Append("<path d=\"M").Append(N(x)).Append(' ').Append(N(y - r * 1.3)).Append('L').Append(N(x + r * 1.3)).Append(' ').Append(N(y)).Append('L')
                      .Append(N(x)).Append(' ').Append(N(y + r * 1.3)).Append('L').Append(N(x - r * 1.3)).Append(' ').Append(N(y)).Append("Z\"")
                      .Append(tip.Length > 0 ? close + "path>" : "/>");
                    break;
                case "triangle-up":
                    sb.Append("<path d=\"M").Append(N(x)).Append(' ').Append(N(y - r * 1.2)).Append('L').Append(N(x + r * 1.1)).Append(' ').Append(N(y + r * 0.8)).Append('L')
                      .Append(N(x - r * 1.1)).Append(' ').Append(N(y + r * 0.8)).Append("Z\"").Append(tip.Length > 0 ? close + "path>" : "/>");
                    break;
                default:
                    sb.Append("<circle cx=\"").Append(N(x)).Append("\" cy=\"").Append(N(y)).Append("\" r=\"").Append(N(r, 2)).Append('"')
                      .Append(tip.Length > 0 ? close + "circle>" : "/>");
                    break;
            }
        }

        /// <summary>
        /// The polyline through the finite points, broken at gaps. Runs of points that fall in one pixel column are
        /// reduced to their first, lowest, highest and last point, which draws the same picture with far fewer vertices.
        /// </summary>
        static string PathData(double[] xs, double[] ys, int n, AxisInfo x, AxisInfo y, bool connectGaps)
        {
            var d = new StringBuilder();
            bool pen = false;
            int column = int.MinValue;
            var bucket = new List<(double X, double Y)>(8);
            void Flush()
            {
                if (bucket.Count == 0) return;
                IEnumerable<(double X, double Y)> keep = bucket.Count <= 4 ? bucket :
                    new[] { bucket[0], bucket.MinBy(p => p.Y), bucket.MaxBy(p => p.Y), bucket[^1] }.Distinct();
                foreach (var (px, py) in keep)
                {
                    d.Append(pen ? 'L' : 'M').Append(N(px)).Append(' ').Append(N(py));
                    pen = true;
                }
                bucket.Clear();
            }
            for (int i = 0; i < n; i++)
            {
                double px = x.Px(xs[i]), py = y.Px(ys[i]);
                if (!double.IsFinite(px) || !double.IsFinite(py))
                {
                    if (connectGaps) continue;
                    Flush();
                    pen = false;
                    column = int.MinValue;
                    continue;
                }
                int c = (int)Math.Floor(px);
                if (c != column) { Flush(); column = c; }
                bucket.Add((px, py));
            }
            Flush();
            return d.ToString();
        }

        static string? Dash(string? dash, double width)
        {
            double k = Math.Max(1, width / 1.5);
            string Scale(params double[] v) => string.Join(",", v.Select(x => N(x * k)));
            return dash switch
            {
                "dot" => Scale(1, 3),
                "dash" => Scale(6, 4),
                "longdash" => Scale(11, 4),
                "dashdot" => Scale(6, 3, 1, 3),
                _ => null,
            };
        }

        void DrawBars(Bar b)
        {
            if (b.X is null || b.Y is null) return;
            var x = axes[b.XId];
            var y = axes[b.YId];
            var color = b.Marker?.Color ?? Palette.Category(figure.Data.IndexOf(b));
            double w = b.Width ?? (b.X.Length > 1 ? (b.X[^1] - b.X[0]) / (b.X.Length - 1) : 1);
            double baseline = y.Log ? Math.Pow(10, Math.Min(y.Lo, y.Hi)) : 0;
            sb.Append("<g clip-path=\"url(#").Append(ClipId(x, y)).Append(")\" fill=\"").Append(color).Append('"');
            double opacity = (b.Opacity ?? 1) * (b.Marker?.Opacity ?? 1);
            if (opacity < 1) sb.Append(" fill-opacity=\"").Append(N(opacity, 2)).Append('"');
            sb.Append('>');
            for (int i = 0; i < Math.Min(b.X.Length, b.Y.Length); i++)
            {
                double x0 = x.Px(b.X[i] - w / 2), x1 = x.Px(b.X[i] + w / 2), yTop = y.Px(b.Y[i]), yBase = y.Px(baseline);
                if (!double.IsFinite(x0) || !double.IsFinite(x1) || !double.IsFinite(yTop) || !double.IsFinite(yBase) || b.Y[i] == 0) continue;
                sb.Append("<rect x=\"").Append(N(Math.Min(x0, x1))).Append("\" y=\"").Append(N(Math.Min(yTop, yBase))).Append("\" width=\"")
                  .Append(N(Math.Max(0.5, Math.Abs(x1 - x0)))).Append("\" height=\"").Append(N(Math.Abs(yBase - yTop))).Append("\"/>");
            }
            sb.Append("</g>");
        }

        void DrawHeatmap(Heatmap h)
        {
            if (h.Z is not { Length: > 0 } z || h.X is not { Length: > 0 } xs || h.Y is not { Length: > 0 } ys) return;
            var x = axes[h.XId];
            var y = axes[h.YId];
            var scale = h.ColorScale ?? Palette.Viridis;
            var (zmin, zmax) = ZRange(h);
            int rows = Math.Min(z.Length, ys.Length), cols = Math.Min(xs.Length, z.Min(r => r.Length));
            if (rows == 0 || cols == 0) return;
            // one picture, a pixel per cell, stretched over the cells' extent (the axes are uniform for these charts)
            var image = new Raster(cols, rows, 3);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    double v = z[r][c];
                    var (R, G, B) = double.IsFinite(v) ? scale.At(zmax > zmin ? (v - zmin) / (zmax - zmin) : 0) : ((byte)255, (byte)255, (byte)255);
                    int at = ((rows - 1 - r) * cols + c) * 3; // row 0 is at the bottom
                    image.Pixels[at] = R; image.Pixels[at + 1] = G; image.Pixels[at + 2] = B;
                }
            double dx = cols > 1 ? (xs[cols - 1] - xs[0]) / (cols - 1) : 1, dy = rows > 1 ? (ys[rows - 1] - ys[0]) / (rows - 1) : 1;
            double px0 = x.Px(xs[0] - dx / 2), px1 = x.Px(xs[cols - 1] + dx / 2), py0 = y.Px(ys[rows - 1] + dy / 2), py1 = y.Px(ys[0] - dy / 2);
            sb.Append("<g clip-path=\"url(#").Append(ClipId(x, y)).Append(")\"><image x=\"").Append(N(Math.Min(px0, px1))).Append("\" y=\"").Append(N(Math.Min(py0, py1)))
              .Append("\" width=\"").Append(N(Math.Abs(px1 - px0))).Append("\" height=\"").Append(N(Math.Abs(py1 - py0)))
              .Append("\" preserveAspectRatio=\"none\" image-rendering=\"pixelated\" style=\"image-rendering:pixelated\" xlink:href=\"")
              .Append(image.ToDataUri()).Append("\"/></g>");
        }

        static (double Min, double Max) ZRange(Heatmap h)
        {
            var finite = h.Z!.SelectMany(r => r).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
            return (h.ZMin ?? finite.Min(), h.ZMax ?? finite.Max());
        }

        // ---- shapes, annotations, legend, colour bar, title ----

        (double X, double Y) Point(string xref, double xv, string yref, double yv) => (Coord(xref, xv, true), Coord(yref, yv, false));

        /// <summary>A position in "paper" fractions, an axis's "x2 domain" fractions, or an axis's data units.</summary>
        double Coord(string reference, double v, bool isX)
        {
            if (reference == "paper") return isX ? left + v * (right - left) : bottom - v * (bottom - top);
            if (reference.EndsWith(" domain", StringComparison.Ordinal))
                return axes.TryGetValue(reference[..^7], out var d) ? d.PxFrom + v * (d.PxTo - d.PxFrom) : double.NaN;
            return axes.TryGetValue(reference, out var a) ? a.Px(v) : double.NaN;
        }

        void DrawShapes(string layer)
        {
            foreach (var s in layout.Shapes ?? [])
            {
                if ((s.Layer == "below") != (layer == "below")) continue;
                var (x0, y0) = Point(s.XRef, s.X0, s.YRef, s.Y0);
                var (x1, y1) = Point(s.XRef, s.X1, s.YRef, s.Y1);
                if (!double.IsFinite(x0 + y0 + x1 + y1)) continue;
                var stroke = s.Line?.Color ?? Palette.AxisLine;
                double width = s.Line?.Width ?? 1;
                string dash = Dash(s.Line?.Dash, width) is { } d ? $" stroke-dasharray=\"{d}\"" : "";
                string opacity = s.Opacity is double o ? $" opacity=\"{N(o, 2)}\"" : "";
                if (s.Type == "rect")
                    sb.Append("<rect x=\"").Append(N(Math.Min(x0, x1))).Append("\" y=\"").Append(N(Math.Min(y0, y1))).Append("\" width=\"").Append(N(Math.Abs(x1 - x0)))
                      .Append("\" height=\"").Append(N(Math.Abs(y1 - y0))).Append("\" fill=\"").Append(s.FillColor ?? "none").Append("\" stroke=\"")
                      .Append(s.Line?.Width == 0 ? "none" : stroke).Append('"').Append(opacity).Append("/>");
                else
                    sb.Append("<line x1=\"").Append(N(x0)).Append("\" y1=\"").Append(N(y0)).Append("\" x2=\"").Append(N(x1)).Append("\" y2=\"").Append(N(y1))
                      .Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(N(width, 2)).Append('"').Append(dash).Append(opacity).Append("/>");
            }
        }

        void DrawAnnotations()
        {
            foreach (var a in layout.Annotations ?? [])
            {
                if (a.Text is null) continue;
                var (px, py) = Point(a.XRef, a.X, a.YRef, a.Y);
                if (!double.IsFinite(px) || !double.IsFinite(py)) continue;
                double size = a.Font?.Size ?? fontSize;
                var lines = a.Text.Split("<br>");
                double lineHeight = size * 1.25, height = lineHeight * lines.Length;
                // plotly anchors the text box: yanchor bottom puts the box above the point
                double firstBaseline = (a.YAnchor ?? "middle") switch
                {
                    "bottom" => py - height + size,
                    "top" => py + size,
                    _ => py - height / 2 + size * 0.9,
                };
                string anchor = (a.XAnchor ?? "center") switch { "left" => "start", "right" => "end", _ => "middle" };
                double width = lines.Max(l => TextWidth(Plain(l), size));
                if (a.BgColor is { } bg)
                {
                    double bx = anchor == "start" ? px : anchor == "end" ? px - width : px - width / 2;
                    sb.Append("<rect x=\"").Append(N(bx - 3)).Append("\" y=\"").Append(N(firstBaseline - size)).Append("\" width=\"").Append(N(width + 6))
                      .Append("\" height=\"").Append(N(height + 2)).Append("\" rx=\"2\" fill=\"").Append(bg).Append("\"/>");
                }
                sb.Append("<text text-anchor=\"").Append(anchor).Append("\" font-size=\"").Append(N(size)).Append('"');
                if (a.Font?.Color is { } c) sb.Append(" fill=\"").Append(c).Append('"');
                sb.Append('>');
                for (int i = 0; i < lines.Length; i++)
                    sb.Append("<tspan x=\"").Append(N(px)).Append("\" y=\"").Append(N(firstBaseline + i * lineHeight)).Append("\">").Append(Rich(lines[i])).Append("</tspan>");
                sb.Append("</text>");
            }
        }

        void DrawLegend()
        {
            var items = figure.Data.Where(t => t.Name is not null && t.ShowLegend != false).ToList();
            bool show = layout.ShowLegend ?? items.Count > 1;
            if (!show || items.Count == 0) return;
            var lg = layout.Legend ?? new Legend();
            double size = lg.Font?.Size ?? fontSize;
            bool horizontal = lg.Orientation == "h";
            double rowH = size * 1.7, sample = 28;
            var widths = items.Select(t => sample + 8 + TextWidth(Plain(t.Name!), size) + 14).ToList();
            double boxW = horizontal ? widths.Sum() : widths.Max(), boxH = horizontal ? rowH : rowH * items.Count;
            double ax = left + (lg.X ?? 1.02) * (right - left), ay = bottom - (lg.Y ?? 1) * (bottom - top);
            double bx = (lg.XAnchor ?? "left") switch { "right" => ax - boxW, "center" => ax - boxW / 2, _ => ax };
            double by = (lg.YAnchor ?? "top") switch { "bottom" => ay - boxH, "middle" => ay - boxH / 2, _ => ay };
            sb.Append("<g class=\"legend\" font-size=\"").Append(N(size)).Append("\">");
            if (lg.BgColor is { } bg)
                sb.Append("<rect x=\"").Append(N(bx)).Append("\" y=\"").Append(N(by)).Append("\" width=\"").Append(N(boxW)).Append("\" height=\"").Append(N(boxH))
                  .Append("\" fill=\"").Append(bg).Append("\" stroke=\"").Append(lg.BorderColor ?? "none").Append("\"/>");
            double cx = bx + 6, cy = by + rowH / 2;
            for (int i = 0; i < items.Count; i++)
            {
                var t = items[i];
                LegendSample(t, cx, cy, sample);
                sb.Append("<text x=\"").Append(N(cx + sample + 6)).Append("\" y=\"").Append(N(cy + size * 0.35)).Append("\">").Append(Rich(t.Name!)).Append("</text>");
                if (horizontal) cx += widths[i]; else cy += rowH;
            }
            sb.Append("</g>");
        }

        void LegendSample(Trace t, double x, double y, double w)
        {
            switch (t)
            {
                case Scatter s:
                    var color = s.Line?.Color ?? s.Marker?.Color ?? Palette.Category(figure.Data.IndexOf(s));
                    string opacity = s.Opacity is double o && o < 1 ? $" opacity=\"{N(Math.Max(o, 0.45), 2)}\"" : "";
                    if (s.Mode.Contains("lines"))
                    {
                        double lw = Math.Min(s.Line?.Width ?? 2, 4);
                        sb.Append("<line x1=\"").Append(N(x)).Append("\" x2=\"").Append(N(x + w)).Append("\" y1=\"").Append(N(y)).Append("\" y2=\"").Append(N(y))
                          .Append("\" stroke=\"").Append(color).Append("\" stroke-width=\"").Append(N(lw, 2)).Append('"');
                        if (Dash(s.Line?.Dash, lw) is { } d) sb.Append(" stroke-dasharray=\"").Append(d).Append('"');
                        sb.Append(opacity).Append("/>");
                    }
                    if (s.Mode.Contains("markers"))
                    {
                        sb.Append("<g fill=\"").Append(s.Marker?.Color ?? color).Append('"').Append(opacity).Append('>');
                        MarkerShape(s.Marker?.Symbol ?? "circle", x + w / 2, y, Math.Min(s.Marker?.Size ?? 6, 10), s.Marker?.Color ?? color, null);
                        sb.Append("</g>");
                    }
                    break;
                case Bar b:
                    sb.Append("<rect x=\"").Append(N(x + 4)).Append("\" y=\"").Append(N(y - 6)).Append("\" width=\"").Append(N(w - 8)).Append("\" height=\"12\" fill=\"")
                      .Append(b.Marker?.Color ?? Palette.Category(figure.Data.IndexOf(b))).Append("\" fill-opacity=\"").Append(N((b.Opacity ?? 1) * (b.Marker?.Opacity ?? 1), 2)).Append("\"/>");
                    break;
            }
        }

        void DrawColorBar()
        {
            var h = figure.Data.OfType<Heatmap>().FirstOrDefault(t => t.ShowScale != false);
            if (h is null || h.Z is null) return;
            var cb = h.ColorBar ?? new ColorBar();
            var (zmin, zmax) = ZRange(h);
            double thickness = cb.Thickness ?? 14, len = (cb.Len ?? 1) * (bottom - top);
            double x = left + (cb.X ?? 1.02) * (right - left);
            double yCentre = bottom - (cb.Y ?? 0.5) * (bottom - top);
            double y0 = (cb.YAnchor ?? "middle") switch { "top" => yCentre, "bottom" => yCentre - len, _ => yCentre - len / 2 };
            var scale = h.ColorScale ?? Palette.Viridis;
            string gid = prefix + "-cb";
            sb.Append("<defs><linearGradient id=\"").Append(gid).Append("\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
            foreach (var (pos, color) in scale.Stops)
                sb.Append("<stop offset=\"").Append(N(pos, 3)).Append("\" stop-color=\"").Append(color).Append("\"/>");
            sb.Append("</linearGradient></defs>");
            sb.Append("<rect x=\"").Append(N(x)).Append("\" y=\"").Append(N(y0)).Append("\" width=\"").Append(N(thickness)).Append("\" height=\"").Append(N(len))
              .Append("\" fill=\"url(#").Append(gid).Append(")\"/>");
            var axis = new AxisInfo { Id = "cb", Axis = new Axis(), IsX = false, Lo = zmin, Hi = zmax == zmin ? zmin + 1 : zmax, PxFrom = y0 + len, PxTo = y0 };
            sb.Append("<g font-size=\"").Append(N(fontSize - 1)).Append("\" fill=\"").Append(Palette.MutedText).Append("\">");
            foreach (var (v, label) in LinearTicks(axis.Lo, axis.Hi, Math.Max(2, (int)(len / 45))))
                Text(x + thickness + 4, axis.Px(v) + (fontSize - 1) * 0.35, label, "start");
            sb.Append("</g>");
            if (cb.Title?.Text is { } title)
                sb.Append("<text transform=\"translate(").Append(N(x + thickness + 40)).Append(',').Append(N(y0 + len / 2)).Append(") rotate(-90)\" text-anchor=\"middle\">")
                  .Append(Rich(title)).Append("</text>");
        }

        void DrawTitle(Title t)
        {
            double size = t.Font?.Size ?? fontSize * 1.4;
            double x = t.XRef == "paper" ? left + (t.X ?? 0.5) * (right - left) : (t.X ?? 0.5) * W;
            double y = t.Y is double ty ? (1 - ty) * H + (t.YAnchor == "top" ? size * 0.85 : 0) : Math.Max(size, top / 2 + size * 0.35);
            string anchor = (t.XAnchor ?? "center") switch { "left" => "start", "right" => "end", _ => "middle" };
            var lines = t.Text!.Split("<br>");
            sb.Append("<text x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\" text-anchor=\"").Append(anchor).Append("\" font-size=\"").Append(N(size))
              .Append("\" font-weight=\"600\"");
            if (t.Font?.Color is { } c) sb.Append(" fill=\"").Append(c).Append('"');
            sb.Append('>').Append(Rich(lines[0])).Append("</text>");
            // plotly's subtitle idiom, "title<br><sup>subtitle</sup>": a smaller, muted second line
            for (int i = 1; i < lines.Length; i++)
                sb.Append("<text x=\"").Append(N(x)).Append("\" y=\"").Append(N(y + size * 0.35 + i * fontSize * 1.35)).Append("\" text-anchor=\"").Append(anchor)
                  .Append("\" fill=\"").Append(Palette.MutedText).Append("\">").Append(Rich(lines[i].Replace("<sup>", "").Replace("</sup>", ""))).Append("</text>");
        }

        void Text(double x, double y, string label, string? anchor)
        {
            sb.Append("<text x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append('"');
            if (anchor is not null) sb.Append(" text-anchor=\"").Append(anchor).Append('"');
            sb.Append('>').Append(Rich(label)).Append("</text>");
        }

        string ClipId(AxisInfo x, AxisInfo y) => $"{prefix}-{x.Id}{y.Id}";
    }

    // ---- text helpers ----

    /// <summary>The few tags plotly text may hold here (&lt;b&gt;, &lt;i&gt;, &lt;sup&gt;, &lt;sub&gt;) as SVG tspans; everything else escaped.</summary>
    static string Rich(string text)
    {
        var sb = new StringBuilder();
        int i = 0, run = 0;
        void FlushRun(int end) { if (end > run) sb.Append(E(WebUtility.HtmlDecode(text[run..end]))); }
        while (i < text.Length)
        {
            if (text[i] == '<')
            {
                int close = text.IndexOf('>', i);
                if (close > i)
                {
                    var tag = text[(i + 1)..close].Trim().ToLowerInvariant();
                    string? open = tag switch
                    {
                        "b" => "<tspan font-weight=\"700\">",
                        "i" => "<tspan font-style=\"italic\">",
                        "sup" => "<tspan baseline-shift=\"super\" font-size=\"75%\">",
                        "sub" => "<tspan baseline-shift=\"sub\" font-size=\"75%\">",
                        "/b" or "/i" or "/sup" or "/sub" => "</tspan>",
                        _ => null,
                    };
                    if (open is not null) { FlushRun(i); sb.Append(open); i = run = close + 1; continue; }
                }
            }
            i++;
        }
        FlushRun(text.Length);
        return sb.ToString();
    }

    static string Plain(string text) => WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(text, "<[^>]*>", m => m.Value == "<br>" ? " " : ""));

    static double TextWidth(string text, double size) => text.Length * size * CharWidth;

    static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A tick label: no more decimals than the step needs; k for thousands; e-notation for tiny or huge.</summary>
    internal static string Number(double v, double step)
    {
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e6 && Math.Abs(step) >= 1e5 && a < 1e9) return (v / 1e6).ToString("0.##", CultureInfo.InvariantCulture).Replace("-", "\u2212") + "M";
        if (a >= 1e6 || a < 1e-4) return v.ToString("0.##e0", CultureInfo.InvariantCulture).Replace("-", "\u2212");
        if (a >= 10000 && Math.Abs(step) >= 1000) return (v / 1000).ToString("0.##", CultureInfo.InvariantCulture).Replace("-", "\u2212") + "k";
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(Math.Abs(step)) - 1e-9), 0, 6);
        if (decimals > 0 && Math.Abs(step * Math.Pow(10, decimals) % 1) > 1e-6) decimals++;
        return v.ToString("F" + decimals, CultureInfo.InvariantCulture).Replace("-", "\u2212");
    }

    static string N(double v, int decimals = 1) =>
        Math.Round(v, decimals).ToString(decimals switch { 1 => "0.#", 2 => "0.##", _ => "0.###" }, CultureInfo.InvariantCulture);
}
