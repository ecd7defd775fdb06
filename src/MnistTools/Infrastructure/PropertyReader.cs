using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace MnistTools.Infrastructure;

/// <summary>
/// Reads named properties off any pipeline object (a TrainingEpoch, a TestResult, or the same record after
/// Export-Csv / Import-Csv or ConvertFrom-Json), so the picture cmdlets accept saved results as well as live ones.
/// </summary>
internal static class PropertyReader
{
    public static object? Get(PSObject input, string name)
    {
        object? value = input.Properties[name]?.Value;
        return value is PSObject wrapped ? wrapped.BaseObject : value;
    }

    /// <summary>The property as a double; null when absent or empty. False when present but not a number.</summary>
    public static bool TryGetDouble(PSObject input, string name, out double? value)
    {
        value = null;
        object? raw = Get(input, name);
        if (raw is null || raw is string { Length: 0 }) return true;
        if (raw is string text)
        {
            if (double.TryParse(text.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
            {
                value = text.EndsWith('%') ? parsed / 100 : parsed;
                return true;
            }
            return false;
        }
        if (LanguagePrimitives.TryConvertTo(raw, CultureInfo.InvariantCulture, out double converted))
        {
            value = converted;
            return true;
        }
        return false;
    }

    /// <summary>
    /// A square matrix of counts from long[,], int[,], or a sequence of rows (arrays, lists, JSON arrays).
    /// Null when the value has another shape.
    /// </summary>
    public static long[,]? ToMatrix(object? value)
    {
        if (value is PSObject wrapped) value = wrapped.BaseObject;
        switch (value)
        {
            case long[,] longs:
                return (long[,])longs.Clone();
            case ConfusionMatrix confusion: // a TestResult's ConfusionMatrix
                return ToMatrix(confusion.ToArray());
            case Array array when array.Rank == 2:
            {
                var result = new long[array.GetLength(0), array.GetLength(1)];
                for (int i = 0; i < result.GetLength(0); i++)
                    for (int j = 0; j < result.GetLength(1); j++)
                        if (!TryLong(array.GetValue(i, j), out result[i, j])) return null;
                return result;
            }
            case IEnumerable rows and not string:
            {
                var list = new List<long[]>();
                foreach (object? row in rows)
                {
                    object? r = row is PSObject p ? p.BaseObject : row;
                    if (r is not IEnumerable cells || r is string) return null;
                    var values = new List<long>();
                    foreach (object? cell in cells)
                    {
                        if (!TryLong(cell, out long v)) return null;
                        values.Add(v);
                    }
                    list.Add(values.ToArray());
                }
                if (list.Count == 0 || list.Any(r => r.Length != list[0].Length)) return null;
                var result = new long[list.Count, list[0].Length];
                for (int i = 0; i < list.Count; i++)
                    for (int j = 0; j < list[i].Length; j++) result[i, j] = list[i][j];
                return result;
            }
            default:
                return null;
        }
    }

    private static bool TryLong(object? value, out long result)
    {
        if (value is PSObject p) value = p.BaseObject;
        result = 0;
        if (value is null) return false;
        if (value is double or float)
        {
            double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (d != Math.Floor(d) || !double.IsFinite(d)) return false;
        }
        return LanguagePrimitives.TryConvertTo(value, CultureInfo.InvariantCulture, out result);
    }
}
