using MnistTools.Errors;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>
/// The first layer's weights as pictures: unit u's incoming weights W[u, *] shown as a [tileRows x tileColumns]
/// tile, the classic picture of what each hidden unit looks for. Diverging colours, each tile scaled by its own
/// largest |weight|: red where a bright pixel pushes the unit up, blue where it pushes it down, white near zero. Each
/// tile has a one-pixel grey frame (so a dead unit's all-zero tile still shows as a white square), and a legend under
/// the grid gives the scale: a bar from −(largest |weight|) through 0 to +(largest |weight|) of each tile.
/// </summary>
public static class WeightGrid
{
    public static readonly SKColor Positive = new(0xD6, 0x27, 0x28);
    public static readonly SKColor Negative = new(0x1F, 0x77, 0xB4);

    /// <summary>The frame around each tile (the feature maps' frame colour).</summary>
    public static SKColor FrameColor => FeatureMapSheet.FrameColor;

    /// <summary>Height of the colour bar of the legend, in pixels.</summary>
    public const int LegendBarHeight = 10;

    /// <summary>Pixels the legend adds under the grid of <paramref name="layout"/>: the bar, a line of text, a margin.</summary>
    public static int LegendHeight(SheetLayout layout) => LegendBarHeight + (int)Math.Ceiling(layout.FontSize * 1.4f) + layout.Margin;

    /// <summary>The legend's colour bar: left, top, width (the grid's width inside its margins; the bar's colour at
    /// column i of w is <see cref="ColorOf"/>(2i/(w−1) − 1, 1)).</summary>
    public static (int Left, int Top, int Width) LegendBar(SheetLayout layout) => (layout.Margin, layout.Height, layout.Width - 2 * layout.Margin);

    /// <param name="weights">W [units x (tileRows * tileColumns)] row-major: unit u's incoming weights are row u.</param>
    public static byte[] Render(ReadOnlySpan<float> weights, int units, int tileRows, int tileColumns, int scale, int columns)
    {
        int inputs = tileRows * tileColumns;
        if (units < 1 || tileRows < 1 || tileColumns < 1 || (long)units * inputs != weights.Length)
            throw new MnistToolsException(ErrorIds.WeightShapeMismatch, FailureKind.InvalidArgument,
                $"The weights hold {weights.Length} values; expected {units} units x {tileRows} x {tileColumns} inputs.", "Network");
        GraphicsLibrary.EnsureAvailable();
        SheetLayout layout = ContactSheet.ComputeLayout(units, tileRows, tileColumns, scale, columns, captions: false);

        using var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height + LegendHeight(layout), SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var frame = new SKPaint { Color = FrameColor, Style = SKPaintStyle.Fill, IsAntialias = false };
        using var tile = new SKBitmap(new SKImageInfo(tileColumns, tileRows, SKColorType.Rgba8888, SKAlphaType.Premul));
        var sampling = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None);
        for (int u = 0; u < units; u++)
        {
            ReadOnlySpan<float> row = weights.Slice(u * inputs, inputs);
            FillTile(tile, row);
            (int x, int y) = layout.CellOrigin(u);
            int tileX = x + (layout.CellWidth - tileColumns * scale) / 2;
            canvas.DrawRect(tileX - 1, y - 1, tileColumns * scale + 2, tileRows * scale + 2, frame); // behind the tile, one pixel outside it
            using SKImage image = SKImage.FromBitmap(tile);
            canvas.DrawImage(image, new SKRect(tileX, y, tileX + tileColumns * scale, y + tileRows * scale), sampling);
        }
        DrawLegend(canvas, layout);
        return PngFile.Encode(bitmap);
    }

    /// <summary>The colour bar under the grid, with "−", "0" and "+" (and, where it fits, what they mean) under it.</summary>
    private static void DrawLegend(SKCanvas canvas, SheetLayout layout)
    {
        (int left, int top, int width) = LegendBar(layout);
        using var paint = new SKPaint { IsAntialias = false };
        for (int i = 0; i < width; i++)
        {
            paint.Color = ColorOf(width == 1 ? 0f : 2f * i / (width - 1) - 1f, 1f);
            canvas.DrawRect(left + i, top, 1, LegendBarHeight, paint);
        }
        using var font = new SKFont(Typefaces.Sans, layout.FontSize);
        using var text = new SKPaint { Color = ContactSheet.TextColor, IsAntialias = true };
        float baseline = top + LegendBarHeight + layout.FontSize * 1.1f;
        bool wide = width >= 22 * layout.FontSize;
        canvas.DrawText(wide ? "−max |w|" : "−", left, baseline, SKTextAlign.Left, font, text);
        canvas.DrawText(wide ? "0 (each tile scaled to its own max |w|)" : "0", left + width / 2f, baseline, SKTextAlign.Center, font, text);
        canvas.DrawText(wide ? "+max |w|" : "+", left + width, baseline, SKTextAlign.Right, font, text);
    }

    /// <summary>The colour of weight <paramref name="weight"/> in a tile whose largest |weight| is <paramref name="maxAbs"/>.</summary>
    public static SKColor ColorOf(float weight, float maxAbs)
    {
        float t = maxAbs > 0 && float.IsFinite(weight) ? Math.Clamp(weight / maxAbs, -1f, 1f) : 0f;
        SKColor target = t >= 0 ? Positive : Negative;
        float a = Math.Abs(t);
        return new SKColor(Blend(target.Red, a), Blend(target.Green, a), Blend(target.Blue, a));
    }

    private static byte Blend(byte channel, float amount) => (byte)Math.Round(255 + (channel - 255) * amount);

    private static void FillTile(SKBitmap tile, ReadOnlySpan<float> row)
    {
        float maxAbs = 0f;
        foreach (float w in row)
            if (float.IsFinite(w)) maxAbs = Math.Max(maxAbs, Math.Abs(w));
        Span<byte> pixels = tile.GetPixelSpan();
        for (int i = 0; i < row.Length; i++)
        {
            SKColor c = ColorOf(row[i], maxAbs);
            pixels[4 * i] = c.Red;
            pixels[4 * i + 1] = c.Green;
            pixels[4 * i + 2] = c.Blue;
            pixels[4 * i + 3] = 255;
        }
    }
}
