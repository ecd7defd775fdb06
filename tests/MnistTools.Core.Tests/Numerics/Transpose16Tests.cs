using MnistTools.Numerics;

namespace MnistTools.Tests.Numerics;

public class Transpose16Tests
{
    [SkippableTheory]
    [InlineData(16, 16)]
    [InlineData(100, 16)]  // a convolution's [filter][pixel] planes into [pixel][filter] rows
    [InlineData(16, 100)]  // and back
    [InlineData(19, 23)]
    public unsafe void EveryElementLandsTransposedBitForBit(int srcStride, int dstStride)
    {
        Skip.IfNot(ComputeSettings.IsSupported(InstructionSet.Avx512), "This CPU does not run Avx512.");
        var random = new Random(srcStride * 31 + dstStride);
        float[] src = new float[15 * srcStride + 16 + 3], dst = Enumerable.Repeat(float.NaN, 15 * dstStride + 16 + 3).ToArray();
        for (int i = 0; i < src.Length; i++) src[i] = BitConverter.Int32BitsToSingle(random.Next());
        fixed (float* s = src, d = dst) Transpose16.Block(s + 1, srcStride, d + 2, dstStride);
        var written = new HashSet<int>();
        for (int r = 0; r < 16; r++)
            for (int c = 0; c < 16; c++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(src[1 + r * srcStride + c]), BitConverter.SingleToInt32Bits(dst[2 + c * dstStride + r]));
                written.Add(2 + c * dstStride + r);
            }
        for (int i = 0; i < dst.Length; i++)
            if (!written.Contains(i)) Assert.True(float.IsNaN(dst[i]) && BitConverter.SingleToInt32Bits(dst[i]) == BitConverter.SingleToInt32Bits(float.NaN), $"wrote {i}");
    }
}
