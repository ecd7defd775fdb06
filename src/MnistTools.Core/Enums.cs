namespace MnistTools;

/// <summary>How weights are initialised (biases start at zero except for Normal, which draws them too).</summary>
public enum Initializer
{
    /// <summary>Xavier for Sigmoid/Tanh, He for ReLU/LeakyReLU.</summary>
    Default,
    /// <summary>N(0,1) weights and biases: the original numpy script's.</summary>
    Normal,
    /// <summary>Glorot/Xavier: N(0, 2/(fan_in+fan_out)).</summary>
    Xavier,
    /// <summary>N(0, 2/fan_in).</summary>
    He,
}

/// <summary>Parameter-update rule.</summary>
public enum Optimizer
{
    Sgd,
    Momentum,
    Adam,
    /// <summary>Adam with decoupled weight decay (Loshchilov and Hutter): θ ← θ − η·λ·θ on weights, then the Adam step.</summary>
    AdamW,
}

/// <summary>How the learning rate changes over the epochs of one Invoke-Training call (its span).</summary>
public enum LearningRateSchedule
{
    /// <summary>The base rate throughout.</summary>
    Constant,
    /// <summary>Per epoch: the base rate times StepFactor^floor(e / StepEpochs) (PyTorch StepLR).</summary>
    Step,
    /// <summary>Per step: cosine from the base rate down to MinLearningRate over the span (PyTorch CosineAnnealingLR).</summary>
    Cosine,
    /// <summary>Per step: cosine warm-up from base/25 to the base rate, then cosine down to base/25/1e4 (PyTorch OneCycleLR).</summary>
    OneCycle,
    /// <summary>Per epoch: times PlateauFactor when the validation loss has not improved for PlateauPatience epochs (PyTorch ReduceLROnPlateau).</summary>
    Plateau,
}

/// <summary>Why an Invoke-Training call stopped, on its last epoch record.</summary>
public enum TrainingStopReason
{
    /// <summary>Every epoch asked for ran.</summary>
    Completed,
    /// <summary>The validation loss stopped improving (-EarlyStoppingPatience); the best epoch was restored.</summary>
    EarlyStopping,
}

/// <summary>A panel of Export-TrainingChart.</summary>
public enum TrainingChartMetric
{
    /// <summary>Training and validation loss per epoch.</summary>
    Loss,
    /// <summary>Training and validation accuracy (%) per epoch.</summary>
    Accuracy,
    /// <summary>The learning rate per epoch (its mean, with the epoch's range where it changes within the epoch).</summary>
    LearningRate,
}

/// <summary>
/// How Invoke-Training distorts each training image before the network sees it (a new draw every epoch; the
/// magnitudes are constants of <see cref="Distortions.ImageAugmenter"/>).
/// </summary>
public enum Augmentation
{
    /// <summary>The images as they are.</summary>
    None,
    /// <summary>A shift by whole pixels, up to 2 in each direction (25 positions, the uncovered border black).</summary>
    Shift,
    /// <summary>Rotation up to ±10°, scale 0.9-1.1, shear up to ±0.2 and a shift up to ±2 px, sampled bilinearly.</summary>
    Affine,
    /// <summary>Elastic distortion (Simard, Steinkraus and Platt 2003): a random displacement field smoothed by a Gaussian of σ = 4 px, scaled by α = 34.</summary>
    Elastic,
}
