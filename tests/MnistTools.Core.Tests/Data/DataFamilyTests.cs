using System.Buffers.Binary;
using MnistTools.Data;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Training;

namespace MnistTools.Tests.Data;

/// <summary>Unlabelled sets, class names, the IDX writer, idx2-int labels, transposed images and the catalog of known sets.</summary>
public sealed class DataFamilyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mnisttools-family-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private string PathOf(string name) => Path.Combine(_folder, name);

    // ---- sets ---------------------------------------------------------------------------------------

    [Fact]
    public void AnUnlabelledSetHasImagesButNoLabels()
    {
        var set = new MnistDataSet("u", null, 1, 2, [1, 2, 3, 4, 5, 6], null);
        Assert.Equal(3, set.Count);
        Assert.False(set.IsLabelled);
        Assert.Equal(0, set.Labels.Length);
        Assert.Null(set[2].Label);
        Assert.Null(set[2].ClassName);
        Assert.Equal(new byte[] { 5, 6 }, set[2].Pixels);
        Assert.Equal(new int[10], set.CountPerClass());
        Assert.Throws<InvalidOperationException>(() => set.GetLabel(0));
        MnistDataSet slice = set.Slice(1, 2);
        Assert.False(slice.IsLabelled);
        Assert.Equal(new byte[] { 3, 4, 5, 6 }, slice.Pixels.ToArray());
        Assert.Contains("unlabelled", set.ToString());
    }

    [Fact]
    public void ClassNamesDefaultToNumbersAndTravelWithImagesAndSlices()
    {
        Assert.Equal(["0", "1", "2"], new MnistDataSet("d", null, 1, 1, [0], [2], 3).ClassNames);
        var set = new MnistDataSet("n", null, 1, 1, [0, 9], [1, 0], 2, ["cat", "dog"]);
        Assert.Equal("dog", set[0].ClassName);
        Assert.Equal("cat", set.Slice(1, 1)[0].ClassName);
        Assert.Equal("dog", set.ClassName(1));
        Assert.Equal("7", set.ClassName(7));
        Assert.Throws<ArgumentException>(() => new MnistDataSet("bad", null, 1, 1, [0], [0], 2, ["only one"]));
    }

    [Fact]
    public void ClassificationAndTestResultNameTheirClasses()
    {
        string[] names = ["cat", "dog"];
        var labelled = new Classification(0, 1, 0, 0.9f, [0.9f, 0.1f], null, names);
        Assert.Equal("cat", labelled.PredictedName);
        Assert.Equal("dog", labelled.LabelName);
        Assert.False(labelled.IsCorrect);
        var unknown = new Classification(3, null, 1, 0.6f, [0.4f, 0.6f], null, names);
        Assert.Null(unknown.Label);
        Assert.Null(unknown.LabelName);
        Assert.Null(unknown.IsCorrect);
        Assert.Equal("1", new Classification(0, null, 1, 1f, [0f, 1f], null).PredictedName);

        var result = new TestResult("t", 0.5, new[,] { { 3, 1 }, { 0, 4 } });
        Assert.Equal(["0", "1"], result.PerClass.Select(r => r.Name));
        TestResult named = result.WithClassNames(names);
        Assert.Equal(names, named.PerClass.Select(r => r.Name));
        Assert.Equal(result.Accuracy, named.Accuracy);
        Assert.Equal(result.PerClass[1].F1, named.PerClass[1].F1);
        string[] rows = named.FormatConfusionMatrix().Split(Environment.NewLine);
        Assert.StartsWith("true\\pred", rows[0]);
        Assert.Matches(@"^0 cat\s+3\s+1$", rows[1]);
        Assert.Matches(@"^1 dog\s+0\s+4$", rows[2]);
        Assert.Matches(@"^1\s+0\s+4$", result.FormatConfusionMatrix().Split(Environment.NewLine)[2]); // numbers only without names
        var fashion = new ConfusionMatrix(new int[2, 2], ["T-shirt/top", "An extremely long class name"]);
        Assert.StartsWith("1 An extremely …", fashion.Format().Split(Environment.NewLine)[2]);
        Assert.Equal(result.ConfusionMatrix.ToString(), named.ConfusionMatrix.ToString()); // the CSV form is unchanged
    }

    [Fact]
    public void DataCompatibilityRefusesAnUnlabelledSetForTrainingButNotForClassifying()
    {
        var network = new Network([4, 3, 2], Activation.Sigmoid, Activation.Softmax, Loss.CrossEntropy, seed: 1);
        var unlabelled = new MnistDataSet("kaggle-test", "test.csv", 2, 2, new byte[8], null);
        var e = Assert.Throws<MnistToolsException>(() => DataCompatibility.Check(network, unlabelled));
        Assert.Equal("DataSetUnlabelled", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal("DataSet", e.Target);
        Assert.Contains("test.csv", e.Message);
        DataCompatibility.Check(network, unlabelled, "InputObject", requireLabels: false); // 10 default classes, 2 outputs: fine without labels

        var threeClasses = new MnistDataSet("three", null, 2, 2, new byte[4], [2], 3, ["a", "b", "c"]);
        var mismatch = Assert.Throws<MnistToolsException>(() => DataCompatibility.Check(network, threeClasses, "ValidationSet"));
        Assert.Equal("NetworkDataMismatch", mismatch.ErrorId);
        Assert.Equal("ValidationSet", mismatch.Target);
        Assert.Contains("2 outputs", mismatch.Message);
        Assert.Contains("3 classes (a, b, c)", mismatch.Message);
    }

    // ---- IDX ----------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(5, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(5, true)]
    public void IdxWriterRoundTripIsExact(int count, bool gzip)
    {
        var random = new Random(count + (gzip ? 100 : 0));
        byte[] pixels = new byte[count * 12];
        random.NextBytes(pixels);
        byte[] labels = Enumerable.Range(0, count).Select(i => (byte)random.Next(0, 47)).ToArray();
        var set = new MnistDataSet("r", null, 3, 4, pixels, labels, 47);
        string images = PathOf($"r{count}-images-idx3-ubyte" + (gzip ? ".gz" : "")), labelFile = PathOf($"r{count}-labels-idx1-ubyte" + (gzip ? ".gz" : ""));
        IdxWriter.WriteImages(set, images, gzip, overwrite: false);
        IdxWriter.WriteLabels(set, labelFile, gzip, overwrite: false);
        Assert.Equal(gzip, IdxReader.IsGzipFile(images));
        MnistDataSet back = IdxReader.ReadDataSet(images, labelFile, "r", new IdxReadOptions { ClassCount = 47 });
        Assert.Equal(pixels, back.Pixels.ToArray());
        Assert.Equal(labels, back.Labels.ToArray());
        Assert.Equal((3, 4), (back.Rows, back.Columns));
        if (!gzip) Assert.Equal(16 + pixels.Length, new FileInfo(images).Length);

        MnistDataSet imagesOnly = IdxReader.ReadDataSet(images, null, "r", new IdxReadOptions());
        Assert.False(imagesOnly.IsLabelled);
        Assert.Equal(pixels, imagesOnly.Pixels.ToArray());
    }

    [Fact]
    public void IdxWriterRefusesLabelsOfAnUnlabelledSet()
    {
        var set = new MnistDataSet("u", null, 1, 1, [1], null);
        var e = Assert.Throws<MnistToolsException>(() => IdxWriter.WriteLabels(set, PathOf("l"), false, false));
        Assert.Equal("DataSetUnlabelled", e.ErrorId);
        Assert.False(File.Exists(PathOf("l")));
    }

    /// <summary>QMNIST's labels: idx2-int [count x 8] big-endian int32, magic 3074, class in column 0.</summary>
    private static byte[] WideLabels(int[] classes, int columns = 8)
    {
        byte[] bytes = new byte[12 + classes.Length * columns * 4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 3074);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), classes.Length);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), columns);
        for (int i = 0; i < classes.Length; i++)
            for (int c = 0; c < columns; c++)
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12 + (i * columns + c) * 4), c == 0 ? classes[i] : 1000 + i * 10 + c);
        return bytes;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void QmnistLabelsTakeColumnZero(bool gzip)
    {
        string images = PathOf("q-images"), labels = PathOf("q-labels");
        File.WriteAllBytes(images, IdxReaderTests.ImageBytes(5));
        byte[] wide = WideLabels([3, 1, 4, 1, 5]);
        File.WriteAllBytes(labels, gzip ? IdxReaderTests.Gzip(wide) : wide);
        MnistDataSet set = IdxReader.ReadDataSet(images, labels, "q", new IdxReadOptions { Skip = 1, First = 3 });
        Assert.Equal(new byte[] { 1, 4, 1 }, set.Labels.ToArray());
        Assert.Equal(IdxReaderTests.ImageBytes(5).AsSpan(16 + 6, 18).ToArray(), set.Pixels.ToArray());

        File.WriteAllBytes(labels, WideLabels([3, 10, 4, 1, 5]));
        var e = Assert.Throws<MnistToolsException>(() => IdxReader.ReadDataSet(images, labels, "q", new IdxReadOptions()));
        Assert.Equal("IdxLabelOutOfRange", e.ErrorId);
        Assert.Equal(labels, e.Target);

        byte[] truncated = WideLabels([3, 1, 4, 1, 5])[..^3];
        File.WriteAllBytes(labels, truncated);
        Assert.Equal("IdxLengthMismatch", Assert.Throws<MnistToolsException>(() => IdxReader.ReadDataSet(images, labels, "q", new IdxReadOptions())).ErrorId);
    }

    [Fact]
    public void TransposedImagesAreTurnedUprightAndLettersStartAtOne()
    {
        // One stored image [2 x 3] = 1 2 3 / 4 5 6 is the transposed form of the upright [3 x 2] image 1 4 / 2 5 / 3 6.
        string images = PathOf("t-images"), labels = PathOf("t-labels");
        byte[] file = IdxReaderTests.ImageBytes(1, rows: 2, columns: 3);
        byte[] stored = file.AsSpan(16).ToArray();
        File.WriteAllBytes(images, file);
        File.WriteAllBytes(labels, IdxReaderTests.LabelBytes(1, [26]));
        MnistDataSet set = IdxReader.ReadDataSet(images, labels, "t", new IdxReadOptions { Transposed = true, FirstLabel = 1, ClassCount = 26 });
        Assert.Equal((3, 2), (set.Rows, set.Columns));
        Assert.Equal(new[] { stored[0], stored[3], stored[1], stored[4], stored[2], stored[5] }, set.Pixels.ToArray());
        Assert.Equal(25, set.GetLabel(0));

        File.WriteAllBytes(labels, IdxReaderTests.LabelBytes(1, [0]));
        var e = Assert.Throws<MnistToolsException>(() => IdxReader.ReadDataSet(images, labels, "t", new IdxReadOptions { FirstLabel = 1, ClassCount = 26 }));
        Assert.Equal("IdxLabelOutOfRange", e.ErrorId);
        Assert.Contains("1..26", e.Message);
    }

    // ---- catalog ------------------------------------------------------------------------------------

    [Theory]
    [InlineData(MnistSetName.Mnist, 10, "mnist", "9")]
    [InlineData(MnistSetName.FashionMnist, 10, "fashion-mnist", "Ankle boot")]
    [InlineData(MnistSetName.KMnist, 10, "kmnist", "wo")]
    [InlineData(MnistSetName.QMnist, 10, "qmnist", "9")]
    [InlineData(MnistSetName.EMnistByClass, 62, "emnist-byclass", "z")]
    [InlineData(MnistSetName.EMnistByMerge, 47, "emnist-bymerge", "t")]
    [InlineData(MnistSetName.EMnistBalanced, 47, "emnist-balanced", "t")]
    [InlineData(MnistSetName.EMnistLetters, 26, "emnist-letters", "z")]
    [InlineData(MnistSetName.EMnistDigits, 10, "emnist-digits", "9")]
    [InlineData(MnistSetName.EMnistMnist, 10, "emnist-mnist", "9")]
    public void EveryKnownSetHasFilesChecksumsAndClassNames(MnistSetName name, int classes, string folder, string lastClass)
    {
        MnistSetInfo info = MnistSetCatalog.Get(name);
        Assert.Equal(classes, info.ClassNames.Count);
        Assert.Equal(classes, info.ClassNames.Distinct().Count());
        Assert.Equal(lastClass, info.ClassNames[^1]);
        Assert.Equal(folder, info.FolderName);
        Assert.Equal(4, info.Files.Count);
        Assert.All(MnistSetCatalog.PublishedMd5(name).Values, md5 => Assert.Matches("^[0-9a-f]{32}$", md5));
        Assert.NotEmpty(info.Mirrors);
        Assert.Equal(name.ToString().StartsWith("EMnist"), info.Transposed);
        Assert.Equal(name.ToString().StartsWith("EMnist"), info.Archive is not null);
        if (info.Archive is null) Assert.Equal(info.Files.Select(f => f.Name), MnistSetCatalog.PublishedMd5(name).Keys);
        // Import-MnistSet recognises the set by its training image file in the folder Save-MnistSet uses.
        Assert.Equal(name, MnistSetCatalog.Recognise(Path.Combine("data", folder, info.Files[0].Name))?.Name);
    }

    [Fact]
    public void RecognitionByPrefixWinsOverTheFolderAndUnknownNamesAreDigits()
    {
        Assert.Equal(MnistSetName.EMnistLetters, MnistSetCatalog.Recognise("/x/mnist/emnist-letters-test-images-idx3-ubyte.gz")?.Name);
        Assert.Equal(MnistSetName.EMnistMnist, MnistSetCatalog.Recognise("/x/emnist-mnist-train-images-idx3-ubyte")?.Name);
        Assert.Equal(MnistSetName.FashionMnist, MnistSetCatalog.Recognise("/data/Fashion-MNIST/t10k-images-idx3-ubyte.gz")?.Name);
        Assert.Null(MnistSetCatalog.Recognise("/data/mine/train-images-idx3-ubyte.gz"));
        Assert.Equal(1, MnistSetCatalog.Get(MnistSetName.EMnistLetters).FirstLabel);
    }
}
