using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MnistTools.Numerics;

/// <summary>
/// The single-threaded blocked multiply (Goto/BLIS loop nest) over one rectangle of C:
///   for each NC-wide column block of C
///     for each KC-deep slice of k       pack op(B)[KC x NC] into panels of kernel width
///       for each MC-tall row block       pack op(A)[MC x KC] into panels of MR rows
///         for each B panel, each A panel: micro-kernel on one MR x width tile.
/// The k slices are always cut at the same multiples of KC and each tile sums its slice in increasing p, so an
/// element of C gets the same bits whichever rectangle, thread or tile it is computed in.
/// </summary>
internal static unsafe class GemmBlocked
{
    /// <summary>Depth of a k slice: a 48-wide B panel (24 KiB) stays in L1 (48 KiB) next to an 8-row A panel (4 KiB).</summary>
    internal const int KC = 128;
    /// <summary>Rows of A packed at once (a multiple of every MR: 8, 6, 4); 192 KiB, resident in L2.</summary>
    internal const int MC = 192;
    /// <summary>Columns of B packed at once (a multiple of every panel width).</summary>
    internal const int NC = 1536;

    /// <summary>
    /// C[m x n] (+)= op(A) . op(B) with op(A)[i,p] = transA ? a[p*lda + i] : a[i*lda + p] and
    /// op(B)[p,j] = transB ? b[j*ldb + p] : b[p*ldb + j]; C row stride ldc. Requires m, n, k &gt; 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run(InstructionSet path, float* a, int lda, bool transA, float* b, int ldb, bool transB,
        float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        int mr, vector, maxVectors;
        delegate*<int, float*, float*, float*, int, int, int, bool, void> k1, k2, k3;
        switch (path)
        {
            case InstructionSet.Avx512:
                mr = GemmKernelsAvx512.Rows; vector = 16; maxVectors = 3;
                k1 = &GemmKernelsAvx512.Kernel8x1; k2 = &GemmKernelsAvx512.Kernel8x2; k3 = &GemmKernelsAvx512.Kernel8x3;
                break;
            case InstructionSet.Avx2:
                mr = GemmKernelsAvx2.Rows; vector = 8; maxVectors = 2;
                k1 = &GemmKernelsAvx2.Kernel6x1; k2 = &GemmKernelsAvx2.Kernel6x2; k3 = null;
                break;
            default:
                mr = GemmKernelsPortable.Rows; vector = Vector<float>.Count; maxVectors = 2;
                k1 = &GemmKernelsPortable.Kernel4x1; k2 = &GemmKernelsPortable.Kernel4x2; k3 = null;
                break;
        }
        bool vectorizedPacking = path != InstructionSet.Portable;
        int maxWidth = maxVectors * vector;

        GemmWorkspace workspace = GemmWorkspace.ForCurrentThread();
        float* aPack = workspace.A, bPack = workspace.B;

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                bool overwrite = pc == 0 && !accumulate;

                // op(B)[pc.., jc..] -> panels of width w (the last one narrower, zero-padded to whole vectors).
                float* dst = bPack;
                for (int j = 0; j < nc; j += maxWidth)
                {
                    int cols = Math.Min(maxWidth, nc - j), width = PanelWidth(cols, vector);
                    if (transB) GemmPacking.PackTranspose(b + (long)(jc + j) * ldb + pc, ldb, cols, kc, dst, width, vectorizedPacking);
                    else GemmPacking.PackCopy(b + (long)pc * ldb + jc + j, ldb, cols, kc, dst, width);
                    dst += (long)kc * width;
                }

                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    dst = aPack;
                    for (int i = 0; i < mc; i += mr)
                    {
                        int rows = Math.Min(mr, mc - i);
                        if (transA) GemmPacking.PackCopy(a + (long)pc * lda + ic + i, lda, rows, kc, dst, mr);
                        else GemmPacking.PackTranspose(a + (long)(ic + i) * lda + pc, lda, rows, kc, dst, mr, vectorizedPacking);
                        dst += (long)kc * mr;
                    }

                    float* bPanel = bPack;
                    for (int j = 0; j < nc; j += maxWidth)
                    {
                        int cols = Math.Min(maxWidth, nc - j), width = PanelWidth(cols, vector);
                        var kernel = width == vector ? k1 : width == 2 * vector ? k2 : k3;
                        float* aPanel = aPack;
                        float* cTile = c + (long)ic * ldc + jc + j;
                        for (int i = 0; i < mc; i += mr)
                        {
                            kernel(kc, aPanel, bPanel, cTile, ldc, Math.Min(mr, mc - i), cols, overwrite);
                            aPanel += (long)kc * mr;
                            cTile += (long)mr * ldc;
                        }
                        bPanel += (long)kc * width;
                    }
                }
            }
        }
    }

    private static int PanelWidth(int cols, int vector) => RoundUp(cols, vector);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>
/// Packing buffers of one thread: allocated once, on the thread's first multiply, at the largest block sizes
/// (A: MC x KC, B: KC x (NC + widest panel), about 0.9 MiB together; pinned, 64-byte aligned), so no later call,
/// whatever its shape or chunk, allocates.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    /// <summary>Floats of the A block: MC rows (a multiple of every MR) x KC.</summary>
    internal const int AFloats = GemmBlocked.MC * GemmBlocked.KC;
    /// <summary>Floats of the B block: KC x (NC + 48), room for the last panel's padding.</summary>
    internal const int BFloats = GemmBlocked.KC * (GemmBlocked.NC + 48);

    [ThreadStatic] private static GemmWorkspace? t_current;

    private readonly float[] _a, _b;
    internal float* A { get; }
    internal float* B { get; }

    private GemmWorkspace()
    {
        A = Allocate(AFloats, out _a);
        B = Allocate(BFloats, out _b);
    }

    internal static GemmWorkspace ForCurrentThread() => t_current ??= new GemmWorkspace();

    private static float* Allocate(int floats, out float[] array)
    {
        array = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)((address + 63) & ~(nint)63);
    }
}
