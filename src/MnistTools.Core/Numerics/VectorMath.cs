using System.Numerics;
using System.Runtime.CompilerServices;

namespace MnistTools.Numerics;

/// <summary>
/// Element-wise functions of the training hot path, y = f(x) over equal-length spans (x and y may be the same span).
/// Written here rather than called from TensorPrimitives because the runtime's tiered and profile-guided compilation
/// leaves large generic library methods slow for the first seconds of a run (several epochs of a small network);
/// these are compiled fully optimised on first call. The tail shorter than a vector goes through the same vector code
/// (copied into a padded block), so every element gets the same operations whatever the length or offset.
///   Exp      Cephes-style: n = round(x·log2 e), r = x − n·ln 2 (two-part constant), e^r by a degree-6 polynomial,
///            times 2^n built in two exact halves (so no exponent overflows); within 2 ulp of e^x. x &gt; 88.72 → +∞,
///            x &lt; −104 → 0 (through the subnormal range), NaN → NaN.
///   Sigmoid  1 / (1 + e^−x): 0 at −∞, 1 at +∞, NaN → NaN.
///   ReLU     x for x &gt; 0, else 0 (NaN stays NaN, so divergence is never hidden).
///   LeakyReLU x for x &gt; 0, else slope·x (NaN stays NaN).
/// </summary>
internal static class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    private const float MaxArgument = 88.7228391f; // ln(float.MaxValue)
    private const float MinArgument = -104f;        // e^−104 rounds to 0 in float

    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Apply<ExpOperator>(x, y, 0f);

    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Apply<SigmoidOperator>(x, y, 0f);

    public static void ReLU(ReadOnlySpan<float> x, Span<float> y) => Apply<ReLUOperator>(x, y, 0f);

    public static void LeakyReLU(ReadOnlySpan<float> x, Span<float> y, float slope) => Apply<LeakyReLUOperator>(x, y, slope);

    private interface IOperator
    {
        static abstract Vector<float> Invoke(Vector<float> x, float parameter);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply<TOperator>(ReadOnlySpan<float> x, Span<float> y, float parameter) where TOperator : IOperator
    {
        if (y.Length != x.Length) throw new ArgumentException("Spans differ in length.", nameof(y));
        int width = Vector<float>.Count, n = x.Length, i = 0;
        for (; i <= n - width; i += width) TOperator.Invoke(new Vector<float>(x.Slice(i)), parameter).CopyTo(y.Slice(i));
        if (i == n) return;
        Span<float> block = stackalloc float[Vector<float>.Count];
        block.Clear();
        x.Slice(i).CopyTo(block);
        TOperator.Invoke(new Vector<float>(block), parameter).CopyTo(block);
        block.Slice(0, n - i).CopyTo(y.Slice(i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Exp(Vector<float> x)
    {
        Vector<float> clamped = Vector.Min(Vector.Max(x, new Vector<float>(MinArgument)), new Vector<float>(MaxArgument));
        Vector<float> n = Vector.Floor(clamped * new Vector<float>(Log2E) + new Vector<float>(0.5f));
        Vector<float> r = clamped - n * new Vector<float>(Ln2High) - n * new Vector<float>(Ln2Low);
        Vector<float> p = new Vector<float>(1.9875691500e-4f);
        p = p * r + new Vector<float>(1.3981999507e-3f);
        p = p * r + new Vector<float>(8.3334519073e-3f);
        p = p * r + new Vector<float>(4.1665795894e-2f);
        p = p * r + new Vector<float>(1.6666665459e-1f);
        p = p * r + new Vector<float>(5.0000001201e-1f);
        p = p * (r * r) + r + Vector<float>.One;
        // 2^n = 2^h · 2^(n − h) with h = n / 2: both halves within [−52, 64], so their exponent fields never overflow.
        Vector<int> whole = Vector.ConvertToInt32(n);
        Vector<int> half = Vector.ShiftRightArithmetic(whole, 1);
        Vector<float> scale1 = Vector.AsVectorSingle(Vector.ShiftLeft(half + new Vector<int>(127), 23));
        Vector<float> scale2 = Vector.AsVectorSingle(Vector.ShiftLeft(whole - half + new Vector<int>(127), 23));
        Vector<float> result = p * scale1 * scale2;
        result = Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<float>(MaxArgument)), new Vector<float>(float.PositiveInfinity), result);
        return Vector.ConditionalSelect(Vector.Equals(x, x), result, x); // NaN in, NaN out
    }

    private readonly struct ExpOperator : IOperator
    {
        public static Vector<float> Invoke(Vector<float> x, float parameter) => Exp(x);
    }

    private readonly struct SigmoidOperator : IOperator
    {
        public static Vector<float> Invoke(Vector<float> x, float parameter) => Vector<float>.One / (Vector<float>.One + Exp(-x));
    }

    private readonly struct ReLUOperator : IOperator
    {
        public static Vector<float> Invoke(Vector<float> x, float parameter) =>
            Vector.ConditionalSelect(Vector.LessThanOrEqual(x, Vector<float>.Zero), Vector<float>.Zero, x);
    }

    private readonly struct LeakyReLUOperator : IOperator
    {
        public static Vector<float> Invoke(Vector<float> x, float slope) =>
            Vector.ConditionalSelect(Vector.LessThanOrEqual(x, Vector<float>.Zero), x * new Vector<float>(slope), x);
    }
}
