using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// 2-D max pooling on a lane of B images, NCHW; sizes in <see cref="MaxPool2dShape"/> (C channels, window S0 x S0,
/// stride S, OH x OW output).
///   forward   Y[i, c, oy, ox] = max of X[i, c, oy·S .. oy·S + S0 − 1, ox·S .. ox·S + S0 − 1]
///   backward  dX[i, c, y, x] = Σ over the windows whose first maximum is (y, x) of dY[i, c, oy, ox]
/// The window is scanned row by row; a value replaces the running maximum when it is greater, or when it is NaN and the
/// maximum is not: a window holding NaN gives its first NaN. The winner is the window's first maximum (the first value
/// equal to Y, or the first NaN when Y is NaN); ties give the whole gradient to the first of the tied values, as PyTorch
/// does.
/// The 2 x 2, stride 2 windows (<see cref="MaxPool2dShape.SavesWinners"/>) keep the winner of each window from the
/// forward pass, one byte per output (0 top left, 1 top right, 2 bottom left, 3 bottom right), so the backward pass
/// reads neither X nor Y; with ReLU's derivative applied (the pooled values are a ReLU's outputs), a window whose maximum
/// is not positive keeps <see cref="NoWinner"/> and sends no gradient. Other windows find the first maximum again from
/// X and Y (the window's first value when none equals Y, a Y that is not this window's maximum), so nothing is saved
/// between the passes.
/// The 2 x 2, stride 2 windows take an AVX-512 path: one output row of up to 16 windows per vector, two rows of narrow
/// planes; the maximum by vmaxps(value, running), which is the scan rule for numbers, and the scan's own comparisons when
/// a vector holds NaN: the same bits as the scalar path. Other windows, and the rows (forward) or planes (backward) whose
/// vector reads or writes would leave the lane, take the scalar path. The backward pass writes planes of up to 1,024
/// values as consecutive vectors of dX, each from one load of dY and the winners (<see cref="PlanFlat"/>); larger planes
/// by row pairs, whose vector stores write 0 for pixels no window reads and may run into the next rows, written after
/// them.
/// </summary>
[SkipLocalsInit]
internal static unsafe class MaxPool2dKernels
{
    private static readonly int[] s_interleave = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                                  8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31];
    private static readonly int[] s_lanes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// <summary>The winner of a window that sends no gradient (its maximum is not positive, under ReLU's derivative).</summary>
    public const byte NoWinner = 4;

    /// <summary>Inference: Y only.</summary>
    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="output">Y [B x C x OH x OW], overwritten.</param>
    public static void MaxPool2dForward(ReadOnlySpan<float> input, in MaxPool2dShape shape, Span<float> output, int rows) =>
        MaxPool2dForward(input, shape, output, Span<byte>.Empty, rows);

    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="output">Y [B x C x OH x OW], overwritten.</param>
    /// <param name="winners">[B x C x OH x OW] bytes, each window's winner (<see cref="MaxPool2dShape.SavesWinners"/>
    /// shapes, when not empty), overwritten; empty: not kept.</param>
    /// <param name="positiveWinnersOnly">Windows whose maximum is not positive keep <see cref="NoWinner"/>: the backward
    /// pass then writes dZ of the ReLU whose outputs X are (ReLU' = 0 where Z, so Y, is not positive).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2dForward(ReadOnlySpan<float> input, in MaxPool2dShape shape, Span<float> output, Span<byte> winners, int rows,
        bool positiveWinnersOnly = false)
    {
        CheckSizes(shape, rows, input.Length, output.Length, "output");
        bool keep = !winners.IsEmpty;
        if (keep && (!shape.SavesWinners || winners.Length < (long)rows * shape.OutputSize))
            throw new ArgumentException("Winners are kept for 2 x 2, stride 2 windows only, one byte per output.", nameof(winners));
        int planes = rows * shape.Channels, planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        bool vector = UsesVectors(shape);
        int width = shape.Width, outputWidth = shape.OutputWidth;
        // Narrow planes: two output rows per vector, their four input rows read as two 32-value runs (rows 2oy and
        // 2oy + 2 from the first, 2oy + 1 and 2oy + 3 from the second).
        bool pairs = vector && 2 * outputWidth <= 16 && 2 * width + 2 * outputWidth <= 32;
        int* pairLeft = stackalloc int[16];
        int* pairRight = stackalloc int[16];
        for (int j = 0; j < 16; j++)
        {
            int column = j < outputWidth ? 2 * j : j < 2 * outputWidth ? 2 * width + 2 * (j - outputWidth) : -1;
            pairLeft[j] = Math.Max(column, 0);
            pairRight[j] = column + 1;
        }
        int* rowLeft = stackalloc int[16];
        int* rowRight = stackalloc int[16];
        for (int j = 0; j < 16; j++) (rowLeft[j], rowRight[j]) = (2 * j, 2 * j + 1);
        Vector512<int> pairEven = Vector512.Load(pairLeft), pairOdd = Vector512.Load(pairRight);
        Vector512<int> rowEven = Vector512.Load(rowLeft), rowOdd = Vector512.Load(rowRight);
        fixed (float* x = input, y = output)
        fixed (byte* w = winners)
        {
            float* inputEnd = x + (long)planes * planeSize, outputEnd = y + (long)planes * outputPlane;
            for (int plane = 0; plane < planes; plane++)
            {
                float* source = x + (long)plane * planeSize, destination = y + (long)plane * outputPlane;
                byte* kept = w + (long)plane * outputPlane;
                for (int oy = 0; oy < shape.OutputHeight; oy++)
                {
                    float* window = source + (long)oy * shape.Stride * width;
                    float* target = destination + (long)oy * outputWidth;
                    byte* winner = kept + (long)oy * outputWidth;
                    // Two rows of 32 values read, 16 values (and 16 bytes) written: past the rows, not past the lane.
                    if (pairs && oy + 1 < shape.OutputHeight && window + width + 32 <= inputEnd && target + 16 <= outputEnd)
                    {
                        Vector512<float> maximum = Forward2x2(window, width, pairEven, pairOdd, out Vector512<int> first);
                        Store(maximum, first, target, winner, keep, positiveWinnersOnly);
                        oy++;
                        continue;
                    }
                    int ox = 0;
                    if (vector)
                        for (; ox < outputWidth; ox += 16)
                        {
                            if (window + 2 * ox + width + 32 > inputEnd || target + ox + 16 > outputEnd) break;
                            Vector512<float> maximum = Forward2x2(window + 2 * ox, width, rowEven, rowOdd, out Vector512<int> first);
                            Store(maximum, first, target + ox, winner + ox, keep, positiveWinnersOnly);
                        }
                    for (; ox < outputWidth; ox++)
                    {
                        float maximum = WindowMaximum(window + (long)ox * shape.Stride, width, shape.Size, out int at);
                        target[ox] = maximum;
                        if (keep) winner[ox] = positiveWinnersOnly && !(maximum > 0f) ? NoWinner : (byte)at;
                    }
                }
            }
        }
    }

    /// <summary>Y of 16 windows, and their winners when kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> maximum, Vector512<int> first, float* target, byte* winner, bool keep, bool positiveWinnersOnly)
    {
        Vector512.Store(maximum, target);
        if (!keep) return;
        if (positiveWinnersOnly)
            first = Vector512.ConditionalSelect(Vector512.GreaterThan(maximum, Vector512<float>.Zero).AsInt32(), first, Vector512.Create((int)NoWinner));
        Vector128.Store(Avx512F.ConvertToVector128Byte(first), winner);
    }

    /// <param name="outputGradient">dY [B x C x OH x OW].</param>
    /// <param name="input">X [B x C x H x W], the forward input (not read when <paramref name="winners"/> are given).</param>
    /// <param name="output">Y [B x C x OH x OW], the forward output (likewise).</param>
    /// <param name="winners">The forward pass's winners for <see cref="MaxPool2dShape.SavesWinners"/> shapes, else empty.</param>
    /// <param name="inputGradient">dX [B x C x H x W], overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2dBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<byte> winners, in MaxPool2dShape shape, Span<float> inputGradient, int rows)
    {
        shape.Validate();
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), "The row count must not be negative.");
        if (outputGradient.Length < (long)rows * shape.OutputSize) throw new ArgumentException("dY is shorter than B·C·OH·OW.", nameof(outputGradient));
        if (inputGradient.Length < (long)rows * shape.InputSize) throw new ArgumentException("dX is shorter than B·C·H·W.", nameof(inputGradient));
        if (shape.SavesWinners)
        {
            if (winners.Length < (long)rows * shape.OutputSize) throw new ArgumentException("The winners are shorter than B·C·OH·OW.", nameof(winners));
            BackwardByWinners(outputGradient, winners, shape, inputGradient, rows);
            return;
        }
        CheckSizes(shape, rows, input.Length, output.Length, "output");
        int planes = rows * shape.Channels, planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        fixed (float* x = input, y = output, dy = outputGradient, dx = inputGradient)
            for (int plane = 0; plane < planes; plane++)
            {
                long inputOffset = (long)plane * planeSize, outputOffset = (long)plane * outputPlane;
                new Span<float>(dx + inputOffset, planeSize).Clear();
                BackwardPlane(x + inputOffset, y + outputOffset, dy + outputOffset, dx + inputOffset, shape);
            }
    }

    /// <summary>dX of 2 x 2, stride 2 windows from their winners.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardByWinners(ReadOnlySpan<float> outputGradient, ReadOnlySpan<byte> winners, in MaxPool2dShape shape,
        Span<float> inputGradient, int rows)
    {
        int planes = rows * shape.Channels, planeSize = shape.Height * shape.Width, outputPlane = shape.OutputHeight * shape.OutputWidth;
        int width = shape.Width, outputWidth = shape.OutputWidth;
        int chunks = (outputWidth + 15) / 16, covered = 32 * chunks; // the vector stores write columns [0, covered) of each row pair
        bool vectors = UsesVectors(shape);
        // Small planes: the whole plane as consecutive 16-value vectors, each from one load of dY and the winners.
        int flatVectors = (planeSize + 15) / 16;
        bool flat = vectors && planeSize <= FlatPlaneLimit;
        int* starts = stackalloc int[flat ? flatVectors : 0];
        int* offsets = stackalloc int[flat ? 16 * flatVectors : 0];
        int* patterns = stackalloc int[flat ? 16 * flatVectors : 0];
        flat = flat && PlanFlat(shape, starts, offsets, patterns);
        int lastStart = 0; // the largest start (vectors in rows no window reads start at 0)
        for (int v = 0; flat && v < flatVectors; v++) lastStart = Math.Max(lastStart, starts[v]);
        fixed (float* dy = outputGradient, dx = inputGradient)
        fixed (byte* w = winners)
        {
            float* end = dx + (long)planes * planeSize, outputEnd = dy + (long)planes * outputPlane;
            for (int plane = 0; plane < planes; plane++)
            {
                long inputOffset = (long)plane * planeSize, outputOffset = (long)plane * outputPlane;
                // The last vector's reads (16 of dY and of the winners) stay in the lane.
                if (flat && dy + outputOffset + lastStart + 16 <= outputEnd)
                {
                    BackwardPlaneFlat(w + outputOffset, dy + outputOffset, dx + inputOffset, planeSize, starts, offsets, patterns);
                    continue;
                }
                // The last row pair's vector writes (dX: covered past its top row) and reads (dY and the winners: 16 per
                // chunk) stay in the lane.
                bool vector = vectors
                    && dx + inputOffset + (2L * shape.OutputHeight - 1) * width + covered <= end
                    && dy + outputOffset + outputPlane - outputWidth + 16L * chunks <= outputEnd;
                if (!vector)
                {
                    new Span<float>(dx + inputOffset, planeSize).Clear();
                    float* target = dx + inputOffset, gradient = dy + outputOffset;
                    byte* winner = w + outputOffset;
                    for (int oy = 0, o = 0; oy < shape.OutputHeight; oy++)
                        for (int ox = 0; ox < outputWidth; ox++, o++)
                        {
                            int at = winner[o];
                            if (at != NoWinner) target[(2L * oy + (at >> 1)) * width + 2 * ox + (at & 1)] += gradient[o];
                        }
                    continue;
                }
                for (int oy = 0; oy < shape.OutputHeight; oy++)
                {
                    long top = inputOffset + 2L * oy * width, o = outputOffset + (long)oy * outputWidth;
                    for (int ox = 0; ox < outputWidth; ox += 16)
                    {
                        // The top row's 32 values may run into the bottom row: after the first chunk, that part of the
                        // bottom row is already written, so then the top row is stored exactly.
                        int topCount = ox > 0 ? Math.Min(32, width - 2 * ox) : 32;
                        Backward2x2(w + o + ox, dy + o + ox, dx + top + 2 * ox, width, outputWidth - ox, topCount);
                    }
                    // Columns past the stores (an odd last column after a whole number of chunks) read by no window.
                    for (long row = top; row < top + 2 * width; row += width)
                        for (int column = covered; column < width; column++) dx[row + column] = 0f;
                }
                // Rows below the last window; the last store's zero lanes may have run into them, or into the next plane.
                new Span<float>(dx + inputOffset + 2L * shape.OutputHeight * width, (shape.Height - 2 * shape.OutputHeight) * width).Clear();
            }
        }
    }

    /// <summary>Planes of at most this many values may take the whole-plane path (<see cref="PlanFlat"/>).</summary>
    private const int FlatPlaneLimit = 1024;

    /// <summary>
    /// The whole-plane plan of 2 x 2, stride 2 windows: for vector v (dX values [16v, 16v + 16) of the plane), the first
    /// output it reads (starts[v]), per lane the output's offset from it (offsets[16v + j]) and the winner that sends that
    /// value its gradient (patterns[16v + j]: 0..3, or -1 for values no window reads). False when some vector's outputs
    /// span 16 or more (a row wider than one vector's reach).
    /// </summary>
    private static bool PlanFlat(in MaxPool2dShape shape, int* starts, int* offsets, int* patterns)
    {
        int width = shape.Width, planeSize = shape.Height * width, vectors = (planeSize + 15) / 16;
        int readRows = 2 * shape.OutputHeight, readColumns = 2 * shape.OutputWidth;
        for (int v = 0; v < vectors; v++)
        {
            int first = int.MaxValue, last = -1;
            for (int j = 0; j < 16; j++)
            {
                int i = 16 * v + j, row = i / width, column = i % width;
                if (i >= planeSize || row >= readRows || column >= readColumns) continue;
                int o = row / 2 * shape.OutputWidth + column / 2;
                first = Math.Min(first, o);
                last = Math.Max(last, o);
            }
            if (last < 0) first = last = 0;
            if (last - first >= 16) return false;
            starts[v] = first;
            for (int j = 0; j < 16; j++)
            {
                int i = 16 * v + j, row = i / width, column = i % width;
                bool read = i < planeSize && row < readRows && column < readColumns;
                offsets[16 * v + j] = read ? row / 2 * shape.OutputWidth + column / 2 - first : 0;
                patterns[16 * v + j] = read ? (row & 1) * 2 + (column & 1) : -1;
            }
        }
        return true;
    }

    /// <summary>dX of one plane by <see cref="PlanFlat"/>'s vectors: dY where the value is its window's winner, 0 elsewhere;
    /// every value written once, the last vector only up to the plane's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardPlaneFlat(byte* winners, float* outputGradient, float* inputGradient, int planeSize, int* starts, int* offsets,
        int* patterns)
    {
        int whole = planeSize / 16;
        for (int v = 0; v < whole; v++)
            Vector512.Store(FlatVector(winners, outputGradient, starts[v], offsets + 16 * v, patterns + 16 * v), inputGradient + 16 * v);
        int rest = planeSize - 16 * whole;
        if (rest == 0) return;
        Vector512<float> tail = FlatVector(winners, outputGradient, starts[whole], offsets + 16 * whole, patterns + 16 * whole);
        float* values = stackalloc float[16];
        Vector512.Store(tail, values);
        for (int j = 0; j < rest; j++) inputGradient[16 * whole + j] = values[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FlatVector(byte* winners, float* outputGradient, int start, int* offsets, int* patterns)
    {
        Vector512<int> lanes = Vector512.Load(offsets);
        Vector512<float> gradient = Avx512F.PermuteVar16x32(Vector512.Load(outputGradient + start), lanes);
        Vector512<int> winner = Avx512F.PermuteVar16x32(Avx512F.ConvertToVector512Int32(Vector128.Load(winners + start)), lanes);
        return gradient & Vector512.Equals(winner, Vector512.Load(patterns)).AsSingle();
    }

    /// <summary>dX of one plane (cleared) window by window: dY added at each window's first maximum.</summary>
    private static void BackwardPlane(float* x, float* y, float* outputGradient, float* inputGradient, in MaxPool2dShape shape)
    {
        int o = 0;
        for (int oy = 0; oy < shape.OutputHeight; oy++)
            for (int ox = 0; ox < shape.OutputWidth; ox++, o++)
            {
                long window = (long)oy * shape.Stride * shape.Width + (long)ox * shape.Stride;
                inputGradient[window + FirstMaximum(x + window, shape.Width, shape.Size, y[o])] += outputGradient[o];
            }
    }

    private static bool UsesVectors(in MaxPool2dShape shape) =>
        shape is { Size: 2, Stride: 2 } && ComputeSettings.InstructionSet == InstructionSet.Avx512 && Avx512F.IsSupported;

    /// <summary>Whether <paramref name="value"/> becomes the running maximum: greater, or NaN over a number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Replaces(float value, float maximum) => value > maximum || (float.IsNaN(value) && !float.IsNaN(maximum));

    /// <summary>The scan rule of <see cref="Replaces"/> on 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Replace(Vector512<float> value, Vector512<float> maximum)
    {
        Vector512<float> take = Vector512.GreaterThan(value, maximum) | (~Vector512.Equals(value, value) & Vector512.Equals(maximum, maximum));
        return Vector512.ConditionalSelect(take, value, maximum);
    }

    /// <summary>The maxima of 16 windows 2 x 2 whose top-left values are row[left[j]] (top right row[right[j]], bottom
    /// values a row further), and their winners (0..3, the first value equal to the maximum, NaN matching NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Forward2x2(float* row, int width, Vector512<int> left, Vector512<int> right, out Vector512<int> winner)
    {
        Split(row, left, right, out Vector512<float> topLeft, out Vector512<float> topRight);
        Split(row + width, left, right, out Vector512<float> bottomLeft, out Vector512<float> bottomRight);
        Vector512<float> maximum;
        Vector512<float> first, second, third;
        if ((Avx512F.CompareUnordered(topLeft, topRight) | Avx512F.CompareUnordered(bottomLeft, bottomRight)) == Vector512<float>.Zero)
        {
            // vmaxps(value, running) is value > running ? value : running: the scan rule when no value is NaN (a tie,
            // also of -0 and +0, keeps the running maximum).
            maximum = Avx512F.Max(bottomRight, Avx512F.Max(bottomLeft, Avx512F.Max(topRight, topLeft)));
            first = Vector512.Equals(topLeft, maximum);
            second = Vector512.Equals(topRight, maximum);
            third = Vector512.Equals(bottomLeft, maximum);
        }
        else
        {
            maximum = Replace(bottomRight, Replace(bottomLeft, Replace(topRight, topLeft)));
            Vector512<float> isNaN = ~Vector512.Equals(maximum, maximum);
            first = Matches(topLeft, maximum, isNaN);
            second = Matches(topRight, maximum, isNaN);
            third = Matches(bottomLeft, maximum, isNaN);
        }
        winner = Vector512.ConditionalSelect(third.AsInt32(), Vector512.Create(2), Vector512.Create(3));
        winner = Vector512.ConditionalSelect(second.AsInt32(), Vector512.Create(1), winner);
        winner = Vector512.ConditionalSelect(first.AsInt32(), Vector512<int>.Zero, winner);
        return maximum;
    }

    /// <summary>dX of 16 windows 2 x 2 (the first <paramref name="count"/> of them real) from their winners: dY at each
    /// window's winner, 0 elsewhere (everywhere for <see cref="NoWinner"/>), stored over both rows (32 values each, <paramref name="topCount"/> of the top row;
    /// lanes of windows past count are 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Backward2x2(byte* winners, float* outputGradient, float* inputGradient, int width, int count, int topCount)
    {
        Vector512<int> winner = Avx512F.ConvertToVector512Int32(Vector128.Load(winners));
        Vector512<float> real = Vector512.LessThan(Vector512.Create(s_lanes), Vector512.Create(count)).AsSingle();
        Vector512<float> gradient = Vector512.Load(outputGradient) & real;
        Vector512<float> first = gradient & Vector512.Equals(winner, Vector512<int>.Zero).AsSingle();
        Vector512<float> second = gradient & Vector512.Equals(winner, Vector512.Create(1)).AsSingle();
        Vector512<float> third = gradient & Vector512.Equals(winner, Vector512.Create(2)).AsSingle();
        Vector512<float> fourth = gradient & Vector512.Equals(winner, Vector512.Create(3)).AsSingle();
        if (topCount == 32) Merge(first, second, inputGradient);
        else
        {
            float* exact = stackalloc float[32];
            Merge(first, second, exact);
            for (int j = 0; j < topCount; j++) inputGradient[j] = exact[j];
        }
        Merge(third, fourth, inputGradient + width);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Matches(Vector512<float> value, Vector512<float> y, Vector512<float> yIsNaN) =>
        Vector512.Equals(value, y) | (~Vector512.Equals(value, value) & yIsNaN);

    /// <summary>row[0..32) split into its even and odd positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* row, Vector512<int> left, Vector512<int> right, out Vector512<float> even, out Vector512<float> odd)
    {
        Vector512<float> low = Vector512.Load(row), high = Vector512.Load(row + 16);
        even = Avx512F.PermuteVar16x32x2(low, left, high);
        odd = Avx512F.PermuteVar16x32x2(low, right, high);
    }

    /// <summary>destination[0..32) = even[0], odd[0], even[1], odd[1], ...</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Merge(Vector512<float> even, Vector512<float> odd, float* destination)
    {
        fixed (int* indices = s_interleave)
        {
            Vector512.Store(Avx512F.PermuteVar16x32x2(even, Vector512.Load(indices), odd), destination);
            Vector512.Store(Avx512F.PermuteVar16x32x2(even, Vector512.Load(indices + 16), odd), destination + 16);
        }
    }

    /// <summary>The scan of one window whose top-left value is <paramref name="window"/>[0]; <paramref name="at"/>: where
    /// its winner is, dy·size + dx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float WindowMaximum(float* window, int width, int size, out int at)
    {
        float maximum = window[0];
        at = 0;
        for (int dy = 0; dy < size; dy++, window += width)
            for (int dx = 0; dx < size; dx++)
            {
                float value = window[dx];
                if (Replaces(value, maximum))
                {
                    maximum = value;
                    at = dy * size + dx;
                }
            }
        return maximum;
    }

    /// <summary>The offset from <paramref name="window"/> of the window's first value equal to <paramref name="maximum"/>
    /// (NaN matches NaN); 0 when none is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long FirstMaximum(float* window, int width, int size, float maximum)
    {
        bool nan = float.IsNaN(maximum);
        for (int dy = 0; dy < size; dy++)
            for (int dx = 0; dx < size; dx++)
            {
                float value = window[(long)dy * width + dx];
                if (value == maximum || (nan && float.IsNaN(value))) return (long)dy * width + dx;
            }
        return 0;
    }

    private static void CheckSizes(in MaxPool2dShape shape, int rows, int inputLength, int outputLength, string outputName)
    {
        shape.Validate();
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), "The row count must not be negative.");
        if (inputLength < (long)rows * shape.InputSize) throw new ArgumentException("X is shorter than B·C·H·W.", "input");
        if (outputLength < (long)rows * shape.OutputSize) throw new ArgumentException("Y is shorter than B·C·OH·OW.", outputName);
    }
}
