using MnistTools.Data;
using MnistTools.Layers;
using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>
/// The networks of the end-to-end table: dense ones by layer sizes, convolutional ones by layer specs (as New-Network
/// -Layers takes them, on 1x28x28 images). <see cref="TimesTest"/>: the child also times Test-Network over the test set.
/// </summary>
public sealed record NetworkCase(string Name, int[] LayerSizes, Activation Activation, Activation OutputActivation,
    Loss Loss, Initializer Initializer, int BatchSize, Optimizer Optimizer, float LearningRate, string[]? Layers = null, bool TimesTest = false,
    Augmentation Augmentation = Augmentation.None)
{
    public static IReadOnlyList<NetworkCase> All { get; } =
    [
        new("784-20-16-10 Sigmoid/Quadratic", [784, 20, 16, 10], Activation.Sigmoid, Activation.Sigmoid, Loss.Quadratic,
            Initializer.Normal, 100, Optimizer.Sgd, 1f),
        new("784-128-10 ReLU/Softmax-CE", [784, 128, 10], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 64, Optimizer.Momentum, 0.01f, TimesTest: true),
        new("784-800-10 ReLU/Softmax-CE", [784, 800, 10], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 64, Optimizer.Momentum, 0.01f),
        new("LeNet-5 (Conv 6 5 same, pool, Conv 16 5, pool, 120, 84, 10)", [], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 128, Optimizer.Adam, 1e-3f,
            ["Conv2d 6 5 padding=same ReLU", "MaxPool2d 2", "Conv2d 16 5 ReLU", "MaxPool2d 2", "Dense 120 ReLU", "Dense 84 ReLU", "Dense 10 Softmax"]),
        new("Keras convnet (Conv 32 3, pool, Conv 64 3, pool, Dropout 0.5, 10)", [], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 128, Optimizer.Adam, 1e-3f,
            ["Conv2d 32 3 ReLU", "MaxPool2d 2", "Conv2d 64 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Dense 10 Softmax"], TimesTest: true),
        new("784-800-10 ReLU/Softmax-CE, -Augment Elastic", [784, 800, 10], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 128, Optimizer.Adam, 1e-3f, Augmentation: Augmentation.Elastic),
        new("Keras convnet, -Augment Affine", [], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 128, Optimizer.Adam, 1e-3f,
            ["Conv2d 32 3 ReLU", "MaxPool2d 2", "Conv2d 64 3 ReLU", "MaxPool2d 2", "Dropout 0.5", "Dense 10 Softmax"], Augmentation: Augmentation.Affine),
    ];

    /// <summary>Whether the network is built from layer specs (convolutional) rather than dense layer sizes.</summary>
    public bool IsConvolutional => Layers is not null;

    public string OptimizerLabel => Optimizer == Optimizer.Momentum ? "SGD momentum 0.9" : Optimizer.ToString();

    public Network CreateNetwork() => Layers is null
        ? new(LayerSizes, Activation, OutputActivation, Loss, Initializer, seed: 1)
        : new([1, 28, 28], LayerSpec.ParseAll(Layers), Loss, Initializer, seed: 1);

    public TrainingOptions CreateOptions() =>
        new() { BatchSize = BatchSize, LearningRate = LearningRate, Optimizer = Optimizer, Momentum = 0.9f, Seed = 1, Augmentation = Augmentation };
}

/// <summary>Loads MNIST from $MNIST_DATA (default ../shared/data/mnist).</summary>
public static class MnistFiles
{
    public static string Folder => Environment.GetEnvironmentVariable("MNIST_DATA") is { Length: > 0 } folder
        ? folder : Path.GetFullPath(Path.Combine("..", "shared", "data", "mnist"));

    public static MnistDataSet Load(bool train)
    {
        (string images, string labels) = IdxReader.StandardFileNames(train);
        string Find(string name) => File.Exists(Path.Combine(Folder, name)) ? Path.Combine(Folder, name) : Path.Combine(Folder, name + ".gz");
        if (!File.Exists(Find(images)))
            throw new FileNotFoundException($"MNIST not found in '{Folder}'. Set MNIST_DATA to the folder holding the four IDX files.", Find(images));
        return IdxReader.ReadDataSet(Find(images), Find(labels), train ? "MNIST train" : "MNIST test");
    }
}
