using System.Globalization;
using System.Text;

namespace MnistTools;

/// <summary>
/// One layer of a network's layer list, as written for New-Network -Layers (words separated by spaces, case-insensitive):
/// <c>Dense &lt;units&gt; [&lt;activation&gt;]</c>, <c>Conv2d &lt;filters&gt; &lt;kernel&gt; [stride=&lt;s&gt;] [padding=valid|same]
/// [&lt;activation&gt;]</c>, <c>MaxPool2d &lt;size&gt; [stride=&lt;s&gt;]</c>, <c>Dropout &lt;rate&gt;</c>, <c>Flatten</c>.
/// Activations: Sigmoid, ReLU, Tanh, LeakyReLU, None (the default), Softmax (last layer only, see <see cref="CheckSequence"/>).
/// <see cref="ToString"/> writes the canonical spec, which <see cref="Parse"/> reads back to an equal record.
/// </summary>
public sealed partial record LayerSpec
{
    /// <summary>Error id of a spec that does not parse.</summary>
    public const string SpecInvalidErrorId = "LayerSpecInvalid";

    /// <summary>The parameter a bad spec is reported against.</summary>
    public const string ErrorTarget = "Layers";

    /// <summary>Largest unit count, filter count, kernel, window or stride (the dense layer size limit).</summary>
    public const int MaxSize = 1 << 20;

    private LayerSpec(LayerKind kind, int units, int filters, int kernel, int stride, Padding padding, LayerActivation activation, double rate)
    {
        Kind = kind;
        Units = units;
        Filters = filters;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Activation = activation;
        Rate = rate;
    }

    public LayerKind Kind { get; }

    /// <summary>Dense: output units (0 for other kinds).</summary>
    public int Units { get; }

    /// <summary>Conv2d: filters, the output channels (0 for other kinds).</summary>
    public int Filters { get; }

    /// <summary>Conv2d: the kernel's side; MaxPool2d: the window's side (0 for other kinds).</summary>
    public int Kernel { get; }

    /// <summary>Conv2d: the step between windows (default 1); MaxPool2d: likewise (default the window's side); 0 otherwise.</summary>
    public int Stride { get; }

    /// <summary>Conv2d: the border rule (default Valid).</summary>
    public Padding Padding { get; }

    /// <summary>Dense and Conv2d: the activation (default None); None for the other kinds.</summary>
    public LayerActivation Activation { get; }

    /// <summary>Dropout: the fraction of values dropped in training, in [0, 1) (0 for other kinds).</summary>
    public double Rate { get; }

    /// <summary>A dense layer of <paramref name="units"/> outputs.</summary>
    public static LayerSpec Dense(int units, LayerActivation activation = LayerActivation.None) =>
        new(LayerKind.Dense, CheckSize(units, "units", "Dense"), 0, 0, 0, Padding.Valid, CheckActivation(activation, "Dense"), 0);

    /// <summary>A convolution of <paramref name="filters"/> filters of <paramref name="kernel"/> x <paramref name="kernel"/>.</summary>
    public static LayerSpec Conv2d(int filters, int kernel, int stride = 1, Padding padding = Padding.Valid,
        LayerActivation activation = LayerActivation.None)
    {
        if (!Enum.IsDefined(padding)) throw Invalid("Conv2d", padding.ToString(), "is not a padding (valid, same).");
        return new(LayerKind.Conv2d, 0, CheckSize(filters, "filters", "Conv2d"), CheckSize(kernel, "kernel", "Conv2d"),
            CheckSize(stride, "stride", "Conv2d"), padding, CheckActivation(activation, "Conv2d"), 0);
    }

    /// <summary>Max pooling over <paramref name="size"/> x <paramref name="size"/> windows, moved by <paramref name="stride"/>
    /// (default <paramref name="size"/>).</summary>
    public static LayerSpec MaxPool2d(int size, int? stride = null) =>
        new(LayerKind.MaxPool2d, 0, 0, CheckSize(size, "size", "MaxPool2d"), CheckSize(stride ?? size, "stride", "MaxPool2d"),
            Padding.Valid, LayerActivation.None, 0);

    /// <summary>Inverted dropout of a fraction <paramref name="rate"/> in [0, 1) of the values.</summary>
    public static LayerSpec Dropout(double rate) =>
        rate is >= 0 and < 1 ? new(LayerKind.Dropout, 0, 0, 0, 0, Padding.Valid, LayerActivation.None, rate)
        : throw Invalid("Dropout", rate.ToString("R", CultureInfo.InvariantCulture), "is not a rate in [0, 1).");

    /// <summary>The input read as one vector.</summary>
    public static LayerSpec Flatten() => new(LayerKind.Flatten, 0, 0, 0, 0, Padding.Valid, LayerActivation.None, 0);

    /// <summary>The canonical spec: options only where they differ from the defaults, keywords lower case, e.g.
    /// <c>Conv2d 32 3 ReLU</c>, <c>Conv2d 6 5 padding=same ReLU</c>, <c>MaxPool2d 2</c>, <c>Dropout 0.5</c>, <c>Dense 10 Softmax</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Kind.ToString());
        CultureInfo invariant = CultureInfo.InvariantCulture;
        switch (Kind)
        {
            case LayerKind.Dense:
                text.Append(' ').Append(Units.ToString(invariant));
                break;
            case LayerKind.Conv2d:
                text.Append(' ').Append(Filters.ToString(invariant)).Append(' ').Append(Kernel.ToString(invariant));
                if (Stride != 1) text.Append(" stride=").Append(Stride.ToString(invariant));
                if (Padding == Padding.Same) text.Append(" padding=same");
                break;
            case LayerKind.MaxPool2d:
                text.Append(' ').Append(Kernel.ToString(invariant));
                if (Stride != Kernel) text.Append(" stride=").Append(Stride.ToString(invariant));
                break;
            case LayerKind.Dropout:
                text.Append(' ').Append(Rate.ToString("R", invariant));
                break;
        }
        if (Kind is LayerKind.Dense or LayerKind.Conv2d && Activation != LayerActivation.None) text.Append(' ').Append(Activation.ToString());
        return text.ToString();
    }

    /// <summary>Reads one spec (see the type's summary).</summary>
    /// <exception cref="MnistToolsException"><see cref="SpecInvalidErrorId"/>: the message names the spec and the word that is wrong.</exception>
    public static LayerSpec Parse(string spec)
    {
        string text = spec ?? "";
        string[] words = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            throw new MnistToolsException(SpecInvalidErrorId, FailureKind.InvalidArgument,
                $"The layer spec '{MessageText.Quote(text)}' is empty: expected Dense, Conv2d, MaxPool2d, Dropout or Flatten.", ErrorTarget);
        var reader = new SpecReader(text, words);
        LayerSpec result = ParseKind(words[0]) switch
        {
            LayerKind.Dense => ReadDense(reader),
            LayerKind.Conv2d => ReadConv2d(reader),
            LayerKind.MaxPool2d => ReadMaxPool2d(reader),
            LayerKind.Dropout => Dropout(reader.Rate()),
            LayerKind.Flatten => Flatten(),
            _ => throw Invalid(text, words[0], "is not a layer kind (Dense, Conv2d, MaxPool2d, Dropout, Flatten)."),
        };
        reader.End();
        return result;
    }

    /// <summary>What follows the kind word in a spec of <paramref name="kind"/>, e.g. "&lt;units&gt; [&lt;activation&gt;]"; "no arguments" for Flatten.</summary>
    public static string FormOf(LayerKind kind) => kind switch
    {
        LayerKind.Dense => "<units> [<activation>]",
        LayerKind.Conv2d => "<filters> <kernel> [stride=<s>] [padding=valid|same] [<activation>]",
        LayerKind.MaxPool2d => "<size> [stride=<s>]",
        LayerKind.Dropout => "<rate>",
        _ => "no arguments",
    };

    /// <summary>Reads every spec of a list, in order.</summary>
    public static IReadOnlyList<LayerSpec> ParseAll(IEnumerable<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        return specs.Select(Parse).ToArray();
    }

    private static LayerSpec ReadDense(SpecReader reader)
    {
        int units = reader.Size("units");
        LayerActivation activation = LayerActivation.None;
        while (reader.Next() is { } word)
        {
            if (!TryParseActivation(word, out LayerActivation value))
                throw reader.Wrong(word, "is not an activation (Sigmoid, ReLU, Tanh, LeakyReLU, None, Softmax).");
            if (reader.Seen("activation")) throw reader.Wrong(word, "is a second activation.");
            activation = value;
        }
        return Dense(units, activation);
    }

    private static LayerSpec ReadConv2d(SpecReader reader)
    {
        int filters = reader.Size("filters"), kernel = reader.Size("kernel"), stride = 1;
        Padding padding = Padding.Valid;
        LayerActivation activation = LayerActivation.None;
        while (reader.Next() is { } word)
        {
            if (reader.Option(word, "stride") is { } strideText)
                stride = reader.SizeValue(word, strideText, "stride");
            else if (reader.Option(word, "padding") is { } paddingText)
                padding = paddingText.ToLowerInvariant() switch
                {
                    "valid" => Padding.Valid,
                    "same" => Padding.Same,
                    _ => throw reader.Wrong(word, "is not a padding (padding=valid or padding=same)."),
                };
            else if (TryParseActivation(word, out LayerActivation value))
            {
                if (reader.Seen("activation")) throw reader.Wrong(word, "is a second activation.");
                activation = value;
            }
            else throw reader.Wrong(word, "is not an option of Conv2d (stride=<s>, padding=valid|same, or an activation: Sigmoid, ReLU, Tanh, LeakyReLU, None, Softmax).");
        }
        return Conv2d(filters, kernel, stride, padding, activation);
    }

    private static LayerSpec ReadMaxPool2d(SpecReader reader)
    {
        int size = reader.Size("size");
        int? stride = null;
        while (reader.Next() is { } word)
        {
            if (reader.Option(word, "stride") is not { } strideText) throw reader.Wrong(word, "is not an option of MaxPool2d (stride=<s>).");
            stride = reader.SizeValue(word, strideText, "stride");
        }
        return MaxPool2d(size, stride);
    }

    private static LayerKind? ParseKind(string word)
    {
        foreach (LayerKind kind in Enum.GetValues<LayerKind>())
            if (string.Equals(word, kind.ToString(), StringComparison.OrdinalIgnoreCase)) return kind;
        return null;
    }

    private static bool TryParseActivation(string word, out LayerActivation activation)
    {
        foreach (LayerActivation value in Enum.GetValues<LayerActivation>())
            if (string.Equals(word, value.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                activation = value;
                return true;
            }
        activation = LayerActivation.None;
        return false;
    }

    private static int CheckSize(int value, string what, string kind) =>
        value is >= 1 and <= MaxSize ? value : throw Invalid(kind, value.ToString(CultureInfo.InvariantCulture), $"is not a valid <{what}> (a whole number in 1..{MaxSize}).");

    private static LayerActivation CheckActivation(LayerActivation activation, string kind) =>
        Enum.IsDefined(activation) ? activation : throw Invalid(kind, activation.ToString(), "is not an activation.");

    private static MnistToolsException Invalid(string spec, string word, string reason) =>
        new(SpecInvalidErrorId, FailureKind.InvalidArgument, $"The layer spec '{MessageText.Quote(spec)}' is not valid: '{MessageText.Quote(word)}' {reason}", ErrorTarget);

    /// <summary>The words of one spec after its kind, read left to right.</summary>
    private sealed class SpecReader(string spec, string[] words)
    {
        private int _next = 1;
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public string? Next() => _next < words.Length ? words[_next++] : null;

        /// <summary>A required whole number in 1..<see cref="MaxSize"/>.</summary>
        public int Size(string what)
        {
            string word = Next() ?? throw Missing(what);
            return SizeValue(word, word, what);
        }

        public int SizeValue(string word, string text, string what)
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value is >= 1 and <= MaxSize) return value;
            // Digits only: a whole number, too large for an int or outside the range (0, 2000000000, 99999999999).
            if (text.Length > 0 && text.All(char.IsAsciiDigit))
                throw Wrong(word, $"is out of range: <{what}> is a whole number in 1..{MaxSize}.");
            throw Wrong(word, $"is not a valid <{what}> (a whole number in 1..{MaxSize}).");
        }

        public double Rate()
        {
            string word = Next() ?? throw Missing("rate");
            return double.TryParse(word, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out double rate)
                && rate is >= 0 and < 1
                ? rate
                : throw Wrong(word, "is not a rate (a number in [0, 1), such as 0.5).");
        }

        /// <summary>The value of <paramref name="word"/> when it is <c>name=value</c> (name case-insensitive), else null;
        /// a second occurrence of the same option is an error.</summary>
        public string? Option(string word, string name)
        {
            if (!word.StartsWith(name + "=", StringComparison.OrdinalIgnoreCase)) return null;
            if (Seen(name)) throw Wrong(word, $"is a second {name}.");
            return word[(name.Length + 1)..];
        }

        /// <summary>Records <paramref name="what"/>; true when it was already there.</summary>
        public bool Seen(string what) => !_seen.Add(what);

        public void End()
        {
            if (Next() is { } extra) throw Wrong(extra, $"is one word too many: {words[0]} takes {Usage(words[0])}.");
        }

        public MnistToolsException Wrong(string word, string reason) => Invalid(spec, word, reason);

        private MnistToolsException Missing(string what) =>
            new(SpecInvalidErrorId, FailureKind.InvalidArgument,
                $"The layer spec '{MessageText.Quote(spec)}' is not valid: '{MessageText.Quote(words[0])}' needs <{what}>; the form is {words[0]} {Usage(words[0])}.", ErrorTarget);

        private static string Usage(string kind) => ParseKind(kind) is { } known ? FormOf(known) : "no arguments";
    }
}
