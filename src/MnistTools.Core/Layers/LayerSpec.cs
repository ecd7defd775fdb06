using System.Text;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// One layer of a network's layer list, as written for New-Network -Layers: the kind's word, then its arguments,
/// separated by spaces, case-insensitive (<c>Dense 128 ReLU</c>, <c>Conv2d 6 5 padding=same ReLU</c>, <c>MaxPool2d 2</c>).
/// Each kind is one subclass that holds all the module knows of it: its arguments (read by <see cref="LayerKind"/>,
/// written by <see cref="ToString"/>), its shape rule and parameter count, the <see cref="Layer"/> it builds, its tensors'
/// shapes in the network file and its ONNX nodes. <see cref="ToString"/> writes the canonical spec, which
/// <see cref="Parse"/> reads back to an equal record.
/// </summary>
public abstract record LayerSpec
{
    /// <summary>The parameter a bad spec is reported against.</summary>
    public const string ErrorTarget = "Layers";

    /// <summary>Largest unit count, filter count, kernel, window or stride (the dense layer size limit).</summary>
    public const int MaxSize = 1 << 20;

    /// <summary>The kind: its word and arguments.</summary>
    public abstract LayerKind Kind { get; }

    /// <summary>The activation the layer applies to its output (None for kinds without one).</summary>
    public virtual Activation Activation => Activation.None;

    /// <summary>LeakyReLU's slope for negative inputs (ONNX's alpha, PyTorch's negative_slope): the <c>slope=</c> option,
    /// <see cref="DefaultSlope"/> when it is not given (and for every other activation).</summary>
    public virtual float Slope => DefaultSlope;

    /// <summary>LeakyReLU's slope when a spec does not set one.</summary>
    public const float DefaultSlope = ActivationFunctions.LeakyReLUSlope;

    /// <summary>The activation its <see cref="Layer"/> applies: null for None (Softmax never reaches a hidden layer: the list
    /// check refuses it, and the last layer's belongs to the output head).</summary>
    private protected Activation? OwnActivation => Activation == Activation.None ? null : Activation;

    /// <summary>Whether the layer leaves its input's values as they are at inference (Dropout, Flatten): no feature maps of its own.</summary>
    public virtual bool IsInferenceIdentity => false;

    /// <summary>Whether the layer reads a vector: after an image shape the list implies a Flatten before it (Dense).</summary>
    internal virtual bool ReadsVector => false;

    /// <summary>Whether the layer can give the class scores, and so end the list (Dense).</summary>
    internal virtual bool GivesScores => false;

    /// <summary>The canonical spec: options only where they differ from the defaults, keywords lower case, the activation
    /// last but for its own slope, e.g. <c>Conv2d 32 3 ReLU</c>, <c>Conv2d 6 5 padding=same ReLU</c>, <c>MaxPool2d 2</c>,
    /// <c>Dense 10 Softmax</c>, <c>Dense 128 LeakyReLU slope=0.1</c>.</summary>
    public sealed override string ToString()
    {
        var text = new StringBuilder(Kind.Name);
        WriteArguments(text);
        if (Activation != Activation.None) text.Append(' ').Append(Activation.ToString());
        if (Slope != DefaultSlope) text.Append(" slope=").Append(SlopeText(Slope));
        return text.ToString();
    }

    /// <summary>A slope as specs write it: the shortest text that reads back to the same float.</summary>
    internal static string SlopeText(float slope) => slope.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Appends the arguments after the kind's word (each after a space), the activation excluded.</summary>
    protected virtual void WriteArguments(StringBuilder text) { }

    /// <summary>
    /// The output shape of one image for an input of <paramref name="input"/> ([values] or [channels, height, width]),
    /// and the layer's parameters (weights and biases) for it.
    /// </summary>
    /// <exception cref="MnistToolsException"><see cref="ErrorIds.LayerShapeInvalid"/> when the input does not fit
    /// (made by <paramref name="misfit"/>, which names the layer and its input).</exception>
    internal abstract int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters);

    /// <summary>Rows of weights, and so biases, for <paramref name="input"/> (Dense units, Conv2d filters); 0 without parameters.</summary>
    internal virtual int ParameterRows(IReadOnlyList<int> input) => 0;

    /// <summary>Whether the layer has a bias per row (false for <c>bias=false</c>).</summary>
    internal virtual bool HasBias => true;

    /// <summary>The layer's non-trainable state tensors in the network file and ONNX, in the order of its slice of the
    /// state buffer: name suffix (layers.i.&lt;suffix&gt;) and shape; none for most kinds.</summary>
    internal virtual IReadOnlyList<(string Suffix, long[] Shape)> StateTensors(ResolvedLayer layer) => [];

    /// <summary>The weight tensor's shape in the network file and ONNX (Dense [units, inputs], Conv2d [F, C, K, K]).</summary>
    internal virtual long[] WeightShape(ResolvedLayer layer) => [layer.Units, layer.WeightCount / Math.Max(layer.Units, 1)];

    /// <summary>The layer that computes it, or null for one that only renames its input's values (Flatten).</summary>
    /// <param name="layer">This spec with its shapes.</param>
    /// <param name="isLast">The last layer, whose activation belongs to the output head: it computes Z only.</param>
    internal abstract Layer? CreateLayer(ResolvedLayer layer, bool isLast);

    /// <summary>Adds the layer's inference nodes (without its activation, which the exporter adds) to an ONNX graph.</summary>
    /// <returns>The name of the value the layer outputs (<paramref name="input"/> when it adds nothing).</returns>
    internal abstract string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input);

    /// <summary>Reads one spec (see the type's summary).</summary>
    /// <exception cref="MnistToolsException"><see cref="ErrorIds.LayerSpecInvalid"/>: the message names the spec and the word that is wrong.</exception>
    public static LayerSpec Parse(string spec)
    {
        string text = spec ?? "";
        string[] words = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            throw new MnistToolsException(ErrorIds.LayerSpecInvalid, FailureKind.InvalidArgument,
                $"The layer spec '{MessageText.Quote(text)}' is empty: expected {LayerKinds.Names("or")}.", ErrorTarget);
        LayerKind kind = LayerKinds.Find(words[0])
            ?? throw Invalid(text, words[0], $"is not a layer kind ({string.Join(", ", LayerKinds.All)}).");
        var reader = new LayerSpecReader(text, words, kind);
        LayerSpec result = kind.Read(reader);
        reader.End();
        return result;
    }

    /// <summary>Reads every spec of a list, in order.</summary>
    public static IReadOnlyList<LayerSpec> ParseAll(IEnumerable<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        return specs.Select(Parse).ToArray();
    }

    /// <summary><paramref name="value"/> when it is a whole number in 1..<see cref="MaxSize"/>.</summary>
    private protected static int CheckSize(int value, string what, string kind) =>
        value is >= 1 and <= MaxSize ? value
        : throw Invalid(kind, value.ToString(System.Globalization.CultureInfo.InvariantCulture), $"is not a valid <{what}> (a whole number in 1..{MaxSize}).");

    /// <summary><paramref name="activation"/> when it is one of the enum's values.</summary>
    private protected static Activation CheckActivation(Activation activation, string kind) =>
        Enum.IsDefined(activation) ? activation : throw Invalid(kind, activation.ToString(), "is not an activation.");

    /// <summary><paramref name="slope"/> (a negative zero made positive) when it is finite and the activation is LeakyReLU,
    /// or it is the default.</summary>
    private protected static float CheckSlope(float slope, Activation activation, string kind)
    {
        if (slope == DefaultSlope) return slope;
        string word = "slope=" + SlopeText(slope);
        if (!float.IsFinite(slope)) throw Invalid(kind, word, SlopeRange);
        if (activation != Activation.LeakyReLU) throw Invalid(kind, word, SlopeWithoutLeakyReLU(activation));
        return slope + 0f;
    }

    /// <summary>The reason a slope's value is refused.</summary>
    internal const string SlopeRange = "is not a slope: slope=<a> takes a finite number (LeakyReLU's slope for negative inputs, default 0.01; any float32 value, as in ONNX and PyTorch).";

    /// <summary>The reason a slope without LeakyReLU is refused.</summary>
    internal static string SlopeWithoutLeakyReLU(Activation activation) =>
        $"applies to LeakyReLU only, and the layer's activation is {activation}: write LeakyReLU with it (e.g. 'LeakyReLU slope=0.1').";

    internal static MnistToolsException Invalid(string spec, string word, string reason) =>
        new(ErrorIds.LayerSpecInvalid, FailureKind.InvalidArgument, $"The layer spec '{MessageText.Quote(spec)}' is not valid: '{MessageText.Quote(word)}' {reason}", ErrorTarget);
}
