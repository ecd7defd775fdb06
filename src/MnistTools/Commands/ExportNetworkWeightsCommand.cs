using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Imaging;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Draws the first layer's weights as a grid of pictures, one per hidden unit or filter.</para>
/// <para type="description">Hidden unit u's 784 incoming weights (row u of W0 [hidden x 784]) are shown as a 28x28
/// tile: red where a bright input pixel pushes the unit up, blue where it pushes it down, white near zero, each tile
/// scaled by its own largest |weight|. The classic picture of what a network learned. Works for any dense network whose
/// input is a square picture (784 = 28x28 for MNIST). For a network that starts with a convolution, each tile is one
/// filter's K x K kernel (its input channels stacked from top to bottom).</para>
/// </summary>
[Cmdlet(VerbsData.Export, "NetworkWeights", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportNetworkWeightsCommand : PictureExportCommand
{
    private Network? _network;

    protected override bool DrawsText => false;

    /// <summary>The network whose first layer is drawn.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Network? Network { get; set; }

    /// <summary>Each weight becomes a Scale x Scale square.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Scale { get; set; } = 3;

    /// <summary>Tiles per row (default: about the square root of the unit count).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Columns { get; set; }

    /// <summary>Draw only the first N hidden units.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; }

    protected override void ProcessRecord()
    {
        if (_network is not null)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.OneNetworkPerPicture, FailureKind.InvalidArgument,
                "One picture shows one network; only the first is drawn.", Network)));
            return;
        }
        _network = Network;
    }

    protected override void EndProcessing()
    {
        if (_network is not Network network)
        {
            ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.NoNetwork, FailureKind.InvalidArgument,
                "No network arrived, so there is nothing to draw.", OutputPath)));
            return;
        }
        // The first layer with weights: filters [F, C, K, K] are drawn as C·K x K tiles, a dense layer's [units, inputs]
        // as square pictures of its inputs.
        int firstIndex = network.ResolvedLayers.ToList().FindIndex(layer => layer.ParameterCount > 0);
        long[] shape = network.ResolvedLayers[firstIndex].WeightShape;
        bool filters = shape.Length == 4;
        int units, tileRows, tileColumns;
        if (filters)
        {
            units = (int)shape[0];
            tileRows = (int)(shape[1] * shape[2]);
            tileColumns = (int)shape[3];
        }
        else
        {
            int inputs = network.InputSize;
            int side = (int)Math.Round(Math.Sqrt(inputs));
            if (side * side != inputs || firstIndex > 1)
                ThrowTerminatingError(ErrorRecords.From(new MnistToolsException(ErrorIds.NetworkInputNotAPicture, FailureKind.InvalidArgument,
                    $"The network's first layer sees {inputs} inputs, which is not a square picture, so its weights cannot be drawn as pictures.", network)));
            units = (int)shape[0];
            tileRows = tileColumns = side;
        }
        int shown = First > 0 ? Math.Min(First, units) : units;
        int columns = Columns > 0 ? Columns : (int)Math.Ceiling(Math.Sqrt(shown));
        // The first layer's weights, one unit (row) after another.
        float[] weights = network.GetWeights(firstIndex)[..(shown * tileRows * tileColumns)];
        WritePicture(() => WeightGrid.Render(weights, shown, tileRows, tileColumns, Scale, columns),
            filters ? $"the first convolution's {shown} filters" : $"the first-layer weights of {shown} hidden units");
    }
}
