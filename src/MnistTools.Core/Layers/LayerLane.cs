namespace MnistTools.Layers;

/// <summary>
/// What a layer reads and writes for one lane of <see cref="Rows"/> consecutive images of a batch; every span holds
/// exactly those rows. Shapes per row: input [InputSize], output [OutputSize], saved [SavedSize].
/// </summary>
internal readonly ref struct LayerLane
{
    public LayerLane(ReadOnlySpan<float> input, Span<float> output, Span<float> saved, Span<float> scratch, int rows, in LaneKey key)
    {
        Input = input;
        Output = output;
        Saved = saved;
        Scratch = scratch;
        Rows = rows;
        Key = key;
        OutputGradient = default;
        InputGradient = default;
        State = default;
    }

    /// <summary>X [Rows x InputSize].</summary>
    public ReadOnlySpan<float> Input { get; }

    /// <summary>Y [Rows x OutputSize].</summary>
    public Span<float> Output { get; }

    /// <summary>[Rows x SavedSize]: what forward keeps for backward; empty in inference (a layer with an activation then
    /// writes its pre-activation into <see cref="Output"/> and applies the activation there in place: the same bits).</summary>
    public Span<float> Saved { get; }

    /// <summary>Scratch of the layer's <see cref="Layer.ScratchSize"/> for these rows.</summary>
    public Span<float> Scratch { get; }

    /// <summary>dY [Rows x OutputSize] (backward only).</summary>
    public Span<float> OutputGradient { get; init; }

    /// <summary>dX [Rows x InputSize], or empty when nobody needs it (backward only).</summary>
    public Span<float> InputGradient { get; init; }

    /// <summary>The layer's slice of the network's non-trainable state [StateSize] (BatchNorm's running statistics), read in inference.</summary>
    public ReadOnlySpan<float> State { get; init; }

    public int Rows { get; }

    /// <summary>Where these rows sit in training (for layers that draw random numbers), or inference.</summary>
    public LaneKey Key { get; }
}

/// <summary>
/// Identifies a lane's rows for random draws keyed by position: (seed, epoch, step, index of the lane's first row in
/// the batch). <see cref="Training"/> is false in evaluation and prediction.
/// </summary>
internal readonly record struct LaneKey(bool Training, int Seed, int Epoch, long Step, int FirstRow)
{
    public static LaneKey Inference => default;
}
