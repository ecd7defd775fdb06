using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Tests.Data;
using MnistTools.Training;
using Xunit.Abstractions;

namespace MnistTools.Tests.Training;

/// <summary>What BatchNorm is for, on the real MNIST files ($MNIST_DATA): training at a learning rate too high for the
/// same network without it. No timing assertions.</summary>
public class RealDataBatchNormTests(ITestOutputHelper output)
{
    /// <summary>784 → Dense 128 → (BatchNorm) ReLU → Dense 10 Softmax, seed 1.</summary>
    private static Network Create(bool normalised) =>
        new([784], LayerSpec.ParseAll(normalised ? ["Dense 128 bias=false", "BatchNorm ReLU", "Dense 10 Softmax"] : ["Dense 128 ReLU", "Dense 10 Softmax"]),
            Loss.CrossEntropy, Initializer.Default, 1);

    [Fact]
    public void BatchNormTrainsAtALearningRateThePlainNetworkCannotTake()
    {
        MnistDataSet train = RealDataTests.Load(train: true, first: 6000), test = RealDataTests.Load(train: false, first: 2000);
        const float rate = 2f;
        var options = new TrainingOptions { Optimizer = Optimizer.Sgd, LearningRate = rate, BatchSize = 32 };
        double Accuracy(bool normalised)
        {
            Network network = Create(normalised);
            var trainer = new Trainer(network, options);
            try
            {
                for (int epoch = 0; epoch < 2; epoch++) trainer.TrainEpoch(train);
            }
            catch (MnistToolsException e) when (e.ErrorId == ErrorIds.TrainingDiverged)
            {
                output.WriteLine($"{(normalised ? "BatchNorm" : "plain")}: {e.Message}");
            }
            double accuracy = new Evaluator(network).Evaluate(test).Accuracy;
            output.WriteLine($"{(normalised ? "BatchNorm" : "plain")} at {rate}: {accuracy:P2}");
            return accuracy;
        }
        double plain = Accuracy(false), normalised = Accuracy(true);
        // Measured (2 epochs of SGD at 2 on the first 6,000 training images, first 2,000 test images): plain 20.10%, BatchNorm
        // 81.50%; at 0.5 the two are 81.15% and 85.10%.
        Assert.True(normalised >= 0.75 && normalised >= plain + 0.3, $"BatchNorm {normalised:P2}, plain {plain:P2}");
    }
}
