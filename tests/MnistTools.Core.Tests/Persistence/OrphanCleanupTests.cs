using MnistTools.Files;
using MnistTools.Persistence;

namespace MnistTools.Tests.Persistence;

/// <summary>Temporary files left by a killed writer are reclaimed by the next save; a live writer's file and unrelated files are not touched.</summary>
public sealed class OrphanCleanupTests
{
    [Fact]
    public void DeletesOrphansButNotALiveWritersFileNorLookalikes()
    {
        using var folder = new TempFolder();
        string target = folder.File("net.safetensors");
        string orphan = folder.File($".net.safetensors.{Guid.NewGuid():N}.tmp");
        string live = folder.File($".net.safetensors.{Guid.NewGuid():N}.tmp");
        string otherFile = folder.File($".other.safetensors.{Guid.NewGuid():N}.tmp");
        string notOurs = folder.File(".net.safetensors.backup.tmp");
        foreach (string path in new[] { orphan, live, otherFile, notOurs }) File.WriteAllBytes(path, new byte[] { 1, 2, 3 });

        using (new FileStream(live, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            Assert.Equal(1, AtomicFile.CleanOrphans(target, AtomicFile.TempSuffix));
        }
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(otherFile));
        Assert.True(File.Exists(notOurs));
    }

    [Fact]
    public void TheNextSaveReclaimsWhatAKilledSaveLeft()
    {
        using var folder = new TempFolder();
        string target = folder.File("net.safetensors");
        string orphan = folder.File($".net.safetensors.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(orphan, new byte[100]);
        NetworkFileWriter.Write(target, SnapshotFactory.Create(new[] { 4, 3, 2 }), overwrite: false);
        Assert.Empty(folder.Others("net.safetensors"));
    }
}
