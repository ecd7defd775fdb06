using System.Globalization;
using MnistTools.Errors;
using ScottPlot;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>
/// A confusion matrix as a labelled heat map with ScottPlot: rows are the true classes (top to bottom),
/// columns the predicted classes (left to right); each cell shows its count and is shaded by the fraction of
/// its row (so the diagonal is each class's recall, whatever the class sizes).
/// </summary>
public static class ConfusionMatrixChart
{
    public const int MinSide = 200;
    public const int MaxSide = 8000;

    /// <summary>Draws <paramref name="matrix"/> [true class x predicted class] into a PNG of [size x size] pixels.</summary>
    /// <param name="classNames">[classes] names for the axes' labels (a data set's ClassNames); null or a list of another
    /// length labels the classes by number. Names longer than <see cref="MaxLabelLength"/> characters are cut short.</param>
    public static byte[] Render(long[,] matrix, int size, string? title = null, IReadOnlyList<string>? classNames = null) =>
        RenderWithCells(matrix, size, title, classNames).Png;

    /// <summary>Characters of a class name shown on an axis; longer names end in "…".</summary>
    public const int MaxLabelLength = 12;

    /// <summary>As <see cref="Render"/>, also giving the pixel centre of each cell [true, predicted] (for tests).</summary>
    internal static (byte[] Png, (float X, float Y)[,] CellCentres) RenderWithCells(long[,] matrix, int size, string? title,
        IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int classes = matrix.GetLength(0);
        if (classes < 1 || classes != matrix.GetLength(1) || classes > 100)
            throw new MnistToolsException(ErrorIds.ConfusionMatrixInvalid, FailureKind.InvalidArgument,
                $"A confusion matrix must be square with 1..100 classes; got {matrix.GetLength(0)} x {matrix.GetLength(1)}.", "ConfusionMatrix");
        long total = 0;
        foreach (long c in matrix)
        {
            if (c < 0)
                throw new MnistToolsException(ErrorIds.ConfusionMatrixInvalid, FailureKind.InvalidArgument, $"A confusion matrix holds counts; found {c}.", "ConfusionMatrix");
            total += c;
        }
        ChartSize.Check(size, size, MinSide, MaxSide);
        GraphicsLibrary.EnsureAvailable();

        // Heatmap row r is drawn centred on y = classes-1-r (row 0 at the top) and column c on x = c:
        // rows = true classes top to bottom, as the matrix is read.
        var fractions = new double[classes, classes];
        for (int t = 0; t < classes; t++)
        {
            long rowSum = 0;
            for (int p = 0; p < classes; p++) rowSum += matrix[t, p];
            for (int p = 0; p < classes; p++) fractions[t, p] = rowSum == 0 ? 0 : (double)matrix[t, p] / rowSum;
        }

        var plot = new Plot();
        plot.Font.Set(Typefaces.SansFamily);
        plot.Title(title ?? $"Confusion matrix ({total.ToString("N0", CultureInfo.InvariantCulture)} images)");
        plot.XLabel("predicted");
        plot.YLabel("true");
        // ScottPlot's Blues runs from dark (0) to white (1); shade by 1 - fraction so a large share is dark.
        var shades = new double[classes, classes];
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++) shades[t, p] = 1 - fractions[t, p];
        var heatmap = plot.Add.Heatmap(shades);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);

        double[] positions = Enumerable.Range(0, classes).Select(i => (double)i).ToArray();
        string[] labels = classNames is not null && classNames.Count == classes
            ? classNames.Select(n => n.Length <= MaxLabelLength ? n : n[..(MaxLabelLength - 1)] + "…").ToArray()
            : positions.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        float tickSize = Math.Clamp(size / 30f, 11f, 32f);
        // Words along the bottom would run into each other: turn them down the page, and make room for the longest
        // (about 0.55 em per character, times sin 45°, plus the axis title's line).
        int longest = labels.Max(l => l.Length);
        if (longest > 2)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = longest * tickSize * 0.55f * 0.71f + 2.5f * tickSize;
            plot.Axes.Right.MinimumSize = longest * tickSize * 0.55f * 0.71f;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, Enumerable.Reverse(labels).ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = tickSize;
        plot.Axes.Left.TickLabelStyle.FontSize = tickSize;
        plot.Axes.SetLimits(-0.5, classes - 0.5, -0.5, classes - 0.5);
        plot.Grid.IsVisible = false;

        float fontSize = Math.Clamp(size / (classes * 3.2f), 7f, 24f);
        for (int t = 0; t < classes; t++)
        {
            for (int p = 0; p < classes; p++)
            {
                var text = plot.Add.Text(matrix[t, p].ToString(CultureInfo.InvariantCulture), p, classes - 1 - t);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = fontSize;
                text.LabelFontColor = fractions[t, p] > 0.5 ? Colors.White : Colors.Black;
            }
        }

        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            plot.Render(canvas, new PixelRect(0, size, size, 0));
        }
        var centres = new (float X, float Y)[classes, classes];
        for (int t = 0; t < classes; t++)
        {
            for (int p = 0; p < classes; p++)
            {
                Pixel pixel = plot.GetPixel(new Coordinates(p, classes - 1 - t));
                centres[t, p] = (pixel.X, pixel.Y);
            }
        }
        return (PngFile.Encode(bitmap), centres);
    }
}
