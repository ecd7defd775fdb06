using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace MnistTools.Commands;

/// <summary>What Save-Network and Export-Network share: resolving the target file, the no-clobber rule, metadata conversion.</summary>
internal static class OutputFile
{
    /// <summary>Error id: the target exists and -Force was not given.</summary>
    public const string ExistsId = "NetworkFileExists";

    /// <summary>Error id: a wildcard -Path matched no file or several.</summary>
    public const string AmbiguousId = "PathAmbiguous";

    /// <summary>
    /// The file-system path to write. -LiteralPath is taken as written; -Path too, unless it holds wildcards, in which
    /// case it must match exactly one existing item (the file to overwrite).
    /// </summary>
    public static string Resolve(PSCmdlet cmdlet, string path, bool literal)
    {
        if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            return PathResolver.ResolveForWrite(cmdlet, path);
        IReadOnlyList<string> matches = PathResolver.ResolveExisting(cmdlet, path, literal: false);
        if (matches.Count != 1)
            throw new MnistToolsException(AmbiguousId, FailureKind.InvalidArgument,
                $"The path '{path}' matches {matches.Count} items; name one file (use -LiteralPath for names with wildcard characters).", path);
        return matches[0];
    }

    /// <summary>The error for an existing target without -Force (ResourceExists, target the path).</summary>
    public static ErrorRecord Exists(string path) =>
        new(new IOException($"The file '{path}' already exists. Use -Force to overwrite it."), ExistsId, ErrorCategory.ResourceExists, path);

    /// <summary>A core failure as an ErrorRecord; an existing target is the cmdlet's own ResourceExists record.</summary>
    public static ErrorRecord WriteFailure(MnistToolsException e) =>
        e.ErrorId == "FileExists" ? Exists((string)e.Target!)
        : ErrorRecords.From(e);

    /// <summary>A hashtable of metadata as strings (invariant culture, so 0.97 stays "0.97"; dates as ISO 8601).</summary>
    public static Dictionary<string, string> ToMetadata(IDictionary? table)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (table is null) return metadata;
        foreach (DictionaryEntry entry in table)
        {
            string key = LanguagePrimitives.ConvertTo<string>(entry.Key) ?? "";
            if (key.Length == 0)
                throw new MnistToolsException("MetadataKeyEmpty", FailureKind.InvalidArgument, "Metadata keys must be non-empty.", "Metadata");
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
