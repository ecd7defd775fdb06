using MnistTools.Errors;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>How a band of a feature-map picture draws its values.</summary>
public enum FeatureMapKind
{
    /// <summary>Channels x height x width: one framed map per channel, in a grid.</summary>
    Maps,
    /// <summary>A vector (a Dense layer's units, Flatten's values): one square per value, rows of equal length.</summary>
    Vector,
    /// <summary>The class scores: one bar per class, the predicted class highlighted.</summary>
    Scores,
}

/// <summary>One layer's output for one image, as a band of the picture.</summary>
/// <param name="Title">The band's heading (the layer's index, spec and shape).</param>
/// <param name="Values">Maps: [Channels x Height x Width] row-major; Vector and Scores: [Channels] (Height = Width = 1).</param>
public sealed record FeatureMapSection(string Title, FeatureMapKind Kind, int Channels, int Height, int Width, float[] Values);

/// <summary>Where one band sits: its heading at <see cref="Top"/>, then a grid of cells from <see cref="ContentTop"/>.</summary>
/// <param name="PixelScale">Picture pixels per value along each axis (Scores: the bar width).</param>
/// <param name="CellWidth">One cell's width in picture pixels (a map, a row of a vector, a bar).</param>
/// <param name="CellHeight">One cell's height in picture pixels (for Scores: the bar's full height).</param>
/// <param name="Gap">Pixels between cells.</param>
public sealed record FeatureMapBand(string Title, int Top, int ContentTop, int ContentHeight, int PixelScale, int Columns, int CellWidth, int CellHeight, int Gap, int Margin)
{
    /// <summary>Top-left corner of cell <paramref name="index"/> (row-major).</summary>
    public (int X, int Y) CellOrigin(int index) => (Margin + index % Columns * (CellWidth + Gap), ContentTop + index / Columns * (CellHeight + Gap));
}

/// <summary>The whole picture: the input image's band, then one band per section, top to bottom.</summary>
public sealed record FeatureMapLayout(int Width, int Height, float FontSize, int Margin, FeatureMapBand Input, IReadOnlyList<FeatureMapBand> Bands);

/// <summary>
/// One image's feature maps through a network, as one picture: the input image, then for each chosen layer a band with
/// its heading and its output: a grid of per-channel maps (convolution, pooling), a strip of squares (a vector) or bars
/// (the class scores). Maps whose values are all non-negative are drawn as ink on paper, white for 0 and black for the
/// largest value; a band with a negative value uses diverging colours (red positive, blue negative, white zero).
/// </summary>
public static class FeatureMapSheet
{
    /// <summary>Largest picture side accepted, in pixels (as <see cref="ContactSheet.MaxSide"/>).</summary>
    public const int MaxSide = ContactSheet.MaxSide;

    /// <summary>The frame around each map and the track behind each bar.</summary>
    public static readonly SKColor FrameColor = new(0xD9, 0xD9, 0xD9);
    public static readonly SKColor BarColor = new(0x1F, 0x77, 0xB4);
    public static readonly SKColor OtherBarColor = new(0x9E, 0xBC, 0xDA);
    public static readonly SKColor TextColor = ContactSheet.TextColor;
    public static readonly SKColor WrongColor = ContactSheet.WrongColor;

    /// <summary>A map is enlarged by a whole factor to about this fraction of the input picture's height, so the maps of
    /// every layer come out about the same size (26, 13, 11 and 5 pixels high at 2, 4, 5 and 10 times for a 28-pixel input at scale 3).</summary>
    public const double MapSideFraction = 0.6;

    /// <summary>Smallest content width: room for the headings of a small network.</summary>
    private const int MinContentWidth = 300;

    /// <summary>
    /// The layout of <paramref name="sections"/> under an input image of [<paramref name="imageRows"/> x
    /// <paramref name="imageColumns"/>] drawn at <paramref name="scale"/> picture pixels per pixel. Each map is enlarged by a
    /// whole factor to about <see cref="MapSideFraction"/> of the input picture's height; <paramref name="columns"/> maps per row at most.
    /// </summary>
    /// <exception cref="MnistToolsException">ScaleOutOfRange, ColumnsOutOfRange, PictureTooLarge (InvalidArgument).</exception>
    public static FeatureMapLayout ComputeLayout(int imageRows, int imageColumns, string inputTitle, IReadOnlyList<FeatureMapSection> sections,
        int scale, int columns)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (scale is < 1 or > 64)
            throw new MnistToolsException(ErrorIds.ScaleOutOfRange, FailureKind.InvalidArgument, $"Scale must be in 1..64; got {scale}.", "Scale");
        if (columns < 1)
            throw new MnistToolsException(ErrorIds.ColumnsOutOfRange, FailureKind.InvalidArgument, $"Columns must be at least 1; got {columns}.", "Columns");
        if (imageRows < 1 || imageColumns < 1) throw new ArgumentOutOfRangeException(nameof(imageRows));
        GraphicsLibrary.EnsureAvailable();
        float fontSize = Math.Clamp(4f * scale, 11f, 22f);
        int margin = Math.Max(12, 3 * scale);
        int headingHeight = (int)Math.Ceiling(fontSize * 1.7f);
        int bandGap = Math.Max(14, 4 * scale);
        int mapGap = Math.Max(5, 2 * scale);
        using var font = new SKFont(Typefaces.Sans, fontSize);

        // Widths first: the input, the map grids and the bars set the picture's width; vectors wrap to it.
        long contentWidth = Math.Max(MinContentWidth, (long)imageColumns * scale);
        long headingWidth = (long)Math.Ceiling(font.MeasureText(inputTitle ?? ""));
        var cells = new (int PixelScale, int Columns, int CellWidth, int CellHeight, int Gap)[sections.Count];
        for (int s = 0; s < sections.Count; s++)
        {
            FeatureMapSection section = Check(sections[s], s);
            headingWidth = Math.Max(headingWidth, (long)Math.Ceiling(font.MeasureText(section.Title ?? "")));
            switch (section.Kind)
            {
                case FeatureMapKind.Maps:
                {
                    int pixel = Math.Max(1, (int)Math.Round(MapSideFraction * imageRows * scale / section.Height));
                    int across = Math.Min(columns, section.Channels);
                    CheckSide((long)section.Width * pixel, (long)section.Height * pixel);
                    cells[s] = (pixel, across, section.Width * pixel, section.Height * pixel, mapGap);
                    contentWidth = Math.Max(contentWidth, (long)across * (section.Width * pixel + mapGap) - mapGap);
                    break;
                }
                case FeatureMapKind.Scores:
                {
                    int bar = Math.Max(12, 5 * scale);
                    cells[s] = (bar, section.Channels, bar, Math.Max(40, 16 * scale), mapGap);
                    contentWidth = Math.Max(contentWidth, (long)section.Channels * (bar + mapGap) - mapGap);
                    break;
                }
            }
        }
        contentWidth = Math.Max(contentWidth, headingWidth);
        CheckSide(contentWidth + 2 * margin, 0);

        int top = margin;
        var input = new FeatureMapBand(inputTitle ?? "", top, top + headingHeight, imageRows * scale, scale, 1, imageColumns * scale, imageRows * scale, 0, margin);
        long y = input.ContentTop + input.ContentHeight + bandGap;
        var bands = new List<FeatureMapBand>(sections.Count);
        for (int s = 0; s < sections.Count; s++)
        {
            FeatureMapSection section = sections[s];
            if (section.Kind == FeatureMapKind.Vector)
            {
                // One square per value in rows of equal length (the last may be shorter), as few rows as fit the width.
                int side = Math.Max(3, 2 * scale);
                int widest = (int)Math.Clamp(contentWidth / side, 1, section.Channels);
                int rowCount = (section.Channels + widest - 1) / widest;
                int perRow = (section.Channels + rowCount - 1) / rowCount;
                cells[s] = (side, 1, perRow * side, side * rowCount, 0);
            }
            (int pixel, int across, int cellWidth, int cellHeight, int gap) = cells[s];
            int rows = section.Kind == FeatureMapKind.Maps ? (section.Channels + across - 1) / across : 1;
            long height = (long)rows * (cellHeight + gap) - gap;
            if (section.Kind == FeatureMapKind.Scores) height += (int)Math.Ceiling(fontSize * 1.5f); // class numbers under the bars
            CheckSide(contentWidth + 2 * margin, y + headingHeight + height + margin);
            var band = new FeatureMapBand(section.Title ?? "", (int)y, (int)y + headingHeight, (int)height, pixel, across, cellWidth, cellHeight, gap, margin);
            bands.Add(band);
            y = band.ContentTop + band.ContentHeight + bandGap;
        }
        return new FeatureMapLayout((int)(contentWidth + 2 * margin), (int)(y - bandGap + margin), fontSize, margin, input, bands);
    }

    /// <summary>
    /// Draws <paramref name="image"/> and <paramref name="sections"/> (see <see cref="ComputeLayout"/>). Maps are
    /// scaled by their own largest |value| when <paramref name="perMap"/>, else by the band's; vectors by the band's.
    /// In the Scores band the bar of <paramref name="predicted"/> is dark and, when <paramref name="label"/> differs
    /// from it, the true class's number is red.
    /// </summary>
    public static byte[] Render(MnistImage image, string inputTitle, IReadOnlyList<FeatureMapSection> sections, int scale, int columns,
        bool perMap, int predicted, int? label)
    {
        ArgumentNullException.ThrowIfNull(image);
        FeatureMapLayout layout = ComputeLayout(image.Rows, image.Columns, inputTitle, sections, scale, columns);
        using var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ContactSheet.Paper);
        using var font = new SKFont(Typefaces.Sans, layout.FontSize);
        using var text = new SKPaint { IsAntialias = true, Color = TextColor };
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };

        DrawHeading(canvas, layout.Input, layout.FontSize, font, text);
        var pixels = new float[image.Pixels.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = image.Pixels[i];
        DrawFramedMap(canvas, fill, pixels, image.Rows, image.Columns, layout.Input.CellOrigin(0), scale, 255f, signed: false);

        for (int s = 0; s < sections.Count; s++)
        {
            FeatureMapSection section = sections[s];
            FeatureMapBand band = layout.Bands[s];
            DrawHeading(canvas, band, layout.FontSize, font, text);
            bool signed = section.Values.Any(v => v < 0);
            float bandMax = MaxAbs(section.Values);
            switch (section.Kind)
            {
                case FeatureMapKind.Maps:
                {
                    int size = section.Height * section.Width;
                    for (int c = 0; c < section.Channels; c++)
                    {
                        ReadOnlySpan<float> map = section.Values.AsSpan(c * size, size);
                        DrawFramedMap(canvas, fill, map, section.Height, section.Width, band.CellOrigin(c), band.PixelScale,
                            perMap ? MaxAbs(map) : bandMax, signed);
                    }
                    break;
                }
                case FeatureMapKind.Vector:
                {
                    // The full rows, then the shorter last row (if any) under them: frames first, so no frame covers a value.
                    int side = band.PixelScale, perRow = band.CellWidth / side, full = section.Channels / perRow, rest = section.Channels % perRow;
                    (int x, int y) = band.CellOrigin(0);
                    if (full > 0) DrawFrame(canvas, fill, x, y, perRow * side, full * side);
                    if (rest > 0) DrawFrame(canvas, fill, x, y + full * side, rest * side, side);
                    if (full > 0) DrawValues(canvas, section.Values.AsSpan(0, full * perRow), full, perRow, x, y, side, bandMax, signed);
                    if (rest > 0) DrawValues(canvas, section.Values.AsSpan(full * perRow), 1, rest, x, y + full * side, side, bandMax, signed);
                    break;
                }
                case FeatureMapKind.Scores:
                    DrawBars(canvas, fill, text, font, section, band, layout.FontSize, predicted, label);
                    break;
            }
        }
        return PngFile.Encode(bitmap);
    }

    /// <summary>The colour of <paramref name="value"/> in a map whose largest |value| is <paramref name="maxAbs"/>: ink on
    /// paper (white 0, black the largest) when <paramref name="signed"/> is false, else <see cref="WeightGrid.ColorOf"/>.</summary>
    public static SKColor ColorOf(float value, float maxAbs, bool signed)
    {
        if (signed) return WeightGrid.ColorOf(value, maxAbs);
        float t = maxAbs > 0 && float.IsFinite(value) ? Math.Clamp(value / maxAbs, 0f, 1f) : 0f;
        byte grey = (byte)Math.Round(255 * (1 - t));
        return new SKColor(grey, grey, grey);
    }

    private static FeatureMapSection Check(FeatureMapSection section, int index)
    {
        ArgumentNullException.ThrowIfNull(section, $"sections[{index}]");
        long expected = (long)section.Channels * section.Height * section.Width;
        if (section.Channels < 1 || section.Height < 1 || section.Width < 1 || section.Values is null || section.Values.Length != expected
            || (section.Kind != FeatureMapKind.Maps && (section.Height != 1 || section.Width != 1)))
            throw new ArgumentException($"Section {index} '{section.Title}' holds {section.Values?.Length ?? 0} values for the shape {section.Channels}x{section.Height}x{section.Width} ({section.Kind}).", nameof(section));
        return section;
    }

    private static void CheckSide(long width, long height)
    {
        if (width > MaxSide || height > MaxSide)
            throw new MnistToolsException(ErrorIds.PictureTooLarge, FailureKind.InvalidArgument,
                $"The picture would be at least {width} x {height} pixels; the largest side allowed is {MaxSide}. Use a smaller -Scale, other -Columns, or fewer -Layer.", "Scale");
    }

    private static float MaxAbs(ReadOnlySpan<float> values)
    {
        float max = 0;
        foreach (float v in values)
            if (float.IsFinite(v)) max = Math.Max(max, Math.Abs(v));
        return max;
    }

    private static void DrawHeading(SKCanvas canvas, FeatureMapBand band, float fontSize, SKFont font, SKPaint paint) =>
        canvas.DrawText(band.Title, band.Margin, band.Top + fontSize, SKTextAlign.Left, font, paint);

    /// <summary>Draws [rows x columns] values at (x, y), each a pixel x pixel square, inside a one-pixel frame.</summary>
    private static void DrawFramedMap(SKCanvas canvas, SKPaint fill, ReadOnlySpan<float> values, int rows, int columns, (int X, int Y) origin,
        int pixel, float maxAbs, bool signed)
    {
        DrawFrame(canvas, fill, origin.X, origin.Y, columns * pixel, rows * pixel);
        DrawValues(canvas, values, rows, columns, origin.X, origin.Y, pixel, maxAbs, signed);
    }

    /// <summary>A one-pixel frame just outside the [width x height] rectangle at (x, y) (drawn as a filled rectangle behind it).</summary>
    private static void DrawFrame(SKCanvas canvas, SKPaint fill, int x, int y, int width, int height)
    {
        fill.Color = FrameColor;
        canvas.DrawRect(x - 1, y - 1, width + 2, height + 2, fill);
    }

    /// <summary>Draws [rows x columns] values at (x, y), each a pixel x pixel square.</summary>
    private static void DrawValues(SKCanvas canvas, ReadOnlySpan<float> values, int rows, int columns, int x, int y, int pixel, float maxAbs, bool signed)
    {
        using var tile = new SKBitmap(new SKImageInfo(columns, rows, SKColorType.Rgba8888, SKAlphaType.Premul));
        Span<byte> bytes = tile.GetPixelSpan();
        for (int i = 0; i < values.Length; i++)
        {
            SKColor c = ColorOf(values[i], maxAbs, signed);
            bytes[4 * i] = c.Red;
            bytes[4 * i + 1] = c.Green;
            bytes[4 * i + 2] = c.Blue;
            bytes[4 * i + 3] = 255;
        }
        using SKImage picture = SKImage.FromBitmap(tile);
        canvas.DrawImage(picture, new SKRect(x, y, x + columns * pixel, y + rows * pixel), new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
    }

    /// <summary>One bar per class over a light track, its height the score (0..1); the class numbers below.</summary>
    private static void DrawBars(SKCanvas canvas, SKPaint fill, SKPaint text, SKFont font, FeatureMapSection section, FeatureMapBand band,
        float fontSize, int predicted, int? label)
    {
        for (int k = 0; k < section.Channels; k++)
        {
            (int x, int y) = band.CellOrigin(k);
            fill.Color = FrameColor;
            canvas.DrawRect(x, y, band.CellWidth, band.CellHeight, fill);
            float score = section.Values[k];
            int height = (int)Math.Round(band.CellHeight * (float.IsFinite(score) ? Math.Clamp(score, 0f, 1f) : 0f));
            fill.Color = k == predicted ? BarColor : OtherBarColor;
            canvas.DrawRect(x, y + band.CellHeight - height, band.CellWidth, height, fill);
            text.Color = label is int l && l == k && l != predicted ? WrongColor : TextColor;
            canvas.DrawText(k.ToString(System.Globalization.CultureInfo.InvariantCulture), x + band.CellWidth / 2f,
                y + band.CellHeight + fontSize * 1.2f, SKTextAlign.Center, font, text);
        }
        text.Color = TextColor;
    }
}
