using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Numerics;

/// <summary>Grey levels to network inputs: x = pixel / 255f, in [0, 1].</summary>
/// <remarks>
/// Every batch goes through here, so it is vectorised, and exact: a division per value is slow, and the plain
/// product x · (1/255f) differs from x / 255f for 126 of the 256 grey levels. One correction step,
/// q = x·r, q' = q + (x − 255·q)·r with fused multiply-adds, gives exactly x / 255f for all 256 (the
/// tests check every level on every path).
/// </remarks>
public static class PixelScaling
{
    public const float MaxGrey = 255f;

    private const float Reciprocal = 1f / MaxGrey;

    /// <summary>inputs[i] = pixels[i] / 255f. Shapes equal.</summary>
    public static void ToInputs(ReadOnlySpan<byte> pixels, Span<float> inputs) => ToInputs(pixels, inputs, ComputeSettings.BestSupported);

    /// <summary>As <see cref="ToInputs(ReadOnlySpan{byte}, Span{float})"/> through the given instruction-set path
    /// (Portable is the scalar division; a path the CPU lacks falls back to a narrower one). For tests.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ToInputs(ReadOnlySpan<byte> pixels, Span<float> inputs, InstructionSet path)
    {
        if (inputs.Length != pixels.Length) throw new ArgumentException("Spans differ in length.", nameof(inputs));
        int n = pixels.Length, i = 0;
        ref byte source = ref MemoryMarshal.GetReference(pixels);
        ref float target = ref MemoryMarshal.GetReference(inputs);
        if (path == InstructionSet.Avx512 && ComputeSettings.IsSupported(InstructionSet.Avx512))
        {
            var r = Vector512.Create(Reciprocal);
            var grey = Vector512.Create(MaxGrey);
            for (; i <= n - 16; i += 16)
            {
                Vector128<byte> bytes = Vector128.LoadUnsafe(ref source, (nuint)i);
                Vector512<float> x = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(bytes));
                Vector512<float> q = x * r;
                Vector512<float> residual = Avx512F.FusedMultiplyAddNegated(q, grey, x); // x − q·255, exact
                Avx512F.FusedMultiplyAdd(residual, r, q).StoreUnsafe(ref target, (nuint)i);
            }
        }
        else if (path != InstructionSet.Portable && ComputeSettings.IsSupported(InstructionSet.Avx2))
        {
            var r = Vector256.Create(Reciprocal);
            var grey = Vector256.Create(MaxGrey);
            for (; i <= n - 8; i += 8)
            {
                Vector128<byte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref source, i))).AsByte();
                Vector256<float> x = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes));
                Vector256<float> q = x * r;
                Vector256<float> residual = Fma.MultiplyAddNegated(q, grey, x);
                Fma.MultiplyAdd(residual, r, q).StoreUnsafe(ref target, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref target, i) = Unsafe.Add(ref source, i) / MaxGrey;
    }
}
