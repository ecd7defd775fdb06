using MnistTools.Randomness;

namespace MnistTools.Tests.Training;

/// <summary>A small learnable data set built in code: 4x4 images of 3 classes (a bright row 0, 1 or 2) plus seeded noise.</summary>
internal static class SyntheticData
{
    public static MnistDataSet Create(int count, int seed = 1, string name = "synthetic")
    {
        var random = new SeededRandom((ulong)seed);
        byte[] pixels = new byte[count * 16], labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int label = random.NextInt(3);
            labels[i] = (byte)label;
            for (int p = 0; p < 16; p++)
                pixels[i * 16 + p] = (byte)(p / 4 == label ? 160 + random.NextInt(96) : random.NextInt(90));
        }
        return new MnistDataSet(name, null, 4, 4, pixels, labels, classCount: 3);
    }

    /// <summary>28x28 images of 3 classes (a bright lane at one of three heights) plus seeded noise: inputs of MNIST's width.</summary>
    public static MnistDataSet Images(int count, int seed = 1)
    {
        var random = new SeededRandom((ulong)seed);
        byte[] pixels = new byte[count * 784], labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int label = random.NextInt(3);
            labels[i] = (byte)label;
            for (int p = 0; p < 784; p++)
                pixels[i * 784 + p] = (byte)(p / 28 / 9 == label ? 150 + random.NextInt(100) : random.NextInt(60));
        }
        return new MnistDataSet("images", null, 28, 28, pixels, labels, classCount: 3);
    }
}
