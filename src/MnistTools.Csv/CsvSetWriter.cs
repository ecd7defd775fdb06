using MnistTools.Files;
using MnistTools.Persistence;
using nietras.SeparatedValues;

namespace MnistTools.Csv;

/// <summary>
/// Writes a data set as CSV in Kaggle's layout, which <see cref="CsvSetReader"/> reads back exactly: a header
/// "label,pixel0,...,pixel{n-1}" (no label column for an unlabelled set), then one row per image, pixels row-major as
/// integers 0..255. Written through Sep, atomically (<see cref="AtomicFile"/>).
/// </summary>
public static class CsvSetWriter
{
    public static void Write(MnistDataSet set, string path, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        AtomicFile.Write(path, overwrite, (stream, token) => Write(set, stream, token), cancellationToken);
    }

    /// <summary>Writes the CSV text (UTF-8, no byte order mark) to <paramref name="stream"/>, left open.</summary>
    public static void Write(MnistDataSet set, Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(stream);
        int size = set.ImageSize, first = set.IsLabelled ? 1 : 0;
        var names = new string[first + size];
        if (set.IsLabelled) names[0] = "label";
        for (int p = 0; p < size; p++) names[first + p] = "pixel" + p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        int[] pixelColumns = Enumerable.Range(first, size).ToArray();
        using var writer = Sep.New(',').Writer(o => o with { Escape = false }).To(new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true));
        writer.Header.Add(names);
        writer.Header.Write();
        for (int i = 0; i < set.Count; i++)
        {
            if ((i & 0xFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            using var row = writer.NewRow();
            if (set.IsLabelled) row[0].Format(set.GetLabel(i));
            row[pixelColumns].Format(set.GetPixels(i));
        }
    }
}
