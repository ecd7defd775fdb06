namespace MnistTools.Training;

/// <summary>
/// The scalars of one optimizer update, fixed by <see cref="Optimizers.Begin"/> before any slice is updated:
/// η, λ (L2 on weights), and for Adam StepSize = η/(1−β1^t) and RootCorrection = 1/sqrt(1−β2^t).
/// </summary>
internal readonly record struct OptimizerStep(float LearningRate, float L2, float StepSize, float RootCorrection);
