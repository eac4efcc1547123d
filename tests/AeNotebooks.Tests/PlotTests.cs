using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AeNotebooks.Analysis;
using AeNotebooks.Imaging;
using AeNotebooks.Plotting;
using AeNotebooks.Rendering;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

/// <summary>Two small runs shared by the chart tests: one that trains, one that diverges to NaN.</summary>
static class PlotRuns
{
    static readonly object Gate = new();
    static TrainingRun? _healthy, _diverged;

    public static TrainingRun Healthy
    {
        get
        {
            lock (Gate)
                return _healthy ??= Trainer.Fit(Models.DenseAutoencoder(6, [8], 2), null, rand([384, 6], generator: new Generator((ulong)(1))),
                    new TrainOptions { Epochs = 3, BatchSize = 32, RecordEvery = 3, ValidationSplit = 0.25, Progress = false }, "healthy");
        }
    }

    /// <summary>Unscaled data (values up to ~1000) and plain SGD: the loss overflows within a few steps.</summary>
    public static TrainingRun Diverged
    {
        get
        {
            lock (Gate)
                return _diverged ??= Trainer.Fit(Models.LinearAutoencoder(8, 2), null, Datasets.Unscaled(samples: 2000, features: 8, scale: 1000).Train,
                    new TrainOptions { Epochs = 3, BatchSize = 32, Optimizer = Optimizers.Sgd(1e-4), RecordEvery = 1, ValidationSplit = 0.1, Progress = false }, "diverged");
        }
    }
}

[Collection("default generator")]
public class PlotTests
{
    static JsonElement Json(Figure f) => JsonDocument.Parse(f.ToJson()).RootElement;

    static JsonElement TraceNamed(JsonElement fig, string name) =>
        fig.GetProperty("data").EnumerateArray().Single(t => t.TryGetProperty("name", out var n) && n.GetString() == name);

    static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();

    static XDocument Svg(Figure f) => XDocument.Parse(f.ToSvg());

    static readonly XNamespace S = "http://www.w3.org/2000/svg";

    // ---- the figure model and its JSON ----

    [Fact]
    public void Json_uses_plotlys_schema_names()
    {
        var f = new Figure();
        f.Add(new Scatter { Name = "a", Mode = "lines+markers", X = [1, 2], Y = [3, 4], XAxis = "x2", YAxis = "y2", ShowLegend = false, LegendGroup = "g",
            HoverTemplate = "%{y}", Line = new Line { Color = "#123456", Dash = "dash", Width = 2 }, Marker = new Marker { Symbol = "x", Size = 9 } });
        f.Add(new Bar { Name = "b", X = [1], Y = [2], Width = 0.5 });
        f.Add(new Heatmap { Name = "h", X = [0, 1], Y = [0], Z = [[1, 2]], ColorScale = Palette.Viridis, ZMin = 0, ZMax = 2, ShowScale = true,
            ColorBar = new ColorBar { Title = new ColorBarTitle { Text = "n" } } });
        f.Layout.Title = new Title { Text = "t", XAnchor = "left" };
        f.Layout.PaperBgColor = "#fff";
        f.Layout.PlotBgColor = "#fafafa";
        f.Layout.BarMode = "overlay";
        f.Layout.XAxis(2).Domain = [0.5, 1];
        f.Layout.XAxis(2).Anchor = "y2";
        f.Layout.YAxis().Type = "log";
        f.Layout.YAxis().Range = [-2, 1];
        f.Layout.Annotate(new Annotation { Text = "note", X = 1, Y = 0.5, XRef = "x2", YRef = "y2 domain" });
        f.Layout.AddShape(new Shape { X0 = 1, X1 = 1, Y0 = 0, Y1 = 1, YRef = "y domain" });

        var j = Json(f);
        var data = j.GetProperty("data");
        Assert.Equal(["scatter", "bar", "heatmap"], data.EnumerateArray().Select(t => t.GetProperty("type").GetString()));
        var s = data[0];
        Assert.Equal("lines+markers", s.GetProperty("mode").GetString());
        Assert.Equal("x2", s.GetProperty("xaxis").GetString());
        Assert.False(s.GetProperty("showlegend").GetBoolean());
        Assert.Equal("g", s.GetProperty("legendgroup").GetString());
        Assert.Equal("%{y}", s.GetProperty("hovertemplate").GetString());
        Assert.Equal("dash", s.GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal("x", s.GetProperty("marker").GetProperty("symbol").GetString());
        Assert.Equal(0.5, data[1].GetProperty("width").GetDouble());
        var h = data[2];
        Assert.Equal(0, h.GetProperty("colorscale")[0][0].GetDouble());
        Assert.Equal("#440154", h.GetProperty("colorscale")[0][1].GetString());
        Assert.Equal("#FDE725", h.GetProperty("colorscale")[h.GetProperty("colorscale").GetArrayLength() - 1][1].GetString());
        Assert.Equal(2, h.GetProperty("zmax").GetDouble());
        Assert.Equal("n", h.GetProperty("colorbar").GetProperty("title").GetProperty("text").GetString());

        var l = j.GetProperty("layout");
        Assert.Equal("#fff", l.GetProperty("paper_bgcolor").GetString());
        Assert.Equal("#fafafa", l.GetProperty("plot_bgcolor").GetString());
        Assert.Equal("overlay", l.GetProperty("barmode").GetString());
        Assert.Equal("left", l.GetProperty("title").GetProperty("xanchor").GetString());
        Assert.Equal("log", l.GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal([-2.0, 1.0], Numbers(l.GetProperty("yaxis").GetProperty("range")));
        Assert.Equal([0.5, 1.0], Numbers(l.GetProperty("xaxis2").GetProperty("domain")));
        Assert.Equal("y2", l.GetProperty("xaxis2").GetProperty("anchor").GetString());
        Assert.Equal("y2 domain", l.GetProperty("annotations")[0].GetProperty("yref").GetString());
        Assert.False(l.GetProperty("annotations")[0].GetProperty("showarrow").GetBoolean()); // plotly's default is true: always written
        Assert.Equal("y domain", l.GetProperty("shapes")[0].GetProperty("yref").GetString());
        Assert.Equal(700, l.GetProperty("width").GetDouble());

        var c = j.GetProperty("config");
        Assert.False(c.GetProperty("displaylogo").GetBoolean());
        Assert.True(c.TryGetProperty("modeBarButtonsToRemove", out _));
        Assert.Equal("png", c.GetProperty("toImageButtonOptions").GetProperty("format").GetString());

        // no serializer artefacts, nothing unset
        Assert.DoesNotContain("$type", f.ToJson());
        Assert.DoesNotContain(":null", Regex.Replace(f.ToJson(), "\\[[^\\[\\]]*\\]", "[]"));
    }

    [Fact]
    public void Json_writes_nan_and_infinity_as_null_and_floats_in_their_short_form()
    {
        var f = new Figure().Add(new Scatter { X = [0, 1, 2, 3, 4], Y = [0.1f, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-7], Mode = "lines" });
        var json = f.ToJson();
        Assert.Contains("\"y\":[0.1,null,null,null,1E-07]", json);
        var y = Numbers(Json(f).GetProperty("data")[0].GetProperty("y"));
        Assert.Equal(0.1, y[0], 6);
        Assert.True(double.IsNaN(y[1]) && double.IsNaN(y[2]) && double.IsNaN(y[3]));
        Assert.Equal(1e-7, y[4], 12);
        // doubles that are not float32 values keep full precision
        var g = new Figure().Add(new Scatter { X = [Math.PI], Y = [1.0 / 3] });
        Assert.Equal(Math.PI, Json(g).GetProperty("data")[0].GetProperty("x")[0].GetDouble());
    }

    [Fact]
    public void Json_is_safe_to_embed_in_a_script_element()
    {
        var f = new Figure();
        f.Layout.Title = new Title { Text = "</script><script>alert(1)</script> & more" };
        var html = f.ToHtml();
        Assert.Single(Regex.Matches(html, "</script>"));
        var json = ExtractFigureJson(html);
        Assert.Equal("</script><script>alert(1)</script> & more", JsonDocument.Parse(json).RootElement.GetProperty("layout").GetProperty("title").GetProperty("text").GetString());
    }

    static string ExtractFigureJson(string html)
    {
        var m = Regex.Match(html, @"var figure = (\{.*?\});\n", RegexOptions.Singleline);
        Assert.True(m.Success, "the fragment holds `var figure = {...};`");
        return m.Groups[1].Value;
    }

    // ---- HTML fragment ----

    [Fact]
    public void Html_fragment_draws_with_the_pages_plotly_or_requirejs_or_a_pinned_script_and_keeps_a_static_fallback()
    {
        var f = Plots.Loss(PlotRuns.Healthy);
        var html = f.ToHtml();
        Assert.StartsWith($"<div class=\"aen-figure\" id=\"{f.Id}\"", html);
        Assert.Contains("<div class=\"aen-static\"><svg", html);
        Assert.Contains("if (window.Plotly)", html);
        Assert.Contains("cdn = \"https://cdn.plot.ly/plotly-2.35.2.min\"", html);
        Assert.Contains("window.requirejs.config({ context: \"aenotebooks-plotly\", paths: { plotly: cdn } })", html);
        Assert.Contains("s.src = cdn + \".js\"", html);
        Assert.Contains("Plotly.newPlot(el, figure.data, figure.layout, figure.config)", html);
        Assert.Equal("2.35.2", FigureHtml.PlotlyVersion);
        var embedded = JsonDocument.Parse(ExtractFigureJson(html)).RootElement;
        Assert.Equal(Json(f).GetProperty("data").GetArrayLength(), embedded.GetProperty("data").GetArrayLength());
        // two figures on one page do not share ids
        Assert.NotEqual(f.Id, Plots.Loss(PlotRuns.Healthy).Id);
    }

    [Fact]
    public void Figures_format_as_html_svg_and_text_through_the_formatter_convention()
    {
        var f = Plots.Loss(PlotRuns.Healthy);
        var attr = typeof(Figure).GetCustomAttributes(true).OfType<TypeFormatterSourceAttribute>().Single();
        Assert.Equal(["text/html", "image/svg+xml", "text/plain"], attr.PreferredMimeTypes!);
        var formatters = new RenderableFormatterSource().CreateTypeFormatters().Cast<RenderableFormatter>().ToDictionary(x => x.MimeType);
        string Format(string mime, object o) { var w = new StringWriter(); Assert.True(formatters[mime].Format(o, w)); return w.ToString(); }
        Assert.StartsWith("<svg", Format("image/svg+xml", f));
        Assert.Contains("healthy: loss", Format("text/plain", f));
        Assert.False(formatters["image/png"].Format(f, new StringWriter()));

        var grid = new ImageGrid(["x"], [[Raster.Filled(2, 2, 1, 9, 9, 9)]]);
        var png = Convert.FromBase64String(Format("image/png", grid));
        Assert.Equal(2 + 2 * grid.Gap, PngDecoder.Decode(png).Width);
        Assert.False(formatters["image/svg+xml"].Format(grid, new StringWriter()));
        // existing renderables are unchanged
        Assert.Contains("<table", Format("text/html", PlotRuns.Healthy));
    }

    // ---- the static SVG ----

    [Fact]
    public void Svg_is_well_formed_and_draws_every_trace_axis_and_legend_entry()
    {
        var f = Plots.Loss(PlotRuns.Healthy);
        var svg = Svg(f);
        var root = svg.Root!;
        Assert.Equal(S + "svg", root.Name);
        Assert.Equal("720", root.Attribute("width")!.Value);
        Assert.Equal("420", root.Attribute("height")!.Value);
        Assert.Equal(3, root.Descendants(S + "path").Count(p => p.Attribute("fill")?.Value == "none")); // batch, smoothed, validation lines
        var texts = root.Descendants(S + "text").Select(t => t.Value).ToList();
        Assert.Contains("healthy: loss", texts);
        Assert.Contains("train (smoothed)", texts);
        Assert.Contains("validation (end of epoch)", texts);
        Assert.Contains("training step (mini-batch)", texts);
        Assert.Contains(texts, t => t.StartsWith("MSE loss (log scale)"));
        Assert.Contains(texts, t => Regex.IsMatch(t, "^0\\.[0-9]+$")); // log-axis tick labels
        // ids are unique per figure
        Assert.All(root.Descendants(S + "clipPath"), c => Assert.StartsWith(f.Id, c.Attribute("id")!.Value));
    }

    [Fact]
    public void Svg_log_axes_tick_at_powers_of_ten_and_linear_axes_at_round_numbers()
    {
        var f = new Figure().Add(new Scatter { X = [0, 50, 100], Y = [1e-4, 1e-1, 10], Mode = "lines" });
        f.Layout.YAxis().Type = "log";
        var labels = Svg(f).Root!.Descendants(S + "g").Where(g => g.Attribute("class")?.Value is "xaxis" or "yaxis")
            .ToDictionary(g => g.Attribute("class")!.Value, g => g.Elements(S + "text").Select(t => t.Value).ToList());
        Assert.Equal(["0", "20", "40", "60", "80", "100"], labels["xaxis"]);
        Assert.Contains("0.001", labels["yaxis"]);
        Assert.Contains("1", labels["yaxis"]);
        Assert.Contains("10", labels["yaxis"]);
        Assert.Contains("10−4", labels["yaxis"]); // 10 with a superscript −4
    }

    [Fact]
    public void Svg_leaves_gaps_at_nan_and_marks_points_with_tooltips()
    {
        var f = new Figure().Add(new Scatter { X = [0, 1, 2, 3, 4], Y = [1, 2, double.NaN, 3, 4], Mode = "lines" })
            .Add(new Scatter { Name = "nan", X = [2], Y = [4], Mode = "markers", Text = ["step 2: NaN"], Marker = new Marker { Symbol = "x" } });
        var root = Svg(f).Root!;
        var d = root.Descendants(S + "path").First(p => p.Attribute("fill")?.Value == "none").Attribute("d")!.Value;
        Assert.Equal(2, d.Count(c => c == 'M')); // the line restarts after the NaN
        Assert.Contains(root.Descendants(S + "title"), t => t.Value == "step 2: NaN");
    }

    [Fact]
    public void Svg_heatmap_is_an_embedded_png_with_one_pixel_per_cell()
    {
        var f = Plots.ActivationHistograms(PlotRuns.Healthy, "encoder.relu0");
        var images = f.ToSvg();
        var pngs = PngDecoder.DataUris(images);
        Assert.Single(pngs);
        var png = PngDecoder.Decode(pngs[0]);
        var samples = PlotRuns.Healthy.Activations["encoder.relu0"];
        Assert.Equal((samples.Count, samples[0].Histogram.Length, 3), (png.Width, png.Height, png.Channels));
        Assert.Contains("log(1 + count)", images); // the colour bar's title
    }

    // ---- chart builders ----

    [Fact]
    public void Loss_chart_shows_batches_trend_and_validation_on_a_log_axis()
    {
        var run = PlotRuns.Healthy;
        var j = Json(Plots.Loss(run));
        var batch = TraceNamed(j, "train (each batch)");
        Assert.Equal(run.StepLosses.Select(v => (double)v), Numbers(batch.GetProperty("y")), new ToleranceComparer(1e-6));
        Assert.Equal(Enumerable.Range(0, run.Steps).Select(i => (double)i), Numbers(batch.GetProperty("x")));
        var smooth = Numbers(TraceNamed(j, "train (smoothed)").GetProperty("y"));
        Assert.Equal(run.Steps, smooth.Length);
        Assert.InRange(smooth.Last(), run.StepLosses.Min() * 0.99, run.StepLosses.Max() * 1.01);
        var val = TraceNamed(j, "validation (end of epoch)");
        Assert.Equal(run.Epochs.Select(e => e.ValidationLoss!.Value), Numbers(val.GetProperty("y")), new ToleranceComparer(1e-6));
        Assert.Equal([8.0, 17, 26], Numbers(val.GetProperty("x"))); // 288 training rows / 32 = 9 steps per epoch: the last step of each
        Assert.Equal("dash", val.GetProperty("line").GetProperty("dash").GetString());
        var layout = j.GetProperty("layout");
        Assert.Equal("log", layout.GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal("linear", Json(Plots.Loss(run, logY: false)).GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Contains("MSE", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal(2, layout.GetProperty("shapes").GetArrayLength()); // epoch boundaries
        // the range holds every finite loss (log10 units)
        var range = Numbers(layout.GetProperty("yaxis").GetProperty("range"));
        Assert.True(range[0] < Math.Log10(run.StepLosses.Min()) && range[1] > Math.Log10(run.StepLosses.Max()));
    }

    [Fact]
    public void Loss_chart_marks_every_nan_step_at_the_top_with_hover_text_and_a_line_at_the_first()
    {
        var run = PlotRuns.Diverged;
        Assert.True(run.Diverged, "the fixture run should diverge");
        var f = Plots.Loss(run);
        var j = Json(f);
        var nan = TraceNamed(j, "NaN/∞ loss");
        var badSteps = Enumerable.Range(0, run.Steps).Where(i => !float.IsFinite(run.StepLosses[i])).Select(i => (double)i).ToArray();
        Assert.NotEmpty(badSteps);
        Assert.Equal(badSteps, Numbers(nan.GetProperty("x")));
        Assert.Equal("x", nan.GetProperty("marker").GetProperty("symbol").GetString());
        Assert.Equal(Palette.Problem, nan.GetProperty("marker").GetProperty("color").GetString());
        Assert.All(nan.GetProperty("text").EnumerateArray(), t => Assert.Matches("^step [0-9]+: the loss was (NaN|∞|-∞|Infinity)", t.GetString()!));
        var range = Numbers(j.GetProperty("layout").GetProperty("yaxis").GetProperty("range"));
        Assert.All(Numbers(nan.GetProperty("y")), y => Assert.InRange(Math.Log10(y), range[0] + 0.9 * (range[1] - range[0]), range[1]));
        // the batch trace carries nulls where the loss was not finite: plotly draws a gap
        Assert.Contains(":null", Regex.Match(f.ToJson(), "\"name\":\"train \\(each batch\\)\".*?\\]\\}").Value.Replace(" ", "") + ":null");
        var shapes = j.GetProperty("layout").GetProperty("shapes").EnumerateArray().ToList();
        Assert.Contains(shapes, s => s.GetProperty("x0").GetDouble() == run.FirstNonFinite!.Step && s.GetProperty("line").GetProperty("color").GetString() == Palette.Problem);
        Assert.Contains(j.GetProperty("layout").GetProperty("annotations").EnumerateArray(), a => a.GetProperty("text").GetString()!.StartsWith($"first NaN/∞: step {run.FirstNonFinite!.Step}"));
        // and the static picture shows the markers with their text
        Assert.Contains(Svg(f).Root!.Descendants(S + "title"), t => t.Value.StartsWith($"step {run.FirstNonFinite!.Step}: the loss was"));
    }

    [Fact]
    public void Loss_of_a_run_without_steps_says_so_instead_of_failing()
    {
        var empty = Trainer.Fit(Models.LinearAutoencoder(3, 1), null, rand([8, 3], generator: new Generator((ulong)(1))), new TrainOptions { Epochs = 0, Progress = false }, "empty");
        var f = Plots.Loss(empty);
        Assert.Empty(f.Data);
        Assert.Contains(f.Layout.Annotations!, a => a.Text == "no training steps were run");
        XDocument.Parse(f.ToSvg());
        // the chart TrainingRun's HTML can carry under its summary
        Assert.Contains("aen-figure", empty.Summary().ToHtml() + Plots.Loss(empty).ToHtml());
    }

    [Fact]
    public void Loss_of_several_runs_is_by_epoch_with_one_colour_per_run()
    {
        var j = Json(Plots.Loss(PlotRuns.Healthy, PlotRuns.Diverged));
        var h = TraceNamed(j, "healthy · train");
        var d = TraceNamed(j, "diverged · train");
        Assert.Equal([1.0, 2, 3], Numbers(h.GetProperty("x")));
        Assert.NotEqual(h.GetProperty("line").GetProperty("color").GetString(), d.GetProperty("line").GetProperty("color").GetString());
        Assert.Equal("dash", TraceNamed(j, "healthy · validation").GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal([(double)PlotRuns.Diverged.FirstNonFinite!.Epoch], Numbers(TraceNamed(j, "diverged · NaN").GetProperty("x")));
        Assert.Equal("epoch", j.GetProperty("layout").GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal(1, j.GetProperty("layout").GetProperty("xaxis").GetProperty("dtick").GetDouble()); // whole epochs
    }

    [Fact]
    public void Compare_puts_runs_side_by_side_on_one_scale()
    {
        var f = Plots.Compare(PlotRuns.Diverged, PlotRuns.Healthy);
        var l = Json(f).GetProperty("layout");
        var d1 = Numbers(l.GetProperty("xaxis").GetProperty("domain"));
        var d2 = Numbers(l.GetProperty("xaxis2").GetProperty("domain"));
        Assert.True(d1[1] < d2[0], "panels do not overlap");
        Assert.Equal("y", l.GetProperty("yaxis2").GetProperty("matches").GetString());
        Assert.Equal(Numbers(l.GetProperty("yaxis").GetProperty("range")), Numbers(l.GetProperty("yaxis2").GetProperty("range")));
        Assert.Contains(Json(f).GetProperty("data").EnumerateArray(), t => t.GetProperty("xaxis").GetString() == "x2");
        // one legend entry per kind of line, not per panel
        Assert.Single(Json(f).GetProperty("data").EnumerateArray(), t => t.GetProperty("name").GetString() == "train (smoothed)" && !(t.TryGetProperty("showlegend", out var s) && !s.GetBoolean()));
        var own = Json(Plots.Compare([PlotRuns.Diverged, PlotRuns.Healthy], sharedY: false)).GetProperty("layout");
        Assert.NotEqual(Numbers(own.GetProperty("yaxis").GetProperty("range")), Numbers(own.GetProperty("yaxis2").GetProperty("range")));
        Assert.Contains("<b>healthy</b>", f.ToJson().Replace("\\u003C", "<").Replace("\\u003E", ">"));
    }

    [Fact]
    public void Gradient_norms_have_one_line_per_parameter_coloured_by_depth()
    {
        var run = PlotRuns.Healthy;
        var j = Json(Plots.GradientNorms(run));
        var traces = j.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(run.GradientNorms.Keys, traces.Select(t => t.GetProperty("name").GetString()));
        var first = traces[0];
        Assert.Equal(run.GradientNorms["encoder.linear0.weight"].Select(s => s.Norm), Numbers(first.GetProperty("y")), new ToleranceComparer(1e-9));
        Assert.Equal(run.GradientNorms["encoder.linear0.weight"].Select(s => (double)s.Step), Numbers(first.GetProperty("x")));
        Assert.Equal("dot", TraceNamed(j, "encoder.linear0.bias").GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal(first.GetProperty("line").GetProperty("color").GetString(), TraceNamed(j, "encoder.linear0.bias").GetProperty("line").GetProperty("color").GetString());
        Assert.NotEqual(first.GetProperty("line").GetProperty("color").GetString(), traces[^1].GetProperty("line").GetProperty("color").GetString());
        Assert.Equal("log", j.GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
        Assert.DoesNotContain(Json(Plots.GradientNorms(run, includeBiases: false)).GetProperty("data").EnumerateArray(), t => t.GetProperty("name").GetString()!.EndsWith("bias"));
    }

    [Fact]
    public void Activation_stats_show_mean_std_and_dead_share_per_layer()
    {
        var run = PlotRuns.Healthy;
        var j = Json(Plots.ActivationStats(run));
        var traces = j.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(3 * run.Activations.Count, traces.Count);
        var relu = run.Activations["encoder.relu0"];
        var dead = traces.Single(t => t.GetProperty("name").GetString() == "encoder.relu0 (ReLU)" && t.GetProperty("yaxis").GetString() == "y3");
        Assert.Equal(relu.Select(s => 100 * (s.FractionZero + s.FractionSaturated)), Numbers(dead.GetProperty("y")), new ToleranceComparer(1e-9));
        var mean = traces.Single(t => t.GetProperty("name").GetString() == "encoder.relu0 (ReLU)" && t.GetProperty("yaxis").GetString() == "y");
        Assert.Equal(relu.Select(s => s.Mean), Numbers(mean.GetProperty("y")), new ToleranceComparer(1e-9));
    }

    [Fact]
    public void Activation_histograms_are_log_count_heatmaps_with_time_across_and_value_up()
    {
        var run = PlotRuns.Healthy;
        var j = Json(Plots.ActivationHistograms(run));
        var heatmaps = j.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(run.Activations.Count, heatmaps.Count);
        Assert.All(heatmaps, h => Assert.Equal("heatmap", h.GetProperty("type").GetString()));
        var h0 = heatmaps.Single(h => h.GetProperty("name").GetString() == "decoder.sigmoid1 (Sigmoid)");
        var samples = run.Activations["decoder.sigmoid1"];
        var z = h0.GetProperty("z");
        Assert.Equal(samples[0].Histogram.Length, z.GetArrayLength());       // rows: value bins
        Assert.Equal(samples.Count, z[0].GetArrayLength());                  // columns: time
        Assert.Equal(Math.Log(1 + samples[1].Histogram[5]), z[5][1].GetDouble(), 9);
        var ys = Numbers(h0.GetProperty("y"));
        Assert.Equal(0.0125, ys[0], 9); // sigmoid histogram over [0, 1] in 40 bins: centre of the first
        Assert.Equal(samples.Select(s => (double)s.Step), Numbers(h0.GetProperty("x")));
        Assert.Single(heatmaps, h => h.TryGetProperty("showscale", out var s) && s.GetBoolean());
        Assert.All(heatmaps, h => Assert.Equal(heatmaps[0].GetProperty("zmax").GetDouble(), h.GetProperty("zmax").GetDouble()));
    }

    [Fact]
    public void Histogram_counts_every_finite_value_and_reports_the_rest()
    {
        var values = new float[] { 0, 0.1f, 0.2f, 0.2f, 1, float.NaN, float.PositiveInfinity };
        var f = Plots.Histogram(values, bins: 5);
        var j = Json(f);
        var bar = j.GetProperty("data")[0];
        Assert.Equal("bar", bar.GetProperty("type").GetString());
        Assert.Equal([2.0, 2, 0, 0, 1], Numbers(bar.GetProperty("y")));
        Assert.Equal([0.1, 0.3, 0.5, 0.7, 0.9], Numbers(bar.GetProperty("x")), new ToleranceComparer(1e-9));
        Assert.Equal(0.2, bar.GetProperty("width").GetDouble(), 9);
        Assert.Contains(j.GetProperty("layout").GetProperty("annotations").EnumerateArray(), a => a.GetProperty("text").GetString()!.Contains("2 NaN/∞ values not shown"));
        var two = Json(Plots.Histogram(("clean", tensor(new float[] { 0, 1 })), ("noisy", tensor(new float[] { 0.5f, 2 }))));
        Assert.Equal(2, two.GetProperty("data").GetArrayLength());
        Assert.Equal(Numbers(two.GetProperty("data")[0].GetProperty("x")), Numbers(two.GetProperty("data")[1].GetProperty("x"))); // shared bins
        Assert.Equal("overlay", two.GetProperty("layout").GetProperty("barmode").GetString());
    }

    [Fact]
    public void Latent_scatter_projects_wide_codes_with_pca_and_colours_by_label()
    {
        // codes on a line in 3-D (plus a little noise): PC 1 carries almost all the variance
        var rng = new Random(5);
        int n = 60;
        var data = new float[n * 3];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            float t = i - n / 2f;
            data[3 * i] = t; data[3 * i + 1] = 2 * t; data[3 * i + 2] = (float)(rng.NextDouble() * 0.01);
            labels[i] = i % 3;
        }
        var j = Json(Plots.Latent(tensor(data, [n, 3]), labels, ["a", "b", "c"]));
        var traces = j.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["a", "b", "c"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(n, traces.Sum(t => t.GetProperty("x").GetArrayLength()));
        Assert.NotEqual(traces[0].GetProperty("marker").GetProperty("color").GetString(), traces[1].GetProperty("marker").GetProperty("color").GetString());
        var title = j.GetProperty("layout").GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString()!;
        Assert.StartsWith("PC 1 (100.0% of variance)", title);
        // PC 1 coordinate of a sample is its centred position along the line (t − mean t)·√5; sample 0 has t = −30, mean t = −0.5
        var x = Numbers(traces[0].GetProperty("x"));
        Assert.Equal(29.5 * Math.Sqrt(5), Math.Abs(x[0]), 2);

        var model = Models.DenseAutoencoder(4, [6], 2);
        var two = Json(Plots.Latent(model, rand([20, 4], generator: new Generator((ulong)(2)))));
        Assert.Equal(20, two.GetProperty("data")[0].GetProperty("x").GetArrayLength());
        Assert.Equal("code dimension 1", two.GetProperty("layout").GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Pca_finds_orthonormal_directions_of_decreasing_variance()
    {
        var rng = new Random(11);
        int n = 500, d = 4;
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            double a = Normal(rng) * 5, b = Normal(rng) * 2, c = Normal(rng) * 0.5;
            data[i * d] = (float)(a + 10); data[i * d + 1] = (float)b; data[i * d + 2] = (float)(c - 3); data[i * d + 3] = (float)(0.1 * Normal(rng));
        }
        var pca = Pca.Fit(data, n, d, 3);
        Assert.Equal(10, pca.Mean[0], 0);
        Assert.True(pca.Variance[0] > pca.Variance[1] && pca.Variance[1] > pca.Variance[2]);
        Assert.Equal(25, pca.Variance[0], 0.2 * 25);
        Assert.Equal(1.0, Math.Abs(pca.Components[0][0]), 2);
        Assert.Equal(1.0, Math.Abs(pca.Components[1][1]), 2);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                Assert.Equal(a == b ? 1 : 0, pca.Components[a].Zip(pca.Components[b], (p, q) => p * q).Sum(), 6);
        Assert.InRange(pca.ExplainedVarianceRatio.Sum(), 0.99, 1.0);
        Assert.Equal(pca.Components[0], Pca.Fit(data, n, d, 3).Components[0]); // deterministic, signs included
    }

    [Fact]
    public void Pca_is_exact_when_variances_nearly_coincide()
    {
        // independent uniform columns: every eigenvalue ≈ 1/12, where power iteration would crawl
        var data = rand([4000, 8], generator: new Generator((ulong)(4))).ToArray();
        var pca = Pca.Fit(data, 4000, 8, components: 8);
        double trace = Enumerable.Range(0, 8).Sum(j =>
        {
            var col = Enumerable.Range(0, 4000).Select(i => (double)data[i * 8 + j]).ToList();
            double m = col.Average();
            return col.Sum(v => (v - m) * (v - m)) / 3999;
        });
        Assert.Equal(trace, pca.Variance.Sum(), 9);
        Assert.All(pca.Variance, v => Assert.InRange(v, 1 / 12.0 * 0.9, 1 / 12.0 * 1.1));
        Assert.True(pca.Variance.Zip(pca.Variance.Skip(1), (a, b) => a >= b).All(x => x), "sorted by variance");
    }

    static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void Learning_rate_finder_marks_the_steepest_descent_on_a_log_axis()
    {
        var lrs = Enumerable.Range(0, 60).Select(i => 1e-5 * Math.Pow(10, i / 10.0)).ToList();
        var losses = lrs.Select(lr => 1 - 0.8 / (1 + Math.Exp(-(Math.Log10(lr) + 3) * 4)) + (lr > 0.1 ? (Math.Log10(lr) + 1) * 5 : 0)).ToList();
        var f = Plots.LearningRateFinder(lrs, losses);
        var j = Json(f);
        Assert.Equal("log", j.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());
        var s = TraceNamed(j, "suggestion").GetProperty("x")[0].GetDouble();
        Assert.InRange(Math.Log10(s), -3.5, -2.5); // the logistic's steepest point is at 1e-3
        Assert.Equal(s, Plots.LearningRateFinder(lrs, losses, suggestion: s).Data.OfType<Scatter>().Single(t => t.Name == "suggestion").X![0]);
        var range = Numbers(j.GetProperty("layout").GetProperty("yaxis").GetProperty("range"));
        Assert.True(range[1] < losses.Max(), "the blow-up at the end is cut off");
    }

    [Fact]
    public void Helpers_smooth_without_lag_and_decimate_keeping_spikes_and_gaps()
    {
        var step = Enumerable.Range(0, 21).Select(i => i < 10 ? 0.0 : 1.0).ToArray();
        var smooth = Plots.Smooth(step, 5);
        Assert.Equal(0.5, (smooth[9] + smooth[10]) / 2, 9); // centred: the edge stays where it is
        Assert.Equal(0, smooth[0]);
        Assert.Equal(1, smooth[20]);
        Assert.True(double.IsNaN(Plots.Smooth([1, double.NaN, 3], 3)[1]));
        Assert.Equal(1, Plots.Smooth([1, double.NaN, 3], 3)[0], 9); // the NaN neighbour is left out
        Assert.Equal(2, Plots.Smooth([1, 2, 3], 3)[1], 9);

        Assert.Equal(["0.0465", "0.113", "0.120", "12.0", "0"], new[] { 0.04651, 0.1131, 0.12, 12, 0 }.Select(v => Plots.Sig(v)));

        var values = Enumerable.Range(0, 10_000).Select(i => 1.0).ToArray();
        values[4321] = 50;
        values[777] = double.NaN;
        var (x, y) = Plots.Decimate(values, 1000);
        Assert.True(x.Length <= 1100, $"{x.Length} points");
        Assert.Contains(4321.0, x);
        Assert.Contains(777.0, x);
        Assert.Equal(50, y[Array.IndexOf(x, 4321.0)]);
    }
}

sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double a, double b) => (double.IsNaN(a) && double.IsNaN(b)) || Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(a));
    public int GetHashCode(double v) => 0;
}
