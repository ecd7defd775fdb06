using MnistTools.Errors;
using MnistTools.Onnx;
using static MnistTools.Tests.Onnx.OnnxTestModels;

namespace MnistTools.Tests.Onnx;

/// <summary>Graphs the importer cannot express give the named error (InvalidData, the source as target, the node and its
/// operator in the message); the small valid model they vary imports to the network it describes.</summary>
public class OnnxImportErrorTests
{
    private const string Source = "test.onnx";

    private static MnistToolsException Refused(byte[] model, string errorId, params string[] inMessage)
    {
        var e = Assert.Throws<MnistToolsException>(() => OnnxImporter.FromBytes(model, Source));
        Assert.True(errorId == e.ErrorId, $"{e.ErrorId}: {e.Message}");
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal(Source, e.Target);
        foreach (string text in inMessage) Assert.Contains(text, e.Message);
        return e;
    }

    private static readonly Tensor W1 = new("w1", [2, 1, 3, 3], Values(18)), W2 = new("w2", [3, 8], Values(24)), B2 = new("b2", [3], Values(3));

    [Fact]
    public void TheSmallModelImportsWithItsWeightsInPlace()
    {
        Network network = OnnxImporter.FromBytes(SmallConv(), Source);
        Assert.Equal("Conv2d 2 3 ReLU, MaxPool2d 2, Flatten, Dense 3 Softmax", network.Architecture);
        Assert.Equal([1, 6, 6], network.InputShape);
        float[] expected = [.. Values(18), .. Values(2), .. Values(24), .. Values(3)];
        Assert.Equal(expected, network.GetParameters());
    }

    [Fact]
    public void GemmWithTransBZeroAndMatMulAddTransposeTheirWeights()
    {
        float[] w = Values(12); // [in 4, out 3]
        byte[] gemm = Build([new Node("Gemm", ["x", "w", "b"], "y")], [new Tensor("w", [4, 3], w), new Tensor("b", [3], Values(3))], [null, 4], "y");
        byte[] matMul = Build([new Node("MatMul", ["x", "w"], "m"), new Node("Add", ["m", "b"], "y")], [new Tensor("w", [4, 3], w), new Tensor("b", [3], Values(3))], [null, 4], "y");
        float[] transposed = new float[12];
        for (int i = 0; i < 4; i++) for (int o = 0; o < 3; o++) transposed[o * 4 + i] = w[i * 3 + o];
        foreach (byte[] model in new[] { gemm, matMul })
        {
            Network network = OnnxImporter.FromBytes(model, Source);
            Assert.Equal("Dense 3 Softmax", network.Architecture);
            Assert.Equal([.. transposed, .. Values(3)], network.GetParameters());
        }
    }

    /// <summary>auto_pad SAME_UPPER is padding=same; MaxPool's default stride is 1; a fixed batch of 1; opset 11's
    /// Softmax (axis 1 by default); Dropout (its mask unused) and Identity add nothing.</summary>
    [Fact]
    public void DefaultsAndNoOpsMapAsONNXDefinesThem()
    {
        byte[] model = Build(
            [
                new Node("Conv", ["x", "w1"], "c", ("auto_pad", "SAME_UPPER")),
                new Node("Tanh", ["c"], "t"),
                new Node("MaxPool", ["t"], "p", ("kernel_shape", new long[] { 2, 2 })),
                new Node("Dropout", ["p"], "d"),
                new Node("Identity", ["d"], "i"),
                new Node("Flatten", ["i"], "f"),
                new Node("Gemm", ["f", "w"], "g", ("transB", 1L)),
                new Node("Softmax", ["g"], "y"),
            ],
            [W1, new Tensor("w", [3, 50], Values(150))], [1, 1, 6, 6], "y", opset: 11);
        Network network = OnnxImporter.FromBytes(model, Source);
        Assert.Equal("Conv2d 2 3 padding=same bias=false Tanh, MaxPool2d 2 stride=1, Flatten, Dense 3 bias=false Softmax", network.Architecture);
    }

    [Fact]
    public void ASoftmaxOverAnotherAxisIsRefused() =>
        Refused(Build([new Node("Gemm", ["x", "w2", "b2"], "g", ("transB", 1L)), new Node("Softmax", ["g"], "y", ("axis", 0L))], [W2, B2], [null, 8], "y"),
            ErrorIds.OnnxAttributeUnsupported, "(Softmax) has axis 0");

    [Fact]
    public void AnInputThatIsNeitherAVectorNorAnImageIsRefused() =>
        Refused(Build([new Node("Gemm", ["x", "w2", "b2"], "y", ("transB", 1L))], [W2, B2], [4, 8], "y"),
            ErrorIds.OnnxAttributeUnsupported, "the input 'x' has the shape [4,8]");

    [Fact]
    public void NonFiniteWeightsAreRefused()
    {
        float[] w = Values(24);
        w[5] = float.NaN;
        Refused(Build([new Node("Gemm", ["x", "w", "b2"], "y", ("transB", 1L))], [new Tensor("w", [3, 8], w), B2], [null, 8], "y"),
            ErrorIds.NetworkNotFinite, "'gemm_y' (Gemm)", "weight 'w'", "NaN at index 5");
    }

    [Fact]
    public void AnUnknownOperatorIsNamed() =>
        Refused(Build([new Node("Gemm", ["x", "w2", "b2"], "g", ("transB", 1L)), new Node("Erf", ["g"], "y")], [W2, B2], [null, 8], "y"),
            ErrorIds.OnnxOperatorUnsupported, "'erf_y' (Erf)", "Gemm");

    [Fact]
    public void GroupedConvolutionIsRefused() =>
        Refused(Build([new Node("Conv", ["x", "w1"], "c", ("group", 2L)), new Node("Flatten", ["c"], "f"), new Node("Gemm", ["f", "w"], "y", ("transB", 1L))],
                [W1, new Tensor("w", [3, 32], Values(96))], [null, 1, 6, 6], "y"),
            ErrorIds.OnnxAttributeUnsupported, "'conv_c' (Conv)", "group 2");

    [Fact]
    public void PadsThatAreNeitherValidNorSameAreRefused() =>
        Refused(Build([new Node("Conv", ["x", "w1"], "c", ("pads", new long[] { 2, 2, 2, 2 })), new Node("Flatten", ["c"], "f"), new Node("Gemm", ["f", "w"], "y", ("transB", 1L))],
                [W1, new Tensor("w", [3, 128], Values(384))], [null, 1, 6, 6], "y"),
            ErrorIds.OnnxAttributeUnsupported, "pads [2,2,2,2]");

    /// <summary>A LeakyRelu's alpha becomes the layer's slope (ONNX's default 0.01 is MnistTools' default, not written);
    /// an alpha that is not finite is refused by name.</summary>
    [Theory]
    [InlineData(0.2f, "Dense 3 LeakyReLU slope=0.2, Dense 2 bias=false Softmax")]
    [InlineData(0f, "Dense 3 LeakyReLU slope=0, Dense 2 bias=false Softmax")]
    [InlineData(-1.5f, "Dense 3 LeakyReLU slope=-1.5, Dense 2 bias=false Softmax")]
    [InlineData(0.01f, "Dense 3 LeakyReLU, Dense 2 bias=false Softmax")]
    [InlineData(null, "Dense 3 LeakyReLU, Dense 2 bias=false Softmax")]
    public void LeakyReluCarriesItsAlphaAsTheSlope(float? alpha, string architecture)
    {
        (string, object)[] attributes = alpha is { } a ? [("alpha", a)] : [];
        Network network = OnnxImporter.FromBytes(LeakyRelu(attributes), Source);
        Assert.Equal(architecture, network.Architecture);
        Assert.Equal(alpha ?? 0.01f, network.LayerSpecs[0].Slope);
    }

    [Theory]
    [InlineData(float.NaN, "has alpha NaN")]
    [InlineData(float.PositiveInfinity, "has alpha Infinity")]
    [InlineData(float.NegativeInfinity, "has alpha -Infinity")]
    public void ALeakyReluAlphaThatIsNotFiniteIsRefused(float alpha, string text) =>
        Refused(LeakyRelu([("alpha", alpha)]), ErrorIds.OnnxAttributeUnsupported, "(LeakyRelu) " + text, "a LeakyReLU slope is a finite number");

    private static byte[] LeakyRelu((string, object)[] attributes) =>
        Build([new Node("Gemm", ["x", "w2", "b2"], "g", ("transB", 1L)), new Node("LeakyRelu", ["g"], "l", attributes), new Node("Gemm", ["l", "w3"], "y", ("transB", 1L))],
            [W2, B2, new Tensor("w3", [2, 3], Values(6))], [null, 8], "y");

    [Fact]
    public void ABranchIsNotAChain() =>
        Refused(Build([new Node("Gemm", ["x", "w2", "b2"], "g", ("transB", 1L)), new Node("Relu", ["x"], "y")], [W2, B2], [null, 8], "y"),
            ErrorIds.OnnxGraphNotAChain, "branches");

    [Fact]
    public void ACycleInAShapeComputationIsRefused() =>
        Refused(Build(
            [
                new Node("Conv", ["x", "w1"], "c"),
                new Node("Concat", ["k", "s"], "s", ("axis", 0L)),
                new Node("Reshape", ["c", "s"], "f"),
                new Node("Gemm", ["f", "w"], "y", ("transB", 1L)),
            ],
            [W1, new Tensor("k", [1], Int64s: [-1]), new Tensor("w", [3, 32], Values(96))], [null, 1, 6, 6], "y"),
            ErrorIds.OnnxGraphNotAChain, "cycle");

    [Fact]
    public void AnOpsetOutsideElevenToSeventeenIsRefused()
    {
        byte[] model = Build([new Node("Gemm", ["x", "w2", "b2"], "y", ("transB", 1L))], [W2, B2], [null, 8], "y", opset: 9);
        Refused(model, ErrorIds.OnnxOpsetUnsupported, "opset 9", "11 to 17");
    }

    [Fact]
    public void ATensorWhoseDataDisagreesWithItsShapeIsInvalid() =>
        Refused(Build([new Node("Gemm", ["x", "w", "b2"], "y", ("transB", 1L))], [new Tensor("w", [3, 8], Values(23)), B2], [null, 8], "y"),
            ErrorIds.OnnxModelInvalid, "tensor 'w'", "24 floats", "92 bytes");

    [Fact]
    public void AnActivationOnTheScoresOtherThanSoftmaxOrSigmoidIsRefused() =>
        Refused(Build([new Node("Gemm", ["x", "w2", "b2"], "g", ("transB", 1L)), new Node("Relu", ["g"], "y")], [W2, B2], [null, 8], "y"),
            ErrorIds.OnnxOperatorUnsupported, "(Relu)", "class scores");

    [Fact]
    public void AnActivationAfterAPoolHasNoLayerToJoin() =>
        Refused(Build([new Node("MaxPool", ["x"], "p", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })), new Node("Relu", ["p"], "r"),
                new Node("Flatten", ["r"], "f"), new Node("Gemm", ["f", "w2"], "y", ("transB", 1L))], [W2], [null, 2, 4, 4], "y"),
            ErrorIds.OnnxGraphNotAChain, "(Relu)", "MaxPool2d 2");

    [Fact]
    public void TruncationsAndHugeLengthsAreInvalidModels()
    {
        byte[] model = SmallConv();
        foreach (int length in new[] { 0, 1, 2, 5, 17, model.Length / 2, model.Length - 1 })
        {
            var e = Assert.Throws<MnistToolsException>(() => OnnxImporter.FromBytes(model.AsMemory(0, length), Source));
            Assert.Equal(FailureKind.InvalidData, e.Kind);
        }
        // field 7 (graph), length-delimited, declaring 2^62 bytes
        byte[] huge = [0x3A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        Refused(huge, ErrorIds.OnnxModelInvalid, "declares 4611686018427387904 bytes");
    }
}
