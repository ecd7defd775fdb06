using System.Numerics;
using System.Numerics.Tensors;

namespace MnistTools.Training;

/// <summary>
/// Parameter updates over the flat buffer, θ = parameters, g = gradient of the batch-mean loss, η = learning rate.
///   L2 (weights only, never biases): g_W ← g_W + λ·W, i.e. the loss gains ½λ‖W‖² per batch (coupled L2, also for Adam).
///   Sgd:      θ ← θ − η·g
///   Momentum: v ← μ·v + g;  θ ← θ − η·v                                  (PyTorch's convention)
///   Adam:     t ← t + 1;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
///             θ ← θ − (η / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + ε)   (Kingma and Ba, bias-corrected)
/// Denormals: in the momentum and Adam buffers every entry whose magnitude falls below <see cref="FlushThreshold"/> is set
/// to exactly 0 after each update. Weights that never get a gradient (first-layer weights of always-blank border
/// pixels) otherwise decay geometrically (0.9^t) through the subnormal range, and g² of tiny gradients lands there
/// directly; subnormal arithmetic is many times slower on x86. A value below 1e-30 moves no weight of ordinary size
/// (it is far below a float's resolution at any |θ| above about 1e-23), so flushing changes no result that matters
/// and the flush itself is deterministic.
/// </summary>
public static class Optimizers
{
    /// <summary>Buffer entries with |x| below this become 0.</summary>
    public const float FlushThreshold = 1e-30f;

    /// <summary>Applies one update of <paramref name="state"/>.Kind in place; <paramref name="gradients"/> is modified (L2 is added).</summary>
    public static void Step(OptimizerState state, ParameterLayout layout, Span<float> parameters, Span<float> gradients,
        float learningRate, float l2)
    {
        if (l2 != 0f)
            for (int l = 0; l < layout.LayerCount; l++)
            {
                Span<float> gw = layout.Weights(gradients, l);
                TensorPrimitives.MultiplyAdd(layout.Weights(parameters, l), l2, gw, gw);
            }
        state.Step++;
        switch (state.Kind)
        {
            case Optimizer.Sgd:
                TensorPrimitives.MultiplyAdd(gradients, -learningRate, parameters, parameters);
                break;
            case Optimizer.Momentum:
                MomentumStep(parameters, gradients, state.Velocity!, state.Momentum, learningRate);
                break;
            case Optimizer.Adam:
                double correction1 = 1 - Math.Pow(state.Beta1, state.Step);
                double correction2 = 1 - Math.Pow(state.Beta2, state.Step);
                AdamStep(parameters, gradients, state.FirstMoment!, state.SecondMoment!, state.Beta1, state.Beta2, state.Epsilon,
                    (float)(learningRate / correction1), (float)(1 / Math.Sqrt(correction2)));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(state));
        }
    }

    /// <summary>v ← flush(μ·v + g); θ ← θ − η·v. Vector body and scalar tail do the same float operations in the same order.</summary>
    internal static void MomentumStep(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity, float momentum, float learningRate)
    {
        int n = parameters.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var mu = new Vector<float>(momentum);
            var eta = new Vector<float>(learningRate);
            var threshold = new Vector<float>(FlushThreshold);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = mu * new Vector<float>(velocity.Slice(i)) + new Vector<float>(gradients.Slice(i));
                v = Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(v), threshold), Vector<float>.Zero, v);
                v.CopyTo(velocity.Slice(i));
                (new Vector<float>(parameters.Slice(i)) - eta * v).CopyTo(parameters.Slice(i));
            }
        }
        for (; i < n; i++)
        {
            float v = momentum * velocity[i] + gradients[i];
            if (MathF.Abs(v) < FlushThreshold) v = 0f;
            velocity[i] = v;
            parameters[i] -= learningRate * v;
        }
    }

    /// <summary>
    /// m ← flush(β1·m + (1−β1)·g); v ← flush(β2·v + (1−β2)·g·g); θ ← θ − stepSize · m / (sqrt(v)·rootCorrection + ε),
    /// with stepSize = η/(1−β1^t) and rootCorrection = 1/sqrt(1−β2^t).
    /// </summary>
    internal static void AdamStep(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> firstMoment, Span<float> secondMoment,
        float beta1, float beta2, float epsilon, float stepSize, float rootCorrection)
    {
        int n = parameters.Length, i = 0;
        float oneMinusBeta1 = 1f - beta1, oneMinusBeta2 = 1f - beta2;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var b1 = new Vector<float>(beta1);
            var b2 = new Vector<float>(beta2);
            var c1 = new Vector<float>(oneMinusBeta1);
            var c2 = new Vector<float>(oneMinusBeta2);
            var eps = new Vector<float>(epsilon);
            var step = new Vector<float>(stepSize);
            var root = new Vector<float>(rootCorrection);
            var threshold = new Vector<float>(FlushThreshold);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = new Vector<float>(gradients.Slice(i));
                var m = b1 * new Vector<float>(firstMoment.Slice(i)) + c1 * g;
                var v = b2 * new Vector<float>(secondMoment.Slice(i)) + c2 * (g * g);
                m = Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(m), threshold), Vector<float>.Zero, m);
                v = Vector.ConditionalSelect(Vector.LessThan(v, threshold), Vector<float>.Zero, v);
                m.CopyTo(firstMoment.Slice(i));
                v.CopyTo(secondMoment.Slice(i));
                var denominator = Vector.SquareRoot(v) * root + eps;
                (new Vector<float>(parameters.Slice(i)) - step * (m / denominator)).CopyTo(parameters.Slice(i));
            }
        }
        for (; i < n; i++)
        {
            float g = gradients[i];
            float m = beta1 * firstMoment[i] + oneMinusBeta1 * g;
            float v = beta2 * secondMoment[i] + oneMinusBeta2 * (g * g);
            if (MathF.Abs(m) < FlushThreshold) m = 0f;
            if (v < FlushThreshold) v = 0f;
            firstMoment[i] = m;
            secondMoment[i] = v;
            float denominator = MathF.Sqrt(v) * rootCorrection + epsilon;
            parameters[i] -= stepSize * (m / denominator);
        }
    }
}
