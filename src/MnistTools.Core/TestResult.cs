using System.Globalization;
using System.Text;
using MnistTools.Training;

namespace MnistTools;

/// <summary>One evaluation of a network on a data set.</summary>
public sealed class TestResult
{
    private readonly ConfusionMatrix _confusion;

    /// <param name="classNames">[classes] names for the per-class rows; null names each class by its number.</param>
    public TestResult(string dataSet, double loss, int[,] confusionMatrix, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(confusionMatrix);
        if (confusionMatrix.GetLength(0) != confusionMatrix.GetLength(1))
            throw new ArgumentException("The confusion matrix must be square.", nameof(confusionMatrix));
        DataSet = dataSet;
        Loss = loss;
        _confusion = new ConfusionMatrix(confusionMatrix, classNames);
        int classes = confusionMatrix.GetLength(0);
        var perClass = new ClassMetrics[classes];
        for (int c = 0; c < classes; c++)
        {
            int truePositive = _confusion[c, c], actual = 0, predicted = 0;
            for (int o = 0; o < classes; o++)
            {
                actual += _confusion[c, o];
                predicted += _confusion[o, c];
            }
            Total += actual;
            Correct += truePositive;
            double precision = predicted == 0 ? 0 : (double)truePositive / predicted;
            double recall = actual == 0 ? 0 : (double)truePositive / actual;
            perClass[c] = new ClassMetrics
            {
                Class = c,
                Name = classNames is not null && c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture),
                Precision = precision,
                Recall = recall,
                F1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall),
                Support = actual,
            };
        }
        PerClass = new ClassMetricsList(perClass);
    }

    /// <summary>Name of the data set evaluated.</summary>
    public string DataSet { get; }

    public int Total { get; }

    public int Correct { get; }

    /// <summary>Correct / Total, a fraction in [0, 1] (0 for an empty set).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>How many networks voted: 1, or the size of an <see cref="Ensemble"/> (whose scores are the networks' averaged scores).</summary>
    public int NetworkCount { get; init; } = 1;

    /// <summary>Mean per-image loss (the network's loss function, no L2 term; for an ensemble, the cross-entropy of the averaged scores).</summary>
    public double Loss { get; }

    /// <summary>[true class, predicted class] = count; prints as a grid, exports as one "r0;r1;..." column.</summary>
    public ConfusionMatrix ConfusionMatrix => _confusion;

    /// <summary>Count of images of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public int GetCount(int actual, int predicted) => _confusion[actual, predicted];

    /// <summary>One row per class: Class, Precision, Recall, F1, Support.</summary>
    public ClassMetricsList PerClass { get; }

    /// <summary>The same result with its per-class rows named by <paramref name="classNames"/> (a data set's ClassNames).</summary>
    public TestResult WithClassNames(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        return new TestResult(DataSet, Loss, _confusion.ToArray(), classNames) { NetworkCount = NetworkCount };
    }

    /// <summary>The confusion matrix as a text grid: rows are true classes, columns predicted classes.</summary>
    public string FormatConfusionMatrix() => _confusion.Format();

    public override string ToString() => $"{DataSet}: {Correct}/{Total} correct ({Accuracy.ToString("P2", CultureInfo.InvariantCulture)}), loss {Loss.ToString("G4", CultureInfo.InvariantCulture)}";
}
