using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MnistTools.Randomness;

namespace MnistTools.Layers;

/// <summary>
/// Inverted dropout on a lane of B rows of N features, the mask drawn from a <see cref="CounterRandom"/>:
///   keep[r, j] = u((firstRow + r)·N + j) &gt;= rate,  scale = 1 / (1 − rate)
///   forward   Y[r, j] = keep ? X[r, j] · scale : 0
///   backward  dX[r, j] = keep ? dY[r, j] · scale : 0        (the same mask, drawn again: nothing is stored)
/// firstRow is the lane's first row in the whole batch, so two lanes that split a batch draw the masks one lane would.
/// A dropped value is 0 whatever X holds (NaN and infinities included). Input and output may be the same buffer.
/// The uniforms come 32 at a time (<see cref="CounterRandom.FillChunk"/>); the select is the same float operation in
/// the vector body and the scalar ends.
/// </summary>
[SkipLocalsInit]
internal static unsafe class DropoutKernels
{
    /// <param name="input">X [B x N].</param>
    /// <param name="output">Y [B x N], overwritten.</param>
    public static void DropoutForward(ReadOnlySpan<float> input, in CounterRandom random, float rate, long firstRow, int features,
        Span<float> output, int rows) => Apply(input, random, rate, firstRow, features, output, rows);

    /// <param name="outputGradient">dY [B x N].</param>
    /// <param name="inputGradient">dX [B x N], overwritten.</param>
    public static void DropoutBackward(ReadOnlySpan<float> outputGradient, in CounterRandom random, float rate, long firstRow, int features,
        Span<float> inputGradient, int rows) => Apply(outputGradient, random, rate, firstRow, features, inputGradient, rows);

    /// <summary>The factor kept values are multiplied by, 1 / (1 − rate), in float.</summary>
    public static float Scale(float rate) => 1f / (1f - rate);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply(ReadOnlySpan<float> source, in CounterRandom random, float rate, long firstRow, int features,
        Span<float> destination, int rows)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), $"The dropout rate must be in [0, 1); got {rate}.");
        if (rows < 0 || features < 0 || firstRow < 0) throw new ArgumentOutOfRangeException(nameof(rows), "Rows, features and the first row must not be negative.");
        long total = (long)rows * features;
        if (source.Length < total || destination.Length < total) throw new ArgumentException("A buffer is shorter than B·N.", nameof(source));
        int count = (int)total;
        float scale = Scale(rate);
        long position = checked(firstRow * features);
        float* uniform = stackalloc float[CounterRandom.ChunkSize];
        Vector256<float> rates = Vector256.Create(rate), scales = Vector256.Create(scale);
        fixed (float* x = source, y = destination)
            for (int i = 0; i < count;)
            {
                random.FillChunk(position >> 5, uniform);
                int lane = (int)(position & 31), n = Math.Min(CounterRandom.ChunkSize - lane, count - i);
                int j = 0;
                if (lane == 0)
                    for (; j <= n - 8; j += 8)
                    {
                        Vector256<float> keep = Vector256.GreaterThanOrEqual(Vector256.Load(uniform + j), rates);
                        Vector256.Store(Vector256.ConditionalSelect(keep, Vector256.Load(x + i + j) * scales, Vector256<float>.Zero), y + i + j);
                    }
                for (; j < n; j++) y[i + j] = uniform[lane + j] >= rate ? x[i + j] * scale : 0f;
                i += n;
                position += n;
            }
    }
}
