using System.Globalization;
using MnistTools.Errors;

namespace MnistTools.Layers;

/// <summary>The words of one layer spec after its kind's word, read left to right by the kind (see <see cref="LayerKind"/>).</summary>
internal sealed class LayerSpecReader(string spec, string[] words, LayerKind kind)
{
    private int _next = 1;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>The next word, or null after the last.</summary>
    public string? Next() => _next < words.Length ? words[_next++] : null;

    /// <summary>A required whole number in 1..<see cref="LayerSpec.MaxSize"/>.</summary>
    public int Size(string what)
    {
        string word = Next() ?? throw Missing(what);
        return SizeValue(word, word, what);
    }

    /// <summary><paramref name="text"/> (part of <paramref name="word"/>) as a whole number in 1..<see cref="LayerSpec.MaxSize"/>.</summary>
    public int SizeValue(string word, string text, string what)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value is >= 1 and <= LayerSpec.MaxSize) return value;
        // Digits only: a whole number, too large for an int or outside the range (0, 2000000000, 99999999999).
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
            throw Wrong(word, $"is out of range: <{what}> is a whole number in 1..{LayerSpec.MaxSize}.");
        throw Wrong(word, $"is not a valid <{what}> (a whole number in 1..{LayerSpec.MaxSize}).");
    }

    /// <summary>A required rate in [0, 1).</summary>
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

    /// <summary>The value of <c>bias=true|false</c> in <paramref name="word"/>, or null when the word is not that option.</summary>
    public bool? BiasOption(string word) =>
        Option(word, "bias") is not { } text ? null
        : text.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Wrong(word, "is not a bias option (bias=true or bias=false)."),
        };

    /// <summary>The value of <c>name=value</c> in <paramref name="word"/> as a finite number, or null when the word is not that option.</summary>
    public double? NumberOption(string word, string name)
    {
        if (Option(word, name) is not { } text) return null;
        return double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value)
            ? value
            : throw Wrong(word, $"is not a number for {name} (such as {name}=0.1).");
    }

    /// <summary>The value of <c>slope=&lt;a&gt;</c> in <paramref name="word"/> as a finite float (LeakyReLU's slope), or null
    /// when the word is not that option. Whether the activation is LeakyReLU is the kind's check, once every word is read.</summary>
    public float? SlopeOption(string word)
    {
        if (Option(word, "slope") is not { } text) return null;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw Wrong(word, "is not a number for slope (such as slope=0.1).");
        return float.IsFinite(value) ? value + 0f : throw Wrong(word, LayerSpec.SlopeRange);
    }

    /// <summary>Refuses a <c>slope=</c> option (<paramref name="word"/>, when one was read) on a layer whose activation is
    /// not LeakyReLU.</summary>
    public void CheckSlope(string? word, Activation activation)
    {
        if (word is not null && activation != Activation.LeakyReLU) throw Wrong(word, LayerSpec.SlopeWithoutLeakyReLU(activation));
    }

    /// <summary>Whether <paramref name="word"/> names an activation; a second activation is an error.</summary>
    public bool TryActivation(string word, out Activation activation)
    {
        foreach (Activation value in Enum.GetValues<Activation>())
            if (string.Equals(word, value.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                if (Seen("activation")) throw Wrong(word, "is a second activation.");
                activation = value;
                return true;
            }
        activation = Activation.None;
        return false;
    }

    /// <summary>Records <paramref name="what"/>; true when it was already there.</summary>
    public bool Seen(string what) => !_seen.Add(what);

    /// <summary>Refuses words left over after the kind has read its own.</summary>
    public void End()
    {
        if (Next() is { } extra) throw Wrong(extra, $"is one word too many: {words[0]} takes {UsageText}.");
    }

    /// <summary>The error for <paramref name="word"/> of this spec.</summary>
    public MnistToolsException Wrong(string word, string reason) => LayerSpec.Invalid(spec, word, reason);

    private string UsageText => kind.Usage.Length == 0 ? "no arguments" : kind.Usage;

    private MnistToolsException Missing(string what) =>
        new(ErrorIds.LayerSpecInvalid, FailureKind.InvalidArgument,
            $"The layer spec '{MessageText.Quote(spec)}' is not valid: '{MessageText.Quote(words[0])}' needs <{what}>; the form is {words[0]} {UsageText}.", LayerSpec.ErrorTarget);
}
