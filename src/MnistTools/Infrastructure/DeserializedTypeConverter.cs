using System.Management.Automation;
using MnistTools.Errors;

namespace MnistTools.Infrastructure;

/// <summary>
/// Rebuilds a MnistTools object from the property bag PowerShell's serializer makes of it (jobs, remoting,
/// Import-Clixml): registered in MnistTools.Types.ps1xml as the type's converter, with the deserialized type name's
/// TargetTypeForDeserialization, so the object rehydrates as it arrives and a property bag still converts when it
/// binds to a parameter of the type (an argument that reached a remote runspace before the module was imported).
/// </summary>
public abstract class DeserializedTypeConverter<T> : PSTypeConverter where T : class
{
    /// <summary>The type name the serializer gives the object: "Deserialized." and the full type name.</summary>
    protected static readonly string DeserializedName = "Deserialized." + typeof(T).FullName;

    public override bool CanConvertFrom(object sourceValue, Type destinationType) =>
        destinationType == typeof(T) && sourceValue is PSObject bag && bag.TypeNames.Contains(DeserializedName);

    public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
    {
        if (!CanConvertFrom(sourceValue, destinationType))
            throw new PSInvalidCastException($"Cannot convert {sourceValue?.GetType().Name ?? "null"} to {destinationType}.");
        return Rebuild((PSObject)sourceValue);
    }

    public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

    public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        throw new PSInvalidCastException($"{typeof(T).Name} converts only from its deserialized form.");

    /// <summary>The live object the bag describes.</summary>
    /// <exception cref="MnistToolsException">The bag cannot be rebuilt (the message says why).</exception>
    protected abstract T Rebuild(PSObject bag);

    /// <summary>A property's value, unwrapped; null when absent.</summary>
    protected static object? Get(PSObject bag, string name) => PropertyReader.Get(bag, name);
}
