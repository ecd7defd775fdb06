using MnistTools.Errors;
using MnistTools.Layers;

namespace MnistTools.Tests.Layers;

/// <summary>The layer-size rules of -LayerSizes: the parameter count's limit is checked in 64 bits, so a size whose
/// weights overflow an int is NetworkTooLarge, not an overflow.</summary>
public sealed class LayerSizesTests
{
    [Theory]
    [InlineData(46340)]  // 2,147,395,600 weights in the first layer: within int, beyond the limit
    [InlineData(46341)]  // 2,147,488,281: beyond int itself
    [InlineData(1 << 20)]
    public void AFirstLayerBeyondTheLimitIsNetworkTooLarge(int size)
    {
        var e = Assert.Throws<MnistToolsException>(() => new Network([size, size, 10], Activation.ReLU, Activation.Softmax, Loss.CrossEntropy));
        Assert.Equal(ErrorIds.NetworkTooLarge, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
        Assert.Equal("LayerSizes", e.Target);
    }
}
