using System.Reflection;
using System.Text.RegularExpressions;
using MnistTools.Errors;

namespace MnistTools.Tests.Errors;

/// <summary>
/// The error-id catalogue (<see cref="ErrorIds"/>): one constant per id, named as its value; every id the sources raise
/// comes from it (no id typed inline, no second constant for an id); every id in it is raised somewhere; and the help
/// names no id that the catalogue lacks.
/// </summary>
public class ErrorIdTests
{
    private static readonly Regex IdShape = new(@"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$");

    private static IReadOnlyList<FieldInfo> Constants { get; } =
        typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(field => field.IsLiteral).ToArray();

    [Fact]
    public void EachIdIsOneConstantNamedAsItsValue()
    {
        Assert.NotEmpty(Constants);
        foreach (FieldInfo field in Constants)
        {
            string value = (string)field.GetRawConstantValue()!;
            Assert.Equal(field.Name, value);
            Assert.Matches(IdShape, value);
        }
        Assert.Equal(Constants.Count, Constants.Select(field => (string)field.GetRawConstantValue()!).Distinct().Count());
    }

    [Fact]
    public void NoSourceTypesAnIdOrDefinesItAgain()
    {
        var inline = new Regex(@"""[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+""(?=, FailureKind\.)|\bFail\(""[A-Z]\w+""|const string \w*(?:ErrorId|Id) =");
        string catalogue = Path.Combine("src", "MnistTools.Core", "Errors", "ErrorIds.cs");
        var offences = SourceTree.CodeLines("src")
            .Where(code => !code.Path.EndsWith(catalogue, StringComparison.Ordinal) && inline.IsMatch(code.Text))
            .Select(code => $"{Path.GetRelativePath(SourceTree.Root, code.Path)}:{code.Line}: {code.Text.Trim()}").ToArray();
        Assert.True(offences.Length == 0, "Ids outside the catalogue:\n" + string.Join('\n', offences));
    }

    [Fact]
    public void EveryIdInTheCatalogueIsRaisedSomewhere()
    {
        string catalogue = Path.Combine("src", "MnistTools.Core", "Errors", "ErrorIds.cs");
        string code = string.Join('\n', SourceTree.CodeLines("src").Where(line => !line.Path.EndsWith(catalogue, StringComparison.Ordinal)).Select(line => line.Text));
        string[] unused = Constants.Select(field => field.Name).Where(id => !Regex.IsMatch(code, $@"\bErrorIds\.{id}\b")).ToArray();
        Assert.True(unused.Length == 0, "Ids that nothing raises: " + string.Join(", ", unused));
    }

    [Fact]
    public void TheHelpNamesOnlyIdsOfTheCatalogue()
    {
        var unknown = new List<string>();
        string[] pages = Directory.GetFiles(Path.Combine(SourceTree.Root, "docs", "help"), "*.md")
            .Concat(Directory.GetFiles(Path.Combine(SourceTree.Root, "module", "en-US"), "*.txt")).ToArray();
        Assert.NotEmpty(pages);
        foreach (string page in pages)
            unknown.AddRange(UnknownIds(File.ReadAllText(page)).Select(word => $"{Path.GetFileName(page)}: {word}"));
        Assert.True(unknown.Count == 0, "The help names ids the module does not raise:\n" + string.Join('\n', unknown.Distinct()));
    }

    [Fact]
    public void TheHelpCheckNamesAnIdTheCatalogueLacks()
    {
        string planted = "Error ids: PathNotFound (ObjectNotFound), WidgetOutOfRange and NetworkTooLarge; MnistImage objects, @{ Name = 'MeanInk' }.";
        Assert.Equal(["WidgetOutOfRange"], UnknownIds(planted));
    }

    /// <summary>
    /// The words of <paramref name="text"/> that end like an id of the catalogue (…OutOfRange, …NotFound, …Invalid) but are
    /// neither an id, nor a type or member name of the module, nor a PowerShell error category, nor a quoted name
    /// (a script's own property). Help that names a word like that names an id the module does not raise.
    /// </summary>
    private static IEnumerable<string> UnknownIds(string text)
    {
        HashSet<string> ids = Constants.Select(field => field.Name).ToHashSet();
        HashSet<string> endings = ids.Select(id => Regex.Matches(id, "[A-Z][a-z0-9]*")[^1].Value).ToHashSet();
        foreach (Match word in Regex.Matches(text, @"(?<![-\w.\['$])[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b(?!')"))
            if (!ids.Contains(word.Value) && !KnownNames.Contains(word.Value) && endings.Contains(Regex.Matches(word.Value, "[A-Z][a-z0-9]*")[^1].Value))
                yield return word.Value;
    }

    /// <summary>Type and member names of the module's assemblies, and the error categories the help gives beside ids.</summary>
    private static HashSet<string> KnownNames { get; } = BuildKnownNames();

    private static HashSet<string> BuildKnownNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal)
        {
            "InvalidArgument", "InvalidData", "InvalidOperation", "InvalidResult", "ObjectNotFound", "ResourceExists", "ResourceUnavailable",
            "ResourceBusy", "ReadError", "WriteError", "NotSpecified", "OperationStopped",
            "NetworkFile", // the member the types file adds to a Network
        };
        foreach (Assembly assembly in new[] { typeof(Network).Assembly, typeof(MnistTools.Csv.CsvSetReader).Assembly, typeof(MnistTools.Imaging.ContactSheet).Assembly })
            foreach (Type type in assembly.GetExportedTypes())
            {
                names.Add(type.Name);
                foreach (MemberInfo member in type.GetMembers()) names.Add(member.Name);
            }
        return names;
    }
}
