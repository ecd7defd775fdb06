namespace MnistTools;

/// <summary>Where each downloadable set lives and the published MD5 of each of its four .gz files (see data/README.md).</summary>
public static class MnistSetCatalog
{
    /// <summary>The four file names, the same for every set: training images and labels, then test images and labels.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ];

    /// <summary>Public mirrors, tried in turn (the original MNIST host refuses downloads).</summary>
    public static IReadOnlyList<Uri> Mirrors(MnistSetName name) => name switch
    {
        MnistSetName.Mnist =>
        [
            new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        ],
        MnistSetName.FashionMnist => [new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")],
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>The folder name under ./data: mnist, fashion-mnist.</summary>
    public static string FolderName(MnistSetName name) => name == MnistSetName.Mnist ? "mnist" : "fashion-mnist";

    /// <summary>Published MD5 (lower-case hex) of each .gz file, keyed by file name.</summary>
    public static IReadOnlyDictionary<string, string> PublishedMd5(MnistSetName name) => name switch
    {
        MnistSetName.Mnist => new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            ["train-labels-idx1-ubyte.gz"] = "d53e105ee54ea40749a09fcbcd1e9432",
            ["t10k-images-idx3-ubyte.gz"] = "9fb629c4189551a2d022fa330f9573f3",
            ["t10k-labels-idx1-ubyte.gz"] = "ec29112dd5afa0611ce80d1b7f02629c",
        },
        MnistSetName.FashionMnist => new Dictionary<string, string>
        {
            ["train-images-idx3-ubyte.gz"] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            ["train-labels-idx1-ubyte.gz"] = "25c81989df183df01b3e8a0aad5dffbe",
            ["t10k-images-idx3-ubyte.gz"] = "bef4ecab320f06d8554ea6380940ec79",
            ["t10k-labels-idx1-ubyte.gz"] = "bb300cfdad3c16e7a12a480ee83cd310",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
