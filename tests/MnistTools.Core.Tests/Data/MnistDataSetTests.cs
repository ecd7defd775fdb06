namespace MnistTools.Tests.Data;

public class MnistDataSetTests
{
    private static MnistDataSet Tiny()
    {
        // three 2x3 images whose pixels are 10*image + position
        byte[] pixels = new byte[3 * 6];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(10 * (i / 6) + i % 6);
        return new MnistDataSet("tiny", null, 2, 3, pixels, new byte[] { 7, 0, 9 });
    }

    [Fact]
    public void IndexerCopiesOneImage()
    {
        MnistDataSet set = Tiny();
        MnistImage image = set[1];
        Assert.Equal(1, image.Index);
        Assert.Equal(0, image.Label);
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14, 15 }, image.Pixels);
        image.Pixels[0] = 99; // a copy: the set is unchanged
        Assert.Equal(10, set.GetPixels(1)[0]);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void IndexOutsideTheSetThrows(int index) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Tiny()[index]);

    [Fact]
    public void LabelOutsideTheClassesIsRefused() =>
        Assert.Throws<ArgumentException>(() => new MnistDataSet("x", null, 1, 1, new byte[] { 0 }, new byte[] { 10 }));

    [Fact]
    public void SliceKeepsOrder()
    {
        MnistDataSet slice = Tiny().Slice(1, 2);
        Assert.Equal(2, slice.Count);
        Assert.Equal(new byte[] { 0, 9 }, slice.Labels.ToArray());
        Assert.Equal(20, slice.GetPixels(1)[0]);
    }

    [Fact]
    public void CountPerClassCountsEveryLabel() =>
        Assert.Equal(new[] { 1, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, Tiny().CountPerClass());
}
