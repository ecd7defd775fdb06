using System.Numerics.Tensors;
using System.Numerics;
using System.Runtime.CompilerServices;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Layers;

/// <summary>
/// Hidden-layer activations, element-wise over [B x n] buffers.
///   forward   A = f(Z)
///   backward  dZ = dA ⊙ f'(Z)     (written in place over dA; f' taken from A where cheaper)
/// </summary>
internal static class ActivationFunctions
{
    /// <summary>LeakyReLU's default slope for negative inputs (a layer's <c>slope=</c> option sets another).</summary>
    public const float LeakyReLUSlope = 0.01f;

    /// <param name="slope">LeakyReLU's slope for z &lt;= 0 (the layer's; ignored by the other activations).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ActivationForward(Activation activation, ReadOnlySpan<float> z, Span<float> a, float slope)
    {
        switch (activation)
        {
            case Activation.Sigmoid: VectorMath.Sigmoid(z, a); break;
            case Activation.Tanh: TensorPrimitives.Tanh(z, a); break;
            case Activation.ReLU: VectorMath.ReLU(z, a); break;
            case Activation.LeakyReLU: VectorMath.LeakyReLU(z, a, slope); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <param name="z">Z [B x n] from the forward pass.</param>
    /// <param name="a">A = f(Z) [B x n].</param>
    /// <param name="gradient">dA on entry, dZ on return [B x n].</param>
    /// <param name="slope">LeakyReLU's slope for z &lt;= 0 (the layer's; ignored by the other activations).</param>
    /// <remarks>Vector body and scalar tail do the same float operations in the same order, so results do not depend on the vector width.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ActivationBackward(Activation activation, ReadOnlySpan<float> z, ReadOnlySpan<float> a, Span<float> gradient, float slope)
    {
        int n = gradient.Length, i = 0;
        int width = Vector<float>.Count;
        bool vector = Vector.IsHardwareAccelerated;
        var one = Vector<float>.One;
        switch (activation)
        {
            case Activation.Sigmoid:
                // f' = a (1 - a)
                if (vector)
                    for (; i <= n - width; i += width)
                    {
                        var av = new Vector<float>(a.Slice(i));
                        (new Vector<float>(gradient.Slice(i)) * (av * (one - av))).CopyTo(gradient.Slice(i));
                    }
                for (; i < n; i++) gradient[i] *= a[i] * (1f - a[i]);
                break;
            case Activation.Tanh:
                // f' = 1 - a²
                if (vector)
                    for (; i <= n - width; i += width)
                    {
                        var av = new Vector<float>(a.Slice(i));
                        (new Vector<float>(gradient.Slice(i)) * (one - av * av)).CopyTo(gradient.Slice(i));
                    }
                for (; i < n; i++) gradient[i] *= 1f - a[i] * a[i];
                break;
            case Activation.ReLU:
                // f' = 1 for z > 0, else 0 (0 at z = 0, the usual subgradient)
                if (vector)
                    for (; i <= n - width; i += width)
                        Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(z.Slice(i)), Vector<float>.Zero),
                            new Vector<float>(gradient.Slice(i)), Vector<float>.Zero).CopyTo(gradient.Slice(i));
                for (; i < n; i++) if (!(z[i] > 0f)) gradient[i] = 0f;
                break;
            case Activation.LeakyReLU:
                if (vector)
                {
                    var slopes = new Vector<float>(slope);
                    for (; i <= n - width; i += width)
                    {
                        var g = new Vector<float>(gradient.Slice(i));
                        Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(z.Slice(i)), Vector<float>.Zero), g, g * slopes).CopyTo(gradient.Slice(i));
                    }
                }
                for (; i < n; i++) if (!(z[i] > 0f)) gradient[i] *= slope;
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }
}
