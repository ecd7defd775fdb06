using System.Text.RegularExpressions;
using System.Xml.Linq;
using MnistTools.Layers;

namespace MnistTools.Tests;

/// <summary>
/// The source tree's structure. Folders are namespaces (a project's root folder is its root namespace); the namespaces of
/// each assembly depend on each other in one direction only, lowest first as <see cref="CoreOrder"/> and
/// <see cref="CmdletOrder"/> list them (read from the IL, so a call inside a method body counts); the assemblies depend
/// one way (core &lt;- CSV, pictures &lt;- cmdlets); and a layer kind is known only inside src/MnistTools.Core/Layers
/// (everything else asks the kind through <see cref="LayerSpec"/>), so adding a kind touches no cmdlet, file format or
/// exporter.
/// </summary>
public class ArchitectureTests
{
    /// <summary>The core's namespaces, each using only those before it: errors, vector math and GEMM, random numbers,
    /// safe file writes, the layers and their engine, the public object model (the root: what scripts name as
    /// [MnistTools.Network]), then what works on the model.</summary>
    public static readonly string[] CoreOrder =
    [
        "MnistTools.Errors", "MnistTools.Numerics", "MnistTools.Randomness", "MnistTools.Files", "MnistTools.Layers", "MnistTools",
        "MnistTools.Distortions", "MnistTools.Data", "MnistTools.Persistence", "MnistTools.Onnx", "MnistTools.Training",
    ];

    /// <summary>The cmdlet assembly's namespaces: shared cmdlet plumbing, then the cmdlets.</summary>
    public static readonly string[] CmdletOrder = ["MnistTools.Infrastructure", "MnistTools.Commands"];

    [Fact]
    public void TheCoresNamespacesDependInOneDirection() =>
        AssertOneDirection(NamespaceGraph.Edges(typeof(Network).Assembly.Location), CoreOrder);

    [Fact]
    public void TheCmdletNamespacesDependInOneDirection() =>
        AssertOneDirection(NamespaceGraph.Edges(SourceTree.BuiltAssembly("MnistTools")), CmdletOrder);

    [Fact]
    public void TheOrderCheckFailsOnAPlantedBackArrow()
    {
        // Layers using Training (a layer reaching up into the trainer) is the kind of arrow the order forbids.
        var planted = new[] { ("MnistTools.Layers", "MnistTools.Training", "MnistTools.Layers.DropoutLayer", "MnistTools.Training.Trainer") };
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertOneDirection(planted, CoreOrder));
        Assert.Contains("MnistTools.Layers -> MnistTools.Training", failure.Message);
        var unplaced = new[] { ("MnistTools.Gadgets", "MnistTools.Layers", "MnistTools.Gadgets.Gadget", "MnistTools.Layers.Layer") };
        Assert.Contains("MnistTools.Gadgets", Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertOneDirection(unplaced, CoreOrder)).Message);
    }

    [Fact]
    public void TheAssembliesDependOneWay()
    {
        string[] References(Type type) => type.Assembly.GetReferencedAssemblies().Select(name => name.Name!).Where(n => n.StartsWith("MnistTools", StringComparison.Ordinal)).Order().ToArray();
        Assert.Empty(References(typeof(Network)));
        Assert.DoesNotContain(typeof(Network).Assembly.GetReferencedAssemblies(), name => name.Name == "System.Management.Automation");
        Assert.Equal(["MnistTools.Core"], References(typeof(MnistTools.Csv.CsvSetReader)));
        Assert.Equal(["MnistTools.Core"], References(typeof(MnistTools.Imaging.ContactSheet)));
    }

    [Fact]
    public void EveryFolderIsItsNamespace()
    {
        var wrong = new List<string>();
        foreach (string project in Directory.EnumerateFiles(Path.Combine(SourceTree.Root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            string folder = Path.GetDirectoryName(project)!;
            string rootNamespace = XDocument.Load(project).Descendants("RootNamespace").Single().Value;
            foreach (string file in SourceTree.Files(Path.GetRelativePath(SourceTree.Root, folder)))
            {
                string relative = Path.GetRelativePath(folder, Path.GetDirectoryName(file)!);
                string expected = relative == "." ? rootNamespace : rootNamespace + "." + relative.Replace(Path.DirectorySeparatorChar, '.');
                foreach (Match declared in Regex.Matches(File.ReadAllText(file), @"^namespace ([\w.]+)", RegexOptions.Multiline))
                    if (declared.Groups[1].Value != expected)
                        wrong.Add($"{Path.GetRelativePath(SourceTree.Root, file)}: namespace {declared.Groups[1].Value}, folder says {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    /// <summary>Fails, naming every offending arrow, when a namespace uses one after it in <paramref name="order"/> or one
    /// that the order does not place.</summary>
    private static void AssertOneDirection(IEnumerable<(string From, string To, string User, string Used)> edges, string[] order)
    {
        var offences = new List<string>();
        foreach ((string from, string to, string user, string used) in edges)
        {
            int rankFrom = Array.IndexOf(order, from), rankTo = Array.IndexOf(order, to);
            if (rankFrom < 0 || rankTo < 0)
                offences.Add($"{(rankFrom < 0 ? from : to)} is not in the order ({user} uses {used})");
            else if (rankFrom < rankTo)
                offences.Add($"{from} -> {to}: {user} uses {used}");
        }
        Assert.True(offences.Count == 0, "Dependencies against the order:\n" + string.Join('\n', offences.Distinct()));
    }
    [Fact]
    public void NoCodeOutsideLayersNamesAParticularKind()
    {
        string layers = Path.Combine(SourceTree.Root, "src", "MnistTools.Core", "Layers") + Path.DirectorySeparatorChar;
        var offences = new List<string>();
        foreach ((string path, int line, string text) in SourceTree.CodeLines("src").Where(code => !code.Path.StartsWith(layers, StringComparison.Ordinal)))
            foreach (Match match in KindNames().Matches(text))
                offences.Add($"{Path.GetRelativePath(SourceTree.Root, path)}:{line}: {match.Value}");
        Assert.True(offences.Count == 0, "Kind-specific names outside Layers/:\n" + string.Join('\n', offences));
    }

    [Fact]
    public void TheKindScanFindsAPlantedKindName()
    {
        string planted = "var spec = new Conv2dSpec(8, 3); if (layer is DenseLayer) { }";
        Assert.Equal(["Conv2dSpec", "DenseLayer"], KindNames().Matches(planted).Select(m => m.Value));
    }

    /// <summary>The type names a kind owns: its spec, layer, kernels and shape types, for every kind in the registry.</summary>
    private static Regex KindNames() =>
        new($@"\b({string.Join('|', LayerKinds.All.Select(kind => kind.Name))})(Spec|Layer|Kernels|Shape|Direct|Implicit)\b|\bIm2Col\b");
}

