using MnistTools.Data;

namespace MnistTools.Tests.Data;

/// <summary>Reads the real MNIST files from $MNIST_DATA (CI sets it to ../shared/data/mnist).</summary>
public class RealDataTests
{
    internal static string DataFolder()
    {
        string? folder = Environment.GetEnvironmentVariable("MNIST_DATA");
        Assert.False(string.IsNullOrEmpty(folder), "MNIST_DATA is not set: point it at the folder holding the four MNIST .gz files.");
        return folder!;
    }

    internal static MnistDataSet Load(bool train, int skip = 0, int? first = null)
    {
        (string images, string labels) = IdxReader.StandardFileNames(train);
        string folder = DataFolder();
        return IdxReader.ReadDataSet(Path.Combine(folder, images + ".gz"), Path.Combine(folder, labels + ".gz"),
            train ? "mnist-train" : "mnist-test", skip, first);
    }

    [Fact]
    public void TestSetHasThePublishedLabelCounts()
    {
        MnistDataSet test = Load(train: false);
        Assert.Equal(10000, test.Count);
        Assert.Equal(28, test.Rows);
        Assert.Equal(28, test.Columns);
        int[] counts = new int[10];
        foreach (byte label in test.Labels) counts[label]++;
        Assert.Equal(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, counts);
    }

    [Fact]
    public void SkipAndFirstSelectTheSameImagesAsAFullRead()
    {
        MnistDataSet all = Load(train: false);
        MnistDataSet part = Load(train: false, skip: 9990, first: 50);
        Assert.Equal(10, part.Count);
        Assert.True(all.GetPixels(9995).SequenceEqual(part.GetPixels(5)));
        Assert.Equal(all.GetLabel(9999), part.GetLabel(9));
    }
}
