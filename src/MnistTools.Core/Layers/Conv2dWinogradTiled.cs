using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// <see cref="Conv2dWinograd"/>'s F(2x2, 3x3) on AVX-512 with channel-vectorised layouts and register tiles instead of the
/// packed GEMM and gathers. Sizes as in <see cref="Conv2dShape"/>; C' = C and F' = F rounded up to 16 (the extra channels
/// and filters are zeros that are never stored), T = TH·TW tiles per image, T' = T rounded up to <see cref="Slots"/>.
///   filters  U[ξ][c][f]  [16 x C' x F'] = (G W[f, c] Gᵀ)[ξ]                                      once per call
///   image    P[y][x][c]  [(2TH + 2) x (2TW + 2) x C'] = X[i, c, y − PadTop, x − PadLeft], zero outside
///   inputs   V[ξ][t][c]  [16 x T' x C'] = (Bᵀ d B)[ξ] of tile t's 4x4 window of P: vector additions over 16 channels
///   product  M[ξ][s][f]  [16 x 6 x F'] = Σ_c V[ξ][t0 + s][c] · U[ξ][c][f], register tiles of 64 filters (4 vectors) x 6
///            tiles (24 accumulators), one fused multiply-add chain over c in order from zero
///   outputs  Y[i, f, tile] = Aᵀ M[·][s][f] A + b[f] over 16 filters per vector (clipped at the right and bottom edges)
/// The weight gradient keeps the layouts: dZ of an image as D[oy][ox][f] [2TH x 2TW x F'] (zero beyond the outputs), its
/// tiles Q[ξ][t][f] = (A dz Aᵀ)[ξ], R[ξ][c][f] [16 x C' x F'] += V[ξ][t][c] · Q[ξ][t][f] (register tiles of 4 channels x 64
/// filters or 8 x 32, 8 x 16; one chain per element over the images and tiles in order), dW[f, c] = Gᵀ R[·][c][f] G.
/// Every value is a fixed sequence of operations on its image's data (the weight gradient: on the lane's images in order),
/// so the bits do not depend on the thread or on how the tiles are blocked.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dWinogradTiled
{
    /// <summary>Tiles per register tile of the forward product.</summary>
    internal const int Slots = 6;

    private const int Lanes = 16;
    private const int Positions = WinogradTransforms.Positions;

    /// <summary>Whether the Winograd forward and weight gradient of a shape that <see cref="Conv2dWinograd"/> takes run here:
    /// AVX-512 (the other instruction sets keep the packed-GEMM route).</summary>
    internal static bool Applies(InstructionSet path) => path == InstructionSet.Avx512 && Avx512F.IsSupported;

    private static int Round16(int n) => (n + Lanes - 1) & ~(Lanes - 1);

    /// <summary>The scratch of one call, by part (floats).</summary>
    private readonly struct Layout
    {
        public readonly int Channels, Filters, TilesHigh, TilesWide, Tiles, PaddedTiles, PlaneHigh, PlaneWide;
        public readonly float* Weights, Biases, Plane, Inputs, Products, Gradient, GradientTiles, Work;

        public Layout(float* scratch, in Conv2dShape shape)
        {
            Channels = Round16(shape.Channels);
            Filters = Round16(shape.Filters);
            TilesHigh = (shape.OutputHeight + 1) / 2;
            TilesWide = (shape.OutputWidth + 1) / 2;
            Tiles = TilesHigh * TilesWide;
            PaddedTiles = (Tiles + Slots - 1) / Slots * Slots;
            PlaneHigh = 2 * TilesHigh + 2;
            PlaneWide = 2 * TilesWide + 2;
            Weights = scratch;
            Biases = Weights + (long)Positions * Channels * Filters;
            Plane = Biases + Filters;
            Inputs = Plane + (long)PlaneHigh * PlaneWide * Channels;
            Products = Inputs + (long)Positions * PaddedTiles * Channels;
            Gradient = Products + (long)Positions * Slots * Filters;
            GradientTiles = Gradient + 4L * Tiles * Filters;
            Work = GradientTiles + (long)Positions * Tiles * Filters;
        }

        public long End => Work + 8 * Lanes - Weights;
    }

    /// <summary>Scratch floats of <see cref="Forward"/> and <see cref="WeightGradient"/> for <paramref name="shape"/>.</summary>
    internal static long ScratchFloats(in Conv2dShape shape) => new Layout(null, shape).End;

    /// <summary>Y = W ⊛ X + b (through ReLU when <paramref name="relu"/>); with <paramref name="activated"/> set, Z into
    /// <paramref name="output"/> and ReLU(Z) into activated. Arguments as <see cref="Conv2dWinograd.Forward"/>'s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Forward(float* input, float* weights, float* biases, in Conv2dShape shape, float* output, float* activated,
        float* scratch, int rows, bool relu)
    {
        var layout = new Layout(scratch, shape);
        int channels = shape.Channels, filters = shape.Filters, fp = layout.Filters, cp = layout.Channels;
        long positionWeights = (long)cp * fp;
        float* u = layout.Weights;
        new Span<float>(u, (int)(Positions * positionWeights)).Clear();
        for (int f = 0; f < filters; f++)
            for (int c = 0; c < channels; c++)
                WinogradTransforms.Filter(weights + 9 * ((long)f * channels + c), u + (long)c * fp + f, positionWeights);
        for (int f = 0; f < fp; f++) layout.Biases[f] = f < filters ? biases[f] : 0f;
        Prepare(layout);

        float* m = layout.Products;
        for (int i = 0; i < rows; i++)
        {
            TransformImage(input + (long)i * shape.InputSize, shape, layout);
            float* image = output + (long)i * shape.OutputSize;
            float* imageActivated = activated == null ? null : activated + (long)i * shape.OutputSize;
            for (int t0 = 0; t0 < layout.Tiles; t0 += Slots)
            {
                for (int position = 0; position < Positions; position++)
                {
                    float* up = u + position * positionWeights;
                    float* vp = layout.Inputs + ((long)position * layout.PaddedTiles + t0) * cp;
                    float* mp = m + (long)position * Slots * fp;
                    int f0 = 0;
                    for (; f0 + 4 * Lanes <= fp; f0 += 4 * Lanes) Product64(up + f0, fp, vp, cp, channels, mp + f0, fp);
                    if (f0 + 2 * Lanes <= fp)
                    {
                        Product32(up + f0, fp, vp, cp, channels, mp + f0, fp);
                        f0 += 2 * Lanes;
                    }
                    if (f0 < fp) Product16(up + f0, fp, vp, cp, channels, mp + f0, fp);
                }
                int count = Math.Min(Slots, layout.Tiles - t0);
                for (int s = 0; s < count; s++)
                {
                    int t = t0 + s, ty = t / layout.TilesWide, tx = t - ty * layout.TilesWide;
                    long offset = 2L * ty * shape.OutputWidth + 2 * tx;
                    int edges = (2 * tx + 1 < shape.OutputWidth ? 1 : 0) | (2 * ty + 1 < shape.OutputHeight ? 2 : 0);
                    for (int f0 = 0; f0 < filters; f0 += Lanes)
                        OutputTile(m + (long)s * fp + f0, (long)Slots * fp, layout.Biases + f0, Math.Min(Lanes, filters - f0),
                            image + (long)f0 * shape.OutputPixels + offset, imageActivated == null ? null : imageActivated + (long)f0 * shape.OutputPixels + offset,
                            shape.OutputPixels, shape.OutputWidth, edges, relu, layout.Work);
                }
            }
        }
    }

    /// <summary>dW = Σ_i dZ[i] ⋆ X[i] (overwritten; zero when <paramref name="rows"/> is 0). Arguments as
    /// <see cref="Conv2dWinograd.WeightGradient"/>'s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradient(float* input, float* outputGradient, in Conv2dShape shape, float* weightGradient, float* scratch, int rows)
    {
        var layout = new Layout(scratch, shape);
        int channels = shape.Channels, filters = shape.Filters, fp = layout.Filters, cp = layout.Channels, tiles = layout.Tiles;
        long positionWeights = (long)cp * fp;
        float* r = layout.Weights;
        new Span<float>(r, (int)(Positions * positionWeights)).Clear();
        Prepare(layout);
        new Span<float>(layout.Gradient, 4 * tiles * fp).Clear();
        int gradientWide = 2 * layout.TilesWide;
        for (int i = 0; i < rows; i++)
        {
            TransformImage(input + (long)i * shape.InputSize, shape, layout);
            // D[oy][ox][f] = dZ[i, f, oy, ox]; beyond the outputs and filters it stays zero.
            float* dz = outputGradient + (long)i * shape.OutputSize;
            for (int f = 0; f < filters; f++)
                for (int oy = 0; oy < shape.OutputHeight; oy++)
                {
                    float* source = dz + (long)f * shape.OutputPixels + (long)oy * shape.OutputWidth;
                    float* destination = layout.Gradient + (long)oy * gradientWide * fp + f;
                    for (int ox = 0; ox < shape.OutputWidth; ox++) destination[(long)ox * fp] = source[ox];
                }
            for (int t = 0; t < tiles; t++)
            {
                int ty = t / layout.TilesWide, tx = t - ty * layout.TilesWide;
                float* top = layout.Gradient + (2L * ty * gradientWide + 2 * tx) * fp;
                for (int f0 = 0; f0 < fp; f0 += Lanes)
                    GradientTile(top + f0, fp, (long)gradientWide * fp, layout.GradientTiles + (long)t * fp + f0, (long)tiles * fp);
            }
            for (int position = 0; position < Positions; position++)
            {
                float* rp = r + position * positionWeights;
                float* vp = layout.Inputs + (long)position * layout.PaddedTiles * cp;
                float* qp = layout.GradientTiles + (long)position * tiles * fp;
                int f0 = 0;
                for (; f0 + 4 * Lanes <= fp; f0 += 4 * Lanes)
                    for (int c = 0; c < cp; c += 4) Accumulate4x64(vp + c, cp, qp + f0, fp, tiles, rp + (long)c * fp + f0, fp);
                if (f0 + 2 * Lanes <= fp)
                {
                    for (int c = 0; c < cp; c += 8) Accumulate8x32(vp + c, cp, qp + f0, fp, tiles, rp + (long)c * fp + f0, fp);
                    f0 += 2 * Lanes;
                }
                if (f0 < fp)
                    for (int c = 0; c < cp; c += 8) Accumulate8x16(vp + c, cp, qp + f0, fp, tiles, rp + (long)c * fp + f0, fp);
            }
        }
        for (int f = 0; f < filters; f++)
            for (int c = 0; c < channels; c++)
                WinogradTransforms.FilterGradient(r + (long)c * fp + f, positionWeights, weightGradient + 9 * ((long)f * channels + c));
    }

    /// <summary>Zeros where the transforms read but no image writes: P's frame and extra channels, V's slots past T.</summary>
    private static void Prepare(in Layout layout)
    {
        new Span<float>(layout.Plane, layout.PlaneHigh * layout.PlaneWide * layout.Channels).Clear();
        new Span<float>(layout.Inputs, Positions * layout.PaddedTiles * layout.Channels).Clear();
    }

    /// <summary>P of image X [C x H x W] and V of its T tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformImage(float* image, in Conv2dShape shape, in Layout layout)
    {
        int cp = layout.Channels, wide = layout.PlaneWide;
        for (int c = 0; c < shape.Channels; c++)
            for (int y = 0; y < shape.Height; y++)
            {
                float* source = image + ((long)c * shape.Height + y) * shape.Width;
                float* destination = layout.Plane + ((long)(y + shape.PadTop) * wide + shape.PadLeft) * cp + c;
                for (int x = 0; x < shape.Width; x++) destination[(long)x * cp] = source[x];
            }
        long positionStride = (long)layout.PaddedTiles * cp, rowStride = (long)wide * cp;
        for (int t = 0; t < layout.Tiles; t++)
        {
            int ty = t / layout.TilesWide, tx = t - ty * layout.TilesWide;
            float* top = layout.Plane + (2L * ty * wide + 2 * tx) * cp;
            for (int c0 = 0; c0 < cp; c0 += Lanes) InputTile(top + c0, cp, rowStride, layout.Inputs + (long)t * cp + c0, positionStride);
        }
    }

    /// <summary>v[ξ·positionStride] = (Bᵀ d B)[ξ] for 16 channels, d[r][q] at top + r·rowStride + q·columnStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTile(float* top, long columnStride, long rowStride, float* v, long positionStride)
    {
        // Row stage Bᵀ d, row by row of the result (d0 − d2, d1 + d2, d2 − d1, d1 − d3 down each column), then each row
        // (q0, q1, q2, q3) → q0 − q2, q1 + q2, q2 − q1, q1 − q3.
        float* r0 = top, r1 = top + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
        long c1 = columnStride, c2 = 2 * columnStride, c3 = 3 * columnStride;
        Vector512<float> d00 = Vector512.Load(r0), d01 = Vector512.Load(r0 + c1), d02 = Vector512.Load(r0 + c2), d03 = Vector512.Load(r0 + c3);
        Vector512<float> d10 = Vector512.Load(r1), d11 = Vector512.Load(r1 + c1), d12 = Vector512.Load(r1 + c2), d13 = Vector512.Load(r1 + c3);
        Vector512<float> d20 = Vector512.Load(r2), d21 = Vector512.Load(r2 + c1), d22 = Vector512.Load(r2 + c2), d23 = Vector512.Load(r2 + c3);
        Vector512<float> d30 = Vector512.Load(r3), d31 = Vector512.Load(r3 + c1), d32 = Vector512.Load(r3 + c2), d33 = Vector512.Load(r3 + c3);
        Columns(d00 - d20, d01 - d21, d02 - d22, d03 - d23, v, positionStride);
        Columns(d10 + d20, d11 + d21, d12 + d22, d13 + d23, v + 4 * positionStride, positionStride);
        Columns(d20 - d10, d21 - d11, d22 - d12, d23 - d13, v + 8 * positionStride, positionStride);
        Columns(d10 - d30, d11 - d31, d12 - d32, d13 - d33, v + 12 * positionStride, positionStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector512<float> q0, Vector512<float> q1, Vector512<float> q2, Vector512<float> q3, float* p, long stride)
    {
        (q0 - q2).Store(p);
        (q1 + q2).Store(p + stride);
        (q2 - q1).Store(p + 2 * stride);
        (q1 - q3).Store(p + 3 * stride);
    }

    /// <summary>m[s·mStride + j] = Σ_c v[s·vStride + c] · u[c·uStride + j] for 6 tiles s and 64 filters j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product64(float* u, long uStride, float* v, int vStride, int channels, float* m, int mStride)
    {
        float* v0 = v, v1 = v0 + vStride, v2 = v1 + vStride, v3 = v2 + vStride, v4 = v3 + vStride, v5 = v4 + vStride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        for (int c = 0; c < channels; c++, u += uStride)
        {
            Vector512<float> w0 = Vector512.Load(u), w1 = Vector512.Load(u + Lanes), w2 = Vector512.Load(u + 2 * Lanes), w3 = Vector512.Load(u + 3 * Lanes);
            Vector512<float> x = Vector512.Create(v0[c]);
            a0 = Avx512F.FusedMultiplyAdd(w0, x, a0); b0 = Avx512F.FusedMultiplyAdd(w1, x, b0);
            c0 = Avx512F.FusedMultiplyAdd(w2, x, c0); d0 = Avx512F.FusedMultiplyAdd(w3, x, d0);
            x = Vector512.Create(v1[c]);
            a1 = Avx512F.FusedMultiplyAdd(w0, x, a1); b1 = Avx512F.FusedMultiplyAdd(w1, x, b1);
            c1 = Avx512F.FusedMultiplyAdd(w2, x, c1); d1 = Avx512F.FusedMultiplyAdd(w3, x, d1);
            x = Vector512.Create(v2[c]);
            a2 = Avx512F.FusedMultiplyAdd(w0, x, a2); b2 = Avx512F.FusedMultiplyAdd(w1, x, b2);
            c2 = Avx512F.FusedMultiplyAdd(w2, x, c2); d2 = Avx512F.FusedMultiplyAdd(w3, x, d2);
            x = Vector512.Create(v3[c]);
            a3 = Avx512F.FusedMultiplyAdd(w0, x, a3); b3 = Avx512F.FusedMultiplyAdd(w1, x, b3);
            c3 = Avx512F.FusedMultiplyAdd(w2, x, c3); d3 = Avx512F.FusedMultiplyAdd(w3, x, d3);
            x = Vector512.Create(v4[c]);
            a4 = Avx512F.FusedMultiplyAdd(w0, x, a4); b4 = Avx512F.FusedMultiplyAdd(w1, x, b4);
            c4 = Avx512F.FusedMultiplyAdd(w2, x, c4); d4 = Avx512F.FusedMultiplyAdd(w3, x, d4);
            x = Vector512.Create(v5[c]);
            a5 = Avx512F.FusedMultiplyAdd(w0, x, a5); b5 = Avx512F.FusedMultiplyAdd(w1, x, b5);
            c5 = Avx512F.FusedMultiplyAdd(w2, x, c5); d5 = Avx512F.FusedMultiplyAdd(w3, x, d5);
        }
        Store4(a0, b0, c0, d0, m);
        Store4(a1, b1, c1, d1, m + mStride);
        Store4(a2, b2, c2, d2, m + 2 * mStride);
        Store4(a3, b3, c3, d3, m + 3 * mStride);
        Store4(a4, b4, c4, d4, m + 4 * mStride);
        Store4(a5, b5, c5, d5, m + 5 * mStride);
    }

    /// <summary><see cref="Product64"/> for 32 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product32(float* u, long uStride, float* v, int vStride, int channels, float* m, int mStride)
    {
        float* v0 = v, v1 = v0 + vStride, v2 = v1 + vStride, v3 = v2 + vStride, v4 = v3 + vStride, v5 = v4 + vStride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        for (int c = 0; c < channels; c++, u += uStride)
        {
            Vector512<float> w0 = Vector512.Load(u), w1 = Vector512.Load(u + Lanes);
            Vector512<float> x = Vector512.Create(v0[c]);
            a0 = Avx512F.FusedMultiplyAdd(w0, x, a0); b0 = Avx512F.FusedMultiplyAdd(w1, x, b0);
            x = Vector512.Create(v1[c]);
            a1 = Avx512F.FusedMultiplyAdd(w0, x, a1); b1 = Avx512F.FusedMultiplyAdd(w1, x, b1);
            x = Vector512.Create(v2[c]);
            a2 = Avx512F.FusedMultiplyAdd(w0, x, a2); b2 = Avx512F.FusedMultiplyAdd(w1, x, b2);
            x = Vector512.Create(v3[c]);
            a3 = Avx512F.FusedMultiplyAdd(w0, x, a3); b3 = Avx512F.FusedMultiplyAdd(w1, x, b3);
            x = Vector512.Create(v4[c]);
            a4 = Avx512F.FusedMultiplyAdd(w0, x, a4); b4 = Avx512F.FusedMultiplyAdd(w1, x, b4);
            x = Vector512.Create(v5[c]);
            a5 = Avx512F.FusedMultiplyAdd(w0, x, a5); b5 = Avx512F.FusedMultiplyAdd(w1, x, b5);
        }
        a0.Store(m); b0.Store(m + Lanes);
        a1.Store(m + mStride); b1.Store(m + mStride + Lanes);
        a2.Store(m + 2 * mStride); b2.Store(m + 2 * mStride + Lanes);
        a3.Store(m + 3 * mStride); b3.Store(m + 3 * mStride + Lanes);
        a4.Store(m + 4 * mStride); b4.Store(m + 4 * mStride + Lanes);
        a5.Store(m + 5 * mStride); b5.Store(m + 5 * mStride + Lanes);
    }

    /// <summary><see cref="Product64"/> for 16 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product16(float* u, long uStride, float* v, int vStride, int channels, float* m, int mStride)
    {
        float* v0 = v, v1 = v0 + vStride, v2 = v1 + vStride, v3 = v2 + vStride, v4 = v3 + vStride, v5 = v4 + vStride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        for (int c = 0; c < channels; c++, u += uStride)
        {
            Vector512<float> w0 = Vector512.Load(u);
            a0 = Avx512F.FusedMultiplyAdd(w0, Vector512.Create(v0[c]), a0);
            a1 = Avx512F.FusedMultiplyAdd(w0, Vector512.Create(v1[c]), a1);
            a2 = Avx512F.FusedMultiplyAdd(w0, Vector512.Create(v2[c]), a2);
            a3 = Avx512F.FusedMultiplyAdd(w0, Vector512.Create(v3[c]), a3);
            a4 = Avx512F.FusedMultiplyAdd(w0, Vector512.Create(v4[c]), a4);
            a5 = Avx512F.FusedMultiplyAdd(w0, Vector512.Create(v5[c]), a5);
        }
        a0.Store(m);
        a1.Store(m + mStride);
        a2.Store(m + 2 * mStride);
        a3.Store(m + 3 * mStride);
        a4.Store(m + 4 * mStride);
        a5.Store(m + 5 * mStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, float* destination)
    {
        a.Store(destination);
        b.Store(destination + Lanes);
        c.Store(destination + 2 * Lanes);
        d.Store(destination + 3 * Lanes);
    }

    /// <summary>
    /// One tile's 2x2 outputs Aᵀ M A + b for <paramref name="count"/> (≤ 16) filters: M[ξ] = m[ξ·positionStride .. + 16],
    /// filter j's outputs to output + j·plane (right column if edges has bit 1, row below if bit 2), through ReLU when
    /// <paramref name="relu"/>; with <paramref name="activated"/> set, Z to output and ReLU(Z) to activated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTile(float* m, long positionStride, float* biases, int count, float* output, float* activated, long plane,
        int outputWidth, int edges, bool relu, float* work)
    {
        Vector512<float> m00 = Vector512.Load(m), m01 = Vector512.Load(m + positionStride), m02 = Vector512.Load(m + 2 * positionStride), m03 = Vector512.Load(m + 3 * positionStride);
        Vector512<float> m10 = Vector512.Load(m + 4 * positionStride), m11 = Vector512.Load(m + 5 * positionStride), m12 = Vector512.Load(m + 6 * positionStride), m13 = Vector512.Load(m + 7 * positionStride);
        Vector512<float> m20 = Vector512.Load(m + 8 * positionStride), m21 = Vector512.Load(m + 9 * positionStride), m22 = Vector512.Load(m + 10 * positionStride), m23 = Vector512.Load(m + 11 * positionStride);
        Vector512<float> m30 = Vector512.Load(m + 12 * positionStride), m31 = Vector512.Load(m + 13 * positionStride), m32 = Vector512.Load(m + 14 * positionStride), m33 = Vector512.Load(m + 15 * positionStride);
        Vector512<float> s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
        Vector512<float> s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
        Vector512<float> bias = Vector512.Load(biases);
        bool fused = relu && activated == null;
        Conv2dDirect.Finish(s00 + s01 + s02 + bias, fused).Store(work);
        Conv2dDirect.Finish(s01 - s02 - s03 + bias, fused).Store(work + Lanes);
        Conv2dDirect.Finish(s10 + s11 + s12 + bias, fused).Store(work + 2 * Lanes);
        Conv2dDirect.Finish(s11 - s12 - s13 + bias, fused).Store(work + 3 * Lanes);
        Scatter(work, count, output, plane, outputWidth, edges);
        if (activated == null) return;
        for (int k = 0; k < 4; k++) Conv2dDirect.Finish(Vector512.Load(work + k * Lanes), true).Store(work + k * Lanes);
        Scatter(work, count, activated, plane, outputWidth, edges);
    }

    /// <summary>work[k·16 + j] (k = 2·row + column of the tile) to output + j·plane + row·outputWidth + column, j &lt; count,
    /// the columns and rows that edges allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scatter(float* work, int count, float* output, long plane, int outputWidth, int edges)
    {
        if (edges == 3)
        {
            for (int j = 0; j < count; j++, output += plane)
            {
                output[0] = work[j];
                output[1] = work[Lanes + j];
                output[outputWidth] = work[2 * Lanes + j];
                output[outputWidth + 1] = work[3 * Lanes + j];
            }
            return;
        }
        for (int j = 0; j < count; j++, output += plane)
        {
            output[0] = work[j];
            if ((edges & 1) != 0) output[1] = work[Lanes + j];
            if ((edges & 2) == 0) continue;
            output[outputWidth] = work[2 * Lanes + j];
            if ((edges & 1) != 0) output[outputWidth + 1] = work[3 * Lanes + j];
        }
    }

    /// <summary>q[ξ·positionStride] = (A z Aᵀ)[ξ] for 16 filters, z[r][q] at top + r·rowStride + q·columnStride (2x2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientTile(float* top, long columnStride, long rowStride, float* q, long positionStride)
    {
        Vector512<float> z00 = Vector512.Load(top), z01 = Vector512.Load(top + columnStride);
        Vector512<float> z10 = Vector512.Load(top + rowStride), z11 = Vector512.Load(top + rowStride + columnStride);
        // Rows of A z: z0, z0 + z1, z0 − z1, −z1; then each row (a, b) → a, a + b, a − b, −b.
        Row(z00, z01, q, positionStride);
        Row(z00 + z10, z01 + z11, q + 4 * positionStride, positionStride);
        Row(z00 - z10, z01 - z11, q + 8 * positionStride, positionStride);
        Row(-z10, -z11, q + 12 * positionStride, positionStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(Vector512<float> a, Vector512<float> b, float* p, long stride)
    {
        a.Store(p);
        (a + b).Store(p + stride);
        (a - b).Store(p + 2 * stride);
        (-b).Store(p + 3 * stride);
    }

    /// <summary>r[k·rStride + j] += Σ_t v[t·vStride + k] · q[t·qStride + j] for 4 channels k and 64 filters j, t in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate4x64(float* v, int vStride, float* q, int qStride, int tiles, float* r, int rStride)
    {
        float* r1 = r + rStride, r2 = r1 + rStride, r3 = r2 + rStride;
        Vector512<float> a0 = Vector512.Load(r), b0 = Vector512.Load(r + Lanes), c0 = Vector512.Load(r + 2 * Lanes), d0 = Vector512.Load(r + 3 * Lanes);
        Vector512<float> a1 = Vector512.Load(r1), b1 = Vector512.Load(r1 + Lanes), c1 = Vector512.Load(r1 + 2 * Lanes), d1 = Vector512.Load(r1 + 3 * Lanes);
        Vector512<float> a2 = Vector512.Load(r2), b2 = Vector512.Load(r2 + Lanes), c2 = Vector512.Load(r2 + 2 * Lanes), d2 = Vector512.Load(r2 + 3 * Lanes);
        Vector512<float> a3 = Vector512.Load(r3), b3 = Vector512.Load(r3 + Lanes), c3 = Vector512.Load(r3 + 2 * Lanes), d3 = Vector512.Load(r3 + 3 * Lanes);
        for (int t = 0; t < tiles; t++, v += vStride, q += qStride)
        {
            Vector512<float> g0 = Vector512.Load(q), g1 = Vector512.Load(q + Lanes), g2 = Vector512.Load(q + 2 * Lanes), g3 = Vector512.Load(q + 3 * Lanes);
            Vector512<float> x = Vector512.Create(v[0]);
            a0 = Avx512F.FusedMultiplyAdd(g0, x, a0); b0 = Avx512F.FusedMultiplyAdd(g1, x, b0);
            c0 = Avx512F.FusedMultiplyAdd(g2, x, c0); d0 = Avx512F.FusedMultiplyAdd(g3, x, d0);
            x = Vector512.Create(v[1]);
            a1 = Avx512F.FusedMultiplyAdd(g0, x, a1); b1 = Avx512F.FusedMultiplyAdd(g1, x, b1);
            c1 = Avx512F.FusedMultiplyAdd(g2, x, c1); d1 = Avx512F.FusedMultiplyAdd(g3, x, d1);
            x = Vector512.Create(v[2]);
            a2 = Avx512F.FusedMultiplyAdd(g0, x, a2); b2 = Avx512F.FusedMultiplyAdd(g1, x, b2);
            c2 = Avx512F.FusedMultiplyAdd(g2, x, c2); d2 = Avx512F.FusedMultiplyAdd(g3, x, d2);
            x = Vector512.Create(v[3]);
            a3 = Avx512F.FusedMultiplyAdd(g0, x, a3); b3 = Avx512F.FusedMultiplyAdd(g1, x, b3);
            c3 = Avx512F.FusedMultiplyAdd(g2, x, c3); d3 = Avx512F.FusedMultiplyAdd(g3, x, d3);
        }
        Store4(a0, b0, c0, d0, r);
        Store4(a1, b1, c1, d1, r1);
        Store4(a2, b2, c2, d2, r2);
        Store4(a3, b3, c3, d3, r3);
    }

    /// <summary><see cref="Accumulate4x64"/> for 8 channels and 32 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate8x32(float* v, int vStride, float* q, int qStride, int tiles, float* r, int rStride)
    {
        float* r1 = r + rStride, r2 = r1 + rStride, r3 = r2 + rStride, r4 = r3 + rStride, r5 = r4 + rStride, r6 = r5 + rStride, r7 = r6 + rStride;
        Vector512<float> a0 = Vector512.Load(r), b0 = Vector512.Load(r + Lanes), a1 = Vector512.Load(r1), b1 = Vector512.Load(r1 + Lanes);
        Vector512<float> a2 = Vector512.Load(r2), b2 = Vector512.Load(r2 + Lanes), a3 = Vector512.Load(r3), b3 = Vector512.Load(r3 + Lanes);
        Vector512<float> a4 = Vector512.Load(r4), b4 = Vector512.Load(r4 + Lanes), a5 = Vector512.Load(r5), b5 = Vector512.Load(r5 + Lanes);
        Vector512<float> a6 = Vector512.Load(r6), b6 = Vector512.Load(r6 + Lanes), a7 = Vector512.Load(r7), b7 = Vector512.Load(r7 + Lanes);
        for (int t = 0; t < tiles; t++, v += vStride, q += qStride)
        {
            Vector512<float> g0 = Vector512.Load(q), g1 = Vector512.Load(q + Lanes);
            Vector512<float> x = Vector512.Create(v[0]);
            a0 = Avx512F.FusedMultiplyAdd(g0, x, a0); b0 = Avx512F.FusedMultiplyAdd(g1, x, b0);
            x = Vector512.Create(v[1]);
            a1 = Avx512F.FusedMultiplyAdd(g0, x, a1); b1 = Avx512F.FusedMultiplyAdd(g1, x, b1);
            x = Vector512.Create(v[2]);
            a2 = Avx512F.FusedMultiplyAdd(g0, x, a2); b2 = Avx512F.FusedMultiplyAdd(g1, x, b2);
            x = Vector512.Create(v[3]);
            a3 = Avx512F.FusedMultiplyAdd(g0, x, a3); b3 = Avx512F.FusedMultiplyAdd(g1, x, b3);
            x = Vector512.Create(v[4]);
            a4 = Avx512F.FusedMultiplyAdd(g0, x, a4); b4 = Avx512F.FusedMultiplyAdd(g1, x, b4);
            x = Vector512.Create(v[5]);
            a5 = Avx512F.FusedMultiplyAdd(g0, x, a5); b5 = Avx512F.FusedMultiplyAdd(g1, x, b5);
            x = Vector512.Create(v[6]);
            a6 = Avx512F.FusedMultiplyAdd(g0, x, a6); b6 = Avx512F.FusedMultiplyAdd(g1, x, b6);
            x = Vector512.Create(v[7]);
            a7 = Avx512F.FusedMultiplyAdd(g0, x, a7); b7 = Avx512F.FusedMultiplyAdd(g1, x, b7);
        }
        a0.Store(r); b0.Store(r + Lanes); a1.Store(r1); b1.Store(r1 + Lanes);
        a2.Store(r2); b2.Store(r2 + Lanes); a3.Store(r3); b3.Store(r3 + Lanes);
        a4.Store(r4); b4.Store(r4 + Lanes); a5.Store(r5); b5.Store(r5 + Lanes);
        a6.Store(r6); b6.Store(r6 + Lanes); a7.Store(r7); b7.Store(r7 + Lanes);
    }

    /// <summary><see cref="Accumulate4x64"/> for 8 channels and 16 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate8x16(float* v, int vStride, float* q, int qStride, int tiles, float* r, int rStride)
    {
        float* r1 = r + rStride, r2 = r1 + rStride, r3 = r2 + rStride, r4 = r3 + rStride, r5 = r4 + rStride, r6 = r5 + rStride, r7 = r6 + rStride;
        Vector512<float> a0 = Vector512.Load(r), a1 = Vector512.Load(r1), a2 = Vector512.Load(r2), a3 = Vector512.Load(r3);
        Vector512<float> a4 = Vector512.Load(r4), a5 = Vector512.Load(r5), a6 = Vector512.Load(r6), a7 = Vector512.Load(r7);
        for (int t = 0; t < tiles; t++, v += vStride, q += qStride)
        {
            Vector512<float> g0 = Vector512.Load(q);
            a0 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[0]), a0);
            a1 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[1]), a1);
            a2 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[2]), a2);
            a3 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[3]), a3);
            a4 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[4]), a4);
            a5 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[5]), a5);
            a6 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[6]), a6);
            a7 = Avx512F.FusedMultiplyAdd(g0, Vector512.Create(v[7]), a7);
        }
        a0.Store(r); a1.Store(r1); a2.Store(r2); a3.Store(r3);
        a4.Store(r4); a5.Store(r5); a6.Store(r6); a7.Store(r7);
    }
}
