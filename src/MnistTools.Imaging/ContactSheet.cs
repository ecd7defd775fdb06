using MnistTools.Errors;
using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>One picture on a contact sheet: the image, its true label and (for a classification) the prediction.</summary>
public sealed record SheetItem(MnistImage Image, int? Label, int? Predicted)
{
    /// <summary>True when both labels are known and differ: the sheet marks it in red.</summary>
    public bool IsWrong => Label is int label && Predicted is int predicted && label != predicted;

    /// <summary>"7" for a label (or a correct prediction), "7→2" for a wrong one, "?→2" for an unlabelled prediction.</summary>
    public string? Caption => (Label, Predicted) switch
    {
        (int l, int p) when l != p => $"{l}\u2192{p}",
        (int l, _) => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        (null, int p) => $"?\u2192{p}",
        _ => null,
    };
}

/// <summary>Where everything sits on a contact sheet, in pixels. Exposed so tests can find a cell's pixels.</summary>
public sealed record SheetLayout(int Scale, int Columns, int Rows, int CellWidth, int ImageHeight, int CaptionHeight, int Gap, int Margin, float FontSize)
{
    public int Width => 2 * Margin + Columns * CellWidth + (Columns - 1) * Gap;

    public int Height => 2 * Margin + Rows * (ImageHeight + CaptionHeight) + (Rows - 1) * Gap;

    /// <summary>Top-left corner of cell <paramref name="index"/> (row-major order).</summary>
    public (int X, int Y) CellOrigin(int index) =>
        (Margin + index % Columns * (CellWidth + Gap), Margin + index / Columns * (ImageHeight + CaptionHeight + Gap));
}

/// <summary>
/// Draws MNIST images as pictures: dark ink on white paper, each pixel a <c>scale</c> x <c>scale</c> square
/// (nearest neighbour, so the real pixels stay visible).
/// </summary>
public static class ContactSheet
{
    /// <summary>Largest sheet side accepted, in pixels (PNG readers and memory both have limits).</summary>
    public const int MaxSide = 16384;

    public static readonly SKColor Paper = SKColors.White;
    public static readonly SKColor WrongColor = new(0xD6, 0x27, 0x28);
    public static readonly SKColor TextColor = new(0x20, 0x20, 0x20);

    /// <summary>One image, nothing else: a PNG of exactly [Rows*scale x Columns*scale] pixels.</summary>
    public static byte[] RenderSingle(MnistImage image, int scale)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckScale(scale);
        GraphicsLibrary.EnsureAvailable();
        CheckSide(image.Columns * scale, image.Rows * scale);
        using var bitmap = new SKBitmap(new SKImageInfo(image.Columns * scale, image.Rows * scale, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(Paper);
        DrawImage(canvas, image, 0, 0, scale);
        return PngFile.Encode(bitmap);
    }

    /// <summary>The layout for <paramref name="count"/> items of at most [maxRows x maxColumns] pixels each.</summary>
    public static SheetLayout ComputeLayout(int count, int maxRows, int maxColumns, int scale, int columns, bool captions)
    {
        CheckScale(scale);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count));
        if (columns < 1) throw new MnistToolsException(ErrorIds.ColumnsOutOfRange, FailureKind.InvalidArgument, $"Columns must be at least 1; got {columns}.", "Columns");
        columns = Math.Min(columns, count);
        int rows = (count + columns - 1) / columns;
        float fontSize = Math.Clamp(4f * scale, 11f, 36f);
        int imageWidth = maxColumns * scale, imageHeight = maxRows * scale;
        int cellWidth = Math.Max(imageWidth, (int)Math.Ceiling(2.6f * fontSize));
        int captionHeight = captions ? (int)Math.Ceiling(fontSize * 1.4f) : 0;
        int gap = Math.Max(6, 2 * scale);
        var layout = new SheetLayout(scale, columns, rows, cellWidth, imageHeight, captionHeight, gap, gap, fontSize);
        CheckSide((long)layout.Width, (long)rows * (imageHeight + captionHeight + gap) + gap);
        return layout;
    }

    /// <summary>
    /// A labelled grid of images, row-major, <paramref name="columns"/> wide. Under each image its caption
    /// (<see cref="SheetItem.Caption"/>); wrong predictions get a red frame and a red caption.
    /// </summary>
    public static byte[] Render(IReadOnlyList<SheetItem> items, int scale, int columns)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) throw new MnistToolsException(ErrorIds.NoImages, FailureKind.InvalidArgument, "There are no images to draw.", "InputObject");
        GraphicsLibrary.EnsureAvailable();
        int maxRows = items.Max(i => i.Image.Rows), maxColumns = items.Max(i => i.Image.Columns);
        bool captions = items.Any(i => i.Caption is not null);
        SheetLayout layout = ComputeLayout(items.Count, maxRows, maxColumns, scale, columns, captions);

        using var bitmap = new SKBitmap(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(Paper);
        using var font = new SKFont(Typefaces.Sans, layout.FontSize);
        using var textPaint = new SKPaint { IsAntialias = true };
        using var framePaint = new SKPaint { Color = WrongColor, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = false };

        for (int i = 0; i < items.Count; i++)
        {
            SheetItem item = items[i];
            (int x, int y) = layout.CellOrigin(i);
            int imageX = x + (layout.CellWidth - item.Image.Columns * scale) / 2;
            DrawImage(canvas, item.Image, imageX, y, scale);
            if (item.IsWrong)
                canvas.DrawRect(imageX - 2, y - 2, item.Image.Columns * scale + 3, item.Image.Rows * scale + 3, framePaint);
            if (item.Caption is string caption)
            {
                textPaint.Color = item.IsWrong ? WrongColor : TextColor;
                float baseline = y + layout.ImageHeight + layout.CaptionHeight - 0.35f * layout.FontSize;
                canvas.DrawText(caption, x + layout.CellWidth / 2f, baseline, SKTextAlign.Center, font, textPaint);
            }
        }
        return PngFile.Encode(bitmap);
    }

    /// <summary>Draws [Rows x Columns] grey levels (0 = background) as dark ink on white, each pixel scale x scale.</summary>
    private static void DrawImage(SKCanvas canvas, MnistImage image, int x, int y, int scale)
    {
        using var grey = new SKBitmap(new SKImageInfo(image.Columns, image.Rows, SKColorType.Gray8, SKAlphaType.Opaque));
        Span<byte> pixels = grey.GetPixelSpan();
        for (int i = 0; i < image.Pixels.Length; i++) pixels[i] = (byte)(255 - image.Pixels[i]);
        using SKImage picture = SKImage.FromBitmap(grey);
        canvas.DrawImage(picture, new SKRect(x, y, x + image.Columns * scale, y + image.Rows * scale),
            new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
    }

    private static void CheckScale(int scale)
    {
        if (scale is < 1 or > 64)
            throw new MnistToolsException(ErrorIds.ScaleOutOfRange, FailureKind.InvalidArgument, $"Scale must be in 1..64; got {scale}.", "Scale");
    }

    private static void CheckSide(long width, long height)
    {
        if (width > MaxSide || height > MaxSide)
            throw new MnistToolsException(ErrorIds.PictureTooLarge, FailureKind.InvalidArgument,
                $"The picture would be {width} x {height} pixels; the largest side allowed is {MaxSide}. Use a smaller -Scale, other -Columns, or fewer images.", "Scale");
    }
}
