namespace MnistTools.Training;

/// <summary>Where a training epoch stands after one batch (for progress reports).</summary>
public readonly record struct TrainingProgress(int Epoch, int Batch, int BatchCount, int Samples, double RunningLoss, double RunningAccuracy, double ElapsedSeconds)
{
    /// <summary>Estimated seconds left in this epoch, from the pace so far.</summary>
    public double SecondsLeft => Batch == 0 ? 0 : ElapsedSeconds / Batch * (BatchCount - Batch);
}
