namespace MnistTools.Training;

/// <summary>Where a training epoch stands after one batch (for progress reports).</summary>
public readonly record struct TrainingProgress(int Epoch, int Batch, int BatchCount, int Samples, double RunningLoss, double RunningAccuracy, double ElapsedSeconds);
