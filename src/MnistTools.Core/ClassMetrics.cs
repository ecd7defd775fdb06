namespace MnistTools;

/// <summary>Precision, recall and F1 of one class in a <see cref="TestResult"/>; flat, exports cleanly.</summary>
public sealed class ClassMetrics
{
    public int Class { get; init; }

    /// <summary>The class's display name in the data set ("7", "Sneaker", a folder name).</summary>
    public string Name { get; init; } = "";

    /// <summary>Of the images predicted as this class, the fraction that are (0 when none were predicted).</summary>
    public double Precision { get; init; }

    /// <summary>Of the images of this class, the fraction predicted as it (0 when there are none).</summary>
    public double Recall { get; init; }

    /// <summary>Harmonic mean of precision and recall (0 when both are 0).</summary>
    public double F1 { get; init; }

    /// <summary>Number of images of this class.</summary>
    public int Support { get; init; }

    public override string ToString() => $"{Class}: precision {Precision:P1}, recall {Recall:P1}, F1 {F1:F3}, support {Support}";
}
