# Helpers for the data cmdlet tests (dot-sourced in BeforeAll): tiny IDX files built in code, error capture.

function ConvertTo-Gzip([byte[]] $Bytes) {
    $out = [IO.MemoryStream]::new()
    $gz = [IO.Compression.GZipStream]::new($out, [IO.Compression.CompressionLevel]::Optimal, $true)
    $gz.Write($Bytes, 0, $Bytes.Length); $gz.Dispose()
    , $out.ToArray()
}

function Write-BigEndian([byte[]] $Bytes, [int] $Offset, [int] $Value) {
    for ($k = 0; $k -lt 4; $k++) { $Bytes[$Offset + $k] = ($Value -shr (8 * (3 - $k))) -band 0xFF }
}

# Image file bytes: magic 0x803, [count, rows, columns], pixel (image i, position p) = (7i + p) mod 256.
function New-IdxImageBytes([int] $Count, [int] $Rows = 28, [int] $Columns = 28, $DeclaredCount = $null) {
    $size = $Rows * $Columns
    [byte[]] $b = [byte[]]::new(16 + $Count * $size)
    Write-BigEndian $b 0 0x803
    Write-BigEndian $b 4 $(if ($null -ne $DeclaredCount) { $DeclaredCount } else { $Count })
    Write-BigEndian $b 8 $Rows
    Write-BigEndian $b 12 $Columns
    for ($i = 0; $i -lt $Count; $i++) { for ($p = 0; $p -lt $size; $p++) { $b[16 + $i * $size + $p] = (7 * $i + $p) % 256 } }
    , $b
}

# Label file bytes: magic 0x801, [count], labels given or i mod 10.
function New-IdxLabelBytes([int] $Count, [byte[]] $Labels = $null, $DeclaredCount = $null) {
    [byte[]] $b = [byte[]]::new(8 + $Count)
    Write-BigEndian $b 0 0x801
    Write-BigEndian $b 4 $(if ($null -ne $DeclaredCount) { $DeclaredCount } else { $Count })
    for ($i = 0; $i -lt $Count; $i++) { $b[8 + $i] = if ($Labels) { $Labels[$i] } else { $i % 10 } }
    , $b
}

function Write-Bytes([string] $Path, [byte[]] $Bytes) {
    New-Item -ItemType Directory -Force -Path (Split-Path $Path) | Out-Null
    [IO.File]::WriteAllBytes($Path, $Bytes)
    $Path
}

# A folder holding a standard-named test pair of $Count images (gzip unless -Raw).
function New-TinyMnistFolder([string] $Path, [int] $Count = 12, [switch] $Raw) {
    $images = New-IdxImageBytes $Count
    $labels = New-IdxLabelBytes $Count
    if ($Raw) {
        Write-Bytes (Join-Path $Path 't10k-images-idx3-ubyte') $images | Out-Null
        Write-Bytes (Join-Path $Path 't10k-labels-idx1-ubyte') $labels | Out-Null
    }
    else {
        Write-Bytes (Join-Path $Path 't10k-images-idx3-ubyte.gz') (ConvertTo-Gzip $images) | Out-Null
        Write-Bytes (Join-Path $Path 't10k-labels-idx1-ubyte.gz') (ConvertTo-Gzip $labels) | Out-Null
    }
    $Path
}

# Runs a command expecting exactly one (non-terminating or terminating) error; returns it.
function Get-SingleError([scriptblock] $Command) {
    $ErrorActionPreference = 'Continue'
    try { $errors = @(& $Command 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) }
    catch { return $_ }
    $errors.Count | Should -Be 1 -Because "exactly one error is expected, got: $($errors -join ' | ')"
    $errors[0]
}

function Get-MnistDataFolder {
    if (-not $env:MNIST_DATA) { throw 'MNIST_DATA is not set: point it at the folder holding the four MNIST .gz files (CI sets it).' }
    $env:MNIST_DATA
}
