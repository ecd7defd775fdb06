using System.Globalization;
using System.Text;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>Dense &lt;units&gt; [bias=false] [&lt;activation&gt;] [slope=&lt;a&gt;]</c>: a fully connected layer (<see cref="DenseLayer"/>). Reads a vector (an
/// image input is flattened first); parameters W [units x inputs] then b [units]; ONNX Gemm (transB = 1). The last
/// layer of every list is Dense: its units are the class scores.
/// </summary>
public sealed record DenseSpec : LayerSpec
{
    internal static readonly LayerKind Definition = new("Dense", "<units> [bias=false] [<activation>] [slope=<a>]",
        "fully connected: every output unit sees every input value", Read);

    /// <summary>A dense layer of <paramref name="units"/> outputs.</summary>
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a size outside 1..<see cref="LayerSpec.MaxSize"/>, an undefined
    /// activation, or a slope other than the default that is not finite or not with LeakyReLU.</exception>
    /// <param name="bias">False: no biases (b = 0), for a layer a BatchNorm follows.</param>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    public DenseSpec(int units, Activation activation = Activation.None, bool bias = true, float slope = DefaultSlope)
    {
        Units = CheckSize(units, "units", "Dense");
        _activation = CheckActivation(activation, "Dense");
        Bias = bias;
        _slope = CheckSlope(slope, _activation, "Dense");
    }

    private readonly Activation _activation;
    private readonly float _slope;

    public override float Slope => _slope;

    public override LayerKind Kind => Definition;

    /// <summary>Output units.</summary>
    public int Units { get; }

    /// <summary>Whether the layer adds a bias per unit (default true).</summary>
    public bool Bias { get; }

    internal override bool HasBias => Bias;

    public override Activation Activation => _activation;

    internal override bool ReadsVector => true;

    internal override bool GivesScores => true;

    protected override void WriteArguments(StringBuilder text)
    {
        text.Append(' ').Append(Units.ToString(CultureInfo.InvariantCulture));
        if (!Bias) text.Append(" bias=false");
    }

    internal override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        parameters = ((long)input[0] + (Bias ? 1 : 0)) * Units;
        return [Units];
    }

    internal override int ParameterRows(IReadOnlyList<int> input) => Units;

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) =>
        new DenseLayer(TensorShape.Of(layer.InputShape), Units, isLast ? null : OwnActivation, Bias, Slope);

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input)
    {
        (string weight, string? bias) = graph.AddParameters();
        return graph.AddNode("Gemm", bias is null ? [input, weight] : [input, weight, bias], GraphAttribute.Of("transB", 1));
    }

    private static LayerSpec Read(LayerSpecReader reader)
    {
        int units = reader.Size("units");
        Activation activation = Activation.None;
        bool bias = true;
        float slope = DefaultSlope;
        string? slopeWord = null;
        while (reader.Next() is { } word)
        {
            if (reader.BiasOption(word) is { } value) bias = value;
            else if (reader.SlopeOption(word) is { } s) (slope, slopeWord) = (s, word);
            else if (!reader.TryActivation(word, out activation))
                throw reader.Wrong(word, "is not an option of Dense (bias=false, slope=<a>, or an activation: Sigmoid, ReLU, Tanh, LeakyReLU, None, Softmax).");
        }
        reader.CheckSlope(slopeWord, activation);
        return new DenseSpec(units, activation, bias, slope);
    }
}
