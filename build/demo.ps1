#Requires -Version 7.4
<#
.SYNOPSIS
    The main job, run by `./build.ps1 demo` in a fresh pwsh: load MNIST and look at it.
#>
param([Parameter(Mandatory)][string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$train = Import-MnistSet -Subset Train
$test = Import-MnistSet -Subset Test
$train, $test | Format-Table -AutoSize | Out-Host
$test | Get-MnistImage -First 3 | Show-MnistImage

# =====================================================================================================
# Network part (issue 3): train a good default network, show the learning curve, the test accuracy and
# a few digits it gets wrong, and save the curve to ./out/demo/learning-curve.csv.
# Uses $train / $test from the data part above when they exist.
# =====================================================================================================
if (-not (Get-Variable -Name train -ValueOnly -ErrorAction Ignore) -or -not (Get-Variable -Name test -ValueOnly -ErrorAction Ignore)) {
    $dataFolder = if ($env:MNIST_DATA) { $env:MNIST_DATA } else { './data/mnist' }
    $train, $test = foreach ($isTrain in $true, $false) {
        $names = [MnistTools.IdxReader]::StandardFileNames($isTrain)
        [MnistTools.IdxReader]::ReadDataSet((Join-Path $dataFolder "$($names.Item1).gz"), (Join-Path $dataFolder "$($names.Item2).gz"),
            $(if ($isTrain) { 'mnist-train' } else { 'mnist-test' }), 0, $null, 10, [System.Threading.CancellationToken]::None)
    }
}

Write-Host "`n== A network: 784-128-10, ReLU hidden layer, softmax output, cross-entropy, Adam ==" -ForegroundColor Cyan
$net = New-Network -LayerSizes 784, 128, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 1
$net | Out-Host
$before = $test | Test-Network -Network $net
Write-Host ("Before training: {0:P2} of the test set correct (chance is about 10%)." -f $before.Accuracy)

Write-Host "`n== Training 3 epochs on $($train.Count) images (progress above, one row per epoch) ==" -ForegroundColor Cyan
$train | Invoke-Training -Network $net -Epochs 3 -BatchSize 32 -Optimizer Adam -LearningRate 0.001 -ValidationSet $test |
    Tee-Object -Variable curve | Out-Host

Write-Host '== Test set ==' -ForegroundColor Cyan
$result = $test | Test-Network -Network $net
$result | Format-List | Out-Host
$result.PerClass | Format-Table | Out-Host

Write-Host '== Some digits it gets wrong ==' -ForegroundColor Cyan
$wrong = @($test | Get-Classification -Network $net | Where-Object { -not $_.IsCorrect } | Select-Object -First 6)
$wrong | Format-Table | Out-Host
if (Get-Command Show-MnistImage -Module MnistTools -ErrorAction Ignore) {
    $wrong | Show-MnistImage
}
else {
    # Compact fallback: each image halved to 14x14 characters, side by side.
    $shades = ' .:-=+*#%@'
    $lines = [string[]]::new(15)
    foreach ($c in $wrong) {
        $p = $c.GetImage().Pixels
        $lines[0] += ('#{0} true {1} said {2}' -f $c.Index, $c.Label, $c.Predicted).PadRight(21)
        for ($r = 0; $r -lt 14; $r++) {
            $row = foreach ($col in 0..13) {
                $sum = $p[(2 * $r) * 28 + 2 * $col] + $p[(2 * $r) * 28 + 2 * $col + 1] + $p[(2 * $r + 1) * 28 + 2 * $col] + $p[(2 * $r + 1) * 28 + 2 * $col + 1]
                $shades[[math]::Min(9, [int][math]::Floor($sum / 1020.0 * 10))]
            }
            $lines[$r + 1] += (-join $row).PadRight(21)
        }
    }
    $lines | Out-Host
}

$outFolder = Join-Path (Get-Location) 'out/demo'
New-Item -ItemType Directory -Force -Path $outFolder | Out-Null
$curvePath = Join-Path $outFolder 'learning-curve.csv'
$curve | Export-Csv -LiteralPath $curvePath -NoTypeInformation
Write-Host ("Test accuracy {0:P2} after {1} epochs ({2:F1} s of training). Learning curve saved to {3}" -f
    $result.Accuracy, $net.EpochsTrained, ($curve | Measure-Object Seconds -Sum).Sum, $curvePath)
