using System.Management.Automation;
using System.Security.Cryptography;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Creates a feed-forward network with seeded starting weights.</para>
/// <para type="description">Without -Seed a random seed is chosen and recorded in the network's Seed property,
/// so the network can always be recreated exactly.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "Network")]
[OutputType(typeof(Network))]
public sealed class NewNetworkCommand : PSCmdlet
{
    /// <summary>Units per layer, input first, e.g. 784,20,16,10. At least two sizes, each at least 1.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public int[] LayerSizes { get; set; } = Array.Empty<int>();

    /// <summary>Hidden-layer activation.</summary>
    [Parameter]
    public Activation Activation { get; set; } = Activation.Sigmoid;

    /// <summary>Output-layer activation.</summary>
    [Parameter]
    public OutputActivation OutputActivation { get; set; } = OutputActivation.Sigmoid;

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
            var network = new Network(LayerSizes, Activation, OutputActivation, Loss, Initializer, seed);
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
