using AeNotebooks.Plotting;
using Plotly.NET;
using static AeNotebooks.Plotting.PlotlyAttributes;

namespace AeNotebooks;

public static partial class Plots
{
    /// <summary>
    /// Loss against training step: every mini-batch's loss (faint), its smoothed trend (solid), the validation loss
    /// at the end of each epoch (dashed), epoch boundaries (dotted), and a red ✕ at every step whose loss was NaN or
    /// ±∞, with a line at the first one. Log y by default: losses shrink by orders of magnitude.
    /// </summary>
    public static GenericChart Loss(TrainingRun run, bool logY = true)
    {
        var f = NewChart($"{run.Name}: loss", LossSubtitle(run));
        var range = LossRange([run], logY);
        AddLossTraces(f, run, 0, range, logY, legend: true);
        Style(f.XAxis(), "training step (mini-batch)");
        Style(f.YAxis(), $"{run.Options.Loss} loss" + (logY ? " (log scale)" : ""), logY, range);
        if (run.Steps == 0) f.Annotations.Add(EmptyMessage("no training steps were run"));
        f.Notes.Add(LossSubtitle(run));
        return Finish(f);
    }

    /// <summary>
    /// Several runs in one chart, by epoch (their step counts may differ): one colour per run, training loss solid,
    /// validation loss dashed, a ✕ where a run hit NaN.
    /// </summary>
    public static GenericChart Loss(params TrainingRun[] runs) => runs.Length == 1 ? Loss(runs[0]) : Loss((IEnumerable<TrainingRun>)runs);

    public static GenericChart Loss(IEnumerable<TrainingRun> runs, bool logY = true)
    {
        var list = runs.ToList();
        if (list.Count == 0) throw new ArgumentException("Plots.Loss: no runs given");
        var f = NewChart("loss by epoch: " + string.Join(" vs ", list.Select(r => r.Name)), "solid: training loss · dashed: validation loss");
        var values = list.SelectMany(r => r.Epochs.SelectMany(e => new[] { e.TrainLoss, e.ValidationLoss ?? double.NaN }));
        bool anyNan = list.Any(r => r.FirstNonFinite is not null);
        var range = YRange(values, logY, anyNan ? 0.08 : 0);
        for (int i = 0; i < list.Count; i++)
        {
            var run = list[i];
            var color = Palette.Category(i);
            var epochs = run.Epochs.Select(e => (double)e.Epoch).ToArray();
            var name = Html(run.Name);
            f.Add(Scatter($"{name} · train", epochs, run.Epochs.Select(e => e.TrainLoss), LinesFor(run.Epochs.Count)).Set("legendgroup", name)
                .Set("line", Line(color, 2.4)).Set("marker", Marker(color, 6))
                .Set("hovertemplate", $"{name}<br>epoch %{{x}}<br>training loss %{{y:.4g}}<extra></extra>"));
            if (run.Epochs.Any(e => e.ValidationLoss is not null))
                f.Add(Scatter($"{name} · validation", epochs, run.Epochs.Select(e => e.ValidationLoss ?? double.NaN), LinesFor(run.Epochs.Count)).Set("legendgroup", name)
                    .Set("line", Line(color, 2, "dash")).Set("marker", Marker(color, 6, "diamond"))
                    .Set("hovertemplate", $"{name}<br>epoch %{{x}}<br>validation loss %{{y:.4g}}<extra></extra>"));
            if (run.FirstNonFinite is { } bad)
                f.Add(NanMarkers($"{name} · NaN", [bad.Epoch], [TopOf(range, logY)], [$"{name}: first NaN/∞ at step {bad.Step} (epoch {bad.Epoch}) in {bad.Where}"], "x", "y", showLegend: true));
        }
        var epochAxis = Style(f.XAxis(), "epoch");
        if (list.Max(r => r.Epochs.Count) <= 12) epochAxis.Set("dtick", 1);
        Style(f.YAxis(), $"loss ({string.Join(", ", list.Select(r => r.Options.Loss.ToString()).Distinct())})" + (logY ? " (log scale)" : ""), logY, range);
        foreach (var r in list) f.Notes.Add($"{r.Name}: {LossSubtitle(r)}");
        return Finish(f);
    }

    /// <summary>Runs side by side, one panel each, on the same loss scale: the broken run next to the fixed one.</summary>
    public static GenericChart Compare(params TrainingRun[] runs) => Compare((IEnumerable<TrainingRun>)runs);

    /// <param name="sharedY">
    /// One loss scale for all panels (default), so levels compare directly; false gives each panel its own range,
    /// which keeps a healthy run readable next to one that exploded.
    /// </param>
    public static GenericChart Compare(IEnumerable<TrainingRun> runs, bool logY = true, bool sharedY = true)
    {
        var list = runs.ToList();
        if (list.Count == 0) throw new ArgumentException("Plots.Compare: no runs given");
        int cols = Math.Min(list.Count, 3), rows = (list.Count + cols - 1) / cols;
        var f = NewChart("loss: " + string.Join(" vs ", list.Select(r => r.Name)),
            $"each panel one run{(sharedY ? ", same loss scale" : "")} · faint: each batch · solid: smoothed · dashed: validation",
            width: 110 + 300 * cols + 170, height: 120 + 290 * rows);
        var range = LossRange(list, logY);
        var domains = Grid(list.Count, cols, hgap: 0.05, vgap: 0.2);
        for (int i = 0; i < list.Count; i++)
        {
            var (xid, yid) = AxisIds(i);
            var (x0, x1, y0, y1) = domains[i];
            var panelRange = sharedY ? range : LossRange([list[i]], logY);
            AddLossTraces(f, list[i], i, panelRange, logY, legend: i == 0);
            Style(f.XAxis(i + 1), i >= list.Count - cols ? "training step" : "").Set("domain", new[] { x0, x1 }).Set("anchor", yid);
            var ya = Style(f.YAxis(i + 1), i % cols == 0 ? $"{list[i].Options.Loss} loss" + (logY ? " (log)" : "") : "", logY, panelRange)
                .Set("domain", new[] { y0, y1 }).Set("anchor", xid);
            if (i > 0 && sharedY) ya.Set("matches", "y");
            if (i % cols != 0 && sharedY) ya.Set("showticklabels", false);
            f.Annotations.Add(PanelTitle($"<b>{Html(list[i].Name)}</b><br>{Html(PanelSummary(list[i]))}", x0, x1, y1 + 0.01));
        }
        f.MarginTop = 116;
        foreach (var r in list) f.Notes.Add($"{r.Name}: {LossSubtitle(r)}");
        return Finish(f);
    }

    static string LossSubtitle(TrainingRun run)
    {
        var parts = new List<string>();
        if (run.Epochs.Count > 0) parts.Add($"final train {F(run.FinalTrainLoss)}");
        if (run.FinalValidationLoss is double v) parts.Add($"validation {F(v)}");
        parts.Add($"{run.Epochs.Count} epoch{(run.Epochs.Count == 1 ? "" : "s")}, {run.Steps} steps");
        if (run.FirstNonFinite is { } bad) parts.Add($"NaN/∞ at step {bad.Step}");
        return string.Join(" · ", parts);
    }

    static string PanelSummary(TrainingRun run) =>
        run.FirstNonFinite is { } bad ? $"NaN/∞ at step {bad.Step} (epoch {bad.Epoch})"
        : run.Epochs.Count == 0 ? "no epochs"
        : $"final {F(run.FinalTrainLoss)}" + (run.FinalValidationLoss is double v ? $" · validation {F(v)}" : "");

    static double[] LossRange(IReadOnlyList<TrainingRun> runs, bool logY)
    {
        var values = runs.SelectMany(r => r.StepLosses.Select(x => (double)x).Concat(r.Epochs.Select(e => e.ValidationLoss ?? double.NaN)));
        bool anyNan = runs.Any(r => r.StepLosses.Any(x => !float.IsFinite(x)));
        return YRange(values, logY, anyNan ? 0.08 : 0.02);
    }

    /// <summary>
    /// The number of steps per epoch: from the training split's size and the batch size when the run keeps its data;
    /// else exact when every recorded epoch ran in full, and estimated from where the NaN fell when the run stopped
    /// part way through an epoch.
    /// </summary>
    internal static double StepsPerEpoch(TrainingRun run)
    {
        if (run.Targets is { } data && run.Options.BatchSize > 0 && data.shape.Length > 0 && data.shape[0] > 0)
            return Math.Ceiling(data.shape[0] / (double)run.Options.BatchSize);
        int epochs = run.Epochs.Count, steps = run.Steps;
        if (epochs == 0) return Math.Max(1, steps);
        bool partialLast = run.FirstNonFinite is { } bad && run.Options.StopOnNonFinite && bad.Epoch == epochs && steps == bad.Step + 1;
        if (!partialLast) return Math.Max(1.0, (double)steps / epochs);
        int complete = epochs - 1;
        if (complete == 0) return Math.Max(1, steps);
        // the NaN step lies in [complete·spe, (complete+1)·spe); take the middle
        return Math.Max(1.0, Math.Floor(run.FirstNonFinite!.Step / (complete + 0.5)));
    }

    static void AddLossTraces(ChartDraft f, TrainingRun run, int panel, double[] range, bool logY, bool legend)
    {
        var (xid, yid) = AxisIds(panel);
        int n = run.Steps;
        if (n == 0) return;
        var raw = run.StepLosses.Select(v => (double)v).ToArray();
        var (xs, ys) = Decimate(raw, 2500);
        f.Add(Scatter("train (each batch)", xs, ys).Set("legendgroup", "batch").Set("showlegend", legend).Set("xaxis", xid).Set("yaxis", yid)
            .Set("line", Line(Palette.Train, 1)).Set("opacity", 0.35)
            .Set("hovertemplate", "step %{x}<br>batch loss %{y:.4g}<extra></extra>"));
        var smooth = Smooth(raw, SmoothingWindow(n));
        var (sx, sy) = Subsample(smooth, 1500);
        f.Add(Scatter("train (smoothed)", sx, sy).Set("legendgroup", "smooth").Set("showlegend", legend).Set("xaxis", xid).Set("yaxis", yid)
            .Set("line", Line(Palette.Train, 2.5))
            .Set("hovertemplate", "step %{x}<br>smoothed loss %{y:.4g}<extra></extra>"));

        double spe = StepsPerEpoch(run);
        var ends = run.Epochs.Select(e => Math.Min(n - 1, Math.Round(e.Epoch * spe) - 1)).ToArray();
        if (run.Epochs.Count > 0) ends[^1] = n - 1;
        if (run.Epochs.Any(e => e.ValidationLoss is not null))
            f.Add(Scatter("validation (end of epoch)", ends, run.Epochs.Select(e => e.ValidationLoss ?? double.NaN), LinesFor(run.Epochs.Count))
                .Set("legendgroup", "validation").Set("showlegend", legend).Set("xaxis", xid).Set("yaxis", yid)
                .Set("text", run.Epochs.Select(e => $"epoch {e.Epoch}").ToArray())
                .Set("line", Line(Palette.Validation, 2.2, "dash")).Set("marker", Marker(Palette.Validation, 7, "diamond"))
                .Set("hovertemplate", "%{text}<br>validation loss %{y:.4g}<extra></extra>"));
        if (run.Epochs.Count is > 1 and <= 40)
            for (int e = 1; e < run.Epochs.Count; e++)
                f.Shapes.Add(VerticalLine(xid, yid, ends[e - 1] + 0.5, Line("#C9D1D9", 1, "dot"), below: true));

        var bad = Enumerable.Range(0, n).Where(i => !float.IsFinite(run.StepLosses[i])).ToList();
        if (bad.Count > 0)
        {
            double top = TopOf(range, logY);
            f.Add(NanMarkers("NaN/∞ loss", bad.Select(i => (double)i).ToArray(), bad.Select(_ => top).ToArray(),
                bad.Select(i => $"step {i}: the loss was {run.StepLosses[i]}").ToArray(), xid, yid, legend));
        }
        if (run.FirstNonFinite is { } first)
        {
            f.Shapes.Add(VerticalLine(xid, yid, first.Step, Line(Palette.Problem, 1.5, "dash"), below: false));
            bool rightHalf = first.Step > 0.6 * Math.Max(1, n - 1);
            f.Annotations.Add(Annotation($"first NaN/∞: step {first.Step}<br>{Html(Shorten(first.Where, 34))}", first.Step, 0.86, xid, yid + " domain",
                rightHalf ? "right" : "left", "top", Font(11, Palette.Problem), "rgba(255,255,255,0.85)"));
        }
    }

    static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    /// <summary>A marker on every point while they stay apart; past 30 epochs the markers would merge into a band.</summary>
    static string LinesFor(int points) => points <= 30 ? "lines+markers" : "lines";

    internal static Trace NanMarkers(string name, double[] x, double[] y, string[] text, string xid, string yid, bool showLegend) =>
        Scatter(name, x, y, "markers").Set("legendgroup", "nan").Set("showlegend", showLegend).Set("xaxis", xid).Set("yaxis", yid).Set("text", text)
            .Set("marker", Marker(Palette.Problem, 11, "x")).Set("hovertemplate", "%{text}<extra></extra>");

    /// <summary>
    /// At most about <paramref name="max"/> points: consecutive values are bucketed and each bucket keeps its first,
    /// lowest and highest values (and every NaN), so spikes and gaps survive.
    /// </summary>
    internal static (double[] X, double[] Y) Decimate(double[] values, int max)
    {
        if (values.Length <= max) return (Enumerable.Range(0, values.Length).Select(i => (double)i).ToArray(), values);
        int size = (int)Math.Ceiling(values.Length / (max / 3.0));
        var xs = new List<double>();
        var ys = new List<double>();
        for (int start = 0; start < values.Length; start += size)
        {
            int end = Math.Min(values.Length, start + size);
            var keep = new SortedSet<int> { start };
            int lo = -1, hi = -1;
            for (int i = start; i < end; i++)
            {
                if (!double.IsFinite(values[i])) { keep.Add(i); continue; }
                if (lo < 0 || values[i] < values[lo]) lo = i;
                if (hi < 0 || values[i] > values[hi]) hi = i;
            }
            if (lo >= 0) keep.Add(lo);
            if (hi >= 0) keep.Add(hi);
            foreach (var i in keep) { xs.Add(i); ys.Add(values[i]); }
        }
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>Every k-th point (and the last), for smooth curves.</summary>
    internal static (double[] X, double[] Y) Subsample(double[] values, int max)
    {
        int k = Math.Max(1, (int)Math.Ceiling(values.Length / (double)max));
        var idx = Enumerable.Range(0, values.Length).Where(i => i % k == 0 || i == values.Length - 1).ToArray();
        return (idx.Select(i => (double)i).ToArray(), idx.Select(i => values[i]).ToArray());
    }

    /// <summary>
    /// The L2 norm of each parameter's gradient over training, log scale. Colour follows depth (first layer dark,
    /// last layer green), weights solid, biases dotted: vanishing gradients show as a fan that darkens toward the
    /// input, exploding ones as lines climbing off the top.
    /// </summary>
    public static GenericChart GradientNorms(TrainingRun run, bool logY = true, bool includeBiases = true)
    {
        var f = NewChart($"{run.Name}: gradient norm per parameter", "‖∂loss/∂θ‖₂ of each weight and bias tensor, sampled every few steps");
        var names = run.GradientNorms.Keys.Where(k => includeBiases || !k.EndsWith("bias", StringComparison.Ordinal)).ToList();
        var layers = names.Select(LayerOf).Distinct().ToList();
        var all = names.SelectMany(k => run.GradientNorms[k].Select(s => s.Norm)).ToList();
        bool anyBad = all.Any(v => !double.IsFinite(v));
        var range = YRange(all, logY, anyBad ? 0.08 : 0.02);
        var badX = new List<double>();
        var badText = new List<string>();
        foreach (var name in names)
        {
            var samples = run.GradientNorms[name];
            int depth = layers.IndexOf(LayerOf(name));
            bool bias = name.EndsWith("bias", StringComparison.Ordinal);
            f.Add(Scatter(Html(name), samples.Select(s => (double)s.Step), samples.Select(s => s.Norm))
                .Set("line", Line(Palette.Depth(depth, layers.Count), bias ? 1.6 : 2.2, bias ? "dot" : null))
                .Set("hovertemplate", $"{Html(name)}<br>step %{{x}}<br>gradient norm %{{y:.3g}}<extra></extra>"));
            foreach (var s in samples.Where(s => !double.IsFinite(s.Norm)))
            {
                badX.Add(s.Step);
                badText.Add($"{name}: gradient norm {s.Norm} at step {s.Step}");
            }
        }
        if (badX.Count > 0)
            f.Add(NanMarkers("NaN/∞ gradient", badX.ToArray(), badX.Select(_ => TopOf(range, logY)).ToArray(), badText.ToArray(), "x", "y", true));
        Style(f.XAxis(), "training step (mini-batch)");
        Style(f.YAxis(), "gradient L2 norm" + (logY ? " (log scale)" : ""), logY, range);
        if (names.Count == 0) f.Annotations.Add(EmptyMessage("no gradient norms were recorded (TrainOptions.RecordEvery = 0?)"));
        f.ShowLegend = names.Count > 0;
        foreach (var name in names)
        {
            var finite = run.GradientNorms[name].Where(s => double.IsFinite(s.Norm)).ToList();
            if (finite.Count > 0) f.Notes.Add($"{name}: first {F(finite[0].Norm)}, last {F(finite[^1].Norm)}");
        }
        return Finish(f);
    }

    /// <summary>"encoder.0.weight" → "encoder.0".</summary>
    static string LayerOf(string parameter) => parameter.LastIndexOf('.') is var i and > 0 ? parameter[..i] : parameter;

    /// <summary>Layer name → layer kind ("ReLU", "Linear"), from the run's model.</summary>
    static Dictionary<string, string> LayerKinds(TrainingRun run) =>
        run.Model.named_modules().GroupBy(m => m.name).ToDictionary(g => g.Key, g => g.First().module.Kind());

    /// <summary>
    /// Each layer's output over training, in three panels: mean, standard deviation, and the share of outputs that
    /// are exactly zero (dead ReLUs) or saturated (sigmoid/tanh at their bounds). As fastai's ActivationStats.
    /// </summary>
    public static GenericChart ActivationStats(TrainingRun run)
    {
        var layers = run.Activations.Where(kv => kv.Value.Count > 0).Select(kv => kv.Key).ToList();
        var kinds = LayerKinds(run);
        var f = NewChart($"{run.Name}: activations per layer", "each layer's output on the training batch, sampled every few steps", width: 1060, height: 400);
        var panels = new (string Title, string Axis, Func<ActivationSample, double> Value)[]
        {
            ("mean", "mean of outputs", s => s.Mean),
            ("standard deviation", "std of outputs", s => s.Std),
            ("dead or saturated", "% of outputs zero or saturated", s => 100 * (s.FractionZero + s.FractionSaturated)),
        };
        var domains = Grid(3, 3, hgap: 0.12);
        for (int p = 0; p < panels.Length; p++)
        {
            var (xid, yid) = AxisIds(p);
            for (int i = 0; i < layers.Count; i++)
            {
                var samples = run.Activations[layers[i]];
                var label = kinds.TryGetValue(layers[i], out var kind) ? $"{layers[i]} ({kind})" : layers[i];
                f.Add(Scatter(Html(label), samples.Select(s => (double)s.Step), samples.Select(panels[p].Value))
                    .Set("legendgroup", layers[i]).Set("showlegend", p == 0).Set("xaxis", xid).Set("yaxis", yid)
                    .Set("line", Line(Palette.Depth(i, layers.Count), 2))
                    .Set("hovertemplate", $"{Html(label)}<br>step %{{x}}<br>{panels[p].Title} %{{y:.3g}}<extra></extra>"));
            }
            var (x0, x1, y0, y1) = domains[p];
            Style(f.XAxis(p + 1), "training step").Set("domain", new[] { x0, x1 }).Set("anchor", yid);
            Style(f.YAxis(p + 1), panels[p].Axis, range: p == 2 ? [-3, 103] : null).Set("domain", new[] { y0, y1 }).Set("anchor", xid);
            f.Annotations.Add(PanelTitle($"<b>{panels[p].Title}</b>", x0, x1, y1 + 0.02));
        }
        f.MarginTop = 100;
        f.ShowLegend = layers.Count > 0;
        if (layers.Count == 0) f.Annotations.Add(EmptyMessage("no activations were recorded (TrainOptions.RecordEvery = 0?)"));
        return Finish(f);
    }

    /// <summary>
    /// fastai's "colourful dimension": for each layer, a heatmap of the histogram of its outputs over training
    /// (time left to right, value bottom to top, colour = log(1 + count)). A healthy layer is a smooth band; a
    /// collapse shows as everything piling into the bottom bin (dead ReLUs) or the edges (saturated sigmoids).
    /// </summary>
    public static GenericChart ActivationHistograms(TrainingRun run, params string[] layers)
    {
        var kinds = LayerKinds(run);
        var chosen = (layers.Length > 0 ? layers.Where(run.Activations.ContainsKey) : run.Activations.Keys)
            .Where(l => run.Activations[l].Count > 0 && run.Activations[l][0].Histogram.Length > 0).ToList();
        int cols = chosen.Count <= 1 ? 1 : 2, rows = Math.Max(1, (chosen.Count + cols - 1) / cols);
        // panels 150 px high with 64 px between rows for the tick labels and the next panel's title
        const double panelPx = 150, gapPx = 64, top = 100, bottom = 58;
        double plotPx = rows * panelPx + (rows - 1) * gapPx;
        var f = NewChart($"{run.Name}: activation histograms over training", "colour = log(1 + count) of a layer's outputs in each value bin, time left to right",
            width: cols == 1 ? 720 : 980, height: top + bottom + plotPx);
        var domains = Grid(Math.Max(1, chosen.Count), cols, hgap: 0.12, vgap: gapPx / plotPx);
        double zmax = chosen.SelectMany(l => run.Activations[l].SelectMany(s => s.Histogram)).DefaultIfEmpty(0).Max(c => Math.Log(1 + c));
        for (int i = 0; i < chosen.Count; i++)
        {
            var samples = run.Activations[chosen[i]];
            var (xid, yid) = AxisIds(i);
            int bins = samples[0].Histogram.Length;
            double lo = samples[0].HistogramLow, hi = samples[0].HistogramHigh, width = (hi - lo) / bins;
            var z = new double[bins][];
            for (int b = 0; b < bins; b++)
                z[b] = samples.Select(s => b < s.Histogram.Length ? Math.Log(1 + s.Histogram[b]) : double.NaN).ToArray();
            var label = kinds.TryGetValue(chosen[i], out var kind) ? $"{chosen[i]} ({kind})" : chosen[i];
            f.Add(new Trace2D("heatmap").Set("name", Html(label)).Set("xaxis", xid).Set("yaxis", yid)
                .Set("x", samples.Select(s => (double)s.Step).ToArray()).Set("y", Enumerable.Range(0, bins).Select(b => lo + (b + 0.5) * width).ToArray())
                .Set("z", z.Select(Numbers).ToArray())
                .Set("colorscale", Palette.Viridis.Select(s => new object[] { s.Position, s.Color }).ToArray())
                .Set("zmin", 0).Set("zmax", Math.Max(zmax, 1e-9)).Set("showscale", i == 0)
                .Set("colorbar", i == 0 ? new DynamicObj.DynamicObj().Set("title", new DynamicObj.DynamicObj().Set("text", "log(1 + count)").Set("side", "right"))
                    .Set("thickness", 14).Set("len", 1).Set("y", 0.5).Set("yanchor", "middle") : null)
                .Set("hovertemplate", $"{Html(label)}<br>step %{{x}}<br>value ≈ %{{y:.3g}}<br>log(1+count) %{{z:.2f}}<extra></extra>"));
            var (x0, x1, y0, y1) = domains[i];
            Style(f.XAxis(i + 1), i >= chosen.Count - cols ? "training step" : "").Set("domain", new[] { x0, x1 }).Set("anchor", yid).Set("showgrid", false);
            Style(f.YAxis(i + 1), "output value").Set("domain", new[] { y0, y1 }).Set("anchor", xid).Set("showgrid", false);
            f.Annotations.Add(PanelTitle($"<b>{Html(label)}</b>", x0, x1, y1 + 0.01));
            f.Notes.Add($"{label}: {samples.Count} samples of {bins} bins from {F(lo)} to {F(hi)}");
        }
        f.MarginTop = top;
        f.ShowLegend = false;
        if (chosen.Count == 0)
        {
            Style(f.XAxis(), "training step");
            Style(f.YAxis(), "output value");
            f.Annotations.Add(EmptyMessage("no activation histograms were recorded (TrainOptions.RecordEvery = 0?)"));
        }
        f.MarginRightWithoutLegend = 96; // the colour bar
        return Finish(f);
    }
}
