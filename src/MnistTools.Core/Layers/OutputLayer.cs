using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using MnistTools.Numerics;
using MnistTools.Training;

namespace MnistTools.Layers;

/// <summary>
/// The output activation and the loss, fused where the algebra allows. Shapes: B rows, K classes, one-hot targets y
/// from the labels. The loss is averaged over the batch, so the output gradient carries the factor 1/B.
///   forward   A = softmax(Z) row-wise (keeping each row's max and Σ exp(z − max)), or A = σ(Z)
///   loss      Quadratic: ½ Σ_k (a_k − y_k)²;  Softmax+CrossEntropy: log Σ exp(z) − z_label;
///             Sigmoid+CrossEntropy: Σ_k softplus(z_k) − y_k z_k  (= −[y ln a + (1−y) ln(1−a)], from Z so it stays finite)
///   backward  dZ = (A − Y)/B for Softmax+CrossEntropy and Sigmoid+CrossEntropy (fused);
///             Quadratic: g = (A − Y)/B, then dZ = g ⊙ a(1−a) (Sigmoid) or dZ_k = a_k (g_k − Σ_j g_j a_j) (Softmax).
/// </summary>
internal static class OutputLayer
{
    /// <summary>The class of the highest score (the first of equal ones; a NaN loses to any number).</summary>
    public static int PredictedClass(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int k = 1; k < scores.Length; k++) if (scores[k] > scores[best] || (float.IsNaN(scores[best]) && !float.IsNaN(scores[k]))) best = k;
        return best;
    }

    /// <param name="z">Z [B x K].</param>
    /// <param name="a">A [B x K], written.</param>
    /// <param name="rowMax">[B], written for Softmax.</param>
    /// <param name="rowSum">[B], written for Softmax.</param>
    /// <remarks>Softmax in three sweeps over the whole [B x K] block (row maxima and shifts, one vectorised exp, row sums
    /// and divisions) rather than five library calls per short row.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OutputForward(Activation outputActivation, ReadOnlySpan<float> z, Span<float> a,
        Span<float> rowMax, Span<float> rowSum, int batch, int classes)
    {
        if (outputActivation == Activation.Sigmoid)
        {
            VectorMath.Sigmoid(z.Slice(0, batch * classes), a.Slice(0, batch * classes));
            return;
        }
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> zRow = z.Slice(r * classes, classes);
            Span<float> aRow = a.Slice(r * classes, classes);
            // NaN propagates to the row maximum (as TensorPrimitives.Max), so a NaN logit gives a NaN row, never a silent 0.
            float max = zRow[0];
            for (int k = 1; k < classes; k++) max = float.IsNaN(zRow[k]) || zRow[k] > max ? zRow[k] : max;
            for (int k = 0; k < classes; k++) aRow[k] = zRow[k] - max;
            rowMax[r] = max;
        }
        Span<float> all = a.Slice(0, batch * classes);
        VectorMath.Exp(all, all);
        for (int r = 0; r < batch; r++)
        {
            Span<float> aRow = a.Slice(r * classes, classes);
            float sum = 0f;
            for (int k = 0; k < classes; k++) sum += aRow[k];
            for (int k = 0; k < classes; k++) aRow[k] /= sum;
            rowSum[r] = sum;
        }
    }

    /// <summary>Sum over the batch of the per-sample loss (in double), and optionally the output gradient dZ.</summary>
    /// <param name="gradient">dZ [B x K], written scaled by <paramref name="scale"/> (1/B of the whole batch, which may be
    /// larger than these <paramref name="batch"/> rows when it is split into lanes); empty to skip.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double LossAndGradient(Activation outputActivation, Loss loss, ReadOnlySpan<float> z, ReadOnlySpan<float> a,
        ReadOnlySpan<float> rowMax, ReadOnlySpan<float> rowSum, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes,
        float scale)
    {
        double total = 0;
        bool wantGradient = !gradient.IsEmpty;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> zRow = z.Slice(r * classes, classes);
            ReadOnlySpan<float> aRow = a.Slice(r * classes, classes);
            int label = labels[r];
            Span<float> gRow = wantGradient ? gradient.Slice(r * classes, classes) : default;

            if (loss == Loss.Quadratic)
            {
                double sample = 0;
                for (int k = 0; k < classes; k++)
                {
                    double diff = aRow[k] - (k == label ? 1.0 : 0.0);
                    sample += diff * diff;
                }
                total += 0.5 * sample;
                if (!wantGradient) continue;
                for (int k = 0; k < classes; k++) gRow[k] = (aRow[k] - (k == label ? 1f : 0f)) * scale;
                if (outputActivation == Activation.Sigmoid)
                {
                    for (int k = 0; k < classes; k++) gRow[k] *= aRow[k] * (1f - aRow[k]);
                }
                else
                {
                    // Softmax Jacobian: dZ_k = a_k (g_k − Σ_j g_j a_j).
                    float dot = TensorPrimitives.Dot(gRow, aRow);
                    for (int k = 0; k < classes; k++) gRow[k] = aRow[k] * (gRow[k] - dot);
                }
                continue;
            }

            if (outputActivation == Activation.Softmax)
                total += rowMax[r] + Math.Log(rowSum[r]) - zRow[label];
            else
                for (int k = 0; k < classes; k++) total += Softplus(zRow[k]) - (k == label ? zRow[k] : 0.0);
            if (wantGradient)
                for (int k = 0; k < classes; k++) gRow[k] = (aRow[k] - (k == label ? 1f : 0f)) * scale;
        }
        return total;
    }

    /// <summary>ln(1 + e^x) without overflow.</summary>
    public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
}
