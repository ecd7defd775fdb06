using System.Text;
using MnistTools.Persistence;
using MnistTools.Tests.Persistence;

namespace MnistTools.Tests.Fuzz;

/// <summary>Inputs the fuzzers found that once escaped as something other than MnistToolsException; each must stay fixed.</summary>
public sealed class FuzzRegressionTests
{
    /// <summary>
    /// Long CsCheck run, seed 987654321, case 149862 (a bit flip turned the writer's "\u00FC" escape into "\uDDDD"):
    /// JsonDocument.Parse accepts a lone surrogate escape, but reading the string threw InvalidOperationException.
    /// </summary>
    [Theory]
    [InlineData("\"user.note\":\"", "\"user.note\":\"\\uDDDD")]                 // in a metadata value
    [InlineData("\"user.note\"", "\"user.\\uD800te\"")]                // in a metadata key
    [InlineData("\"layers.0.bias\"", "\"layers.\\uDFFF.bias\"")]         // in a tensor name
    public void ALoneSurrogateEscapeInTheHeaderIsBadHeader(string find, string replace)
    {
        byte[] valid = NetworkFileWriter.ToBytes(SnapshotFactory.Create(new[] { 6, 5, 3 }, null, seed: 3));
        int headerLength = (int)BitConverter.ToUInt64(valid, 0);
        string header = Encoding.UTF8.GetString(valid, 8, headerLength);
        Assert.Contains(find, header);
        string edited = header.Replace(find, replace);
        // Keep the header length (trailing spaces are padding) so only the escape differs.
        edited = edited.TrimEnd(' ');
        edited = edited.PadRight(headerLength);
        Assert.Equal(headerLength, Encoding.UTF8.GetByteCount(edited));
        byte[] file = (byte[])valid.Clone();
        Encoding.UTF8.GetBytes(edited).CopyTo(file, 8);

        var e = Assert.Throws<MnistToolsException>(() => NetworkFileReader.Read(new MemoryStream(file), "bad.safetensors"));
        Assert.Equal(NetworkFileReader.BadHeader, e.ErrorId);
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal("bad.safetensors", e.Target);
    }
}
