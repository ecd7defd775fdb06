using System.Text;
using CsCheck;
using MnistTools.Csv;
using MnistTools.Imaging;
using MnistTools.Tests.Imaging;
using SkiaSharp;
using Xunit.Abstractions;

namespace MnistTools.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of the CSV reader and the picture-folder reader, from valid inputs built in code, under the same
/// rules as the IDX fuzzers (<see cref="FuzzHarness"/>): every input loads (and the set is self-consistent) or fails
/// with <see cref="MnistToolsException"/>; no other exception, no hang, and allocation under the stated bound.
/// Seeded: CI runs the same cases every time; `./build.ps1 fuzz` runs them for a time budget with another seed.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class DataReaderFuzzTests : FuzzTestBase
{
    private const long CsvCiCases = 3000, FolderCiCases = 200;
    public DataReaderFuzzTests(ITestOutputHelper output) : base(output, "mnisttools-fuzz-data-") { }

    private static void AssertConsistent(MnistDataSet set)
    {
        if ((long)set.Count * set.Rows * set.Columns != set.Pixels.Length)
            throw new InvalidOperationException($"inconsistent set: {set.Count} items, {set.Pixels.Length} pixel bytes for {set.Rows}x{set.Columns}.");
        if (set.IsLabelled && set.Labels.Length != set.Count)
            throw new InvalidOperationException($"{set.Labels.Length} labels for {set.Count} images.");
        foreach (byte label in set.Labels)
            if (label >= set.ClassCount) throw new InvalidOperationException($"label {label} escaped the range check.");
        if (set.ClassNames.Count != set.ClassCount) throw new InvalidOperationException("class names and count disagree.");
    }

    // ---- CSV ----------------------------------------------------------------------------------------

    /// <summary>Fields and fragments that stress a CSV reader: quotes, separators, line ends, signs, overflow, blanks.</summary>
    private static readonly string[] CsvTokens =
        { "", " ", "-1", "0", "255", "256", "-0", "+7", "2147483648", "99999999999999999999", "1.5", "1e3", "x", "\"", "\"\"", "\"5\"",
          "\"1,2\"", ",", ",,", ";", "\t", "\n", "\r\n", "\r", "\"\n\"", "label", "LABEL", "pixel0", "\u00e9", "\0" };

    /// <summary>Header label,p0..p3 and four rows of 2x2 images, or the headerless or unlabelled variants.</summary>
    private static string ValidCsv(int variant)
    {
        var text = new StringBuilder();
        bool header = variant % 2 == 0, labelled = variant < 2;
        if (header) text.Append(labelled ? "label,p0,p1,p2,p3\n" : "p0,p1,p2,p3\n");
        for (int i = 0; i < 4; i++) text.Append(labelled ? $"{i % 10}," : "").Append($"{i},{10 * i},{100 + i},{255 - i}\n");
        return text.ToString();
    }

    /// <summary>
    /// Bound: 8 x file bytes + 2 MiB. The pixel buffer is at most half the file's length; Sep holds a row as chars (two
    /// bytes each) and may grow its buffer to twice a long row; header names are strings.
    /// Half the cases edit the text (a field replaced by a token above), half the bytes (the IDX fuzzers' mutations).
    /// </summary>
    [Fact]
    public void CsvReaderLoadsOrRejectsEveryMutatedFile()
    {
        string path = Path.Combine(Folder, "fuzz.csv");
        var gen = Gen.Select(Gen.Int[0, 3], Gen.Bool, Mutations.Some, Gen.Int[0, 1000].Array[1, 3], Gen.Int[0, CsvTokens.Length - 1].Array[3],
            (variant, text, mutations, where, tokens) => (variant, text, mutations, where, tokens));
        var tally = FuzzHarness.Drive("CSV", gen, seed: 20261201, CsvCiCases, input =>
        {
            string valid = ValidCsv(input.variant);
            byte[] bytes;
            if (input.text)
            {
                string edited = valid;
                for (int k = 0; k < input.where.Length; k++)
                {
                    // Replace the field (or line end) nearest a position by a token.
                    int at = input.where[k] * edited.Length / 1001;
                    int end = at;
                    while (end < edited.Length && edited[end] is not (',' or '\n')) end++;
                    edited = edited[..at] + CsvTokens[input.tokens[k]] + edited[end..];
                }
                bytes = Encoding.UTF8.GetBytes(edited);
            }
            else
            {
                bytes = Mutations.Apply(Encoding.UTF8.GetBytes(valid), input.mutations, 0);
            }
            File.WriteAllBytes(path, bytes);
            long bound = FuzzHarness.FixedAllowance + 8L * bytes.Length;
            return (bound, () =>
            {
                MnistDataSet set = CsvSetReader.Read(path, "fuzz");
                AssertConsistent(set);
                if (Encoding.UTF8.GetString(bytes) == valid && set.Count != 4) throw new InvalidOperationException("the valid file lost rows.");
                return set.IsLabelled ? "Loaded" : "LoadedUnlabelled";
            });
        }, input => input.text ? $"variant {input.variant}: tokens {string.Join(" ", input.tokens.Take(input.where.Length).Select(t => $"[{CsvTokens[t]}]"))} at {string.Join(",", input.where)}"
                               : $"variant {input.variant}: {string.Join("; ", input.mutations)}", Log);

        Assert.True(tally.Count("Loaded") + tally.Count("LoadedUnlabelled") > 0, $"no mutated file loaded: {tally}");
        Assert.True(tally.Cases - tally.Count("Loaded") - tally.Count("LoadedUnlabelled") > tally.Cases / 4, $"too few rejections to have exercised the checks: {tally}");
    }

    // ---- picture folders ----------------------------------------------------------------------------

    private static readonly string[] Extensions = [".png", ".jpg", ".bmp", ".gif", ".webp", ".txt", ""];

    /// <summary>
    /// Three classes of one picture each (PNG, JPEG, and a picture of another size); one picture's bytes are mutated and
    /// its extension maybe changed, or a class emptied. Every bad item must come through the callback as
    /// MnistToolsException. Bound: 2 MiB + 16 x MaxPixels (the decoder's RGBA and grey buffers and the preprocessor's
    /// float copy, for the largest picture accepted, set to 2^18 pixels here) + 4 x the folder's bytes.
    /// </summary>
    [Fact]
    public void FolderReaderLoadsOrRejectsEveryMutatedPicture()
    {
        GraphicsLibrary.EnsureAvailable();
        byte[] digit = PictureHelpers.Canvas(28, 28, 0, 220, (10, 4, 6, 20));
        byte[][] originals =
        [
            PictureHelpers.Encode(digit, 28, 28, SKEncodedImageFormat.Png),
            PictureHelpers.Encode(digit, 28, 28, SKEncodedImageFormat.Jpeg, 90),
            PictureHelpers.Encode(PictureHelpers.Canvas(40, 30, 255, 0, (5, 5, 8, 20)), 40, 30, SKEncodedImageFormat.Png),
        ];
        string[] names = ["a/0.png", "b/0.jpg", "c/0.png"];
        var options = new ImageFolderOptions { MaxPixels = 1 << 18, MaxFileBytes = 1 << 20 };
        string root = Path.Combine(Folder, "pictures");
        var gen = Gen.Select(Gen.Int[0, 2], Mutations.Some, Gen.Int[0, Extensions.Length - 1], Gen.Int[0, 9],
            (victim, mutations, extension, emptyClass) => (victim, mutations, extension, emptyClass));

        var tally = FuzzHarness.Drive("picture folder", gen, seed: 20261202, FolderCiCases, input =>
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            long total = 0;
            for (int i = 0; i < names.Length; i++)
            {
                string name = names[i];
                byte[] bytes = originals[i];
                if (i == input.victim)
                {
                    bytes = Mutations.Apply(bytes, input.mutations, 16);
                    name = Path.ChangeExtension(name, Extensions[input.extension]);
                }
                string path = Path.Combine(root, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                if (input.emptyClass != i) File.WriteAllBytes(path, bytes);
                total += bytes.Length;
            }
            long bound = FuzzHarness.FixedAllowance + 16L * options.MaxPixels + 4 * total;
            return (bound, () =>
            {
                int bad = 0;
                MnistDataSet set = ImageFolderReader.Read(root, "fuzz", options, e => bad++);
                AssertConsistent(set);
                if (set.ClassCount != 3 || set.Rows != 28) throw new InvalidOperationException($"{set.ClassCount} classes of {set.Rows}x{set.Columns}.");
                if (set.Count + bad < 3) throw new InvalidOperationException($"{set.Count} images and {bad} reports for three items.");
                return bad == 0 ? "Loaded" : "LoadedWithErrors";
            });
        }, input => $"victim {input.victim} as {Extensions[input.extension]}, empty class {input.emptyClass}: {string.Join("; ", input.mutations)}", Log);

        Assert.True(tally.Count("Loaded") > 0, $"no folder loaded cleanly: {tally}");
        Assert.True(tally.Count("LoadedWithErrors") > tally.Cases / 4, $"too few bad pictures to have exercised the checks: {tally}");
    }
}
