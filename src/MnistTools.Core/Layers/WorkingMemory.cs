using System.Globalization;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>
/// The working memory of a training step or an inference chunk, estimated from the layer shapes and the rows before any
/// buffer is allocated, and its bound. Training at batch B holds, per layer, B rows of its output, of what it saves for
/// backward and of the gradient of its output, plus the input rows, the scores, each lane's scratch and the two lanes'
/// parameter-gradient shares (<see cref="BatchBuffers"/>, <see cref="LaneGradients"/>); inference holds the outputs of a
/// chunk of rows. A call that needs more than <see cref="LimitBytes"/> is refused (WorkingMemoryTooLarge) instead of
/// ending in an OutOfMemoryException halfway.
/// </summary>
internal static class WorkingMemory
{
    /// <summary>The largest working memory of one call: 4 GiB (lower when the process has less memory, see <see cref="LimitBytes"/>).</summary>
    public const long MaxBytes = 4L << 30;

    /// <summary>
    /// The bound in force: <see cref="MaxBytes"/>, or half of the memory the runtime may use (physical memory, a container's
    /// limit or a GC heap limit) when that is less.
    /// </summary>
    public static long LimitBytes
    {
        get
        {
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return available > 0 ? Math.Min(MaxBytes, available / 2) : MaxBytes;
        }
    }

    /// <summary>Bytes the buffers of a training step at <paramref name="batchSize"/> cut into <paramref name="lanes"/> lanes take.</summary>
    public static long TrainingBytes(LayerStack stack, int batchSize, int lanes) =>
        Saturate(BatchBuffers.Floats(stack, batchSize, training: true, lanes: lanes) + lanes * LaneGradients.Floats(stack.Layers, batchSize));

    /// <summary>Bytes the buffers of one inference chunk of <paramref name="rows"/> images take.</summary>
    public static long InferenceBytes(LayerStack stack, int rows) => Saturate(BatchBuffers.Floats(stack, rows, training: false, lanes: 1));

    /// <summary>Throws WorkingMemoryTooLarge (InvalidArgument, target "BatchSize") when training at <paramref name="batchSize"/> needs more than the bound.</summary>
    public static void CheckTraining(LayerStack stack, int batchSize, int lanes)
    {
        long bytes = TrainingBytes(stack, batchSize, lanes), limit = LimitBytes;
        if (bytes <= limit) return;
        int fits = LargestFitting(rows => TrainingBytes(stack, rows, lanes), batchSize, limit);
        throw new MnistToolsException(ErrorIds.WorkingMemoryTooLarge, FailureKind.InvalidArgument,
            $"Training {Describe(stack)} at batch size {batchSize} needs about {Format(bytes)} of working memory (each layer's outputs, " +
            $"saved values and gradients for every image of the batch); the limit is {Format(limit)}{LimitNote(limit)}. " +
            (fits > 0 ? $"Use -BatchSize {fits} or less, or a network with fewer or smaller layers." : "Even one image is too many: use a network with fewer or smaller layers."),
            "BatchSize");
    }

    /// <summary>Throws WorkingMemoryTooLarge (InvalidArgument, target "Network") when <paramref name="copies"/> inference chunks of <paramref name="rows"/> need more than the bound.</summary>
    public static void CheckInference(LayerStack stack, int rows, int copies = 1)
    {
        long bytes = Saturate((double)InferenceBytes(stack, rows) * copies), limit = LimitBytes;
        if (bytes <= limit) return;
        throw new MnistToolsException(ErrorIds.WorkingMemoryTooLarge, FailureKind.InvalidArgument,
            $"Running {Describe(stack)} needs about {Format(bytes)} of working memory for {rows} image(s) at a time (each layer's outputs); " +
            $"the limit is {Format(limit)}{LimitNote(limit)}. Use a network with fewer or smaller layers.",
            "Network");
    }

    /// <summary>The largest rows in 1..<paramref name="max"/> whose estimate fits <paramref name="limit"/>; 0 when none does.</summary>
    private static int LargestFitting(Func<int, long> bytes, int max, long limit)
    {
        int low = 0, high = max; // bytes(low) fits (or low = 0), bytes(high) may not
        while (low < high)
        {
            int mid = low + (high - low + 1) / 2;
            if (bytes(mid) <= limit) low = mid;
            else high = mid - 1;
        }
        return low;
    }

    private static string Describe(LayerStack stack) => $"this network ({stack.Layers.Count:N0} layers)";

    private static string LimitNote(long limit) => limit < MaxBytes ? " (half of the memory available to this process)" : "";

    /// <summary>Bytes as GiB or MiB with one decimal (invariant culture).</summary>
    internal static string Format(long bytes) =>
        bytes >= 1L << 30
            ? (bytes / (double)(1L << 30)).ToString("F1", CultureInfo.InvariantCulture) + " GiB"
            : (bytes / (double)(1L << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB";

    private static long Saturate(long floats) => floats >= long.MaxValue / sizeof(float) ? long.MaxValue : floats * sizeof(float);

    private static long Saturate(double bytes) => bytes >= long.MaxValue ? long.MaxValue : (long)bytes;
}
