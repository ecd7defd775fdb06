using System.Text;
using CsCheck;
using MnistTools.Data;
using MnistTools.Persistence;
using MnistTools.Tests.Data;
using MnistTools.Tests.Persistence;
using Xunit.Abstractions;

namespace MnistTools.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of the two file readers, starting from valid files built in code. Every input must either load
/// (and then be self-consistent) or fail with <see cref="MnistToolsException"/>; no other exception, no hang, and no
/// allocation beyond the bound stated per reader. Seeded: CI runs the same cases every time; `./build.ps1 fuzz`
/// runs the same tests for a time budget with another seed (MNISTTOOLS_FUZZ_SECONDS, MNISTTOOLS_FUZZ_SEED).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class ReaderFuzzTests : FuzzTestBase
{
    private const long IdxCiCases = 5000, NetworkCiCases = 10_000;
    public ReaderFuzzTests(ITestOutputHelper output) : base(output, "mnisttools-fuzz-") { }

    // ---- IDX ----------------------------------------------------------------------------------------

    private const int Count = 4, Rows = 28, Columns = 28;

    /// <summary>Which file is mutated and how it is stored.</summary>
    private enum IdxTarget { ImagesRaw, ImagesGzipOfMutated, ImagesMutatedGzip, LabelsRaw, LabelsGzipOfMutated, LabelsMutatedGzip }

    /// <summary>
    /// Bound: raw files 3 x (image + label file bytes) + 2 MiB. Gzip files legitimately inflate, and the reader only
    /// accepts a declared size up to 1100 x the compressed length (deflate's ceiling), so the bound there is
    /// 3 x 1100 x (compressed bytes of both files) + 2 MiB: proportional to the input, never to a header's claim.
    /// </summary>
    [Fact]
    public void IdxReaderLoadsOrRejectsEveryMutatedFile()
    {
        byte[] images = IdxReaderTests.ImageBytes(Count, Rows, Columns), labels = IdxReaderTests.LabelBytes(Count);
        MnistDataSet original = Load(Write("orig-i", images), Write("orig-l", labels));
        string imagePath = Path.Combine(Folder, "images"), labelPath = Path.Combine(Folder, "labels");
        var gen = Gen.Select(Gen.Int[0, 5], Mutations.Some, (target, mutations) => ((IdxTarget)target, mutations));

        var tally = FuzzHarness.Drive("IDX", gen, seed: 20261128, IdxCiCases, input =>
        {
            var (target, mutations) = input;
            bool onImages = target <= IdxTarget.ImagesMutatedGzip;
            byte[] victim = onImages ? images : labels;
            byte[] mutated = target switch
            {
                IdxTarget.ImagesRaw or IdxTarget.LabelsRaw => Mutations.Apply(victim, mutations, onImages ? 16 : 8),
                IdxTarget.ImagesGzipOfMutated or IdxTarget.LabelsGzipOfMutated => IdxReaderTests.Gzip(Mutations.Apply(victim, mutations, onImages ? 16 : 8)),
                _ => Mutations.Apply(IdxReaderTests.Gzip(victim), mutations, 10),
            };
            byte[] other = onImages ? labels : images;
            File.WriteAllBytes(imagePath, onImages ? mutated : other);
            File.WriteAllBytes(labelPath, onImages ? other : mutated);
            bool gzip = target is not (IdxTarget.ImagesRaw or IdxTarget.LabelsRaw);
            long inputBytes = mutated.Length + other.Length;
            long bound = FuzzHarness.FixedAllowance + 3 * inputBytes * (gzip ? 1100 : 1);
            return (bound, () =>
            {
                MnistDataSet set = Load(imagePath, labelPath);
                AssertConsistent(set);
                if (!gzip && mutated.AsSpan().SequenceEqual(victim)) AssertSame(original, set);
                return "Loaded";
            });
        }, input => $"{input.Item1}: {string.Join("; ", input.Item2)}", Log);

        // Drive throws on any broken rule; here: the fuzzer reached both outcomes, so the cases were not all trivial.
        Assert.True(tally.Count("Loaded") > 0, $"no mutated file loaded: {tally}");
        Assert.True(tally.Cases - tally.Count("Loaded") > tally.Cases / 4, $"too few rejections to have exercised the checks: {tally}");
    }

    private static MnistDataSet Load(string images, string labels) => IdxReader.ReadDataSet(images, labels, "fuzz");

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertConsistent(MnistDataSet set)
    {
        if (set.Count != set.Labels.Length || (long)set.Count * set.Rows * set.Columns != set.Pixels.Length)
            throw new InvalidOperationException($"inconsistent set: {set.Count} items, {set.Labels.Length} labels, {set.Pixels.Length} pixel bytes for {set.Rows}x{set.Columns}.");
        foreach (byte label in set.Labels)
            if (label >= set.ClassCount) throw new InvalidOperationException($"label {label} escaped the range check.");
    }

    private static void AssertSame(MnistDataSet expected, MnistDataSet actual)
    {
        if (!expected.Pixels.SequenceEqual(actual.Pixels) || !expected.Labels.SequenceEqual(actual.Labels))
            throw new InvalidOperationException("an unchanged file loaded differently.");
    }

    // ---- network files ------------------------------------------------------------------------------

    private static readonly string[] JsonReplacements =
        { "0", "-1", "1", "4096", "1048576", "1048577", "2147483647", "2147483648", "9223372036854775807", "99999999999999999999",
          "1e308", "-0", "0.5", "null", "\"\\uDDDD\"", "\"\\u0000\"", "\"x\"", "[]", "{}", "NaN", "\"\"", "[1,2,3,4,5,6,7,8,9]" };

    /// <summary>
    /// Bound: 3 x file bytes + 2 MiB (the reader checks tensor sizes against the real length before allocating).
    /// Besides byte mutations, half the cases edit the JSON header as text: a number or string token is replaced by
    /// an edge value, keeping the header length right so the edit reaches the semantic checks.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NetworkFileReaderLoadsOrRejectsEveryMutatedFile(bool withAdamState)
    {
        byte[] valid = NetworkFileWriter.ToBytes(SnapshotFactory.Create(new[] { 6, 5, 3 }, withAdamState ? Optimizer.Adam : null, seed: 3));
        NetworkSnapshot original = NetworkFileReader.Read(new MemoryStream(valid), "orig");
        var gen = Gen.Select(Gen.Bool, Mutations.Some, Gen.Int[0, 10_000], Gen.Int[0, JsonReplacements.Length - 1],
            (json, mutations, token, replacement) => (json, mutations, token, replacement));

        var tally = FuzzHarness.Drive("network file" + (withAdamState ? " (Adam)" : ""), gen, seed: withAdamState ? 7u : 8u, NetworkCiCases, input =>
        {
            byte[] mutated = input.json
                ? EditJsonToken(valid, input.token, JsonReplacements[input.replacement])
                : Mutations.Apply(valid, input.mutations, 8);
            long bound = FuzzHarness.FixedAllowance + 3L * mutated.Length;
            return (bound, () =>
            {
                NetworkSnapshot snapshot = NetworkFileReader.Read(new MemoryStream(mutated), "fuzz.safetensors");
                Network network = NetworkPersistence.FromSnapshot(snapshot, "fuzz.safetensors");
                if (network.Parameters.Length != NetworkArchitecture.FromSnapshot(snapshot).ParameterCount)
                    throw new InvalidOperationException("parameter count does not match the layout.");
                if (mutated.AsSpan().SequenceEqual(valid)) SnapshotFactory.AssertSameSnapshot(original, snapshot);
                return "Loaded";
            });
        }, input => input.json ? $"json token {input.token} -> {JsonReplacements[input.replacement]}" : string.Join("; ", input.mutations), Log);

        Assert.True(tally.Count("Loaded") > 0, $"no mutated file loaded: {tally}");
        Assert.True(tally.Cases - tally.Count("Loaded") > tally.Cases / 4, $"too few rejections to have exercised the checks: {tally}");
    }

    /// <summary>Replaces the n-th (mod count) number or string token of the JSON header, padding or trimming the header's trailing spaces.</summary>
    private static byte[] EditJsonToken(byte[] file, int n, string replacement)
    {
        int headerLength = (int)BitConverter.ToUInt64(file, 0);
        string header = Encoding.UTF8.GetString(file, 8, headerLength);
        var tokens = System.Text.RegularExpressions.Regex.Matches(header, "\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?");
        var token = tokens[n % tokens.Count];
        string edited = header[..token.Index] + replacement + header[(token.Index + token.Length)..];
        string trimmed = edited.TrimEnd(' ');
        // Keep the length when the padding allows, so the data offsets still line up.
        if (Encoding.UTF8.GetByteCount(trimmed) <= headerLength) edited = trimmed.PadRight(trimmed.Length + headerLength - Encoding.UTF8.GetByteCount(trimmed));
        byte[] newHeader = Encoding.UTF8.GetBytes(edited);
        byte[] result = new byte[8 + newHeader.Length + file.Length - 8 - headerLength];
        BitConverter.TryWriteBytes(result.AsSpan(0, 8), (ulong)newHeader.Length);
        newHeader.CopyTo(result, 8);
        file.AsSpan(8 + headerLength).CopyTo(result.AsSpan(8 + newHeader.Length));
        return result;
    }
}
