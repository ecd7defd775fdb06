namespace MnistTools.Data;

/// <summary>One file of a downloadable set: its name and the MD5 its publisher gives (lower-case hex).</summary>
public sealed record CatalogFile(string Name, string Md5);

/// <summary>
/// What Save-MnistSet needs to fetch one set and Import-MnistSet to read it: mirrors, files and their checksums, class
/// names, and how the files are stored. Sets published inside an archive (EMNIST's gzip.zip) name the archive in
/// <see cref="Archive"/> and the members to extract in <see cref="Files"/> (whose checksums the archive's vouches for).
/// </summary>
public sealed record MnistSetInfo
{
    public required MnistSetName Name { get; init; }

    /// <summary>The folder under ./data (mnist, fashion-mnist, kmnist, qmnist, emnist-balanced...).</summary>
    public required string FolderName { get; init; }

    /// <summary>One line for tab completion and help.</summary>
    public required string Description { get; init; }

    /// <summary>Base URIs tried in turn; a file name is appended.</summary>
    public required IReadOnlyList<Uri> Mirrors { get; init; }

    /// <summary>The set's files: training images and labels, then test images and labels.</summary>
    public required IReadOnlyList<CatalogFile> Files { get; init; }

    /// <summary>The archive the files come in (downloaded, checked, kept beside them), or null when they are downloaded one by one.</summary>
    public CatalogFile? Archive { get; init; }

    /// <summary>Folder of the files inside <see cref="Archive"/> ("gzip/").</summary>
    public string ArchiveFolder { get; init; } = "";

    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Prefix of the file names (e.g. "emnist-balanced-"), by which Import-MnistSet recognises the set; "" for the MNIST names.</summary>
    public string FilePrefix { get; init; } = "";

    /// <summary>The images are stored transposed (EMNIST): Import-MnistSet turns them upright.</summary>
    public bool Transposed { get; init; }

    /// <summary>The label of class 0 in the files (1 for EMNIST Letters).</summary>
    public int FirstLabel { get; init; }
}

/// <summary>Where each downloadable set lives, its published checksums and class names (sources: data/README.md).</summary>
public static class MnistSetCatalog
{
    /// <summary>The four file names of the MNIST layout (Mnist, FashionMnist, KMnist): training images and labels, then test.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ];

    private static readonly string[] Digits = MnistDataSet.DefaultClassNames(10);
    private static readonly string[] Upper = Enumerable.Range('A', 26).Select(c => ((char)c).ToString()).ToArray();
    private static readonly string[] Lower = Enumerable.Range('a', 26).Select(c => ((char)c).ToString()).ToArray();

    /// <summary>EMNIST Balanced and ByMerge keep separate lower-case classes only for letters whose two cases look different.</summary>
    private static readonly string[] MergedLower = ["a", "b", "d", "e", "f", "g", "h", "n", "q", "r", "t"];

    private static readonly Uri[] EmnistMirrors =
    [
        new("https://biometrics.nist.gov/cs_links/EMNIST/"),
        new("https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/"),
    ];

    private static readonly Dictionary<MnistSetName, MnistSetInfo> Sets = new[]
    {
        new MnistSetInfo
        {
            Name = MnistSetName.Mnist, FolderName = "mnist",
            Description = "Handwritten digits 0-9 (LeCun, Cortes, Burges): 60,000 training + 10,000 test images, 28x28 grey, about 11 MB",
            Mirrors = [new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"), new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/")],
            Files = MnistLayout("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432", "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
            ClassNames = Digits,
        },
        new MnistSetInfo
        {
            Name = MnistSetName.FashionMnist, FolderName = "fashion-mnist",
            Description = "Zalando article images in 10 classes, same format and sizes as MNIST: 60,000 + 10,000, about 30 MB",
            Mirrors = [new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")],
            Files = MnistLayout("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe", "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
            ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        },
        new MnistSetInfo
        {
            Name = MnistSetName.KMnist, FolderName = "kmnist",
            Description = "Kuzushiji-MNIST: 10 cursive hiragana (o, ki, su, tsu, na, ha, ma, ya, re, wo), same format and sizes as MNIST, about 20 MB",
            Mirrors = [new Uri("http://codh.rois.ac.jp/kmnist/dataset/kmnist/")],
            Files = MnistLayout("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344", "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"),
            ClassNames = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
        },
        new MnistSetInfo
        {
            Name = MnistSetName.QMnist, FolderName = "qmnist", FilePrefix = "qmnist-",
            Description = "QMNIST: MNIST rebuilt from NIST (Yadav, Bottou): 60,000 training + 60,000 test digits, labels idx2-int (class in column 0), about 20 MB",
            Mirrors = [new Uri("https://raw.githubusercontent.com/facebookresearch/qmnist/master/")],
            Files =
            [
                new("qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                new("qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4"),
                new("qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                new("qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa"),
            ],
            ClassNames = Digits,
        },
        Emnist(MnistSetName.EMnistByClass, "byclass", "EMNIST ByClass: 62 classes (0-9, A-Z, a-z), 697,932 + 116,323 images", [.. Digits, .. Upper, .. Lower]),
        Emnist(MnistSetName.EMnistByMerge, "bymerge", "EMNIST ByMerge: 47 classes (look-alike cases merged), 697,932 + 116,323 images", [.. Digits, .. Upper, .. MergedLower]),
        Emnist(MnistSetName.EMnistBalanced, "balanced", "EMNIST Balanced: 47 classes, 2,400 training images each: 112,800 + 18,800", [.. Digits, .. Upper, .. MergedLower]),
        Emnist(MnistSetName.EMnistLetters, "letters", "EMNIST Letters: 26 classes (a-z, both cases merged), 124,800 + 20,800 images", Lower, firstLabel: 1),
        Emnist(MnistSetName.EMnistDigits, "digits", "EMNIST Digits: 10 classes, 240,000 + 40,000 images", Digits),
        Emnist(MnistSetName.EMnistMnist, "mnist", "EMNIST MNIST: 10 classes, 60,000 + 10,000 images", Digits),
    }.ToDictionary(s => s.Name);

    /// <summary>Everything known about <paramref name="name"/>.</summary>
    public static MnistSetInfo Get(MnistSetName name) =>
        Sets.TryGetValue(name, out MnistSetInfo? info) ? info : throw new ArgumentOutOfRangeException(nameof(name));

    /// <summary>All known sets, in the enum's order.</summary>
    public static IEnumerable<MnistSetInfo> All => Enum.GetValues<MnistSetName>().Select(Get);

    /// <summary>Public mirrors, tried in turn (the original MNIST host refuses downloads).</summary>
    public static IReadOnlyList<Uri> Mirrors(MnistSetName name) => Get(name).Mirrors;

    /// <summary>The folder name under ./data: mnist, fashion-mnist, kmnist, qmnist, emnist-balanced...</summary>
    public static string FolderName(MnistSetName name) => Get(name).FolderName;

    /// <summary>Published MD5 (lower-case hex) of each file (of the archive, for a set published as one), keyed by file name.</summary>
    public static IReadOnlyDictionary<string, string> PublishedMd5(MnistSetName name)
    {
        MnistSetInfo info = Get(name);
        return info.Archive is CatalogFile archive
            ? new Dictionary<string, string> { [archive.Name] = archive.Md5 }
            : info.Files.ToDictionary(f => f.Name, f => f.Md5);
    }

    /// <summary>
    /// The known set an IDX image file belongs to: by its name's prefix (emnist-balanced-..., qmnist-...), else by the
    /// name of its folder (mnist, fashion-mnist, kmnist...). Null when neither says.
    /// </summary>
    public static MnistSetInfo? Recognise(string imageFile)
    {
        string file = Path.GetFileName(imageFile);
        MnistSetInfo? byPrefix = All.Where(s => s.FilePrefix.Length > 0 && file.StartsWith(s.FilePrefix, StringComparison.OrdinalIgnoreCase))
            .MaxBy(s => s.FilePrefix.Length);
        if (byPrefix is not null) return byPrefix;
        string folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(imageFile)) ?? "");
        return All.FirstOrDefault(s => s.FilePrefix.Length == 0 && string.Equals(s.FolderName, folder, StringComparison.OrdinalIgnoreCase));
    }

    private static CatalogFile[] MnistLayout(string trainImages, string trainLabels, string testImages, string testLabels) =>
    [
        new(FileNames[0], trainImages), new(FileNames[1], trainLabels), new(FileNames[2], testImages), new(FileNames[3], testLabels),
    ];

    private static MnistSetInfo Emnist(MnistSetName name, string split, string description, string[] classNames, int firstLabel = 0) => new()
    {
        Name = name,
        FolderName = "emnist-" + split,
        FilePrefix = $"emnist-{split}-",
        Description = description + " (from NIST's 536 MB gzip.zip, kept in the folder; images stored transposed, imported upright)",
        Mirrors = EmnistMirrors,
        Archive = new CatalogFile("gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e"),
        ArchiveFolder = "gzip/",
        Files =
        [
            new($"emnist-{split}-train-images-idx3-ubyte.gz", ""), new($"emnist-{split}-train-labels-idx1-ubyte.gz", ""),
            new($"emnist-{split}-test-images-idx3-ubyte.gz", ""), new($"emnist-{split}-test-labels-idx1-ubyte.gz", ""),
        ],
        ClassNames = classNames,
        Transposed = true,
        FirstLabel = firstLabel,
    };
}
