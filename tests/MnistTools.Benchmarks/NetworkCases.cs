using MnistTools.Training;

namespace MnistTools.Benchmarks;

/// <summary>The networks of the speed issue's table.</summary>
public sealed record NetworkCase(string Name, int[] LayerSizes, Activation Activation, OutputActivation OutputActivation,
    Loss Loss, Initializer Initializer, int BatchSize, Optimizer Optimizer, float LearningRate)
{
    public static IReadOnlyList<NetworkCase> All { get; } =
    [
        new("784-20-16-10 Sigmoid/Quadratic", [784, 20, 16, 10], Activation.Sigmoid, OutputActivation.Sigmoid, Loss.Quadratic,
            Initializer.Normal, 100, Optimizer.Sgd, 1f),
        new("784-128-10 ReLU/Softmax-CE", [784, 128, 10], Activation.ReLU, OutputActivation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 64, Optimizer.Momentum, 0.01f),
        new("784-800-10 ReLU/Softmax-CE", [784, 800, 10], Activation.ReLU, OutputActivation.Softmax, Loss.CrossEntropy,
            Initializer.Default, 64, Optimizer.Momentum, 0.01f),
    ];

    public string OptimizerLabel => Optimizer == Optimizer.Momentum ? "SGD momentum 0.9" : Optimizer.ToString();

    public Network CreateNetwork() => new(LayerSizes, Activation, OutputActivation, Loss, Initializer, seed: 1);

    public TrainingOptions CreateOptions() => new() { BatchSize = BatchSize, LearningRate = LearningRate, Optimizer = Optimizer, Momentum = 0.9f, Seed = 1 };
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
