using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Persistence;

namespace MnistTools.Imaging;

/// <summary>
/// Lists a picture folder for <see cref="ImageFolderReader"/>: its class folders, and the picture files under each.
/// Symbolic links are followed only when they lead out of the folder tree (pictures kept on another disk), and each
/// real file and folder is read once. A link back into the tree (a loop such as <c>a/s1 -> .</c>, which would otherwise
/// be walked until the path grows too long, or a link to another class's picture, which would load it under the wrong
/// label), a dangling link and a second link to something already read are left out and reported as
/// <see cref="ErrorIds.ImageFolderLinkSkipped"/>. Names starting with '.' are skipped. The walk checks the cancellation token at every
/// entry, so a stop request ends even a scan of a huge tree at once.
/// </summary>
internal sealed class FolderWalk
{
    private readonly string _root;
    private readonly string _rootReal;
    private readonly Action<MnistToolsException> _report;
    private readonly CancellationToken _cancellationToken;
    private readonly HashSet<string> _visitedFolders = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seenFiles = new(StringComparer.Ordinal);

    public FolderWalk(string root, Action<MnistToolsException> report, CancellationToken cancellationToken)
    {
        _root = root;
        _rootReal = RegularFile.RealPath(root) ?? Path.GetFullPath(root);
        _report = report;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The root's sub-folders (links to folders out of the tree included), sorted by name.</summary>
    public string[] ClassFolders()
    {
        var classes = new List<string>();
        var reals = new HashSet<string>(StringComparer.Ordinal);
        foreach (string folder in Directory.EnumerateDirectories(_root).Order(StringComparer.Ordinal))
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (Path.GetFileName(folder).StartsWith('.')) continue;
            if (IsLink(folder))
            {
                string? real = RegularFile.RealPath(folder);
                string? why = real is null ? "whose target does not exist"
                    : RegularFile.IsWithin(real, _rootReal) ? "which leads back into the folder"
                    : !reals.Add(real) ? "to a folder another class already reads" : null;
                if (why is not null)
                {
                    Skip(folder, real, why);
                    continue;
                }
            }
            else reals.Add(Path.Combine(_rootReal, Path.GetFileName(folder)));
            classes.Add(folder);
        }
        return classes.ToArray();
    }

    /// <summary>The picture files under <paramref name="folder"/> (any depth), sorted; other files are reported as not pictures.</summary>
    public List<string> PicturesUnder(string folder)
    {
        var pictures = new List<string>();
        string start = RegularFile.RealPath(folder) ?? Path.GetFullPath(folder);
        var pending = new Stack<(string Path, string Real)>();
        if (_visitedFolders.Add(start)) pending.Push((folder, start));
        while (pending.Count > 0)
        {
            (string current, string currentReal) = pending.Pop();
            foreach (string entry in Directory.EnumerateFileSystemEntries(current).Order(StringComparer.Ordinal))
            {
                _cancellationToken.ThrowIfCancellationRequested();
                string name = Path.GetFileName(entry);
                if (name.StartsWith('.')) continue;
                var info = new FileInfo(entry); // the entry itself: a link is not followed here
                string? real;
                if (info.LinkTarget is not null)
                {
                    real = RegularFile.RealPath(entry);
                    string? why = real is null ? "whose target does not exist"
                        : RegularFile.IsWithin(real, _rootReal) ? "which leads back into the folder"
                        : _visitedFolders.Contains(real) || _seenFiles.Contains(real) ? "to something already read" : null;
                    if (why is not null)
                    {
                        Skip(entry, real, why);
                        continue;
                    }
                }
                else
                {
                    real = Path.Combine(currentReal, name);
                    // Out of the tree through a link, a plain folder can still lead back in (a link to the tree's parent).
                    if (!RegularFile.IsWithin(currentReal, _rootReal) && RegularFile.IsWithin(real, _rootReal))
                    {
                        Skip(entry, real, "which leads back into the folder");
                        continue;
                    }
                }
                if (Directory.Exists(real!))
                {
                    if (_visitedFolders.Add(real!)) pending.Push((entry, real!));
                    continue;
                }
                if (!_seenFiles.Add(real!)) continue;
                if (ImageFolderReader.PictureExtensions.Contains(Path.GetExtension(entry), StringComparer.OrdinalIgnoreCase)) pictures.Add(entry);
                else
                    _report(new MnistToolsException(ErrorIds.ImageNotAPicture, FailureKind.InvalidData,
                        $"'{entry}' is not a picture (its extension is not one of {string.Join(", ", ImageFolderReader.PictureExtensions)}); it was left out.", entry));
            }
        }
        pictures.Sort(StringComparer.Ordinal);
        return pictures;
    }

    private static bool IsLink(string path) => new DirectoryInfo(path).LinkTarget is not null;

    private void Skip(string link, string? real, string why) =>
        _report(new MnistToolsException(ErrorIds.ImageFolderLinkSkipped, FailureKind.InvalidData,
            $"'{link}' is a link{(real is null ? "" : $" to '{real}'")} {why}; it was left out (links are followed only out of the folder, and each file and folder is read once).", link));
}
