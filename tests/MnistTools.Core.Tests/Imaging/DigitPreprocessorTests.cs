using MnistTools.Errors;
using MnistTools.Imaging;

namespace MnistTools.Tests.Imaging;

public class DigitPreprocessorTests
{
    // An "L": a tall bar and a foot, off-centre in a large picture, so the centre of mass is not the box centre.
    private static readonly (int, int, int, int)[] LShape = { (150, 40, 30, 180), (150, 190, 100, 30) };

    [Fact]
    public void DarkOnLightStrokeIsCroppedScaledToTwentyAndCentredByMass()
    {
        byte[] picture = PictureHelpers.Canvas(400, 300, 255, 0, LShape);
        MnistImage image = DigitPreprocessor.Preprocess(picture, 400, 300, "l.png");

        Assert.Equal(28, image.Rows);
        Assert.Equal(28, image.Columns);
        Assert.Null(image.Label);
        (int _, int _, int width, int height) = PictureHelpers.InkBox(image);
        Assert.Equal(20, height);                                   // box 100 x 180: the longer side becomes 20
        Assert.Equal((int)Math.Round(100 * 20.0 / 180), width);     // 11: the aspect ratio is kept
        (double cx, double cy) = PictureHelpers.CentreOfMass(image);
        Assert.InRange(cx, 13.5, 14.5);
        Assert.InRange(cy, 13.5, 14.5);
        Assert.Equal(255, image.Pixels.Max());
        Assert.Equal(0, image.Pixels[0]);
    }

    [Fact]
    public void LightOnDarkGivesTheSameImageAsDarkOnLight()
    {
        byte[] darkOnLight = PictureHelpers.Canvas(400, 300, 255, 0, LShape);
        byte[] lightOnDark = PictureHelpers.Canvas(400, 300, 0, 255, LShape);
        Assert.True(DigitPreprocessor.HasLightBackground(darkOnLight, 400, 300));
        Assert.False(DigitPreprocessor.HasLightBackground(lightOnDark, 400, 300));
        MnistImage a = DigitPreprocessor.Preprocess(darkOnLight, 400, 300);
        MnistImage b = DigitPreprocessor.Preprocess(lightOnDark, 400, 300);
        Assert.Equal(a.Pixels, b.Pixels);
    }

    [Fact]
    public void WideStrokeKeepsItsAspectRatio()
    {
        byte[] picture = PictureHelpers.Canvas(500, 200, 250, 10, (40, 80, 160, 40));
        MnistImage image = DigitPreprocessor.Preprocess(picture, 500, 200);
        (int left, int top, int width, int height) = PictureHelpers.InkBox(image);
        Assert.Equal(20, width);
        Assert.Equal(5, height);
        Assert.Equal(4, left);                                      // 20 wide, centred: columns 4..23
        Assert.Equal(12, top);                                      // 5 high: mass centre row 2 of 5 goes to row 14, so rows 12..16
        (double cx, double cy) = PictureHelpers.CentreOfMass(image);
        Assert.InRange(cx, 13.5, 14.5);
        Assert.InRange(cy, 13.5, 14.5);
    }

    [Fact]
    public void DownscalingIsAntialiased()
    {
        // 7 px wide bar scaled by 20/93: its edges fall inside output pixels, which must come out grey, not black or white.
        byte[] picture = PictureHelpers.Canvas(300, 300, 255, 0, (100, 100, 93, 93), (100, 100, 7, 150));
        MnistImage image = DigitPreprocessor.Preprocess(picture, 300, 300);
        Assert.Contains(image.Pixels, p => p is > 0 and < 255);
    }

    [Fact]
    public void PaperNoiseDoesNotWidenTheBox()
    {
        var random = new Random(7);
        byte[] picture = PictureHelpers.Canvas(400, 300, 255, 0, LShape);
        for (int i = 0; i < picture.Length; i++)
            if (picture[i] == 255) picture[i] = (byte)random.Next(225, 256);   // grainy paper, up to 30 levels dark
        MnistImage noisy = DigitPreprocessor.Preprocess(picture, 400, 300);
        MnistImage clean = DigitPreprocessor.Preprocess(PictureHelpers.Canvas(400, 300, 255, 0, LShape), 400, 300);
        Assert.Equal(PictureHelpers.InkBox(clean), PictureHelpers.InkBox(noisy));
    }

    [Fact]
    public void TinyPictureIsScaledUp()
    {
        byte[] picture = PictureHelpers.Canvas(12, 12, 255, 0, (4, 1, 3, 10));
        MnistImage image = DigitPreprocessor.Preprocess(picture, 12, 12);
        (int _, int _, int width, int height) = PictureHelpers.InkBox(image);
        Assert.Equal(20, height);
        Assert.Equal(6, width);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(0)]
    [InlineData(128)]
    public void BlankPictureIsInvalidData(byte level)
    {
        byte[] picture = PictureHelpers.Canvas(50, 40, level, level);
        picture[100] = (byte)(level > 127 ? level - 20 : level + 20);   // a speck below the minimum contrast
        var e = Assert.Throws<MnistToolsException>(() => DigitPreprocessor.Preprocess(picture, 50, 40, "blank.png"));
        Assert.Equal("ImageHasNoInk", e.ErrorId);
        Assert.Equal(FailureKind.InvalidData, e.Kind);
        Assert.Equal("blank.png", e.Target);
    }

    [Fact]
    public void DigitTouchingTheBorderIsStillFound()
    {
        // Ink reaching the picture's edge: the border median is still the paper.
        byte[] picture = PictureHelpers.Canvas(100, 100, 255, 0, (0, 10, 20, 90));
        MnistImage image = DigitPreprocessor.Preprocess(picture, 100, 100);
        Assert.Equal(20, PictureHelpers.InkBox(image).Height);
    }
}
