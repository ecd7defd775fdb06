using System.Management.Automation;
using MnistTools.Errors;
using MnistTools.Infrastructure;
using MnistTools.Training;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Takes images out of an MnistDataSet as MnistImage objects.</para>
/// <para type="description">Selects by -Index (in the order given), keeps those whose label is in -Label, then
/// stops after -First. Without parameters every image of the set is emitted, streaming. With -Augment each image is
/// emitted as Invoke-Training -Augment distorts it for that -Seed and -Epoch (pipe them to Export-MnistImage to see).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "MnistImage")]
[OutputType(typeof(MnistImage))]
public sealed class GetMnistImageCommand : PSCmdlet
{
    /// <summary>The set to take images from.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("InputObject")]
    [ValidateNotNull]
    public MnistDataSet? DataSet { get; set; }

    /// <summary>Zero-based positions of the images to emit, in this order.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public int[]? Index { get; set; }

    /// <summary>Emit at most this many images (per set).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; }

    /// <summary>Keep only images whose label is one of these.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateRange(0, 255)]
    public int[]? Label { get; set; }

    /// <summary>Emit each image as Invoke-Training -Augment shows it in epoch -Epoch with -Seed (grey levels rounded).</summary>
    [Parameter]
    public Augmentation Augment { get; set; } = Augmentation.None;

    /// <summary>With -Augment: the training seed (Invoke-Training's -Seed, or the network's Seed when that is not given).</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>With -Augment: the epoch number (the network's EpochsTrained + 1 of the call), 1 by default.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Epoch { get; set; } = 1;

    protected override void BeginProcessing()
    {
        if (Augment == Augmentation.None && (MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) || MyInvocation.BoundParameters.ContainsKey(nameof(Epoch))))
            WriteWarning("-Seed and -Epoch apply to -Augment only; they are ignored without it.");
    }

    protected override void ProcessRecord()
    {
        MnistDataSet set = DataSet!;
        int limit = MyInvocation.BoundParameters.ContainsKey(nameof(First)) ? First : int.MaxValue;
        bool[]? keep = null;
        if (Label is not null && !set.IsLabelled)
        {
            WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.DataSetUnlabelled, FailureKind.InvalidArgument,
                $"'{set.Name}' has no labels, so -Label cannot pick its images.", nameof(Label))));
            return;
        }
        if (Label is not null)
        {
            keep = new bool[set.ClassCount];
            foreach (int label in Label)
            {
                if (label < set.ClassCount) keep[label] = true;
                else WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.LabelOutOfRange, FailureKind.InvalidArgument,
                    $"Label {label} cannot occur in '{set.Name}', whose labels are 0..{set.ClassCount - 1}.", label)));
            }
        }

        // One augmenter (its scratch) for all the images of a set.
        Distortions.ImageAugmenter? augmenter = Augment == Augmentation.None ? null : new(Augment, set.Rows, set.Columns);
        int emitted = 0;
        IEnumerable<int> positions = Index ?? Enumerable.Range(0, set.Count);
        foreach (int i in positions)
        {
            if (emitted >= limit) break;
            if ((uint)i >= (uint)set.Count)
            {
                WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.IndexOutOfRange, FailureKind.InvalidArgument,
                    $"Index {i} is outside '{set.Name}', which holds images 0..{set.Count - 1}.", i)));
                continue;
            }
            if (keep is not null && !keep[set.GetLabel(i)]) continue;
            WriteObject(augmenter is null ? set[i] : augmenter.Distort(set, i, Seed, Epoch));
            emitted++;
            if (Stopping) return;
        }
    }
}
