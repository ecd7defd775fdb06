using MnistTools.Errors;
using ScottPlot;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>One epoch's figures; any of them may be missing (null or NaN), e.g. without a validation set. The learning
/// rate is the epoch's mean, with its lowest and highest step where the schedule changes it within the epoch.</summary>
public sealed record TrainingPoint(double Epoch, double? TrainLoss, double? ValidationLoss, double? TrainAccuracy, double? ValidationAccuracy,
    double? LearningRate = null, double? LearningRateMin = null, double? LearningRateMax = null);

/// <summary>One training run: its name (null for a single unnamed run) and its epochs in order.</summary>
public sealed record ChartSeries(string? Name, IReadOnlyList<TrainingPoint> Points);

/// <summary>
/// Learning curves with ScottPlot, one panel per metric side by side (by default loss per epoch on the left, accuracy
/// (%) per epoch on the right; the learning rate on request); one colour per run, training as a solid line, validation
/// dashed; in the learning-rate panel the mean as a solid line and the epoch's lowest and highest rate dotted. A run
/// with validation losses has its best epoch (the lowest validation loss, the one early stopping restores) marked in
/// every panel by a thin vertical line of its colour, named in the legend.
/// </summary>
public static class TrainingChart
{
    public const int MinSide = 200;
    public const int MaxSide = 8000;

    private static readonly TrainingChartMetric[] DefaultMetrics = { TrainingChartMetric.Loss, TrainingChartMetric.Accuracy };

    /// <summary>The colour of run <paramref name="index"/> (Category10 palette).</summary>
    public static SKColor RunColor(int index)
    {
        Color c = new ScottPlot.Palettes.Category10().GetColor(index);
        return new SKColor(c.R, c.G, c.B, c.A);
    }

    /// <summary>Draws the curves into a PNG of [height x width] pixels, one panel per metric (default loss, accuracy).</summary>
    /// <exception cref="MnistToolsException">InvalidArgument <c>NoTrainingData</c> when no run has a single finite value of the metrics drawn.</exception>
    public static byte[] Render(IReadOnlyList<ChartSeries> runs, int width, int height, IReadOnlyList<TrainingChartMetric>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ChartSize.Check(width, height, MinSide, MaxSide);
        IReadOnlyList<TrainingChartMetric> panels = metrics is { Count: > 0 } ? metrics.Distinct().ToArray() : DefaultMetrics;
        if (!runs.Any(r => r.Points.Any(p => panels.Any(m => Values(m, p).Any(Finite)))))
            throw new MnistToolsException(ErrorIds.NoTrainingData, FailureKind.InvalidArgument,
                $"There is nothing to draw: no input record has an Epoch with a {string.Join(" or ", panels.SelectMany(Names))}.", "InputObject");
        GraphicsLibrary.EnsureAvailable();

        var plots = new List<Plot>();
        foreach (TrainingChartMetric metric in panels)
        {
            Plot plot = metric switch
            {
                TrainingChartMetric.Accuracy => NewPlot("Accuracy", "accuracy (%)"),
                TrainingChartMetric.LearningRate => NewPlot("Learning rate", "learning rate"),
                _ => NewPlot("Loss", "loss"),
            };
            for (int r = 0; r < runs.Count; r++)
            {
                ChartSeries run = runs[r];
                Color color = Color.FromSKColor(RunColor(r));
                string prefix = run.Name is null ? "" : run.Name + " ";
                if (BestEpoch(run) is double best)
                {
                    var line = plot.Add.VerticalLine(best, 2, color, LinePattern.Dotted);
                    line.LegendText = $"{prefix}best epoch {best.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
                }
                switch (metric)
                {
                    case TrainingChartMetric.Loss:
                        AddSeries(plot, run.Points, p => p.TrainLoss, color, prefix + "train", LinePattern.Solid);
                        AddSeries(plot, run.Points, p => p.ValidationLoss, color, prefix + "validation", LinePattern.Dashed);
                        break;
                    case TrainingChartMetric.Accuracy:
                        AddSeries(plot, run.Points, p => p.TrainAccuracy * 100, color, prefix + "train", LinePattern.Solid);
                        AddSeries(plot, run.Points, p => p.ValidationAccuracy * 100, color, prefix + "validation", LinePattern.Dashed);
                        break;
                    default:
                        AddSeries(plot, run.Points, p => p.LearningRate, color, prefix + "mean", LinePattern.Solid);
                        // The range only where a schedule changed the rate within an epoch.
                        if (run.Points.Any(p => Finite(p.LearningRateMin) && Finite(p.LearningRateMax) && p.LearningRateMin != p.LearningRateMax))
                        {
                            AddSeries(plot, run.Points, p => p.LearningRateMin, color, prefix + "lowest", LinePattern.Dotted);
                            AddSeries(plot, run.Points, p => p.LearningRateMax, color, prefix + "highest", LinePattern.Dotted);
                        }
                        break;
                }
            }
            plot.ShowLegend(metric == TrainingChartMetric.Accuracy ? Alignment.LowerRight : Alignment.UpperRight);
            plots.Add(plot);
        }

        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            // Each plot on its own bitmap: a ScottPlot render clears the whole canvas it is given.
            for (int i = 0; i < plots.Count; i++)
            {
                int left = width * i / plots.Count, right = width * (i + 1) / plots.Count;
                DrawPlot(canvas, plots[i], left, right - left, height);
            }
        }
        return PngFile.Encode(bitmap);
    }

    /// <summary>The epoch of <paramref name="run"/> with the lowest validation loss (the first such); null without one.</summary>
    public static double? BestEpoch(ChartSeries run)
    {
        TrainingPoint? best = null;
        foreach (TrainingPoint p in run.Points)
            if (Finite(p.ValidationLoss) && double.IsFinite(p.Epoch) && (best is null || p.ValidationLoss < best.ValidationLoss)) best = p;
        return best?.Epoch;
    }

    /// <summary>The figures of <paramref name="point"/> that <paramref name="metric"/> draws.</summary>
    private static double?[] Values(TrainingChartMetric metric, TrainingPoint point) => metric switch
    {
        TrainingChartMetric.Loss => new[] { point.TrainLoss, point.ValidationLoss },
        TrainingChartMetric.Accuracy => new[] { point.TrainAccuracy, point.ValidationAccuracy },
        _ => new[] { point.LearningRate, point.LearningRateMin, point.LearningRateMax },
    };

    /// <summary>The record properties <paramref name="metric"/> reads.</summary>
    public static string[] Names(TrainingChartMetric metric) => metric switch
    {
        TrainingChartMetric.Loss => new[] { "TrainLoss", "ValidationLoss" },
        TrainingChartMetric.Accuracy => new[] { "TrainAccuracy", "ValidationAccuracy" },
        _ => new[] { "LearningRate", "LearningRateMin", "LearningRateMax" },
    };

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

    private static void AddSeries(Plot plot, IReadOnlyList<TrainingPoint> points, Func<TrainingPoint, double?> value, Color color, string legend, LinePattern pattern)
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
        scatter.LinePattern = pattern;
    }

    private static bool Finite(double? value) => value is double v && double.IsFinite(v);
}

/// <summary>Validates chart sizes.</summary>
internal static class ChartSize
{
    public static void Check(int width, int height, int min, int max)
    {
        if (width < min || width > max || height < min || height > max)
            throw new MnistToolsException(ErrorIds.ChartSizeOutOfRange, FailureKind.InvalidArgument,
                $"Width and Height must be in {min}..{max}; got {width} x {height}.", "Width");
    }
}
