using MnistTools.Errors;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>
/// The first layer's weights as pictures: unit u's incoming weights W[u, *] shown as a [tileRows x tileColumns]
/// tile, the classic picture of what each hidden unit looks for. Diverging colours, each tile scaled by its own
/// largest |weight|: red where a bright pixel pushes the unit up, blue where it pushes it down, white near zero.
/// </summary>
public static class WeightGrid
{
    public static readonly SKColor Positive = new(0xD6, 0x27, 0x28);
    public static readonly SKColor Negative = new(0x1F, 0x77, 0xB4);

    /// <param name="weights">W [units x (tileRows * tileColumns)] row-major: unit u's incoming weights are row u.</param>
    public static byte[] Render(ReadOnlySpan<float> weights, int units, int tileRows, int tileColumns, int scale, int columns)
    {
        int inputs = tileRows * tileColumns;
        if (units < 1 || tileRows < 1 || tileColumns < 1 || (long)units * inputs != weights.Length)
            throw new MnistToolsException("WeightShapeMismatch", FailureKind.InvalidArgument,
                $"The weights hold {weights.Length} values; expected {units} units x {tileRows} x {tileColumns} inputs.", "Network");
        GraphicsLibrary.EnsureAvailable();
        SheetLayout layout = ContactSheet.ComputeLayout(units, tileRows, tileColumns, scale, columns, captions: false);

        using var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var tile = new SKBitmap(new SKImageInfo(tileColumns, tileRows, SKColorType.Rgba8888, SKAlphaType.Premul));
        var sampling = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None);
        for (int u = 0; u < units; u++)
        {
            ReadOnlySpan<float> row = weights.Slice(u * inputs, inputs);
            FillTile(tile, row);
            (int x, int y) = layout.CellOrigin(u);
            int tileX = x + (layout.CellWidth - tileColumns * scale) / 2;
            using SKImage image = SKImage.FromBitmap(tile);
            canvas.DrawImage(image, new SKRect(tileX, y, tileX + tileColumns * scale, y + tileRows * scale), sampling);
        }
        return PngFile.Encode(bitmap);
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
