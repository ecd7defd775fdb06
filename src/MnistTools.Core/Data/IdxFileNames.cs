using MnistTools.Errors;
using MnistTools.Persistence;

namespace MnistTools.Data;

/// <summary>
/// How IDX files are named and found, for every data cmdlet: the standard names of a subset
/// (train-images-idx3-ubyte[.gz], t10k-...), the image-to-label rule (images-idx3 becomes labels-idx1, or QMNIST's
/// labels-idx2-int), the extensions read as CSV, and telling a path's format.
/// </summary>
public static class IdxFileNames
{
    /// <summary>The part of an image file's name that names it as one.</summary>
    public const string ImagesPart = "images-idx3";
    /// <summary>What <see cref="ImagesPart"/> becomes in the label file's name.</summary>
    public const string LabelsPart = "labels-idx1";

    private const string ImagesUbyte = "images-idx3-ubyte", WideLabels = "labels-idx2-int";

    /// <summary>The standard names (without .gz) of a subset's pair: train-… for Train, t10k-… for Test.</summary>
    public static (string Images, string Labels) Standard(MnistSubset subset) => subset == MnistSubset.Train
        ? ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
        : ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /// <summary>The subset a set's name suggests: Test for names with "test" or "t10k" in them (mnist-test, as Import-MnistSet names it), else Train.</summary>
    public static MnistSubset SubsetOf(string setName) =>
        setName.Contains("test", StringComparison.OrdinalIgnoreCase) || setName.Contains("t10k", StringComparison.OrdinalIgnoreCase)
            ? MnistSubset.Test : MnistSubset.Train;

    /// <summary>True for the extensions read and written as CSV: .csv, .tsv, .txt.</summary>
    public static bool IsCsvName(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".csv" or ".tsv" or ".txt";

    /// <summary>True when the name ends in .gz (written gzip-compressed).</summary>
    public static bool IsGzipName(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name without a trailing .gz.</summary>
    public static string StripGz(string name) => IsGzipName(name) ? name[..^3] : name;

    /// <summary>The label file named after <paramref name="imageFile"/> (images-idx3 replaced by labels-idx1, same folder), or null when its name lacks images-idx3.</summary>
    public static string? LabelFileFor(string imageFile)
    {
        string name = Path.GetFileName(imageFile);
        int at = name.IndexOf(ImagesPart, StringComparison.OrdinalIgnoreCase);
        if (at < 0) return null;
        return Path.Combine(Path.GetDirectoryName(imageFile) ?? ".", name[..at] + LabelsPart + name[(at + ImagesPart.Length)..]);
    }

    /// <summary>True when the folder holds IDX files of its own (any name containing "-idx").</summary>
    public static bool HasIdxFiles(string folder) => Directory.EnumerateFiles(folder, "*-idx*").Any();

    /// <summary>
    /// The folders under <paramref name="folder"/> (any depth, links and hidden folders not followed) that hold IDX
    /// files, at most <paramref name="limit"/>, sorted; checks <paramref name="cancellationToken"/> at every folder.
    /// </summary>
    public static IReadOnlyList<string> FoldersBelowWithIdxFiles(string folder, int limit = 3, CancellationToken cancellationToken = default)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
        };
        try
        {
            foreach (string directory in Directory.EnumerateDirectories(folder, "*", options))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Path.GetRelativePath(folder, directory).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'))) continue;
                if (HasIdxFiles(directory) && found.Add(directory) && found.Count >= limit) break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* what was found so far */ }
        return found.ToList();
    }

    /// <summary>
    /// The subset's image and label files in a folder: the standard name (with or without .gz), else the one file
    /// named "*train-images-idx3-ubyte" (Test: "*t10k-" or "*test-images-idx3-ubyte"), as QMNIST and EMNIST name theirs.
    /// </summary>
    /// <exception cref="MnistToolsException">IdxFileAmbiguous, IdxFileNotFound, LabelPathNotInferred.</exception>
    public static (string Images, string Labels) InFolder(string folder, MnistSubset subset)
    {
        (string standard, _) = Standard(subset);
        string bare = Path.Combine(folder, standard);
        string images;
        if (File.Exists(bare + ".gz") || File.Exists(bare) || Directory.Exists(bare)) images = FindVariant(bare);
        else
        {
            string[] endings = subset == MnistSubset.Train ? ["train-images-idx3-ubyte"] : ["t10k-images-idx3-ubyte", "test-images-idx3-ubyte"];
            string[] candidates = Directory.EnumerateFiles(folder)
                .Where(f => endings.Any(e => StripGz(Path.GetFileName(f)).EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                .Select(StripGz).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (candidates.Length > 1)
                throw new MnistToolsException(ErrorIds.IdxFileAmbiguous, FailureKind.InvalidArgument,
                    $"'{folder}' holds the {subset.ToString().ToLowerInvariant()} images of several sets ({string.Join(", ", candidates.Select(Path.GetFileName))}); pass the image file as -Path.", folder);
            images = FindVariant(candidates.Length == 1 ? candidates[0] : bare);
        }
        return BesideImageFile(images);
    }

    /// <summary>An image file's label file: images-idx3 replaced by labels-idx1 (or QMNIST's labels-idx2-int), with or without .gz.</summary>
    /// <exception cref="MnistToolsException">LabelPathNotInferred, IdxFileNotFound.</exception>
    public static (string Images, string Labels) BesideImageFile(string imageFile)
    {
        string? labels = LabelFileFor(imageFile);
        if (labels is null)
            throw new MnistToolsException(ErrorIds.LabelPathNotInferred, FailureKind.InvalidArgument,
                $"Cannot tell the label file of '{imageFile}': its name does not contain '{ImagesPart}'. Use -ImagePath and -LabelPath (or -ImagePath alone for images without labels).", imageFile);
        if (File.Exists(labels)) return (imageFile, labels);
        string fileName = Path.GetFileName(imageFile);
        string folder = Path.GetDirectoryName(imageFile) ?? ".";
        string bare = StripGz(labels);
        int at = fileName.IndexOf(ImagesUbyte, StringComparison.OrdinalIgnoreCase);
        string? wide = at < 0 ? null : Path.Combine(folder, StripGz(fileName[..at] + WideLabels + fileName[(at + ImagesUbyte.Length)..]));
        if (wide is not null && !File.Exists(bare) && !File.Exists(bare + ".gz") && (File.Exists(wide) || File.Exists(wide + ".gz"))) return (imageFile, FindVariant(wide));
        return (imageFile, FindVariant(bare));
    }

    /// <summary><paramref name="bare"/>.gz if it exists, else <paramref name="bare"/> if it exists, else IdxFileNotFound.</summary>
    public static string FindVariant(string bare)
    {
        string gz = bare + ".gz";
        if (File.Exists(gz)) return gz;
        if (File.Exists(bare) || Directory.Exists(bare)) return bare; // a folder of that name fails in the reader
        throw new MnistToolsException(ErrorIds.IdxFileNotFound, FailureKind.NotFound,
            $"Cannot find '{Path.GetFileName(gz)}' or '{Path.GetFileName(bare)}' in '{Path.GetDirectoryName(bare)}'. " +
            "(A CSV file or a folder of pictures is read with -Format Csv or -Format ImageFolder.)", gz);
    }

    /// <summary>
    /// The format of a path when none is forced: a .csv/.tsv/.txt file is Csv, another file Idx; a folder with IDX files
    /// of its own (or with neither sub-folders nor pictures) Idx, else ImageFolder.
    /// </summary>
    public static MnistSetFormat FormatOf(string path)
    {
        if (!Directory.Exists(path)) return IsCsvName(path) ? MnistSetFormat.Csv : MnistSetFormat.Idx;
        return HasIdxFiles(path) || !HasSubfoldersOrPictures(path) ? MnistSetFormat.Idx : MnistSetFormat.ImageFolder;
    }

    /// <summary>Extensions of the pictures a folder of pictures holds (the graphics library's; repeated so telling the format never loads it).</summary>
    public static IReadOnlyList<string> PictureExtensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    private static bool HasSubfoldersOrPictures(string folder) =>
        Directory.EnumerateDirectories(folder).Any(d => !Path.GetFileName(d).StartsWith('.'))
        || Directory.EnumerateFiles(folder).Any(f => PictureExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase));

    /// <summary>The pair <see cref="Standard"/> names in <paramref name="folder"/>, gzip-compressed (.gz), as Export-MnistSet writes it.</summary>
    public static (string Images, string Labels) PairIn(string folder, MnistSubset subset)
    {
        (string images, string labels) = Standard(subset);
        return (Path.Combine(folder, images + ".gz"), Path.Combine(folder, labels + ".gz"));
    }
}
