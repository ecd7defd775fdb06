using MnistTools.Errors;

namespace MnistTools;

/// <summary>
/// What an optimizer carries from one step to the next, so that training resumes exactly where it stopped
/// (also after a save and import). The buffers use the network's flat parameter layout (each layer's weights, then
/// its biases, in list order) and are null when the optimizer does not use them:
/// Sgd uses none, Momentum uses <see cref="Velocity"/>, Adam and AdamW use <see cref="FirstMoment"/> and <see cref="SecondMoment"/>.
/// </summary>
public sealed class OptimizerState
{
    /// <summary>Which update rule the buffers belong to.</summary>
    public Optimizer Kind { get; set; }

    /// <summary>Number of updates applied so far (Adam's bias correction uses it).</summary>
    public long Step { get; set; }

    /// <summary>Momentum: v ← μ·v + g, then θ ← θ − η·v. [ParameterCount]</summary>
    public float[]? Velocity { get; set; }

    /// <summary>Adam and AdamW: m ← β1·m + (1 − β1)·g. [ParameterCount]</summary>
    public float[]? FirstMoment { get; set; }

    /// <summary>Adam and AdamW: v ← β2·v + (1 − β2)·g². [ParameterCount]</summary>
    public float[]? SecondMoment { get; set; }

    /// <summary>μ of Momentum: the value the last update used.</summary>
    public float Momentum { get; set; } = OptimizerDefaults.Momentum;

    /// <summary>β1 of Adam.</summary>
    public float Beta1 { get; set; } = OptimizerDefaults.Beta1;

    /// <summary>β2 of Adam.</summary>
    public float Beta2 { get; set; } = OptimizerDefaults.Beta2;

    /// <summary>ε of Adam.</summary>
    public float Epsilon { get; set; } = OptimizerDefaults.Epsilon;

    /// <summary>λ of AdamW's decoupled weight decay: the value the last update used (0 for the other optimizers).</summary>
    public float WeightDecay { get; set; }

    /// <summary>Whether <paramref name="kind"/> keeps Adam's two moments.</summary>
    public static bool UsesMoments(Optimizer kind) => kind is Optimizer.Adam or Optimizer.AdamW;

    /// <summary>A deep copy (the buffers are cloned).</summary>
    public OptimizerState Clone()
    {
        var copy = new OptimizerState();
        CopyTo(copy);
        return copy;
    }

    /// <summary>
    /// Makes <paramref name="target"/> an exact copy of this state, reusing its buffers where they have the right length
    /// (so a trainer's per-epoch snapshot allocates nothing after the first).
    /// </summary>
    public void CopyTo(OptimizerState target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Kind = Kind;
        target.Step = Step;
        target.Momentum = Momentum;
        target.Beta1 = Beta1;
        target.Beta2 = Beta2;
        target.Epsilon = Epsilon;
        target.WeightDecay = WeightDecay;
        target.Velocity = CopyBuffer(Velocity, target.Velocity);
        target.FirstMoment = CopyBuffer(FirstMoment, target.FirstMoment);
        target.SecondMoment = CopyBuffer(SecondMoment, target.SecondMoment);
    }

    private static float[]? CopyBuffer(float[]? source, float[]? target)
    {
        if (source is null) return null;
        if (target is null || target.Length != source.Length) return (float[])source.Clone();
        source.CopyTo(target, 0);
        return target;
    }

    /// <summary>A fresh state for <paramref name="kind"/> with zeroed buffers of <paramref name="parameterCount"/>.</summary>
    public static OptimizerState Create(Optimizer kind, int parameterCount) => new()
    {
        Kind = kind,
        Velocity = kind == Optimizer.Momentum ? new float[parameterCount] : null,
        FirstMoment = UsesMoments(kind) ? new float[parameterCount] : null,
        SecondMoment = UsesMoments(kind) ? new float[parameterCount] : null,
    };

    /// <summary>Throws InvalidData when a buffer the kind needs is missing or has the wrong length.</summary>
    internal void Validate(int parameterCount)
    {
        void Check(float[]? buffer, bool needed, string name)
        {
            if (needed && buffer is null)
                throw new MnistToolsException(ErrorIds.OptimizerStateInvalid, FailureKind.InvalidData,
                    $"The {Kind} optimizer state has no {name} buffer.", name);
            if (buffer is not null && buffer.Length != parameterCount)
                throw new MnistToolsException(ErrorIds.OptimizerStateInvalid, FailureKind.InvalidData,
                    $"The optimizer's {name} buffer has {buffer.Length} values; the network has {parameterCount} parameters.", name);
        }
        if (!Enum.IsDefined(Kind))
            throw new MnistToolsException(ErrorIds.OptimizerStateInvalid, FailureKind.InvalidData, $"Unknown optimizer kind {(int)Kind}.", "Kind");
        if (Step < 0)
            throw new MnistToolsException(ErrorIds.OptimizerStateInvalid, FailureKind.InvalidData, $"The optimizer step count is negative ({Step}).", "Step");
        if (!(Momentum >= 0 && Momentum < 1) || !(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1))
            throw new MnistToolsException(ErrorIds.OptimizerStateInvalid, FailureKind.InvalidData,
                $"The momentum and Adam's betas must be in [0, 1) (momentum {Momentum}, beta1 {Beta1}, beta2 {Beta2}).", "Beta1");
        if (!(Epsilon > 0) || !float.IsFinite(Epsilon))
            throw new MnistToolsException(ErrorIds.OptimizerStateInvalid, FailureKind.InvalidData, $"Adam's epsilon must be a finite number > 0 ({Epsilon}).", "Epsilon");
        Check(Velocity, Kind == Optimizer.Momentum, nameof(Velocity));
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay))
            throw new MnistToolsException(ErrorIds.OptimizerStateInvalid, FailureKind.InvalidData, $"The weight decay is not a finite number >= 0 ({WeightDecay}).", "WeightDecay");
        Check(FirstMoment, UsesMoments(Kind), nameof(FirstMoment));
        Check(SecondMoment, UsesMoments(Kind), nameof(SecondMoment));
    }
}
