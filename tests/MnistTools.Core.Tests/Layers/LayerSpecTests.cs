using MnistTools.Errors;
using MnistTools.Layers;

namespace MnistTools.Tests.Layers;

/// <summary>
/// <see cref="LayerSpec"/>: every valid form and its fields, case and spacing, the canonical text and its round trip,
/// each way a spec can be wrong (the error names the spec and the wrong word), and <see cref="LayerSequence.CheckSequence"/>'s
/// shapes, parameter counts, implied Flatten and refusals.
/// </summary>
public class LayerSpecTests
{
    public static TheoryData<string, string> ValidForms() => new()
    {
        // spec as written, canonical text
        { "Dense 128", "Dense 128" },
        { "Dense 128 ReLU", "Dense 128 ReLU" },
        { "dense 10 softmax", "Dense 10 Softmax" },
        { "DENSE 5 SIGMOID", "Dense 5 Sigmoid" },
        { "Dense 7 tanh", "Dense 7 Tanh" },
        { "Dense 7 leakyrelu", "Dense 7 LeakyReLU" },
        { "Dense 7 None", "Dense 7" },
        { "Dense 007", "Dense 7" },
        { "Conv2d 32 3", "Conv2d 32 3" },
        { "Conv2d 32 3 ReLU", "Conv2d 32 3 ReLU" },
        { "conv2d 6 5 padding=same relu", "Conv2d 6 5 padding=same ReLU" },
        { "Conv2d 6 5 ReLU padding=SAME", "Conv2d 6 5 padding=same ReLU" },
        { "Conv2d 8 3 stride=2", "Conv2d 8 3 stride=2" },
        { "Conv2d 8 3 Stride=2 Padding=Valid Tanh", "Conv2d 8 3 stride=2 Tanh" },
        { "Conv2d 8 3 stride=1 padding=valid", "Conv2d 8 3" },
        { "Conv2d 8 3 padding=same stride=2 None", "Conv2d 8 3 stride=2 padding=same" },
        { "Conv2d 1 1 Softmax", "Conv2d 1 1 Softmax" },
        { "MaxPool2d 2", "MaxPool2d 2" },
        { "maxpool2d 3 stride=2", "MaxPool2d 3 stride=2" },
        { "MaxPool2d 2 stride=2", "MaxPool2d 2" },
        { "MaxPool2d 2 stride=1", "MaxPool2d 2 stride=1" },
        { "Dropout 0.5", "Dropout 0.5" },
        { "dropout .25", "Dropout 0.25" },
        { "Dropout 0", "Dropout 0" },
        { "Dropout 5e-1", "Dropout 0.5" },
        { "Dropout 0.999", "Dropout 0.999" },
        { "Flatten", "Flatten" },
        { "FLATTEN", "Flatten" },
        { "Conv2d 32 3 bias=false", "Conv2d 32 3 bias=false" },
        { "Conv2d 32 3 Bias=FALSE relu padding=same", "Conv2d 32 3 padding=same bias=false ReLU" },
        { "Conv2d 32 3 bias=true", "Conv2d 32 3" },
        { "dense 10 softmax bias=false", "Dense 10 bias=false Softmax" },
        { "BatchNorm", "BatchNorm" },
        { "batchnorm relu", "BatchNorm ReLU" },
        { "BatchNorm eps=1e-3 momentum=0.01 Tanh", "BatchNorm momentum=0.01 eps=0.001 Tanh" },
        { "BatchNorm momentum=0.1 eps=1e-5", "BatchNorm" },
        { "BatchNorm momentum=1", "BatchNorm momentum=1" },
        { "AvgPool2d 2", "AvgPool2d 2" },
        { "avgpool2d 3 stride=2", "AvgPool2d 3 stride=2" },
        { "AvgPool2d 2 stride=2", "AvgPool2d 2" },
        { "GlobalAvgPool", "GlobalAvgPool" },
        { "globalavgpool", "GlobalAvgPool" },
        { "  Dense \t 64   ReLU  ", "Dense 64 ReLU" },
        { "Dense 128 LeakyReLU slope=0.1", "Dense 128 LeakyReLU slope=0.1" },
        { "dense 128 SLOPE=1e-1 leakyrelu", "Dense 128 LeakyReLU slope=0.1" },
        { "Dense 128 LeakyReLU slope=0.01", "Dense 128 LeakyReLU" },
        { "Dense 128 LeakyReLU slope=0.0100000001", "Dense 128 LeakyReLU" },
        { "Dense 128 LeakyReLU slope=0.100000001", "Dense 128 LeakyReLU slope=0.1" },
        { "Dense 128 LeakyReLU slope=0", "Dense 128 LeakyReLU slope=0" },
        { "Dense 128 LeakyReLU slope=-0", "Dense 128 LeakyReLU slope=0" },
        { "Dense 128 LeakyReLU slope=-0.5", "Dense 128 LeakyReLU slope=-0.5" },
        { "Dense 128 LeakyReLU slope=+2", "Dense 128 LeakyReLU slope=2" },
        { "Dense 8 bias=false LeakyReLU slope=.25", "Dense 8 bias=false LeakyReLU slope=0.25" },
        { "Conv2d 16 3 stride=2 LeakyReLU slope=0.1", "Conv2d 16 3 stride=2 LeakyReLU slope=0.1" },
        { "Conv2d 8 3 slope=.2 bias=false leakyrelu padding=same", "Conv2d 8 3 padding=same bias=false LeakyReLU slope=0.2" },
        { "BatchNorm LeakyReLU slope=0.3 momentum=0.2", "BatchNorm momentum=0.2 LeakyReLU slope=0.3" },
        { "BatchNorm slope=0.01 LeakyReLU", "BatchNorm LeakyReLU" },
    };

    [Theory]
    [MemberData(nameof(ValidForms))]
    public void EveryValidFormParsesToItsCanonicalTextWhichReadsBackEqual(string text, string canonical)
    {
        LayerSpec spec = LayerSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, LayerSpec.Parse(spec.ToString()));
    }

    [Fact]
    public void TheFieldsAreThoseWritten()
    {
        Assert.Equal(new DenseSpec(128, Activation.ReLU), LayerSpec.Parse("Dense 128 ReLU"));
        var dense = Assert.IsType<DenseSpec>(LayerSpec.Parse("Dense 10"));
        Assert.Equal(("Dense", 10, Activation.None), (dense.Kind.Name, dense.Units, dense.Activation));

        var conv = Assert.IsType<Conv2dSpec>(LayerSpec.Parse("Conv2d 6 5 stride=2 padding=same ReLU"));
        Assert.Equal(("Conv2d", 6, 5, 2, Padding.Same, Activation.ReLU), (conv.Kind.Name, conv.Filters, conv.Kernel, conv.Stride, conv.Padding, conv.Activation));
        Assert.Equal(new Conv2dSpec(6, 5, 2, Padding.Same, Activation.ReLU), conv);
        var plain = Assert.IsType<Conv2dSpec>(LayerSpec.Parse("Conv2d 4 3"));
        Assert.Equal((1, Padding.Valid, Activation.None), (plain.Stride, plain.Padding, plain.Activation));

        var pool = Assert.IsType<MaxPool2dSpec>(LayerSpec.Parse("MaxPool2d 3"));
        Assert.Equal(("MaxPool2d", 3, 3), (pool.Kind.Name, pool.Size, pool.Stride));
        Assert.Equal(2, Assert.IsType<MaxPool2dSpec>(LayerSpec.Parse("MaxPool2d 3 stride=2")).Stride);
        Assert.Equal(new MaxPool2dSpec(3, 2), LayerSpec.Parse("MaxPool2d 3 stride=2"));

        var dropout = Assert.IsType<DropoutSpec>(LayerSpec.Parse("Dropout 0.5"));
        Assert.Equal(("Dropout", 0.5), (dropout.Kind.Name, dropout.Rate));
        Assert.Equal(new FlattenSpec(), LayerSpec.Parse("Flatten"));
        Assert.NotEqual(LayerSpec.Parse("Dense 10"), LayerSpec.Parse("Dense 10 Softmax"));
    }

    [Fact]
    public void EveryCombinationRoundTrips()
    {
        var specs = new List<LayerSpec>();
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            specs.Add(new DenseSpec(1 + (int)activation * 37, activation));
            foreach (Padding padding in Enum.GetValues<Padding>())
                foreach (int stride in new[] { 1, 2, 3 })
                    specs.Add(new Conv2dSpec(16, 1 + stride, stride, padding, activation));
        }
        foreach (int size in new[] { 1, 2, 3 })
            foreach (int? stride in new int?[] { null, 1, 2, 4 })
                specs.Add(new MaxPool2dSpec(size, stride));
        foreach (double rate in new[] { 0, 0.1, 0.2, 0.3, 1.0 / 3, 0.5, 0.7, 0.9999999, 1e-7 })
            specs.Add(new DropoutSpec(rate));
        specs.Add(new FlattenSpec());
        foreach (float slope in new[] { 0.1f, 0f, -0.5f, 1e-7f, 1f / 3, 0.2f, 100f, float.MaxValue, float.Epsilon, -float.MaxValue })
        {
            specs.Add(new DenseSpec(64, Activation.LeakyReLU, slope: slope));
            specs.Add(new Conv2dSpec(8, 3, 2, Padding.Same, Activation.LeakyReLU, bias: false, slope: slope));
            specs.Add(new BatchNormSpec(0.2, activation: Activation.LeakyReLU, slope: slope));
        }
        foreach (LayerSpec spec in specs)
        {
            LayerSpec again = LayerSpec.Parse(spec.ToString());
            Assert.Equal(spec, again);
            Assert.Equal(spec.ToString(), again.ToString());
        }
        // The Architecture join: specs joined by ", " split back to the same list.
        string architecture = string.Join(", ", specs);
        Assert.Equal(specs, LayerSpec.ParseAll(architecture.Split(", ")));
    }

    public static TheoryData<string, string> Errors() => new()
    {
        // spec, the word the message must name
        { "", "" },
        { "   ", "   " },
        { "Dense", "Dense" },
        { "Dense abc", "abc" },
        { "Dense 0", "0" },
        { "Dense -3", "-3" },
        { "Dense +3", "+3" },
        { "Dense 3.5", "3.5" },
        { "Dense 1e3", "1e3" },
        { "Dense 99999999999", "99999999999" },
        { "Dense 1048577", "1048577" },
        { "Dense 10 Relu6", "Relu6" },
        { "Dense 10 ReLU Tanh", "Tanh" },
        { "Dense 10 stride=2", "stride=2" },
        { "Dense 10 1", "1" },
        { "Conv2d", "Conv2d" },
        { "Conv2d 32", "Conv2d" },
        { "Conv2d x 3", "x" },
        { "Conv2d 32 0", "0" },
        { "Conv2d 32 3 stride=0", "stride=0" },
        { "Conv2d 32 3 stride=", "stride=" },
        { "Conv2d 32 3 stride=two", "stride=two" },
        { "Conv2d 32 3 stride=1 stride=2", "stride=2" },
        { "Conv2d 32 3 padding=full", "padding=full" },
        { "Conv2d 32 3 padding=same padding=valid", "padding=valid" },
        { "Conv2d 32 3 ReLU Sigmoid", "Sigmoid" },
        { "Conv2d 32 3 3", "3" },
        { "Conv2d 32 3 pad=same", "pad=same" },
        { "Conv2d 32 3 stride 2", "stride" },
        { "MaxPool2d", "MaxPool2d" },
        { "MaxPool2d 0", "0" },
        { "MaxPool2d 2 ReLU", "ReLU" },
        { "MaxPool2d 2 padding=same", "padding=same" },
        { "MaxPool2d 2 stride=0", "stride=0" },
        { "MaxPool2d 2 stride=1 stride=2", "stride=2" },
        { "Dropout", "Dropout" },
        { "Dropout 1", "1" },
        { "Dropout 1.5", "1.5" },
        { "Dropout -0.1", "-0.1" },
        { "Dropout NaN", "NaN" },
        { "Dropout Infinity", "Infinity" },
        { "Dropout 0,5", "0,5" },
        { "Dropout half", "half" },
        { "Dropout 0.5 0.5", "0.5" },
        { "Flatten 2", "2" },
        { "Conv 32 3", "Conv" },
        { "Dense10", "Dense10" },
        { "Conv2D-32", "Conv2D-32" },
        { "Softmax", "Softmax" },
        { "BatchNorm momentum=0", "momentum=0" },
        { "BatchNorm momentum=1.5", "momentum=1.5" },
        { "BatchNorm momentum=abc", "momentum=abc" },
        { "BatchNorm eps=0", "eps=0" },
        { "BatchNorm eps=-1e-5", "eps=-1e-5" },
        { "BatchNorm eps=1e-50", "eps=1e-50" },
        { "BatchNorm 3", "3" },
        { "BatchNorm ReLU Tanh", "Tanh" },
        { "Dense 10 bias=maybe", "bias=maybe" },
        { "Conv2d 4 3 bias=false bias=true", "bias=true" },
        { "GlobalAvgPool 2", "2" },
        { "AvgPool2d", "AvgPool2d" },
        { "AvgPool2d 2 padding=same", "padding=same" },
        { "Dense 10 slope=0.1", "slope=0.1" },
        { "Dense 10 ReLU slope=0.1", "slope=0.1" },
        { "Dense 10 slope=0.2 Softmax", "slope=0.2" },
        { "Dense 10 slope=0.01 ReLU", "slope=0.01" },
        { "Dense 10 LeakyReLU slope=NaN", "slope=NaN" },
        { "Dense 10 LeakyReLU slope=Infinity", "slope=Infinity" },
        { "Dense 10 LeakyReLU slope=-Infinity", "slope=-Infinity" },
        { "Dense 10 LeakyReLU slope=1e39", "slope=1e39" },
        { "Dense 10 LeakyReLU slope=-4e38", "slope=-4e38" },
        { "Dense 10 LeakyReLU slope=abc", "slope=abc" },
        { "Dense 10 LeakyReLU slope=", "slope=" },
        { "Dense 10 LeakyReLU slope=0,1", "slope=0,1" },
        { "Dense 10 LeakyReLU slope=0.1 slope=0.2", "slope=0.2" },
        { "Dense 10 LeakyReLU slope 0.1", "slope" },
        { "Conv2d 4 3 Tanh slope=0.1", "slope=0.1" },
        { "Conv2d 4 3 LeakyReLU slope=0x10", "slope=0x10" },
        { "BatchNorm slope=0.1", "slope=0.1" },
        { "BatchNorm Sigmoid slope=0.1", "slope=0.1" },
        { "MaxPool2d 2 slope=0.1", "slope=0.1" },
        { "Dropout 0.5 slope=0.1", "slope=0.1" },
    };

    [Theory]
    [InlineData("Dense 10 slope=0.1", "applies to LeakyReLU only, and the layer's activation is None")]
    [InlineData("Conv2d 4 3 ReLU slope=0.1", "applies to LeakyReLU only, and the layer's activation is ReLU")]
    [InlineData("BatchNorm slope=0.1 Tanh", "applies to LeakyReLU only, and the layer's activation is Tanh")]
    [InlineData("Dense 10 LeakyReLU slope=NaN", "is not a slope: slope=<a> takes a finite number")]
    [InlineData("Dense 10 LeakyReLU slope=1e39", "is not a slope: slope=<a> takes a finite number")]
    [InlineData("Dense 10 LeakyReLU slope=abc", "is not a number for slope (such as slope=0.1)")]
    public void ASlopeIsRefusedWithTheReason(string spec, string reason)
    {
        var error = Assert.Throws<MnistToolsException>(() => LayerSpec.Parse(spec));
        Assert.Equal(ErrorIds.LayerSpecInvalid, error.ErrorId);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void TheSlopeIsReadAsAFloatAndTheDefaultIsNotWritten()
    {
        Assert.Equal(0.1f, LayerSpec.Parse("Dense 4 LeakyReLU slope=0.1").Slope);
        Assert.Equal(LayerSpec.DefaultSlope, LayerSpec.Parse("Dense 4 LeakyReLU").Slope);
        Assert.Equal(0.01f, LayerSpec.DefaultSlope);
        Assert.Equal(LayerSpec.Parse("Dense 4 LeakyReLU"), LayerSpec.Parse("Dense 4 LeakyReLU slope=0.01"));
        Assert.Equal(new DenseSpec(4, Activation.LeakyReLU), new DenseSpec(4, Activation.LeakyReLU, slope: 0.01f));
        Assert.NotEqual(LayerSpec.Parse("Dense 4 LeakyReLU"), LayerSpec.Parse("Dense 4 LeakyReLU slope=0.1"));
        Assert.Equal(new Conv2dSpec(4, 3, activation: Activation.LeakyReLU, slope: 0.1f), LayerSpec.Parse("Conv2d 4 3 LeakyReLU slope=0.1"));
        Assert.Equal(new BatchNormSpec(activation: Activation.LeakyReLU, slope: 0.25f), LayerSpec.Parse("BatchNorm LeakyReLU slope=0.25"));
        // A negative zero is the zero slope: the same record, written 0.
        LayerSpec negativeZero = new DenseSpec(4, Activation.LeakyReLU, slope: -0f);
        Assert.Equal("Dense 4 LeakyReLU slope=0", negativeZero.ToString());
        Assert.Equal(0, BitConverter.SingleToInt32Bits(negativeZero.Slope));
        // Every kind without the option keeps the default, so no other text changes.
        Assert.All(LayerSpec.ParseAll(["MaxPool2d 2", "AvgPool2d 2", "GlobalAvgPool", "Dropout 0.5", "Flatten", "Dense 4 ReLU"]),
            spec => Assert.Equal(LayerSpec.DefaultSlope, spec.Slope));
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void ABadSpecNamesTheSpecAndTheWrongWord(string spec, string word)
    {
        var error = Assert.Throws<MnistToolsException>(() => LayerSpec.Parse(spec));
        Assert.Equal(ErrorIds.LayerSpecInvalid, error.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, error.Kind);
        Assert.Equal("Layers", error.Target);
        Assert.Contains($"'{spec}'", error.Message);
        Assert.Contains($"'{word}'", error.Message);
    }

    [Theory]
    [InlineData("Dense 2000000000", "2000000000", "units")]
    [InlineData("Dense 99999999999999999999", "99999999999999999999", "units")]
    [InlineData("Dense 1048577", "1048577", "units")]
    [InlineData("Dense 0", "0", "units")]
    [InlineData("Conv2d 32 2000000000", "2000000000", "kernel")]
    [InlineData("Conv2d 32 3 stride=2000000000", "stride=2000000000", "stride")]
    [InlineData("MaxPool2d 4294967296", "4294967296", "size")]
    public void AWholeNumberOutOfRangeIsSaidToBeOutOfRange(string spec, string word, string what)
    {
        var error = Assert.Throws<MnistToolsException>(() => LayerSpec.Parse(spec));
        Assert.Equal(ErrorIds.LayerSpecInvalid, error.ErrorId);
        Assert.Contains($"'{word}' is out of range: <{what}> is a whole number in 1..{LayerSpec.MaxSize}.", error.Message);
        Assert.DoesNotContain("not a valid", error.Message);
    }

    [Fact]
    public void ControlCharactersInASpecAreShownEscapedAndALongSpecIsCut()
    {
        var error = Assert.Throws<MnistToolsException>(() => LayerSpec.Parse("Dense 10\0x ReLU"));
        Assert.Contains("Dense 10\\0x ReLU", error.Message);
        Assert.DoesNotContain('\0', error.Message);
        error = Assert.Throws<MnistToolsException>(() => LayerSpec.Parse("Dense\u001B[31m 10"));
        Assert.Contains("'Dense\\e[31m'", error.Message);
        Assert.DoesNotContain('\u001B', error.Message);

        string huge = "Dense " + new string('x', 150_000);
        error = Assert.Throws<MnistToolsException>(() => LayerSpec.Parse(huge));
        Assert.InRange(error.Message.Length, 100, 1000);
        Assert.Contains("more characters)", error.Message);
    }

    [Fact]
    public void TheFactoriesRefuseWhatTheParserRefuses()
    {
        foreach (Action make in new Action[]
                 {
                     () => new DenseSpec(0), () => new DenseSpec(LayerSpec.MaxSize + 1), () => new DenseSpec(3, (Activation)99),
                     () => new Conv2dSpec(0, 3), () => new Conv2dSpec(3, 0), () => new Conv2dSpec(3, 3, stride: 0),
                     () => new Conv2dSpec(3, 3, padding: (Padding)7), () => new MaxPool2dSpec(0), () => new MaxPool2dSpec(2, 0),
                     () => new DropoutSpec(1), () => new DropoutSpec(-0.5), () => new DropoutSpec(double.NaN),
                     () => new DenseSpec(3, Activation.ReLU, slope: 0.1f), () => new DenseSpec(3, Activation.LeakyReLU, slope: float.NaN),
                     () => new Conv2dSpec(3, 3, activation: Activation.LeakyReLU, slope: float.PositiveInfinity),
                     () => new Conv2dSpec(3, 3, slope: 0.2f), () => new BatchNormSpec(activation: Activation.Tanh, slope: 0.2f),
                     () => new BatchNormSpec(activation: Activation.LeakyReLU, slope: float.NegativeInfinity),
                 })
            Assert.Equal(ErrorIds.LayerSpecInvalid, Assert.Throws<MnistToolsException>(make).ErrorId);
    }

    [Fact]
    public void TheKerasConvnetHasItsShapesAndParameters()
    {
        var layers = LayerSpec.ParseAll(["Conv2d 32 3 ReLU", "MaxPool2d 2", "Conv2d 64 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Dense 10 Softmax"]);
        var resolved = LayerSequence.CheckSequence(layers, [1, 28, 28]);
        Assert.Equal(["Conv2d 32 3 ReLU", "MaxPool2d 2", "Conv2d 64 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Flatten", "Dense 10 Softmax"],
            resolved.Select(l => l.Spec.ToString()));
        Assert.Equal(["32x26x26", "32x13x13", "64x11x11", "64x5x5", "64x5x5", "1600", "10"], resolved.Select(l => ResolvedLayer.FormatShape(l.OutputShape)));
        Assert.Equal(["1x28x28", "32x26x26", "32x13x13", "64x11x11", "64x5x5", "64x5x5", "1600"], resolved.Select(l => ResolvedLayer.FormatShape(l.InputShape)));
        Assert.Equal([320L, 0, 18496, 0, 0, 0, 16010], resolved.Select(l => l.ParameterCount));
        Assert.Equal(34826, resolved.Sum(l => l.ParameterCount));
        Assert.Equal([false, false, false, false, false, true, false], resolved.Select(l => l.IsImplied));
        Assert.Equal((1600, 10), (resolved[^1].InputSize, resolved[^1].OutputSize));
        var convolution = ((Conv2dSpec)resolved[2].Spec).ShapeOn(resolved[2].InputShape);
        Assert.Equal((32, 13, 13, 64, 3, 11, 11), (convolution.Channels, convolution.Height, convolution.Width, convolution.Filters, convolution.Kernel, convolution.OutputHeight, convolution.OutputWidth));
        var pooling = ((MaxPool2dSpec)resolved[1].Spec).ShapeOn(resolved[1].InputShape);
        Assert.Equal((32, 26, 26, 13, 13), (pooling.Channels, pooling.Height, pooling.Width, pooling.OutputHeight, pooling.OutputWidth));
        Assert.Equal([[32L, 1, 3, 3], [], [64L, 32, 3, 3], [], [], [], [10L, 1600]], resolved.Select(l => l.WeightShape));
    }

    [Fact]
    public void LeNetHasItsShapesAndParameters()
    {
        var layers = LayerSpec.ParseAll(["Conv2d 6 5 padding=same ReLU", "MaxPool2d 2", "Conv2d 16 5 ReLU", "MaxPool2d 2", "Dense 120 ReLU", "Dense 84 ReLU", "Dense 10 Softmax"]);
        var resolved = LayerSequence.CheckSequence(layers, [1, 28, 28]);
        Assert.Equal(["6x28x28", "6x14x14", "16x10x10", "16x5x5", "400", "120", "84", "10"], resolved.Select(l => ResolvedLayer.FormatShape(l.OutputShape)));
        Assert.Equal(61706, resolved.Sum(l => l.ParameterCount));
        var convolution = ((Conv2dSpec)resolved[0].Spec).ShapeOn(resolved[0].InputShape);
        Assert.Equal((2, 2), (convolution.PadTop, convolution.PadLeft));
    }

    [Fact]
    public void ADenseNetworkOnAVectorInputNeedsNoFlatten()
    {
        var resolved = LayerSequence.CheckSequence(LayerSpec.ParseAll(["Dense 128 ReLU", "Dense 10 Softmax"]), [784]);
        Assert.Equal(["128", "10"], resolved.Select(l => ResolvedLayer.FormatShape(l.OutputShape)));
        Assert.Equal(784L * 128 + 128 + 128 * 10 + 10, resolved.Sum(l => l.ParameterCount));
        // On an image input the Flatten is implied; written out, it is not implied, and the same shapes follow.
        var implied = LayerSequence.CheckSequence(LayerSpec.ParseAll(["Dense 10"]), [1, 28, 28]);
        var written = LayerSequence.CheckSequence(LayerSpec.ParseAll(["Flatten", "Dense 10"]), [1, 28, 28]);
        Assert.Equal([true, false], implied.Select(l => l.IsImplied));
        Assert.Equal([false, false], written.Select(l => l.IsImplied));
        Assert.Equal(implied.Select(l => l.Spec), written.Select(l => l.Spec));
        // Flatten of a vector, stride and same padding.
        var strided = LayerSequence.CheckSequence(LayerSpec.ParseAll(["Conv2d 4 3 stride=2 padding=same", "MaxPool2d 3 stride=2", "Flatten", "Flatten", "Dense 3"]), [2, 13, 14]);
        Assert.Equal(["4x7x7", "4x3x3", "36", "36", "3"], strided.Select(l => ResolvedLayer.FormatShape(l.OutputShape)));
    }

    public static TheoryData<string[], int[], string, string[]> SequenceErrors() => new()
    {
        // layers, input shape, error id, words the message must hold
        { ["Conv2d 8 5", "Dense 10"], [1, 4, 9], ErrorIds.LayerShapeInvalid, ["Layer 1", "'Conv2d 8 5'", "1x4x9", "5x5", "4x9"] },
        { ["Conv2d 8 3", "MaxPool2d 4", "Dense 10"], [1, 5, 5], ErrorIds.LayerShapeInvalid, ["Layer 2", "'MaxPool2d 4'", "8x3x3", "4x4", "leaves nothing"] },
        { ["Dense 10", "Conv2d 4 3", "Dense 10"], [1, 28, 28], ErrorIds.LayerShapeInvalid, ["Layer 2", "'Conv2d 4 3'", "10"] },
        { ["Flatten", "MaxPool2d 2", "Dense 10"], [1, 28, 28], ErrorIds.LayerShapeInvalid, ["Layer 2", "'MaxPool2d 2'", "784"] },
        { ["Conv2d 4 3", "Dense 10"], [784], ErrorIds.LayerShapeInvalid, ["Layer 1", "784"] },
        { ["Conv2d 1024 1 padding=same", "Dense 10"], [3, 64, 64], ErrorIds.LayerShapeInvalid, ["1024x64x64", "1048576"] },
        { ["Dense 10 Softmax", "Dense 10"], [784], ErrorIds.LayerSequenceInvalid, ["Softmax", "layer 1", "'Dense 10 Softmax'"] },
        { ["Conv2d 4 3 Softmax", "Dense 10"], [1, 8, 8], ErrorIds.LayerSequenceInvalid, ["Softmax", "'Conv2d 4 3 Softmax'"] },
        { ["Dense 10", "Dropout 0.5"], [784], ErrorIds.LayerSequenceInvalid, ["last layer", "'Dropout 0.5'"] },
        { ["Conv2d 4 3"], [1, 8, 8], ErrorIds.LayerSequenceInvalid, ["last layer", "'Conv2d 4 3'"] },
        { [], [784], ErrorIds.LayerSequenceInvalid, ["at least one layer"] },
        { ["Dense 1048576", "Dense 1048576"], [1], ErrorIds.NetworkTooLarge, ["layer 2", "'Dense 1048576'"] },
        { ["Dense 10"], [], ErrorIds.InputShapeInvalid, ["input shape"] },
        { ["Dense 10"], [1, 28], ErrorIds.InputShapeInvalid, ["1,28"] },
        { ["Dense 10"], [1, 0, 28], ErrorIds.InputShapeInvalid, ["1,0,28"] },
        { ["Dense 10"], [1, 1, 28, 28], ErrorIds.InputShapeInvalid, ["1,1,28,28"] },
        { ["Dense 10"], [4096, 4096, 4096], ErrorIds.InputShapeInvalid, ["4096,4096,4096"] },
    };

    [Theory]
    [MemberData(nameof(SequenceErrors))]
    public void ShapesAndOrdersThatDoNotFitAreRefusedWithTheShapes(string[] layers, int[] inputShape, string errorId, string[] words)
    {
        var error = Assert.Throws<MnistToolsException>(() => LayerSequence.CheckSequence(LayerSpec.ParseAll(layers), inputShape));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, error.Kind);
        Assert.Equal(errorId == ErrorIds.InputShapeInvalid ? "InputShape" : "Layers", error.Target);
        foreach (string word in words) Assert.Contains(word, error.Message);
    }
}
