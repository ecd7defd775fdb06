using System.Numerics;
using System.Runtime.CompilerServices;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// A fully connected layer with an optional hidden activation f. Shapes: B rows, I inputs, O outputs (units).
///   forward   Z[B x O] = X[B x I] · Wᵀ + b,  Y = f(Z)       (W [O x I] row-major, b [O]; Z saved when f exists in training)
///   backward  dZ = dY ⊙ f'(Z)  (in place),  db[O] = Σ_rows dZ,  dW[O x I] = dZᵀ · X,  dX[B x I] = dZ · W
/// The last layer of a network has no hidden activation: the output activation and the loss (<see cref="OutputLayer"/>)
/// take its Z. All products go through <see cref="Gemm"/>. The bias loops are written out (not one library call per
/// row): rows are short (10-800 values) and there are B of them per layer.
/// </summary>
internal sealed class DenseLayer : Layer
{
    private readonly Activation? _activation;
    private readonly bool _bias;
    private readonly float _slope;

    /// <param name="activation">The hidden activation, or null for a linear output (the last layer).</param>
    /// <param name="bias">False: no biases in the parameter buffer (b = 0), for a layer a BatchNorm follows.</param>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    public DenseLayer(TensorShape inputShape, int units, Activation? activation, bool bias = true, float slope = ActivationFunctions.LeakyReLUSlope)
        : base(inputShape, TensorShape.Vector(units))
    {
        _activation = activation;
        _bias = bias;
        _slope = slope;
    }

    public override bool HasBias => _bias;

    public override Activation? Activation => _activation;

    public override int Units => OutputSize;

    public override int WeightCount => OutputSize * InputSize;

    public override string Kind => "Dense";

    public override int SavedSize => _activation is null ? 0 : OutputSize;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Forward(ReadOnlySpan<float> parameters, in LayerLane lane)
    {
        Span<float> z = _activation is null || lane.Saved.IsEmpty ? lane.Output : lane.Saved;
        DenseForward(lane.Input, Weights(parameters), Biases(parameters), z, lane.Rows, InputSize, OutputSize);
        if (_activation is { } activation) ActivationFunctions.ActivationForward(activation, z, lane.Output, _slope);
    }

    /// <summary>Z[:, first .. first + count) and their activations for every row (W's rows [first, first + count)).</summary>
    public override bool CanForwardByUnits => true;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ForwardUnits(ReadOnlySpan<float> parameters, in LayerLane lane, int first, int count)
    {
        if (count == 0) return;
        int inputs = InputSize, outputs = OutputSize, rows = lane.Rows;
        Span<float> all = _activation is null || lane.Saved.IsEmpty ? lane.Output : lane.Saved;
        Gemm.MultiplyStrided(lane.Input.Slice(0, rows * inputs), inputs, Weights(parameters).Slice(first * inputs, count * inputs), inputs,
            all.Slice(first, (rows - 1) * outputs + count), outputs, rows, count, inputs, transposeA: false, transposeB: true, accumulate: false);
        ReadOnlySpan<float> biases = Biases(parameters).Slice(first, count);
        for (int r = 0; r < rows; r++)
        {
            Span<float> z = all.Slice(r * outputs + first, count);
            AddBias(z, biases, 1, count);
            if (_activation is { } activation) ActivationFunctions.ActivationForward(activation, z, lane.Output.Slice(r * outputs + first, count), _slope);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Backward(ReadOnlySpan<float> parameters, in LayerLane lane, Span<float> weightGradient, Span<float> biasGradient)
    {
        int rows = lane.Rows, inputs = InputSize, outputs = OutputSize;
        Span<float> delta = lane.OutputGradient;
        if (_activation is { } activation) ActivationFunctions.ActivationBackward(activation, lane.Saved, lane.Output, delta, _slope);
        BiasGradient(delta, biasGradient, rows, outputs);
        if (!weightGradient.IsEmpty)
            Gemm.Multiply(delta, lane.Input, weightGradient, outputs, inputs, rows, transposeA: true, transposeB: false, accumulate: false);
        if (!lane.InputGradient.IsEmpty)
            Gemm.Multiply(delta, Weights(parameters), lane.InputGradient, rows, inputs, outputs, transposeA: false, transposeB: false, accumulate: false);
    }

    /// <summary>
    /// Whole-batch weight gradients by blocks of units where the weights outnumber the batch's inputs (B · I): sending a
    /// lane's B/2 x I inputs to the other core then costs less than its O x I partial gradient.
    /// </summary>
    public override bool WeightGradientByUnits(int batch) => WeightCount >= (long)batch * InputSize;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void WeightGradientUnits(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, int rows, int first, int count,
        Span<float> gradient)
    {
        int inputs = InputSize, outputs = OutputSize;
        // A = dZ stored [B x O]: the block's columns start at 'first', row stride O.
        Gemm.MultiplyStrided(outputGradient.Slice(first, (rows - 1) * outputs + count), outputs, input.Slice(0, rows * inputs), inputs,
            gradient, inputs, count, inputs, rows, transposeA: true, transposeB: false, accumulate: false);
    }

    /// <summary>Z[B x O] = X[B x I] · Wᵀ + b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DenseForward(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases,
        Span<float> output, int batch, int inputs, int outputs)
    {
        Gemm.Multiply(input, weights, output, batch, outputs, inputs, transposeA: false, transposeB: true, accumulate: false);
        AddBias(output, biases, batch, outputs);
    }

    /// <summary>Z[r, :] += b for every row r. Z [B x O], b [O].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddBias(Span<float> output, ReadOnlySpan<float> biases, int batch, int outputs)
    {
        int width = Vector<float>.Count;
        for (int r = 0; r < batch; r++)
        {
            Span<float> row = output.Slice(r * outputs, outputs);
            int j = 0;
            if (Vector.IsHardwareAccelerated)
                for (; j <= outputs - width; j += width)
                    (new Vector<float>(row.Slice(j)) + new Vector<float>(biases.Slice(j))).CopyTo(row.Slice(j));
            for (; j < outputs; j++) row[j] += biases[j];
        }
    }

    /// <summary>db[j] = Σ_r dZ[r, j], summed in row order (the same bits whatever the vector width). dZ [B x O], db [O].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BiasGradient(ReadOnlySpan<float> outputGradient, Span<float> biasGradient, int batch, int outputs)
    {
        int width = Vector<float>.Count, j = 0;
        if (Vector.IsHardwareAccelerated)
            for (; j <= outputs - width; j += width)
            {
                Vector<float> sum = Vector<float>.Zero;
                for (int r = 0; r < batch; r++) sum += new Vector<float>(outputGradient.Slice(r * outputs + j));
                sum.CopyTo(biasGradient.Slice(j));
            }
        for (; j < outputs; j++)
        {
            float sum = 0f;
            for (int r = 0; r < batch; r++) sum += outputGradient[r * outputs + j];
            biasGradient[j] = sum;
        }
    }
}
