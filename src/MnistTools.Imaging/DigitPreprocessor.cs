using MnistTools.Errors;

namespace MnistTools.Imaging;

/// <summary>
/// Turns a picture of one handwritten digit into a 28x28 MNIST-style image, the way MNIST itself was made:
/// grey levels, ink made bright (inverted when the background is light), cropped to the ink's bounding box,
/// the longer side scaled to 20 pixels keeping the aspect ratio (area-averaged, so antialiased), and placed
/// in a 28x28 field so that the ink's centre of mass falls on the field's centre.
/// Pure: works on a decoded grey buffer, touches no files and no graphics library.
/// </summary>
public static class DigitPreprocessor
{
    /// <summary>Side of the output field (MNIST: 28).</summary>
    public const int FieldSize = 28;

    /// <summary>Longer side of the digit's box inside the field (MNIST: 20).</summary>
    public const int BoxSize = 20;

    /// <summary>Ink must stand this many grey levels above the background, or the picture holds no digit.</summary>
    public const int MinimumContrast = 32;

    /// <summary>Ink fainter than this fraction of the background-to-peak range is paper texture or noise.</summary>
    public const double NoiseFloor = 0.15;

    /// <summary>
    /// Preprocesses one digit.
    /// </summary>
    /// <param name="luminance">[height x width] row-major grey levels, 0 = black, 255 = white (as decoded).</param>
    /// <param name="source">What the picture is (a path), used as the image's DataSet and as the error target.</param>
    /// <returns>An image [28 x 28], 0 = background, 255 = ink, Label null.</returns>
    /// <exception cref="MnistToolsException">InvalidData <c>ImageHasNoInk</c> when no ink stands out from the background.</exception>
    public static MnistImage Preprocess(ReadOnlySpan<byte> luminance, int width, int height, string? source = null)
    {
        if (width < 1 || height < 1 || (long)width * height != luminance.Length)
            throw new ArgumentException($"luminance has {luminance.Length} bytes; expected {width} x {height}.", nameof(luminance));

        bool invert = HasLightBackground(luminance, width, height);
        float[] ink = InkLevels(luminance, invert, width, height, source);
        (int left, int top, int boxWidth, int boxHeight) = InkBoundingBox(ink, width, height);

        // The longer side becomes 20 px; the shorter keeps the aspect ratio (at least 1 px).
        double scale = (double)BoxSize / Math.Max(boxWidth, boxHeight);
        int scaledWidth = Math.Clamp((int)Math.Round(boxWidth * scale), 1, BoxSize);
        int scaledHeight = Math.Clamp((int)Math.Round(boxHeight * scale), 1, BoxSize);
        float[] scaled = AreaResample(ink, width, left, top, boxWidth, boxHeight, scaledWidth, scaledHeight);

        byte[] field = PlaceByCentreOfMass(scaled, scaledWidth, scaledHeight);
        return new MnistImage(0, null, FieldSize, FieldSize, field, source);
    }

    /// <summary>True when the picture's border is light on average: the digit is dark ink on light paper.</summary>
    internal static bool HasLightBackground(ReadOnlySpan<byte> luminance, int width, int height)
    {
        long sum = 0;
        int count = 0;
        for (int x = 0; x < width; x++)
        {
            sum += luminance[x] + luminance[(height - 1) * width + x];
            count += 2;
        }
        for (int y = 1; y < height - 1; y++)
        {
            sum += luminance[y * width] + luminance[y * width + width - 1];
            count += 2;
        }
        return sum > 127.5 * count;
    }

    /// <summary>
    /// Ink in [0,1] per pixel [height x width]: the (inverted) grey level stretched so the background
    /// (median of the border) is 0 and the strongest ink is 1; anything within the noise floor is 0.
    /// </summary>
    private static float[] InkLevels(ReadOnlySpan<byte> luminance, bool invert, int width, int height, string? source)
    {
        Span<int> borderHistogram = stackalloc int[256];
        int peak = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int v = invert ? 255 - luminance[y * width + x] : luminance[y * width + x];
                if (v > peak) peak = v;
                if (y == 0 || y == height - 1 || x == 0 || x == width - 1) borderHistogram[v]++;
            }
        }
        int background = Median(borderHistogram);
        if (peak - background < MinimumContrast)
            throw new MnistToolsException(ErrorIds.ImageHasNoInk, FailureKind.InvalidData,
                $"The picture{(source is null ? "" : $" '{source}'")} holds no digit: nothing stands out from its background " +
                $"(background {background}, strongest ink {peak}, need a difference of at least {MinimumContrast} grey levels).", source);

        // Below the floor: paper. Above it the grey level is kept (not stretched from the floor), so antialiased
        // edges keep their shades.
        float floor = (float)(background + NoiseFloor * (peak - background));
        float range = peak - background;
        var ink = new float[luminance.Length];
        for (int i = 0; i < ink.Length; i++)
        {
            int v = invert ? 255 - luminance[i] : luminance[i];
            ink[i] = v <= floor ? 0f : Math.Min(1f, (v - background) / range);
        }
        return ink;
    }

    private static int Median(ReadOnlySpan<int> histogram)
    {
        long total = 0;
        foreach (int c in histogram) total += c;
        long seen = 0;
        for (int v = 0; v < histogram.Length; v++)
        {
            seen += histogram[v];
            if (2 * seen >= total) return v;
        }
        return histogram.Length - 1;
    }

    private static (int Left, int Top, int Width, int Height) InkBoundingBox(float[] ink, int width, int height)
    {
        int left = width, right = -1, top = height, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (ink[y * width + x] <= 0f) continue;
                if (x < left) left = x;
                if (x > right) right = x;
                if (y < top) top = y;
                if (y > bottom) bottom = y;
            }
        }
        // InkLevels guarantees at least the peak pixel is above the floor.
        return (left, top, right - left + 1, bottom - top + 1);
    }

    /// <summary>
    /// Resamples the box [top, top+boxHeight) x [left, left+boxWidth) of <paramref name="source"/> (row stride
    /// <paramref name="stride"/>) to [outHeight x outWidth] by exact area averaging: each output pixel is the mean of
    /// the source area it covers, with partial pixels weighted by their covered fraction. Separable: rows, then columns.
    /// </summary>
    internal static float[] AreaResample(float[] source, int stride, int left, int top, int boxWidth, int boxHeight, int outWidth, int outHeight)
    {
        (int[] xStart, float[][] xWeights) = AreaWeights(boxWidth, outWidth);
        (int[] yStart, float[][] yWeights) = AreaWeights(boxHeight, outHeight);

        // Horizontal pass: [boxHeight x outWidth].
        var rows = new float[boxHeight * outWidth];
        for (int y = 0; y < boxHeight; y++)
        {
            int rowOffset = (top + y) * stride + left;
            for (int x = 0; x < outWidth; x++)
            {
                float sum = 0f;
                float[] w = xWeights[x];
                for (int k = 0; k < w.Length; k++) sum += w[k] * source[rowOffset + xStart[x] + k];
                rows[y * outWidth + x] = sum;
            }
        }
        // Vertical pass: [outHeight x outWidth].
        var result = new float[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
        {
            float[] w = yWeights[y];
            for (int k = 0; k < w.Length; k++)
            {
                int sourceRow = (yStart[y] + k) * outWidth;
                for (int x = 0; x < outWidth; x++) result[y * outWidth + x] += w[k] * rows[sourceRow + x];
            }
        }
        return result;
    }

    /// <summary>For each output index, the first source index it covers and the normalised coverage weights.</summary>
    private static (int[] Start, float[][] Weights) AreaWeights(int sourceLength, int outLength)
    {
        double step = (double)sourceLength / outLength;
        var start = new int[outLength];
        var weights = new float[outLength][];
        for (int o = 0; o < outLength; o++)
        {
            double from = o * step, to = (o + 1) * step;
            int first = (int)Math.Floor(from);
            int last = Math.Min(sourceLength - 1, (int)Math.Ceiling(to) - 1);
            var w = new float[last - first + 1];
            for (int s = first; s <= last; s++)
                w[s - first] = (float)((Math.Min(to, s + 1) - Math.Max(from, s)) / step);
            start[o] = first;
            weights[o] = w;
        }
        return (start, weights);
    }

    /// <summary>
    /// Puts the [height x width] ink into the 28x28 field, shifted by whole pixels so that its centre of mass,
    /// in pixel-index coordinates (sum of value * column / sum of value), lands within half a pixel of (14, 14);
    /// the shift is limited so no ink is cut off. The strongest ink becomes 255.
    /// Index coordinates match MNIST itself: its 10,000 test digits have their mass centre at (14.0, 14.0) on average
    /// in these coordinates (measured; in pixel-centre coordinates that is 14.5).
    /// </summary>
    private static byte[] PlaceByCentreOfMass(float[] ink, int width, int height)
    {
        double mass = 0, momentX = 0, momentY = 0;
        float peak = 0f;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float v = ink[y * width + x];
                mass += v;
                momentX += v * x;
                momentY += v * y;
                if (v > peak) peak = v;
            }
        }
        double centreX = momentX / mass, centreY = momentY / mass;
        int offsetX = Math.Clamp((int)Math.Round(FieldSize / 2.0 - centreX), 0, FieldSize - width);
        int offsetY = Math.Clamp((int)Math.Round(FieldSize / 2.0 - centreY), 0, FieldSize - height);

        var field = new byte[FieldSize * FieldSize];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                field[(offsetY + y) * FieldSize + offsetX + x] = (byte)Math.Clamp((int)Math.Round(255f * ink[y * width + x] / peak), 0, 255);
        return field;
    }
}
