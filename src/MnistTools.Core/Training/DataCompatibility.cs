using MnistTools.Errors;

namespace MnistTools.Training;

/// <summary>Checks that a data set fits a network before any work starts.</summary>
public static class DataCompatibility
{
    /// <param name="requireLabels">True for training and testing (they compare with the labels); false for classifying.</param>
    /// <exception cref="MnistToolsException">InvalidArgument: NetworkDataMismatch naming both sizes, or DataSetUnlabelled
    /// naming the set and its source. The target is <paramref name="parameterName"/>.</exception>
    public static void Check(Network network, MnistDataSet data, string parameterName = "DataSet", bool requireLabels = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (requireLabels && !data.IsLabelled)
            throw new MnistToolsException(ErrorIds.DataSetUnlabelled, FailureKind.InvalidArgument,
                $"'{data.Name}'{(data.Source is null ? "" : $" (from '{data.Source}')")} has no labels, so it cannot be used to train or test: " +
                "import a file with a label column, or classify its images with Get-Classification.", parameterName);
        if (network.InputSize != data.ImageSize)
            throw new MnistToolsException(ErrorIds.NetworkDataMismatch, FailureKind.InvalidArgument,
                $"The network takes {network.InputSize} inputs but the images of '{data.Name}' have {data.Rows}x{data.Columns} = {data.ImageSize} pixels.",
                parameterName);
        // An unlabelled set's class count is only a default: any network may classify its images.
        if (data.IsLabelled && network.OutputSize != data.ClassCount)
            throw new MnistToolsException(ErrorIds.NetworkDataMismatch, FailureKind.InvalidArgument,
                $"The network has {network.OutputSize} outputs but '{data.Name}' has {data.ClassCount} classes" +
                $"{(data.ClassCount <= 12 ? $" ({string.Join(", ", data.ClassNames)})" : "")}: create the network with {data.ClassCount} outputs " +
                $"(e.g. New-Network -LayerSizes {data.ImageSize},128,{data.ClassCount}).", parameterName);
    }
}
