namespace MnistTools.Training;

/// <summary>Checks that a data set fits a network before any work starts.</summary>
public static class DataCompatibility
{
    /// <exception cref="MnistToolsException">InvalidArgument (id NetworkDataMismatch) naming both sizes.</exception>
    public static void Check(Network network, MnistDataSet data, string parameterName = "DataSet")
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (network.InputSize != data.ImageSize)
            throw new MnistToolsException("NetworkDataMismatch", FailureKind.InvalidArgument,
                $"The network takes {network.InputSize} inputs but the images of '{data.Name}' have {data.Rows}x{data.Columns} = {data.ImageSize} pixels.",
                parameterName);
        if (network.OutputSize != data.ClassCount)
            throw new MnistToolsException("NetworkDataMismatch", FailureKind.InvalidArgument,
                $"The network has {network.OutputSize} outputs but '{data.Name}' has {data.ClassCount} classes.", parameterName);
    }
}
