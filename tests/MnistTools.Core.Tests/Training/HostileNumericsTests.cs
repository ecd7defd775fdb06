using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Persistence;
using MnistTools.Tests.Layers;
using MnistTools.Tests.Persistence;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// Divergence and numerics under hostile settings: learning rates up to 1e9, all-255 and all-zero images, a
/// one-image set, a batch larger than the set, every optimizer x activation x output/loss. The rule: no NaN or ∞ reaches
/// a result silently. Each epoch either returns finite numbers with finite (and sane) parameters, or throws
/// TrainingDiverged having restored the epoch-start parameters; afterwards evaluation and prediction are finite and
/// the network saves and loads.
/// </summary>
public sealed class HostileNumericsTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (Optimizer optimizer in Enum.GetValues<Optimizer>())
            foreach (Activation activation in Activations.Nonlinear)
                foreach ((Activation output, Loss loss) in new[] { (Activation.Sigmoid, Loss.Quadratic), (Activation.Softmax, Loss.CrossEntropy), (Activation.Sigmoid, Loss.CrossEntropy), (Activation.Softmax, Loss.Quadratic) })
                    yield return new object[] { optimizer, activation, output, loss };
    }

    /// <summary>Data sets that stress the numerics: name → (set, batch size).</summary>
    private static IEnumerable<(string Name, MnistDataSet Set, int BatchSize)> HostileData()
    {
        yield return ("all 255", Uniform(40, 255), 8);
        yield return ("all 0", Uniform(40, 0), 8);
        yield return ("one image", SyntheticData.Create(1, seed: 5), 1);
        yield return ("batch 64 > 10 images", SyntheticData.Create(10, seed: 6), 64);
        yield return ("ordinary", SyntheticData.Create(60, seed: 7), 16);
    }

    private static MnistDataSet Uniform(int count, byte value)
    {
        byte[] pixels = new byte[count * 16];
        Array.Fill(pixels, value);
        byte[] labels = Enumerable.Range(0, count).Select(i => (byte)(i % 3)).ToArray();
        return new MnistDataSet($"uniform {value}", null, 4, 4, pixels, labels, classCount: 3);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NoNaNEscapesAtAnyLearningRate(Optimizer optimizer, Activation activation, Activation output, Loss loss)
    {
        string folder = Directory.CreateTempSubdirectory("mnisttools-numerics-").FullName;
        try
        {
            foreach (float learningRate in new[] { 1e9f, 1e4f, 10f, 0.1f })
                foreach (var (name, set, batchSize) in HostileData())
                {
                    string what = $"{optimizer}/{activation}/{output}/{loss} lr {learningRate} on {name}";
                    var network = new Network(new[] { 16, 8, 3 }, activation, output, loss, seed: 11);
                    var trainer = new Trainer(network, new TrainingOptions { Optimizer = optimizer, LearningRate = learningRate, BatchSize = batchSize });
                    for (int epoch = 0; epoch < 3; epoch++)
                    {
                        float[] before = network.GetParameters();
                        try
                        {
                            TrainingEpoch e = trainer.TrainEpoch(set);
                            Assert.True(double.IsFinite(e.TrainLoss) && e.TrainAccuracy is >= 0 and <= 1, $"{what}: epoch {epoch + 1} reported loss {e.TrainLoss}, accuracy {e.TrainAccuracy}.");
                            Assert.True(network.GetParameters().All(v => Math.Abs(v) <= FiniteCheck.MaxParameterMagnitude), $"{what}: epoch {epoch + 1} returned with non-finite or absurd parameters.");
                        }
                        catch (MnistToolsException e)
                        {
                            Assert.Equal(ErrorIds.TrainingDiverged, e.ErrorId);
                            Assert.Equal(before, network.GetParameters());
                            break;
                        }
                    }

                    TestResult result = new Evaluator(network).Evaluate(set);
                    Assert.True(double.IsFinite(result.Loss) && result.Accuracy is >= 0 and <= 1, $"{what}: evaluation gave loss {result.Loss}, accuracy {result.Accuracy}.");
                    float[] inputs = new float[set.Count * 16], outputs = new float[set.Count * 3];
                    PixelScaling.ToInputs(set.Pixels, inputs);
                    network.Predict(inputs, set.Count, outputs);
                    Assert.True(outputs.All(float.IsFinite), $"{what}: a prediction score is not finite.");

                    string path = Path.Combine(folder, "net.safetensors");
                    NetworkPersistence.Save(network, path, overwrite: true);
                    SnapshotFactory.AssertBitsEqual(network.GetParameters(), NetworkPersistence.Load(path).GetParameters());
                }
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Theory]
    [InlineData(float.NaN, false)]
    [InlineData(float.PositiveInfinity, false)]
    [InlineData(float.NegativeInfinity, true)]
    public void SavingANonFiniteNetworkIsRefusedAndKeepsThePreviousFile(float poison, bool inOptimizerState)
    {
        string folder = Directory.CreateTempSubdirectory("mnisttools-numerics-").FullName;
        try
        {
            var network = new Network(new[] { 16, 8, 3 }, seed: 1);
            new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, LearningRate = 0.01f, BatchSize = 10 }).TrainEpoch(SyntheticData.Create(30));
            string path = Path.Combine(folder, "net.safetensors");
            NetworkPersistence.Save(network, path, overwrite: false);
            byte[] previous = File.ReadAllBytes(path);

            if (inOptimizerState) network.OptimizerState!.SecondMoment![5] = poison;
            else network.Parameters[17] = poison;
            var e = Assert.Throws<MnistToolsException>(() => NetworkPersistence.Save(network, path, overwrite: true));
            Assert.Equal(ErrorIds.NetworkNotFinite, e.ErrorId);
            Assert.Equal(FailureKind.InvalidData, e.Kind);
            Assert.Equal(path, e.Target);
            Assert.Contains(inOptimizerState ? "Adam second moment" : "parameters", e.Message);
            Assert.Contains(inOptimizerState ? "index 5" : "index 17", e.Message);
            Assert.Equal(previous, File.ReadAllBytes(path));
            Assert.Equal(new[] { "net.safetensors" }, Directory.GetFiles(folder).Select(Path.GetFileName));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
