using System.Collections.ObjectModel;
using System.Globalization;

namespace MnistTools;

/// <summary>
/// A TestResult's per-class rows. A list like any other (pipe it, index it), whose <see cref="ToString"/> is one
/// compact scalar ("class=F1" pairs) so the PerClass column of an exported TestResult is readable, not a type name.
/// </summary>
public sealed class ClassMetricsList : ReadOnlyCollection<ClassMetrics>
{
    public ClassMetricsList(IList<ClassMetrics> rows) : base(rows) { }

    /// <summary>e.g. "0=0.9851 1=0.9903 ...": each class's F1 to 4 decimals.</summary>
    public override string ToString() =>
        string.Join(' ', this.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Class}={m.F1:F4}")));
}
