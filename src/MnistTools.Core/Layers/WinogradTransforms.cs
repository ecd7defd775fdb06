using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MnistTools.Layers;

/// <summary>
/// The three transforms of Winograd's F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks"):
///   filter   U = G g Gᵀ      [4 x 4] from a 3x3 filter g,   G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
///   input    V = Bᵀ d B      [4 x 4] from a 4x4 input tile d (rows 2ty .. 2ty + 3, columns 2tx .. 2tx + 3),
///            Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
///   output   Y = Aᵀ M A      [2 x 2] from M = Σ_c U ⊙ V,    Aᵀ = [1 1 1 0; 0 1 −1 −1]
/// Position ξ = 4·row + column of the 4x4 transforms. The input and output transforms run over a row of tiles at a time,
/// eight tiles per Vector256 and the rest one by one with the same operations in the same order (each value is the same
/// few float additions whatever the vector width), so a tile's values do not depend on where its row is cut.
/// </summary>
internal static unsafe class WinogradTransforms
{
    /// <summary>Positions of a transformed tile, α² = 4·4.</summary>
    internal const int Positions = 16;

    /// <summary>Tiles per vector of the row transforms.</summary>
    private const int Lanes = 8;

    /// <summary>u[ξ·stride] = (G g Gᵀ)[ξ] for the 3x3 filter g (row-major, g[3·ky + kx]; rotated by 180° when
    /// <paramref name="rotate"/>, g[8 − (3·ky + kx)], the filter of the input gradient).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Filter(float* g, bool rotate, float* u, long stride)
    {
        float* t = stackalloc float[12];
        // t = G g [4 x 3], then u = t Gᵀ [4 x 4].
        for (int kx = 0; kx < 3; kx++)
        {
            float g0 = Tap(g, 0, kx, rotate), g1 = Tap(g, 1, kx, rotate), g2 = Tap(g, 2, kx, rotate);
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

    private static float Tap(float* g, int ky, int kx, bool rotate) => rotate ? g[8 - (3 * ky + kx)] : g[3 * ky + kx];

    /// <summary>
    /// V of the tiles of one tile row: the padded plane's rows 2ty .. 2ty + 3 split by column parity, even[r][k] = P[r][2k]
    /// and odd[r][k] = P[r][2k + 1] (k ≤ tiles, row stride <paramref name="planeWidth"/>), so tile tx reads even[tx],
    /// odd[tx], even[tx + 1], odd[tx + 1] of each row. v[ξ·positionStride + tx] = (Bᵀ d B)[ξ] of tile tx.
    /// <paramref name="work"/> holds 8·(tiles + 1) floats: the row stage Bᵀ d of both parities.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void InputRow(float* even, float* odd, int planeWidth, int tiles, float* v, long positionStride, float* work)
    {
        int width = tiles + 1;
        // Row stage over both parities: q0 = r0 − r2, q1 = r1 + r2, q2 = r2 − r1, q3 = r1 − r3 (rows of the tile).
        for (int parity = 0; parity < 2; parity++)
        {
            float* p = parity == 0 ? even : odd, q = work + parity * 4 * width;
            float* r0 = p, r1 = p + planeWidth, r2 = r1 + planeWidth, r3 = r2 + planeWidth;
            int k = 0;
            for (; k <= width - Lanes; k += Lanes)
            {
                Vector256<float> a = Vector256.Load(r0 + k), b = Vector256.Load(r1 + k), c = Vector256.Load(r2 + k), d = Vector256.Load(r3 + k);
                (a - c).Store(q + k);
                (b + c).Store(q + width + k);
                (c - b).Store(q + 2 * width + k);
                (b - d).Store(q + 3 * width + k);
            }
            for (; k < width; k++)
            {
                float a = r0[k], b = r1[k], c = r2[k], d = r3[k];
                q[k] = a - c;
                q[width + k] = b + c;
                q[2 * width + k] = c - b;
                q[3 * width + k] = b - d;
            }
        }
        // Column stage of row i: columns e[tx], o[tx], e[tx + 1], o[tx + 1] → e0 − e1, o0 + e1, e1 − o0, o0 − o1.
        for (int i = 0; i < 4; i++)
        {
            float* e = work + i * width, o = work + (4 + i) * width;
            float* v0 = v + 4 * i * positionStride, v1 = v0 + positionStride, v2 = v1 + positionStride, v3 = v2 + positionStride;
            int tx = 0;
            for (; tx <= tiles - Lanes; tx += Lanes)
            {
                Vector256<float> e0 = Vector256.Load(e + tx), e1 = Vector256.Load(e + tx + 1), o0 = Vector256.Load(o + tx), o1 = Vector256.Load(o + tx + 1);
                (e0 - e1).Store(v0 + tx);
                (o0 + e1).Store(v1 + tx);
                (e1 - o0).Store(v2 + tx);
                (o0 - o1).Store(v3 + tx);
            }
            for (; tx < tiles; tx++)
            {
                float e0 = e[tx], e1 = e[tx + 1], o0 = o[tx], o1 = o[tx + 1];
                v0[tx] = e0 - e1;
                v1[tx] = o0 + e1;
                v2[tx] = e1 - o0;
                v3[tx] = o0 - o1;
            }
        }
    }

    /// <summary>
    /// Y of the tiles of one tile row: m[ξ·positionStride + tx] is M[ξ] of tile tx; the 2x2 outputs Aᵀ M A + bias go to rows
    /// <paramref name="top"/> and top + width (that one only when <paramref name="bothRows"/>), columns 2tx and 2tx + 1
    /// (that one only while below <paramref name="outputWidth"/>). Through ReLU (z ≤ 0 → 0, as the activation's pass) when
    /// <paramref name="relu"/>; with <paramref name="activated"/> set, Z goes to <paramref name="top"/> and ReLU(Z) to the
    /// same place in activated. <paramref name="work"/> holds 4·8 floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void OutputRow(float* m, long positionStride, int tiles, float bias, float* top, float* activated, int outputWidth,
        bool bothRows, bool relu, float* work)
    {
        Vector256<float> biasVector = Vector256.Create(bias);
        int tx = 0;
        for (; tx <= tiles - Lanes; tx += Lanes)
        {
            float* p = m + tx;
            // Row stage s_r = (Aᵀ M)[r], then the column stage.
            Vector256<float> m00 = Vector256.Load(p), m01 = Vector256.Load(p + positionStride), m02 = Vector256.Load(p + 2 * positionStride), m03 = Vector256.Load(p + 3 * positionStride);
            Vector256<float> m10 = Vector256.Load(p + 4 * positionStride), m11 = Vector256.Load(p + 5 * positionStride), m12 = Vector256.Load(p + 6 * positionStride), m13 = Vector256.Load(p + 7 * positionStride);
            Vector256<float> m20 = Vector256.Load(p + 8 * positionStride), m21 = Vector256.Load(p + 9 * positionStride), m22 = Vector256.Load(p + 10 * positionStride), m23 = Vector256.Load(p + 11 * positionStride);
            Vector256<float> m30 = Vector256.Load(p + 12 * positionStride), m31 = Vector256.Load(p + 13 * positionStride), m32 = Vector256.Load(p + 14 * positionStride), m33 = Vector256.Load(p + 15 * positionStride);
            Vector256<float> s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
            Vector256<float> s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
            (s00 + s01 + s02 + biasVector).Store(work);
            (s01 - s02 - s03 + biasVector).Store(work + Lanes);
            (s10 + s11 + s12 + biasVector).Store(work + 2 * Lanes);
            (s11 - s12 - s13 + biasVector).Store(work + 3 * Lanes);
            for (int j = 0; j < Lanes; j++)
                Store(work[j], work[Lanes + j], work[2 * Lanes + j], work[3 * Lanes + j], 2 * (tx + j), top, activated, outputWidth, bothRows, relu);
        }
        for (; tx < tiles; tx++)
        {
            float* p = m + tx;
            float m00 = p[0], m01 = p[positionStride], m02 = p[2 * positionStride], m03 = p[3 * positionStride];
            float m10 = p[4 * positionStride], m11 = p[5 * positionStride], m12 = p[6 * positionStride], m13 = p[7 * positionStride];
            float m20 = p[8 * positionStride], m21 = p[9 * positionStride], m22 = p[10 * positionStride], m23 = p[11 * positionStride];
            float m30 = p[12 * positionStride], m31 = p[13 * positionStride], m32 = p[14 * positionStride], m33 = p[15 * positionStride];
            float s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
            float s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
            Store(s00 + s01 + s02 + bias, s01 - s02 - s03 + bias, s10 + s11 + s12 + bias, s11 - s12 - s13 + bias, 2 * tx, top, activated,
                outputWidth, bothRows, relu);
        }
    }

    /// <summary>
    /// The weight gradient's transform of the output gradient, one tile row: q[ξ·positionStride + tx] = (A z Aᵀ)[ξ] of the
    /// 2x2 tile z of dZ at rows <paramref name="top"/> and top + width (that one zero unless <paramref name="bothRows"/>),
    /// columns 2tx and 2tx + 1 (that one zero past <paramref name="outputWidth"/>); A = (Aᵀ)ᵀ. Since y = Aᵀ[(G g) ⊙ (Bᵀ d)],
    /// ∂/∂g of dyᵀ y is Gᵀ[(A dy) ⊙ (Bᵀ d)]: the weight gradient is Gᵀ (Σ_tiles Q ⊙ V) G (<see cref="FilterGradient"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GradientRow(float* top, int outputWidth, bool bothRows, int tiles, float* q, long positionStride)
    {
        for (int tx = 0; tx < tiles; tx++)
        {
            int x = 2 * tx;
            bool right = x + 1 < outputWidth;
            float z00 = top[x], z01 = right ? top[x + 1] : 0f;
            float z10 = bothRows ? top[outputWidth + x] : 0f, z11 = bothRows && right ? top[outputWidth + x + 1] : 0f;
            // Rows of A z: z0, z0 + z1, z0 − z1, −z1; then each row (a, b) → a, a + b, a − b, −b.
            float t10 = z00 + z10, t11 = z01 + z11, t20 = z00 - z10, t21 = z01 - z11;
            float* p = q + tx;
            Row(z00, z01, p, positionStride);
            Row(t10, t11, p + 4 * positionStride, positionStride);
            Row(t20, t21, p + 8 * positionStride, positionStride);
            Row(-z10, -z11, p + 12 * positionStride, positionStride);
        }

        static void Row(float a, float b, float* p, long stride)
        {
            p[0] = a;
            p[stride] = a + b;
            p[2 * stride] = a - b;
            p[3 * stride] = -b;
        }
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float y00, float y01, float y10, float y11, int x, float* top, float* activated, int outputWidth, bool bothRows, bool relu)
    {
        bool right = x + 1 < outputWidth;
        if (activated == null)
        {
            if (relu) { y00 = ReLU(y00); y01 = ReLU(y01); y10 = ReLU(y10); y11 = ReLU(y11); }
            top[x] = y00;
            if (right) top[x + 1] = y01;
            if (!bothRows) return;
            top[outputWidth + x] = y10;
            if (right) top[outputWidth + x + 1] = y11;
            return;
        }
        top[x] = y00;
        activated[x] = ReLU(y00);
        if (right) { top[x + 1] = y01; activated[x + 1] = ReLU(y01); }
        if (!bothRows) return;
        top[outputWidth + x] = y10;
        activated[outputWidth + x] = ReLU(y10);
        if (right) { top[outputWidth + x + 1] = y11; activated[outputWidth + x + 1] = ReLU(y11); }
    }

    /// <summary>ReLU as <see cref="Numerics.VectorMath.ReLU"/> computes it: z ≤ 0 → +0, else z (NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReLU(float z) => z <= 0f ? 0f : z;
}
