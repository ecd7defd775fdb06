using System.Buffers.Binary;
using System.Text;
using MnistTools.Errors;
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
        // Only the escape differs: the header keeps the writer's padding to 8 bytes, its length prefix follows it, and
        // the tensor data is unchanged (the same composition of the unedited header reads).
        byte[] Compose(string text)
        {
            text = text.TrimEnd(' ');
            byte[] json = Encoding.UTF8.GetBytes(text.PadRight((Encoding.UTF8.GetByteCount(text) + 7) / 8 * 8));
            byte[] composed = new byte[8 + json.Length + valid.Length - 8 - headerLength];
            BinaryPrimitives.WriteUInt64LittleEndian(composed, (ulong)json.Length);
            json.CopyTo(composed, 8);
            valid.AsSpan(8 + headerLength).CopyTo(composed.AsSpan(8 + json.Length));
            return composed;
        }
        Assert.Equal(NetworkFileReader.Read(new MemoryStream(valid), "valid.safetensors").Parameters,
            NetworkFileReader.Read(new MemoryStream(Compose(header)), "composed.safetensors").Parameters);
        byte[] file = Compose(header.Replace(find, replace));

        var e = Assert.Throws<MnistToolsException>(() => NetworkFileReader.Read(new MemoryStream(file), "bad.safetensors"));
        Assert.Equal(ErrorIds.NetworkFileBadHeader, e.ErrorId);
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal("bad.safetensors", e.Target);
    }
}
