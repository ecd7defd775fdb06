namespace MnistTools;

/// <summary>
/// What an optimizer carries from one step to the next, so that training resumes exactly where it stopped
/// (also after a save and import). The buffers use the network's flat parameter layout
/// (<see cref="ParameterLayout"/>) and are null when the optimizer does not use them:
/// Sgd uses none, Momentum uses <see cref="Velocity"/>, Adam uses <see cref="FirstMoment"/> and <see cref="SecondMoment"/>.
/// </summary>
public sealed class OptimizerState
{
    /// <summary>Which update rule the buffers belong to.</summary>
    public Optimizer Kind { get; set; }

    /// <summary>Number of updates applied so far (Adam's bias correction uses it).</summary>
    public long Step { get; set; }

    /// <summary>Momentum: v ← μ·v + g, then θ ← θ − η·v. [ParameterCount]</summary>
    public float[]? Velocity { get; set; }

    /// <summary>Adam: m ← β1·m + (1 − β1)·g. [ParameterCount]</summary>
    public float[]? FirstMoment { get; set; }

    /// <summary>Adam: v ← β2·v + (1 − β2)·g². [ParameterCount]</summary>
    public float[]? SecondMoment { get; set; }

    /// <summary>μ of Momentum (default 0.9).</summary>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>β1 of Adam (default 0.9).</summary>
    public float Beta1 { get; set; } = 0.9f;

    /// <summary>β2 of Adam (default 0.999).</summary>
    public float Beta2 { get; set; } = 0.999f;

    /// <summary>ε of Adam (default 1e-8).</summary>
    public float Epsilon { get; set; } = 1e-8f;

    /// <summary>A deep copy (the buffers are cloned).</summary>
    public OptimizerState Clone() => new()
    {
        Kind = Kind,
        Step = Step,
        Velocity = (float[]?)Velocity?.Clone(),
        FirstMoment = (float[]?)FirstMoment?.Clone(),
        SecondMoment = (float[]?)SecondMoment?.Clone(),
        Momentum = Momentum,
        Beta1 = Beta1,
        Beta2 = Beta2,
        Epsilon = Epsilon,
    };

    /// <summary>A fresh state for <paramref name="kind"/> with zeroed buffers of <paramref name="parameterCount"/>.</summary>
    public static OptimizerState Create(Optimizer kind, int parameterCount) => new()
    {
        Kind = kind,
        Velocity = kind == Optimizer.Momentum ? new float[parameterCount] : null,
        FirstMoment = kind == Optimizer.Adam ? new float[parameterCount] : null,
        SecondMoment = kind == Optimizer.Adam ? new float[parameterCount] : null,
    };

    /// <summary>Throws InvalidData when a buffer the kind needs is missing or has the wrong length.</summary>
    internal void Validate(int parameterCount)
    {
        void Check(float[]? buffer, bool needed, string name)
        {
            if (needed && buffer is null)
                throw new MnistToolsException("OptimizerStateInvalid", FailureKind.InvalidData,
                    $"The {Kind} optimizer state has no {name} buffer.", name);
            if (buffer is not null && buffer.Length != parameterCount)
                throw new MnistToolsException("OptimizerStateInvalid", FailureKind.InvalidData,
                    $"The optimizer's {name} buffer has {buffer.Length} values; the network has {parameterCount} parameters.", name);
        }
        if (!Enum.IsDefined(Kind))
            throw new MnistToolsException("OptimizerStateInvalid", FailureKind.InvalidData, $"Unknown optimizer kind {(int)Kind}.", "Kind");
        if (Step < 0)
            throw new MnistToolsException("OptimizerStateInvalid", FailureKind.InvalidData, $"The optimizer step count is negative ({Step}).", "Step");
        Check(Velocity, Kind == Optimizer.Momentum, nameof(Velocity));
        Check(FirstMoment, Kind == Optimizer.Adam, nameof(FirstMoment));
        Check(SecondMoment, Kind == Optimizer.Adam, nameof(SecondMoment));
    }
}
