using System.Globalization;
using System.Text;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// What the 2-D pooling kinds share: size x size windows per channel, moved by the stride (default the size), valid
/// windows only, no parameters; <c>&lt;size&gt; [stride=&lt;s&gt;]</c> in a spec. Each kind says what a window gives.
/// </summary>
public abstract record Pool2dSpec : LayerSpec
{
    /// <exception cref="MnistToolsException">LayerSpecInvalid for a size outside 1..<see cref="LayerSpec.MaxSize"/>.</exception>
    private protected Pool2dSpec(string kind, int size, int? stride)
    {
        Size = CheckSize(size, "size", kind);
        Stride = CheckSize(stride ?? size, "stride", kind);
    }

    /// <summary>The window's side.</summary>
    public int Size { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    protected sealed override void WriteArguments(StringBuilder text)
    {
        text.Append(' ').Append(Size.ToString(CultureInfo.InvariantCulture));
        if (Stride != Size) text.Append(" stride=").Append(Stride.ToString(CultureInfo.InvariantCulture));
    }

    internal sealed override int[] OutputShape(int[] input, Func<string, MnistToolsException> misfit, out long parameters)
    {
        LayerSequence.RequireImage(Kind, input, misfit);
        int height = MaxPool2dShape.OutputExtent(input[1], Size, Stride);
        int width = MaxPool2dShape.OutputExtent(input[2], Size, Stride);
        if (height < 1 || width < 1)
            throw misfit($"a {Size}x{Size} window is larger than the {input[1]}x{input[2]} input and leaves nothing.");
        parameters = 0;
        return [input[0], height, width];
    }

    /// <summary>The pooling's sizes on <paramref name="input"/> [C, H, W].</summary>
    internal MaxPool2dShape ShapeOn(IReadOnlyList<int> input) => MaxPool2dShape.Create(input[0], input[1], input[2], Size, Stride);

    /// <summary>The ONNX pooling node of this window (MaxPool, AveragePool).</summary>
    private protected string AddPoolNode(IInferenceGraph graph, string opType, string input) =>
        graph.AddNode(opType, [input], GraphAttribute.Of("kernel_shape", Size, Size), GraphAttribute.Of("strides", Stride, Stride));

    /// <summary>Reads <c>&lt;size&gt; [stride=&lt;s&gt;]</c>.</summary>
    private protected static (int Size, int? Stride) ReadWindow(LayerSpecReader reader, string kind)
    {
        int size = reader.Size("size");
        int? stride = null;
        while (reader.Next() is { } word)
        {
            if (reader.Option(word, "stride") is not { } strideText) throw reader.Wrong(word, $"is not an option of {kind} (stride=<s>).");
            stride = reader.SizeValue(word, strideText, "stride");
        }
        return (size, stride);
    }
}
