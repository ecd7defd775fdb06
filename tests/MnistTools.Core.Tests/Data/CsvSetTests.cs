using System.Text;
using MnistTools.Csv;
using MnistTools.Errors;

namespace MnistTools.Tests.Data;

/// <summary>The CSV reader on small files written in the test (every layout it accepts, every error it reports) and the writer's round trip.</summary>
public sealed class CsvSetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mnisttools-csv-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Rows of 2x2 images: label i % 3 + 5 (5, 6, 7), pixels 10i + p.</summary>
    private static string Rows(int count, bool label = true, char separator = ',')
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            var fields = new List<string>();
            if (label) fields.Add((i % 3 + 5).ToString());
            for (int p = 0; p < 4; p++) fields.Add((10 * i + p).ToString());
            text.Append(string.Join(separator, fields)).Append('\n');
        }
        return text.ToString();
    }

    private static void AssertRows(MnistDataSet set, int count, int skip = 0, bool labelled = true)
    {
        Assert.Equal(count, set.Count);
        Assert.Equal(2, set.Rows);
        Assert.Equal(2, set.Columns);
        Assert.Equal(labelled, set.IsLabelled);
        for (int i = 0; i < count; i++)
        {
            int row = skip + i;
            Assert.Equal(new byte[] { (byte)(10 * row), (byte)(10 * row + 1), (byte)(10 * row + 2), (byte)(10 * row + 3) }, set.GetPixels(i).ToArray());
            if (labelled) Assert.Equal(row % 3 + 5, set.GetLabel(i));
        }
    }

    private static MnistToolsException Fails(string id, string path, Func<object> read, params string[] messageParts)
    {
        var e = Assert.Throws<MnistToolsException>(read);
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(path, e.Target);
        foreach (string part in messageParts) Assert.Contains(part, e.Message);
        return e;
    }

    // ---- layouts ------------------------------------------------------------------------------------

    [Fact]
    public void HeaderlessLabelFirst()
    {
        MnistDataSet set = CsvSetReader.Read(Write("a.csv", Rows(5)), "a");
        AssertRows(set, 5);
        Assert.Equal(10, set.ClassCount); // largest label 7 + 1, at least 10
        Assert.Equal("a", set.Name);
        Assert.EndsWith("a.csv", set.Source);
    }

    [Fact]
    public void HeaderNamesTheLabelColumnAnywhere()
    {
        // label last, header in another letter case, Windows line ends
        var text = new StringBuilder("p0,p1,p2,p3,LABEL\r\n");
        for (int i = 0; i < 3; i++) text.Append($"{10 * i},{10 * i + 1},{10 * i + 2},{10 * i + 3},{i % 3 + 5}\r\n");
        AssertRows(CsvSetReader.Read(Write("b.csv", text.ToString()), "b"), 3);
    }

    [Fact]
    public void KaggleHeaderWithAndWithoutLabels()
    {
        AssertRows(CsvSetReader.Read(Write("train.csv", "label,pixel0,pixel1,pixel2,pixel3\n" + Rows(4)), "train"), 4);
        MnistDataSet test = CsvSetReader.Read(Write("test.csv", "pixel0,pixel1,pixel2,pixel3\n" + Rows(4, label: false)), "test");
        AssertRows(test, 4, labelled: false);
        Assert.Equal(0, test.Labels.Length);
        Assert.Null(test[0].Label);
    }

    [Fact]
    public void HeaderlessWithoutLabelsIsUnlabelled() =>
        AssertRows(CsvSetReader.Read(Write("c.csv", Rows(3, label: false)), "c"), 3, labelled: false);

    [Theory]
    [InlineData(';')]
    [InlineData('\t')]
    public void OtherSeparatorsAreDetected(char separator) =>
        AssertRows(CsvSetReader.Read(Write("d.csv", Rows(3, separator: separator)), "d"), 3);

    [Fact]
    public void QuotedFieldsAndSpacesAreNumbers() =>
        AssertRows(CsvSetReader.Read(Write("e.csv", "\"label\", \"pixel0\",pixel1,pixel2,pixel3\n\"5\", 0 ,\"1\",2,  3\n"), "e"), 1);

    [Fact]
    public void NoTrailingNewlineAndAnEmptyBody()
    {
        AssertRows(CsvSetReader.Read(Write("f.csv", Rows(2).TrimEnd('\n')), "f"), 2);
        MnistDataSet empty = CsvSetReader.Read(Write("g.csv", "label,pixel0,pixel1,pixel2,pixel3\n"), "g");
        Assert.Equal(0, empty.Count);
        Assert.True(empty.IsLabelled);
    }

    [Fact]
    public void BlankLinesAreSkipped() =>
        AssertRows(CsvSetReader.Read(Write("blank.csv", Rows(1) + "\r\n\n" + Rows(3)[Rows(1).Length..] + "\n\n"), "b"), 3);

    [Theory]
    [InlineData(0, null, 6)]
    [InlineData(2, null, 4)]
    [InlineData(0, 3, 3)]
    [InlineData(4, 1, 1)]
    [InlineData(5, 10, 1)]
    [InlineData(6, null, 0)]
    [InlineData(9, 2, 0)]
    [InlineData(0, 0, 0)]
    public void SkipAndFirstKeepARange(int skip, int? first, int expected)
    {
        string path = Write("h.csv", Rows(6));
        AssertRows(CsvSetReader.Read(path, "h", new CsvReadOptions { Skip = skip, First = first }), expected, skip);
        // the same with a header
        string withHeader = Write("h2.csv", "label,a,b,c,d\n" + Rows(6));
        AssertRows(CsvSetReader.Read(withHeader, "h", new CsvReadOptions { Skip = skip, First = first }), expected, skip);
    }

    [Fact]
    public void FirstStopsReadingBeforeALaterBadRow()
    {
        string path = Write("i.csv", Rows(3) + "5,1,2\n");
        AssertRows(CsvSetReader.Read(path, "i", new CsvReadOptions { First = 3 }), 3);
        Fails("CsvRowLength", path, () => CsvSetReader.Read(path, "i"), "line 4");
    }

    [Fact]
    public void ClassCountComesFromTheLargestLabelOrTheNames()
    {
        MnistDataSet set = CsvSetReader.Read(Write("k.csv", "label,a\n0,1\n41,3\n"), "k");
        Assert.Equal(42, set.ClassCount);
        Assert.Equal("41", set.ClassNames[41]);
        string[] names = ["zero", "one"];
        MnistDataSet named = CsvSetReader.Read(Write("l.csv", "label,a\n0,1\n1,3\n"), "l", new CsvReadOptions { ClassNames = names });
        Assert.Equal(names, named.ClassNames);
        Assert.Equal("one", named[1].ClassName);
    }

    [Fact]
    public void LabelColumnByName()
    {
        string path = Write("m.csv", "y,p0,p1,p2,p3\n" + Rows(2));
        AssertRows(CsvSetReader.Read(path, "m", new CsvReadOptions { LabelColumn = "Y" }), 2);
        AssertRows(CsvSetReader.Read(path, "m"), 2); // first column, 4 = 2x2 left
    }

    // ---- errors -------------------------------------------------------------------------------------

    [Fact]
    public void AShortRowNamesItsLine()
    {
        string path = Write("short.csv", "label,a,b,c,d\n5,0,1,2,3\n6,0,1,2\n");
        Fails("CsvRowLength", path, () => CsvSetReader.Read(path, "x"), "line 3", "4 field(s)", "5");
    }

    [Fact]
    public void ANonNumberNamesLineAndColumn()
    {
        string path = Write("nan.csv", "label,a,b,c,d\n5,0,1,2,3\n6,0,x1,2,3\n");
        Fails("CsvNotANumber", path, () => CsvSetReader.Read(path, "x"), "line 3", "column 3", "'b'", "'x1'");
    }

    [Theory]
    [InlineData("256")]
    [InlineData("-1")]
    [InlineData("2000000000")]
    [InlineData("99999999999")]
    [InlineData("-99999999999999999999")]
    [InlineData("\" 2000000000 \"")]
    public void APixelOutOfRangeNamesLineAndColumn(string value)
    {
        string path = Write("range.csv", $"5,0,1,2,3\n6,0,1,{value},3\n");
        var e = Assert.Throws<MnistToolsException>(() => CsvSetReader.Read(path, "x"));
        Assert.Equal("CsvValueOutOfRange", e.ErrorId); // a whole number of any length is out of range, not "not an integer"
        Assert.Contains("line 2", e.Message);
        Assert.Contains("column 4", e.Message);
        Assert.Contains($"pixel {value.Trim('"', ' ')} is outside 0..255", e.Message);
        Assert.Equal(path, e.Target);
    }

    [Fact]
    public void AHugeLabelIsOutOfRangeAndAHugeHeaderIsNotQuotedWhole()
    {
        string path = Write("label.csv", "5,0,1,2,3\n2000000000,0,1,2,3\n");
        Fails("CsvLabelOutOfRange", path, () => CsvSetReader.Read(path, "x"), "line 2, column 1", "label 2000000000 is outside");

        // A 150,000-character header name, and a NUL in another: the message quotes a few dozen characters of each, escaped.
        string header = Write("header.csv", $"{new string('h', 150_000)},a\0b,c,d,e\n5,0,1,2,3\n");
        var e = Assert.Throws<MnistToolsException>(() => CsvSetReader.Read(header, "x", new CsvReadOptions { LabelColumn = "digit" }));
        Assert.Equal("CsvLabelColumnNotFound", e.ErrorId);
        Assert.InRange(e.Message.Length, 50, 1000);
        Assert.Contains("a\\0b", e.Message);
        Assert.DoesNotContain('\0', e.Message);
    }

    [Fact]
    public void AnErrorOnTheFirstLineSaysLineOne()
    {
        string path = Write("first.csv", "5,0,1,x,3\n6,0,1,2,3\n");
        Fails("CsvNotANumber", path, () => CsvSetReader.Read(path, "x"), "line 1, column 4");
        string range = Write("first2.csv", "5,0,1,256,3\n");
        Fails("CsvValueOutOfRange", range, () => CsvSetReader.Read(range, "x"), "line 1, column 4");
        // Pixel columns named by number still make a header: its first field is a word.
        AssertRows(CsvSetReader.Read(Write("numbered.csv", "label,0,1,2,3\n" + Rows(2)), "n"), 2);
    }

    [Fact]
    public void ALabelOutOfRange()
    {
        string path = Write("label.csv", "label,a\n256,0\n");
        Fails("CsvLabelOutOfRange", path, () => CsvSetReader.Read(path, "x"), "line 2", "column 1", "256");
        string named = Write("label2.csv", "label,a\n2,0\n");
        Fails("CsvLabelOutOfRange", named, () => CsvSetReader.Read(named, "x", new CsvReadOptions { ClassNames = ["a", "b"] }), "label 2", "2 class names");
    }

    [Fact]
    public void AMissingLabelColumn()
    {
        string path = Write("nolabel.csv", "pixel0,pixel1,pixel2,pixel3\n0,1,2,3\n");
        Fails("CsvLabelColumnNotFound", path, () => CsvSetReader.Read(path, "x", new CsvReadOptions { LabelColumn = "label" }), "'label'", "pixel0");
        string headerless = Write("nolabel2.csv", "0,1,2,3\n");
        Fails("CsvLabelColumnNotFound", headerless, () => CsvSetReader.Read(headerless, "x", new CsvReadOptions { LabelColumn = "label" }), "no header");
    }

    [Fact]
    public void ColumnsThatMakeNoSquareImage()
    {
        string path = Write("shape.csv", "1,2,3,4,5,6\n");
        Fails("CsvColumnCount", path, () => CsvSetReader.Read(path, "x"), "6 fields");
        string named = Write("shape2.csv", "label,a,b,c\n1,2,3,4\n");
        Fails("CsvColumnCount", named, () => CsvSetReader.Read(named, "x"), "3 pixel columns");
    }

    [Fact]
    public void EmptyMissingAndFolder()
    {
        string empty = Write("empty.csv", "");
        Fails("CsvEmptyFile", empty, () => CsvSetReader.Read(empty, "x"));
        string missing = Path.Combine(_folder, "missing.csv");
        Fails("CsvFileNotFound", missing, () => CsvSetReader.Read(missing, "x"));
        Fails("PathIsDirectory", _folder, () => CsvSetReader.Read(_folder, "x"));
    }

    [Fact]
    public void AnUnterminatedQuoteIsAnErrorNotAHang()
    {
        string path = Write("quote.csv", "5,0,1,2,3\n6,\"0,1,2,3\n");
        var e = Assert.Throws<MnistToolsException>(() => CsvSetReader.Read(path, "x"));
        Assert.Equal(path, e.Target);
        Assert.StartsWith("Csv", e.ErrorId);
    }

    [Fact]
    public void NegativeSkipOrFirst()
    {
        string path = Write("n.csv", Rows(1));
        Assert.Equal("SkipOutOfRange", Assert.Throws<MnistToolsException>(() => CsvSetReader.Read(path, "x", new CsvReadOptions { Skip = -1 })).ErrorId);
        Assert.Equal("FirstOutOfRange", Assert.Throws<MnistToolsException>(() => CsvSetReader.Read(path, "x", new CsvReadOptions { First = -1 })).ErrorId);
    }

    [Fact]
    public void CancellationStopsTheRead()
    {
        string path = Write("cancel.csv", Rows(600));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => CsvSetReader.Read(path, "x", null, cancel.Token));
    }

    // ---- big files, read as two halves ---------------------------------------------------------------

    /// <summary>A file over <see cref="CsvSetReader.ParallelThreshold"/>: 4,500 rows of 28x28 seeded pixels (up to 3 digits each).</summary>
    private string BigCsv(string name, bool header, bool labelled, int badRow = -1)
    {
        var random = new Random(7);
        var text = new StringBuilder(12 << 20);
        if (header) text.Append(labelled ? "label," : "").Append(string.Join(',', Enumerable.Range(0, 784).Select(p => $"pixel{p}"))).Append('\n');
        for (int r = 0; r < 4500; r++)
        {
            if (labelled) text.Append(r % 10).Append(',');
            for (int p = 0; p < 784; p++)
            {
                if (p > 0) text.Append(',');
                text.Append(r == badRow && p == 500 ? "oops" : random.Next(0, 256).ToString());
            }
            text.Append('\n');
        }
        Assert.True(text.Length > CsvSetReader.ParallelThreshold);
        return Write(name, text.ToString());
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void ABigFileReadInTwoHalvesEqualsOneReadFromTheStart(bool header, bool labelled)
    {
        string path = BigCsv("big.csv", header, labelled);
        MnistDataSet sequential;
        using (var stream = File.OpenRead(path)) sequential = CsvSetReader.Read(stream, path, "big", new CsvReadOptions());
        MnistDataSet? halves;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read)) halves = CsvSetReader.ReadInTwo(file, path, "big", new CsvReadOptions(), default);
        Assert.NotNull(halves);
        Assert.Equal(4500, halves!.Count);
        Assert.Equal(labelled, halves.IsLabelled);
        Assert.True(sequential.Pixels.SequenceEqual(halves.Pixels));
        Assert.True(sequential.Labels.SequenceEqual(halves.Labels));
        Assert.Equal(sequential.ClassCount, halves.ClassCount);
        MnistDataSet viaPath = CsvSetReader.Read(path, "big");
        Assert.True(sequential.Pixels.SequenceEqual(viaPath.Pixels));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(4000)]
    public void ABadRowInEitherHalfIsReportedWithItsTrueLine(int badRow)
    {
        string path = BigCsv("bad.csv", header: true, labelled: true, badRow);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read))
            Assert.Null(CsvSetReader.ReadInTwo(file, path, "bad", new CsvReadOptions(), default));
        Fails("CsvNotANumber", path, () => CsvSetReader.Read(path, "bad"), $"line {badRow + 2}, column 502", "'pixel500'", "'oops'");
    }

    // ---- writer -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(3, false)]
    public void WriterRoundTripIsExact(int count, bool labelled)
    {
        var random = new Random(count * 2 + (labelled ? 1 : 0));
        byte[] pixels = new byte[count * 9];
        random.NextBytes(pixels);
        byte[]? labels = labelled ? Enumerable.Range(0, count).Select(i => (byte)random.Next(0, 12)).ToArray() : null;
        var set = new MnistDataSet("w", null, 3, 3, pixels, labels, 12);
        string path = Path.Combine(_folder, $"w{count}{labelled}.csv");
        CsvSetWriter.Write(set, path, overwrite: false);
        string header = File.ReadLines(path).First();
        Assert.Equal((labelled ? "label," : "") + "pixel0,pixel1,pixel2,pixel3,pixel4,pixel5,pixel6,pixel7,pixel8", header);
        MnistDataSet back = CsvSetReader.Read(path, "w");
        Assert.Equal(count, back.Count);
        Assert.Equal(labelled, back.IsLabelled);
        Assert.Equal(pixels, back.Pixels.ToArray());
        if (labelled) Assert.Equal(labels, back.Labels.ToArray());
        Assert.Equal(3, back.Rows);
    }

    [Fact]
    public void WriterRefusesToOverwriteWithoutPermission()
    {
        var set = new MnistDataSet("w", null, 1, 1, [1], [0]);
        string path = Write("exists.csv", "keep");
        Assert.Equal("FileExists", Assert.Throws<MnistToolsException>(() => CsvSetWriter.Write(set, path, overwrite: false)).ErrorId);
        Assert.Equal("keep", File.ReadAllText(path));
        CsvSetWriter.Write(set, path, overwrite: true);
        Assert.Equal("label,pixel0\n0,1\n", File.ReadAllText(path).Replace("\r\n", "\n"));
    }
}
