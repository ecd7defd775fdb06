namespace MnistTools;

/// <summary>One prediction. Flat: <see cref="Scores"/> exports as one column; the image is reachable through <see cref="GetImage"/>.</summary>
public sealed class Classification
{
    private readonly MnistImage? _image;

    public Classification(int index, int? label, int predicted, float confidence, float[] scores, MnistImage? image)
    {
        Index = index;
        Label = label;
        Predicted = predicted;
        Confidence = confidence;
        Scores = new ScoreVector(scores);
        _image = image;
    }

    /// <summary>Index of the image in its data set (or position in the input).</summary>
    public int Index { get; }

    /// <summary>The true label, or null when unknown.</summary>
    public int? Label { get; }

    /// <summary>The class with the highest score.</summary>
    public int Predicted { get; }

    /// <summary>The highest output score (for Softmax, the probability of <see cref="Predicted"/>).</summary>
    public float Confidence { get; }

    /// <summary>True/false when the label is known, otherwise null.</summary>
    public bool? IsCorrect => Label is int label ? label == Predicted : null;

    /// <summary>The output layer's activations, one per class.</summary>
    public ScoreVector Scores { get; }

    /// <summary>The classified image, when it is known (not exported by Export-Csv: a method, not a property).</summary>
    public MnistImage? GetImage() => _image;

    public override string ToString() => $"#{Index} predicted {Predicted} ({Confidence:P1}){(Label is int l ? $", true {l}" : "")}";
}
