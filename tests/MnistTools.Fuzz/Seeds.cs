using System.Buffers.Binary;
using System.IO.Compression;
using MnistTools.Data;
using MnistTools.Layers;
using MnistTools.Onnx;
using MnistTools.Persistence;

namespace MnistTools.Fuzz;

/// <summary>Valid starting inputs for AFL (raw and gzip IDX files, network files with and without optimizer state, ONNX models).</summary>
internal static class Seeds
{
    public static byte[] Images(int count = 4, int rows = 28, int columns = 28)
    {
        byte[] bytes = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.ImageMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(i * 7);
        return bytes;
    }

    public static byte[] Labels(int count = 4)
    {
        byte[] bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++) bytes[8 + i] = (byte)(i % 10);
        return bytes;
    }

    /// <summary>Three 4x4 images as CSV: Kaggle's layout (label,pixel0..pixel15), the tutorials' headerless one, or no labels.</summary>
    private static byte[] Csv(bool header, bool labelled)
    {
        var text = new System.Text.StringBuilder();
        if (header) text.AppendLine((labelled ? "label," : "") + string.Join(',', Enumerable.Range(0, 16).Select(i => $"pixel{i}")));
        for (int image = 0; image < 3; image++)
            text.AppendLine((labelled ? $"{image}," : "") + string.Join(',', Enumerable.Range(0, 16).Select(i => (image * 40 + i * 13) % 256)));
        return System.Text.Encoding.ASCII.GetBytes(text.ToString());
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] NetworkFile(bool adam)
    {
        var network = new Network(new[] { 6, 5, 3 }, seed: 1);
        if (adam)
        {
            var set = new MnistDataSet("seed", null, 2, 3, new byte[] { 1, 2, 3, 4, 5, 6, 200, 100, 0, 9, 8, 7 }, new byte[] { 0, 2 }, 3);
            new Training.Trainer(network, new Training.TrainingOptions { Optimizer = Optimizer.Adam, LearningRate = 0.01f, BatchSize = 2 }).TrainEpoch(set);
        }
        return NetworkFileWriter.ToBytes(NetworkPersistence.ToSnapshot(network));
    }

    /// <summary>An ONNX model as Export-Network writes it, of a small network on [1, 8, 8] images.</summary>
    private static byte[] OnnxModel(params string[] layers) =>
        OnnxExporter.ToBytes(new Network([1, 8, 8], LayerSpec.ParseAll(layers), Loss.CrossEntropy, Initializer.Default, 1));

    /// <summary>Writes the seed corpus of each target into folder/&lt;target&gt;/.</summary>
    public static void Write(string folder)
    {
        void Put(string target, string name, byte[] bytes)
        {
            Directory.CreateDirectory(Path.Combine(folder, target));
            File.WriteAllBytes(Path.Combine(folder, target, name), bytes);
        }
        Put("idx-images", "raw", Images(4, 8, 8));
        Put("idx-images", "gz", Gzip(Images(4, 8, 8)));
        Put("idx-labels", "raw", Labels());
        Put("idx-labels", "gz", Gzip(Labels()));
        Put("csv", "header", Csv(header: true, labelled: true));
        Put("csv", "headerless", Csv(header: false, labelled: true));
        Put("csv", "unlabelled", Csv(header: true, labelled: false));
        Put("network", "plain", NetworkFile(false));
        Put("network", "adam", NetworkFile(true));
        Put("onnx", "conv", OnnxModel("Conv2d 2 3 padding=same bias=false", "BatchNorm ReLU", "AvgPool2d 2", "Conv2d 2 3", "GlobalAvgPool", "Dense 3 Softmax"));
        Put("onnx", "dense", OnnxModel("Dense 4 Tanh", "Dense 3 Sigmoid"));
    }
}
