using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MnistTools.Numerics;

namespace MnistTools.Layers;

/// <summary>
/// A 2-D convolution on a lane of B images, NCHW, through im2col and the packed GEMM. Sizes in <see cref="Conv2dShape"/>:
/// C channels, H x W input, F filters, K x K kernel, OH x OW output, P = OH·OW pixels, g images per group.
///   forward   Y[i, f, :] = W[f] · columns(X[i]) + b[f]                (W [F x C·K·K], columns [C·K·K x P])
///   backward  dW = Σ_i dY[i] · columns(X[i])ᵀ,  db[f] = Σ_i Σ_p dY[i, f, p],  dX[i] = col2im(Wᵀ · dY[i])
/// The images go through in groups of g = <see cref="Conv2dShape.ImagesPerGroup"/>: one GEMM per group and product
/// (g·P columns), the groups fixed by the shape and B alone. Each output element of the forward pass is one GEMM sum
/// over C·K·K in a fixed order, so Y does not depend on the grouping; dW sums over the group's columns, so it depends on
/// the grouping, which depends only on (shape, B). No allocation: the caller passes <see cref="Conv2dShape.ScratchFloats"/>.
/// Shallow patches with few filters at stride 1 (first layers like LeNet's) go forward through <see cref="Conv2dDirect"/> on
/// AVX-512 instead, and deep patches with filters in blocks of 16 (second layers like LeNet-5's and the Keras net's)
/// through <see cref="Conv2dImplicit"/>; the weight gradient of deep 5x5 patches with filters in blocks of 16 (LeNet-5's
/// second layer) through <see cref="Conv2dImplicitWeights"/>, with this route's sums. Under <see cref="ConvolutionAlgorithm.Winograd"/>, 3x3 stride-1 convolutions of enough
/// channels go forward, and their weight gradient (and dX on AVX-512), through <see cref="Conv2dWinograd"/> (db stays here).
/// </summary>
internal static class Conv2dKernels
{
    /// <param name="input">X [B x C x H x W].</param>
    /// <param name="weights">W [F x C x K x K].</param>
    /// <param name="biases">b [F].</param>
    /// <param name="output">Y [B x F x OH x OW], overwritten.</param>
    /// <param name="scratch">At least <see cref="Conv2dShape.ScratchFloats"/>(B) floats; contents undefined after.</param>
    /// <param name="activation">f to apply: Y = f(W ⊛ X + b), the same bits as <see cref="ActivationFunctions.ActivationForward"/>
    /// over Z (ReLU is applied in registers on the direct and implicit paths, others after the convolution); null for Z.</param>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Conv2dForward(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases,
        in Conv2dShape shape, Span<float> output, Span<float> scratch, int rows, Activation? activation = null, float slope = ActivationFunctions.LeakyReLUSlope)
    {
        CheckSizes(shape, rows, scratch, input.Length, weights.Length, biases.Length, output.Length, "output");
        InstructionSet path = ComputeSettings.InstructionSet;
        bool winograd = Conv2dWinograd.Applies(shape);
        bool direct = !winograd && Conv2dDirect.Applies(shape, path), @implicit = !winograd && !direct && Conv2dImplicit.Applies(shape, path);
        bool relu = activation == Activation.ReLU && (winograd || direct || @implicit);
        if (winograd || direct || @implicit)
            fixed (float* x = input, w = weights, b = biases, y = output, work = scratch)
            {
                if (winograd) Conv2dWinograd.Forward(x, w, b, shape, y, null, work, rows, relu);
                else if (direct) Conv2dDirect.Forward(x, w, b, shape, y, work, rows, relu);
                else Conv2dImplicit.Forward(x, w, b, shape, y, work, rows, relu);
            }
        else ThroughGemm(input, weights, biases, shape, output, scratch, rows, path);
        if (activation is { } f && !relu)
        {
            Span<float> y = output[..(rows * shape.OutputSize)];
            ActivationFunctions.ActivationForward(f, y, y, slope);
        }
    }

    /// <summary>Whether <see cref="Conv2dForwardSaved"/> stores Z and f(Z) in one pass for <paramref name="shape"/>: ReLU on
    /// the direct path, whose stores are whole vectors (Keras's first layer, a lane of 64 images, one thread: 880 µs
    /// against 994 for Z by chunks then ReLU). The implicit path's per-pixel scalar stores made storing twice cost more
    /// than the ReLU pass; otherwise Z is written and then f applied.</summary>
    internal static bool StoresBoth(in Conv2dShape shape, Activation activation) =>
        activation == Activation.ReLU && (Conv2dWinograd.Applies(shape) || Conv2dDirect.Applies(shape, ComputeSettings.InstructionSet));

    /// <summary>Training's forward: Z = W ⊛ X + b into <paramref name="preActivation"/> and Y = f(Z) into
    /// <paramref name="output"/>, the same bits as <see cref="Conv2dForward"/> without f followed by
    /// <see cref="ActivationFunctions.ActivationForward"/> over Z. Where <see cref="StoresBoth"/>, both are stored from the
    /// kernel's registers, so Z is not read back.</summary>
    /// <param name="preActivation">Z [B x F x OH x OW], overwritten.</param>
    /// <param name="output">Y [B x F x OH x OW], overwritten.</param>
    /// <param name="slope">LeakyReLU's slope (the layer's; ignored by the other activations).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Conv2dForwardSaved(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases,
        in Conv2dShape shape, Span<float> preActivation, Span<float> output, Span<float> scratch, int rows, Activation activation,
        float slope)
    {
        CheckSizes(shape, rows, scratch, input.Length, weights.Length, biases.Length, preActivation.Length, "preActivation");
        if (output.Length < (long)rows * shape.OutputSize) throw new ArgumentException("Y is shorter than B·F·OH·OW.", nameof(output));
        if (!StoresBoth(shape, activation))
        {
            Conv2dForward(input, weights, biases, shape, preActivation, scratch, rows);
            long size = (long)rows * shape.OutputSize;
            ActivationFunctions.ActivationForward(activation, preActivation[..(int)size], output[..(int)size], slope);
            return;
        }
        fixed (float* x = input, w = weights, b = biases, z = preActivation, y = output, work = scratch)
        {
            if (Conv2dWinograd.Applies(shape)) Conv2dWinograd.Forward(x, w, b, shape, z, y, work, rows, relu: false);
            else Conv2dDirect.Forward(x, w, b, shape, z, work, rows, relu: false, activated: y);
        }
    }

    /// <summary>Y = W ⊛ X + b through im2col and the packed GEMM, a group of images at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ThroughGemm(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> biases,
        in Conv2dShape shape, Span<float> output, Span<float> scratch, int rows, InstructionSet path)
    {
        int group = shape.ImagesPerGroup(rows), pixels = shape.OutputPixels, patch = shape.PatchSize, filters = shape.Filters;
        int vector = Im2Col.VectorWidth(path);
        Span<float> columns = scratch.Slice(Im2Col.Slack, patch * group * pixels);
        Span<float> products = scratch.Slice(Im2Col.Slack + columns.Length, filters * group * pixels);
        fixed (float* x = input, col = columns)
            for (int first = 0; first < rows; first += group)
            {
                int images = Math.Min(group, rows - first), n = images * pixels;
                Im2Col.Gather(x + (long)first * shape.InputSize, x + input.Length, images, shape, col, vector);
                Span<float> y = output.Slice(first * shape.OutputSize, images * shape.OutputSize);
                if (images == 1)
                {
                    // Y[f, :] = W[f] · columns, written in place.
                    Gemm.Multiply(weights, columns, y, filters, n, patch, transposeA: false, transposeB: false, accumulate: false);
                    for (int f = 0; f < filters; f++)
                    {
                        Span<float> plane = y.Slice(f * pixels, pixels);
                        TensorPrimitives.Add(plane, biases[f], plane);
                    }
                    continue;
                }
                // products [F x g·P] = W · columns, then each image's [F x P] block of it plus b into Y.
                Gemm.Multiply(weights, columns, products, filters, n, patch, transposeA: false, transposeB: false, accumulate: false);
                for (int i = 0; i < images; i++)
                    for (int f = 0; f < filters; f++)
                        TensorPrimitives.Add(products.Slice(f * n + i * pixels, pixels), biases[f], y.Slice((i * filters + f) * pixels, pixels));
            }
    }

    /// <param name="outputGradient">dY [B x F x OH x OW].</param>
    /// <param name="input">X [B x C x H x W], the forward input.</param>
    /// <param name="weights">W [F x C x K x K].</param>
    /// <param name="weightGradient">dW [F x C x K x K], overwritten with the sum over the B images.</param>
    /// <param name="biasGradient">db [F], overwritten with the sum over the B images.</param>
    /// <param name="inputGradient">dX [B x C x H x W], overwritten; empty to skip (the first layer).</param>
    /// <param name="scratch">At least <see cref="Conv2dShape.ScratchFloats"/>(B) floats; contents undefined after.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Conv2dBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        in Conv2dShape shape, Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient, Span<float> scratch, int rows) =>
        Backward(outputGradient, default, null, default, default, input, weights, shape, weightGradient, biasGradient, inputGradient, scratch, rows, 0f);

    /// <summary>
    /// Backward through Y = f(Z) and the convolution: per group of images, dZ = dY ⊙ f'(Z) in place
    /// (<see cref="ActivationFunctions.ActivationBackward"/>) while the group is in cache, then the group's share of db, dW
    /// and dX as in the overload without f. The same bits as the activation's backward over the whole lane followed by that
    /// overload: the activation is element-wise and db adds the images in the same order.
    /// </summary>
    /// <param name="outputGradient">dY [B x F x OH x OW] on entry, dZ on return.</param>
    /// <param name="preActivation">Z [B x F x OH x OW], the forward pass's saved values.</param>
    /// <param name="output">Y = f(Z) [B x F x OH x OW].</param>
    /// <param name="slope">LeakyReLU's slope for negative inputs.</param>
    public static void Conv2dBackward(Span<float> outputGradient, ReadOnlySpan<float> preActivation, ReadOnlySpan<float> output, Activation activation,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weights, in Conv2dShape shape, Span<float> weightGradient, Span<float> biasGradient,
        Span<float> inputGradient, Span<float> scratch, int rows, float slope = ActivationFunctions.LeakyReLUSlope)
    {
        long size = (long)rows * shape.OutputSize;
        if (preActivation.Length < size || output.Length < size) throw new ArgumentException("Z or Y is shorter than B·F·OH·OW.", nameof(preActivation));
        Backward(outputGradient, outputGradient, activation, preActivation, output, input, weights, shape, weightGradient, biasGradient,
            inputGradient, scratch, rows, slope);
    }

    /// <param name="activated">The same memory as <paramref name="outputGradient"/> when <paramref name="activation"/> is set
    /// (dY, turned into dZ group by group), else empty.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Backward(ReadOnlySpan<float> outputGradient, Span<float> activated, Activation? activation, ReadOnlySpan<float> preActivation,
        ReadOnlySpan<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, in Conv2dShape shape, Span<float> weightGradient,
        Span<float> biasGradient, Span<float> inputGradient, Span<float> scratch, int rows, float slope)
    {
        CheckSizes(shape, rows, scratch, input.Length, weights.Length, biasGradient.Length, outputGradient.Length, "outputGradient");
        if (weightGradient.Length < shape.WeightCount) throw new ArgumentException("dW is shorter than F·C·K·K.", nameof(weightGradient));
        if (!inputGradient.IsEmpty && inputGradient.Length < (long)rows * shape.InputSize)
            throw new ArgumentException("dX is shorter than B·C·H·W.", nameof(inputGradient));

        biasGradient[..shape.Filters].Clear();
        if (rows == 0)
        {
            weightGradient[..shape.WeightCount].Clear();
            return;
        }
        int group = shape.ImagesPerGroup(rows), pixels = shape.OutputPixels, patch = shape.PatchSize, filters = shape.Filters;
        InstructionSet path = ComputeSettings.InstructionSet;
        int vector = Im2Col.VectorWidth(path);
        Span<float> columns = scratch.Slice(Im2Col.Slack, patch * group * pixels);
        Span<float> gathered = scratch.Slice(Im2Col.Slack + columns.Length, filters * group * pixels);
        // One image per group and dW on the unpacked dot-product route (shallow first layers): its column rows are read
        // from K shifted copies of each input plane instead of an im2col matrix K times their size.
        // dW through Winograd after the loop, from dZ (the activation's backward leaves it in outputGradient).
        // dW of 5x5 kernels with filters in blocks of 16 likewise after the loop, through Conv2dImplicitWeights.
        bool winogradWeights = Conv2dWinograd.Applies(shape), winogradData = Conv2dWinograd.InputGradientApplies(shape);
        bool implicitWeights = !winogradWeights && Conv2dImplicitWeights.Applies(shape, path);
        bool laterWeights = winogradWeights || implicitWeights;
        bool shifted = !laterWeights && group == 1 && ShiftedRows.Apply(shape, path);
        // dX of narrow layers after the loop too, through Conv2dImplicitData: the im2col route's bits without its columns.
        bool implicitData = !inputGradient.IsEmpty && !winogradData && Conv2dImplicitData.Applies(shape, path);
        float** rowPointers = stackalloc float*[shifted ? patch : 0];
        fixed (float* x = input, col = columns, dx = inputGradient, dyAll = outputGradient, dw = weightGradient, work = scratch, w = weights)
        {
            for (int first = 0; first < rows; first += group)
            {
                int images = Math.Min(group, rows - first), n = images * pixels;
                if (activation is { } function)
                {
                    int start = first * shape.OutputSize, length = images * shape.OutputSize;
                    ActivationFunctions.ActivationBackward(function, preActivation.Slice(start, length), output.Slice(start, length), activated.Slice(start, length), slope);
                }
                AddBiasGradient(outputGradient, biasGradient, shape, first, images);
                if (shifted)
                {
                    // dW (+)= dY · columnsᵀ, the same sums as the GEMM's unpacked route over the im2col matrix.
                    ShiftedRows.Fill(x + (long)first * shape.InputSize, shape, col, rowPointers);
                    GemmDirect.RunRows(dyAll + (long)first * shape.OutputSize, rowPointers, dw, patch, filters, patch, pixels, accumulate: first > 0);
                }
                else if (!laterWeights) Im2Col.Gather(x + (long)first * shape.InputSize, x + input.Length, images, shape, col, vector);
                if (laterWeights && (dx == null || winogradData || implicitData)) continue;

                // dY of the group as one [F x g·P] matrix: image i's [F x P] block at columns i·P.
                ReadOnlySpan<float> dy = outputGradient.Slice(first * shape.OutputSize, images * shape.OutputSize);
                if (images > 1)
                {
                    for (int i = 0; i < images; i++)
                        for (int f = 0; f < filters; f++)
                            dy.Slice((i * filters + f) * pixels, pixels).CopyTo(gathered.Slice(f * n + i * pixels, pixels));
                    dy = gathered[..(filters * n)];
                }

                // dW (+)= dY · columnsᵀ   [F x C·K·K], the groups summed in order.
                if (!shifted && !laterWeights) Gemm.Multiply(dy, columns, weightGradient, filters, patch, n, transposeA: false, transposeB: true, accumulate: first > 0);
                if (dx == null || implicitData) continue;

                // dColumns = Wᵀ · dY   [C·K·K x g·P], over the columns (no longer needed), then col2im into dX.
                Gemm.Multiply(weights, dy, columns, patch, n, filters, transposeA: true, transposeB: false, accumulate: false);
                Im2Col.Scatter(col, images, shape, dx + (long)first * shape.InputSize, vector);
            }
            if (winogradWeights) Conv2dWinograd.WeightGradient(x, dyAll, shape, dw, work, rows);
            else if (implicitWeights) Conv2dImplicitWeights.WeightGradient(x, dyAll, shape, dw, work, rows);
            if (winogradData && dx != null) Conv2dWinograd.InputGradient(dyAll, w, shape, dx, work, rows);
            else if (implicitData) Conv2dImplicitData.InputGradient(dyAll, w, shape, dx, work, rows);
        }
    }

    /// <summary>db[f] += Σ_p dY[i, f, p] for images i in [first, first + images), in order: over the groups, from db = 0,
    /// db[f] = Σ_i Σ_p dY[i, f, p] with each image's plane summed by <see cref="PlaneSum"/> and the images added in order.</summary>
    private static void AddBiasGradient(ReadOnlySpan<float> outputGradient, Span<float> biasGradient, in Conv2dShape shape, int first, int images)
    {
        int planes = shape.OutputSize;
        for (int i = first; i < first + images; i++) AddPlaneSums(outputGradient.Slice(i * planes, planes), shape.OutputPixels, biasGradient[..shape.Filters]);
    }

    /// <summary>sums[f] += <see cref="PlaneSum"/>(planes[f·P .. (f + 1)·P)) for every f &lt; sums.Length, four planes at a
    /// time, then two: independent add chains instead of one, the same bits as the planes one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AddPlaneSums(ReadOnlySpan<float> planes, int pixels, Span<float> sums)
    {
        int count = sums.Length, f = 0;
        if ((long)count * pixels > planes.Length) throw new ArgumentException("The planes are fewer than the sums.", nameof(planes));
        fixed (float* start = planes)
            for (; f <= count - 4; f += 4)
            {
                float* p0 = start + (long)f * pixels, p1 = p0 + pixels, p2 = p1 + pixels, p3 = p2 + pixels;
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                int j = 0;
                for (; j <= pixels - 8; j += 8)
                {
                    a0 += Vector256.Load(p0 + j);
                    a1 += Vector256.Load(p1 + j);
                    a2 += Vector256.Load(p2 + j);
                    a3 += Vector256.Load(p3 + j);
                }
                sums[f] += Finish(a0, p0, j, pixels);
                sums[f + 1] += Finish(a1, p1, j, pixels);
                sums[f + 2] += Finish(a2, p2, j, pixels);
                sums[f + 3] += Finish(a3, p3, j, pixels);
            }
        fixed (float* start = planes)
            for (; f <= count - 2; f += 2)
            {
                // Two planes left (LeNet-5's first layer: 6 = 4 + 2): two chains.
                float* p0 = start + (long)f * pixels, p1 = p0 + pixels;
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0;
                int j = 0;
                for (; j <= pixels - 8; j += 8)
                {
                    a0 += Vector256.Load(p0 + j);
                    a1 += Vector256.Load(p1 + j);
                }
                sums[f] += Finish(a0, p0, j, pixels);
                sums[f + 1] += Finish(a1, p1, j, pixels);
            }
        for (; f < count; f++) sums[f] += PlaneSum(planes.Slice(f * pixels, pixels));
    }

    /// <summary><see cref="PlaneSum"/>'s ending: the eight lane sums pairwise, then values[j ..) in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Finish(Vector256<float> lanes, float* values, int j, int length)
    {
        float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for (; j < length; j++) sum += values[j];
        return sum;
    }

    /// <summary>Σ values in a fixed order whatever the hardware: eight lane sums over whole blocks of 8, combined
    /// pairwise, then the tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float PlaneSum(ReadOnlySpan<float> values)
    {
        Vector256<float> lanes = Vector256<float>.Zero;
        int j = 0;
        for (; j <= values.Length - 8; j += 8) lanes += Vector256.Create(values.Slice(j, 8));
        float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for (; j < values.Length; j++) sum += values[j];
        return sum;
    }

    private static void CheckSizes(in Conv2dShape shape, int rows, Span<float> scratch, int inputLength, int weightLength, int biasLength,
        int outputLength, string outputName)
    {
        shape.Validate();
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), "The row count must not be negative.");
        if (inputLength < (long)rows * shape.InputSize) throw new ArgumentException("X is shorter than B·C·H·W.", "input");
        if (weightLength < shape.WeightCount) throw new ArgumentException("W is shorter than F·C·K·K.", "weights");
        if (biasLength < shape.Filters) throw new ArgumentException("The biases are fewer than the filters.", "biases");
        if (outputLength < (long)rows * shape.OutputSize) throw new ArgumentException("The output is shorter than B·F·OH·OW.", outputName);
        if (scratch.Length < shape.ScratchFloats(rows)) throw new ArgumentException("The scratch is shorter than ScratchFloats(rows).", nameof(scratch));
    }
}
