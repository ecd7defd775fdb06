using System.Collections;
using System.Management.Automation.Language;
using System.Management.Automation;
using MnistTools.Layers;

namespace MnistTools.Infrastructure;

/// <summary>
/// Completes New-Network -Layers with the layer kinds (the core's registry, <see cref="LayerKinds"/>, so a new kind is
/// offered as soon as it exists), each with its form and summary as the tooltip. A spec has spaces, so the completion opens a quote (or keeps
/// the one typed) and leaves it open after a kind that takes arguments: <c>-Layers '</c> Tab gives <c>'Conv2d </c>, ready
/// for "32 3 ReLU'". Matching is by prefix, case-insensitive; after the kind word nothing is offered.
/// </summary>
public sealed class LayerSpecCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = wordToComplete ?? "";
        char quote = word.Length > 0 && word[0] is '\'' or '"' ? word[0] : '\'';
        // PowerShell passes an unterminated quoted word closed ('max becomes 'max').
        string typed = word.Trim('\'', '"');
        if (typed.Contains(' ')) yield break;
        foreach (LayerKind kind in LayerKinds.All)
        {
            string text = kind.Name;
            if (!text.StartsWith(typed, StringComparison.OrdinalIgnoreCase)) continue;
            bool takesArguments = kind.Usage.Length > 0;
            string completion = quote + text + (takesArguments ? " " : quote.ToString());
            yield return new CompletionResult(completion, text, CompletionResultType.ParameterValue,
                (takesArguments ? $"{text} {kind.Usage}" : text) + $": {kind.Summary}");
        }
    }
}
