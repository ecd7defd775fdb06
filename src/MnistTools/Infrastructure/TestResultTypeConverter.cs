using System.Collections;
using System.Management.Automation;
using MnistTools.Errors;

namespace MnistTools.Infrastructure;

/// <summary>
/// A TestResult rebuilt from its serialized DataSet, Loss, ConfusionMatrix (its one-line text) and PerClass names: the
/// counts and the loss are exact, so every derived figure (Accuracy, Precision, Recall, F1) has the original's bits.
/// </summary>
public sealed class TestResultTypeConverter : DeserializedTypeConverter<TestResult>
{
    protected override TestResult Rebuild(PSObject bag)
    {
        // The matrix travels as an object whose ToString is its one-line text (the deserialized bag keeps that text).
        if (bag.Properties[nameof(TestResult.ConfusionMatrix)]?.Value?.ToString() is not { Length: > 0 } text
            || Get(bag, nameof(TestResult.Loss)) is not double loss)
            throw new MnistToolsException(ErrorIds.SerializedTestResultIncomplete, FailureKind.InvalidData,
                "The serialized TestResult lacks its ConfusionMatrix or Loss.", bag);
        int[,] counts = ConfusionMatrix.Parse(text).ToArray();
        List<string>? names = null;
        if (Get(bag, nameof(TestResult.PerClass)) is IEnumerable rows)
        {
            names = new List<string>();
            foreach (object? row in rows)
                if (row is PSObject r && PropertyReader.Get(r, nameof(ClassMetrics.Name)) is string name) names.Add(name);
            if (names.Count != counts.GetLength(0)) names = null;
        }
        return new TestResult(Get(bag, nameof(TestResult.DataSet)) as string ?? "", loss, counts, names);
    }
}
