using System.Globalization;
using System.Text;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>Conv2d &lt;filters&gt; &lt;kernel&gt; [stride=&lt;s&gt;] [padding=valid|same] [bias=false] [&lt;activation&gt;] [slope=&lt;a&gt;]</c>: a 2-D convolution
/// (<see cref="Conv2dLayer"/>) over a [channels x height x width] input. Parameters W [F x C x K x K] then b [F];
/// ONNX Conv with its kernel_shape, strides and pads.
/// </summary>
public sealed record Conv2dSpec : LayerSpec
{
    internal static readonly LayerKind Definition = new("Conv2d", "<filters> <kernel> [stride=<s>] [padding=valid|same] [bias=false] [<activation>] [slope=<a>]",
        "2-D convolution over a channels x height x width input", Read);

    /// <summary>A convolution of <paramref name="filters"/> filters of <paramref name="kernel"/> x <paramref name="kernel"/>.</summary>
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a size outside 1..<see cref="LayerSpec.MaxSize"/>, an undefined
    /// enum value, or a slope other than the default that is not finite or not with LeakyReLU.</exception>
    /// <param name="bias">False: no biases (b = 0), for a layer a BatchNorm follows.</param>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    public Conv2dSpec(int filters, int kernel, int stride = 1, Padding padding = Padding.Valid, Activation activation = Activation.None, bool bias = true,
        float slope = DefaultSlope)
    {
        Bias = bias;
        if (!Enum.IsDefined(padding)) throw Invalid("Conv2d", padding.ToString(), "is not a padding (valid, same).");
        Filters = CheckSize(filters, "filters", "Conv2d");
        Kernel = CheckSize(kernel, "kernel", "Conv2d");
        Stride = CheckSize(stride, "stride", "Conv2d");
        Padding = padding;
        _activation = CheckActivation(activation, "Conv2d");
        _slope = CheckSlope(slope, _activation, "Conv2d");
    }

    private readonly Activation _activation;
    private readonly float _slope;

    public override float Slope => _slope;

    public override LayerKind Kind => Definition;

    /// <summary>Filters: the output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel's side.</summary>
    public int Kernel { get; }

    /// <summary>The step between windows (default 1).</summary>
    public int Stride { get; }

    /// <summary>The border rule (default Valid).</summary>
    public Padding Padding { get; }

    /// <summary>Whether the layer adds a bias per filter (default true).</summary>
    public bool Bias { get; }

    internal override bool HasBias => Bias;

    public override Activation Activation => _activation;

    protected override void WriteArguments(StringBuilder text)
    {
        CultureInfo invariant = CultureInfo.InvariantCulture;
        text.Append(' ').Append(Filters.ToString(invariant)).Append(' ').Append(Kernel.ToString(invariant));
        if (Stride != 1) text.Append(" stride=").Append(Stride.ToString(invariant));
        if (Padding == Padding.Same) text.Append(" padding=same");
        if (!Bias) text.Append(" bias=false");
    }

    internal override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        LayerSequence.RequireImage(Kind, input, misfit);
        int height = Conv2dShape.OutputExtent(input[1], Kernel, Stride, Padding, out _);
        int width = Conv2dShape.OutputExtent(input[2], Kernel, Stride, Padding, out _);
        if (height < 1 || width < 1)
            throw misfit($"a {Kernel}x{Kernel} kernel is larger than the {input[1]}x{input[2]} input (padding=valid).");
        parameters = ((long)input[0] * Kernel * Kernel + (Bias ? 1 : 0)) * Filters;
        return [Filters, height, width];
    }

    internal override int ParameterRows(IReadOnlyList<int> input) => Filters;

    internal override long[] WeightShape(ResolvedLayer layer) => [Filters, layer.InputShape[0], Kernel, Kernel];

    /// <summary>The convolution's sizes on <paramref name="input"/> [C, H, W].</summary>
    internal Conv2dShape ShapeOn(IReadOnlyList<int> input) =>
        Conv2dShape.Create(input[0], input[1], input[2], Filters, Kernel, Stride, Padding);

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) =>
        new Conv2dLayer(TensorShape.Of(layer.InputShape), ShapeOn(layer.InputShape), OwnActivation, Bias, Slope);

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input)
    {
        (string weight, string? bias) = graph.AddParameters();
        Conv2dShape shape = ShapeOn(layer.InputShape);
        return graph.AddNode("Conv", bias is null ? [input, weight] : [input, weight, bias],
            GraphAttribute.Of("kernel_shape", shape.Kernel, shape.Kernel), GraphAttribute.Of("strides", shape.Stride, shape.Stride),
            GraphAttribute.Of("pads", shape.PadTop, shape.PadLeft, shape.PadBottom, shape.PadRight));
    }

    private static LayerSpec Read(LayerSpecReader reader)
    {
        int filters = reader.Size("filters"), kernel = reader.Size("kernel"), stride = 1;
        Padding padding = Padding.Valid;
        Activation activation = Activation.None;
        bool bias = true;
        float slope = DefaultSlope;
        string? slopeWord = null;
        while (reader.Next() is { } word)
        {
            if (reader.BiasOption(word) is { } value)
                bias = value;
            else if (reader.SlopeOption(word) is { } s)
                (slope, slopeWord) = (s, word);
            else if (reader.Option(word, "stride") is { } strideText)
                stride = reader.SizeValue(word, strideText, "stride");
            else if (reader.Option(word, "padding") is { } paddingText)
                padding = paddingText.ToLowerInvariant() switch
                {
                    "valid" => Padding.Valid,
                    "same" => Padding.Same,
                    _ => throw reader.Wrong(word, "is not a padding (padding=valid or padding=same)."),
                };
            else if (!reader.TryActivation(word, out activation))
                throw reader.Wrong(word, "is not an option of Conv2d (stride=<s>, padding=valid|same, bias=false, slope=<a>, or an activation: Sigmoid, ReLU, Tanh, LeakyReLU, None, Softmax).");
        }
        reader.CheckSlope(slopeWord, activation);
        return new Conv2dSpec(filters, kernel, stride, padding, activation, bias, slope);
    }
}
