#Requires -Version 7.4
<#
.SYNOPSIS
    The main job, run by `./build.ps1 demo` in a fresh pwsh: load MNIST and look at it (then, later, train on it).
#>
param([Parameter(Mandatory)][string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$root = Split-Path -Parent $PSScriptRoot

# ---- The data -------------------------------------------------------------------------------------------------
# $env:MNIST_DATA if set, else ./data/mnist, downloading it there (from the public mirrors) when it is missing.
$dataPath = if ($env:MNIST_DATA) { $env:MNIST_DATA } else { Join-Path $root 'data/mnist' }
if (-not $env:MNIST_DATA -and -not (Test-Path (Join-Path $dataPath 't10k-labels-idx1-ubyte*'))) {
    Write-Host "No `$env:MNIST_DATA and no ${dataPath}: downloading MNIST there."
    try {
        Save-MnistSet -Name Mnist -Path $dataPath -TimeoutSec 30 | Format-Table Name, Length, Status | Out-Host
    } catch {
        Write-Host ("demo: cannot run: `$env:MNIST_DATA is not set, and MNIST could not be downloaded into $dataPath (offline?): $($_.Exception.Message) " +
            "Set MNIST_DATA (and FASHION_MNIST_DATA, for the Fashion-MNIST part) to folders holding the four .gz files of MNIST (and Fashion-MNIST), " +
            "or run once with internet access.")
        exit 1
    }
}

$clock = [Diagnostics.Stopwatch]::StartNew()
$train = Import-MnistSet -Path $dataPath -Subset Train
$loadTrain = $clock.Elapsed.TotalMilliseconds
$test = Import-MnistSet -Path $dataPath -Subset Test
Write-Host "== MNIST: loaded $($train.Count) training images in $([int]$loadTrain) ms, $($test.Count) test images; $($train.Rows)x$($train.Columns) pixels, $($train.ClassCount) classes"
$train, $test | Format-Table | Out-Host

$trainCounts = $train.CountPerClass(); $testCounts = $test.CountPerClass()
Write-Host '== Images per digit'
0..($train.ClassCount - 1) | ForEach-Object {
    [pscustomobject]@{ Digit = $_; Train = $trainCounts[$_]; Test = $testCounts[$_]; 'Train %' = '{0:P1}' -f ($trainCounts[$_] / $train.Count) }
} | Format-Table -AutoSize | Out-Host

Write-Host '== The first test images'
$test | Get-MnistImage -First 8 | Show-MnistImage | Out-Host
Write-Host '== One of each digit from the training set'
0..9 | ForEach-Object { $train | Get-MnistImage -Label $_ -First 1 } | Show-MnistImage | Out-Host

if ($env:FASHION_MNIST_DATA) {
    $fashion = Import-MnistSet -Path $env:FASHION_MNIST_DATA -Subset Test -Name fashion-mnist-test
    $classes = 'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'
    Write-Host "== Fashion-MNIST ($env:FASHION_MNIST_DATA): $($fashion.Count) test images; the first four are $((0..3 | ForEach-Object { $classes[$fashion[$_].Label] }) -join ', ')"
    $fashion | Get-MnistImage -First 4 | Show-MnistImage | Out-Host
}

# =====================================================================================================
# Network part: train a good default network, show the learning curve, the test accuracy and
# a few digits it gets wrong, and save the curve to ./out/demo/learning-curve.csv.
# =====================================================================================================
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
$wrong | Show-MnistImage | Out-Host

$outFolder = Join-Path (Get-Location) 'out/demo'
New-Item -ItemType Directory -Force -Path $outFolder | Out-Null
$curvePath = Join-Path $outFolder 'learning-curve.csv'
$curve | Export-Csv -LiteralPath $curvePath -NoTypeInformation
Write-Host ("Test accuracy {0:P2} after {1} epochs ({2:F1} s of training). Learning curve saved to {3}" -f
    $result.Accuracy, $net.EpochsTrained, ($curve | Measure-Object Seconds -Sum).Sum, $curvePath)

# =====================================================================================================
# Pictures: the PNGs that README.md and docs/pictures.md show, redrawn into docs/images.
# =====================================================================================================
Write-Host '== Pictures ==' -ForegroundColor Cyan
& (Join-Path $PSScriptRoot 'pictures.ps1') -ModulePath $ModulePath | Format-List TestAccuracy, MyDigit, Pictures | Out-Host
