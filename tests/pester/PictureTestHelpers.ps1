# Helpers for the picture cmdlet tests: decode PNGs with the module's own SkiaSharp, build inputs in code.

$script:ModuleFolder = Split-Path -Parent $env:MNISTTOOLS_MODULE
Add-Type -Path (Join-Path $script:ModuleFolder 'MnistTools.Core.dll')
# The module keeps its graphics stack in its own load context (dependencies/). The tests reach the module's own
# copies through the loader instead of loading second copies into the default context (which would mix the two).
Import-Module $env:MNISTTOOLS_MODULE
function Get-DependencyType([string] $Assembly, [string] $Name) { [MnistTools.Loader.Dependencies]::GetType($Assembly, $Name) }
$script:GraphicsLibrary = Get-DependencyType MnistTools.Imaging MnistTools.Imaging.GraphicsLibrary
$script:ContactSheet = Get-DependencyType MnistTools.Imaging MnistTools.Imaging.ContactSheet
$script:WeightGrid = Get-DependencyType MnistTools.Imaging MnistTools.Imaging.WeightGrid
$script:TrainingChart = Get-DependencyType MnistTools.Imaging MnistTools.Imaging.TrainingChart
$script:SKBitmap = Get-DependencyType SkiaSharp SkiaSharp.SKBitmap
$script:SKColors = Get-DependencyType SkiaSharp SkiaSharp.SKColors
foreach ($name in 'SKCanvas', 'SKColor', 'SKPaint', 'SKRect', 'SKImage', 'SKEncodedImageFormat') {
    Set-Variable -Scope Script -Name $name -Value (Get-DependencyType SkiaSharp "SkiaSharp.$name")
}

function Read-Png {
    # The decoded picture (SKBitmap); fails when the file is not a PNG.
    param([Parameter(Mandatory)][string] $Path)
    $GraphicsLibrary::EnsureAvailable()
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    if ($bytes.Length -lt 8 -or $bytes[1] -ne 0x50 -or $bytes[2] -ne 0x4E -or $bytes[3] -ne 0x47) { throw "'$Path' is not a PNG." }
    $bitmap = $SKBitmap::Decode($bytes)
    if ($null -eq $bitmap) { throw "'$Path' does not decode." }
    $bitmap
}

function Get-Grey {
    # The grey level of a pixel of a decoded picture (asserts it is grey: R = G = B).
    param($Bitmap, [int] $X, [int] $Y)
    $c = $Bitmap.GetPixel($X, $Y)
    if ($c.Red -ne $c.Green -or $c.Green -ne $c.Blue) { throw "pixel ($X, $Y) is not grey: $c" }
    [int]$c.Red
}

function New-TestImage {
    # A 28x28 MnistImage with a bar of ink: columns $Left..$Left+$Width-1, rows 4..23.
    param([int] $Index = 0, [Nullable[int]] $Label = 1, [int] $Left = 11, [int] $Width = 6)
    $pixels = [byte[]]::new(784)
    for ($y = 4; $y -lt 24; $y++) { for ($x = $Left; $x -lt $Left + $Width; $x++) { $pixels[$y * 28 + $x] = 200 + $y } }
    [MnistTools.MnistImage]::new($Index, $Label, 28, 28, $pixels, 'test')
}

function Write-GreyPng {
    # Writes a [height x width] grey picture as PNG (for ConvertTo-MnistImage inputs).
    param([Parameter(Mandatory)][string] $Path, [int] $Width, [int] $Height, [byte] $Background, [byte] $Ink, [int[][]] $Rectangles)
    $GraphicsLibrary::EnsureAvailable()
    $bitmap = $SKBitmap::new($Width, $Height)
    $canvas = $SKCanvas::new($bitmap)
    $canvas.Clear($SKColor::new($Background, $Background, $Background))
    $paint = $SKPaint::new()
    $paint.Color = $SKColor::new($Ink, $Ink, $Ink)
    foreach ($r in $Rectangles) { $canvas.DrawRect($SKRect::Create($r[0], $r[1], $r[2], $r[3]), $paint) }
    $canvas.Dispose()
    $data = $SKImage::FromBitmap($bitmap).Encode($SKEncodedImageFormat::Png, 100)
    [System.IO.File]::WriteAllBytes($Path, $data.ToArray())
}

function Invoke-FreshPwsh {
    # Runs a script in a new pwsh process (same version as this one) with the given working folder; returns its output lines.
    param([Parameter(Mandatory)][string] $Script, [Parameter(Mandatory)][string] $WorkingFolder)
    $exe = [Environment]::ProcessPath
    $prefix = @()
    if ((Split-Path -Leaf $exe) -match '^dotnet(\.exe)?$') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    $scriptFile = Join-Path $WorkingFolder 'fresh.ps1'
    Set-Content -LiteralPath $scriptFile -Value $Script
    Push-Location $WorkingFolder
    try { & $exe @prefix -NoProfile -NonInteractive -File $scriptFile 2>&1 | ForEach-Object { "$_" } }
    finally { Pop-Location }
}
