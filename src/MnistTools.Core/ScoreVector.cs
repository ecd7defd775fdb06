using System.Collections;
using System.Globalization;
using MnistTools.Errors;

namespace MnistTools;

/// <summary>
/// A Classification's output scores, one per class: indexable and enumerable like the float[] it wraps, and a single
/// scalar in Export-Csv (<see cref="ToString"/>: space-separated, round-trip precision, read back by <see cref="Parse"/>).
/// </summary>
public sealed class ScoreVector : IReadOnlyList<float>
{
    private readonly float[] _scores;

    /// <param name="scores">Kept, not copied (the caller hands over a fresh array).</param>
    public ScoreVector(float[] scores) => _scores = scores ?? throw new ArgumentNullException(nameof(scores));

    public float this[int index] => _scores[index];

    public int Count => _scores.Length;

    /// <summary>Same as <see cref="Count"/>, as on an array.</summary>
    public int Length => _scores.Length;

    /// <summary>A copy as a plain array.</summary>
    public float[] ToArray() => (float[])_scores.Clone();

    public ReadOnlySpan<float> AsSpan() => _scores;

    public IEnumerator<float> GetEnumerator() => ((IEnumerable<float>)_scores).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _scores.GetEnumerator();

    /// <summary>e.g. "0.01 0.97 0.02" with round-trip precision (invariant culture).</summary>
    public override string ToString() => string.Join(' ', _scores.Select(s => s.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>Reads <see cref="ToString"/>'s text back (bit-exact).</summary>
    public static ScoreVector Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var scores = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out scores[i]))
                throw new MnistToolsException(ErrorIds.ScoreText, FailureKind.InvalidData, $"'{parts[i]}' is not a score.", text);
        return new ScoreVector(scores);
    }
}
