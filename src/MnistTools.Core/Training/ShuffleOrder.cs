using MnistTools.Randomness;

namespace MnistTools.Training;

/// <summary>
/// The order in which an epoch visits the training images: a pure function of (training seed, global epoch number,
/// image count). Global epoch E = network.EpochsTrained + 1 at the epoch's start, so a run resumed from a saved or
/// partly trained network continues with exactly the orders an uninterrupted run would have used.
/// Algorithm: start from 0..n-1, Fisher-Yates shuffle (<see cref="SeededRandom.Shuffle"/>) with a generator seeded by
/// <see cref="SeededRandom.Derive"/>((ulong)(uint)seed, E).
/// </summary>
public static class ShuffleOrder
{
    public static void Fill(Span<int> order, int seed, int globalEpoch)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new SeededRandom(SeededRandom.Derive(unchecked((ulong)(uint)seed), (ulong)globalEpoch)).Shuffle(order);
    }
}
