using System.Collections;
using System.Globalization;
using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Persistence;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Saves a network to a file: architecture, weights, training state and metadata.</para>
/// <para type="description">The file is a safetensors file (8-byte header length, JSON header, little-endian float32
/// tensors) that other tools can read; see docs/persistence.md. Import-Network restores the network bit for bit,
/// including the optimizer state, so training resumes exactly. The write is atomic: a temporary file in the same folder
/// is moved over the target only when complete, so a failure or Ctrl+C never leaves a half file or loses the old one.
/// An existing file is an error unless -Force is given.</para>
/// </summary>
/// <example><code>$net | Save-Network -Path ./digits.safetensors -Metadata @{ TestAccuracy = 0.9731 }</code></example>
[Cmdlet(VerbsData.Save, "Network", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(FileInfo))]
public sealed class SaveNetworkCommand : NetworkFileCommand
{
    private Dictionary<string, string> _metadata = new();

    /// <summary>Extra notes stored in the file (data set, test accuracy...); they join the network's own Metadata.</summary>
    [Parameter]
    public IDictionary? Metadata { get; set; }

    protected override string Action => $"Save network {Network!.Description}";

    protected override string Done => "saved";

    protected override void Prepare() => _metadata = ToStrings(Metadata);

    protected override void Write(string target, bool overwrite, CancellationToken cancellationToken) =>
        NetworkPersistence.Save(Network!, target, overwrite, _metadata, cancellationToken);

    /// <summary>A hashtable of metadata as strings (invariant culture, so 0.97 stays "0.97"; dates as ISO 8601).</summary>
    private static Dictionary<string, string> ToStrings(IDictionary? table)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (table is null) return metadata;
        foreach (DictionaryEntry entry in table)
        {
            string key = LanguagePrimitives.ConvertTo<string>(entry.Key) ?? "";
            if (key.Length == 0)
                throw new MnistToolsException(ErrorIds.MetadataKeyEmpty, FailureKind.InvalidArgument, "Metadata keys must be non-empty.", "Metadata");
            object? value = entry.Value is PSObject ps ? ps.BaseObject : entry.Value;
            metadata[key] = value switch
            {
                null => "",
                DateTime time => time.ToString("o", CultureInfo.InvariantCulture),
                DateTimeOffset time => time.ToString("o", CultureInfo.InvariantCulture),
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => LanguagePrimitives.ConvertTo<string>(value) ?? "",
            };
        }
        return metadata;
    }
}
