using System.Diagnostics;
using System.Net.Sockets;
using CsCheck;
using MnistTools.Csv;
using MnistTools.Data;
using MnistTools.Errors;
using MnistTools.Files;
using MnistTools.Imaging;
using MnistTools.Persistence;
using MnistTools.Tests.Imaging;
using MnistTools.Tests.Persistence;
using SkiaSharp;
using Xunit.Abstractions;

namespace MnistTools.Tests.Fuzz;

/// <summary>
/// The file system as an attacker lays it out, under the fuzz rules (<see cref="FuzzHarness"/>: MnistToolsException or a
/// result, within the time limit, allocation bounded): picture folders with random symbolic links (loops, links back
/// into the tree, to other classes' pictures, out of the tree, dangling, to devices, chains), and special files
/// (FIFOs, sockets, devices, folders, links to them) given to every reader and every writer.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class FileSystemFuzzTests : FuzzTestBase
{
    private const long LinkCiCases = 60, SpecialCiCases = 60;

    public FileSystemFuzzTests(ITestOutputHelper output) : base(output, "mnisttools-fuzz-fs-") { }

    private static readonly ImageFolderOptions Options = new() { MaxPixels = 1 << 18, MaxFileBytes = 1 << 20 };

    private static readonly string[] Allowed = [ErrorIds.ImageFolderLinkSkipped, ErrorIds.PathNotRegularFile, ErrorIds.ImageNotAPicture, "ImageFolderEmptyClass"];

    /// <summary>
    /// Three classes a, b, c holding four pictures in the tree (a/0, a/sub/1, b/0, c/0), two more outside it (o.png,
    /// of/2.png), and 1-5 links placed in the root, a class, a nested folder or outside, each to one of the targets below
    /// (or to the link made before it). Every case must load, each picture in the tree exactly once under its own
    /// class, at most the two outside ones besides, and report only links, special files and stray files.
    /// </summary>
    [Fact]
    public void PictureFoldersWithLinksLoadEachPictureOnce()
    {
        if (!OperatingSystem.IsLinux()) return; // symbolic links as Linux makes them; /dev/zero
        GraphicsLibrary.EnsureAvailable();
        byte[] png = PictureHelpers.Encode(PictureHelpers.Canvas(28, 28, 0, 220, (10, 4, 6, 20)), 28, 28, SKEncodedImageFormat.Png);
        string root = Path.Combine(Folder, "pictures"), outside = Path.Combine(Folder, "outside");
        string[] slots = [root, Path.Combine(root, "a"), Path.Combine(root, "b"), Path.Combine(root, "a/sub"), Path.Combine(outside, "of")];
        string[] targets = [".", "..", root, Path.Combine(root, "a"), Path.Combine(root, "b/0.png"), outside, Path.Combine(outside, "of"),
            Path.Combine(outside, "o.png"), Path.Combine(Folder, "nothing"), "/dev/zero", Path.Combine(root, "a/sub"), Folder, "(previous link)"];
        var link = Gen.Select(Gen.Int[0, slots.Length - 1], Gen.Int[0, targets.Length - 1], Gen.Bool, (slot, target, png) => (slot, target, png));

        var tally = FuzzHarness.Drive("picture folder with links", link.Array[1, 5], seed: 20261206, LinkCiCases, links =>
        {
            foreach (string folder in new[] { root, outside })
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            foreach (string file in new[] { "pictures/a/0.png", "pictures/a/sub/1.png", "pictures/b/0.png", "pictures/c/0.png", "outside/o.png", "outside/of/2.png" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Folder, file))!);
                File.WriteAllBytes(Path.Combine(Folder, file), png);
            }
            string? previous = null;
            int rootLinks = 0;
            for (int k = 0; k < links.Length; k++)
            {
                string at = Path.Combine(slots[links[k].slot], $"l{k}{(links[k].png ? ".png" : "")}");
                string target = targets[links[k].target] == "(previous link)" ? previous ?? "." : targets[links[k].target];
                File.CreateSymbolicLink(at, target);
                previous = at;
                if (links[k].slot == 0) rootLinks++;
            }
            return (FuzzHarness.FixedAllowance + 16L * Options.MaxPixels + 64L * png.Length, () =>
            {
                var reports = new List<MnistToolsException>();
                MnistDataSet set = ImageFolderReader.Read(root, "fuzz", Options, reports.Add);
                if (set.ClassCount < 3 || set.ClassCount > 3 + rootLinks) throw new InvalidOperationException($"{set.ClassCount} classes.");
                int[] perClass = new int[set.ClassCount];
                foreach (byte label in set.Labels) perClass[label]++;
                if (perClass[0] is < 2 or > 4 || perClass[1] is < 1 or > 3 || perClass[2] != 1)
                    throw new InvalidOperationException($"pictures per class a, b, c: {string.Join(", ", perClass)} (each picture of the tree once, at most two outside ones besides).");
                if (set.Count < 4 || set.Count > 6) throw new InvalidOperationException($"{set.Count} pictures loaded of four in the tree and two outside.");
                if (reports.FirstOrDefault(r => !Allowed.Contains(r.ErrorId)) is { } other) throw new InvalidOperationException($"unexpected report {other.ErrorId}: {other.Message}");
                return reports.Count == 0 ? "Loaded" : "LoadedWithSkips";
            });
        }, links => string.Join("; ", links.Select((l, k) => $"{slots[l.slot]}/l{k}{(l.png ? ".png" : "")} -> {targets[l.target]}")), Log);

        Assert.True(tally.Count("LoadedWithSkips") > tally.Cases / 2, $"too few links were left out to have exercised the walk: {tally}");
    }

    private enum Special { Fifo, LinkToFifo, LinkToZero, LinkToNull, Socket, Folder, LinkToFolder }

    private enum Operation { IdxImages, IdxLabels, Csv, Network, Picture, PictureFolder, WriteFile, WriteIdxPair, WriteCsv, WriteNetwork }

    /// <summary>
    /// Every kind of special path given to every reader and writer: a reader fails with PathNotRegularFile or
    /// PathIsDirectory (a picture folder reports the item and loads the rest) without blocking; a writer, even with
    /// overwrite, refuses and leaves the path as it was.
    /// </summary>
    [Fact]
    public void SpecialFilesAreNeitherReadNorReplaced()
    {
        if (!OperatingSystem.IsLinux()) return;
        GraphicsLibrary.EnsureAvailable();
        byte[] png = PictureHelpers.Encode(PictureHelpers.Canvas(28, 28, 0, 220, (10, 4, 6, 20)), 28, 28, SKEncodedImageFormat.Png);
        var set = new MnistDataSet("fuzz", null, 2, 2, [1, 2, 3, 4, 5, 6, 7, 8], [0, 1], 10);
        string valid = Path.Combine(Folder, "valid-images-idx3-ubyte");
        IdxWriter.WriteImages(set, valid, gzip: false, overwrite: true);
        NetworkSnapshot snapshot = SnapshotFactory.Create([4, 3, 2], optimizer: null);
        var gen = Gen.Select(Gen.Int[0, Enum.GetValues<Special>().Length - 1], Gen.Int[0, Enum.GetValues<Operation>().Length - 1],
            (special, operation) => ((Special)special, (Operation)operation));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        string socketPath = Path.Combine(Folder, "socket");
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        var tally = FuzzHarness.Drive("special files", gen, seed: 20261207, SpecialCiCases, input =>
        {
            string work = Path.Combine(Folder, "work");
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            Directory.CreateDirectory(Path.Combine(work, "pictures/a"));
            Directory.CreateDirectory(Path.Combine(work, "pictures/b"));
            File.WriteAllBytes(Path.Combine(work, "pictures/b/0.png"), png);
            bool inFolder = input.Item2 == Operation.PictureFolder;
            string path = inFolder ? Path.Combine(work, "pictures/a/x.png") : Path.Combine(work, "x-images-idx3-ubyte");
            Make(input.Item1, path, socketPath);
            FileKind kind = RegularFile.KindOf(path);
            return (FuzzHarness.FixedAllowance + 16L * Options.MaxPixels, () =>
            {
                string outcome = Run(input.Item2, path, valid, set, snapshot);
                if (RegularFile.KindOf(path) != kind) throw new InvalidOperationException($"the {input.Item1} became a {RegularFile.KindOf(path)}.");
                return outcome;
            });
        }, input => $"{input.Item1} given to {input.Item2}", Log);

        Assert.Equal(0, tally.Count("Loaded"));
    }

    private static void Make(Special special, string path, string socketPath)
    {
        string fifo = Path.Combine(Path.GetDirectoryName(path)!, "fifo");
        switch (special)
        {
            case Special.Fifo: MakeFifo(path); break;
            case Special.LinkToFifo: MakeFifo(fifo); File.CreateSymbolicLink(path, fifo); break;
            case Special.LinkToZero: File.CreateSymbolicLink(path, "/dev/zero"); break;
            case Special.LinkToNull: File.CreateSymbolicLink(path, "/dev/null"); break;
            case Special.Socket: File.CreateSymbolicLink(path, socketPath); break;
            case Special.Folder: Directory.CreateDirectory(path); break;
            case Special.LinkToFolder: Directory.CreateSymbolicLink(path, Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(socketPath)!, "empty")).FullName); break;
        }
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", path);
        mkfifo.WaitForExit();
        if (mkfifo.ExitCode != 0) throw new InvalidOperationException($"mkfifo {path} failed.");
    }

    /// <summary>One operation on the special path; a result that does not refuse it is "Loaded" (the test asserts there is none).</summary>
    private static string Run(Operation operation, string path, string validImages, MnistDataSet set, NetworkSnapshot snapshot)
    {
        string beside = Path.Combine(Path.GetDirectoryName(path)!, "beside-labels-idx1-ubyte");
        switch (operation)
        {
            case Operation.IdxImages: IdxReader.ReadDataSet(path, null!, "x"); break;
            case Operation.IdxLabels: IdxReader.ReadDataSet(validImages, path, "x"); break;
            case Operation.Csv: CsvSetReader.Read(path, "x"); break;
            case Operation.Network: NetworkFileReader.Read(path); break;
            case Operation.Picture: ImageDecoder.DecodeGrey(path, Options.MaxPixels, Options.MaxFileBytes); break;
            case Operation.PictureFolder:
                var reports = new List<MnistToolsException>();
                MnistDataSet read = ImageFolderReader.Read(Path.GetDirectoryName(Path.GetDirectoryName(path))!, "x", Options, reports.Add);
                if (read.Count != 1) throw new InvalidOperationException($"{read.Count} pictures from a folder of one picture and one special path.");
                // The special path's own report (the FIFO a link points to, beside it, is only a stray file).
                MnistToolsException? about = reports.FirstOrDefault(r => r.Target as string == path || r.ErrorId == "ImageFolderEmptyClass");
                return about?.ErrorId ?? "Loaded";
            case Operation.WriteFile: AtomicFile.Write(path, overwrite: true, (stream, _) => stream.WriteByte(1)); break;
            case Operation.WriteIdxPair:
                IdxWriter.WriteSet(set, beside.Replace("labels-idx1", "images-idx3"), path, overwrite: true);
                break;
            case Operation.WriteCsv: CsvSetWriter.Write(set, path, overwrite: true); break;
            case Operation.WriteNetwork: NetworkFileWriter.Write(path, snapshot, overwrite: true); break;
        }
        return "Loaded";
    }
}
