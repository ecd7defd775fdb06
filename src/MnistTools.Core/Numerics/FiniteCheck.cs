using System.Numerics;
using System.Runtime.CompilerServices;

namespace MnistTools.Numerics;

/// <summary>Vectorised parameter health checks used by the divergence detector.</summary>
internal static class FiniteCheck
{
    /// <summary>
    /// Largest parameter magnitude a healthy network can have. No sane float32 network gets anywhere near it; a run
    /// that does has diverged even while its outputs still look finite (a saturated sigmoid turns ±6.7e36 into a
    /// finite loss, and whether the next step overflows to ∞ depends on FMA vs separate multiply-add rounding).
    /// </summary>
    public const float MaxParameterMagnitude = 1e30f;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        var accumulator = Vector<float>.Zero;
        if (Vector.IsHardwareAccelerated)
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values.Slice(i));
                accumulator += v - v;
            }
        if (!Vector.EqualsAll(accumulator, Vector<float>.Zero)) return false;
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return false;
        return true;
    }
}
