using MnistTools.Errors;
using MnistTools.Numerics;
using MnistTools.Randomness;

namespace MnistTools.Distortions;

/// <summary>
/// Distorts training images on the fly (<see cref="Augmentation"/>). The distortion of an image is a pure function of
/// (kind, seed, epoch, image index): its random numbers come from a <see cref="CounterRandom"/> keyed by them, so a
/// batch split between two cores, another batch size, or a run resumed from a checkpoint sees the same images.
/// An instance holds the scratch for one image at a time (one per thread); nothing is allocated per image.
/// <list type="bullet">
/// <item>Shift: dx, dy each uniform in {−<see cref="MaxShift"/> .. <see cref="MaxShift"/>} whole pixels.</item>
/// <item>Affine: rotation uniform in ±<see cref="MaxRotationDegrees"/>°, scale uniform in
///   [<see cref="MinScale"/>, <see cref="MaxScale"/>], horizontal shear uniform in ±<see cref="MaxShear"/>, shift uniform in
///   ±<see cref="MaxTranslation"/> px on each axis; bilinear sampling about the image centre.</item>
/// <item>Elastic (Simard, Steinkraus and Platt, "Best practices for convolutional neural networks applied to visual document
///   analysis", ICDAR 2003): Dx, Dy uniform in [−1, 1) per pixel, each smoothed by a Gaussian of σ =
///   <see cref="ElasticSigma"/> px (taps to ⌈3σ⌉, zero beyond the picture) and scaled by α = <see cref="ElasticAlpha"/>;
///   the pixel at p takes the bilinear value at p + D(p).</item>
/// </list>
/// Draws (positions of the counter stream of the image): Shift 0-1, Affine 0-4, Elastic 0..HW−1 for Dx and HW..2HW−1 for Dy.
/// </summary>
public sealed class ImageAugmenter
{
    public const int MaxShift = 2;
    public const double MaxRotationDegrees = 10;
    public const double MinScale = 0.9, MaxScale = 1.1;
    public const double MaxShear = 0.2;
    public const double MaxTranslation = 2;
    public const double ElasticSigma = 4;
    public const double ElasticAlpha = 34;

    /// <summary>The high word of the generator's key: these draws never meet dropout's, whose key has high word 0.</summary>
    private const ulong Stream = 0x4155_4731UL << 32;

    private readonly float[] _padded;
    private readonly float[] _uniforms;
    private readonly float[] _fieldX, _fieldY, _temporary, _rowScratch;
    private readonly float[] _rowTaps, _columnTaps;
    private readonly int _stride;

    /// <param name="kind">The distortion; <see cref="Augmentation.None"/> copies the image.</param>
    /// <param name="rows">H of the images.</param>
    /// <param name="columns">W of the images.</param>
    public ImageAugmenter(Augmentation kind, int rows, int columns)
    {
        if (!Enum.IsDefined(kind))
            throw new MnistToolsException(ErrorIds.UnknownEnumValue, FailureKind.InvalidArgument, $"{kind} is not a valid Augmentation.", "Augment");
        if (rows < 1 || columns < 1 || (long)(rows + 2) * (columns + 8) * 2 > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(rows), $"An image of {rows}x{columns} pixels cannot be distorted.");
        Kind = kind;
        Rows = rows;
        Columns = columns;
        _padded = kind is Augmentation.Affine or Augmentation.Elastic ? new float[ImageWarp.PaddedSize(rows, columns)] : Array.Empty<float>();
        if (kind == Augmentation.Elastic)
        {
            _stride = ImageWarp.FieldStride(columns);
            _uniforms = new float[2 * rows * columns];
            _fieldX = new float[rows * _stride];
            _fieldY = new float[rows * _stride];
            _temporary = new float[rows * _stride];
            _rowTaps = ImageWarp.GaussianTaps(ElasticSigma);
            _columnTaps = ImageWarp.GaussianTaps(ElasticSigma, ElasticAlpha);
            _rowScratch = new float[ImageWarp.RowScratchSize(_stride, _rowTaps.Length)];
        }
        else
        {
            _uniforms = _fieldX = _fieldY = _temporary = _rowScratch = _rowTaps = _columnTaps = Array.Empty<float>();
        }
    }

    public Augmentation Kind { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Elastic: Dx [H x <see cref="FieldStride"/>] of the last image distorted.</summary>
    internal ReadOnlySpan<float> FieldX => _fieldX;

    /// <summary>Elastic: Dy [H x <see cref="FieldStride"/>] of the last image distorted.</summary>
    internal ReadOnlySpan<float> FieldY => _fieldY;

    internal int FieldStride => _stride;

    /// <summary>inputs = the distorted image / 255, for image <paramref name="imageIndex"/> of a set in epoch <paramref name="epoch"/>.</summary>
    /// <param name="pixels">X [H x W] grey levels.</param>
    /// <param name="inputs">Y [H x W] in [0, 1], overwritten.</param>
    public void Distort(ReadOnlySpan<byte> pixels, int seed, int epoch, int imageIndex, Span<float> inputs)
    {
        int size = Rows * Columns;
        if (pixels.Length != size || inputs.Length != size) throw new ArgumentException($"The image must have {Rows}x{Columns} pixels.", nameof(pixels));
        var random = new CounterRandom(Stream | (uint)seed, epoch, imageIndex);
        switch (Kind)
        {
            case Augmentation.None:
                PixelScaling.ToInputs(pixels, inputs);
                break;
            case Augmentation.Shift:
                int span = 2 * MaxShift + 1;
                int dx = (int)(random.Uniform(0) * span) - MaxShift, dy = (int)(random.Uniform(1) * span) - MaxShift;
                ImageWarp.Shift(pixels, Rows, Columns, dx, dy, inputs);
                break;
            case Augmentation.Affine:
                ImageWarp.Pad(pixels, Rows, Columns, _padded);
                ImageWarp.Affine(_padded, DrawAffine(random), Rows, Columns, inputs);
                break;
            default:
                ImageWarp.Pad(pixels, Rows, Columns, _padded);
                DrawElasticField(random);
                ImageWarp.Displace(_padded, _fieldX, _fieldY, Rows, Columns, _stride, inputs);
                break;
        }
    }

    /// <summary>The affine map of one image: five uniforms, each spread symmetrically over its range.</summary>
    private static AffineMap DrawAffine(in CounterRandom random)
    {
        static double Symmetric(float u, double limit) => (2.0 * u - 1.0) * limit;
        double radians = Symmetric(random.Uniform(0), MaxRotationDegrees) * Math.PI / 180;
        double scale = MinScale + random.Uniform(1) * (MaxScale - MinScale);
        return AffineMap.From(radians, scale, Symmetric(random.Uniform(2), MaxShear),
            Symmetric(random.Uniform(3), MaxTranslation), Symmetric(random.Uniform(4), MaxTranslation));
    }

    /// <summary>Dx, Dy [H x stride] = α · G ∗ U(−1, 1).</summary>
    private void DrawElasticField(in CounterRandom random)
    {
        int size = Rows * Columns;
        random.Fill(0, _uniforms);
        for (int y = 0; y < Rows; y++)
            for (int x = 0; x < Columns; x++)
            {
                _fieldX[y * _stride + x] = 2f * _uniforms[y * Columns + x] - 1f;
                _fieldY[y * _stride + x] = 2f * _uniforms[size + y * Columns + x] - 1f;
            }
        ImageWarp.Smooth(_fieldX, Rows, Columns, _stride, _rowTaps, _columnTaps, _rowScratch, _temporary);
        ImageWarp.Smooth(_fieldY, Rows, Columns, _stride, _rowTaps, _columnTaps, _rowScratch, _temporary);
    }

    /// <summary>
    /// Image <paramref name="index"/> of <paramref name="data"/> (whose images have this augmenter's size) as training
    /// with this kind, seed and epoch shows it, its grey levels rounded to bytes (for pictures and inspection).
    /// </summary>
    public MnistImage Distort(MnistDataSet data, int index, int seed, int epoch)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows != Rows || data.Columns != Columns)
            throw new ArgumentException($"'{data.Name}' holds {data.Rows}x{data.Columns} images; this augmenter distorts {Rows}x{Columns}.", nameof(data));
        if ((uint)index >= (uint)data.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in 0..{data.Count - 1}.");
        var inputs = new float[data.ImageSize];
        Distort(data.GetPixels(index), seed, epoch, index, inputs);
        var pixels = new byte[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) pixels[i] = (byte)Math.Clamp(MathF.Round(inputs[i] * PixelScaling.MaxGrey), 0f, 255f);
        int? label = data.IsLabelled ? data.GetLabel(index) : null;
        return new MnistImage(index, label, data.Rows, data.Columns, pixels, data.Name)
        {
            ClassName = label is int l ? data.ClassName(l) : null,
            SetClassNames = data.ClassNames,
        };
    }
}
