using Xunit.Abstractions;

namespace MnistTools.Tests.Fuzz;

/// <summary>
/// What the reader fuzzers share: a temporary folder removed afterwards, and a log line that goes to the test output
/// and, when MNISTTOOLS_FUZZ_REPORT names a file, to that report (`./build.ps1 fuzz`).
/// </summary>
public abstract class FuzzTestBase : IDisposable
{
    protected FuzzTestBase(ITestOutputHelper output, string folderPrefix)
    {
        Output = output;
        Folder = Directory.CreateTempSubdirectory(folderPrefix).FullName;
    }

    protected string Folder { get; }

    protected ITestOutputHelper Output { get; }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }

    protected void Log(string line)
    {
        Output.WriteLine(line);
        string? report = Environment.GetEnvironmentVariable("MNISTTOOLS_FUZZ_REPORT");
        if (!string.IsNullOrEmpty(report)) File.AppendAllText(report, line + Environment.NewLine);
    }
}
