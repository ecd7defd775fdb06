using System.Numerics.Tensors;

namespace MnistTools.Training;

/// <summary>Grey levels to network inputs: x = pixel / 255f, in [0, 1].</summary>
public static class PixelScaling
{
    public const float MaxGrey = 255f;

    /// <summary>inputs[i] = pixels[i] / 255f. Shapes equal.</summary>
    public static void ToInputs(ReadOnlySpan<byte> pixels, Span<float> inputs)
    {
        if (inputs.Length != pixels.Length) throw new ArgumentException("Spans differ in length.", nameof(inputs));
        TensorPrimitives.ConvertTruncating(pixels, inputs); // byte -> float is exact
        TensorPrimitives.Divide(inputs, MaxGrey, inputs);
    }
}
