using System.Runtime.CompilerServices;
using MnistTools.Distortions;
using MnistTools.Layers;
using MnistTools.Numerics;

namespace MnistTools.Training;

/// <summary>
/// One mini-batch step on the two cores (<see cref="ParallelWorker"/>), as a few named jobs. Shapes: B rows in the
/// batch, a lane is one of two lanes of rows, [0, h) and [h, B) with h = ceil(B/2); layer l has U_l units (weight
/// rows) of R_l weights each.
///   <see cref="Propagate"/>  (<see cref="LaneJob"/>, chunk = lane): load the lane's images (distorted when training
///       with an <see cref="Augmentation"/>), forward through every
///       layer, the loss and dZ_last (carrying 1/B), back through every layer (<see cref="Propagation"/>): row-wise
///       work only, each lane's bias gradient sums and the per-lane weight gradients into its own
///       <see cref="LaneGradients"/>.
///   <see cref="Update"/>     (<see cref="UpdateJob"/>, chunk = half j of every layer's units): the weight gradients a
///       layer computes over the whole batch (<see cref="Layer.WeightGradientByUnits"/>: one product with k = B per block
///       of up to <see cref="BlockUnits"/> units, applied at once while the block is in cache), the two lanes' shares
///       added for the others, and the optimizer update with the health check fused (<see cref="Optimizers.Update"/>).
///       No whole-network gradient buffer is written.
///   <see cref="Check"/>      (<see cref="LaneJob"/> forward only): the loss and whether every output is finite.
/// A wide first layer that can run forward by units (at least <see cref="SplitFirstLayerWeights"/> weights, with a
/// layer after it) starts the step with <see cref="LoadJob"/> (each lane's images) and <see cref="UnitsForwardJob"/>
/// (half j of its units for every row), so each core reads and packs only the half of W_0 it also updates; the lanes
/// then start at layer 1.
/// A network with layers that normalise by batch statistics (<see cref="Layer.UsesBatchStatistics"/>, BatchNorm) runs
/// the lanes up to such a layer (<see cref="SegmentJob"/>), then that layer over the whole batch cut by halves of its
/// channels (<see cref="BatchJob"/>), then the lanes again; backward mirrors it. Each channel's statistics are those of
/// the whole batch, summed by one chunk in one order; its γ and β gradients land in lane 0's share (lane 1's is 0).
/// Every cut depends on B and the layer sizes alone, never on how many threads run the chunks, and the lanes' shares are
/// added in lane order, so one core and two give the same bits.
/// </summary>
internal sealed class TrainingStep
{
    /// <summary>A first layer with at least this many weights (and a layer after it) runs forward split by units.</summary>
    internal const int SplitFirstLayerWeights = 1 << 16;

    /// <summary>Below this much work (rows x parameters) a job runs on the calling thread alone: posting costs more than it saves.</summary>
    private const long ParallelWork = 1L << 18;

    /// <summary>
    /// Below this many parameters the update runs on the calling thread alone: splitting a few microseconds of work
    /// costs a second hand-over per step and sends the halves' parameters across (measured on the 784-20-16-10 network:
    /// 0.056-0.072 s per epoch alone against 0.065-0.076 split).
    /// </summary>
    private const int ParallelUpdate = 1 << 15;

    /// <summary>Floats of one thread's weight-gradient block: rows of dW, resident in L2 (2 MiB) while they are applied.</summary>
    private const int BlockFloats = 96 * 1024;

    /// <summary>Units per weight-gradient block: 96 rows (a multiple of every kernel's panel height) keep the product on
    /// the packed kernels, which beat the unpacked narrow route from about 32 rows up.</summary>
    private const int BlockUnits = 96;

    internal const int Lanes = 2;

    private readonly Network _network;
    private readonly IReadOnlyList<Layer> _layers;
    private readonly BatchBuffers _buffers;
    private readonly LaneGradients[] _laneGradients;
    private readonly bool _splitFirstLayer;
    private readonly LoadJob _load;
    private readonly UnitsForwardJob _unitsForward;
    private readonly LaneJob _lanes;
    private readonly UpdateJob _update;
    /// <summary>Indices of the layers with batch statistics, ascending; empty for most networks (the lanes then run every layer in one job).</summary>
    private readonly int[] _batchLayers;
    private readonly SegmentJob _segment;
    private readonly BatchJob _batchJob;

    /// <param name="augmentation">How training batches distort their images (<see cref="ImageAugmenter"/>); the
    /// forward-only <see cref="Check"/> sees them as they are.</param>
    public TrainingStep(Network network, int batchSize, Augmentation augmentation = Augmentation.None)
    {
        Augmentation = augmentation;
        _network = network;
        _layers = network.Stack.Layers;
        BatchSize = batchSize;
        WorkingMemory.CheckTraining(network.Stack, batchSize, Lanes);
        _buffers = new BatchBuffers(network.Stack, batchSize, training: true, lanes: Lanes);
        _laneGradients = new[] { new LaneGradients(_layers, batchSize), new LaneGradients(_layers, batchSize) };
        _splitFirstLayer = _layers.Count >= 2 && _layers[0].CanForwardByUnits && _layers[0].WeightCount >= SplitFirstLayerWeights;
        _load = new LoadJob(this);
        _unitsForward = new UnitsForwardJob(this);
        _lanes = new LaneJob(this);
        _update = new UpdateJob(this);
        _batchLayers = Enumerable.Range(0, _layers.Count).Where(l => _layers[l].UsesBatchStatistics).ToArray();
        _segment = new SegmentJob(this);
        _batchJob = new BatchJob(this);
        foreach (Layer layer in _layers)
            if (layer.Units > 0 && layer.WeightGradientByUnits(batchSize)) BlockSize = Math.Max(BlockSize, layer.WeightCount / layer.Units);
    }

    /// <summary>Floats of one thread's weight-gradient block: <see cref="BlockFloats"/>, or one whole weight row if that is longer.</summary>
    private int BlockSize { get; } = BlockFloats;

    public int BatchSize { get; }

    public Augmentation Augmentation { get; }

    /// <summary>X [BatchSize x InputSize]: the inputs of the last batch loaded.</summary>
    public ReadOnlySpan<float> Inputs => _buffers.Input.AsSpan();

    /// <summary>[lane]: each lane's distorter, made for the geometry of the images it last loaded.</summary>
    private readonly ImageAugmenter?[] _augmenters = new ImageAugmenter?[Lanes];

    /// <summary>The rows of a training batch: images order[start .. start + rows) of data, and where they sit in training.</summary>
    public readonly record struct Batch(MnistDataSet Data, int[] Order, int Start, int Rows, LaneKey Key);

    /// <summary>Rows of lane <paramref name="lane"/> in a batch of <paramref name="rows"/>.</summary>
    private static (int Offset, int Rows) LaneRows(int rows, int lane)
    {
        int half = (rows + 1) / 2;
        int offset = Math.Min(rows, lane * half);
        return (offset, Math.Min(half, rows - offset));
    }

    /// <summary>Forward and backward of <paramref name="batch"/>: the summed loss and the rows whose predicted class is the label.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double Loss, int Correct) Propagate(in Batch batch)
    {
        RunLanes(batch, forwardOnly: false);
        return (_lanes.Loss[0] + _lanes.Loss[1], _lanes.Correct[0] + _lanes.Correct[1]);
    }

    /// <summary>Forward only (the check of the final weights): the summed loss, and whether every output is finite.</summary>
    public (double Loss, bool Finite) Check(in Batch batch)
    {
        RunLanes(batch, forwardOnly: true);
        return (_lanes.Loss[0] + _lanes.Loss[1], _lanes.Finite[0] && _lanes.Finite[1]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunLanes(in Batch batch, bool forwardOnly)
    {
        if (batch.Rows > BatchSize) throw new ArgumentOutOfRangeException(nameof(batch));
        bool parallel = ParallelWorker.ShouldTry((long)batch.Rows * _network.ParameterCount >= ParallelWork);
        int firstLayer = 0;
        if (_splitFirstLayer)
        {
            _load.Batch = batch;
            ParallelWorker.Run(_load, parallel);
            _unitsForward.Rows = batch.Rows;
            _unitsForward.Key = batch.Key;
            ParallelWorker.Run(_unitsForward, parallel);
            firstLayer = 1;
        }
        _lanes.Batch = batch;
        _lanes.ForwardOnly = forwardOnly;
        _lanes.FirstLayer = firstLayer;
        _lanes.StopLayer = 0;
        try
        {
            if (_batchLayers.Length == 0) ParallelWorker.Run(_lanes, parallel);
            else RunStages(batch, forwardOnly, firstLayer, parallel);
        }
        finally { _lanes.Batch = default; _load.Batch = default; _segment.Batch = default; }
        _update.Rows = batch.Rows;
    }

    /// <summary>
    /// The lanes up to each layer with batch statistics, that layer over the whole batch by channel halves, the lanes after
    /// it; then (unless <paramref name="forwardOnly"/>, the check, which leaves the running statistics as they are) the
    /// same backward.
    /// </summary>
    private void RunStages(in Batch batch, bool forwardOnly, int firstLayer, bool parallel)
    {
        _segment.Batch = batch;
        _batchJob.Rows = batch.Rows;
        _batchJob.Key = batch.Key with { FirstRow = 0 };
        int start = firstLayer;
        foreach (int layer in _batchLayers)
        {
            if (layer > start || start == 0)
            {
                _segment.Backward = false;
                _segment.First = start;
                _segment.End = layer;
                ParallelWorker.Run(_segment, parallel);
            }
            _batchJob.Layer = layer;
            _batchJob.Backward = false;
            _batchJob.UpdateState = !forwardOnly;
            ParallelWorker.Run(_batchJob, parallel);
            start = layer + 1;
        }
        _lanes.FirstLayer = start;
        _lanes.StopLayer = start;
        ParallelWorker.Run(_lanes, parallel);
        if (forwardOnly) return;
        for (int i = _batchLayers.Length - 1; i >= 0; i--)
        {
            int layer = _batchLayers[i], lower = i > 0 ? _batchLayers[i - 1] + 1 : 0;
            _batchJob.Layer = layer;
            _batchJob.Backward = true;
            ParallelWorker.Run(_batchJob, parallel);
            if (layer - 1 < lower) continue;
            _segment.Backward = true;
            _segment.First = layer - 1;
            _segment.End = lower;
            ParallelWorker.Run(_segment, parallel);
        }
    }

    /// <summary>The weight gradients and the optimizer update for the batch of the last <see cref="Propagate"/>.</summary>
    /// <returns>False when a parameter became NaN, infinite or absurdly large.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Update(OptimizerState state, in OptimizerStep step)
    {
        _update.State = state;
        _update.Step = step;
        try { ParallelWorker.Run(_update, ParallelWorker.ShouldTry(_network.ParameterCount >= ParallelUpdate)); }
        finally { _update.State = null; }
        return _update.Healthy[0] && _update.Healthy[1];
    }

    /// <summary>Loads the images of lane <paramref name="lane"/>'s rows.</summary>
    private void LoadLane(in Batch batch, int lane)
    {
        (int offset, int rows) = LaneRows(batch.Rows, lane);
        ImageAugmenter? augmenter = null;
        if (Augmentation != Augmentation.None && batch.Key.Training)
        {
            augmenter = _augmenters[lane];
            if (augmenter is null || augmenter.Rows != batch.Data.Rows || augmenter.Columns != batch.Data.Columns)
                _augmenters[lane] = augmenter = new ImageAugmenter(Augmentation, batch.Data.Rows, batch.Data.Columns);
        }
        _buffers.Load(batch.Data, batch.Order.AsSpan(batch.Start + offset, rows), offset, augmenter, batch.Key);
    }

    /// <summary>Each lane's images: chunk = lane.</summary>
    private sealed class LoadJob(TrainingStep step) : ParallelJob(Lanes)
    {
        public Batch Batch;

        public override void RunChunk(int chunk, int thread) => step.LoadLane(Batch, chunk);
    }

    /// <summary>Layer 0 forward for every row of the batch, chunk = half j of its units: Y_0[:, half j].</summary>
    private sealed class UnitsForwardJob(TrainingStep step) : ParallelJob(Lanes)
    {
        public int Rows;
        public LaneKey Key;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void RunChunk(int chunk, int thread)
        {
            Layer layer = step._layers[0];
            int first = layer.Units * chunk / Lanes, end = layer.Units * (chunk + 1) / Lanes;
            layer.ForwardUnits(step._network.Parameters, step._buffers.Lane(step._layers, 0, 0, Rows, thread, Key), first, end - first);
        }
    }

    /// <summary>
    /// Chunk = lane: forward from <see cref="FirstLayer"/>, then (unless <see cref="ForwardOnly"/>) the loss, the correct
    /// count and backward into the lane's <see cref="LaneGradients"/>. Results land in the lane's slots.
    /// </summary>
    private sealed class LaneJob(TrainingStep step) : ParallelJob(Lanes)
    {
        public Batch Batch;
        public bool ForwardOnly;
        public int FirstLayer;
        /// <summary>The lowest layer backward runs (0, or the layer after the last one with batch statistics).</summary>
        public int StopLayer;
        public readonly double[] Loss = new double[Lanes];
        public readonly int[] Correct = new int[Lanes];
        public readonly bool[] Finite = new bool[Lanes];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void RunChunk(int lane, int thread)
        {
            (int offset, int rows) = LaneRows(Batch.Rows, lane);
            Loss[lane] = 0;
            Correct[lane] = 0;
            Finite[lane] = true;
            if (rows == 0) return;
            Network network = step._network;
            BatchBuffers buffers = step._buffers;
            if (FirstLayer == 0) step.LoadLane(Batch, lane);
            LaneKey key = Batch.Key with { FirstRow = offset };
            Propagation.Forward(network.Stack, buffers, offset, rows, thread, key, FirstLayer, everyOutput: false);
            if (ForwardOnly)
            {
                Loss[lane] = Propagation.Loss(network.Stack, buffers, offset, rows);
                int classes = network.OutputSize;
                Finite[lane] = FiniteCheck.AllFinite(buffers.Scores.AsSpan(offset * classes, rows * classes));
                return;
            }
            Correct[lane] = Propagation.Correct(network.Stack, buffers, offset, rows);
            Loss[lane] = Propagation.Backward(network.Stack, buffers, offset, rows, thread, key, 1f / Batch.Rows, step._laneGradients[lane], StopLayer);
        }
    }

    /// <summary>
    /// Chunk = lane, in a network with batch statistics: forward through layers [<see cref="First"/>, <see cref="End"/>)
    /// (loading the lane's images first when First is 0), or backward from layer First down to End.
    /// </summary>
    private sealed class SegmentJob(TrainingStep step) : ParallelJob(Lanes)
    {
        public Batch Batch;
        public bool Backward;
        public int First, End;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void RunChunk(int lane, int thread)
        {
            (int offset, int rows) = LaneRows(Batch.Rows, lane);
            if (rows == 0) return;
            LaneKey key = Batch.Key with { FirstRow = offset };
            if (Backward)
            {
                Propagation.BackwardLayers(step._network.Stack, step._buffers, offset, rows, thread, key, First, End, step._laneGradients[lane]);
                return;
            }
            if (First == 0) step.LoadLane(Batch, lane);
            Propagation.ForwardLayers(step._network.Stack, step._buffers, offset, rows, thread, key, First, End);
        }
    }

    /// <summary>
    /// Chunk = half j of the channels [C·j/2, C·(j+1)/2) of layer <see cref="Layer"/> (one with batch statistics), over every
    /// row of the batch: forward (the batch's statistics, the running ones updated when <see cref="UpdateState"/>) or
    /// backward (d(input), and the channels' γ and β gradients into lane 0's share, lane 1's set to 0). The halves are
    /// those of the update job, so each thread writes only what it alone reads.
    /// </summary>
    private sealed class BatchJob(TrainingStep step) : ParallelJob(Lanes)
    {
        public int Layer, Rows;
        public LaneKey Key;
        public bool Backward, UpdateState;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void RunChunk(int half, int thread)
        {
            Layer layer = step._layers[Layer];
            int channels = layer.BatchChannels, first = channels * half / Lanes, count = channels * (half + 1) / Lanes - first;
            if (count == 0) return;
            Network network = step._network;
            LayerLane lane = step._buffers.Lane(step._layers, Layer, 0, Rows, thread, Key);
            Span<float> statistics = step._buffers.Statistics[Layer].AsSpan();
            if (!Backward)
            {
                layer.ForwardBatch(network.Parameters, network.State.Slice(layer.StateOffset, layer.StateSize), lane, statistics, UpdateState, first, count);
                return;
            }
            LaneGradients mine = step._laneGradients[0], other = step._laneGradients[1];
            layer.BackwardBatch(network.Parameters, lane, statistics, first, count, mine.Weights(Layer), mine.Biases(Layer));
            int width = layer.WeightCount / layer.Units;
            other.Weights(Layer).Slice(first * width, count * width).Clear();
            other.Biases(Layer).Slice(first, count).Clear();
        }
    }

    /// <summary>
    /// Chunk = half j of every layer's units [U·j/2, U·(j+1)/2): their weight gradients (by blocks over the whole batch,
    /// or the sum of the lanes' shares) and biases, each slice updated by the optimizer at once.
    /// </summary>
    private sealed class UpdateJob(TrainingStep step) : ParallelJob(Lanes)
    {
        public int Rows;
        public OptimizerState? State;
        public OptimizerStep Step;
        public readonly bool[] Healthy = new bool[Lanes];
        /// <summary>[thread][BlockSize]: weight-gradient block scratch.</summary>
        private readonly AlignedFloats?[] _block = new AlignedFloats?[2];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void RunChunk(int half, int thread)
        {
            IReadOnlyList<Layer> layers = step._layers;
            Span<float> parameters = step._network.Parameters;
            OptimizerState state = State!;
            LaneGradients first = step._laneGradients[0], second = step._laneGradients[1];
            bool secondLane = LaneRows(Rows, 1).Rows > 0;
            AlignedFloats block = _block[thread] ??= new AlignedFloats(step.BlockSize);
            bool healthy = true;
            for (int l = 0; l < layers.Count; l++)
            {
                Layer layer = layers[l];
                if (layer.Units == 0) continue;
                int width = layer.WeightCount / layer.Units;
                int from = layer.Units * half / Lanes, end = layer.Units * (half + 1) / Lanes;
                if (!layer.WeightGradientByUnits(step.BatchSize))
                {
                    int start = from * width, length = (end - from) * width;
                    healthy &= Optimizers.Update(state, Step, parameters, first.Weights(l).Slice(start, length),
                        secondLane ? second.Weights(l).Slice(start, length) : ReadOnlySpan<float>.Empty, layer.ParameterOffset + start, decay: true);
                }
                else
                {
                    ReadOnlySpan<float> input = l == 0 ? step._buffers.Input.AsSpan() : step._buffers.Outputs[l - 1].AsSpan();
                    ReadOnlySpan<float> outputGradient = step._buffers.Gradients[l].AsSpan();
                    int blockUnits = Math.Clamp(BlockFloats / width, 1, BlockUnits);
                    for (int unit = from; unit < end; unit += blockUnits)
                    {
                        int units = Math.Min(blockUnits, end - unit);
                        Span<float> gradient = block.AsSpan(0, units * width);
                        layer.WeightGradientUnits(outputGradient, input, Rows, unit, units, gradient);
                        healthy &= Optimizers.Update(state, Step, parameters, gradient, ReadOnlySpan<float>.Empty,
                            layer.ParameterOffset + unit * width, decay: true);
                    }
                }
                // A layer without biases still sums their gradient (its kernels do) but has nothing to update.
                if (layer.HasBias)
                    healthy &= Optimizers.Update(state, Step, parameters, first.Biases(l).Slice(from, end - from),
                        secondLane ? second.Biases(l).Slice(from, end - from) : ReadOnlySpan<float>.Empty, layer.BiasOffset + from, decay: false);
            }
            Healthy[half] = healthy;
        }
    }
}
