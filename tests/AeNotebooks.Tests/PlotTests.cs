using System.Text.Json;
using System.Text.RegularExpressions;
using AeNotebooks.Analysis;
using AeNotebooks.Imaging;
using AeNotebooks.Plotting;
using Plotly.NET;
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
    static JsonElement Json(GenericChart c) => JsonDocument.Parse(GenericChart.toJson(c)).RootElement;

    static JsonElement TraceNamed(JsonElement fig, string name) =>
        fig.GetProperty("data").EnumerateArray().Single(t => t.TryGetProperty("name", out var n) && n.GetString() == name);

    static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();

    // ---- Plotly.NET charts: HTML, text, restyling ----

    /// <summary>The figure a chart's HTML draws: the object literal in its script.</summary>
    static JsonElement DrawnFigure(string html) =>
        JsonDocument.Parse(Regex.Match(html, @"figure = (\{.*\});\n", RegexOptions.Singleline).Groups[1].Value).RootElement;

    [Fact]
    public void Html_draws_offline_with_plotly_js_from_plotly_net_inlined_only_when_asked()
    {
        var chart = Plots.Loss(PlotRuns.Healthy);
        var carrying = ChartHtml.Fragment(chart, includePlotlyJs: true);
        var plain = ChartHtml.Fragment(chart, includePlotlyJs: false);
        Assert.Contains($"{ChartHtml.InlinePlotlyJsAttribute}=\"2.28.0\"", carrying);
        Assert.Contains("plotly.js v2.28.0", carrying);
        Assert.True(carrying.Length > 3_000_000, $"{carrying.Length} characters");
        Assert.DoesNotContain(ChartHtml.InlinePlotlyJsAttribute, plain);
        Assert.True(plain.Length < 200_000, $"{plain.Length} characters");
        Assert.DoesNotContain("cdn.plot.ly", plain); // (plotly.js itself names its CDN for map outlines, which these charts do not use)
        Assert.DoesNotContain("requirejs", plain);
        // both wait for window.Plotly in the same queue, which the carrying output empties once plotly.js is defined
        Assert.Contains("window.__aenPlotlyQueue", plain);
        Assert.True(carrying.IndexOf("window.__aenPlotlyQueue = [];", StringComparison.Ordinal) > carrying.IndexOf("plotly.js v2.28.0", StringComparison.Ordinal));
        // the text stays where no script runs
        Assert.Contains(System.Net.WebUtility.HtmlEncode(ChartText.Describe(chart)), plain);
        Assert.Equal(Json(chart).GetProperty("data").GetArrayLength(), DrawnFigure(plain).GetProperty("data").GetArrayLength());
        Assert.False(DrawnFigure(plain).GetProperty("config").GetProperty("displaylogo").GetBoolean());
    }

    [Fact]
    public void Plotly_net_gets_the_fsharp_core_the_process_has_and_a_host_without_one_gets_null_not_a_loop()
    {
        // the test host loaded FSharp.Core into the default context: that copy is the answer
        var fsharp = KernelFormatters.ShareKernelFSharpCore(null, new ResolveEventArgs("FSharp.Core, Version=10.1.0.0"));
        Assert.Equal("FSharp.Core", fsharp?.GetName().Name);
        Assert.Null(KernelFormatters.ShareKernelFSharpCore(null, new ResolveEventArgs("Plotly.NET, Version=6.0.0.0")));
        // where nothing is loaded: the deps.json's copy, or null (asking the runtime by name re-entered the handler until
        // the stack overflowed, in a host without FSharp.Core)
        string real = fsharp!.Location, sep = Path.PathSeparator.ToString();
        Assert.Equal(real, KernelFormatters.TrustedFSharpCore(string.Join(sep, "/x/System.Runtime.dll", real)));
        Assert.Null(KernelFormatters.TrustedFSharpCore(string.Join(sep, "/x/System.Runtime.dll", "/nowhere/FSharp.Core.dll")));
        Assert.Null(KernelFormatters.TrustedFSharpCore(null));
    }

    [Fact]
    public void A_training_run_and_a_range_test_register_with_the_kernel_as_charts_do_and_show_their_chart()
    {
        Assert.Equal([typeof(LearningRateFinding), typeof(TrainingRun)], KernelFormatters.ChartRenderableTypes.OrderBy(t => t.Name));
        // every type of the helpers that shows a chart is on that list
        var all = typeof(KernelFormatters).Assembly.GetTypes().Where(t => typeof(IChartRenderable).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false });
        Assert.Equal(all.OrderBy(t => t.Name), KernelFormatters.ChartRenderableTypes.OrderBy(t => t.Name));
        var run = PlotRuns.Healthy;
        Assert.Equal(ChartText.Describe(Plots.Loss(run)), ChartText.Describe(run.Chart));
        Assert.Contains("<div class=\"aen-chart\"", run.ToHtml());
    }

    [Fact]
    public void Only_the_first_chart_of_a_session_carries_plotly_js()
    {
        var chart = Plots.Histogram([1f, 2f, 3f], bins: 3);
        ChartHtml.IncludePlotlyJsInNextChart();
        var first = chart.ToHtml();
        var second = chart.ToHtml();
        Assert.Contains(ChartHtml.InlinePlotlyJsAttribute, first);
        Assert.DoesNotContain(ChartHtml.InlinePlotlyJsAttribute, second);
    }

    [Fact]
    public void Html_is_safe_in_a_script_element_and_nan_is_null()
    {
        // a chart a learner built with Plotly.NET directly: its text is not escaped for HTML
        var trace = new Trace2D("scatter");
        trace.SetProperty("name", "</script><script>alert(1)</script><!--");
        trace.SetProperty("y", new[] { 1.0, 2.0 });
        var html = ChartHtml.Fragment(GenericChart.ofTraceObject(false, trace), includePlotlyJs: false);
        Assert.Single(Regex.Matches(html, "</script>"));
        Assert.DoesNotContain("<!--", html);
        Assert.Equal("</script><script>alert(1)</script><!--", DrawnFigure(html).GetProperty("data")[0].GetProperty("name").GetString());
        var withNan = Json(Plots.Loss(PlotRuns.Diverged));
        Assert.Contains(TraceNamed(withNan, "train (each batch)").GetProperty("y").EnumerateArray(), v => v.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public void Text_names_the_title_every_trace_with_its_points_and_range_and_the_notes()
    {
        var run = PlotRuns.Healthy;
        var lines = Plots.Loss(run).ToText().Split('\n');
        Assert.Equal("healthy: loss (3 traces)", lines[0]);
        Assert.Equal($"  train (each batch): {run.Steps} points, y from {run.StepLosses.Min().ToString("G4", System.Globalization.CultureInfo.InvariantCulture)} to {run.StepLosses.Max().ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}", lines[1]);
        Assert.StartsWith("  validation (end of epoch): 3 points", lines[3]);
        Assert.StartsWith("  final train ", lines[4]);
        Assert.Contains("3 epochs, 27 steps", lines[4]);
        Assert.Contains("decoder.sigmoid1 (Sigmoid): ", Plots.ActivationHistograms(run).ToText());
        Assert.Contains("suggested learning rate", Plots.LearningRateFinder([1e-4, 1e-3, 1e-2, 1e-1], [1.0, 0.5, 0.2, 5]).ToText());
    }

    [Fact]
    public void A_learner_restyles_a_chart_from_csharp_and_saves_it_as_a_page_that_draws_offline()
    {
        var chart = Plots.Loss(PlotRuns.Healthy).WithTitle("my <run>").WithSize(500, 300).WithYAxisTitle("MSE").WithXAxisTitle("step");
        var layout = Json(chart).GetProperty("layout");
        Assert.Equal("<b>my &lt;run&gt;</b>", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.Equal(500, layout.GetProperty("width").GetDouble());
        Assert.Equal(300, layout.GetProperty("height").GetDouble());
        Assert.Equal("MSE", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("step", layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("log", layout.GetProperty("yaxis").GetProperty("type").GetString()); // the rest of the axis is kept
        Assert.StartsWith("my <run> (3 traces)", chart.ToText());
        // Plotly.NET's own functions work on the same chart
        var styled = Plotly.NET.Chart.withSize(640.0, 480.0).Invoke(chart);
        Assert.Equal(640, Json(styled).GetProperty("layout").GetProperty("width").GetDouble());

        var path = chart.SaveHtml(Path.Combine(Path.GetTempPath(), "aen-plot-tests", Guid.NewGuid().ToString("N"), "loss.html"));
        var page = File.ReadAllText(path);
        Assert.StartsWith("<!DOCTYPE html>", page);
        Assert.Contains(ChartHtml.InlinePlotlyJsAttribute, page);
        Assert.DoesNotContain("<script src=", page);
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
        var shapes = j.GetProperty("layout").GetProperty("shapes").EnumerateArray().ToList();
        Assert.Contains(shapes, s => s.GetProperty("x0").GetDouble() == run.FirstNonFinite!.Step && s.GetProperty("line").GetProperty("color").GetString() == Palette.Problem);
        Assert.Contains(j.GetProperty("layout").GetProperty("annotations").EnumerateArray(), a => a.GetProperty("text").GetString()!.StartsWith($"first NaN/∞: step {run.FirstNonFinite!.Step}"));
    }

    [Fact]
    public void Loss_of_a_run_without_steps_says_so_instead_of_failing()
    {
        var empty = Trainer.Fit(Models.LinearAutoencoder(3, 1), null, rand([8, 3], generator: new Generator((ulong)(1))), new TrainOptions { Epochs = 0, Progress = false }, "empty");
        var j = Json(Plots.Loss(empty));
        Assert.DoesNotContain(j.GetProperty("data").EnumerateArray(), t => t.TryGetProperty("name", out _));
        Assert.Contains(j.GetProperty("layout").GetProperty("annotations").EnumerateArray(), a => a.GetProperty("text").GetString() == "no training steps were run");
        // the chart TrainingRun's HTML carries under its summary
        Assert.Contains("aen-chart", empty.ToHtml());
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
        Assert.Equal("healthy<br>epoch %{x}<br>training loss %{y:.4g}<extra></extra>", h.GetProperty("hovertemplate").GetString());
        Assert.Equal("log", j.GetProperty("layout").GetProperty("yaxis").GetProperty("type").GetString());
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
        Assert.Contains("<b>healthy</b>", GenericChart.toJson(f));
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
        Assert.Equal(s, TraceNamed(Json(Plots.LearningRateFinder(lrs, losses, suggestion: s)), "suggestion").GetProperty("x")[0].GetDouble());
        Assert.Equal("y domain", j.GetProperty("layout").GetProperty("shapes")[0].GetProperty("yref").GetString()); // the dashed line at it
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
