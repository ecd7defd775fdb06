using System.Globalization;
using MnistTools.Errors;
using MnistTools.Layers;

namespace MnistTools.Onnx;

/// <summary>
/// What each ONNX operator the importer reads becomes in a layer list: one small function per operator, which checks the
/// node's attributes and tensors, adds or extends a layer of <see cref="OnnxChain"/> (as spec text, read by
/// <see cref="LayerSpec.Parse"/>, so no kind's type is named outside Layers/) and moves the chain to the node's output.
/// </summary>
internal static class OnnxOperators
{
    /// <summary>The operators on the chain and their mappings.</summary>
    public static IReadOnlyDictionary<string, Action<OnnxChain, OnnxNode>> All { get; } = new Dictionary<string, Action<OnnxChain, OnnxNode>>(StringComparer.Ordinal)
    {
        ["Conv"] = Conv,
        ["MaxPool"] = (chain, node) => Pool(chain, node, "MaxPool2d"),
        ["AveragePool"] = (chain, node) => Pool(chain, node, "AvgPool2d"),
        ["GlobalAveragePool"] = GlobalAveragePool,
        ["BatchNormalization"] = BatchNormalization,
        ["Gemm"] = Gemm,
        ["MatMul"] = MatMul,
        ["Relu"] = (chain, node) => Activate(chain, node, Activation.ReLU),
        ["LeakyRelu"] = LeakyRelu,
        ["Sigmoid"] = (chain, node) => Activate(chain, node, Activation.Sigmoid),
        ["Tanh"] = (chain, node) => Activate(chain, node, Activation.Tanh),
        ["Softmax"] = Softmax,
        ["LogSoftmax"] = Softmax,
        ["Flatten"] = Flatten,
        ["Reshape"] = Reshape,
        ["Dropout"] = (chain, node) => chain.PassThrough(node),
        ["Identity"] = (chain, node) => chain.PassThrough(node),
        ["Pad"] = Pad,
    };

    /// <summary>The operators listed for messages.</summary>
    public static string Names => string.Join(", ", All.Keys);

    private static void Conv(OnnxChain chain, OnnxNode node)
    {
        int[] input = Image(chain, node);
        OnnxTensor w = chain.Weights(node, 1, "weight");
        if (w.Dims is not [var f, var c, var kh, var kw] || c != input[0] || kh != kw || f < 1 || kh < 1 || f > LayerSpec.MaxSize || kh > LayerSpec.MaxSize)
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has the weight shape [{string.Join(",", w.Dims)}] on an input of {input[0]} channels; a square kernel [F, {input[0]}, K, K] is needed.");
        if (OnnxChain.Int(node, "group", 1) != 1) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has group {OnnxChain.Int(node, "group", 1)}; only 1 is supported.");
        if (OnnxChain.Ints(node, "dilations") is { } d && d.Any(v => v != 1)) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has dilations [{string.Join(",", d)}]; only 1 is supported.");
        if (OnnxChain.Ints(node, "kernel_shape") is { } ks && !ks.SequenceEqual([kh, kw]))
            throw chain.Fail(ErrorIds.OnnxModelInvalid, node, $"has kernel_shape [{string.Join(",", ks)}] and a {kh}x{kw} weight.");
        int k = (int)kh, stride = Stride(chain, node);
        Padding padding = PaddingOf(chain, node, input, k, stride);
        string? biasName = OnnxChain.OptionalInput(node, 2);
        float[] bias = [];
        if (biasName is not null)
        {
            OnnxTensor b = chain.Weights(node, 2, "bias");
            if (b.Count != f) throw chain.Fail(ErrorIds.OnnxModelInvalid, node, $"has {b.Count} biases for {f} filters.");
            bias = b.Floats!;
        }
        string spec = string.Create(CultureInfo.InvariantCulture, $"Conv2d {f} {k} stride={stride} padding={(padding == Padding.Same ? "same" : "valid")}{(bias.Length == 0 ? " bias=false" : "")}");
        chain.Add(new PendingLayer(spec, TakesActivation: true) { Weights = w.Floats!, Biases = bias }, readsVector: false);
        int h = Extent(input[1], k, stride, padding), wd = Extent(input[2], k, stride, padding);
        chain.MoveTo(chain.Output(node), [(int)f, h, wd], [OnnxChain.BatchDim, f, h, wd]);
    }

    /// <summary>Valid or Same (TensorFlow's split, the smaller half first) when the node's pads are one of them.</summary>
    private static Padding PaddingOf(OnnxChain chain, OnnxNode node, int[] input, int k, int stride)
    {
        long[] same = [.. SamePads(input[1], k, stride), .. SamePads(input[2], k, stride)]; // top, bottom, left, right
        long[] sameOnnx = [same[0], same[2], same[1], same[3]];
        string autoPad = OnnxChain.String(node, "auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "VALID": return Padding.Valid;
            case "SAME_UPPER": return Padding.Same;
            case "SAME_LOWER" when same[0] == same[1] && same[2] == same[3]: return Padding.Same;
            case "NOTSET": break;
            default: throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has auto_pad {autoPad}, which MnistTools' padding (valid, or same with the smaller half first) cannot express.");
        }
        IReadOnlyList<long> pads = OnnxChain.Ints(node, "pads") ?? [0, 0, 0, 0];
        if (pads.All(p => p == 0)) return Padding.Valid;
        if (pads.SequenceEqual(sameOnnx)) return Padding.Same;
        throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node,
            $"has pads [{string.Join(",", pads)}]; MnistTools pads with none or as padding=same, [{string.Join(",", sameOnnx)}] on this {input[1]}x{input[2]} input.");
    }

    private static long[] SamePads(int extent, int k, int stride)
    {
        long output = (extent + stride - 1) / stride;
        long total = Math.Max((output - 1) * stride + k - extent, 0);
        return [total / 2, total - total / 2];
    }

    private static int Extent(int extent, int k, int stride, Padding padding) =>
        padding == Padding.Same ? (extent + stride - 1) / stride : (extent - k) / stride + 1;

    private static int Stride(OnnxChain chain, OnnxNode node)
    {
        IReadOnlyList<long> strides = OnnxChain.Ints(node, "strides") ?? [1, 1];
        if (strides is not [var sh, var sw] || sh != sw || sh < 1 || sh > LayerSpec.MaxSize)
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has strides [{string.Join(",", strides)}]; equal strides in 1..{LayerSpec.MaxSize} are supported.");
        return (int)sh;
    }

    private static void Pool(OnnxChain chain, OnnxNode node, string kind)
    {
        int[] input = Image(chain, node);
        IReadOnlyList<long> kernel = OnnxChain.Ints(node, "kernel_shape") ?? [];
        if (kernel is not [var kh, var kw] || kh != kw || kh < 1 || kh > LayerSpec.MaxSize)
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has kernel_shape [{string.Join(",", kernel)}]; a square window is supported.");
        int k = (int)kh, stride = Stride(chain, node);
        if (OnnxChain.Ints(node, "pads") is { } pads && pads.Any(p => p != 0) || OnnxChain.String(node, "auto_pad", "NOTSET") is not ("NOTSET" or "VALID"))
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, "pads its input; MnistTools pools valid windows only.");
        if (OnnxChain.Ints(node, "dilations") is { } d && d.Any(v => v != 1)) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has dilations [{string.Join(",", d)}]; only 1 is supported.");
        int h = (input[1] - k) / stride + 1, w = (input[2] - k) / stride + 1;
        if (OnnxChain.Int(node, "ceil_mode", 0) != 0 && ((input[1] - k) % stride != 0 || (input[2] - k) % stride != 0))
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, "has ceil_mode 1 with a partial last window; MnistTools pools whole windows only.");
        if (OnnxChain.Int(node, "storage_order", 0) != 0) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, "has storage_order 1.");
        if (h < 1 || w < 1) throw chain.Fail(ErrorIds.OnnxModelInvalid, node, $"has a {k}x{k} window larger than its {input[1]}x{input[2]} input.");
        chain.Add(new PendingLayer(string.Create(CultureInfo.InvariantCulture, $"{kind} {k} stride={stride}"), TakesActivation: false), readsVector: false);
        chain.MoveTo(chain.Output(node), [input[0], h, w], [OnnxChain.BatchDim, input[0], h, w]);
    }

    private static void GlobalAveragePool(OnnxChain chain, OnnxNode node)
    {
        int[] input = Image(chain, node);
        chain.Add(new PendingLayer("GlobalAvgPool", TakesActivation: false), readsVector: false);
        chain.MoveTo(chain.Output(node), [input[0]], [OnnxChain.BatchDim, input[0], 1, 1]);
    }

    private static void BatchNormalization(OnnxChain chain, OnnxNode node)
    {
        int channels = chain.Shape[0];
        if (OnnxChain.Int(node, "training_mode", 0) != 0) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, "is in training mode; an inference graph is needed.");
        if (OnnxChain.Int(node, "spatial", 1) != 1) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, "has spatial 0.");
        float[] Vector(int index, string what)
        {
            OnnxTensor t = chain.Weights(node, index, what);
            return t.Count == channels ? t.Floats! : throw chain.Fail(ErrorIds.OnnxModelInvalid, node, $"has {t.Count} values of {what} for {channels} channels.");
        }
        float[] scale = Vector(1, "scale"), shift = Vector(2, "bias"), mean = Vector(3, "mean"), variance = Vector(4, "variance");
        if (variance.Any(v => v < 0)) throw chain.Fail(ErrorIds.OnnxModelInvalid, node, "has a negative running variance.");
        double epsilon = Shortest(OnnxChain.Float(node, "epsilon", 1e-5f));
        double momentum = Math.Round(1 - (double)OnnxChain.Float(node, "momentum", 0.9f), 6);
        if (!(epsilon > 0)) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has epsilon {OnnxChain.Text(epsilon)}; it must be above 0.");
        if (momentum is not (> 0 and <= 1)) momentum = DefaultBatchNormMomentum; // 1 (frozen statistics) has no PyTorch momentum; fine-tuning uses the default
        string spec = $"BatchNorm momentum={OnnxChain.Text(momentum)} eps={OnnxChain.Text(epsilon)}";
        chain.Add(new PendingLayer(spec, TakesActivation: true) { Weights = scale, Biases = shift, State = [.. mean, .. variance] }, readsVector: false);
        chain.PassThrough(node);
    }

    /// <summary>The double whose shortest text is the float's (1e-5f reads back as 1e-05, not 9.99999974737875E-06).</summary>
    private static double Shortest(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static void Gemm(OnnxChain chain, OnnxNode node)
    {
        int inputs = Vector(chain, node);
        if (OnnxChain.Int(node, "transA", 0) != 0) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, "has transA 1; only 0 is supported.");
        float alpha = OnnxChain.Float(node, "alpha", 1), beta = OnnxChain.Float(node, "beta", 1);
        if (alpha != 1 || beta != 1) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has alpha {alpha} and beta {beta}; only 1 and 1 are supported.");
        bool transB = OnnxChain.Int(node, "transB", 0) != 0;
        OnnxTensor w = chain.Weights(node, 1, "weight");
        if (w.Dims is not [var d0, var d1] || (transB ? d1 : d0) != inputs)
            throw chain.Fail(ErrorIds.OnnxModelInvalid, node, $"has the weight shape [{string.Join(",", w.Dims)}] (transB {(transB ? 1 : 0)}) on an input of {inputs} values.");
        int units = (int)(transB ? d0 : d1);
        float[] weights = transB ? w.Floats! : Transpose(w.Floats!, inputs, units);
        float[] bias = OnnxChain.OptionalInput(node, 2) is null ? [] : Bias(chain, node, chain.Weights(node, 2, "bias"), units);
        AddDense(chain, node, units, weights, bias);
    }

    private static void MatMul(OnnxChain chain, OnnxNode node)
    {
        int inputs = Vector(chain, node);
        OnnxTensor w = chain.Weights(node, 1, "weight");
        if (w.Dims is not [var d0, var units] || d0 != inputs)
            throw chain.Fail(ErrorIds.OnnxModelInvalid, node, $"has the weight shape [{string.Join(",", w.Dims)}] on an input of {inputs} values; [{inputs}, units] is needed.");
        float[] weights = Transpose(w.Floats!, inputs, (int)units);
        string output = chain.Output(node);
        var readers = chain.Graph.Nodes.Where(n => n.Inputs.Contains(output)).ToArray();
        if (readers is [{ OpType: "Add" } add] && add.Inputs.Count == 2)
        {
            int other = add.Inputs[0] == output ? 1 : 0;
            float[] bias = Bias(chain, add, chain.Weights(add, other, "bias"), (int)units);
            chain.Used.Add(add);
            AddDense(chain, node, (int)units, weights, bias, add);
        }
        else AddDense(chain, node, (int)units, weights, []);
    }

    private static float[] Bias(OnnxChain chain, OnnxNode node, OnnxTensor tensor, int units) =>
        tensor.Count == units && tensor.Dims is [_] or [1, _] ? tensor.Floats!
        : throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"adds a bias of shape [{string.Join(",", tensor.Dims)}] to {units} units; [{units}] or [1, {units}] is supported.");

    private static void AddDense(OnnxChain chain, OnnxNode node, int units, float[] weights, float[] bias, OnnxNode? last = null)
    {
        if (units < 1 || units > LayerSpec.MaxSize) throw chain.Fail(ErrorIds.OnnxModelInvalid, node, $"has {units} units.");
        string spec = string.Create(CultureInfo.InvariantCulture, $"Dense {units}{(bias.Length == 0 ? " bias=false" : "")}");
        chain.Add(new PendingLayer(spec, TakesActivation: true) { ReadsVector = true, Weights = weights, Biases = bias }, readsVector: true);
        chain.MoveTo(chain.Output(last ?? node), [units], [OnnxChain.BatchDim, units]);
    }

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) result[(long)c * rows + r] = values[(long)r * columns + c];
        return result;
    }

    /// <summary>LeakyRelu: its alpha (ONNX's default 0.01, as MnistTools') becomes the layer's slope.</summary>
    private static void LeakyRelu(OnnxChain chain, OnnxNode node)
    {
        float alpha = OnnxChain.Float(node, "alpha", 0.01f);
        if (!float.IsFinite(alpha))
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has alpha {OnnxChain.Text(alpha)}; a LeakyReLU slope is a finite number.");
        Activate(chain, node, Activation.LeakyReLU);
        chain.Layers[^1].Slope = alpha;
    }

    private static void Activate(OnnxChain chain, OnnxNode node, Activation activation)
    {
        if (chain.OutputDone) throw chain.Fail(ErrorIds.OnnxGraphNotAChain, node, "follows the output's Softmax.");
        PendingLayer? last = chain.Layers.Count > 0 ? chain.Layers[^1] : null;
        if (last is not { TakesActivation: true } || last.Activation != Activation.None)
            throw chain.Fail(ErrorIds.OnnxGraphNotAChain, node,
                last is null ? "comes before any layer; an activation must follow a Conv, Gemm, MatMul or BatchNormalization."
                : $"follows '{last.Spec}'{(last.Activation != Activation.None ? $", which already applies {last.Activation}" : "")}; an activation must directly follow a Conv, Gemm, MatMul or BatchNormalization.");
        last.Activation = activation;
        last.ActivationNode = node;
        chain.PassThrough(node);
    }

    private static void Softmax(OnnxChain chain, OnnxNode node)
    {
        long axis = OnnxChain.Int(node, "axis", chain.Opset >= 13 ? -1 : 1);
        if (chain.Shape.Length != 1 || axis is not (1 or -1))
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has axis {axis} on a [N, {string.Join(",", chain.Shape)}] value; the output's softmax is over the classes of [N, classes].");
        Activate(chain, node, Activation.Softmax);
        chain.OutputDone = true;
    }

    private static void Flatten(OnnxChain chain, OnnxNode node)
    {
        long axis = OnnxChain.Int(node, "axis", 1);
        if (axis != 1) throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"has axis {axis}; only 1 (keep the batch) is supported.");
        FlattenTo(chain, node);
    }

    private static void FlattenTo(OnnxChain chain, OnnxNode node)
    {
        if (chain.Shape.Length == 3)
            chain.FlattenPending = true;
        int values = chain.Shape.Aggregate(1, (a, b) => a * b);
        chain.MoveTo(chain.Output(node), [values], [OnnxChain.BatchDim, values]);
    }

    private static void Reshape(OnnxChain chain, OnnxNode node)
    {
        long[] target = chain.Int64s(OnnxChain.OptionalInput(node, 1) ?? throw chain.Fail(ErrorIds.OnnxModelInvalid, node, "has no shape input."), node);
        int values = chain.Shape.Aggregate(1, (a, b) => a * b);
        bool batchFirst = target.Length > 0 && (target[0] == OnnxChain.BatchDim || target[0] == -1 || target[0] == 0 || target[0] == 1 && chain.OnnxShape[0] == 1);
        string text = "[" + string.Join(",", target.Select(t => t == OnnxChain.BatchDim ? "N" : t.ToString(CultureInfo.InvariantCulture))) + "]";
        if (batchFirst && target.Length == 2 && (target[1] == values || target[1] == -1 && target[0] != -1))
        {
            FlattenTo(chain, node);
            return;
        }
        if (batchFirst && target.Length == 4 && chain.Layers.Count == 0 && chain.Shape.Length == 1 && target.Skip(1).All(t => t is >= 1 and <= LayerSequence.MaxValuesPerImage)
            && target[1] * target[2] * target[3] == values)
        {
            int[] image = [(int)target[1], (int)target[2], (int)target[3]];
            chain.InputShape = image;
            chain.MoveTo(chain.Output(node), image, [OnnxChain.BatchDim, .. target.Skip(1)]);
            return;
        }
        throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node,
            $"reshapes [N, {string.Join(",", chain.Shape)}] to {text}; only [N, -1] (a flatten) and, at the input, a vector to [N, C, H, W] are supported.");
    }

    /// <summary>A Pad that pads nothing (PyTorch writes one before an AveragePool): the identity.</summary>
    private static void Pad(OnnxChain chain, OnnxNode node)
    {
        IReadOnlyList<long> pads = OnnxChain.OptionalInput(node, 1) is { } name ? chain.Int64s(name, node) : OnnxChain.Ints(node, "pads") ?? [];
        if (pads.Any(p => p != 0))
            throw chain.Fail(ErrorIds.OnnxAttributeUnsupported, node, $"pads by [{string.Join(",", pads)}]; only a Pad of zeros (the identity) is supported.");
        chain.PassThrough(node);
    }

    private static int[] Image(OnnxChain chain, OnnxNode node) =>
        chain.Shape.Length == 3 ? chain.Shape
        : throw chain.Fail(ErrorIds.OnnxGraphNotAChain, node, $"needs an image [N, C, H, W] and gets [N, {string.Join(",", chain.Shape)}].");

    private static int Vector(OnnxChain chain, OnnxNode node) =>
        chain.Shape.Length == 1 ? chain.Shape[0]
        : throw chain.Fail(ErrorIds.OnnxGraphNotAChain, node, $"needs a matrix [N, values] and gets [N, {string.Join(",", chain.Shape)}] (a Flatten is missing).");

    /// <summary>PyTorch's BatchNorm momentum, for a node whose ONNX momentum has no PyTorch equivalent.</summary>
    private const double DefaultBatchNormMomentum = 0.1;
}
