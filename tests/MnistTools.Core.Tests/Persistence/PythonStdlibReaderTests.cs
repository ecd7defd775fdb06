using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using MnistTools.Persistence;
using MnistTools.Tests.Data;
using MnistTools.Training;
using Xunit.Abstractions;
using MnistTools.Layers;

namespace MnistTools.Tests.Persistence;

/// <summary>
/// A fact that needs python3 on PATH. Where python3 is absent the test is reported as skipped with the reason
/// (xunit shows it), never silently passed.
/// </summary>
public sealed class Python3FactAttribute : FactAttribute
{
    public Python3FactAttribute()
    {
        if (Python3.Path is null) Skip = "python3 was not found on PATH: the test reading a saved network with the Python standard library is SKIPPED on this machine.";
    }
}

internal static class Python3
{
    public static readonly string? Path = Find();

    private static string? Find()
    {
        string name = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "python3.exe" : "python3";
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>The saved file is readable without MnistTools: tests/python/read_network.py uses only json and struct.</summary>
public class PythonStdlibReaderTests(ITestOutputHelper output)
{
    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "python", "read_network.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("tests/python/read_network.py not found above " + AppContext.BaseDirectory);
    }

    [Python3Fact]
    public void PythonStandardLibraryReadsASavedNetwork()
    {
        using var folder = new TempFolder();
        string path = folder.File("net.safetensors"), inputsPath = folder.File("inputs.f32");
        var network = new Network(new[] { 784, 16, 10 }, Activation.LeakyReLU, Activation.Softmax, Loss.CrossEntropy, Initializer.He, seed: 9);
        new Trainer(network, new TrainingOptions { Optimizer = Optimizer.Adam, BatchSize = 50 }).TrainEpoch(RealDataTests.Load(train: true, first: 1000));
        network.Metadata["DataSet"] = "mnist-train";
        NetworkPersistence.Save(network, path, overwrite: false);

        MnistDataSet images = RealDataTests.Load(train: false, first: 5);
        float[] inputs = NetworkPersistenceTests.Inputs(images);
        File.WriteAllBytes(inputsPath, MemoryMarshal.AsBytes(inputs.AsSpan()).ToArray()); // little-endian on every machine .NET runs these tests on
        float[] expected = NetworkPersistenceTests.Scores(network, images);

        var start = new ProcessStartInfo(Python3.Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-I", "-S", Script(), path, inputsPath }) start.ArgumentList.Add(argument); // -I -S: no site-packages, stdlib only
        using Process python = Process.Start(start)!;
        Task<string> stdout = python.StandardOutput.ReadToEndAsync(), stderr = python.StandardError.ReadToEndAsync();
        Assert.True(python.WaitForExit(120_000), "python3 did not finish within 120 s.");
        Assert.True(python.ExitCode == 0, $"python3 failed (exit {python.ExitCode}): {stderr.Result}");
        output.WriteLine($"python3 ({Python3.Path}) read the file: {stdout.Result.Length} characters of JSON");

        using JsonDocument report = JsonDocument.Parse(stdout.Result);
        JsonElement metadata = report.RootElement.GetProperty("metadata");
        Assert.Equal("784", metadata.GetProperty("input_shape").GetString());
        Assert.Equal("Dense 16 LeakyReLU, Dense 10 Softmax", metadata.GetProperty("layers").GetString());
        Assert.Equal("Adam", metadata.GetProperty("optimizer").GetString());
        Assert.Equal("1", metadata.GetProperty("epochs_trained").GetString());
        Assert.Equal("mnist-train", metadata.GetProperty("user.DataSet").GetString());

        JsonElement tensors = report.RootElement.GetProperty("tensors");
        Assert.Equal(12, tensors.EnumerateObject().Count()); // 4 parameter tensors, and Adam's first and second moment of each
        float[] parameters = network.GetParameters();
        ParameterLayout layout = new ParameterLayout(network.LayerSizes!);
        foreach ((string name, int[] shape, int offset) in new[]
        {
            ("layers.0.weight", new[] { 16, 784 }, layout.WeightOffset(0)), ("layers.0.bias", new[] { 16 }, layout.BiasOffset(0)),
            ("layers.1.weight", new[] { 10, 16 }, layout.WeightOffset(1)), ("layers.1.bias", new[] { 10 }, layout.BiasOffset(1)),
        })
        {
            JsonElement tensor = tensors.GetProperty(name);
            Assert.Equal(shape, tensor.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            float[] first = tensor.GetProperty("first").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            SnapshotFactory.AssertBitsEqual(parameters.AsSpan(offset, 3).ToArray(), first); // float32 -> Python double -> float32 is exact
        }
        Assert.Equal(parameters[^1], (float)tensors.GetProperty("layers.1.bias").GetProperty("last").GetDouble());
        Assert.Equal(new[] { 10, 16 }, tensors.GetProperty("optimizer.second_moment.layers.1.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));

        // Python's own forward pass (double precision) over the stored tensors gives the module's scores.
        float[] scores = report.RootElement.GetProperty("scores").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(e => (float)e.GetDouble())).ToArray();
        Assert.Equal(expected.Length, scores.Length);
        double maxDifference = expected.Zip(scores, (a, b) => (double)Math.Abs(a - b)).Max();
        output.WriteLine($"max |Python forward - Predict| = {maxDifference:E2} over {images.Count} images");
        Assert.True(maxDifference <= 1e-5, $"Python's forward pass differs from Predict by {maxDifference:E3}.");
    }
}
