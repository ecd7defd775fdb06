namespace MnistTools.Tests.Training;

/// <summary>
/// Tests that measure allocation windows (<see cref="AllocationTests.Allocated"/>: a window with a garbage collection in it
/// is measured again) run alone, after the parallel test classes: the large buffers other classes allocate at the same
/// time set off collections often enough to void every window.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation windows";
}
