using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistTools.Layers;

/// <summary>
/// The three transforms of Winograd's F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks"):
///   filter   U = G g Gᵀ      [4 x 4] from a 3x3 filter g,   G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
///   input    V = Bᵀ d B      [4 x 4] from a 4x4 input tile d (rows 2ty .. 2ty + 3, columns 2tx .. 2tx + 3),
///            Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
///   output   Y = Aᵀ M A      [2 x 2] from M = Σ_c U ⊙ V,    Aᵀ = [1 1 1 0; 0 1 −1 −1]
/// Position ξ = 4·row + column of the 4x4 transforms. The input and output transforms run over a list of tiles (each
/// found through a table of offsets, so the tiles of several rows and images share a vector), eight per Vector256 and
/// the rest one by one with the same operations in the same order (each value is the same few float additions whatever
/// the vector width), so a tile's values do not depend on where the list is cut.
/// </summary>
internal static unsafe class WinogradTransforms
{
    /// <summary>Positions of a transformed tile, α² = 4·4.</summary>
    internal const int Positions = 16;

    /// <summary>Tiles per vector of the transforms.</summary>
    private const int Lanes = 8;

    /// <summary>u[ξ·stride] = (G g Gᵀ)[ξ] for the 3x3 filter g (row-major, g[3·ky + kx]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Filter(float* g, float* u, long stride)
    {
        float* t = stackalloc float[12];
        // t = G g [4 x 3], then u = t Gᵀ [4 x 4].
        for (int kx = 0; kx < 3; kx++)
        {
            float g0 = g[kx], g1 = g[3 + kx], g2 = g[6 + kx];
            t[kx] = g0;
            t[3 + kx] = 0.5f * (g0 + g1 + g2);
            t[6 + kx] = 0.5f * (g0 - g1 + g2);
            t[9 + kx] = g2;
        }
        for (int row = 0; row < 4; row++)
        {
            float r0 = t[3 * row], r1 = t[3 * row + 1], r2 = t[3 * row + 2];
            u[(4 * row) * stride] = r0;
            u[(4 * row + 1) * stride] = 0.5f * (r0 + r1 + r2);
            u[(4 * row + 2) * stride] = 0.5f * (r0 - r1 + r2);
            u[(4 * row + 3) * stride] = r2;
        }
    }

    /// <summary>
    /// V of the tiles of one input plane: the zero-padded plane P split by column parity, even[r·w + k] = P[r][2k] and
    /// odd[r·w + k] = P[r][2k + 1] (w = <paramref name="planeWidth"/>), so tile t (rows 2ty .. 2ty + 3, columns 2tx ..
    /// 2tx + 3) reads even and odd at bases[t] + r·w and bases[t] + r·w + 1, bases[t] = 2ty·w + tx.
    /// v[ξ·positionStride + t] = (Bᵀ d B)[ξ] of tile t, for t &lt; <paramref name="count"/>: eight tiles per AVX2 gather, the
    /// rest (and every tile without AVX2) one by one with the same operations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void InputTiles(float* even, float* odd, int planeWidth, int* bases, int count, float* v, long positionStride)
    {
        int t = 0;
        if (Avx2.IsSupported)
            for (; t <= count - Lanes; t += Lanes)
            {
                Vector256<int> index = Vector256.Load(bases + t);
                // Column c of the tile's rows: c = 0, 2 from even (at k, k + 1), c = 1, 3 from odd.
                Vector256<float> e00 = Avx2.GatherVector256(even, index, 4), o00 = Avx2.GatherVector256(odd, index, 4);
                Vector256<float> e01 = Avx2.GatherVector256(even + 1, index, 4), o01 = Avx2.GatherVector256(odd + 1, index, 4);
                float* e = even + planeWidth, o = odd + planeWidth;
                Vector256<float> e10 = Avx2.GatherVector256(e, index, 4), o10 = Avx2.GatherVector256(o, index, 4);
                Vector256<float> e11 = Avx2.GatherVector256(e + 1, index, 4), o11 = Avx2.GatherVector256(o + 1, index, 4);
                e += planeWidth; o += planeWidth;
                Vector256<float> e20 = Avx2.GatherVector256(e, index, 4), o20 = Avx2.GatherVector256(o, index, 4);
                Vector256<float> e21 = Avx2.GatherVector256(e + 1, index, 4), o21 = Avx2.GatherVector256(o + 1, index, 4);
                e += planeWidth; o += planeWidth;
                Vector256<float> e30 = Avx2.GatherVector256(e, index, 4), o30 = Avx2.GatherVector256(o, index, 4);
                Vector256<float> e31 = Avx2.GatherVector256(e + 1, index, 4), o31 = Avx2.GatherVector256(o + 1, index, 4);
                float* p = v + t;
                Columns(e00 - e20, o00 - o20, e01 - e21, o01 - o21, p, positionStride);
                Columns(e10 + e20, o10 + o20, e11 + e21, o11 + o21, p + 4 * positionStride, positionStride);
                Columns(e20 - e10, o20 - o10, e21 - e11, o21 - o11, p + 8 * positionStride, positionStride);
                Columns(e10 - e30, o10 - o30, e11 - e31, o11 - o31, p + 12 * positionStride, positionStride);
            }
        for (; t < count; t++)
        {
            float* e0 = even + bases[t], o0 = odd + bases[t];
            float* e1 = e0 + planeWidth, o1 = o0 + planeWidth, e2 = e1 + planeWidth, o2 = o1 + planeWidth, e3 = e2 + planeWidth, o3 = o2 + planeWidth;
            float* p = v + t;
            Columns(e0[0] - e2[0], o0[0] - o2[0], e0[1] - e2[1], o0[1] - o2[1], p, positionStride);
            Columns(e1[0] + e2[0], o1[0] + o2[0], e1[1] + e2[1], o1[1] + o2[1], p + 4 * positionStride, positionStride);
            Columns(e2[0] - e1[0], o2[0] - o1[0], e2[1] - e1[1], o2[1] - o1[1], p + 8 * positionStride, positionStride);
            Columns(e1[0] - e3[0], o1[0] - o3[0], e1[1] - e3[1], o1[1] - o3[1], p + 12 * positionStride, positionStride);
        }
    }

    /// <summary>The column stage of one row q of Bᵀ d (columns q0 .. q3): q0 − q2, q1 + q2, q2 − q1, q1 − q3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector256<float> q0, Vector256<float> q1, Vector256<float> q2, Vector256<float> q3, float* p, long stride)
    {
        (q0 - q2).Store(p);
        (q1 + q2).Store(p + stride);
        (q2 - q1).Store(p + 2 * stride);
        (q1 - q3).Store(p + 3 * stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(float q0, float q1, float q2, float q3, float* p, long stride)
    {
        p[0] = q0 - q2;
        p[stride] = q1 + q2;
        p[2 * stride] = q2 - q1;
        p[3 * stride] = q1 - q3;
    }

    /// <summary>
    /// Y of tiles [0, count): m[ξ·positionStride + t] is M[ξ] of tile t; its 2x2 outputs Aᵀ M A + bias go to
    /// output + offsets[t] (row below at + outputWidth when edges[t] has bit 2, the right column when it has bit 1).
    /// Through ReLU (z ≤ 0 → 0, as the activation's pass) when <paramref name="relu"/>; with <paramref name="activated"/>
    /// set, Z goes to output and ReLU(Z) to the same place in activated. Eight tiles per vector, their stores one by one
    /// through <paramref name="work"/> (32 floats); the rest with the same operations in scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void OutputTiles(float* m, long positionStride, int count, float bias, float* output, float* activated, int* offsets, int* edges,
        int outputWidth, bool relu, float* work)
    {
        Vector256<float> biasVector = Vector256.Create(bias);
        int t = 0;
        for (; t <= count - Lanes; t += Lanes)
        {
            float* p = m + t;
            // Row stage s_r = (Aᵀ M)[r], then the column stage.
            Vector256<float> m00 = Vector256.Load(p), m01 = Vector256.Load(p + positionStride), m02 = Vector256.Load(p + 2 * positionStride), m03 = Vector256.Load(p + 3 * positionStride);
            Vector256<float> m10 = Vector256.Load(p + 4 * positionStride), m11 = Vector256.Load(p + 5 * positionStride), m12 = Vector256.Load(p + 6 * positionStride), m13 = Vector256.Load(p + 7 * positionStride);
            Vector256<float> m20 = Vector256.Load(p + 8 * positionStride), m21 = Vector256.Load(p + 9 * positionStride), m22 = Vector256.Load(p + 10 * positionStride), m23 = Vector256.Load(p + 11 * positionStride);
            Vector256<float> m30 = Vector256.Load(p + 12 * positionStride), m31 = Vector256.Load(p + 13 * positionStride), m32 = Vector256.Load(p + 14 * positionStride), m33 = Vector256.Load(p + 15 * positionStride);
            Vector256<float> s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
            Vector256<float> s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
            Vector256<float> y00 = s00 + s01 + s02 + biasVector, y01 = s01 - s02 - s03 + biasVector;
            Vector256<float> y10 = s10 + s11 + s12 + biasVector, y11 = s11 - s12 - s13 + biasVector;
            if (relu && activated == null)
            {
                y00 = ReLU(y00); y01 = ReLU(y01); y10 = ReLU(y10); y11 = ReLU(y11);
            }
            y00.Store(work);
            y01.Store(work + Lanes);
            y10.Store(work + 2 * Lanes);
            y11.Store(work + 3 * Lanes);
            for (int j = 0; j < Lanes; j++)
                Store(work[j], work[Lanes + j], work[2 * Lanes + j], work[3 * Lanes + j], offsets[t + j], edges[t + j], output, activated, outputWidth);
        }
        for (; t < count; t++)
        {
            float* p = m + t;
            float m00 = p[0], m01 = p[positionStride], m02 = p[2 * positionStride], m03 = p[3 * positionStride];
            float m10 = p[4 * positionStride], m11 = p[5 * positionStride], m12 = p[6 * positionStride], m13 = p[7 * positionStride];
            float m20 = p[8 * positionStride], m21 = p[9 * positionStride], m22 = p[10 * positionStride], m23 = p[11 * positionStride];
            float m30 = p[12 * positionStride], m31 = p[13 * positionStride], m32 = p[14 * positionStride], m33 = p[15 * positionStride];
            float s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
            float s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
            float y00 = s00 + s01 + s02 + bias, y01 = s01 - s02 - s03 + bias, y10 = s10 + s11 + s12 + bias, y11 = s11 - s12 - s13 + bias;
            if (relu && activated == null)
            {
                y00 = ReLU(y00); y01 = ReLU(y01); y10 = ReLU(y10); y11 = ReLU(y11);
            }
            Store(y00, y01, y10, y11, offsets[t], edges[t], output, activated, outputWidth);
        }
    }

    /// <summary>
    /// The weight gradient's transform of the output gradient: q[ξ·positionStride + t] = (A z Aᵀ)[ξ] of the 2x2 tile z of
    /// dZ at gradient + offsets[t] (its right column and the row below zero where edges[t] lacks bit 1, bit 2); A = (Aᵀ)ᵀ. Since y = Aᵀ[(G g) ⊙ (Bᵀ d)],
    /// ∂/∂g of dyᵀ y is Gᵀ[(A dy) ⊙ (Bᵀ d)]: the weight gradient is Gᵀ (Σ_tiles Q ⊙ V) G (<see cref="FilterGradient"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GradientTiles(float* gradient, int* offsets, int* edges, int outputWidth, int count, float* q, long positionStride)
    {
        int t = 0;
        if (Avx2.IsSupported)
        {
            Vector256<int> one = Vector256.Create(1), two = Vector256.Create(2);
            for (; t <= count - Lanes; t += Lanes)
            {
                // Masked gathers: a tile's missing column or row reads zero.
                Vector256<int> index = Vector256.Load(offsets + t), edge = Vector256.Load(edges + t);
                Vector256<float> right = Vector256.Equals(edge & one, one).AsSingle(), below = Vector256.Equals(edge & two, two).AsSingle();
                Vector256<float> zero = Vector256<float>.Zero, all = Vector256<float>.AllBitsSet;
                Vector256<float> z00 = Avx2.GatherMaskVector256(zero, gradient, index, all, 4);
                Vector256<float> z01 = Avx2.GatherMaskVector256(zero, gradient + 1, index, right, 4);
                Vector256<float> z10 = Avx2.GatherMaskVector256(zero, gradient + outputWidth, index, below, 4);
                Vector256<float> z11 = Avx2.GatherMaskVector256(zero, gradient + outputWidth + 1, index, right & below, 4);
                Vector256<float> t10 = z00 + z10, t11 = z01 + z11, t20 = z00 - z10, t21 = z01 - z11;
                float* p = q + t;
                Row(z00, z01, p, positionStride);
                Row(t10, t11, p + 4 * positionStride, positionStride);
                Row(t20, t21, p + 8 * positionStride, positionStride);
                Row(-z10, -z11, p + 12 * positionStride, positionStride);
            }
        }
        for (; t < count; t++)
        {
            float* top = gradient + offsets[t];
            bool right = (edges[t] & 1) != 0, below = (edges[t] & 2) != 0;
            float z00 = top[0], z01 = right ? top[1] : 0f;
            float z10 = below ? top[outputWidth] : 0f, z11 = below && right ? top[outputWidth + 1] : 0f;
            // Rows of A z: z0, z0 + z1, z0 − z1, −z1; then each row (a, b) → a, a + b, a − b, −b.
            float t10 = z00 + z10, t11 = z01 + z11, t20 = z00 - z10, t21 = z01 - z11;
            float* p = q + t;
            Row(z00, z01, p, positionStride);
            Row(t10, t11, p + 4 * positionStride, positionStride);
            Row(t20, t21, p + 8 * positionStride, positionStride);
            Row(-z10, -z11, p + 12 * positionStride, positionStride);
        }
    }

    /// <summary>One row (a, b) of A z → a, a + b, a − b, −b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float a, float b, float* p, long stride)
    {
        p[0] = a;
        p[stride] = a + b;
        p[2 * stride] = a - b;
        p[3 * stride] = -b;
    }

    /// <summary>One row (a, b) of A z → a, a + b, a − b, −b, eight tiles at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(Vector256<float> a, Vector256<float> b, float* p, long stride)
    {
        a.Store(p);
        (a + b).Store(p + stride);
        (a - b).Store(p + 2 * stride);
        (-b).Store(p + 3 * stride);
    }

    /// <summary>dw[3·ky + kx] = (Gᵀ R G)[ky, kx] for R[ξ] = r[ξ·stride]: the 3x3 weight gradient from the summed products.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FilterGradient(float* r, long stride, float* dw)
    {
        // t = Gᵀ R [3 x 4]: rows R0 + ½(R1 + R2), ½(R1 − R2), ½(R1 + R2) + R3; then each row (a, b, c, d) → a + ½(b + c), ½(b − c), ½(b + c) + d.
        float* t = stackalloc float[12];
        for (int column = 0; column < 4; column++)
        {
            float r0 = r[column * stride], r1 = r[(4 + column) * stride], r2 = r[(8 + column) * stride], r3 = r[(12 + column) * stride];
            float half = 0.5f * (r1 + r2);
            t[column] = r0 + half;
            t[4 + column] = 0.5f * (r1 - r2);
            t[8 + column] = half + r3;
        }
        for (int row = 0; row < 3; row++)
        {
            float a = t[4 * row], b = t[4 * row + 1], c = t[4 * row + 2], d = t[4 * row + 3];
            float half = 0.5f * (b + c);
            dw[3 * row] = a + half;
            dw[3 * row + 1] = 0.5f * (b - c);
            dw[3 * row + 2] = half + d;
        }
    }

    /// <summary>A tile's outputs to output + offset (and activated + offset: ReLU of them); edges bit 1: the right column
    /// exists, bit 2: the row below does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float y00, float y01, float y10, float y11, int offset, int edges, float* output, float* activated, int outputWidth)
    {
        float* top = output + offset;
        top[0] = y00;
        if ((edges & 1) != 0) top[1] = y01;
        if ((edges & 2) != 0)
        {
            top[outputWidth] = y10;
            if ((edges & 1) != 0) top[outputWidth + 1] = y11;
        }
        if (activated == null) return;
        top = activated + offset;
        top[0] = ReLU(y00);
        if ((edges & 1) != 0) top[1] = ReLU(y01);
        if ((edges & 2) != 0)
        {
            top[outputWidth] = ReLU(y10);
            if ((edges & 1) != 0) top[outputWidth + 1] = ReLU(y11);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ReLU(Vector256<float> z) =>
        Vector256.ConditionalSelect(Vector256.LessThanOrEqual(z, Vector256<float>.Zero), Vector256<float>.Zero, z);

    /// <summary>ReLU as <see cref="Numerics.VectorMath.ReLU"/> computes it: z ≤ 0 → +0, else z (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReLU(float z) => z <= 0f ? 0f : z;
}
