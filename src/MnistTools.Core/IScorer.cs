namespace MnistTools;

/// <summary>
/// What scores images: one network's <see cref="Predictor"/>, or an ensemble that averages several networks' scores
/// (<see cref="Training.Ensemble"/>). Shapes: N images of InputSize values, K classes.
/// </summary>
public interface IScorer
{
    /// <summary>The scores of <paramref name="count"/> images given as grey levels 0..255 (scaled to pixel / 255f).</summary>
    /// <param name="pixels">[N x InputSize].</param>
    /// <param name="outputs">[N x K].</param>
    /// <param name="threadCount">Threads, 1..<see cref="Numerics.ComputeSettings.MaxThreads"/>; null decides by problem size.</param>
    void PredictPixels(ReadOnlySpan<byte> pixels, int count, Span<float> outputs, int? threadCount = null);

    /// <summary>The scores of <paramref name="count"/> images given as inputs (pixel / 255f).</summary>
    /// <param name="inputs">[N x InputSize].</param>
    /// <param name="outputs">[N x K].</param>
    /// <param name="threadCount">As for <see cref="PredictPixels"/>.</param>
    void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs, int? threadCount = null);
}
