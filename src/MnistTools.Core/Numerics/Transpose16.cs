using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistTools.Numerics;

/// <summary>
/// A 16 x 16 block of floats transposed in AVX-512 registers: dst[c·dstStride + r] = src[r·srcStride + c] for r, c &lt; 16,
/// in 64 shuffles instead of 256 scalar moves (the convolution kernels that keep 16 filters in a vector turn their
/// [pixel][filter] tiles into [filter][pixel] planes and back with it). Pure data movement: every bit is kept.
/// </summary>
internal static unsafe class Transpose16
{
    /// <summary>Rows and columns of a block.</summary>
    internal const int Size = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Block(float* src, long srcStride, float* dst, long dstStride)
    {
        // 32-bit interleave of row pairs, then 64-bit interleave of pair pairs: u[4q + k] holds, in 128-bit lane L, rows
        // 4q .. 4q + 3 of column 4L + k.
        Vector512<double> t0 = Pair(src, srcStride, 0, out Vector512<double> t1), t2 = Pair(src, srcStride, 2, out Vector512<double> t3);
        Vector512<double> t4 = Pair(src, srcStride, 4, out Vector512<double> t5), t6 = Pair(src, srcStride, 6, out Vector512<double> t7);
        Vector512<double> t8 = Pair(src, srcStride, 8, out Vector512<double> t9), t10 = Pair(src, srcStride, 10, out Vector512<double> t11);
        Vector512<double> t12 = Pair(src, srcStride, 12, out Vector512<double> t13), t14 = Pair(src, srcStride, 14, out Vector512<double> t15);
        Columns(Avx512F.UnpackLow(t0, t2), Avx512F.UnpackLow(t4, t6), Avx512F.UnpackLow(t8, t10), Avx512F.UnpackLow(t12, t14), dst, dstStride);
        Columns(Avx512F.UnpackHigh(t0, t2), Avx512F.UnpackHigh(t4, t6), Avx512F.UnpackHigh(t8, t10), Avx512F.UnpackHigh(t12, t14), dst + dstStride, dstStride);
        Columns(Avx512F.UnpackLow(t1, t3), Avx512F.UnpackLow(t5, t7), Avx512F.UnpackLow(t9, t11), Avx512F.UnpackLow(t13, t15), dst + 2 * dstStride, dstStride);
        Columns(Avx512F.UnpackHigh(t1, t3), Avx512F.UnpackHigh(t5, t7), Avx512F.UnpackHigh(t9, t11), Avx512F.UnpackHigh(t13, t15), dst + 3 * dstStride, dstStride);
    }

    /// <summary>Rows r and r + 1 interleaved: the low halves of each 128-bit lane (returned) and the high halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Pair(float* src, long srcStride, int r, out Vector512<double> high)
    {
        Vector512<float> a = Vector512.Load(src + r * srcStride), b = Vector512.Load(src + (r + 1) * srcStride);
        high = Avx512F.UnpackHigh(a, b).AsDouble();
        return Avx512F.UnpackLow(a, b).AsDouble();
    }

    /// <summary>Columns k, k + 4, k + 8, k + 12 from u0..u3 (rows 0-3, 4-7, 8-11, 12-15 of columns k + 4L in lane L), stored at
    /// dst, dst + 4·stride, dst + 8·stride, dst + 12·stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector512<double> u0, Vector512<double> u1, Vector512<double> u2, Vector512<double> u3, float* dst, long stride)
    {
        Vector512<float> a = u0.AsSingle(), b = u1.AsSingle(), c = u2.AsSingle(), d = u3.AsSingle();
        Vector512<float> low0 = Avx512F.Shuffle4x128(a, b, 0x44), low1 = Avx512F.Shuffle4x128(c, d, 0x44);
        Vector512<float> high0 = Avx512F.Shuffle4x128(a, b, 0xEE), high1 = Avx512F.Shuffle4x128(c, d, 0xEE);
        Vector512.Store(Avx512F.Shuffle4x128(low0, low1, 0x88), dst);
        Vector512.Store(Avx512F.Shuffle4x128(low0, low1, 0xDD), dst + 4 * stride);
        Vector512.Store(Avx512F.Shuffle4x128(high0, high1, 0x88), dst + 8 * stride);
        Vector512.Store(Avx512F.Shuffle4x128(high0, high1, 0xDD), dst + 12 * stride);
    }
}
