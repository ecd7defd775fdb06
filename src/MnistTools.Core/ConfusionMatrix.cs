using System.Globalization;
using System.Text;
using MnistTools.Errors;

namespace MnistTools;

/// <summary>
/// Counts of [true class, predicted class], immutable. Prints as a grid (<see cref="Format"/>, and the format view), and
/// converts to one compact scalar (<see cref="ToString"/>: rows joined by ';', counts by ' ') so that a TestResult's
/// ConfusionMatrix column in Export-Csv is readable and <see cref="Parse"/> reads it back.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[,] _counts;
    private readonly string[]? _classNames;

    /// <param name="counts">[classes x classes], copied.</param>
    /// <param name="classNames">[classes] names shown beside the row numbers of <see cref="Format"/>; null shows numbers only.</param>
    public ConfusionMatrix(int[,] counts, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.GetLength(0) != counts.GetLength(1))
            throw new ArgumentException("The confusion matrix must be square.", nameof(counts));
        _counts = (int[,])counts.Clone();
        _classNames = classNames?.Count == counts.GetLength(0) ? classNames.ToArray() : null;
    }

    /// <summary>Number of classes (rows = columns).</summary>
    public int ClassCount => _counts.GetLength(0);

    /// <summary>Images of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>Like an array's: both dimensions are <see cref="ClassCount"/>.</summary>
    public int GetLength(int dimension) => _counts.GetLength(dimension);

    /// <summary>A copy as a plain [actual, predicted] array.</summary>
    public int[,] ToArray() => (int[,])_counts.Clone();

    /// <summary>
    /// The matrix as a text grid: rows are true classes, columns predicted classes. Rows carry the class name after
    /// the number when it says more than the number (e.g. "9 Ankle boot", at most 14 characters of it).
    /// </summary>
    public string Format()
    {
        int classes = ClassCount;
        long total = 0;
        foreach (int c in _counts) total += c;
        int width = Math.Max(4, total.ToString(CultureInfo.InvariantCulture).Length + 1);
        var labels = new string[classes];
        for (int r = 0; r < classes; r++)
        {
            string number = r.ToString(CultureInfo.InvariantCulture);
            string? name = _classNames?[r];
            labels[r] = name is null || name == number ? number : $"{number} {(name.Length <= 14 ? name : name[..13] + "…")}";
        }
        int labelWidth = Math.Max(10, labels.Max(l => l.Length) + 2);
        var text = new StringBuilder();
        text.Append("true\\pred".PadRight(labelWidth));
        for (int c = 0; c < classes; c++) text.Append(c.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        for (int r = 0; r < classes; r++)
        {
            text.AppendLine();
            text.Append(labels[r].PadRight(labelWidth));
            for (int c = 0; c < classes; c++) text.Append(_counts[r, c].ToString(CultureInfo.InvariantCulture).PadLeft(width));
        }
        return text.ToString();
    }

    /// <summary>Row by row, e.g. "5 1;0 4" for 2 classes: one scalar for CSV, read back by <see cref="Parse"/>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int r = 0; r < ClassCount; r++)
        {
            if (r > 0) text.Append(';');
            for (int c = 0; c < ClassCount; c++)
            {
                if (c > 0) text.Append(' ');
                text.Append(_counts[r, c].ToString(CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    /// <summary>Reads the text of <see cref="ToString"/> (e.g. a CSV column) back.</summary>
    /// <exception cref="MnistToolsException">InvalidData when the text is not a square matrix of non-negative counts.</exception>
    public static ConfusionMatrix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] rows = text.Split(';');
        var counts = new int[rows.Length, rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            string[] cells = rows[r].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length != rows.Length)
                throw new MnistToolsException(ErrorIds.ConfusionMatrixText, FailureKind.InvalidData,
                    $"Row {r} of the confusion matrix text has {cells.Length} counts; a {rows.Length}-class matrix needs {rows.Length}.", text);
            for (int c = 0; c < cells.Length; c++)
                if (!int.TryParse(cells[c], NumberStyles.None, CultureInfo.InvariantCulture, out counts[r, c]))
                    throw new MnistToolsException(ErrorIds.ConfusionMatrixText, FailureKind.InvalidData,
                        $"'{cells[c]}' in row {r} of the confusion matrix text is not a count.", text);
        }
        return new ConfusionMatrix(counts);
    }
}
