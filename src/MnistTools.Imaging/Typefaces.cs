using SkiaSharp;

namespace MnistTools.Imaging;

/// <summary>The sans-serif typeface used for captions and charts: the first installed of a short list, else Skia's default.</summary>
internal static class Typefaces
{
    private static readonly string[] Preferred = { "DejaVu Sans", "Segoe UI", "Helvetica Neue", "Helvetica", "Arial", "Liberation Sans", "Noto Sans" };
    private static readonly Lazy<SKTypeface> SansTypeface = new(FindSans);

    public static SKTypeface Sans => SansTypeface.Value;

    /// <summary>The family name of <see cref="Sans"/>, for ScottPlot's font settings.</summary>
    public static string SansFamily => Sans.FamilyName;

    private static SKTypeface FindSans()
    {
        foreach (string family in Preferred)
        {
            SKTypeface? typeface = SKFontManager.Default.MatchFamily(family);
            if (typeface is not null && string.Equals(typeface.FamilyName, family, StringComparison.OrdinalIgnoreCase)) return typeface;
        }
        return SKTypeface.Default;
    }
}
