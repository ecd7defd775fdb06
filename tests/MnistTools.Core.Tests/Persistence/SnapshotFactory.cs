using MnistTools.Persistence;
using MnistTools.Layers;

namespace MnistTools.Tests.Persistence;

/// <summary>Builds snapshots with seeded pseudo-random contents and awkward floats for file-layer tests.</summary>
internal static class SnapshotFactory
{
    public static float[] RandomBuffer(int count, int seed)
    {
        var random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        // Values a lossy format would change: negative zero, a subnormal, extremes, a NaN with a payload.
        if (count > 5)
        {
            values[0] = -0.0f;
            values[1] = float.Epsilon * 3;
            values[2] = float.MaxValue;
            values[3] = BitConverter.Int32BitsToSingle(0x7FC0_1234);
            values[4] = float.NegativeInfinity;
        }
        return values;
    }

    public static NetworkSnapshot Create(int[] sizes, Optimizer? optimizer = Optimizer.Adam, int seed = 7)
    {
        int count = new ParameterLayout(sizes).ParameterCount;
        OptimizerState? state = optimizer switch
        {
            null => null,
            Optimizer.Sgd => new OptimizerState { Kind = Optimizer.Sgd, Step = 12 },
            Optimizer.Momentum => new OptimizerState { Kind = Optimizer.Momentum, Step = 600, Momentum = 0.9f, Velocity = RandomBuffer(count, seed + 1) },
            _ => new OptimizerState
            {
                Kind = Optimizer.Adam, Step = 1875, Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f,
                FirstMoment = RandomBuffer(count, seed + 2), SecondMoment = RandomBuffer(count, seed + 3),
            },
        };
        return new NetworkSnapshot
        {
            LayerSizes = sizes,
            Activation = Activation.LeakyReLU,
            OutputActivation = Activation.Softmax,
            Loss = Loss.CrossEntropy,
            Initializer = Initializer.He,
            Seed = -42,
            EpochsTrained = 3,
            Parameters = RandomBuffer(count, seed),
            Optimizer = state,
            Metadata = new Dictionary<string, string> { ["DataSet"] = "mnist-train", ["TestAccuracy"] = "0.9731", ["note"] = "ünïcode \"quoted\" \n newline" },
        };
    }

    /// <summary>Asserts two float arrays are identical bit for bit (NaN payloads and signed zeros included).</summary>
    /// <param name="what">Names the buffer in a failure message.</param>
    public static void AssertBitsEqual(float[]? expected, float[]? actual, string what = "buffer")
    {
        Assert.True((expected is null) == (actual is null), $"{what}: one of the two is missing");
        if (expected is null) return;
        Assert.Equal(expected.Length, actual!.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} differs: {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}) vs {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8}).");
    }

    /// <summary>The same optimizer kind, step, hyper-parameters (bit for bit) and buffers (bit for bit), or both null.</summary>
    public static void AssertSameOptimizerState(OptimizerState? expected, OptimizerState? actual)
    {
        if (expected is null) { Assert.Null(actual); return; }
        Assert.NotNull(actual);
        Assert.Equal(expected.Kind, actual!.Kind);
        Assert.Equal(expected.Step, actual.Step);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.Momentum), BitConverter.SingleToInt32Bits(actual.Momentum));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.Beta1), BitConverter.SingleToInt32Bits(actual.Beta1));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.Beta2), BitConverter.SingleToInt32Bits(actual.Beta2));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.Epsilon), BitConverter.SingleToInt32Bits(actual.Epsilon));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.WeightDecay), BitConverter.SingleToInt32Bits(actual.WeightDecay));
        AssertBitsEqual(expected.Velocity, actual.Velocity, "velocity");
        AssertBitsEqual(expected.FirstMoment, actual.FirstMoment, "first moment");
        AssertBitsEqual(expected.SecondMoment, actual.SecondMoment, "second moment");
    }

    public static void AssertSameSnapshot(NetworkSnapshot expected, NetworkSnapshot actual)
    {
        // The same architecture, whichever way each snapshot describes it (layer sizes, or input shape and layer list).
        NetworkArchitecture expectedArchitecture = NetworkArchitecture.FromSnapshot(expected), actualArchitecture = NetworkArchitecture.FromSnapshot(actual);
        Assert.Equal(expectedArchitecture.InputShape, actualArchitecture.InputShape);
        Assert.Equal(expectedArchitecture.Description, actualArchitecture.Description);
        Assert.Equal(expected.Loss, actual.Loss);
        Assert.Equal(expected.Initializer, actual.Initializer);
        Assert.Equal(expected.Seed, actual.Seed);
        Assert.Equal(expected.EpochsTrained, actual.EpochsTrained);
        AssertBitsEqual(expected.Parameters, actual.Parameters);
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), actual.Metadata.OrderBy(p => p.Key));
        AssertSameOptimizerState(expected.Optimizer, actual.Optimizer);
    }
}

/// <summary>A fresh folder per test, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("mnisttools-test-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Everything in the folder except the named files (temporary leftovers, for example).</summary>
    public string[] Others(params string[] expected) =>
        Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).Where(n => !expected.Contains(n)).ToArray()!;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
