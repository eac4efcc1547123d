using AeNotebooks.Torch.Kernels;
using Parallel = AeNotebooks.Torch.Kernels.Parallel;

namespace AeNotebooks.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            public static partial class functional
            {
                /// <summary>
                /// Batch normalization over dim 1 of [N, C] or [N, C, *]. training = true normalises with the batch
                /// statistics (biased variance) and, when given, updates running_mean/running_var in place with
                /// momentum (running_var gets the unbiased variance); training = false uses the running statistics.
                /// Statistics are accumulated in double, per channel.
                /// </summary>
                public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
                    bool training = false, double momentum = 0.1, double eps = 1e-5)
                    => NormOps.BatchNorm(input, running_mean, running_var, weight, bias, training, momentum, eps);
            }
        }
    }

    internal static class NormOps
    {
        public static torch.Tensor BatchNorm(torch.Tensor x, torch.Tensor? runningMean, torch.Tensor? runningVar, torch.Tensor? weight, torch.Tensor? bias,
            bool training, double momentum, double eps)
        {
            const string op = "batch_norm";
            if (x.dims.Length < 2) throw new ArgumentException($"{op}: expected [N, C] or [N, C, *], got {ShapeUtil.Format(x.dims)}");
            int n = x.dims[0], c = x.dims[1], s = x.length / Math.Max(1, n * c);
            foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
                if (t is not null && (t.dims.Length != 1 || t.dims[0] != c))
                    throw new ArgumentException($"{op}: {name} {ShapeUtil.Format(t.dims)} does not match {c} channels of input {ShapeUtil.Format(x.dims)}");
            if (!training && (runningMean is null || runningVar is null))
                throw new ArgumentException($"{op}: running_mean and running_var are needed when training = false");
            long count = (long)n * s;
            if (training && count <= 1)
                throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got input {ShapeUtil.Format(x.dims)}");

            var mean = new double[c];
            var invstd = new double[c];
            var xs = x.storage; int xo = x.offset, cs = c * s;
            if (training)
            {
                Parallel.For(c, ch =>
                {
                    double sum = 0;
                    for (int i = 0; i < n; i++)
                        foreach (var v in xs.AsSpan(xo + i * cs + ch * s, s)) sum += v;
                    double m = sum / count, sq = 0;
                    for (int i = 0; i < n; i++)
                        foreach (var v in xs.AsSpan(xo + i * cs + ch * s, s)) { double d = v - m; sq += d * d; }
                    mean[ch] = m;
                    double variance = sq / count;
                    invstd[ch] = 1.0 / Math.Sqrt(variance + eps);
                    if (runningMean is not null)
                    {
                        var rm = runningMean.Span;
                        rm[ch] = (float)((1 - momentum) * rm[ch] + momentum * m);
                    }
                    if (runningVar is not null)
                    {
                        var rv = runningVar.Span;
                        rv[ch] = (float)((1 - momentum) * rv[ch] + momentum * sq / (count - 1));
                    }
                }, 3L * count);
            }
            else
            {
                var rm = runningMean!.ReadOnlySpan; var rv = runningVar!.ReadOnlySpan;
                for (int ch = 0; ch < c; ch++) { mean[ch] = rm[ch]; invstd[ch] = 1.0 / Math.Sqrt(rv[ch] + eps); }
            }

            // y = x·α + β per channel, α = invstd·γ, β = b − mean·α
            var y = ConvOps.Uninitialized((int[])x.dims.Clone());
            var ws = weight?.ReadOnlySpan.ToArray(); var bs = bias?.ReadOnlySpan.ToArray();
            Parallel.For(c, ch =>
            {
                double a = invstd[ch] * (ws?[ch] ?? 1f);
                float alpha = (float)a, beta = (float)((bs?[ch] ?? 0f) - mean[ch] * a);
                for (int i = 0; i < n; i++)
                {
                    var src = xs.AsSpan(xo + i * cs + ch * s, s);
                    var dst = y.storage.AsSpan(i * cs + ch * s, s);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(src, alpha, dst);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, beta, dst);
                }
            }, 2L * count);

            var inputs = new List<torch.Tensor> { x };
            if (weight is not null) inputs.Add(weight);
            if (bias is not null) inputs.Add(bias);
            return torch.Tensor.Record(y, op, inputs.ToArray(), g =>
            {
                bool needX = x.requires_grad, needW = weight is not null && weight.requires_grad, needB = bias is not null && bias.requires_grad;
                int gxOff = 0;
                float[]? gx = needX ? x.GradArray(out gxOff) : null;
                var gw = new double[c]; var gb = new double[c];
                Parallel.For(c, ch =>
                {
                    double m = mean[ch], istd = invstd[ch], sumG = 0, dot = 0;
                    for (int i = 0; i < n; i++)
                    {
                        int at = i * cs + ch * s;
                        for (int k = 0; k < s; k++) { double gv = g[at + k]; sumG += gv; dot += gv * (xs[xo + at + k] - m); }
                    }
                    gw[ch] = dot * istd; gb[ch] = sumG;
                    if (gx is null) return;
                    double gamma = ws?[ch] ?? 1f;
                    for (int i = 0; i < n; i++)
                    {
                        int at = i * cs + ch * s;
                        if (training)
                        {
                            // gx = (g − Σg/N − (x − mean)·Σg(x − mean)·invstd²/N)·invstd·γ
                            double meanG = sumG / count, k2 = dot * istd * istd / count, scale = istd * gamma;
                            for (int k = 0; k < s; k++)
                                gx[gxOff + at + k] += (float)((g[at + k] - meanG - (xs[xo + at + k] - m) * k2) * scale);
                        }
                        else
                        {
                            float scale = (float)(istd * gamma);
                            for (int k = 0; k < s; k++) gx[gxOff + at + k] += g[at + k] * scale;
                        }
                    }
                }, 6L * count);
                if (needW) { var a = weight!.GradAccumulator(); for (int ch = 0; ch < c; ch++) a[ch] += (float)gw[ch]; }
                if (needB) { var a = bias!.GradAccumulator(); for (int ch = 0; ch < c; ch++) a[ch] += (float)gb[ch]; }
            });
        }
    }
}
