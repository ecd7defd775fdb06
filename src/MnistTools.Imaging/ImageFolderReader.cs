using MnistTools.Errors;

namespace MnistTools.Imaging;

/// <summary>How <see cref="ImageFolderReader"/> turns pictures into images.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>
    /// Null: pictures of 28x28 are kept, others are preprocessed as MNIST was made (<see cref="DigitPreprocessor"/>).
    /// A side n: pictures of n x n are kept, others are resized whole to n x n (area-averaged).
    /// </summary>
    public int? Size { get; init; }

    /// <summary>Images left out at the start (in the reading order: class by class, files by name).</summary>
    public int Skip { get; init; }

    /// <summary>At most this many images kept after <see cref="Skip"/>; null keeps the rest.</summary>
    public int? First { get; init; }

    /// <summary>Pictures larger than this many pixels are refused before decoding (default 4096 x 4096).</summary>
    public long MaxPixels { get; init; } = 4096L * 4096;

    /// <summary>Picture files larger than this are refused before they are read (default 64 MiB).</summary>
    public long MaxFileBytes { get; init; } = 64L << 20;
}

/// <summary>
/// Reads a folder of pictures into a <see cref="MnistDataSet"/> with torchvision's ImageFolder convention: one
/// sub-folder per class, the class names sorted (ordinal) give the labels 0..N-1, the pictures of a class are every
/// PNG, JPEG, BMP, GIF and WebP file under its sub-folder (sorted by relative path). A folder with no sub-folders but
/// pictures of its own gives an unlabelled set. Pictures become grey images with bright ink on black, as in MNIST
/// (see <see cref="ImageFolderOptions.Size"/>). Hidden files and folders (names starting with '.') are skipped.
/// Symbolic links are followed only out of the folder tree, and each file and folder is read once
/// (<see cref="FolderWalk"/>): a link back into the tree (a loop such as <c>a/s1 -> .</c>, or another class's
/// picture) is left out and reported as ImageFolderLinkSkipped.
/// <para>A bad picture (damaged, too large, not a picture, no ink) is reported through the caller's callback with
/// its own error and left out; the rest still load. Ids: ImageFolderNotFound, ImageFolderNoClasses (fatal);
/// ImageFolderEmptyClass, ImageNotAPicture, ImageFolderLinkSkipped, PathNotRegularFile, and the decoder's ImageDecodeFailed, ImageTooLarge, ImageReadFailed,
/// ImageHasNoInk (per item).</para>
/// </summary>
public static class ImageFolderReader
{
    /// <summary>File extensions read as pictures (what the graphics library decodes).</summary>
    public static IReadOnlyList<string> PictureExtensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <param name="onBadItem">Called (on the caller's thread) for each picture or class left out, with its error.</param>
    /// <param name="onProgress">Called after every picture with (pictures done, pictures in all).</param>
    public static MnistDataSet Read(string folder, string name, ImageFolderOptions options, Action<MnistToolsException> onBadItem,
        Action<int, int>? onProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onBadItem);
        if (!Directory.Exists(folder))
            throw new MnistToolsException(ErrorIds.ImageFolderNotFound, FailureKind.NotFound, $"Cannot find the folder '{folder}'.", folder);
        if (options.Skip < 0) throw new MnistToolsException(ErrorIds.SkipOutOfRange, FailureKind.InvalidArgument, $"Skip must be >= 0; got {options.Skip}.", "Skip");
        if (options.First is < 0) throw new MnistToolsException(ErrorIds.FirstOutOfRange, FailureKind.InvalidArgument, $"First must be >= 0; got {options.First}.", "First");
        if (options.Size is < 1 or > 4096)
            throw new MnistToolsException(ErrorIds.SizeOutOfRange, FailureKind.InvalidArgument, $"Size must be in 1..4096; got {options.Size}.", "Size");

        List<(string File, int Label)> items;
        string[] classNames;
        bool labelled;
        try
        {
            var walk = new FolderWalk(folder, onBadItem, cancellationToken);
            string[] classFolders = walk.ClassFolders();
            labelled = classFolders.Length > 0;
            items = new List<(string, int)>();
            if (labelled)
            {
                classNames = classFolders.Select(d => Path.GetFileName(d)!).ToArray();
                if (classNames.Length > MnistDataSet.MaxClassCount)
                    throw new MnistToolsException(ErrorIds.ImageFolderTooManyClasses, FailureKind.InvalidData,
                        $"'{folder}' has {classNames.Length} sub-folders (classes); at most {MnistDataSet.MaxClassCount} are supported.", folder);
                for (int c = 0; c < classFolders.Length; c++)
                {
                    int before = items.Count;
                    foreach (string file in walk.PicturesUnder(classFolders[c])) items.Add((file, c));
                    if (items.Count == before)
                        onBadItem(new MnistToolsException(ErrorIds.ImageFolderEmptyClass, FailureKind.InvalidData,
                            $"The class folder '{classFolders[c]}' holds no pictures ({string.Join(", ", PictureExtensions)}); class {c} ('{classNames[c]}') has no images.",
                            classFolders[c]));
                }
            }
            else
            {
                classNames = MnistDataSet.DefaultClassNames(10);
                var others = new List<MnistToolsException>();
                var quiet = new FolderWalk(folder, others.Add, cancellationToken);
                foreach (string file in quiet.PicturesUnder(folder)) items.Add((file, -1));
                // Without a single picture, the one error is that the folder holds no data set (not each stray file).
                if (items.Count == 0)
                    throw new MnistToolsException(ErrorIds.ImageFolderNoClasses, FailureKind.InvalidData,
                        $"'{folder}' has no class sub-folders and no pictures: put the pictures of each class in a sub-folder named after it " +
                        "(or pictures without labels directly in the folder).", folder);
                others.ForEach(onBadItem);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistToolsException(ErrorIds.ImageFolderReadFailed, FailureKind.ReadWrite, $"Cannot list '{folder}': {e.Message}", folder, e);
        }

        int start = Math.Min(options.Skip, items.Count);
        int take = Math.Min(options.First ?? int.MaxValue, items.Count - start);
        int side = options.Size ?? DigitPreprocessor.FieldSize, size = side * side;
        var pixels = new byte[(long)take * size <= 1 << 26 ? take * size : size * 1024];
        var labels = new List<byte>(take);
        int kept = 0;
        for (int i = 0; i < take; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (string file, int label) = items[start + i];
            try
            {
                byte[] image = Load(file, side, options);
                if ((long)(kept + 1) * size > pixels.Length) Array.Resize(ref pixels, (int)Math.Min((long)pixels.Length * 2, (long)take * size));
                image.CopyTo(pixels, kept * size);
                if (labelled) labels.Add((byte)label);
                kept++;
            }
            catch (MnistToolsException e)
            {
                onBadItem(e);
            }
            onProgress?.Invoke(i + 1, take);
        }
        byte[] data = pixels.Length == kept * size ? pixels : pixels.AsSpan(0, kept * size).ToArray();
        return new MnistDataSet(name, folder, side, side, data, labelled ? labels.ToArray() : null, classNames.Length, classNames);
    }

    /// <summary>One picture as [side x side] grey levels, ink bright.</summary>
    internal static byte[] Load(string file, int side, ImageFolderOptions options)
    {
        GreyPicture picture = ImageDecoder.DecodeGrey(file, options.MaxPixels, options.MaxFileBytes);
        if (picture.Width == side && picture.Height == side) return ToInk(picture);
        if (options.Size is null) return DigitPreprocessor.Preprocess(picture.Luminance, picture.Width, picture.Height, file).Pixels;
        byte[] ink = ToInk(picture);
        var levels = new float[ink.Length];
        for (int i = 0; i < ink.Length; i++) levels[i] = ink[i];
        float[] resized = DigitPreprocessor.AreaResample(levels, picture.Width, 0, 0, picture.Width, picture.Height, side, side);
        var result = new byte[side * side];
        for (int i = 0; i < result.Length; i++) result[i] = (byte)Math.Clamp((int)MathF.Round(resized[i]), 0, 255);
        return result;
    }

    /// <summary>Grey levels with bright ink: inverted when the picture's border is light (dark ink on paper).</summary>
    private static byte[] ToInk(GreyPicture picture)
    {
        byte[] levels = (byte[])picture.Luminance.Clone();
        if (DigitPreprocessor.HasLightBackground(levels, picture.Width, picture.Height))
            for (int i = 0; i < levels.Length; i++) levels[i] = (byte)(255 - levels[i]);
        return levels;
    }

}
