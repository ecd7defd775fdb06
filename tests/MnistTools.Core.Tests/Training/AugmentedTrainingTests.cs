using MnistTools.Distortions;
using MnistTools.Errors;
using MnistTools.Layers;
using MnistTools.Numerics;
using MnistTools.Persistence;
using MnistTools.Tests.Persistence;
using MnistTools.Training;

namespace MnistTools.Tests.Training;

/// <summary>
/// Training with distorted images: the batch holds exactly the images the augmenter draws for (seed, epoch, image), so one
/// core and two, and a run resumed from a checkpoint, train the same bits (that a steady-state step with distortions
/// allocates nothing is in <see cref="AllocationTests"/>).
/// </summary>
public class AugmentedTrainingTests
{
    private static readonly MnistDataSet Images = SyntheticData.Images(150, seed: 7);

    private static Network Dense() => new(new[] { 784, 24, 3 }, Activation.ReLU, Activation.Softmax, Loss.CrossEntropy, seed: 2);

    private static Network Convolutional() => new(new[] { 1, 28, 28 },
        "Conv2d 4 3 ReLU, MaxPool2d 2, Dropout 0.25, Dense 3 Softmax".Split(", ").Select(LayerSpec.Parse).ToArray(), seed: 2);

    private static int Bits(float x) => BitConverter.SingleToInt32Bits(x);

    public static TheoryData<Augmentation, bool> KindsAndNetworks() => new()
    {
        { Augmentation.Shift, false }, { Augmentation.Affine, false }, { Augmentation.Elastic, false },
        { Augmentation.Shift, true }, { Augmentation.Affine, true }, { Augmentation.Elastic, true },
    };

    [Theory]
    [MemberData(nameof(KindsAndNetworks))]
    public void TheBatchHoldsTheAugmentersImagesForItsSeedEpochAndImage(Augmentation kind, bool convolutional)
    {
        Network network = convolutional ? Convolutional() : Dense();
        var step = new TrainingStep(network, 9, kind);
        int[] order = Enumerable.Range(0, Images.Count).Reverse().ToArray();
        step.Propagate(new TrainingStep.Batch(Images, order, 20, 9, new LaneKey(true, 11, 4, 0, 0)));
        var augmenter = new ImageAugmenter(kind, 28, 28);
        var expected = new float[784];
        for (int r = 0; r < 9; r++)
        {
            int image = order[20 + r];
            augmenter.Distort(Images.GetPixels(image), 11, 4, image, expected);
            Assert.Equal(expected.Select(Bits), step.Inputs.Slice(r * 784, 784).ToArray().Select(Bits));
        }
        // The final check of an epoch sees the images as they are.
        step.Check(new TrainingStep.Batch(Images, order, 20, 9, LaneKey.Inference));
        Assert.Equal(Images.GetPixels(order[20]).ToArray().Select(p => p / 255f), step.Inputs.Slice(0, 784).ToArray());
    }

    [Theory]
    [MemberData(nameof(KindsAndNetworks))]
    public void OneAndTwoThreadsTrainTheSameBits(Augmentation kind, bool convolutional)
    {
        (float[] Parameters, double Loss) Train(int threads)
        {
            using var scope = ComputeSettings.Override(threads: threads);
            Network network = convolutional ? Convolutional() : Dense();
            var trainer = new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 25, LearningRate = 0.003f, Augmentation = kind });
            double loss = trainer.TrainEpoch(Images).TrainLoss + trainer.TrainEpoch(Images).TrainLoss;
            return (network.GetParameters(), loss);
        }
        var one = Train(1);
        var two = Train(2);
        Assert.Equal(one.Parameters.Select(Bits), two.Parameters.Select(Bits));
        Assert.Equal(one.Loss, two.Loss);

        // And the distortions change what is learnt.
        Network plain = convolutional ? Convolutional() : Dense();
        var trainer = new Trainer(plain, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 25, LearningRate = 0.003f });
        trainer.TrainEpoch(Images);
        trainer.TrainEpoch(Images);
        Assert.NotEqual(one.Parameters.Select(Bits), plain.GetParameters().Select(Bits));
    }

    [Theory]
    [InlineData(Augmentation.Affine, LearningRateSchedule.Constant)]
    [InlineData(Augmentation.Elastic, LearningRateSchedule.Cosine)]
    public void ACheckpointResumesBitForBit(Augmentation kind, LearningRateSchedule schedule)
    {
        const int span = 4, stopAt = 2;
        using var folder = new TempFolder();
        string path = folder.File("run.safetensors"), copy = folder.File("after-2.safetensors");
        TrainingOptions Options() => new()
        {
            Optimizer = Optimizer.AdamW, BatchSize = 16, LearningRate = 0.003f, Seed = 9, Augmentation = kind,
            Schedule = new LearningRateScheduleOptions { Kind = schedule },
        };
        Network whole = Convolutional();
        int done = 0;
        foreach (TrainingEpoch record in new TrainingRun(new Trainer(whole, Options()), Images, span) { CheckpointPath = path }.Run())
        {
            Assert.Equal(kind, record.Augmentation);
            if (++done == stopAt) File.Copy(path, copy);
        }

        Network resumed = NetworkPersistence.Load(copy);
        Assert.Equal(stopAt, resumed.EpochsTrained);
        new TrainingRun(new Trainer(resumed, Options()), Images, span - stopAt).Run().ToList();
        Assert.Equal(whole.GetParameters().Select(Bits), resumed.GetParameters().Select(Bits));
        Assert.Equal(whole.OptimizerState!.SecondMoment!.Select(Bits), resumed.OptimizerState!.SecondMoment!.Select(Bits));
    }

    [Fact]
    public void AnUnknownAugmentationIsRefusedBeforeAnyWork()
    {
        var e = Assert.Throws<MnistToolsException>(() => new Trainer(Dense(), new TrainingOptions { Augmentation = (Augmentation)9 }));
        Assert.Equal(("UnknownEnumValue", FailureKind.InvalidArgument, "Augment"), (e.ErrorId, e.Kind, e.Target as string));
    }
}
