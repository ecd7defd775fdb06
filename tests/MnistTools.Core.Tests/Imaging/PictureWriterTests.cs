using MnistTools.Errors;
using MnistTools.Imaging;
using SkiaSharp;

namespace MnistTools.Tests.Imaging;

/// <summary>Every written PNG is decoded and its size and some pixels checked.</summary>
public class PictureWriterTests : IDisposable
{
    private readonly string _folder = PictureHelpers.TempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static MnistImage Gradient(int index, int? label)
    {
        var pixels = new byte[28 * 28];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)((i * 7 + index * 13) % 256);
        return new MnistImage(index, label, 28, 28, pixels);
    }

    private static SKColor Grey(byte ink) => new((byte)(255 - ink), (byte)(255 - ink), (byte)(255 - ink));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void SingleImageIsInkOnPaperAtScale(int scale)
    {
        MnistImage image = Gradient(0, 5);
        using SKBitmap png = PictureHelpers.Decode(ContactSheet.RenderSingle(image, scale));
        Assert.Equal((28 * scale, 28 * scale), (png.Width, png.Height));
        foreach ((int x, int y) in new[] { (0, 0), (27, 0), (13, 17), (27, 27), (5, 22) })
        {
            SKColor expected = Grey(image.Pixels[y * 28 + x]);
            Assert.Equal(expected, png.GetPixel(x * scale, y * scale));
            Assert.Equal(expected, png.GetPixel(x * scale + scale - 1, y * scale + scale - 1));
        }
    }

    [Fact]
    public void ContactSheetPlacesImagesOnTheGridAndFramesWrongPredictionsInRed()
    {
        var items = new List<SheetItem>();
        for (int i = 0; i < 7; i++) items.Add(new SheetItem(Gradient(i, i), i, i == 4 ? 9 : i));
        const int scale = 2, columns = 3;
        SheetLayout layout = ContactSheet.ComputeLayout(7, 28, 28, scale, columns, captions: true);
        using SKBitmap png = PictureHelpers.Decode(ContactSheet.Render(items, scale, columns));

        Assert.Equal((layout.Width, layout.Height), (png.Width, png.Height));
        Assert.Equal((3, 3), (layout.Columns, layout.Rows));
        Assert.Equal(SKColors.White, png.GetPixel(0, 0));
        for (int i = 0; i < items.Count; i++)
        {
            (int x, int y) = layout.CellOrigin(i);
            int imageX = x + (layout.CellWidth - 28 * scale) / 2;
            MnistImage image = items[i].Image;
            Assert.Equal(Grey(image.Pixels[0]), png.GetPixel(imageX, y));
            Assert.Equal(Grey(image.Pixels[10 * 28 + 20]), png.GetPixel(imageX + 20 * scale + 1, y + 10 * scale + 1));
            // Left of the image: a red frame for the wrong prediction, white paper for the others.
            SKColor beside = png.GetPixel(imageX - 2, y + 14 * scale);
            Assert.Equal(i == 4 ? ContactSheet.WrongColor : SKColors.White, beside);
        }
        // The caption area under a wrong item holds red text; under a right one no red at all.
        Assert.True(CountColour(png, layout, 4, ContactSheet.WrongColor) > 5);
        Assert.Equal(0, CountColour(png, layout, 3, ContactSheet.WrongColor));
        Assert.Equal("4\u21929", items[4].Caption);
        Assert.Equal("3", items[3].Caption);
    }

    private static int CountColour(SKBitmap png, SheetLayout layout, int cell, SKColor colour)
    {
        (int x, int y) = layout.CellOrigin(cell);
        int count = 0;
        for (int py = y + layout.ImageHeight + 1; py < y + layout.ImageHeight + layout.CaptionHeight; py++)
            for (int px = x; px < x + layout.CellWidth; px++)
                if (png.GetPixel(px, py) == colour) count++;
        return count;
    }

    [Fact]
    public void TooLargeSheetIsRefusedBeforeDrawing()
    {
        var e = Assert.Throws<MnistToolsException>(() => ContactSheet.ComputeLayout(100_000, 28, 28, 8, 10, captions: true));
        Assert.Equal(("PictureTooLarge", FailureKind.InvalidArgument), (e.ErrorId, e.Kind));
    }

    [Fact]
    public void TrainingChartDrawsEachRunInItsColourOnBothPanels()
    {
        var runs = new List<ChartSeries>();
        for (int r = 0; r < 2; r++)
        {
            var points = Enumerable.Range(1, 8)
                .Select(e => new TrainingPoint(e, 1.0 / (e + r), 1.2 / (e + r), 1 - 0.5 / (e + r), 1 - 0.6 / (e + r))).ToList();
            runs.Add(new ChartSeries($"run{r}", points));
        }
        using SKBitmap png = PictureHelpers.Decode(TrainingChart.Render(runs, 900, 360));
        Assert.Equal((900, 360), (png.Width, png.Height));
        Assert.Equal(SKColors.White, png.GetPixel(2, 2));
        for (int r = 0; r < 2; r++)
        {
            SKColor colour = TrainingChart.RunColor(r);
            Assert.True(CountNear(png, 0, 450, colour) > 100, $"run {r} missing from the loss panel");
            Assert.True(CountNear(png, 450, 900, colour) > 100, $"run {r} missing from the accuracy panel");
        }
    }

    [Fact]
    public void TrainingChartWithNothingToDrawIsAnError()
    {
        var runs = new List<ChartSeries> { new(null, new[] { new TrainingPoint(1, null, double.NaN, null, null) }) };
        var e = Assert.Throws<MnistToolsException>(() => TrainingChart.Render(runs, 800, 400));
        Assert.Equal("NoTrainingData", e.ErrorId);
    }

    private static int CountNear(SKBitmap png, int fromX, int toX, SKColor colour)
    {
        int count = 0;
        for (int y = 0; y < png.Height; y++)
            for (int x = fromX; x < toX; x++)
            {
                SKColor c = png.GetPixel(x, y);
                if (Math.Abs(c.Red - colour.Red) + Math.Abs(c.Green - colour.Green) + Math.Abs(c.Blue - colour.Blue) < 30) count++;
            }
        return count;
    }

    [Fact]
    public void ConfusionMatrixShadesTheDiagonalDarkAndEmptyCellsWhite()
    {
        var matrix = new long[10, 10];
        for (int t = 0; t < 10; t++)
        {
            matrix[t, t] = 950 + t;
            matrix[t, (t + 3) % 10] = 50;
        }
        (byte[] bytes, (float X, float Y)[,] centres) = ConfusionMatrixChart.RenderWithCells(matrix, 600, null);
        using SKBitmap png = PictureHelpers.Decode(bytes);
        Assert.Equal((600, 600), (png.Width, png.Height));
        float cellWidth = centres[0, 1].X - centres[0, 0].X, cellHeight = centres[1, 0].Y - centres[0, 0].Y;
        Assert.True(cellWidth > 30 && cellHeight > 30, "cells laid out left to right, true classes top to bottom");
        for (int t = 0; t < 10; t++)
        {
            // Sample near a cell corner, away from the count printed in its middle.
            SKColor Corner(int p) => png.GetPixel((int)(centres[t, p].X - 0.4f * cellWidth), (int)(centres[t, p].Y - 0.4f * cellHeight));
            SKColor diagonal = Corner(t), confused = Corner((t + 3) % 10), empty = Corner((t + 5) % 10);
            Assert.True(Luma(diagonal) < 80, $"diagonal cell {t} should be dark, is {diagonal}");
            Assert.True(Luma(empty) > 240, $"empty cell ({t},{(t + 5) % 10}) should be white, is {empty}");
            Assert.InRange(Luma(confused), Luma(diagonal) + 1, Luma(empty) - 1);
        }
    }

    private static double Luma(SKColor c) => 0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue;

    /// <summary>
    /// Class names label the axes: the digit names draw exactly the numbers' picture, a list of another length is
    /// ignored, and words (Fashion-MNIST's, one longer than the label limit) draw another picture with the same cells.
    /// </summary>
    [Fact]
    public void ConfusionMatrixLabelsTheAxesWithTheClassNames()
    {
        var matrix = new long[10, 10];
        for (int t = 0; t < 10; t++) matrix[t, t] = 90 + t;
        byte[] numbers = ConfusionMatrixChart.Render(matrix, 600);
        Assert.Equal(numbers, ConfusionMatrixChart.Render(matrix, 600, null, MnistDataSet.DefaultClassNames(10)));
        Assert.Equal(numbers, ConfusionMatrixChart.Render(matrix, 600, null, new[] { "a", "b" }));
        string[] fashion = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot with a long name" };
        (byte[] named, (float X, float Y)[,] cells) = ConfusionMatrixChart.RenderWithCells(matrix, 600, null, fashion);
        Assert.NotEqual(numbers, named);
        using SKBitmap png = PictureHelpers.Decode(named);
        Assert.Equal((600, 600), (png.Width, png.Height));
        float cellWidth = cells[0, 1].X - cells[0, 0].X;
        Assert.True(cellWidth > 20, "the names leave room for the cells");
        Assert.True(Luma(png.GetPixel((int)cells[4, 4].X - (int)(0.4f * cellWidth), (int)cells[4, 4].Y)) < 80, "the diagonal stays dark");
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(10, 11)]
    public void ConfusionMatrixMustBeSquareCounts(int rows, int columns)
    {
        var e = Assert.Throws<MnistToolsException>(() => ConfusionMatrixChart.Render(new long[rows, columns], 600));
        Assert.Equal("ConfusionMatrixInvalid", e.ErrorId);
    }

    [Fact]
    public void WeightGridShowsEachUnitsWeightsInDivergingColours()
    {
        const int units = 5, scale = 2;
        var weights = new float[units * 784];
        for (int u = 0; u < units; u++)
        {
            weights[u * 784 + 0] = 0.5f * (u + 1);        // the unit's largest weight: full red
            weights[u * 784 + 29] = -0.25f * (u + 1);     // half its magnitude, negative: half blue
        }
        SheetLayout layout = ContactSheet.ComputeLayout(units, 28, 28, scale, 3, captions: false);
        using SKBitmap png = PictureHelpers.Decode(WeightGrid.Render(weights, units, 28, 28, scale, 3));
        Assert.Equal((layout.Width, layout.Height + WeightGrid.LegendHeight(layout)), (png.Width, png.Height));
        for (int u = 0; u < units; u++)
        {
            (int x, int y) = layout.CellOrigin(u);
            int tileX = x + (layout.CellWidth - 28 * scale) / 2;
            Assert.Equal(WeightGrid.Positive, png.GetPixel(tileX, y));
            Assert.Equal(WeightGrid.ColorOf(-0.5f, 1f), png.GetPixel(tileX + scale, y + scale));
            Assert.Equal(SKColors.White, png.GetPixel(tileX + 10 * scale, y + 10 * scale));
        }
        Assert.Equal(new SKColor(0x8F, 0xBB, 0xDA), WeightGrid.ColorOf(-0.5f, 1f));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 3)]
    [InlineData(8, 2)]
    public void WeightGridFramesEveryTileADeadOneToo_AndDrawsALegendBar(int scale, int columns)
    {
        // Three 3x3 filters; the middle one is dead (all zero), so its tile is white and only its frame shows it.
        const int units = 3;
        var weights = new float[units * 9];
        for (int k = 0; k < 9; k++) { weights[k] = k - 4; weights[18 + k] = 1; }
        SheetLayout layout = ContactSheet.ComputeLayout(units, 3, 3, scale, columns, captions: false);
        using SKBitmap png = PictureHelpers.Decode(WeightGrid.Render(weights, units, 3, 3, scale, columns));
        Assert.Equal((layout.Width, layout.Height + WeightGrid.LegendHeight(layout)), (png.Width, png.Height));
        for (int u = 0; u < units; u++)
        {
            (int x, int y) = layout.CellOrigin(u);
            int tileX = x + (layout.CellWidth - 3 * scale) / 2, side = 3 * scale;
            foreach ((int fx, int fy) in new[] { (tileX - 1, y - 1), (tileX + side, y + side), (tileX - 1, y + side / 2), (tileX + side / 2, y - 1) })
                Assert.Equal(WeightGrid.FrameColor, png.GetPixel(fx, fy));
            if (u == 1)
                for (int py = 0; py < side; py++)
                    for (int px = 0; px < side; px++) Assert.Equal(SKColors.White, png.GetPixel(tileX + px, y + py));
        }
        // The legend: blue at the left end, white in the middle, red at the right end of the bar, under the grid.
        (int left, int top, int width) = WeightGrid.LegendBar(layout);
        Assert.Equal(layout.Height, top);
        Assert.Equal(WeightGrid.Negative, png.GetPixel(left, top + WeightGrid.LegendBarHeight / 2));
        Assert.Equal(WeightGrid.Positive, png.GetPixel(left + width - 1, top + WeightGrid.LegendBarHeight / 2));
        Assert.Equal(WeightGrid.ColorOf(2f * (width / 2) / (width - 1) - 1f, 1f), png.GetPixel(left + width / 2, top));
        Assert.True(CountNear(png, 0, png.Width, ContactSheet.TextColor) > 0 || width < 30, "the legend's labels are missing");
    }

    [Fact]
    public void TrainingChartMarksTheBestEpochOfEachRunWithAVerticalLine()
    {
        // Validation loss lowest at epoch 3 of 6 (then rising): a dotted vertical line of the run's colour in both panels
        // (about 90 of the 400 rows; no curve covers more than a few dozen rows of a column).
        double[] validation = { 1.0, 0.6, 0.4, 0.5, 0.7, 0.9 };
        var points = validation.Select((v, i) => new TrainingPoint(i + 1, 1.0 / (i + 2), v, 0.5 + 0.05 * i, 0.6 - 0.02 * i)).ToList();
        var run = new ChartSeries(null, points);
        Assert.Equal(3, TrainingChart.BestEpoch(run));
        SKColor colour = TrainingChart.RunColor(0);
        using SKBitmap marked = PictureHelpers.Decode(TrainingChart.Render(new[] { run }, 800, 400));
        // Without validation losses there is no best epoch and no line.
        var plain = new ChartSeries(null, points.Select(p => p with { ValidationLoss = null }).ToList());
        Assert.Null(TrainingChart.BestEpoch(plain));
        using SKBitmap unmarked = PictureHelpers.Decode(TrainingChart.Render(new[] { plain }, 800, 400));
        foreach ((int from, int to) in new[] { (0, 400), (400, 800) })
        {
            int withLine = TallestColumn(marked, from, to, colour), without = TallestColumn(unmarked, from, to, colour);
            Assert.True(withLine > 60, $"no vertical best-epoch line: {withLine} rows");
            Assert.True(without < 40, $"a column of {without} rows of the run's colour without a best epoch");
        }
    }

    /// <summary>The most rows in which a lane of three columns in [fromX, toX) has a pixel of about <paramref name="colour"/>
    /// (an antialiased line of width 2 may fall between two columns, each a paler shade).</summary>
    private static int TallestColumn(SKBitmap png, int fromX, int toX, SKColor colour)
    {
        int tallest = 0;
        for (int x = fromX; x + 3 <= toX; x++)
        {
            int rows = 0;
            for (int y = 0; y < png.Height; y++)
                for (int dx = 0; dx < 3; dx++)
                {
                    SKColor c = png.GetPixel(x + dx, y);
                    if (Math.Abs(c.Red - colour.Red) + Math.Abs(c.Green - colour.Green) + Math.Abs(c.Blue - colour.Blue) < 90) { rows++; break; }
                }
            tallest = Math.Max(tallest, rows);
        }
        return tallest;
    }

    [Fact]
    public void AtomicWriteRefusesToClobberAndLeavesNoTemporaryFiles()
    {
        string path = Path.Combine(_folder, "x.png");
        File.WriteAllText(path, "precious");
        var e = Assert.Throws<MnistToolsException>(() => PngFile.WriteAtomic(path, new byte[] { 1, 2, 3 }, overwrite: false));
        Assert.Equal(("FileExists", FailureKind.AlreadyExists, (object)path), (e.ErrorId, e.Kind, e.Target));
        Assert.Equal("precious", File.ReadAllText(path));

        PngFile.WriteAtomic(path, new byte[] { 1, 2, 3 }, overwrite: true);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));

        var missing = Assert.Throws<MnistToolsException>(() => PngFile.WriteAtomic(Path.Combine(_folder, "no", "x.png"), new byte[1], true));
        Assert.Equal(("FolderNotFound", FailureKind.NotFound), (missing.ErrorId, missing.Kind));

        var folder = Assert.Throws<MnistToolsException>(() => PngFile.WriteAtomic(_folder, new byte[1], true));
        Assert.Equal(("PathIsDirectory", FailureKind.InvalidArgument, (object)_folder), (folder.ErrorId, folder.Kind, folder.Target));
    }
}
