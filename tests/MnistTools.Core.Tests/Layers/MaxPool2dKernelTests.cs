using MnistTools.Layers;
using MnistTools.Numerics;
using static MnistTools.Tests.Layers.ReferenceLayers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="MaxPool2dKernels"/> against the double reference for every small shape (channels 1..3, sizes 1..9 and
/// the 2 x 2 vector path's widths up to 70, windows 1..4, strides 1..4 overlapping, touching and leaving gaps, pools that
/// do not divide the input, 1..3 images) on every instruction set, the 2 x 2, stride 2 windows' saved winners with them;
/// ties, NaN and infinities; the reference's gradient against central differences.
/// </summary>
public class MaxPool2dKernelTests
{
    public static TheoryData<InstructionSet> InstructionSets() => new(Enum.GetValues<InstructionSet>());

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void MatchesTheReferenceOnEverySmallShape(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var random = new Random(31 + (int)path);
        int cases = 0;
        for (int channels = 1; channels <= 3; channels++)
            for (int height = 1; height <= 9; height++)
                for (int width = 1; width <= 9; width++)
                    for (int size = 1; size <= Math.Min(4, Math.Min(height, width)); size++)
                        for (int stride = 1; stride <= 4; stride++, cases++)
                            Check(random, MaxPool2dShape.Create(channels, height, width, size, stride), rows: 1 + (height + width + stride) % 3);
        Assert.True(cases > 1500, $"only {cases} cases ran");
    }

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void TheTwoByTwoPathMatchesTheReferenceForEveryWidth(InstructionSet path)
    {
        // 2 x 2 stride 2: widths 2..70 give 1..35 windows a row (one, two and three 16-window vectors and every tail),
        // odd widths and heights leave a column and a row no window reads.
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var random = new Random(7);
        for (int width = 2; width <= 70; width++)
            foreach (int height in new[] { 2, 3, 5 })
                for (int rows = 1; rows <= 2; rows++)
                    Check(random, MaxPool2dShape.Create(1 + width % 3, height, width, 2, 2), rows);
    }

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void TiesGiveTheGradientToTheFirstMaximumAndNaNWins(InstructionSet path)
    {
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        // One 2 x 34 plane, 17 windows 2 x 2: each a case (the vector path takes the first 16 windows, the scalar path the last).
        float nan = float.NaN, inf = float.PositiveInfinity;
        (float[] Window, float Maximum, int First)[] cases =
        [
            ([1, 1, 1, 1], 1, 0),              // all tied: the first
            ([0, 2, 2, 1], 2, 1),              // tie in the top row
            ([0, 1, 2, 2], 2, 2),              // tie in the bottom row
            ([3, 1, 3, 1], 3, 0),              // tie across rows
            ([1, nan, 2, nan], nan, 1),        // NaN wins over larger numbers; the first NaN
            ([nan, 5, 6, 7], nan, 0),
            ([1, 2, 3, nan], nan, 3),
            ([-inf, -inf, -inf, -inf], -inf, 0),
            ([-inf, inf, 1, inf], inf, 1),
            ([-0f, 0f, -1, -1], -0f, 0),       // -0 and +0 compare equal: the first, its sign kept
            ([0f, -0f, -1, -1], 0f, 0),
            ([-5, -4, -3, -2], -2, 3),
            ([float.MaxValue, -float.MaxValue, 0, 0], float.MaxValue, 0),
            ([float.Epsilon, 0, 0, 0], float.Epsilon, 0),
            ([2, 1, 1, 2], 2, 0),
            ([1, 2, 1, 2], 2, 1),
            ([nan, nan, nan, nan], nan, 0),
        ];
        const int width = 34;
        var shape = MaxPool2dShape.Create(1, 2, width, 2, 2);
        float[] x = new float[2 * width], dy = new float[17];
        for (int w = 0; w < 17; w++)
        {
            x[2 * w] = cases[w].Window[0];
            x[2 * w + 1] = cases[w].Window[1];
            x[width + 2 * w] = cases[w].Window[2];
            x[width + 2 * w + 1] = cases[w].Window[3];
            dy[w] = w + 1;
        }
        float[] y = new float[17], dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        byte[] winners = new byte[17];
        MaxPool2dKernels.MaxPool2dForward(x, shape, y, winners, 1);
        MaxPool2dKernels.MaxPool2dBackward(dy, [], [], winners, shape, dx, 1);
        for (int w = 0; w < 17; w++)
        {
            Assert.Equal(cases[w].First, winners[w]);
            Assert.Equal(float.IsNaN(cases[w].Maximum), float.IsNaN(y[w]));
            if (!float.IsNaN(y[w])) Assert.Equal(BitConverter.SingleToInt32Bits(cases[w].Maximum), BitConverter.SingleToInt32Bits(y[w]));
            int[] at = [2 * w, 2 * w + 1, width + 2 * w, width + 2 * w + 1];
            for (int j = 0; j < 4; j++) Assert.Equal(j == cases[w].First ? w + 1 : 0f, dx[at[j]]);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void SignedZerosAndTiesWithoutNaNKeepTheFirstOfTheTiedValues(InstructionSet path)
    {
        // Every window of -1, -0 and +0 (81 in a 2 x 162 plane, vectors without NaN): Y has the bits of the window's
        // first maximum, and the winner is that value.
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        float[] values = [-1f, -0f, 0f];
        const int windows = 81, width = 2 * windows;
        var shape = MaxPool2dShape.Create(1, 2, width, 2, 2);
        float[] x = new float[2 * width];
        for (int w = 0; w < windows; w++)
        {
            x[2 * w] = values[w % 3];
            x[2 * w + 1] = values[w / 3 % 3];
            x[width + 2 * w] = values[w / 9 % 3];
            x[width + 2 * w + 1] = values[w / 27];
        }
        float[] y = new float[windows], dy = Enumerable.Range(1, windows).Select(v => (float)v).ToArray(), dx = new float[x.Length];
        byte[] winners = new byte[windows];
        MaxPool2dKernels.MaxPool2dForward(x, shape, y, winners, 1);
        MaxPool2dKernels.MaxPool2dBackward(dy, [], [], winners, shape, dx, 1);
        double[] reference = ToDouble(x);
        for (int w = 0; w < windows; w++)
        {
            int at = FirstMaximum(reference, shape, 0, 0, w);
            Assert.Equal(BitConverter.SingleToInt32Bits(x[at]), BitConverter.SingleToInt32Bits(y[w]));
            Assert.Equal(at / width * 2 + at % width - 2 * w, winners[w]);
            Assert.Equal(dy[w], dx[at]);
        }
    }

    [Fact]
    public void AYThatIsNotTheWindowsMaximumSendsTheGradientToTheWindowsFirstValue()
    {
        // Windows other than 2 x 2, stride 2 find the winner again from X and Y.
        var shape = MaxPool2dShape.Create(1, 2, 2, 2, 1);
        float[] dx = new float[4];
        MaxPool2dKernels.MaxPool2dBackward([5f], [1, 2, 3, 4], [9f], [], shape, dx, 1);
        Assert.Equal([5f, 0, 0, 0], dx);
    }

    [SkippableTheory]
    [MemberData(nameof(InstructionSets))]
    public void TheBackwardPassReadsOnlyTheWinnersForTwoByTwoWindows(InstructionSet path)
    {
        // X and Y are not passed: the gradient goes where the saved winners say, here one of each kind and a full vector.
        Skip.IfNot(ComputeSettings.IsSupported(path), $"This CPU does not run {path}.");
        using var scope = ComputeSettings.Override(path, threads: 1);
        var shape = MaxPool2dShape.Create(1, 4, 40, 2, 2);
        const int rows = 2;
        byte[] winners = Enumerable.Range(0, rows * shape.OutputSize).Select(o => (byte)(o * 7 % 4)).ToArray();
        float[] dy = Enumerable.Range(1, winners.Length).Select(v => (float)v).ToArray();
        float[] dx = Enumerable.Repeat(float.NaN, rows * shape.InputSize).ToArray();
        MaxPool2dKernels.MaxPool2dBackward(dy, [], [], winners, shape, dx, rows);
        var expected = new float[dx.Length];
        for (int plane = 0, o = 0; plane < rows; plane++)
            for (int oy = 0; oy < shape.OutputHeight; oy++)
                for (int ox = 0; ox < shape.OutputWidth; ox++, o++)
                    expected[plane * shape.InputSize + (2 * oy + winners[o] / 2) * shape.Width + 2 * ox + winners[o] % 2] = dy[o];
        Assert.Equal(expected, dx);
    }

    [Theory]
    [InlineData(2, 7, 9, 2, 2)]
    [InlineData(1, 8, 8, 3, 2)]  // overlapping windows
    [InlineData(3, 5, 6, 2, 3)]  // gaps between windows
    [InlineData(2, 9, 7, 4, 4)]
    public void TheReferenceGradientMatchesCentralDifferences(int channels, int height, int width, int size, int stride)
    {
        var shape = MaxPool2dShape.Create(channels, height, width, size, stride);
        const int rows = 2;
        // Distinct values 0.01 apart in random order: no ties, and a step of 1e-6 never changes a window's maximum.
        var random = new Random(19);
        double[] x = Enumerable.Range(0, rows * shape.InputSize).Select(i => i * 0.01).OrderBy(_ => random.Next()).ToArray();
        double[] r = ToDouble(RandomFloats(random, rows * shape.OutputSize));
        double Loss() => MaxPoolForward(x, shape, rows).Select((y, i) => y * r[i]).Sum();
        Conv2dKernelTests.CheckCentral(x, MaxPoolBackward(r, x, shape, rows), Loss, "dX");
    }

    [Fact]
    public void ShapesThatDoNotFitAndShortBuffersAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2dShape.Create(1, 3, 5, 4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2dShape.Create(1, 3, 5, 2, 0));
        Assert.Equal((1, 2), (MaxPool2dShape.Create(1, 3, 5, 2, 2).OutputHeight, MaxPool2dShape.Create(1, 3, 5, 2, 2).OutputWidth));
        var shape = MaxPool2dShape.Create(2, 4, 4, 2, 2);
        var bad = shape with { OutputHeight = 3 };
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxPool2dKernels.MaxPool2dForward(new float[32], bad, new float[24], 1));
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dForward(new float[31], shape, new float[8], 1));
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dForward(new float[32], shape, new float[7], 1));
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dForward(new float[32], shape, new float[8], new byte[7], 1));
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dForward(new float[32], shape with { Stride = 1, OutputHeight = 3, OutputWidth = 3 },
            new float[18], new byte[18], 1));
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dBackward(new float[7], [], [], new byte[8], shape, new float[32], 1));
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dBackward(new float[8], [], [], new byte[8], shape, new float[31], 1));
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dBackward(new float[8], [], [], new byte[7], shape, new float[32], 1));
        var overlapping = MaxPool2dShape.Create(2, 4, 4, 2, 1);
        Assert.Throws<ArgumentException>(() => MaxPool2dKernels.MaxPool2dBackward(new float[18], new float[31], new float[18], [], overlapping, new float[32], 1));
        MaxPool2dKernels.MaxPool2dForward([], shape, [], 0);
        MaxPool2dKernels.MaxPool2dBackward([], [], [], [], shape, [], 0);
    }

    /// <summary>Forward exactly, backward within rounding (overlapping windows add), stale values overwritten, nothing
    /// written past the lane.</summary>
    private static void Check(Random random, MaxPool2dShape shape, int rows)
    {
        string name = $"{shape} x{rows}";
        // Values on a grid of 1/8 in [-4, 4): ties occur, as in real activations.
        float[] x = Enumerable.Range(0, rows * shape.InputSize).Select(_ => random.Next(-32, 32) / 8f).ToArray();
        float[] dy = RandomFloats(random, rows * shape.OutputSize);
        float[] y = Enumerable.Repeat(float.NaN, rows * shape.OutputSize + 1).ToArray();
        MaxPool2dKernels.MaxPool2dForward(x, shape, y, rows);
        double[] expected = MaxPoolForward(ToDouble(x), shape, rows);
        for (int i = 0; i < expected.Length; i++) Assert.True(y[i] == expected[i], $"Y {name}[{i}]: {y[i]}, reference {expected[i]}");
        Assert.True(float.IsNaN(y[^1]), $"Y {name}: wrote past the lane");

        byte[] winners = [];
        if (shape.SavesWinners)
        {
            // The training forward: the same Y, and each window's first maximum (dy·2 + dx) in one byte.
            winners = Enumerable.Repeat((byte)0xEE, rows * shape.OutputSize + 1).ToArray();
            float[] kept = Enumerable.Repeat(float.NaN, y.Length).ToArray();
            MaxPool2dKernels.MaxPool2dForward(x, shape, kept, winners, rows);
            Assert.Equal(y, kept);
            for (int plane = 0, o = 0; plane < rows * shape.Channels; plane++)
                for (int oy = 0; oy < shape.OutputHeight; oy++)
                    for (int ox = 0; ox < shape.OutputWidth; ox++, o++)
                    {
                        int at = FirstMaximum(ToDouble(x), shape, plane, oy, ox) - (plane * shape.Height + 2 * oy) * shape.Width - 2 * ox;
                        Assert.True(winners[o] == at / shape.Width * 2 + at % shape.Width, $"winner {name}[{o}]: {winners[o]}, reference offset {at}");
                    }
            Assert.True(winners[^1] == 0xEE, $"winners {name}: wrote past the lane");
        }

        float[] dx = Enumerable.Repeat(float.NaN, rows * shape.InputSize + 1).ToArray();
        MaxPool2dKernels.MaxPool2dBackward(dy, x, y, winners, shape, dx, rows);
        double[] gradient = MaxPoolBackward(ToDouble(dy), ToDouble(x), shape, rows);
        double[] scale = MaxPoolBackward(dy.Select(v => (double)Math.Abs(v)).ToArray(), ToDouble(x), shape, rows);
        AssertClose(dx, gradient, scale, $"dX {name}");
        Assert.True(float.IsNaN(dx[^1]), $"dX {name}: wrote past the lane");
    }
}
