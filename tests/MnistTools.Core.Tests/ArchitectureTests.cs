using System.Text.RegularExpressions;
using MnistTools.Layers;

namespace MnistTools.Tests;

/// <summary>
/// The source tree's structure: a layer kind is known only inside src/MnistTools.Core/Layers (everything else asks the
/// kind through <see cref="LayerSpec"/>), so adding a kind touches no cmdlet, file format or exporter.
/// </summary>
public class ArchitectureTests
{
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

public class NamespaceDumpTests
{
    [Fact]
    public void Dump()
    {
        var edges = NamespaceGraph.Edges(typeof(Network).Assembly.Location, "MnistTools");
        File.WriteAllLines("/tmp/edges.txt", edges.Select(e => $"{e.From} -> {e.To}   {e.User} uses {e.Used}"));
    }
}
