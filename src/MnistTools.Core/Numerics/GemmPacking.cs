using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistTools.Numerics;

/// <summary>
/// Packing of A and B blocks into the panel layout the micro-kernels stream through:
/// a panel of width w holds, for each k step p, w consecutive values dst[p*w + r] (r &lt; w), zero-padded past the
/// valid <c>count</c>. Two source layouts occur:
///   "copy"       the panel's values for one p are contiguous in the source (src[p*ld + r]):
///                A when transposed, B when not transposed;
///   "transpose"  each panel row is contiguous along k (src[r*ld + p]):
///                A when not transposed (X rows), B when transposed (W rows, the forward pass).
/// The transpose case uses 8x8 AVX register transposes when <c>vectorized</c>; the scalar loops remain for the
/// portable path and for remainders.
/// </summary>
[SkipLocalsInit]
internal static unsafe class GemmPacking
{
    /// <summary>dst[p*width + r] = src[p*ld + r] for r &lt; count, 0 for count &lt;= r &lt; width; p &lt; kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackCopy(float* src, int ld, int count, int kc, float* dst, int width)
    {
        if (count == width && width % 8 == 0 && Vector256.IsHardwareAccelerated)
        {
            for (int p = 0; p < kc; p++, src += ld, dst += width)
                for (int r = 0; r < width; r += 8) Vector256.Store(Vector256.Load(src + r), dst + r);
            return;
        }
        for (int p = 0; p < kc; p++, src += ld, dst += width)
        {
            int r = 0;
            for (; r < count; r++) dst[r] = src[r];
            for (; r < width; r++) dst[r] = 0f;
        }
    }

    /// <summary>dst[p*width + r] = src[r*ld + p] for r &lt; count, 0 for count &lt;= r &lt; width; p &lt; kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackTranspose(float* src, int ld, int count, int kc, float* dst, int width, bool vectorized)
    {
        int r0 = 0;
        if (vectorized && Avx.IsSupported)
        {
            // Full groups of 8 rows by 8 k steps through an in-register 8x8 transpose.
            int kc8 = kc & ~7;
            for (; r0 + 8 <= count; r0 += 8)
            {
                float* s = src + (long)r0 * ld;
                int p = 0;
                for (; p < kc8; p += 8) Transpose8x8(s + p, ld, dst + (long)p * width + r0, width);
                for (; p < kc; p++)
                    for (int r = 0; r < 8; r++) dst[(long)p * width + r0 + r] = s[(long)r * ld + p];
            }
        }
        for (int r = r0; r < count; r++)
        {
            float* s = src + (long)r * ld;
            float* d = dst + r;
            for (int p = 0; p < kc; p++) d[(long)p * width] = s[p];
        }
        for (int r = count; r < width; r++)
        {
            float* d = dst + r;
            for (int p = 0; p < kc; p++) d[(long)p * width] = 0f;
        }
    }

    /// <summary>Writes the transpose of the 8x8 block src[r*ld + q] to dst[q*dstStride + r].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int ld, float* dst, int dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ld);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * ld), r3 = Avx.LoadVector256(src + 3 * ld);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * ld), r5 = Avx.LoadVector256(src + 5 * ld);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * ld), r7 = Avx.LoadVector256(src + 7 * ld);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>Writes the valid rows x cols corner of a spilled tile[r*width + j] to C (edge tiles).</summary>
    internal static void WriteTile(float* tile, int width, float* c, int ldc, int rows, int cols, bool overwrite)
    {
        for (int r = 0; r < rows; r++, tile += width, c += ldc)
        {
            if (overwrite) for (int j = 0; j < cols; j++) c[j] = tile[j];
            else for (int j = 0; j < cols; j++) c[j] += tile[j];
        }
    }
}
