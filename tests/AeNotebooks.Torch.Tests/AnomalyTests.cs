using Xunit;
using AeNotebooks.Torch;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Tests;

public class AnomalyTests
{
    [Fact]
    public void TheFirstOpThatTurnsFiniteInputsIntoNaNIsNamed()
    {
        var x = tensor(new float[] { 1, 0, -1 });
        using (autograd.detect_anomaly())
        {
            var e = Assert.Throws<AnomalyException>(() => x.log().mul(2.0)); // log(0) = −∞, log(−1) = NaN
            Assert.Equal("log", e.Op);
            Assert.Equal(2, e.NonFiniteCount);
            Assert.Equal((-1f, 1f), e.InputRanges[0]);
            Assert.Contains("op 'log'", e.Message);
        }
    }

    [Fact]
    public void NonFiniteValuesArrivingFromUpstreamAreNotBlamedOnTheNextOp()
    {
        var x = tensor(new float[] { float.NaN, 1 });
        using (autograd.detect_anomaly())
            Assert.Equal(new[] { float.NaN, 2f }, x.mul(2.0).ToArray()); // the NaN was already there: no throw
    }

    [Fact]
    public void OverflowInAMatrixProductIsCaught()
    {
        var x = full([2, 3], 2e38);
        var w = ones(4, 3);
        using (autograd.detect_anomaly())
            Assert.Equal("linear", Assert.Throws<AnomalyException>(() => nn.functional.linear(x, w)).Op);
    }

    [Fact]
    public void TheScopeEndsAndIsOffByDefault()
    {
        Assert.False(autograd.is_anomaly_enabled());
        using (autograd.detect_anomaly()) Assert.True(autograd.is_anomaly_enabled());
        Assert.False(autograd.is_anomaly_enabled());
        Assert.True(float.IsNegativeInfinity(tensor(new float[] { 0 }).log().item<float>())); // no check outside the scope
    }
}
