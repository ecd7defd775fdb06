using MnistTools.Tests.Training;

namespace MnistTools.Tests.Model;

public class ClassificationTests
{
    /// <summary>A classification of a set's image makes that image only when asked for, equal to set[index], once.</summary>
    [Fact]
    public void AnImageOfASetIsMadeWhenAskedFor()
    {
        MnistDataSet set = SyntheticData.Images(5, seed: 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var classification = new Classification(set, 3, set.GetLabel(3), 1, 0.5f, [0.2f, 0.5f, 0.3f]);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 784, "no copy of the pixels until asked");
        MnistImage image = classification.GetImage()!;
        MnistImage expected = set[3];
        Assert.Equal(expected.Pixels.ToArray(), image.Pixels.ToArray());
        Assert.Equal((expected.Index, expected.Label, expected.Rows, expected.Columns, expected.DataSet), (image.Index, image.Label, image.Rows, image.Columns, image.DataSet));
        Assert.Same(image, classification.GetImage());
        Assert.Equal(3, classification.Index);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Classification(set, 5, null, 0, 1f, [1f, 0f, 0f]));
    }
}
