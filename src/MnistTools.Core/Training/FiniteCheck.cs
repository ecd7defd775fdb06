using System.Numerics;

namespace MnistTools.Training;

/// <summary>Vectorised "are all values finite" test (x − x is 0 for finite x and NaN for ±∞ and NaN).</summary>
internal static class FiniteCheck
{
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
