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
///   product  M[ξ][t][f]  [16 x T' x F'] = Σ_c V[ξ][t][c] · U[ξ][c][f], register tiles of 64 filters (4 vectors) x 6
///            tiles (24 accumulators), one fused multiply-add chain over c in order from zero
///   outputs  Y[i, f, tile] = Aᵀ M[·][t][f] A + b[f] over 16 filters per vector (clipped at the right and bottom edges)
/// The weight gradient keeps the layouts: dZ of an image as D[oy][ox][f] [2TH x 2TW x F'] (zero beyond the outputs), its
/// tiles Q[ξ][t][f] = (A dz Aᵀ)[ξ], R[ξ][c][f] [16 x C' x F'] += V[ξ][t][c] · Q[ξ][t][f] (register tiles of 4 channels x 64
/// filters or 8 x 32, 8 x 16; one chain per element over the images and tiles in order), dW[f, c] = Gᵀ R[·][c][f] G.
/// The input gradient is the forward of <see cref="DataShape"/> (dZ padded by 2 − pad, the filters turned by 180° with
/// channels and filters swapped, no bias).
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

    /// <summary>Whether the Winograd forward, weight gradient and input gradient of a shape that <see cref="Conv2dWinograd"/>
    /// takes run here: AVX-512 (the other instruction sets keep the packed-GEMM route and the direct input gradient).</summary>
    internal static bool Applies(InstructionSet path) => path == InstructionSet.Avx512 && Avx512F.IsSupported;

    private static int Round16(int n) => (n + Lanes - 1) & ~(Lanes - 1);

    /// <summary>The scratch of one call, by part (floats).</summary>
    private readonly struct Layout
    {
        public readonly int Channels, Filters, TilesHigh, TilesWide, Tiles, PaddedTiles, PlaneHigh, PlaneWide, StagingWide;

        /// <summary>Floats from U[ξ] (or R[ξ]) to U[ξ + 1]: C'·F' and one vector more, so the 16 positions of a filter
        /// are not a power of two apart (at 8 KB apart all 16 stores of a filter transform fell into one L1 set).</summary>
        public readonly long PositionWeights;
        public readonly float* Weights, Biases, Plane, Inputs, Products, Gradient, GradientTiles, Staging, FilterStaging, Work;

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
            StagingWide = Round16(2 * TilesWide);
            Weights = scratch;
            PositionWeights = (long)Channels * Filters + Lanes;
            Biases = Weights + Positions * PositionWeights;
            Plane = Biases + Filters;
            Inputs = Plane + (long)PlaneHigh * PlaneWide * Channels;
            Products = Inputs + (long)Positions * PaddedTiles * Channels;
            Gradient = Products + (long)Positions * PaddedTiles * Filters;
            GradientTiles = Gradient + 4L * Tiles * Filters;
            Staging = GradientTiles + (long)Positions * Tiles * Filters;
            FilterStaging = Staging + 2L * StagingWide * Lanes;
            Work = FilterStaging + 9L * Channels * Lanes;
        }

        public long End => Work + Lanes - Weights;
    }

    /// <summary>Scratch floats of <see cref="Forward"/> and <see cref="WeightGradient"/> for <paramref name="shape"/> (of
    /// <see cref="InputGradient"/> for the shape whose <see cref="DataShape"/> it is).</summary>
    internal static long ScratchFloats(in Conv2dShape shape) => new Layout(null, shape).End;

    /// <summary>Y = W ⊛ X + b (through ReLU when <paramref name="relu"/>); with <paramref name="activated"/> set, Z into
    /// <paramref name="output"/> and ReLU(Z) into activated. Arguments as <see cref="Conv2dWinograd.Forward"/>'s.</summary>
    internal static void Forward(float* input, float* weights, float* biases, in Conv2dShape shape, float* output, float* activated,
        float* scratch, int rows, bool relu) =>
        Run(input, weights, biases, shape, output, activated, scratch, rows, relu, rotated: false);

    /// <summary>The shape whose forward is the input gradient of <paramref name="shape"/>: dZ [F x OH x OW] in, padded by
    /// 2 − PadTop, 2 − PadLeft (a full correlation), C filters, dX [C x H x W] out.</summary>
    internal static Conv2dShape DataShape(in Conv2dShape shape) =>
        new(shape.Filters, shape.OutputHeight, shape.OutputWidth, shape.Channels, 3, 1, 2 - shape.PadTop, 2 - shape.PadLeft, shape.Height, shape.Width);

    /// <summary>dX = dZ ⊛ W rotated by 180° with channels and filters swapped (W'[c, f, ky, kx] = W[f, c, 2 − ky, 2 − kx]),
    /// through the forward's Winograd tiles on <see cref="DataShape"/>: fewer multiplies than the im2col GEMM's 9·F·C per
    /// input pixel (16·F·C per 2x2 tile of dX).</summary>
    /// <param name="outputGradient">dZ [B x F x OH x OW].</param>
    /// <param name="weights">W [F x C x 3 x 3].</param>
    /// <param name="inputGradient">dX [B x C x H x W], overwritten.</param>
    internal static void InputGradient(float* outputGradient, float* weights, in Conv2dShape shape, float* inputGradient, float* scratch, int rows) =>
        Run(outputGradient, weights, null, DataShape(shape), inputGradient, null, scratch, rows, relu: false, rotated: true);

    /// <summary>The forward of <paramref name="shape"/>; with <paramref name="rotated"/>, W is read as the rotated and
    /// transposed filters of <see cref="InputGradient"/>; no biases when <paramref name="biases"/> is null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(float* input, float* weights, float* biases, in Conv2dShape shape, float* output, float* activated,
        float* scratch, int rows, bool relu, bool rotated)
    {
        var layout = new Layout(scratch, shape);
        int channels = shape.Channels, filters = shape.Filters, fp = layout.Filters, cp = layout.Channels;
        long positionWeights = layout.PositionWeights;
        float* u = layout.Weights;
        TransformFilters(weights, filters, channels, u, fp, positionWeights, rotated, layout.FilterStaging, layout.Work);
        for (int f = 0; f < fp; f++) layout.Biases[f] = f < filters && biases != null ? biases[f] : 0f;
        Prepare(layout);

        float* m = layout.Products;
        for (int i = 0; i < rows; i++)
        {
            TransformImage(input + (long)i * shape.InputSize, input + (long)rows * shape.InputSize, shape, layout);
            float* image = output + (long)i * shape.OutputSize;
            float* imageActivated = activated == null ? null : activated + (long)i * shape.OutputSize;
            // Position by position, so U[ξ] stays in L1 over the image's tiles.
            for (int position = 0; position < Positions; position++)
            {
                float* up = u + position * positionWeights;
                for (int t0 = 0; t0 < layout.Tiles; t0 += Slots)
                {
                    float* vp = layout.Inputs + ((long)position * layout.PaddedTiles + t0) * cp;
                    float* mp = m + ((long)position * layout.PaddedTiles + t0) * fp;
                    int f0 = 0;
                    for (; f0 + 4 * Lanes <= fp; f0 += 4 * Lanes) Product64(up + f0, fp, vp, cp, channels, mp + f0, fp);
                    if (f0 + 2 * Lanes <= fp)
                    {
                        Product32(up + f0, fp, vp, cp, channels, mp + f0, fp);
                        f0 += 2 * Lanes;
                    }
                    if (f0 < fp) Product16(up + f0, fp, vp, cp, channels, mp + f0, fp);
                }
            }
            // Tile row by tile row and 16 filters at a time: the outputs of the row's tiles as pixel vectors in the staging
            // rows S[r][x][16], then each output row transposed to filter rows and stored whole.
            float* staging = layout.Staging;
            long stagingRow = (long)layout.StagingWide * Lanes;
            for (int ty = 0; ty < layout.TilesHigh; ty++)
                for (int f0 = 0; f0 < filters; f0 += Lanes)
                {
                    float* mp = m + (long)ty * layout.TilesWide * fp + f0;
                    for (int tx = 0; tx < layout.TilesWide; tx++)
                        OutputTile(mp + (long)tx * fp, (long)layout.PaddedTiles * fp, layout.Biases + f0, relu && activated == null,
                            staging + 2 * tx * Lanes, stagingRow);
                    int count = Math.Min(Lanes, filters - f0);
                    for (int r = 0; r < 2 && 2 * ty + r < shape.OutputHeight; r++)
                    {
                        long offset = (long)f0 * shape.OutputPixels + (long)(2 * ty + r) * shape.OutputWidth;
                        for (int x0 = 0; x0 < shape.OutputWidth; x0 += Lanes)
                            TransposeStore(staging + r * stagingRow + x0 * Lanes, count, Math.Min(Lanes, shape.OutputWidth - x0), image + offset + x0,
                                imageActivated == null ? null : imageActivated + offset + x0, shape.OutputPixels);
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
        long positionWeights = layout.PositionWeights;
        float* r = layout.Weights;
        new Span<float>(r, (int)(Positions * positionWeights)).Clear();
        Prepare(layout);
        new Span<float>(layout.Gradient, 4 * tiles * fp).Clear();
        int gradientWide = 2 * layout.TilesWide;
        float* gradientEnd = outputGradient + (long)rows * shape.OutputSize;
        for (int i = 0; i < rows; i++)
        {
            TransformImage(input + (long)i * shape.InputSize, input + (long)rows * shape.InputSize, shape, layout);
            // D[oy][ox][f] = dZ[i, f, oy, ox]; beyond the outputs and filters it stays zero.
            float* dz = outputGradient + (long)i * shape.OutputSize;
            for (int oy = 0; oy < shape.OutputHeight; oy++)
                for (int f0 = 0; f0 < filters; f0 += Lanes)
                    for (int x0 = 0; x0 < shape.OutputWidth; x0 += Lanes)
                        TransposeLoad(dz + (long)f0 * shape.OutputPixels + (long)oy * shape.OutputWidth + x0, shape.OutputPixels, Math.Min(Lanes, filters - f0),
                            gradientEnd, Math.Min(Lanes, shape.OutputWidth - x0), layout.Gradient + ((long)oy * gradientWide + x0) * fp + f0, fp, layout.Work);
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

    /// <summary>
    /// The 16x16 block rows[k·rowStride + q] (k &lt; <paramref name="count"/>, q &lt; 16; rows k ≥ count read as zero, and
    /// values at or past <paramref name="end"/> too) transposed in registers: destination[q·columnStride + k] for q &lt;
    /// <paramref name="valid"/>, 16 values each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeLoad(float* rows, long rowStride, int count, float* end, int valid, float* destination, long columnStride, float* work)
    {
        Vector512<float> r0 = Row(rows + 0 * rowStride, 0 < count, end, work); Vector512<float> r1 = Row(rows + 1 * rowStride, 1 < count, end, work); Vector512<float> r2 = Row(rows + 2 * rowStride, 2 < count, end, work); Vector512<float> r3 = Row(rows + 3 * rowStride, 3 < count, end, work); Vector512<float> r4 = Row(rows + 4 * rowStride, 4 < count, end, work); Vector512<float> r5 = Row(rows + 5 * rowStride, 5 < count, end, work); Vector512<float> r6 = Row(rows + 6 * rowStride, 6 < count, end, work); Vector512<float> r7 = Row(rows + 7 * rowStride, 7 < count, end, work); Vector512<float> r8 = Row(rows + 8 * rowStride, 8 < count, end, work); Vector512<float> r9 = Row(rows + 9 * rowStride, 9 < count, end, work); Vector512<float> r10 = Row(rows + 10 * rowStride, 10 < count, end, work); Vector512<float> r11 = Row(rows + 11 * rowStride, 11 < count, end, work); Vector512<float> r12 = Row(rows + 12 * rowStride, 12 < count, end, work); Vector512<float> r13 = Row(rows + 13 * rowStride, 13 < count, end, work); Vector512<float> r14 = Row(rows + 14 * rowStride, 14 < count, end, work); Vector512<float> r15 = Row(rows + 15 * rowStride, 15 < count, end, work);
        Vector512<float> t;
        Vector512<int> lo8 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        Vector512<int> hi8 = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo8, r8); r8 = Avx512F.PermuteVar16x32x2(r0, hi8, r8); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r1, lo8, r9); r9 = Avx512F.PermuteVar16x32x2(r1, hi8, r9); r1 = t;
        t = Avx512F.PermuteVar16x32x2(r2, lo8, r10); r10 = Avx512F.PermuteVar16x32x2(r2, hi8, r10); r2 = t;
        t = Avx512F.PermuteVar16x32x2(r3, lo8, r11); r11 = Avx512F.PermuteVar16x32x2(r3, hi8, r11); r3 = t;
        t = Avx512F.PermuteVar16x32x2(r4, lo8, r12); r12 = Avx512F.PermuteVar16x32x2(r4, hi8, r12); r4 = t;
        t = Avx512F.PermuteVar16x32x2(r5, lo8, r13); r13 = Avx512F.PermuteVar16x32x2(r5, hi8, r13); r5 = t;
        t = Avx512F.PermuteVar16x32x2(r6, lo8, r14); r14 = Avx512F.PermuteVar16x32x2(r6, hi8, r14); r6 = t;
        t = Avx512F.PermuteVar16x32x2(r7, lo8, r15); r15 = Avx512F.PermuteVar16x32x2(r7, hi8, r15); r7 = t;
        Vector512<int> lo4 = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
        Vector512<int> hi4 = Vector512.Create(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo4, r4); r4 = Avx512F.PermuteVar16x32x2(r0, hi4, r4); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r1, lo4, r5); r5 = Avx512F.PermuteVar16x32x2(r1, hi4, r5); r1 = t;
        t = Avx512F.PermuteVar16x32x2(r2, lo4, r6); r6 = Avx512F.PermuteVar16x32x2(r2, hi4, r6); r2 = t;
        t = Avx512F.PermuteVar16x32x2(r3, lo4, r7); r7 = Avx512F.PermuteVar16x32x2(r3, hi4, r7); r3 = t;
        t = Avx512F.PermuteVar16x32x2(r8, lo4, r12); r12 = Avx512F.PermuteVar16x32x2(r8, hi4, r12); r8 = t;
        t = Avx512F.PermuteVar16x32x2(r9, lo4, r13); r13 = Avx512F.PermuteVar16x32x2(r9, hi4, r13); r9 = t;
        t = Avx512F.PermuteVar16x32x2(r10, lo4, r14); r14 = Avx512F.PermuteVar16x32x2(r10, hi4, r14); r10 = t;
        t = Avx512F.PermuteVar16x32x2(r11, lo4, r15); r15 = Avx512F.PermuteVar16x32x2(r11, hi4, r15); r11 = t;
        Vector512<int> lo2 = Vector512.Create(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
        Vector512<int> hi2 = Vector512.Create(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo2, r2); r2 = Avx512F.PermuteVar16x32x2(r0, hi2, r2); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r1, lo2, r3); r3 = Avx512F.PermuteVar16x32x2(r1, hi2, r3); r1 = t;
        t = Avx512F.PermuteVar16x32x2(r4, lo2, r6); r6 = Avx512F.PermuteVar16x32x2(r4, hi2, r6); r4 = t;
        t = Avx512F.PermuteVar16x32x2(r5, lo2, r7); r7 = Avx512F.PermuteVar16x32x2(r5, hi2, r7); r5 = t;
        t = Avx512F.PermuteVar16x32x2(r8, lo2, r10); r10 = Avx512F.PermuteVar16x32x2(r8, hi2, r10); r8 = t;
        t = Avx512F.PermuteVar16x32x2(r9, lo2, r11); r11 = Avx512F.PermuteVar16x32x2(r9, hi2, r11); r9 = t;
        t = Avx512F.PermuteVar16x32x2(r12, lo2, r14); r14 = Avx512F.PermuteVar16x32x2(r12, hi2, r14); r12 = t;
        t = Avx512F.PermuteVar16x32x2(r13, lo2, r15); r15 = Avx512F.PermuteVar16x32x2(r13, hi2, r15); r13 = t;
        Vector512<int> lo1 = Vector512.Create(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        Vector512<int> hi1 = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo1, r1); r1 = Avx512F.PermuteVar16x32x2(r0, hi1, r1); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r2, lo1, r3); r3 = Avx512F.PermuteVar16x32x2(r2, hi1, r3); r2 = t;
        t = Avx512F.PermuteVar16x32x2(r4, lo1, r5); r5 = Avx512F.PermuteVar16x32x2(r4, hi1, r5); r4 = t;
        t = Avx512F.PermuteVar16x32x2(r6, lo1, r7); r7 = Avx512F.PermuteVar16x32x2(r6, hi1, r7); r6 = t;
        t = Avx512F.PermuteVar16x32x2(r8, lo1, r9); r9 = Avx512F.PermuteVar16x32x2(r8, hi1, r9); r8 = t;
        t = Avx512F.PermuteVar16x32x2(r10, lo1, r11); r11 = Avx512F.PermuteVar16x32x2(r10, hi1, r11); r10 = t;
        t = Avx512F.PermuteVar16x32x2(r12, lo1, r13); r13 = Avx512F.PermuteVar16x32x2(r12, hi1, r13); r12 = t;
        t = Avx512F.PermuteVar16x32x2(r14, lo1, r15); r15 = Avx512F.PermuteVar16x32x2(r14, hi1, r15); r14 = t;
        r0.Store(destination);
        if (valid > 1) r1.Store(destination + 1 * columnStride);
        if (valid > 2) r2.Store(destination + 2 * columnStride);
        if (valid > 3) r3.Store(destination + 3 * columnStride);
        if (valid > 4) r4.Store(destination + 4 * columnStride);
        if (valid > 5) r5.Store(destination + 5 * columnStride);
        if (valid > 6) r6.Store(destination + 6 * columnStride);
        if (valid > 7) r7.Store(destination + 7 * columnStride);
        if (valid > 8) r8.Store(destination + 8 * columnStride);
        if (valid > 9) r9.Store(destination + 9 * columnStride);
        if (valid > 10) r10.Store(destination + 10 * columnStride);
        if (valid > 11) r11.Store(destination + 11 * columnStride);
        if (valid > 12) r12.Store(destination + 12 * columnStride);
        if (valid > 13) r13.Store(destination + 13 * columnStride);
        if (valid > 14) r14.Store(destination + 14 * columnStride);
        if (valid > 15) r15.Store(destination + 15 * columnStride);
    }

    /// <summary>16 values at p (zero when not <paramref name="present"/>; those at or past end as zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* p, bool present, float* end, float* work)
    {
        if (!present) return Vector512<float>.Zero;
        if (p + Lanes <= end) return Vector512.Load(p);
        long n = end - p;
        for (int j = 0; j < Lanes; j++) work[j] = j < n ? p[j] : 0f;
        return Vector512.Load(work);
    }

    /// <summary>Lanes k &lt; n of 8 set.</summary>
    private static Vector256<float> Mask(int n) => Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(n)).AsSingle();

    /// <summary>U[ξ][c][f] = (G W[f, c] Gᵀ)[ξ] at u[ξ·positionStride + c·fp + f] for 16 filters at a time (zeros past F), with
    /// <see cref="WinogradTransforms.Filter"/>'s operations; rows c ≥ C are left as they are. With <paramref name="rotated"/>,
    /// W[f, c] is the stored [C x F x 3 x 3] filter (c, f) turned by 180°.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformFilters(float* weights, int filters, int channels, float* u, int fp, long positionStride, bool rotated,
        float* staging, float* work)
    {
        // Unturned, the 16 filters' 9·C values are rows of W: transposed in registers into staging[(9c + k)·16 + j]
        // (zero rows past F); turned, each tap is gathered.
        int row = 9 * channels;
        float* end = weights + (long)filters * row;
        int stride = rotated ? 9 : 9 * channels, channelStride = rotated ? 9 * filters : 9;
        // Tap k of the filter at offset k, or 8 − k turned.
        int first = rotated ? 8 : 0, step = rotated ? -1 : 1;
        Vector256<int> index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * stride;
        Vector512<float> half = Vector512.Create(0.5f);
        for (int f0 = 0; f0 < fp; f0 += Lanes)
        {
            Vector256<float> low = Mask(filters - f0), high = Mask(filters - f0 - 8);
            if (!rotated)
                for (int column = 0; column < row; column += Lanes)
                    TransposeLoad(weights + (long)f0 * row + column, row, Math.Min(Lanes, filters - f0), end, Math.Min(Lanes, row - column),
                        staging + (long)column * Lanes, Lanes, work);
            for (int c = 0; c < channels; c++)
            {
                float* staged = staging + 9L * c * Lanes;
                float* g = weights + (long)f0 * stride + (long)c * channelStride + first, upper = g + 8L * stride;
                float* destination = u + (long)c * fp + f0;
                // t = G g [4 x 3] column by column, then each row of t through Gᵀ.
                Vector512<float> t00 = default, t01 = default, t02 = default, t10 = default, t11 = default, t12 = default;
                Vector512<float> t20 = default, t21 = default, t22 = default, t30 = default, t31 = default, t32 = default;
                for (int kx = 0; kx < 3; kx++)
                {
                    int k0 = step * kx, k1 = step * (3 + kx), k2 = step * (6 + kx);
                    Vector512<float> g0, g1, g2;
                    if (rotated)
                    {
                        g0 = Tap(g + k0, upper + k0, index, low, high);
                        g1 = Tap(g + k1, upper + k1, index, low, high);
                        g2 = Tap(g + k2, upper + k2, index, low, high);
                    }
                    else
                    {
                        g0 = Vector512.Load(staged + k0 * Lanes);
                        g1 = Vector512.Load(staged + k1 * Lanes);
                        g2 = Vector512.Load(staged + k2 * Lanes);
                    }
                    Vector512<float> a = half * (g0 + g1 + g2), b = half * (g0 - g1 + g2);
                    if (kx == 0) { t00 = g0; t10 = a; t20 = b; t30 = g2; }
                    else if (kx == 1) { t01 = g0; t11 = a; t21 = b; t31 = g2; }
                    else { t02 = g0; t12 = a; t22 = b; t32 = g2; }
                }
                FilterRow(t00, t01, t02, half, destination, positionStride);
                FilterRow(t10, t11, t12, half, destination + 4 * positionStride, positionStride);
                FilterRow(t20, t21, t22, half, destination + 8 * positionStride, positionStride);
                FilterRow(t30, t31, t32, half, destination + 12 * positionStride, positionStride);
            }
        }
    }

    /// <summary>Tap k of 16 filters: the first 8 at low + j·stride, the next at high + j·stride (masked lanes read nothing, zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tap(float* low, float* high, Vector256<int> index, Vector256<float> lowMask, Vector256<float> highMask) =>
        Vector512.Create(Avx2.GatherMaskVector256(Vector256<float>.Zero, low, index, lowMask, 4),
            Avx2.GatherMaskVector256(Vector256<float>.Zero, high, index, highMask, 4));

    /// <summary>One row (r0, r1, r2) of G g through Gᵀ: r0, ½(r0 + r1 + r2), ½(r0 − r1 + r2), r2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterRow(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> half, float* u, long stride)
    {
        r0.Store(u);
        (half * (r0 + r1 + r2)).Store(u + stride);
        (half * (r0 - r1 + r2)).Store(u + 2 * stride);
        r2.Store(u + 3 * stride);
    }

    /// <summary>Zeros where the transforms read but no image writes: P's frame and extra channels, V's slots past T (the
    /// forward's last register tile reads them; their products are not stored).</summary>
    private static void Prepare(in Layout layout)
    {
        new Span<float>(layout.Plane, layout.PlaneHigh * layout.PlaneWide * layout.Channels).Clear();
        int padding = (layout.PaddedTiles - layout.Tiles) * layout.Channels;
        for (int position = 0; position < Positions; position++)
            new Span<float>(layout.Inputs + ((long)position * layout.PaddedTiles + layout.Tiles) * layout.Channels, padding).Clear();
    }

    /// <summary>P of image X [C x H x W] and V of its T tiles (the lane's input ends at <paramref name="end"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformImage(float* image, float* end, in Conv2dShape shape, in Layout layout)
    {
        int cp = layout.Channels, wide = layout.PlaneWide;
        // P[y + PadTop][x + PadLeft][c0 .. c0 + 16] = X[c0 .. c0 + 16, y, x .. x + 16] transposed in registers.
        int channels = shape.Channels, pixels = shape.Height * shape.Width;
        for (int y = 0; y < shape.Height; y++)
        {
            float* destination = layout.Plane + ((long)(y + shape.PadTop) * wide + shape.PadLeft) * cp;
            for (int c0 = 0; c0 < channels; c0 += Lanes)
                for (int x0 = 0; x0 < shape.Width; x0 += Lanes)
                    TransposeLoad(image + (long)c0 * pixels + (long)y * shape.Width + x0, pixels, Math.Min(Lanes, channels - c0), end,
                        Math.Min(Lanes, shape.Width - x0), destination + (long)x0 * cp + c0, cp, layout.Work);
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

    /// <summary>One tile's 2x2 outputs Aᵀ M A + b for 16 filters, M[ξ] = m[ξ·positionStride .. + 16], through ReLU when
    /// <paramref name="relu"/>: the top row's two pixel vectors to s[0], s[16], the bottom row's to s[rowStride], s[rowStride + 16].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTile(float* m, long positionStride, float* biases, bool relu, float* s, long rowStride)
    {
        Vector512<float> m00 = Vector512.Load(m), m01 = Vector512.Load(m + positionStride), m02 = Vector512.Load(m + 2 * positionStride), m03 = Vector512.Load(m + 3 * positionStride);
        Vector512<float> m10 = Vector512.Load(m + 4 * positionStride), m11 = Vector512.Load(m + 5 * positionStride), m12 = Vector512.Load(m + 6 * positionStride), m13 = Vector512.Load(m + 7 * positionStride);
        Vector512<float> m20 = Vector512.Load(m + 8 * positionStride), m21 = Vector512.Load(m + 9 * positionStride), m22 = Vector512.Load(m + 10 * positionStride), m23 = Vector512.Load(m + 11 * positionStride);
        Vector512<float> m30 = Vector512.Load(m + 12 * positionStride), m31 = Vector512.Load(m + 13 * positionStride), m32 = Vector512.Load(m + 14 * positionStride), m33 = Vector512.Load(m + 15 * positionStride);
        Vector512<float> s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
        Vector512<float> s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
        Vector512<float> bias = Vector512.Load(biases);
        Conv2dDirect.Finish(s00 + s01 + s02 + bias, relu).Store(s);
        Conv2dDirect.Finish(s01 - s02 - s03 + bias, relu).Store(s + Lanes);
        Conv2dDirect.Finish(s10 + s11 + s12 + bias, relu).Store(s + rowStride);
        Conv2dDirect.Finish(s11 - s12 - s13 + bias, relu).Store(s + rowStride + Lanes);
    }

    /// <summary>
    /// Filter rows from pixel vectors: rows[q·16 + j] is filter j at pixel q (16 pixels). Transposes the 16x16 block in
    /// registers (four stages, each swapping one bit of the pixel and filter indices with two-source permutes), then stores
    /// filter j's first <paramref name="valid"/> pixels to output + j·plane (and ReLU of them to activated + j·plane when
    /// set), j &lt; <paramref name="count"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeStore(float* rows, int count, int valid, float* output, float* activated, long plane)
    {
        Vector512<float> r0 = Vector512.Load(rows + 0); Vector512<float> r1 = Vector512.Load(rows + 16); Vector512<float> r2 = Vector512.Load(rows + 32); Vector512<float> r3 = Vector512.Load(rows + 48); Vector512<float> r4 = Vector512.Load(rows + 64); Vector512<float> r5 = Vector512.Load(rows + 80); Vector512<float> r6 = Vector512.Load(rows + 96); Vector512<float> r7 = Vector512.Load(rows + 112); Vector512<float> r8 = Vector512.Load(rows + 128); Vector512<float> r9 = Vector512.Load(rows + 144); Vector512<float> r10 = Vector512.Load(rows + 160); Vector512<float> r11 = Vector512.Load(rows + 176); Vector512<float> r12 = Vector512.Load(rows + 192); Vector512<float> r13 = Vector512.Load(rows + 208); Vector512<float> r14 = Vector512.Load(rows + 224); Vector512<float> r15 = Vector512.Load(rows + 240);
        Vector512<float> t;
        Vector512<int> lo8 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        Vector512<int> hi8 = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo8, r8); r8 = Avx512F.PermuteVar16x32x2(r0, hi8, r8); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r1, lo8, r9); r9 = Avx512F.PermuteVar16x32x2(r1, hi8, r9); r1 = t;
        t = Avx512F.PermuteVar16x32x2(r2, lo8, r10); r10 = Avx512F.PermuteVar16x32x2(r2, hi8, r10); r2 = t;
        t = Avx512F.PermuteVar16x32x2(r3, lo8, r11); r11 = Avx512F.PermuteVar16x32x2(r3, hi8, r11); r3 = t;
        t = Avx512F.PermuteVar16x32x2(r4, lo8, r12); r12 = Avx512F.PermuteVar16x32x2(r4, hi8, r12); r4 = t;
        t = Avx512F.PermuteVar16x32x2(r5, lo8, r13); r13 = Avx512F.PermuteVar16x32x2(r5, hi8, r13); r5 = t;
        t = Avx512F.PermuteVar16x32x2(r6, lo8, r14); r14 = Avx512F.PermuteVar16x32x2(r6, hi8, r14); r6 = t;
        t = Avx512F.PermuteVar16x32x2(r7, lo8, r15); r15 = Avx512F.PermuteVar16x32x2(r7, hi8, r15); r7 = t;
        Vector512<int> lo4 = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
        Vector512<int> hi4 = Vector512.Create(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo4, r4); r4 = Avx512F.PermuteVar16x32x2(r0, hi4, r4); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r1, lo4, r5); r5 = Avx512F.PermuteVar16x32x2(r1, hi4, r5); r1 = t;
        t = Avx512F.PermuteVar16x32x2(r2, lo4, r6); r6 = Avx512F.PermuteVar16x32x2(r2, hi4, r6); r2 = t;
        t = Avx512F.PermuteVar16x32x2(r3, lo4, r7); r7 = Avx512F.PermuteVar16x32x2(r3, hi4, r7); r3 = t;
        t = Avx512F.PermuteVar16x32x2(r8, lo4, r12); r12 = Avx512F.PermuteVar16x32x2(r8, hi4, r12); r8 = t;
        t = Avx512F.PermuteVar16x32x2(r9, lo4, r13); r13 = Avx512F.PermuteVar16x32x2(r9, hi4, r13); r9 = t;
        t = Avx512F.PermuteVar16x32x2(r10, lo4, r14); r14 = Avx512F.PermuteVar16x32x2(r10, hi4, r14); r10 = t;
        t = Avx512F.PermuteVar16x32x2(r11, lo4, r15); r15 = Avx512F.PermuteVar16x32x2(r11, hi4, r15); r11 = t;
        Vector512<int> lo2 = Vector512.Create(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
        Vector512<int> hi2 = Vector512.Create(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo2, r2); r2 = Avx512F.PermuteVar16x32x2(r0, hi2, r2); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r1, lo2, r3); r3 = Avx512F.PermuteVar16x32x2(r1, hi2, r3); r1 = t;
        t = Avx512F.PermuteVar16x32x2(r4, lo2, r6); r6 = Avx512F.PermuteVar16x32x2(r4, hi2, r6); r4 = t;
        t = Avx512F.PermuteVar16x32x2(r5, lo2, r7); r7 = Avx512F.PermuteVar16x32x2(r5, hi2, r7); r5 = t;
        t = Avx512F.PermuteVar16x32x2(r8, lo2, r10); r10 = Avx512F.PermuteVar16x32x2(r8, hi2, r10); r8 = t;
        t = Avx512F.PermuteVar16x32x2(r9, lo2, r11); r11 = Avx512F.PermuteVar16x32x2(r9, hi2, r11); r9 = t;
        t = Avx512F.PermuteVar16x32x2(r12, lo2, r14); r14 = Avx512F.PermuteVar16x32x2(r12, hi2, r14); r12 = t;
        t = Avx512F.PermuteVar16x32x2(r13, lo2, r15); r15 = Avx512F.PermuteVar16x32x2(r13, hi2, r15); r13 = t;
        Vector512<int> lo1 = Vector512.Create(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        Vector512<int> hi1 = Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
        t = Avx512F.PermuteVar16x32x2(r0, lo1, r1); r1 = Avx512F.PermuteVar16x32x2(r0, hi1, r1); r0 = t;
        t = Avx512F.PermuteVar16x32x2(r2, lo1, r3); r3 = Avx512F.PermuteVar16x32x2(r2, hi1, r3); r2 = t;
        t = Avx512F.PermuteVar16x32x2(r4, lo1, r5); r5 = Avx512F.PermuteVar16x32x2(r4, hi1, r5); r4 = t;
        t = Avx512F.PermuteVar16x32x2(r6, lo1, r7); r7 = Avx512F.PermuteVar16x32x2(r6, hi1, r7); r6 = t;
        t = Avx512F.PermuteVar16x32x2(r8, lo1, r9); r9 = Avx512F.PermuteVar16x32x2(r8, hi1, r9); r8 = t;
        t = Avx512F.PermuteVar16x32x2(r10, lo1, r11); r11 = Avx512F.PermuteVar16x32x2(r10, hi1, r11); r10 = t;
        t = Avx512F.PermuteVar16x32x2(r12, lo1, r13); r13 = Avx512F.PermuteVar16x32x2(r12, hi1, r13); r12 = t;
        t = Avx512F.PermuteVar16x32x2(r14, lo1, r15); r15 = Avx512F.PermuteVar16x32x2(r14, hi1, r15); r14 = t;
        // The second, overlapping part of a partial row: values valid − 8 .. valid (valid − 4 .. below 8) moved down.
        Vector512<int> shift = Vector512.Create(valid - (valid >= 8 ? 8 : 4)) + Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        StoreRows(r0, r1, r2, r3, 0, count, valid, output, activated, plane, shift);
        StoreRows(r4, r5, r6, r7, 4, count, valid, output, activated, plane, shift);
        StoreRows(r8, r9, r10, r11, 8, count, valid, output, activated, plane, shift);
        StoreRows(r12, r13, r14, r15, 12, count, valid, output, activated, plane, shift);
    }

    /// <summary>Filter rows first .. first + 3 (those below count) through <see cref="StoreRow"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, int first, int count, int valid,
        float* output, float* activated, long plane, Vector512<int> shift)
    {
        if (first < count) StoreRow(a, output + first * plane, activated == null ? null : activated + first * plane, valid, shift);
        if (first + 1 < count) StoreRow(b, output + (first + 1) * plane, activated == null ? null : activated + (first + 1) * plane, valid, shift);
        if (first + 2 < count) StoreRow(c, output + (first + 2) * plane, activated == null ? null : activated + (first + 2) * plane, valid, shift);
        if (first + 3 < count) StoreRow(d, output + (first + 3) * plane, activated == null ? null : activated + (first + 3) * plane, valid, shift);
    }

    /// <summary>The first <paramref name="valid"/> (1 .. 16) values of <paramref name="row"/> to output (and their ReLU to
    /// activated when set).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector512<float> row, float* output, float* activated, int valid, Vector512<int> shift)
    {
        Copy(row, output, valid, shift);
        if (activated != null) Copy(Conv2dDirect.Finish(row, true), activated, valid, shift);
    }

    /// <summary>row[0 .. valid) to destination: a whole vector, or two overlapping halves (quarters below 8 values) in
    /// registers: the second one's values moved down by <paramref name="shift"/> (valid − 8, or valid − 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(Vector512<float> row, float* destination, int valid, Vector512<int> shift)
    {
        if (valid == Lanes) row.Store(destination);
        else if (valid >= 8)
        {
            row.GetLower().Store(destination);
            Avx512F.PermuteVar16x32(row, shift).GetLower().Store(destination + valid - 8);
        }
        else if (valid >= 4)
        {
            row.GetLower().GetLower().Store(destination);
            Avx512F.PermuteVar16x32(row, shift).GetLower().GetLower().Store(destination + valid - 4);
        }
        else
            for (int j = 0; j < valid; j++) destination[j] = row.GetElement(j);
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
