using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// TorchSharp 0.107's Adam, AdamW, SGD and RMSProp with one change: every <see cref="Scalar"/> their step hands to libtorch
/// stays referenced until the call returns. TorchSharp's own step turns each double (and each default alpha of 1) into a
/// Scalar that nothing references once its handle is read; a garbage collection started by another thread during that
/// native call lets the finalizer thread free the Scalar while libtorch reads it, and the step fails with libtorch's
/// "Expected false to be true" (dotnet/TorchSharp PRs 1434 and 1496 address it upstream). The update rules are
/// TorchSharp's, line for line, and the tests compare the weights bit for bit, so these classes can go once TorchSharp
/// keeps its Scalars alive.
/// </summary>
public static class ScalarSafe
{
    public sealed class Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : TorchSharp.Modules.Adam(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double lr = options.LearningRate!.Value, weightDecay = options.weight_decay!.Value;
            bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
            using var constants = new AdamConstants(options.beta1!.Value, options.beta2!.Value, options.eps!.Value);
            using Scalar l2Penalty = weightDecay;
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                if (maximize) grad = -grad;
                var state = (State)_state[param.Handle];
                state.step += 1;
                if (weightDecay != 0) grad = grad.add(param, alpha: l2Penalty);
                AdamUpdate(param, grad, state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq, amsgrad, lr, constants);
            }
        }, closure);
    }

    public sealed class AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : TorchSharp.Modules.AdamW(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double lr = options.LearningRate!.Value;
            bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
            using var constants = new AdamConstants(options.beta1!.Value, options.beta2!.Value, options.eps!.Value);
            using Scalar shrink = 1 - lr * options.weight_decay!.Value;
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                if (maximize) grad = -grad;
                var state = (State)_state[param.Handle];
                state.step += 1;
                param.mul_(shrink); // AdamW's decay acts on the weights, not through the gradient
                AdamUpdate(param, grad, state.step, state.exp_avg, state.exp_avg_sq, ref state.max_exp_avg_sq, amsgrad, lr, constants);
            }
        }, closure);
    }

    public sealed class SGD(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0,
        bool nesterov = false, bool maximize = false)
        : TorchSharp.Modules.SGD(parameters, lr, momentum, dampening, weight_decay, nesterov, maximize)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = group.Options;
            double momentum = options.momentum!.Value, lr = options.LearningRate!.Value, weightDecay = options.weight_decay!.Value;
            bool nesterov = options.nesterov!.Value;
            using Scalar l2Penalty = weightDecay, momentumScalar = momentum, oneMinusDampening = 1 - options.dampening!.Value,
                signedLr = options.maximize!.Value ? lr : -lr;
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                if (weightDecay != 0) grad = grad.add(param, alpha: l2Penalty);
                if (momentum != 0)
                {
                    var state = (State)_state[param.Handle];
                    if (state.momentum_buffer is not { } buffer)
                        state.momentum_buffer = buffer = grad.clone().detach().DetachFromDisposeScope();
                    else
                        buffer.mul_(momentumScalar).add_(grad, alpha: oneMinusDampening);
                    grad = nesterov ? grad.add(buffer, alpha: momentumScalar) : buffer;
                }
                param.add_(grad, alpha: signedLr);
            }
        }, closure);
    }

    public sealed class RMSProp(IEnumerable<Parameter> parameters, double lr = 1e-3, double alpha = 0.99, double eps = 1e-8, double weight_decay = 0,
        double momentum = 0, bool centered = false, bool maximize = false)
        : TorchSharp.Modules.RMSProp(parameters, lr, alpha, eps, weight_decay, momentum, centered, maximize)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double alpha = options.alpha!.Value, momentum = options.momentum!.Value, weightDecay = options.weight_decay!.Value;
            bool maximize = options.maximize!.Value, centered = options.centered!.Value;
            using Scalar alphaScalar = alpha, oneMinusAlpha = 1 - alpha, epsScalar = options.eps!.Value, l2Penalty = weightDecay,
                momentumScalar = momentum, negativeLr = -options.LearningRate!.Value, minusOne = -1, one = 1;
            foreach (var param in group.Parameters)
            {
                if (param.grad is not { } grad) continue;
                if (maximize) grad = -grad;
                var state = (State)_state[param.Handle];
                state.step += 1;
                if (weightDecay != 0) grad = grad.add(param, alpha: l2Penalty);
                state.square_avg.mul_(alphaScalar).addcmul_(grad, grad, value: oneMinusAlpha);
                Tensor average;
                if (centered)
                {
                    state.grad_avg.mul_(alphaScalar).add_(grad, alpha: oneMinusAlpha);
                    average = state.square_avg.addcmul(state.grad_avg, state.grad_avg, value: minusOne).sqrt_().add_(epsScalar, one);
                }
                else average = state.square_avg.sqrt().add_(epsScalar, one);

                if (momentum > 0)
                {
                    state.momentum_buffer.mul_(momentumScalar).addcdiv_(grad, average, one);
                    param.add_(state.momentum_buffer, alpha: negativeLr);
                }
                else param.addcdiv_(grad, average, negativeLr);
            }
        }, closure);
    }

    /// <summary>The per-group Scalars of Adam and AdamW, made once per step and freed when it ends.</summary>
    sealed class AdamConstants(double beta1, double beta2, double eps) : IDisposable
    {
        public readonly double Beta1 = beta1, Beta2 = beta2;
        public readonly Scalar Beta1Scalar = beta1, OneMinusBeta1 = 1 - beta1, Beta2Scalar = beta2, OneMinusBeta2 = 1 - beta2, Eps = eps, One = 1;
        public void Dispose() { foreach (var s in new[] { Beta1Scalar, OneMinusBeta1, Beta2Scalar, OneMinusBeta2, Eps, One }) s.Dispose(); }
    }

    /// <summary>The moment updates and the step Adam and AdamW share, after each has applied its own weight decay.</summary>
    static void AdamUpdate(Parameter param, Tensor grad, long step, Tensor expAvg, Tensor expAvgSq, ref Tensor? maxExpAvgSq, bool amsgrad, double lr, AdamConstants c)
    {
        expAvg.mul_(c.Beta1Scalar).add_(grad, alpha: c.OneMinusBeta1);
        expAvgSq.mul_(c.Beta2Scalar).addcmul_(grad, grad.conj(), value: c.OneMinusBeta2);
        Tensor secondMoment = expAvgSq;
        if (amsgrad)
        {
            var previousMax = maxExpAvgSq!;
            maxExpAvgSq = secondMoment = maximum(previousMax, expAvgSq).DetachFromDisposeScope();
            previousMax.Dispose();
        }
        double biasCorrection1 = 1 - Math.Pow(c.Beta1, step), biasCorrection2 = 1 - Math.Pow(c.Beta2, step);
        using Scalar sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2), negativeStepSize = -(lr / biasCorrection1);
        param.addcdiv_(expAvg, secondMoment.sqrt().div_(sqrtBiasCorrection2).add_(c.Eps, c.One), value: negativeStepSize);
    }
}
