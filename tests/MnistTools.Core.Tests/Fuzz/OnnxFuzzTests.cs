using CsCheck;
using MnistTools.Layers;
using MnistTools.Onnx;
using MnistTools.Tests.Onnx;
using Xunit.Abstractions;
using static MnistTools.Tests.Onnx.OnnxTestModels;

namespace MnistTools.Tests.Fuzz;

/// <summary>
/// Fuzzing of the ONNX importer from valid models: byte mutations (truncations, flips, insertions that declare huge
/// lengths, duplicated fields) and graph mutations made before encoding (unknown operators, an input rewired to a later
/// node's output: branches and cycles, tensors whose data disagrees with their shape, dropped nodes). Every input either
/// imports (its weights finite, and then it scores a zero image) or fails with <see cref="MnistToolsException"/>; no other
/// exception, no hang, and allocation within FixedAllowance + 64 x the model's bytes. CI runs a few thousand cases;
/// `./build.ps1 fuzz` runs more (MNISTTOOLS_FUZZ_SECONDS, MNISTTOOLS_FUZZ_SEED).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class OnnxFuzzTests(ITestOutputHelper output) : FuzzTestBase(output, "mnisttools-onnx-fuzz-")
{
    private const long CiCases = 4000;

    private static readonly string[] Ops = ["Erf", "Add", "Relu", "Shape", "Concat", "Reshape", "Conv", "Gemm", "MatMul", "Softmax", "Identity", "Dropout", "MaxPool", "BatchNormalization", "GlobalAveragePool", "Flatten"];

    private static List<Node> SeedNodes() =>
    [
        new Node("Conv", ["x", "w1", "b1"], "c", ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 })),
        new Node("BatchNormalization", ["c", "s", "t", "m", "v"], "n", ("epsilon", 1e-5f)),
        new Node("Relu", ["n"], "r"),
        new Node("MaxPool", ["r"], "p", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })),
        new Node("Shape", ["p"], "sh"),
        new Node("Gather", ["sh", "zero"], "g0", ("axis", 0L)),
        new Node("Unsqueeze", ["g0", "axes"], "u"),
        new Node("Concat", ["u", "minus1"], "cat", ("axis", 0L)),
        new Node("Reshape", ["p", "cat"], "f"),
        new Node("Gemm", ["f", "w2", "b2"], "g", ("transB", 1L)),
        new Node("LogSoftmax", ["g"], "y", ("axis", 1L)),
    ];

    private static List<Tensor> SeedTensors() =>
    [
        new("w1", [2, 1, 3, 3], Values(18)), new("b1", [2], Values(2)),
        new("s", [2], [1f, 0.5f]), new("t", [2], [0f, 0.1f]), new("m", [2], [0.1f, -0.2f]), new("v", [2], [1f, 2f]),
        new("zero", [], Int64s: [0]), new("axes", [1], Int64s: [0]), new("minus1", [1], Int64s: [-1]),
        new("w2", [3, 18], Values(54)), new("b2", [3], Values(3)),
    ];

    private static readonly long?[] InputDims = [null, 1, 6, 6];

    /// <summary>A graph mutation: (kind, node or tensor index, value).</summary>
    private static byte[] Mutate((int Kind, int Index, int Value)[] edits)
    {
        List<Node> nodes = SeedNodes();
        List<Tensor> tensors = SeedTensors();
        foreach ((int kind, int index, int value) in edits)
        {
            if (nodes.Count == 0) break;
            int n = index % nodes.Count;
            switch (kind)
            {
                case 0: nodes[n] = nodes[n] with { Op = Ops[value % Ops.Length] }; break;
                case 1: nodes[n] = nodes[n] with { Inputs = [nodes[value % nodes.Count].Output, .. nodes[n].Inputs.Skip(1)] }; break;
                case 2:
                    int t = index % tensors.Count;
                    Tensor tensor = tensors[t];
                    long[] dims = tensor.Dims.Length == 0 ? [value % 5] : tensor.Dims.Select((d, i) => i == 0 ? Math.Max(0, d + value % 5 - 2) : d).ToArray();
                    tensors[t] = tensor with { Dims = dims };
                    break;
                case 3: nodes.RemoveAt(n); break;
                default: tensors[index % tensors.Count] = tensors[index % tensors.Count] with { Floats = Values(value % 64) }; break;
            }
        }
        return Build(nodes, tensors, InputDims, "y");
    }

    [Fact]
    public void TheSeedModelImports()
    {
        Network network = OnnxImporter.FromBytes(Build(SeedNodes(), SeedTensors(), InputDims, "y"), "seed.onnx");
        Assert.Equal("Conv2d 2 3 padding=same, BatchNorm ReLU, MaxPool2d 2, Flatten, Dense 3 Softmax", network.Architecture);
    }

    [Fact]
    public void TheImporterLoadsOrRejectsEveryMutatedModel()
    {
        byte[][] seeds =
        [
            Build(SeedNodes(), SeedTensors(), InputDims, "y"),
            SmallConv(),
            OnnxExporter.ToBytes(new Network([1, 8, 8], LayerSpec.ParseAll(["Conv2d 2 3 bias=false", "BatchNorm ReLU", "AvgPool2d 2", "Dense 4 Sigmoid"]), Loss.CrossEntropy, Initializer.Default, 1)),
            // LeakyRelu alphas for the byte mutations to turn into NaN, infinities and other slopes.
            OnnxExporter.ToBytes(new Network([12], LayerSpec.ParseAll(["Dense 4 LeakyReLU slope=0.2", "BatchNorm LeakyReLU slope=-0.5", "Dense 3 Softmax"]), Loss.CrossEntropy, Initializer.Default, 1)),
        ];
        var edit = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 63], Gen.Int[0, 1000], (k, i, v) => (k, i, v));
        var gen = Gen.Select(Gen.Int[0, seeds.Length], edit.Array[0, 3], Mutations.Some, Gen.Bool,
            (seed, edits, mutations, bytes) => (seed, edits, mutations, bytes));

        var tally = FuzzHarness.Drive("ONNX", gen, seed: 20261206, CiCases, input =>
        {
            byte[] model = input.seed == seeds.Length ? Mutate(input.edits) : seeds[input.seed];
            if (input.bytes || input.seed != seeds.Length) model = Mutations.Apply(model, input.mutations, 16);
            long bound = FuzzHarness.FixedAllowance + 64L * model.Length;
            return (bound, () =>
            {
                Network network = OnnxImporter.FromBytes(model, "fuzz.onnx");
                if (network.ParameterCount > model.Length / 4) throw new InvalidOperationException($"{network.ParameterCount} parameters from {model.Length} bytes.");
                float[] scores = new float[network.OutputSize];
                network.Predict(new float[network.InputSize], 1, scores);
                return "Loaded";
            });
        }, input => $"seed {input.seed}, edits [{string.Join(" ", input.edits)}], {(input.bytes ? string.Join("; ", input.mutations) : "no byte mutation")}", Log);

        Assert.True(tally.Count("Loaded") > 0, $"no mutated model loaded: {tally}");
        Assert.True(tally.Cases - tally.Count("Loaded") > tally.Cases / 4, $"too few rejections to have exercised the checks: {tally}");
    }
}
