namespace MnistTools.Tests;

/// <summary>The repository's source files, for tests of the tree's structure.</summary>
internal static class SourceTree
{
    /// <summary>The folder that holds MnistTools.sln, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Every C# file below <paramref name="folder"/> (relative to the root), build output excluded.</summary>
    public static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>The code lines of every C# file below <paramref name="folder"/>: comments and string-free doc lines left out.</summary>
    public static IEnumerable<(string Path, int Line, string Text)> CodeLines(string folder)
    {
        foreach (string path in Files(folder))
        {
            string[] lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                string text = lines[i];
                int comment = text.IndexOf("//", StringComparison.Ordinal);
                if (comment >= 0) text = text[..comment];
                if (text.Trim().Length > 0) yield return (path, i + 1, text);
            }
        }
    }

    /// <summary>The built DLL of the project <paramref name="name"/> (src/name), in this test run's configuration.</summary>
    public static string BuiltAssembly(string name)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Debug" : "Release";
        string path = Path.Combine(Root, "src", name, "bin", configuration, "net8.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built (build the solution first).", path);
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "MnistTools.sln"))) return folder.FullName;
        throw new InvalidOperationException($"No MnistTools.sln above {AppContext.BaseDirectory}.");
    }
}
