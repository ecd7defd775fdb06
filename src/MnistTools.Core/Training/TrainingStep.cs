using System.Runtime.CompilerServices;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// One mini-batch step cut into chunks for the two cores (<see cref="ParallelWorker"/>). Shapes: B rows in the batch,
/// h = ceil(B/2) rows per lane, P parameters.
///   <see cref="Pass.Backward"/>, chunk = lane j ∈ {0, 1}: rows [j·h, min(B, (j+1)·h)) of the batch go through load,
///       forward, loss and backward in lane j's own <see cref="Workspace"/>; its gradient g_j [P] carries the factor 1/B,
///       so the batch-mean gradient is g₀ + g₁.
///   <see cref="Pass.Update"/>, chunk = parameter range r ∈ {0, 1}: θ[r] ← update(θ[r], g₀[r] + g₁[r]) with the health
///       check fused (<see cref="Optimizers.UpdateRange"/>).
///   <see cref="Pass.Forward"/>: lanes forward and sum the loss only (the epoch-end check of the last weights).
/// Every cut depends on B and P alone, never on how many threads run the chunks, so one core and two give the same bits.
/// The lane results (loss, correct count) are combined in lane order by the caller.
/// </summary>
internal sealed class TrainingStep : ParallelJob
{
    public enum Pass { Backward, Update, Forward }

    /// <summary>Below this many (rows x parameters) a step runs on the calling thread alone: posting costs more than it saves.</summary>
    private const long ParallelWork = 1L << 18;

    /// <summary>Below this many parameters the update runs on the calling thread alone.</summary>
    private const int ParallelUpdate = 1 << 15;

    private const int Lanes = 2;

    private readonly Network _network;
    private readonly Workspace[] _lanes;
    private readonly double[] _loss = new double[Lanes];
    private readonly int[] _correct = new int[Lanes];
    private readonly bool[] _finite = new bool[Lanes];
    private readonly int[] _rangeStart = new int[Lanes + 1];

    private Pass _pass;
    private MnistDataSet? _data;
    private int[] _order = Array.Empty<int>();
    private int _start, _rows;
    private OptimizerState? _state;
    private Optimizers.StepScalars _scalars;

    public TrainingStep(Network network, int batchSize)
    {
        _network = network;
        int laneRows = (batchSize + 1) / 2;
        _lanes = new Workspace[Lanes];
        for (int lane = 0; lane < Lanes; lane++) _lanes[lane] = new Workspace(network.Layout, laneRows, training: true);
        // Parameter ranges cut at whole cache lines (16 floats), so the two threads never write the same line.
        int count = network.ParameterCount;
        for (int range = 0; range <= Lanes; range++) _rangeStart[range] = Math.Min(count, (int)((long)count * range / Lanes) / 16 * 16);
        _rangeStart[Lanes] = count;
        Chunks = Lanes;
    }

    /// <summary>Lane <paramref name="lane"/>'s gradient of the last <see cref="Backward"/> [P] (for tests).</summary>
    internal ReadOnlySpan<float> LaneGradients(int lane) => _lanes[lane].Gradients;

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
        _data = data; _order = order; _start = start; _rows = rows;
        _pass = Pass.Backward;
        Run(work: (long)rows * _network.ParameterCount >= ParallelWork);
        _data = null;
        return (_loss[0] + _loss[1], _correct[0] + _correct[1]);
    }

    /// <summary>Forward only, for the check of the final weights: the summed loss, and whether every output is finite.</summary>
    public (double Loss, bool Finite) Forward(MnistDataSet data, int[] order, int start, int rows)
    {
        _data = data; _order = order; _start = start; _rows = rows;
        _pass = Pass.Forward;
        Run(work: (long)rows * _network.ParameterCount >= ParallelWork);
        _data = null;
        return (_loss[0] + _loss[1], _finite[0] && _finite[1]);
    }

    /// <summary>Applies the optimizer to the gradient of the last <see cref="Backward"/>.</summary>
    /// <returns>False when a parameter became NaN, infinite or absurdly large.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Update(OptimizerState state, float learningRate, float l2)
    {
        _state = state;
        _scalars = Optimizers.Begin(state, learningRate, l2);
        _pass = Pass.Update;
        Run(work: _network.ParameterCount >= ParallelUpdate);
        _state = null;
        return _finite[0] && _finite[1];
    }

    private void Run(bool work) => ParallelWorker.Run(this, ParallelWorker.ShouldTry(work));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void RunChunk(int chunk, int thread)
    {
        if (_pass == Pass.Update)
        {
            ReadOnlySpan<float> second = LaneRows(_rows, 1).Rows > 0 ? _lanes[1].Gradients : ReadOnlySpan<float>.Empty;
            _finite[chunk] = Optimizers.UpdateRange(_state!, _network.Layout, _network.Parameters, _lanes[0].Gradients, second,
                _rangeStart[chunk], _rangeStart[chunk + 1], _scalars);
            return;
        }

        Workspace workspace = _lanes[chunk];
        (int offset, int rows) = LaneRows(_rows, chunk);
        _loss[chunk] = 0;
        _correct[chunk] = 0;
        _finite[chunk] = true;
        if (rows == 0) return;
        workspace.LoadBatch(_data!, _order.AsSpan(_start + offset, rows));
        Propagation.Forward(_network, workspace.Input, rows, workspace);
        Span<float> output = workspace.Output(rows);
        if (_pass == Pass.Forward)
        {
            _loss[chunk] = Propagation.Loss(_network, rows, workspace);
            _finite[chunk] = FiniteCheck.AllFinite(output);
            return;
        }
        int classes = _network.OutputSize, correct = 0;
        for (int r = 0; r < rows; r++)
            if (OutputLayer.PredictedClass(output.Slice(r * classes, classes)) == workspace.Labels[r]) correct++;
        _correct[chunk] = correct;
        _loss[chunk] = Propagation.Backward(_network, workspace.Input, rows, 1f / _rows, workspace);
    }
}
