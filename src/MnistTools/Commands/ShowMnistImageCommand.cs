using System.Management.Automation;
using System.Text;
using MnistTools.Errors;
using MnistTools.Infrastructure;

namespace MnistTools.Commands;

/// <summary>
/// <para type="synopsis">Draws images in the console with Unicode shading, several side by side.</para>
/// <para type="description">Takes MnistImage or Classification objects (a Classification's caption reads
/// "predicted X, true Y"). Each text cell covers one pixel column and two pixel rows, so a 28x28 image is
/// 28 characters wide and 14 lines high with the right aspect ratio. The drawing is written to the pipeline as
/// strings, one per line (capture it, or let the host print it).</para>
/// </summary>
[Cmdlet(VerbsCommon.Show, "MnistImage")]
[OutputType(typeof(string))]
public sealed class ShowMnistImageCommand : PSCmdlet
{
    /// <summary>Width assumed when there is no console to ask.</summary>
    public const int FallbackWidth = 120;

    private const int Gap = 2;
    private const int MinCellWidth = 20;

    /// <summary>Grey levels 0..4 as shades: blank, light, medium, dark, full.</summary>
    private static readonly char[] Shades = [' ', '░', '▒', '▓', '█'];

    private readonly List<(MnistImage Image, string Caption)> _row = new();
    private int _perRow;

    /// <summary>An MnistImage or a Classification (whose GetImage() is drawn).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object? InputObject { get; set; }

    /// <summary>Images per row (default: as many as fit the console width, or 120 columns without a console).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Columns { get; set; }

    protected override void BeginProcessing() =>
        _perRow = MyInvocation.BoundParameters.ContainsKey(nameof(Columns)) ? Columns : 0;

    protected override void ProcessRecord()
    {
        object input = InputObject is PSObject ps ? ps.BaseObject : InputObject!;
        foreach (object item in input is object[] many ? many.Select(o => o is PSObject p ? p.BaseObject : o) : [input])
        {
            switch (item)
            {
                case MnistImage image:
                    Add(image, $"#{image.Index} label {(image.Label?.ToString() ?? "?")}");
                    break;
                case Classification c when c.GetImage() is MnistImage image:
                    Add(image, $"#{c.Index} predicted {c.Predicted}{(c.Label is int l ? $", true {l}" : "")}");
                    break;
                default:
                    WriteError(ErrorRecords.From(new MnistToolsException(ErrorIds.UnsupportedInput, FailureKind.InvalidArgument,
                        $"Show-MnistImage draws MnistImage objects and Classifications that carry their image; got {(item is Classification ? "a Classification without an image" : item.GetType().FullName)}.",
                        item)));
                    break;
            }
        }
    }

    protected override void EndProcessing() => Flush();

    private void Add(MnistImage image, string caption)
    {
        if (_row.Count > 0 && _row[0].Image.Rows != image.Rows) Flush(); // keep rows of equal height
        _row.Add((image, caption));
        if (_perRow == 0) _perRow = Math.Max(1, (ConsoleWidth() + Gap) / (CellWidth(image) + Gap));
        if (_row.Count >= _perRow) Flush();
    }

    private void Flush()
    {
        if (_row.Count == 0) return;
        foreach (string line in Render(_row)) WriteObject(line);
        WriteObject(string.Empty);
        _row.Clear();
    }

    private static int CellWidth(MnistImage image) => Math.Max(image.Columns, MinCellWidth);

    /// <summary>Lines of text for images drawn side by side: a caption line, then (Rows+1)/2 lines of pixels.</summary>
    private static IEnumerable<string> Render(IReadOnlyList<(MnistImage Image, string Caption)> images)
    {
        int height = images.Max(x => (x.Image.Rows + 1) / 2);
        var line = new StringBuilder();
        for (int y = -1; y < height; y++)
        {
            line.Clear();
            for (int k = 0; k < images.Count; k++)
            {
                (MnistImage image, string caption) = images[k];
                int width = CellWidth(image);
                if (k > 0) line.Append(' ', Gap);
                if (y < 0) line.Append(caption.Length > width ? caption[..width] : caption.PadRight(width));
                else
                {
                    for (int x = 0; x < image.Columns; x++) line.Append(Cell(image, x, 2 * y));
                    line.Append(' ', width - image.Columns);
                }
            }
            yield return line.ToString().TrimEnd();
        }
    }

    /// <summary>
    /// One character for pixels (x, y) above and (x, y+1) below: a shade for their common level, or a half block
    /// where one is ink and the other background, so strokes keep their vertical resolution.
    /// </summary>
    private static char Cell(MnistImage image, int x, int y)
    {
        int top = Level(image.Pixels[y * image.Columns + x]);
        int bottom = y + 1 < image.Rows ? Level(image.Pixels[(y + 1) * image.Columns + x]) : 0;
        if (top == bottom) return Shades[top];
        if (bottom == 0 && top >= 3) return '▀';
        if (top == 0 && bottom >= 3) return '▄';
        return Shades[(top + bottom + 1) / 2];
    }

    /// <summary>Grey level 0..255 to shade 0..4 (0 only for true background, so faint strokes stay visible).</summary>
    private static int Level(byte grey) => grey == 0 ? 0 : 1 + grey * 4 / 256;

    private int ConsoleWidth()
    {
        try
        {
            int width = Host?.UI?.RawUI?.BufferSize.Width ?? 0;
            return width > 0 ? width : FallbackWidth;
        }
        catch (Exception e) when (e is NotImplementedException or PSNotImplementedException or System.Management.Automation.Host.HostException or IOException or InvalidOperationException)
        {
            return FallbackWidth;
        }
    }
}
