using System.Numerics.Tensors;

namespace MnistTools.Training;

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
    /// <param name="z">Z [B x K].</param>
    /// <param name="a">A [B x K], written.</param>
    /// <param name="rowMax">[B], written for Softmax.</param>
    /// <param name="rowSum">[B], written for Softmax.</param>
    public static void OutputForward(OutputActivation outputActivation, ReadOnlySpan<float> z, Span<float> a,
        Span<float> rowMax, Span<float> rowSum, int batch, int classes)
    {
        if (outputActivation == OutputActivation.Sigmoid)
        {
            TensorPrimitives.Sigmoid(z.Slice(0, batch * classes), a.Slice(0, batch * classes));
            return;
        }
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> zRow = z.Slice(r * classes, classes);
            Span<float> aRow = a.Slice(r * classes, classes);
            float max = TensorPrimitives.Max(zRow);
            TensorPrimitives.Subtract(zRow, max, aRow);
            TensorPrimitives.Exp(aRow, aRow);
            float sum = TensorPrimitives.Sum(aRow);
            TensorPrimitives.Divide(aRow, sum, aRow);
            rowMax[r] = max;
            rowSum[r] = sum;
        }
    }

    /// <summary>Sum over the batch of the per-sample loss (in double), and optionally the output gradient dZ.</summary>
    /// <param name="gradient">dZ [B x K], written scaled by <paramref name="scale"/> (1/B of the whole batch, which may be
    /// larger than these <paramref name="batch"/> rows when it is split into lanes); empty to skip.</param>
    public static double LossAndGradient(OutputActivation outputActivation, Loss loss, ReadOnlySpan<float> z, ReadOnlySpan<float> a,
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
                if (outputActivation == OutputActivation.Sigmoid)
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

            if (outputActivation == OutputActivation.Softmax)
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
