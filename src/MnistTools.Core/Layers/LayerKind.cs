namespace MnistTools.Layers;

/// <summary>
/// One kind of layer as a user names it: the spec word (<c>Dense</c>, <c>Conv2d</c>...), the arguments it takes, and
/// how a spec of it is read. Each kind's spec type (a <see cref="LayerSpec"/> subclass) declares its kind and holds
/// everything else about it; <see cref="LayerKinds"/> lists them.
/// </summary>
public sealed class LayerKind
{
    internal LayerKind(string name, string usage, string summary, Func<LayerSpecReader, LayerSpec> read)
    {
        Name = name;
        Usage = usage;
        Summary = summary;
        Read = read;
    }

    /// <summary>The spec word, as the canonical text writes it.</summary>
    public string Name { get; }

    /// <summary>What follows the word, e.g. <c>&lt;units&gt; [&lt;activation&gt;]</c>; empty for a kind without arguments.</summary>
    public string Usage { get; }

    /// <summary>One line on what the layer does (help and tab completion).</summary>
    public string Summary { get; }

    /// <summary>Reads the words after the kind's own into a spec.</summary>
    internal Func<LayerSpecReader, LayerSpec> Read { get; }

    /// <summary>The spec word.</summary>
    public override string ToString() => Name;
}
