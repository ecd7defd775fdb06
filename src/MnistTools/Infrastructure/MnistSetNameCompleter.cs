using System.Collections;
using System.Management.Automation.Language;
using System.Management.Automation;
using MnistTools.Data;

namespace MnistTools.Infrastructure;

/// <summary>
/// Completes Save-MnistSet -Name with the known data sets, each with a tooltip saying what it is, how big, and where
/// it lands by default. Matching is by prefix, case-insensitive, and quotes typed so far are kept.
/// </summary>
public sealed class MnistSetNameCompleter : IArgumentCompleter
{
    private static readonly (MnistSetName Name, string Description)[] Known =
        MnistSetCatalog.All.Select(s => (s.Name, s.Description)).ToArray();

    /// <summary>The set a (validated) -Name value names.</summary>
    public static MnistSetName Parse(string name) => Enum.Parse<MnistSetName>(name.Trim(), ignoreCase: true);

    /// <summary>True for a known set name (Mnist, FashionMnist, KMnist, QMnist, EMnistBalanced...) in any letter case (not for numbers, which Enum.TryParse would accept).</summary>
    public static bool IsKnown(string? name) =>
        name is not null && Known.Any(k => string.Equals(k.Name.ToString(), name.Trim(), StringComparison.OrdinalIgnoreCase));

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = (wordToComplete ?? "").Trim('\'', '"');
        foreach ((MnistSetName name, string description) in Known)
        {
            string text = name.ToString();
            if (!text.StartsWith(typed, StringComparison.OrdinalIgnoreCase)) continue;
            string folder = System.IO.Path.Combine(".", "data", MnistSetCatalog.FolderName(name));
            yield return new CompletionResult(text, text, CompletionResultType.ParameterValue, $"{description}. Default folder: {folder}");
        }
    }
}

/// <summary>Validates Save-MnistSet -Name: one of the known set names, any letter case.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateMnistSetNameAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object? value = arguments is PSObject ps ? ps.BaseObject : arguments;
        if (!MnistSetNameCompleter.IsKnown(value as string))
            throw new ValidationMetadataException(
                $"'{value}' is not a known data set. Use one of: {string.Join(", ", Enum.GetNames<MnistSetName>())}.");
    }
}
