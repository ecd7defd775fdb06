using System.Management.Automation;
using System.Security.Cryptography;
using MnistTools.Errors;
using MnistTools.Infrastructure;
using MnistTools.Layers;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Creates a feed-forward network (dense or convolutional) with seeded starting weights.</para>
/// <para type="description">-LayerSizes builds a dense network; -Layers takes a list of layer specs (Dense, Conv2d,
/// MaxPool2d, Dropout, Flatten) on images of -InputShape. Without -Seed a random seed is chosen and recorded in the
/// network's Seed property, so the network can always be recreated exactly.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "Network", DefaultParameterSetName = LayerSizesSet)]
[OutputType(typeof(Network))]
public sealed class NewNetworkCommand : PSCmdlet
{
    private const string LayerSizesSet = "LayerSizes";
    private const string LayersSet = "Layers";

    /// <summary>Units per layer, input first, e.g. 784,20,16,10. At least two sizes, each at least 1.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = LayerSizesSet)]
    [ValidateNotNull]
    public int[] LayerSizes { get; set; } = Array.Empty<int>();

    /// <summary>Layer specs, e.g. 'Conv2d 32 3 ReLU', 'MaxPool2d 2', 'Dense 10 Softmax'.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LayersSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LayerSpecCompleter))]
    public string[] Layers { get; set; } = Array.Empty<string>();

    /// <summary>One image's shape: channels,height,width (default 1,28,28) or a number of values.</summary>
    [Parameter(ParameterSetName = LayersSet)]
    [ValidateNotNullOrEmpty]
    public int[] InputShape { get; set; } = { 1, 28, 28 };

    /// <summary>Hidden-layer activation.</summary>
    [Parameter(ParameterSetName = LayerSizesSet)]
    public Activation Activation { get; set; } = Activation.Sigmoid;

    /// <summary>Output-layer activation.</summary>
    [Parameter(ParameterSetName = LayerSizesSet)]
    public Activation OutputActivation { get; set; } = Activation.Sigmoid;

    /// <summary>The cost: Quadratic by default with -LayerSizes (the original script's), CrossEntropy with -Layers.</summary>
    [Parameter]
    public Loss Loss { get; set; } = Loss.Quadratic;

    /// <summary>Default: Xavier for Sigmoid/Tanh, He for ReLU/LeakyReLU.</summary>
    [Parameter]
    public Initializer Initializer { get; set; } = Initializer.Default;

    /// <summary>Seed of the starting weights (and the default training seed). Random when omitted.</summary>
    [Parameter]
    public int Seed { get; set; }

    protected override void ProcessRecord()
    {
        int seed = MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : RandomNumberGenerator.GetInt32(int.MaxValue);
        try
        {
            Network network;
            if (ParameterSetName == LayersSet)
            {
                Loss loss = MyInvocation.BoundParameters.ContainsKey(nameof(Loss)) ? Loss : Loss.CrossEntropy;
                network = new Network(InputShape, LayerSpec.ParseAll(Layers), loss, Initializer, seed);
            }
            else
            {
                network = new Network(LayerSizes, Activation, OutputActivation, Loss, Initializer, seed);
            }
            WriteVerbose($"Created {network.Description}, {Initializer} initializer, seed {seed}" +
                         (MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? "." : " (chosen at random; pass -Seed to recreate it)."));
            WriteObject(network);
        }
        catch (MnistToolsException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
    }
}
