using System.Management.Automation;
using MnistTools.Errors;

namespace MnistTools.Infrastructure;

/// <summary>
/// An MnistDataSet does not travel by value (its pixels are tens of MB, and where it came from, a subset of a file or a
/// folder of pictures, is not all in its properties): a serialized set that binds to a -DataSet parameter fails with an
/// error that says to send the path and import the set on the other side.
/// </summary>
public sealed class DataSetTypeConverter : DeserializedTypeConverter<MnistDataSet>
{
    protected override MnistDataSet Rebuild(PSObject bag) =>
        throw new MnistToolsException(ErrorIds.DataSetNotTransferable, FailureKind.InvalidArgument,
            $"The data set '{Get(bag, nameof(MnistDataSet.Name))}' ({Get(bag, nameof(MnistDataSet.Count))} images) was serialized " +
            "(a job, remoting or Import-Clixml): a data set does not cross a process boundary, only its properties do. Send its " +
            $"path instead and import it on this side: Import-MnistSet -Path '{Get(bag, nameof(MnistDataSet.Source))}'.", bag);
}
