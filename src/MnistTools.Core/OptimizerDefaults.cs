namespace MnistTools;

/// <summary>The optimizers' default hyper-parameters, in one place (Invoke-Training, the trainer and saved files use these).</summary>
public static class OptimizerDefaults
{
    /// <summary>μ of Momentum.</summary>
    public const float Momentum = 0.9f;

    /// <summary>β1 of Adam.</summary>
    public const float Beta1 = 0.9f;

    /// <summary>β2 of Adam.</summary>
    public const float Beta2 = 0.999f;

    /// <summary>ε of Adam.</summary>
    public const float Epsilon = 1e-8f;

    /// <summary>λ of AdamW's decoupled weight decay (PyTorch's default), as written (the kernels use it as a float).</summary>
    public const double WeightDecay = 0.01;

    /// <summary>η when none is given: Sgd 0.1, Momentum 0.01, Adam and AdamW 0.001, as written (the kernels use it as a float).</summary>
    public static double LearningRate(Optimizer optimizer) => optimizer switch
    {
        Optimizer.Sgd => 0.1,
        Optimizer.Momentum => 0.01,
        _ => 0.001,
    };
}
