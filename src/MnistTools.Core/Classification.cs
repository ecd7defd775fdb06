using MnistTools.Training;

namespace MnistTools;

/// <summary>One prediction. Flat: <see cref="Scores"/> exports as one column; the image is reachable through <see cref="GetImage"/>.</summary>
public sealed class Classification
{
    private readonly MnistImage? _image;
    /// <summary>The set the image belongs to, when it was classified as part of one: its image object is made on demand.</summary>
    private readonly MnistDataSet? _set;
    private MnistImage? _fromSet;

    /// <param name="classNames">The data set's class names; null names each class by its number.</param>
    /// <param name="path">The picture file classified; null for images of a data set and pixel arrays.</param>
    public Classification(int index, int? label, int predicted, float confidence, float[] scores, MnistImage? image,
        IReadOnlyList<string>? classNames = null, string? path = null)
    {
        Path = path;
        PredictedName = NameOf(predicted, classNames);
        LabelName = label is int known ? NameOf(known, classNames) : null;
        Index = index;
        Label = label;
        Predicted = predicted;
        Confidence = confidence;
        Scores = new ScoreVector(scores);
        _image = image;
    }

    /// <summary>
    /// The classification of image <paramref name="index"/> of <paramref name="set"/>. <see cref="GetImage"/> makes that
    /// image's object (<c>set[index]</c>) when first asked, so classifying a whole set copies no image's pixels.
    /// </summary>
    public Classification(MnistDataSet set, int index, int? label, int predicted, float confidence, float[] scores,
        IReadOnlyList<string>? classNames = null)
        : this(index, label, predicted, confidence, scores, null, classNames)
    {
        _set = set ?? throw new ArgumentNullException(nameof(set));
        if ((uint)index >= (uint)set.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in 0..{set.Count - 1}.");
    }

    /// <summary>Index of the image in its data set (or position in the input).</summary>
    public int Index { get; }

    /// <summary>The full path of the picture file classified (Get-Classification -Path, piped files); null otherwise.</summary>
    public string? Path { get; }

    /// <summary>The true label, or null when unknown.</summary>
    public int? Label { get; }

    /// <summary>The class with the highest score.</summary>
    public int Predicted { get; }

    /// <summary>The name of <see cref="Predicted"/> ("7", "Sneaker", a folder name).</summary>
    public string PredictedName { get; }

    /// <summary>The name of <see cref="Label"/>, or null when the label is unknown.</summary>
    public string? LabelName { get; }

    /// <summary>The highest output score (for Softmax, the probability of <see cref="Predicted"/>).</summary>
    public float Confidence { get; }

    /// <summary>True/false when the label is known, otherwise null.</summary>
    public bool? IsCorrect => Label is int label ? label == Predicted : null;

    /// <summary>How many networks voted: 1, or the size of an <see cref="Ensemble"/>.</summary>
    public int NetworkCount { get; init; } = 1;

    /// <summary>The output layer's activations, one per class (for an ensemble, the networks' averaged activations).</summary>
    public ScoreVector Scores { get; }

    /// <summary>The classified image, when it is known (not exported by Export-Csv: a method, not a property).</summary>
    public MnistImage? GetImage() => _image ?? (_set is null ? null : _fromSet ??= _set[Index]);

    /// <summary>
    /// The predicted class of one row of scores: the first index of its largest value (NaN never wins). The one rule
    /// behind training accuracy, Test-Network and Get-Classification.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int PredictedClass(ReadOnlySpan<float> scores) => Layers.OutputLayer.PredictedClass(scores);

    private static string NameOf(int label, IReadOnlyList<string>? names) =>
        names is not null && (uint)label < (uint)names.Count ? names[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => $"#{Index} predicted {Predicted} ({Confidence:P1}){(Label is int l ? $", true {l}" : "")}";
}
