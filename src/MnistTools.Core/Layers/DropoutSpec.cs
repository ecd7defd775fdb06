using System.Globalization;
using System.Text;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// <c>Dropout &lt;rate&gt;</c>: inverted dropout of a fraction rate in [0, 1) of the values in training
/// (<see cref="DropoutLayer"/>); the identity at inference, so the ONNX graph leaves it out. No parameters.
/// </summary>
public sealed record DropoutSpec : LayerSpec
{
    internal static readonly LayerKind Definition = new("Dropout", "<rate>",
        "inverted dropout in training, the identity at inference", reader => new DropoutSpec(reader.Rate()));

    /// <summary>Dropout of a fraction <paramref name="rate"/> in [0, 1) of the values.</summary>
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a rate outside [0, 1).</exception>
    public DropoutSpec(double rate)
    {
        Rate = rate is >= 0 and < 1 ? rate : throw Invalid("Dropout", rate.ToString("R", CultureInfo.InvariantCulture), "is not a rate in [0, 1).");
    }

    public override LayerKind Kind => Definition;

    /// <summary>The fraction of values dropped in training, in [0, 1).</summary>
    public double Rate { get; }

    public override bool IsInferenceIdentity => true;

    protected override void WriteArguments(StringBuilder text) => text.Append(' ').Append(Rate.ToString("R", CultureInfo.InvariantCulture));

    internal override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        parameters = 0;
        return input;
    }

    internal override Layer CreateLayer(ResolvedLayer layer, bool isLast) => new DropoutLayer(TensorShape.Of(layer.InputShape), (float)Rate);

    internal override string AddInferenceNodes(IInferenceGraph graph, ResolvedLayer layer, string input) => input;
}
