using System.Runtime.CompilerServices;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// 3x3 stride-1 convolutions through Winograd's F(2x2, 3x3) (<see cref="WinogradTransforms"/>), chosen by
/// <see cref="ComputeSettings.Convolution"/> = <see cref="ConvolutionAlgorithm.Winograd"/> for inputs of at least
/// <see cref="MinChannels"/> channels. Sizes as in <see cref="Conv2dShape"/>; T = ⌈OH/2⌉·⌈OW/2⌉ tiles per image.
///   filters  U[ξ] [F x C] = (G W[f, c] Gᵀ)[ξ]                       once per call
///   inputs   V[ξ] [C x n] = (Bᵀ d B)[ξ] of the n = g·T tiles of a group of g images (zeros outside the input)
///   product  M[ξ] = U[ξ] · V[ξ]   [F x n], for each of the 16 positions ξ, through the packed GEMM
///   outputs  Y[i, f, tile] = Aᵀ M[·][f, tile] A + b[f]   (2x2, clipped at the right and bottom edges)
/// The weight gradient takes the transposed algorithm (<see cref="WeightGradient"/>). The input gradient stays direct:
/// as a convolution (dZ ⊛ W rotated, padding 2 − pad) it measured slower here than the im2col GEMM (the Keras net's
/// second layer: 4.4 against 3.1 ms per lane of 64 images; the bnnet's layers: 8.2/3.6/4.1 against 8.0/2.7/3.5 ms).
/// Each output value is the same additions of one GEMM sum per position over C in a fixed order (the blocked GEMM cuts k
/// at fixed multiples whatever n), so Y of an image does not depend on the group, the lane or the thread. The products
/// are 16·F·C per 4 outputs instead of 36·F·C; the transforms' additions round a little more than a direct sum (bounds
/// in the tests). No allocation: scratch from <see cref="Conv2dShape.ScratchFloats"/>. On AVX-512 the forward and the
/// weight gradient take <see cref="Conv2dWinogradTiled"/> instead (channel-vectorised layouts and register tiles, the
/// same transforms; other bits than this route's, the same on every thread); this route serves the other instruction sets.
/// </summary>
[SkipLocalsInit]
internal static unsafe class Conv2dWinograd
{
    /// <summary>Fewer input channels than this stay direct: the GEMM depth C is too shallow to pay for the transforms
    /// (first layers like the Keras net's, one channel).</summary>
    internal const int MinChannels = 8;

    /// <summary>Tiles per group of images (GEMM columns): about this many, at least one image.</summary>
    internal const int GroupTiles = 256;

    private const int Positions = WinogradTransforms.Positions;

    /// <summary>Q's rows in the weight gradient are this much longer than the tiles, so the product Q · Vᵀ takes the
    /// packed GEMM: with both rows exactly k long it would take the unpacked dot-product route, which ran the Keras net's
    /// second layer's 16 products at half the packed rate (3.2 against 1.6 ms per lane of 64 images).</summary>
    private const int GradientPadding = 8;

    /// <summary>Whether the forward convolution of <paramref name="shape"/> runs here under the current setting.</summary>
    internal static bool Applies(in Conv2dShape shape) =>
        ComputeSettings.Convolution == ConvolutionAlgorithm.Winograd && Fits(shape);

    private static bool Fits(in Conv2dShape shape) => shape.Kernel == 3 && shape.Stride == 1 && shape.Channels >= MinChannels;

    private static int TilesHigh(in Conv2dShape shape) => (shape.OutputHeight + 1) / 2;
    private static int TilesWide(in Conv2dShape shape) => (shape.OutputWidth + 1) / 2;
    private static int TilesPerImage(in Conv2dShape shape) => TilesHigh(shape) * TilesWide(shape);

    /// <summary>Images per group for a lane of <paramref name="rows"/> images: about <see cref="GroupTiles"/> tiles.</summary>
    private static int ImagesPerGroup(in Conv2dShape shape, int rows) => Math.Clamp(GroupTiles / TilesPerImage(shape), 1, Math.Max(rows, 1));

    /// <summary>Scratch floats for the forward and the weight gradient of <paramref name="shape"/> under the current setting
    /// (0 when they do not run here).</summary>
    internal static long ScratchFloats(in Conv2dShape shape, int rows) =>
        Applies(shape)
            ? Math.Max(RunFloats(shape, rows), Math.Max(Conv2dWinogradTiled.ScratchFloats(shape), Conv2dWinogradTiled.ScratchFloats(Conv2dWinogradTiled.DataShape(shape))))
            : 0;

    /// <summary>Whether the input gradient of <paramref name="shape"/> runs here (<see cref="InputGradient"/>) under the
    /// current settings: on the AVX-512 register tiles only (through the packed GEMM it was slower than the im2col GEMM).</summary>
    internal static bool InputGradientApplies(in Conv2dShape shape) => Applies(shape) && Conv2dWinogradTiled.Applies(ComputeSettings.InstructionSet);

    /// <summary>dX = dZ ⊛ W (the transposed convolution) through <see cref="Conv2dWinogradTiled.InputGradient"/>.</summary>
    /// <param name="outputGradient">dZ [B x F x OH x OW].</param>
    /// <param name="weights">W [F x C x 3 x 3].</param>
    /// <param name="inputGradient">dX [B x C x H x W], overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    internal static void InputGradient(float* outputGradient, float* weights, in Conv2dShape shape, float* inputGradient, float* scratch, int rows) =>
        Conv2dWinogradTiled.InputGradient(outputGradient, weights, shape, inputGradient, scratch, rows);

    /// <summary>U, V, M of one group, the parity-split padded plane, the tile tables (<see cref="Layout"/>) and 32 floats of work.</summary>
    private static long RunFloats(in Conv2dShape shape, int rows)
    {
        long tiles = (long)ImagesPerGroup(shape, rows) * TilesPerImage(shape);
        int planeWidth = TilesWide(shape) + 1, planeHeight = 2 * TilesHigh(shape) + 2;
        return Positions * ((long)shape.Filters * shape.Channels + (shape.Channels + (long)shape.Filters) * tiles + (long)shape.Filters * GradientPadding)
            + 2L * planeHeight * planeWidth + TilesPerImage(shape) + 2 * tiles + 32;
    }

    /// <summary>The scratch of one run: U (or R) [16 x F x C], V [16 x C x g·T], M (or Q) [16 x F x g·T], the split plane,
    /// and the tables: bases[t] of an image's tile t in the split plane, and for the group's tiles the offset of their
    /// top-left output from the group's first output plane of the filter (image i at i·F·OH·OW) and their edges.</summary>
    private readonly struct Layout
    {
        public readonly float* Weights, Inputs, Products, Even, Odd, Work;
        public readonly int* Bases, Offsets, Edges;

        public Layout(float* scratch, in Conv2dShape shape, int group)
        {
            int filters = shape.Filters, channels = shape.Channels, tilesHigh = TilesHigh(shape), tilesWide = TilesWide(shape);
            int tilesPerImage = tilesHigh * tilesWide, planeWidth = tilesWide + 1, planeHeight = 2 * tilesHigh + 2;
            long maxTiles = (long)group * tilesPerImage;
            Weights = scratch;
            Inputs = Weights + Positions * (long)filters * channels;
            Products = Inputs + Positions * channels * maxTiles;
            Even = Products + Positions * filters * (maxTiles + GradientPadding);
            Odd = Even + (long)planeHeight * planeWidth;
            Bases = (int*)(Odd + (long)planeHeight * planeWidth);
            Offsets = Bases + tilesPerImage;
            Edges = Offsets + maxTiles;
            Work = (float*)(Edges + maxTiles);
            for (int ty = 0, t = 0; ty < tilesHigh; ty++)
                for (int tx = 0; tx < tilesWide; tx++, t++)
                {
                    Bases[t] = 2 * ty * planeWidth + tx;
                    for (int i = 0; i < group; i++)
                    {
                        long n = (long)i * tilesPerImage + t;
                        Offsets[n] = i * shape.OutputSize + 2 * ty * shape.OutputWidth + 2 * tx;
                        Edges[n] = (2 * tx + 1 < shape.OutputWidth ? 1 : 0) | (2 * ty + 1 < shape.OutputHeight ? 2 : 0);
                    }
                }
            new Span<float>(Even, 2 * planeHeight * planeWidth).Clear();
        }
    }

    /// <summary>Y = W ⊛ X + b (through ReLU when <paramref name="relu"/>); with <paramref name="activated"/> set, Z into
    /// <paramref name="output"/> and ReLU(Z) into activated.</summary>
    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="weights">W [F x C x 3 x 3].</param>
    /// <param name="biases">b [F].</param>
    /// <param name="output">Y (or Z) [B x F x OH x OW], overwritten.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Forward(float* input, float* weights, float* biases, in Conv2dShape shape, float* output, float* activated,
        float* scratch, int rows, bool relu)
    {
        if (Conv2dWinogradTiled.Applies(ComputeSettings.InstructionSet))
        {
            Conv2dWinogradTiled.Forward(input, weights, biases, shape, output, activated, scratch, rows, relu);
            return;
        }
        int channels = shape.Channels, filters = shape.Filters, tilesPerImage = TilesPerImage(shape), group = ImagesPerGroup(shape, rows);
        long weightsPerPosition = (long)filters * channels;
        var layout = new Layout(scratch, shape, group);
        float* u = layout.Weights, v = layout.Inputs, m = layout.Products;

        // U[ξ][f, c] = (G W[f, c] Gᵀ)[ξ].
        for (long fc = 0; fc < weightsPerPosition; fc++) WinogradTransforms.Filter(weights + 9 * fc, u + fc, weightsPerPosition);

        for (int first = 0; first < rows; first += group)
        {
            int images = Math.Min(group, rows - first);
            int n = images * tilesPerImage;
            long inputStride = (long)channels * n, outputStride = (long)filters * n;
            TransformInputs(input, shape, first, images, layout);
            // M[ξ] [F x n] = U[ξ] [F x C] · V[ξ] [C x n]: no transposes, so always the blocked route (fixed k order).
            for (int position = 0; position < Positions; position++)
                Gemm.MultiplyStrided(new ReadOnlySpan<float>(u + position * weightsPerPosition, (int)weightsPerPosition), channels,
                    new ReadOnlySpan<float>(v + position * inputStride, (int)inputStride), n,
                    new Span<float>(m + position * outputStride, (int)outputStride), n, filters, n, channels,
                    transposeA: false, transposeB: false, accumulate: false);
            long start = (long)first * shape.OutputSize;
            for (int f = 0; f < filters; f++)
            {
                long plane = start + (long)f * shape.OutputPixels;
                WinogradTransforms.OutputTiles(m + (long)f * n, outputStride, n, biases[f], output + plane,
                    activated == null ? null : activated + plane, layout.Offsets, layout.Edges, shape.OutputWidth, relu, layout.Work);
            }
        }
    }

    /// <summary>V[ξ][c, i·T + tile] = (Bᵀ d B)[ξ] of images [first, first + images) of X: [16 x C x images·T].</summary>
    private static void TransformInputs(float* input, in Conv2dShape shape, int first, int images, in Layout layout)
    {
        int channels = shape.Channels, planeWidth = TilesWide(shape) + 1, tilesPerImage = TilesPerImage(shape), n = images * tilesPerImage;
        long inputStride = (long)channels * n;
        for (int i = 0; i < images; i++)
            for (int c = 0; c < channels; c++)
            {
                Split(input + ((long)(first + i) * channels + c) * shape.Height * shape.Width, shape, layout.Even, layout.Odd, planeWidth);
                WinogradTransforms.InputTiles(layout.Even, layout.Odd, planeWidth, layout.Bases, tilesPerImage,
                    layout.Inputs + (long)c * n + i * tilesPerImage, inputStride);
            }
    }

    /// <summary>
    /// dW = Σ_i dZ[i] ⋆ X[i] through F(2x2, 3x3) transposed: per group, Q[ξ] [F x n] (rows n + <see cref="GradientPadding"/> apart) = (A dz Aᵀ)[ξ] of the output gradient's
    /// 2x2 tiles and V[ξ] [C x n] of the input tiles, R[ξ] [F x C] (+)= Q[ξ] · V[ξ]ᵀ (the groups summed in order), then
    /// dW[f, c] = Gᵀ R[·][f, c] G. The groups, and so the sums, depend only on the shape and the row count.
    /// </summary>
    /// <param name="input">X [B x C x H x W], the forward input.</param>
    /// <param name="outputGradient">dZ [B x F x OH x OW].</param>
    /// <param name="weightGradient">dW [F x C x 3 x 3], overwritten (zero when B = 0).</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradient(float* input, float* outputGradient, in Conv2dShape shape, float* weightGradient, float* scratch, int rows)
    {
        int channels = shape.Channels, filters = shape.Filters, tilesPerImage = TilesPerImage(shape), group = ImagesPerGroup(shape, rows);
        long weightsPerPosition = (long)filters * channels;
        if (rows == 0)
        {
            new Span<float>(weightGradient, (int)(9 * weightsPerPosition)).Clear();
            return;
        }
        if (Conv2dWinogradTiled.Applies(ComputeSettings.InstructionSet))
        {
            Conv2dWinogradTiled.WeightGradient(input, outputGradient, shape, weightGradient, scratch, rows);
            return;
        }
        var layout = new Layout(scratch, shape, group);
        float* r = layout.Weights, v = layout.Inputs, q = layout.Products;
        for (int first = 0; first < rows; first += group)
        {
            int images = Math.Min(group, rows - first);
            int n = images * tilesPerImage;
            int qRow = n + GradientPadding;
            long inputStride = (long)channels * n, gradientStride = (long)filters * qRow;
            TransformInputs(input, shape, first, images, layout);
            float* start = outputGradient + (long)first * shape.OutputSize;
            for (int f = 0; f < filters; f++)
                WinogradTransforms.GradientTiles(start + (long)f * shape.OutputPixels, layout.Offsets, layout.Edges, shape.OutputWidth, n,
                    q + (long)f * qRow, gradientStride);
            for (int position = 0; position < Positions; position++)
                Gemm.MultiplyStrided(new ReadOnlySpan<float>(q + position * gradientStride, (int)gradientStride), qRow,
                    new ReadOnlySpan<float>(v + position * inputStride, (int)inputStride), n,
                    new Span<float>(r + position * weightsPerPosition, (int)weightsPerPosition), channels, filters, channels, n,
                    transposeA: false, transposeB: true, accumulate: first > 0);
        }
        for (long fc = 0; fc < weightsPerPosition; fc++) WinogradTransforms.FilterGradient(r + fc, weightsPerPosition, weightGradient + 9 * fc);
    }

    /// <summary>One input plane X [H x W] into the padded plane P (X at PadTop, PadLeft; the frame zero) split by column
    /// parity: even[y][k] = P[y][2k], odd[y][k] = P[y][2k + 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* plane, in Conv2dShape shape, float* even, float* odd, int planeWidth)
    {
        int width = shape.Width, padLeft = shape.PadLeft;
        for (int y = 0; y < shape.Height; y++)
        {
            float* source = plane + (long)y * width;
            long row = (long)(y + shape.PadTop) * planeWidth;
            // Column x lands at P column x + PadLeft: even columns of P take x with the parity of PadLeft.
            float* toEven = even + row, toOdd = odd + row;
            int x = 0;
            if ((padLeft & 1) == 0)
            {
                int k = padLeft >> 1;
                for (; x + 1 < width; x += 2, k++) { toEven[k] = source[x]; toOdd[k] = source[x + 1]; }
                if (x < width) toEven[k] = source[x];
            }
            else
            {
                int k = padLeft >> 1;
                for (; x + 1 < width; x += 2, k++) { toOdd[k] = source[x]; toEven[k + 1] = source[x + 1]; }
                if (x < width) toOdd[k] = source[x];
            }
        }
    }
}
