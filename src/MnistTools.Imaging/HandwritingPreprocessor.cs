using MnistTools.Errors;

namespace MnistTools.Imaging;

/// <summary>The one-call entry point for "classify my own handwriting": picture file in, MNIST-style image out.</summary>
public static class HandwritingPreprocessor
{
    /// <summary>
    /// Decodes the picture at <paramref name="path"/> (PNG, JPEG, any size, dark on light or light on dark) and
    /// preprocesses it as MNIST was made (see <see cref="DigitPreprocessor"/>).
    /// </summary>
    /// <returns>A 28x28 <see cref="MnistImage"/> with Label null and DataSet = <paramref name="path"/>.</returns>
    /// <exception cref="MnistToolsException">
    /// NotFound <c>PathNotFound</c>; InvalidData <c>ImageDecodeFailed</c>, <c>ImageTooLarge</c>, <c>ImageHasNoInk</c>;
    /// ReadWrite <c>ImageReadFailed</c>; Unavailable <c>GraphicsLibraryUnavailable</c>. The target is the path.
    /// </exception>
    public static MnistImage LoadDigit(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        GreyPicture picture = ImageDecoder.DecodeGrey(path);
        return DigitPreprocessor.Preprocess(picture.Luminance, picture.Width, picture.Height, path);
    }
}
