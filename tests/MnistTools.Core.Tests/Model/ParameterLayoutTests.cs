namespace MnistTools.Tests.Model;

/// <summary>The parameter count's limit is checked before any offset is narrowed to int.</summary>
public sealed class ParameterLayoutTests
{
    [Theory]
    [InlineData(46340)]  // 2,147,395,600 weights in the first layer: within int, beyond the limit
    [InlineData(46341)]  // 2,147,488,281: beyond int itself
    [InlineData(1 << 20)]
    public void AFirstLayerBeyondTheLimitIsNetworkTooLarge(int size)
    {
        var e = Assert.Throws<MnistToolsException>(() => new ParameterLayout([size, size, 10]));
        Assert.Equal(LayerSpec.NetworkTooLargeErrorId, e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }
}
