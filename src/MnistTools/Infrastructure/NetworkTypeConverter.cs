using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Persistence;

namespace MnistTools.Infrastructure;

/// <summary>
/// A Network crosses a process boundary as its network file (<see cref="NetworkTransfer"/>): the hidden property
/// <see cref="FileProperty"/> holds the bytes Save-Network would write, and the receiving side rebuilds the network from
/// them, bit for bit. The visible properties travel too, for a reader without MnistTools.
/// </summary>
public sealed class NetworkTypeConverter : DeserializedTypeConverter<Network>
{
    /// <summary>The hidden property (MnistTools.Types.ps1xml) that carries the file.</summary>
    public const string FileProperty = "NetworkFile";

    /// <summary>
    /// The value of <see cref="FileProperty"/>: the network file as a byte[], or, when the network cannot travel (larger
    /// than <see cref="NetworkTransfer.MaxBytes"/>, or trained by another thread), "ErrorId: message" for the receiving
    /// side to report (an exception here would only make the serializer drop the property without a word).
    /// </summary>
    public static object GetNetworkFile(PSObject instance)
    {
        try
        {
            return NetworkTransfer.ToBytes((Network)instance.BaseObject);
        }
        catch (MnistToolsException e)
        {
            return $"{e.ErrorId}: {e.Message}";
        }
    }

    protected override Network Rebuild(PSObject bag)
    {
        string source = $"The serialized network '{Get(bag, "Description")}'";
        switch (Get(bag, FileProperty))
        {
            case byte[] bytes:
                return NetworkTransfer.FromBytes(bytes, source);
            case string failure when failure.IndexOf(": ", StringComparison.Ordinal) is int colon and > 0:
                throw new MnistToolsException(failure[..colon], FailureKind.InvalidData, failure[(colon + 2)..], source);
            default:
                throw new MnistToolsException(ErrorIds.SerializedNetworkIncomplete, FailureKind.InvalidData,
                    $"{source} came without its network file: the sending process had not imported MnistTools, so only its " +
                    "properties travelled. Import the module there before the network is sent, or pass a saved file's path.", source);
        }
    }
}
