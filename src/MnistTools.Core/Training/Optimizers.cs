using System.Numerics;
using System.Runtime.CompilerServices;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// Parameter updates over the flat buffer, θ = parameters, g = gradient of the batch-mean loss, η = learning rate.
///   g = g₀ + g₁ when the batch was split into two lanes (each lane's gradient already carries the factor 1/B).
///   L2 (weights only, never biases): g_W ← g_W + λ·W, i.e. the loss gains ½λ‖W‖² per batch (coupled L2, also for Adam).
///   Sgd:      θ ← θ − η·g
///   Momentum: v ← μ·v + g;  θ ← θ − η·v                                  (PyTorch's convention)
///   Adam:     t ← t + 1;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
///             θ ← θ − (η / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + ε)   (Kingma and Ba, bias-corrected)
///   AdamW:    weights only: θ ← θ·(1 − η·λ_w), then the Adam step with g taken at the θ before the decay
///             (Loshchilov and Hutter's decoupled decay, as PyTorch's AdamW: param.mul_(1 − lr·weight_decay));
///             biases are not decayed, like L2.
/// η is the step's rate: the base rate of <see cref="TrainingOptions"/> as the learning-rate schedule sets it for this step.
/// One fused pass per element (sum the lanes, L2, update, health check), so the optimizer reads each buffer once.
/// An update is <see cref="Begin"/> (the step counter and the step's scalars, once) followed by <see cref="Update"/> over
/// any split of the parameters into slices: every element is computed the same way in the vector body and the scalar
/// tail, so the split (one thread or two) never changes a bit.
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

    /// <summary>
    /// Counts one update in <paramref name="state"/> and fixes its scalars from <paramref name="learningRate"/> (η of this
    /// step, as the schedule gives it), <paramref name="options"/> (λ, μ, λ_w) and the state (β1, β2, ε, the step count t):
    /// StepSize = η/(1−β1^t) and RootCorrection = 1/sqrt(1−β2^t) for Adam and AdamW, DecayFactor = 1 − η·λ_w for AdamW,
    /// all computed in double and rounded once to float. μ and λ_w are recorded in the state, so a saved network says
    /// what it was trained with.
    /// </summary>
    internal static OptimizerStep Begin(OptimizerState state, TrainingOptions options, double learningRate)
    {
        state.Step++;
        state.Momentum = options.KernelMomentum;
        state.WeightDecay = state.Kind == Optimizer.AdamW ? options.EffectiveWeightDecay : 0f;
        float rate = (float)learningRate;
        if (!OptimizerState.UsesMoments(state.Kind)) return new OptimizerStep(rate, options.KernelL2, rate, 1f);
        double correction1 = 1 - Math.Pow(state.Beta1, state.Step);
        double correction2 = 1 - Math.Pow(state.Beta2, state.Step);
        float decayFactor = state.Kind == Optimizer.AdamW ? (float)(1 - learningRate * state.WeightDecay) : 1f;
        return new OptimizerStep(rate, options.KernelL2, (float)(learningRate / correction1), (float)(1 / Math.Sqrt(correction2)), decayFactor);
    }

    /// <summary>
    /// Updates parameters [<paramref name="start"/>, <paramref name="start"/> + gradient.Length) — all weights
    /// (<paramref name="decay"/>: L2 applies) or all biases — from the gradient of exactly those parameters,
    /// <paramref name="gradient"/> (+ <paramref name="secondGradient"/> when not empty), both [length], only read.
    /// </summary>
    /// <returns>False when an updated parameter is NaN, infinite or beyond <see cref="FiniteCheck.MaxParameterMagnitude"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool Update(OptimizerState state, in OptimizerStep step, Span<float> parameters, ReadOnlySpan<float> gradient,
        ReadOnlySpan<float> secondGradient, int start, bool decay)
    {
        int length = gradient.Length;
        if (length <= 0) return true;
        Span<float> theta = parameters.Slice(start, length);
        float l2 = decay ? step.L2 : 0f;
        return state.Kind switch
        {
            Optimizer.Sgd => SgdStep(theta, gradient, secondGradient, l2, step.LearningRate),
            Optimizer.Momentum => MomentumStep(theta, gradient, secondGradient, l2, state.Velocity.AsSpan(start, length), state.Momentum, step.LearningRate),
            Optimizer.Adam or Optimizer.AdamW => AdamStep(theta, gradient, secondGradient, l2, state.FirstMoment.AsSpan(start, length),
                state.SecondMoment.AsSpan(start, length), state.Beta1, state.Beta2, state.Epsilon, step.StepSize, step.RootCorrection,
                decay ? step.DecayFactor : 1f),
            _ => throw new ArgumentOutOfRangeException(nameof(state)),
        };
    }

    /// <summary>g = g₀ (+ g₁) (+ λ·θ), in this order, in both the vector body and the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Gradient(ReadOnlySpan<float> g, ReadOnlySpan<float> g2, bool two, Vector<float> lambda, Vector<float> theta, int i)
    {
        var sum = new Vector<float>(g.Slice(i));
        if (two) sum += new Vector<float>(g2.Slice(i));
        return sum + lambda * theta;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Gradient(ReadOnlySpan<float> g, ReadOnlySpan<float> g2, bool two, float lambda, float theta, int i)
    {
        float sum = g[i];
        if (two) sum += g2[i];
        return sum + lambda * theta;
    }

    /// <summary>Lanes of <paramref name="theta"/> that are NaN, ±∞ or beyond the sane bound.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<int> Insane(Vector<float> theta) =>
        Vector.AsVectorInt32(Vector.GreaterThan(Vector.Abs(theta), new Vector<float>(FiniteCheck.MaxParameterMagnitude)))
        | ~Vector.Equals(theta, theta);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Insane(float theta) => !(MathF.Abs(theta) <= FiniteCheck.MaxParameterMagnitude);

    /// <summary>θ ← θ − η·g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool SgdStep(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<float> secondGradients, float l2, float learningRate)
    {
        int n = parameters.Length, i = 0;
        bool two = !secondGradients.IsEmpty, bad = false;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var eta = new Vector<float>(learningRate);
            var lambda = new Vector<float>(l2);
            Vector<int> insane = Vector<int>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var theta = new Vector<float>(parameters.Slice(i));
                theta -= eta * Gradient(gradients, secondGradients, two, lambda, theta, i);
                theta.CopyTo(parameters.Slice(i));
                insane |= Insane(theta);
            }
            bad = insane != Vector<int>.Zero;
        }
        for (; i < n; i++)
        {
            float theta = parameters[i];
            theta -= learningRate * Gradient(gradients, secondGradients, two, l2, theta, i);
            parameters[i] = theta;
            bad |= Insane(theta);
        }
        return !bad;
    }

    /// <summary>v ← flush(μ·v + g); θ ← θ − η·v.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool MomentumStep(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<float> secondGradients, float l2,
        Span<float> velocity, float momentum, float learningRate)
    {
        int n = parameters.Length, i = 0;
        bool two = !secondGradients.IsEmpty, bad = false;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var mu = new Vector<float>(momentum);
            var eta = new Vector<float>(learningRate);
            var lambda = new Vector<float>(l2);
            var threshold = new Vector<float>(FlushThreshold);
            Vector<int> insane = Vector<int>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var theta = new Vector<float>(parameters.Slice(i));
                var v = mu * new Vector<float>(velocity.Slice(i)) + Gradient(gradients, secondGradients, two, lambda, theta, i);
                v = Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(v), threshold), Vector<float>.Zero, v);
                v.CopyTo(velocity.Slice(i));
                theta -= eta * v;
                theta.CopyTo(parameters.Slice(i));
                insane |= Insane(theta);
            }
            bad = insane != Vector<int>.Zero;
        }
        for (; i < n; i++)
        {
            float theta = parameters[i];
            float v = momentum * velocity[i] + Gradient(gradients, secondGradients, two, l2, theta, i);
            if (MathF.Abs(v) < FlushThreshold) v = 0f;
            velocity[i] = v;
            theta -= learningRate * v;
            parameters[i] = theta;
            bad |= Insane(theta);
        }
        return !bad;
    }

    /// <summary>
    /// m ← flush(β1·m + (1−β1)·g); v ← flush(β2·v + (1−β2)·g·g); θ ← θ·decayFactor − stepSize · m / (sqrt(v)·rootCorrection + ε),
    /// with stepSize = η/(1−β1^t), rootCorrection = 1/sqrt(1−β2^t) and decayFactor = 1 − η·λ_w for AdamW's weights
    /// (1 otherwise: θ·1 is θ exactly, so plain Adam's bits do not change). g is taken at θ before the decay.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool AdamStep(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<float> secondGradients, float l2,
        Span<float> firstMoment, Span<float> secondMoment, float beta1, float beta2, float epsilon, float stepSize, float rootCorrection,
        float decayFactor = 1f)
    {
        int n = parameters.Length, i = 0;
        bool two = !secondGradients.IsEmpty, bad = false;
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
            var lambda = new Vector<float>(l2);
            var keep = new Vector<float>(decayFactor);
            var threshold = new Vector<float>(FlushThreshold);
            Vector<int> insane = Vector<int>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var theta = new Vector<float>(parameters.Slice(i));
                var g = Gradient(gradients, secondGradients, two, lambda, theta, i);
                theta *= keep;
                var m = b1 * new Vector<float>(firstMoment.Slice(i)) + c1 * g;
                var v = b2 * new Vector<float>(secondMoment.Slice(i)) + c2 * (g * g);
                m = Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(m), threshold), Vector<float>.Zero, m);
                v = Vector.ConditionalSelect(Vector.LessThan(v, threshold), Vector<float>.Zero, v);
                m.CopyTo(firstMoment.Slice(i));
                v.CopyTo(secondMoment.Slice(i));
                var denominator = Vector.SquareRoot(v) * root + eps;
                theta -= step * (m / denominator);
                theta.CopyTo(parameters.Slice(i));
                insane |= Insane(theta);
            }
            bad = insane != Vector<int>.Zero;
        }
        for (; i < n; i++)
        {
            float theta = parameters[i];
            float g = Gradient(gradients, secondGradients, two, l2, theta, i);
            theta *= decayFactor;
            float m = beta1 * firstMoment[i] + oneMinusBeta1 * g;
            float v = beta2 * secondMoment[i] + oneMinusBeta2 * (g * g);
            if (MathF.Abs(m) < FlushThreshold) m = 0f;
            if (v < FlushThreshold) v = 0f;
            firstMoment[i] = m;
            secondMoment[i] = v;
            float denominator = MathF.Sqrt(v) * rootCorrection + epsilon;
            theta -= stepSize * (m / denominator);
            parameters[i] = theta;
            bad |= Insane(theta);
        }
        return !bad;
    }
}
