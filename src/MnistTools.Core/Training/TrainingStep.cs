using System.Runtime.CompilerServices;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// One mini-batch step cut into chunks for the two cores (<see cref="ParallelWorker"/>). Shapes: B rows in the batch,
/// h = ceil(B/2), n_l = LayerSizes[l], layer l maps n_l inputs to n_(l+1) outputs, X = A_(−1) the input pixels.
/// Buffers hold the whole batch; a lane owns a band of its rows.
///   <see cref="Pass.Lanes"/>, chunk = lane j ∈ {0, 1}, rows [j·h, min(B, (j+1)·h)):
///       load; forward Z_l = A_(l−1)·W_lᵀ + b_l, A_l = f(Z_l); output gradient dZ_last (carrying 1/B);
///       back through the layers dZ_(l−1) = (dZ_l · W_l) ⊙ f'(Z_(l−1)); this lane's bias gradient sums Σ_rows dZ_l.
///       Row-wise work only: every output row depends on its own input row.
///   <see cref="Pass.Update"/>, chunk = half j of every layer's output units (rows of W_l), in blocks of up to 96 rows:
///       dW_l[block] = dZ_l[:, block]ᵀ · A_(l−1) over all B rows (one product, k = B), then at once, while the block is
///       in cache, the optimizer update of those weights (and of the half's biases from the two lanes' sums) with the
///       health check fused (<see cref="Optimizers.UpdateSlice"/>). No whole-network gradient buffer is written.
///       Except for layers with fewer weights than inputs in the batch (B · n_l, such as the seed network's
///       784 x 20 first layer): there the lanes compute their own partial dW_l over their rows (k = h) and the update
///       adds the two, because sending the lane's 50 x 784 input rows to the other core costs more than its 20 x 784
///       partial gradient.
///   <see cref="Forward"/> runs the lanes forward only and sums the loss (the epoch-end check of the last weights).
/// A wide first layer (at least <see cref="SplitFirstLayerWeights"/> weights, with a layer after it) is run forward by
/// units instead, as the update runs: after a <see cref="Pass.Load"/> of the lanes' rows, <see cref="Pass.FirstLayer"/>
/// chunk j computes Z_0[:, half j] = X · W_0[half j]ᵀ + b and its activations for the whole batch. Each thread then
/// reads and packs only the half of W_0 it also updates, so the big weight matrix never moves between the cores and
/// is not packed twice; what crosses is the much smaller X and A_0. The lanes then start at layer 1.
/// Every cut depends on B and the layer sizes alone, never on how many threads run the chunks, and each weight
/// gradient is one product over the whole batch, so one core and two give the same bits. The lane results (loss,
/// correct count) are combined in lane order by the caller. <see cref="Propagation.Backward"/> computes the same
/// gradient in one plain pass and is the oracle for this one in the tests.
/// </summary>
internal sealed class TrainingStep : ParallelJob
{
    public enum Pass { Load, FirstLayer, Lanes, Update }

    /// <summary>A first layer with at least this many weights (and a layer after it) runs forward split by units.</summary>
    internal const int SplitFirstLayerWeights = 1 << 16;

    /// <summary>Below this much work (rows x parameters) a pass runs on the calling thread alone: posting costs more than it saves.</summary>
    private const long ParallelWork = 1L << 18;

    /// <summary>
    /// Below this many parameters the update runs on the calling thread alone: splitting a few microseconds of work
    /// costs a second hand-over per step and sends the halves' parameters across (measured on the 784-20-16-10 network:
    /// 0.056-0.072 s per epoch alone against 0.065-0.076 split).
    /// </summary>
    private const int ParallelUpdate = 1 << 15;

    /// <summary>Floats of one thread's weight-gradient block: rows of dW, resident in L2 (2 MiB) while they are applied.</summary>
    private const int BlockFloats = 96 * 1024;

    /// <summary>Output units per weight-gradient block: 96 rows (a multiple of every kernel's panel height) keep the
    /// product on the packed kernels, which beat the unpacked narrow route from about 32 rows up.</summary>
    private const int BlockUnits = 96;

    private const int Lanes = 2;

    private readonly Network _network;
    private readonly ParameterLayout _layout;
    private readonly int _batchSize;
    private readonly AlignedFloats _input;
    private readonly int[] _labels;
    private readonly float[] _rowMax, _rowSum;
    private readonly AlignedFloats[] _z, _a, _delta;
    /// <summary>[lane][bias offset of layer l + unit]: each lane's Σ over its rows of dZ_l.</summary>
    private readonly float[][] _biasSums;
    private readonly int[] _biasStart;
    /// <summary>Per layer: where its partial weight gradients start in <see cref="_laneGradients"/>, or −1 when the update
    /// computes its weight gradient instead (see the class notes).</summary>
    private readonly int[] _laneWeightStart;
    /// <summary>[lane][the small layers' weights, one after the other]: the lanes' partial weight gradients.</summary>
    private readonly AlignedFloats[] _laneGradients;
    /// <summary>[thread][BlockFloats]: weight-gradient block scratch.</summary>
    private readonly AlignedFloats?[] _block = new AlignedFloats?[2];
    private readonly double[] _loss = new double[Lanes];
    private readonly int[] _correct = new int[Lanes];
    private readonly bool[] _healthy = new bool[Lanes];

    private Pass _pass;
    /// <summary>Whether the lanes' pass is forward only (the epoch-end check).</summary>
    private bool _forwardOnly;
    private readonly bool _splitFirstLayer;
    private MnistDataSet? _data;
    private int[] _order = Array.Empty<int>();
    private int _start, _rows;
    private OptimizerState? _state;
    private Optimizers.StepScalars _scalars;

    public TrainingStep(Network network, int batchSize)
    {
        _network = network;
        _layout = network.Layout;
        _batchSize = batchSize;
        int layers = _layout.LayerCount;
        _input = new AlignedFloats(checked(batchSize * _layout.InputSize));
        _labels = new int[batchSize];
        _rowMax = new float[batchSize];
        _rowSum = new float[batchSize];
        _z = new AlignedFloats[layers];
        _a = new AlignedFloats[layers];
        _delta = new AlignedFloats[layers];
        _biasStart = new int[layers + 1];
        for (int l = 0; l < layers; l++)
        {
            int width = _layout.LayerSizes[l + 1];
            _z[l] = new AlignedFloats(checked(batchSize * width));
            _a[l] = new AlignedFloats(checked(batchSize * width));
            _delta[l] = new AlignedFloats(checked(batchSize * width));
            _biasStart[l + 1] = _biasStart[l] + width;
        }
        _biasSums = new[] { new float[_biasStart[layers]], new float[_biasStart[layers]] };
        _splitFirstLayer = layers >= 2 && _layout.WeightCount(0) >= SplitFirstLayerWeights;
        _laneWeightStart = new int[layers];
        int laneGradientFloats = 0;
        for (int l = 0; l < layers; l++)
        {
            bool small = _layout.WeightCount(l) < (long)batchSize * _layout.LayerSizes[l];
            _laneWeightStart[l] = small ? laneGradientFloats : -1;
            if (small) laneGradientFloats += _layout.WeightCount(l);
        }
        _laneGradients = new[] { new AlignedFloats(laneGradientFloats), new AlignedFloats(laneGradientFloats) };
        Chunks = Lanes;
    }

    /// <summary>Rows of lane <paramref name="lane"/> in a batch of <paramref name="rows"/>.</summary>
    private static (int Offset, int Rows) LaneRows(int rows, int lane)
    {
        int half = (rows + 1) / 2;
        int offset = Math.Min(rows, lane * half);
        return (offset, Math.Min(half, rows - offset));
    }

    /// <summary>Forward and backward of batch rows order[start .. start + rows) of <paramref name="data"/>.</summary>
    /// <returns>The batch's summed loss and the number of rows whose largest output is the label.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double Loss, int Correct) Backward(MnistDataSet data, int[] order, int start, int rows)
    {
        RunLanes(data, order, start, rows, forwardOnly: false);
        return (_loss[0] + _loss[1], _correct[0] + _correct[1]);
    }

    /// <summary>Forward only, for the check of the final weights: the summed loss, and whether every output is finite.</summary>
    public (double Loss, bool Finite) Forward(MnistDataSet data, int[] order, int start, int rows)
    {
        RunLanes(data, order, start, rows, forwardOnly: true);
        return (_loss[0] + _loss[1], _healthy[0] && _healthy[1]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunLanes(MnistDataSet data, int[] order, int start, int rows, bool forwardOnly)
    {
        if (rows > _batchSize) throw new ArgumentOutOfRangeException(nameof(rows));
        _data = data; _order = order; _start = start; _rows = rows; _forwardOnly = forwardOnly;
        try
        {
            if (_splitFirstLayer)
            {
                _pass = Pass.Load;
                Run();
                _pass = Pass.FirstLayer;
                Run();
            }
            _pass = Pass.Lanes;
            Run();
        }
        finally { _data = null; }
    }

    /// <summary>Weight gradients and the optimizer update for the batch of the last <see cref="Backward"/>.</summary>
    /// <returns>False when a parameter became NaN, infinite or absurdly large.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Update(OptimizerState state, float learningRate, float l2)
    {
        _state = state;
        _scalars = Optimizers.Begin(state, learningRate, l2);
        _pass = Pass.Update;
        ParallelWorker.Run(this, ParallelWorker.ShouldTry(_network.ParameterCount >= ParallelUpdate));
        _state = null;
        return _healthy[0] && _healthy[1];
    }

    /// <summary>Weight gradient of the last <see cref="Backward"/> in the flat layout, computed as <see cref="Update"/> does
    /// (for tests; allocates).</summary>
    internal float[] Gradient()
    {
        var gradient = new float[_layout.ParameterCount];
        for (int l = 0; l < _layout.LayerCount; l++)
        {
            int inputs = _layout.LayerSizes[l], outputs = _layout.LayerSizes[l + 1];
            Span<float> weights = gradient.AsSpan(_layout.WeightOffset(l), outputs * inputs);
            int partial = _laneWeightStart[l];
            if (partial >= 0)
                for (int i = 0; i < weights.Length; i++)
                    weights[i] = _laneGradients[0][partial + i] + (LaneRows(_rows, 1).Rows > 0 ? _laneGradients[1][partial + i] : 0f);
            else WeightGradient(l, 0, outputs, weights);
            for (int unit = 0; unit < outputs; unit++)
                gradient[_layout.BiasOffset(l) + unit] = _biasSums[0][_biasStart[l] + unit] + (LaneRows(_rows, 1).Rows > 0 ? _biasSums[1][_biasStart[l] + unit] : 0f);
        }
        return gradient;
    }

    private void Run() => ParallelWorker.Run(this, ParallelWorker.ShouldTry((long)_rows * _network.ParameterCount >= ParallelWork));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void RunChunk(int chunk, int thread)
    {
        switch (_pass)
        {
            case Pass.Update: _healthy[chunk] = UpdateHalf(chunk, thread); break;
            case Pass.Load: LoadLane(chunk); break;
            case Pass.FirstLayer: FirstLayerHalf(chunk); break;
            default: RunLane(chunk); break;
        }
    }

    /// <summary>Pixels and labels of lane <paramref name="lane"/>'s rows of the batch.</summary>
    private void LoadLane(int lane)
    {
        (int offset, int rows) = LaneRows(_rows, lane);
        int size = _layout.InputSize;
        Workspace.LoadRows(_data!, _order.AsSpan(_start + offset, rows), _input.AsSpan(offset * size, rows * size), _labels.AsSpan(offset, rows));
    }

    /// <summary>Z_0[:, units of half j] and A_0 of those units for every row of the batch (the wide-first-layer split).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FirstLayerHalf(int half)
    {
        ReadOnlySpan<float> parameters = _network.Parameters;
        int inputs = _layout.InputSize, outputs = _layout.LayerSizes[1], rows = _rows;
        int first = outputs * half / Lanes, count = outputs * (half + 1) / Lanes - first;
        if (count == 0) return;
        Span<float> z = _z[0].AsSpan(first, (rows - 1) * outputs + count);
        Gemm.MultiplyStrided(_input.AsSpan(0, rows * inputs), inputs, _layout.Weights(parameters, 0).Slice(first * inputs, count * inputs), inputs,
            z, outputs, rows, count, inputs, transposeA: false, transposeB: true, accumulate: false);
        ReadOnlySpan<float> biases = _layout.Biases(parameters, 0).Slice(first, count);
        for (int r = 0; r < rows; r++)
        {
            Span<float> zRow = _z[0].AsSpan(r * outputs + first, count);
            DenseLayer.AddBias(zRow, biases, 1, count);
            ActivationFunctions.ActivationForward(_network.Activation, zRow, _a[0].AsSpan(r * outputs + first, count));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunLane(int lane)
    {
        (int offset, int rows) = LaneRows(_rows, lane);
        _loss[lane] = 0;
        _correct[lane] = 0;
        _healthy[lane] = true;
        if (rows == 0) return;
        Network network = _network;
        ParameterLayout layout = _layout;
        ReadOnlySpan<float> parameters = network.Parameters;
        int last = layout.LayerCount - 1, classes = layout.OutputSize;
        Span<float> Band(AlignedFloats buffer, int width) => buffer.AsSpan(offset * width, rows * width);

        int firstLayer = _splitFirstLayer ? 1 : 0; // the load and layer 0 already ran, split by units
        if (!_splitFirstLayer) LoadLane(lane);
        for (int l = firstLayer; l <= last; l++)
        {
            int inputs = layout.LayerSizes[l], outputs = layout.LayerSizes[l + 1];
            ReadOnlySpan<float> layerInput = l == 0 ? Band(_input, inputs) : Band(_a[l - 1], inputs);
            Span<float> z = Band(_z[l], outputs), a = Band(_a[l], outputs);
            DenseLayer.DenseForward(layerInput, layout.Weights(parameters, l), layout.Biases(parameters, l), z, rows, inputs, outputs);
            if (l < last) ActivationFunctions.ActivationForward(network.Activation, z, a);
            else OutputLayer.OutputForward(network.OutputActivation, z, a, _rowMax.AsSpan(offset, rows), _rowSum.AsSpan(offset, rows), rows, outputs);
        }
        Span<float> output = Band(_a[last], classes);
        if (_forwardOnly)
        {
            _loss[lane] = OutputLayer.LossAndGradient(network.OutputActivation, network.Loss, Band(_z[last], classes), output,
                _rowMax.AsSpan(offset, rows), _rowSum.AsSpan(offset, rows), _labels.AsSpan(offset, rows), Span<float>.Empty, rows, classes, 0f);
            _healthy[lane] = FiniteCheck.AllFinite(output);
            return;
        }

        int correct = 0;
        for (int r = 0; r < rows; r++)
            if (Classification.PredictedClass(output.Slice(r * classes, classes)) == _labels[offset + r]) correct++;
        _correct[lane] = correct;
        _loss[lane] = OutputLayer.LossAndGradient(network.OutputActivation, network.Loss, Band(_z[last], classes), output,
            _rowMax.AsSpan(offset, rows), _rowSum.AsSpan(offset, rows), _labels.AsSpan(offset, rows), Band(_delta[last], classes),
            rows, classes, 1f / _rows);

        float[] biasSums = _biasSums[lane];
        for (int l = last; l >= 0; l--)
        {
            int inputs = layout.LayerSizes[l], outputs = layout.LayerSizes[l + 1];
            Span<float> delta = Band(_delta[l], outputs);
            DenseLayer.BiasGradient(delta, biasSums.AsSpan(_biasStart[l], outputs), rows, outputs);
            if (_laneWeightStart[l] >= 0)
            {
                // This lane's partial dW_l = dZ_l[rows]ᵀ · A_(l−1)[rows].
                ReadOnlySpan<float> layerInput = l == 0 ? Band(_input, inputs) : Band(_a[l - 1], inputs);
                Gemm.Multiply(delta, layerInput, _laneGradients[lane].AsSpan(_laneWeightStart[l], outputs * inputs), outputs, inputs, rows,
                    transposeA: true, transposeB: false, accumulate: false);
            }
            if (l == 0) break;
            // dA_(l−1) = dZ_l · W_l, then dZ_(l−1) = dA_(l−1) ⊙ f'(Z_(l−1)) in place.
            Span<float> inputGradient = Band(_delta[l - 1], inputs);
            Gemm.Multiply(delta, layout.Weights(parameters, l), inputGradient, rows, inputs, outputs, transposeA: false, transposeB: false, accumulate: false);
            ActivationFunctions.ActivationBackward(network.Activation, Band(_z[l - 1], inputs), Band(_a[l - 1], inputs), inputGradient);
        }
    }

    /// <summary>Output units [n·half/2, n·(half+1)/2) of every layer: weight gradients block by block, each applied at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool UpdateHalf(int half, int thread)
    {
        ParameterLayout layout = _layout;
        Span<float> parameters = _network.Parameters;
        OptimizerState state = _state!;
        bool secondLane = LaneRows(_rows, 1).Rows > 0;
        AlignedFloats block = _block[thread] ??= new AlignedFloats(BlockFloats);
        bool healthy = true;
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int inputs = layout.LayerSizes[l], outputs = layout.LayerSizes[l + 1];
            int first = outputs * half / Lanes, end = outputs * (half + 1) / Lanes;
            int partial = _laneWeightStart[l];
            if (partial >= 0)
            {
                int from = partial + first * inputs, length = (end - first) * inputs;
                healthy &= Optimizers.UpdateSlice(state, parameters, _laneGradients[0].AsSpan(from, length),
                    secondLane ? _laneGradients[1].AsSpan(from, length) : ReadOnlySpan<float>.Empty,
                    layout.WeightOffset(l) + first * inputs, length, _scalars, _scalars.L2);
            }
            int blockRows = Math.Clamp(BlockFloats / inputs, 1, BlockUnits);
            for (int unit = first; unit < end && partial < 0; unit += blockRows)
            {
                int units = Math.Min(blockRows, end - unit);
                Span<float> gradient = block.AsSpan(0, units * inputs);
                WeightGradient(l, unit, units, gradient);
                healthy &= Optimizers.UpdateSlice(state, parameters, gradient, ReadOnlySpan<float>.Empty,
                    layout.WeightOffset(l) + unit * inputs, units * inputs, _scalars, _scalars.L2);
            }
            int biases = _biasStart[l] + first;
            healthy &= Optimizers.UpdateSlice(state, parameters, _biasSums[0].AsSpan(biases, end - first),
                secondLane ? _biasSums[1].AsSpan(biases, end - first) : ReadOnlySpan<float>.Empty,
                layout.BiasOffset(l) + first, end - first, _scalars, 0f);
        }
        return healthy;
    }

    /// <summary>dW_l[units first .. first + count) = dZ_l[:, those units]ᵀ · A_(l−1) over all rows of the batch. gradient [count x n_l].</summary>
    private void WeightGradient(int l, int first, int count, Span<float> gradient)
    {
        int inputs = _layout.LayerSizes[l], outputs = _layout.LayerSizes[l + 1];
        ReadOnlySpan<float> layerInput = l == 0 ? _input.AsSpan(0, _rows * inputs) : _a[l - 1].AsSpan(0, _rows * inputs);
        // A = dZ_l stored [B x n_(l+1)]: the block's columns start at 'first', row stride n_(l+1).
        Gemm.MultiplyStrided(_delta[l].AsSpan(first, (_rows - 1) * outputs + count), outputs, layerInput, inputs, gradient, inputs,
            count, inputs, _rows, transposeA: true, transposeB: false, accumulate: false);
    }
}
