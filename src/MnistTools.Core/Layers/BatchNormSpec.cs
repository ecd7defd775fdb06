using System.Globalization;
using System.Text;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>BatchNorm [momentum=&lt;m&gt;] [eps=&lt;e&gt;] [&lt;activation&gt;] [slope=&lt;a&gt;]</c>: batch normalisation (<see cref="BatchNormLayer"/>),
/// per channel after a convolution, per feature after a Dense; the batch's statistics in training, the running ones in
/// evaluation. Parameters γ [C] (the weights, starting at 1) then β [C] (the biases, starting at 0); state: running mean
/// [C] and running variance [C]. Momentum is PyTorch's (the weight of a batch in the running statistics, default 0.1),
/// eps is added to the variance (default 1e-5). ONNX BatchNormalization.
/// </summary>
public sealed record BatchNormSpec : LayerSpec
{
    internal static readonly LayerKind Definition = new("BatchNorm", "[momentum=<m>] [eps=<e>] [<activation>] [slope=<a>]",
        "batch normalisation per channel (or feature); batch statistics in training, running ones in evaluation", Read);

    /// <summary>PyTorch's default momentum.</summary>
    public const double DefaultMomentum = 0.1;

    /// <summary>PyTorch's default epsilon.</summary>
    public const double DefaultEpsilon = 1e-5;

    /// <summary>Batch normalisation with <paramref name="momentum"/> in (0, 1] and <paramref name="epsilon"/> &gt; 0.</summary>
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a momentum or epsilon out of range, an undefined activation,
    /// or a slope other than the default that is not finite or not with LeakyReLU.</exception>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    public BatchNormSpec(double momentum = DefaultMomentum, double epsilon = DefaultEpsilon, Activation activation = Activation.None,
        float slope = DefaultSlope)
    {
        Momentum = momentum is > 0 and <= 1 && (float)momentum > 0f ? momentum
            : throw Invalid("BatchNorm", momentum.ToString("R", CultureInfo.InvariantCulture), "is not a momentum in (0, 1].");
        Epsilon = epsilon > 0 && double.IsFinite(epsilon) && (float)epsilon > 0f && float.IsFinite((float)epsilon) ? epsilon
            : throw Invalid("BatchNorm", epsilon.ToString("R", CultureInfo.InvariantCulture), "is not an eps above 0.");
        _activation = CheckActivation(activation, "BatchNorm");
        _slope = CheckSlope(slope, _activation, "BatchNorm");
    }

    private readonly Activation _activation;
    private readonly float _slope;

    public override float Slope => _slope;

    public override LayerKind Kind => Definition;

    /// <summary>The weight of a batch's statistics in the running ones.</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public double Epsilon { get; }

    public override Activation Activation => _activation;

    protected override void WriteArguments(StringBuilder text)
    {
        if (Momentum != DefaultMomentum) text.Append(" momentum=").Append(Momentum.ToString("R", CultureInfo.InvariantCulture));
        if (Epsilon != DefaultEpsilon) text.Append(" eps=").Append(Epsilon.ToString("R", CultureInfo.InvariantCulture));
    }

    internal override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        parameters = 2L * input[0];
        return input;
    }

    internal override int ParameterRows(IReadOnlyList<int> input) => input[0];

    internal override long[] WeightShape(ResolvedLayer layer) => [layer.InputShape[0]];

    internal override IReadOnlyList<(string Suffix, long[] Shape)> StateTensors(ResolvedLayer layer) =>
        [("running_mean", [layer.InputShape[0]]), ("running_var", [layer.InputShape[0]])];

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) =>
        new BatchNormLayer(TensorShape.Of(layer.InputShape), OwnActivation, (float)Momentum, (float)Epsilon, Slope);

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input)
    {
        (string scale, string? shift) = graph.AddParameters();
        IReadOnlyList<string> state = graph.AddState();
        // ONNX's momentum weighs the running statistics (1 - PyTorch's); it matters to training mode only.
        return graph.AddNode("BatchNormalization", [input, scale, shift!, state[0], state[1]],
            GraphAttribute.Of("epsilon", (float)Epsilon), GraphAttribute.Of("momentum", (float)(1 - Momentum)));
    }

    private static LayerSpec Read(LayerSpecReader reader)
    {
        double momentum = DefaultMomentum, epsilon = DefaultEpsilon;
        Activation activation = Activation.None;
        float slope = DefaultSlope;
        string? slopeWord = null;
        while (reader.Next() is { } word)
        {
            if (reader.SlopeOption(word) is { } s) (slope, slopeWord) = (s, word);
            else if (reader.NumberOption(word, "momentum") is { } m) momentum = m is > 0 and <= 1 ? m : throw reader.Wrong(word, "is not a momentum in (0, 1].");
            else if (reader.NumberOption(word, "eps") is { } e) epsilon = e > 0 && (float)e > 0f ? e : throw reader.Wrong(word, "is not an eps above 0.");
            else if (!reader.TryActivation(word, out activation))
                throw reader.Wrong(word, "is not an option of BatchNorm (momentum=<m>, eps=<e>, slope=<a>, or an activation: Sigmoid, ReLU, Tanh, LeakyReLU, None).");
        }
        reader.CheckSlope(slopeWord, activation);
        return new BatchNormSpec(momentum, epsilon, activation, slope);
    }
}
