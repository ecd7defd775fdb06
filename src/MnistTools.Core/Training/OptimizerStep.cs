namespace MnistTools.Training;

/// <summary>
/// The scalars of one optimizer update, fixed by <see cref="Optimizers.Begin"/>
/// before any slice is updated: η (the step's rate, after the schedule), λ (L2 on weights), for Adam and AdamW
/// StepSize = η/(1−β1^t) and RootCorrection = 1/sqrt(1−β2^t), and for AdamW DecayFactor = 1 − η·λ_w (1 otherwise),
/// the factor weights are multiplied by before the Adam step.
/// </summary>
internal readonly record struct OptimizerStep(float LearningRate, float L2, float StepSize, float RootCorrection, float DecayFactor = 1f);
