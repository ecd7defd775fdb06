using System.Diagnostics;
using MnistTools.Numerics;
using MnistTools.Training;
namespace MnistTools.Benchmarks;
public static class Scratch
{
    static double T(string name, Action a, int reps = 3000)
    {
        for (int i = 0; i < 200; i++) a();
        var s = new List<double>();
        for (int k = 0; k < 7; k++) { long t = Stopwatch.GetTimestamp(); for (int i = 0; i < reps; i++) a(); s.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds * 1000 / reps); }
        double m = EndToEnd.Median(s); Console.WriteLine($"{name,-40} {m,8:F2} us"); return m;
    }
    public static void Run(int caseIndex)
    {
        var data = MnistFiles.Load(true);
        var c = NetworkCase.All[caseIndex];
        var net = c.CreateNetwork(); var layout = net.Layout;
        int rows = (c.BatchSize + 1) / 2;
        var ws = new Workspace(layout, rows, true);
        var order = new int[data.Count]; ShuffleOrder.Fill(order, 1, 1);
        int step = 0;
        T("load shuffled", () => { ws.LoadBatch(data, order.AsSpan((step++ % 1000) * rows, rows)); });
        T("load sequential", () => { ws.LoadRange(data, (step++ % 1000) * rows, rows); });
        T("forward", () => Propagation.Forward(net, ws.Input, rows, ws));
        T("backward", () => Propagation.Backward(net, ws.Input, rows, 1f / c.BatchSize, ws));
        var p = net.Parameters.ToArray();
        for (int l = 0; l < layout.LayerCount; l++)
        {
            int i = layout.LayerSizes[l], o = layout.LayerSizes[l + 1];
            float[] input = l == 0 ? ws.Input : ws.A[l - 1];
            int ll = l;
            T($"L{l} DenseForward {rows}x{o}x{i}", () => DenseLayer.DenseForward(input.AsSpan(0, rows * i), layout.Weights((ReadOnlySpan<float>)p, ll), layout.Biases((ReadOnlySpan<float>)p, ll), ws.Z[ll].AsSpan(0, rows * o), rows, i, o));
            T($"L{l} Gemm fwd only", () => Gemm.Multiply(input.AsSpan(0, rows * i), layout.Weights((ReadOnlySpan<float>)p, ll), ws.Z[ll].AsSpan(0, rows * o), rows, o, i, false, true, false));
            if (l < layout.LayerCount - 1) T($"L{l} ActivationForward", () => ActivationFunctions.ActivationForward(net.Activation, ws.Z[ll].AsSpan(0, rows * o), ws.A[ll].AsSpan(0, rows * o)));
            if (l < layout.LayerCount - 1) T($"L{l} ActivationBackward", () => ActivationFunctions.ActivationBackward(net.Activation, ws.Z[ll].AsSpan(0, rows * o), ws.A[ll].AsSpan(0, rows * o), ws.DeltaB.AsSpan(0, rows * o)));
            T($"L{l} DenseBackward", () => DenseLayer.DenseBackward(ws.DeltaA.AsSpan(0, rows * o), input.AsSpan(0, rows * i), layout.Weights((ReadOnlySpan<float>)p, ll), layout.Weights((Span<float>)ws.Gradients, ll), layout.Biases((Span<float>)ws.Gradients, ll), ll == 0 ? Span<float>.Empty : ws.DeltaB.AsSpan(0, rows * i), rows, i, o));
            T($"L{l} Gemm dW only", () => Gemm.Multiply(ws.DeltaA.AsSpan(0, rows * o), input.AsSpan(0, rows * i), layout.Weights((Span<float>)ws.Gradients, ll), o, i, rows, true, false, false));
        }
        int last = layout.LayerCount - 1;
        T("OutputForward", () => OutputLayer.OutputForward(net.OutputActivation, ws.Z[last], ws.A[last], ws.RowMax, ws.RowSum, rows, layout.OutputSize));
        T("LossAndGradient", () => OutputLayer.LossAndGradient(net.OutputActivation, net.Loss, ws.Z[last], ws.A[last], ws.RowMax, ws.RowSum, ws.Labels.AsSpan(0, rows), ws.DeltaA.AsSpan(0, rows * layout.OutputSize), rows, layout.OutputSize, 0.01f));
    }
}
