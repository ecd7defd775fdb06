using ScottPlot;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>One epoch's figures; any of them may be missing (null or NaN), e.g. without a validation set.</summary>
public sealed record TrainingPoint(double Epoch, double? TrainLoss, double? ValidationLoss, double? TrainAccuracy, double? ValidationAccuracy);

/// <summary>One training run: its name (null for a single unnamed run) and its epochs in order.</summary>
public sealed record TrainingRun(string? Name, IReadOnlyList<TrainingPoint> Points);

/// <summary>
/// Learning curves with ScottPlot: loss per epoch on the left, accuracy (%) per epoch on the right; one colour
/// per run, training as a solid line, validation dashed.
/// </summary>
public static class TrainingChart
{
    public const int MinSide = 200;
    public const int MaxSide = 8000;

    /// <summary>The colour of run <paramref name="index"/> (Category10 palette).</summary>
    public static SKColor RunColor(int index)
    {
        Color c = new ScottPlot.Palettes.Category10().GetColor(index);
        return new SKColor(c.R, c.G, c.B, c.A);
    }

    /// <summary>Draws the curves into a PNG of [height x width] pixels.</summary>
    /// <exception cref="MnistToolsException">InvalidArgument <c>NoTrainingData</c> when no run has a single finite value.</exception>
    public static byte[] Render(IReadOnlyList<TrainingRun> runs, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ChartSize.Check(width, height, MinSide, MaxSide);
        if (!runs.Any(r => r.Points.Any(p => Finite(p.TrainLoss) || Finite(p.ValidationLoss) || Finite(p.TrainAccuracy) || Finite(p.ValidationAccuracy))))
            throw new MnistToolsException("NoTrainingData", FailureKind.InvalidArgument,
                "There is nothing to draw: no input record has an Epoch with a TrainLoss, ValidationLoss, TrainAccuracy or ValidationAccuracy.", "InputObject");
        GraphicsLibrary.EnsureAvailable();

        var loss = NewPlot("Loss", "loss");
        var accuracy = NewPlot("Accuracy", "accuracy (%)");
        for (int r = 0; r < runs.Count; r++)
        {
            TrainingRun run = runs[r];
            Color color = Color.FromSKColor(RunColor(r));
            string prefix = run.Name is null ? "" : run.Name + " ";
            AddSeries(loss, run.Points, p => p.TrainLoss, color, prefix + "train", dashed: false);
            AddSeries(loss, run.Points, p => p.ValidationLoss, color, prefix + "validation", dashed: true);
            AddSeries(accuracy, run.Points, p => p.TrainAccuracy * 100, color, prefix + "train", dashed: false);
            AddSeries(accuracy, run.Points, p => p.ValidationAccuracy * 100, color, prefix + "validation", dashed: true);
        }
        loss.ShowLegend(Alignment.UpperRight);
        accuracy.ShowLegend(Alignment.LowerRight);

        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            // Each plot on its own bitmap: a ScottPlot render clears the whole canvas it is given.
            int half = width / 2;
            DrawPlot(canvas, loss, 0, half, height);
            DrawPlot(canvas, accuracy, half, width - half, height);
        }
        return PngFile.Encode(bitmap);
    }

    private static void DrawPlot(SKCanvas target, Plot plot, int left, int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap)) plot.Render(canvas, width, height);
        target.DrawBitmap(bitmap, left, 0);
    }

    private static Plot NewPlot(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(Typefaces.SansFamily);
        plot.Title(title);
        plot.XLabel("epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.YLabel(yLabel);
        return plot;
    }

    private static void AddSeries(Plot plot, IReadOnlyList<TrainingPoint> points, Func<TrainingPoint, double?> value, Color color, string legend, bool dashed)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (TrainingPoint p in points)
        {
            if (value(p) is double v && double.IsFinite(v) && double.IsFinite(p.Epoch))
            {
                xs.Add(p.Epoch);
                ys.Add(v);
            }
        }
        if (xs.Count == 0) return;
        var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
        scatter.LegendText = legend;
        scatter.LineWidth = 2;
        scatter.MarkerSize = xs.Count > 40 ? 0 : 5;
        if (dashed) scatter.LinePattern = LinePattern.Dashed;
    }

    private static bool Finite(double? value) => value is double v && double.IsFinite(v);
}

/// <summary>Validates chart sizes.</summary>
internal static class ChartSize
{
    public static void Check(int width, int height, int min, int max)
    {
        if (width < min || width > max || height < min || height > max)
            throw new MnistToolsException("ChartSizeOutOfRange", FailureKind.InvalidArgument,
                $"Width and Height must be in {min}..{max}; got {width} x {height}.", "Width");
    }
}
