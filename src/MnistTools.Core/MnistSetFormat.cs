namespace MnistTools;

/// <summary>The file formats Import-MnistSet reads (and Export-MnistSet writes, except ImageFolder).</summary>
public enum MnistSetFormat
{
    /// <summary>IDX image and label files, raw or gzip (MNIST's own format).</summary>
    Idx,
    /// <summary>One image per row: a label column (first or named "label") and n x n pixel columns.</summary>
    Csv,
    /// <summary>A folder with one sub-folder of pictures per class (PNG, JPEG, BMP, GIF, WebP).</summary>
    ImageFolder,
}
