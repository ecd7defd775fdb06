namespace MnistTools.Layers;

/// <summary>The registry of layer kinds: the one list that spec parsing, help and tab completion read.</summary>
public static class LayerKinds
{
    /// <summary>Every kind, in the order help lists them.</summary>
    public static IReadOnlyList<LayerKind> All { get; } =
    [
        DenseSpec.Definition,
        Conv2dSpec.Definition,
        MaxPool2dSpec.Definition,
        AvgPool2dSpec.Definition,
        GlobalAvgPoolSpec.Definition,
        BatchNormSpec.Definition,
        DropoutSpec.Definition,
        FlattenSpec.Definition,
    ];

    /// <summary>The kind whose word is <paramref name="word"/> (case-insensitive), or null.</summary>
    public static LayerKind? Find(string word) =>
        All.FirstOrDefault(kind => string.Equals(kind.Name, word, StringComparison.OrdinalIgnoreCase));

    /// <summary>The words of every kind joined for messages: <c>Dense, Conv2d, MaxPool2d, Dropout or Flatten</c>.</summary>
    internal static string Names(string conjunction) =>
        string.Join(", ", All.Take(All.Count - 1).Select(kind => kind.Name)) + $" {conjunction} " + All[^1].Name;
}
