# Helpers for the network cmdlet tests: data sets built without the data cmdlets (only the core's IdxReader),
# so these tests need nothing but New-Network, Invoke-Training, Test-Network and Get-Classification.

function Get-TestMnistSet {
    # The real MNIST train or test set from $env:MNIST_DATA; fails loudly when the variable is unset.
    param([ValidateSet('Train', 'Test')][string] $Subset = 'Test', [int] $Skip = 0, [Nullable[int]] $First = $null)
    if (-not $env:MNIST_DATA) { throw 'MNIST_DATA is not set: point it at the folder holding the four MNIST .gz files.' }
    $names = [MnistTools.Data.IdxReader]::StandardFileNames($Subset -eq 'Train')
    [MnistTools.Data.IdxReader]::ReadDataSet((Join-Path $env:MNIST_DATA "$($names.Item1).gz"), (Join-Path $env:MNIST_DATA "$($names.Item2).gz"),
        "mnist-$($Subset.ToLower())", $Skip, $First, 10, [System.Threading.CancellationToken]::None)
}

function New-SyntheticSet {
    # $Count images of $Side x $Side pixels, $Classes classes: class c lights up row c (mod $Side), plus seeded noise.
    # -LabelShift k labels each image (c + k) mod $Classes: a set whose loss rises as a network learns the real task.
    param([int] $Count = 300, [int] $Side = 4, [int] $Classes = 3, [int] $Seed = 1, [string] $Name = 'synthetic', [int] $LabelShift = 0)
    $random = [MnistTools.Randomness.SeededRandom]::new([uint64]$Seed)
    $pixels = [byte[]]::new($Count * $Side * $Side)
    $labels = [byte[]]::new($Count)
    for ($i = 0; $i -lt $Count; $i++) {
        $label = $random.NextInt($Classes)
        $labels[$i] = ($label + $LabelShift) % $Classes
        for ($p = 0; $p -lt $Side * $Side; $p++) {
            $bright = [math]::Floor($p / $Side) -eq ($label % $Side)
            $pixels[$i * $Side * $Side + $p] = if ($bright) { 160 + $random.NextInt(96) } else { $random.NextInt(90) }
        }
    }
    [MnistTools.MnistDataSet]::new($Name, $null, $Side, $Side, $pixels, $labels, $Classes)
}
