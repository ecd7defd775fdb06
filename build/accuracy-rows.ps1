#Requires -Version 7.4
<#
.SYNOPSIS
    Trains the networks of the README's accuracy tables again, through the cmdlets, and writes one object per row:
    the row, its target, the test accuracy at the end, the best epoch's, and the wall time. Run it after any change
    that alters the arithmetic (a new kernel that adds in another order) to refresh the tables.
.DESCRIPTION
    Every row is trained with -ValidationSet on the test set, so the wall times include one validation pass per epoch
    (as the README's convolutional table counts them). MNIST comes from $env:MNIST_DATA, Fashion-MNIST from
    $env:FASHION_MNIST_DATA. The trained networks and their learning curves go to -OutputFolder; the ensemble rows
    combine the saved bnnet-<seed> networks, so run them with (or after) the bnnet rows. The whole list takes several
    hours on two cores; -Row picks rows by name (wildcards), and -Smoke trains each picked row for one epoch on 2,000
    images, to check the recipes run (its accuracies mean nothing).
.EXAMPLE
    dotnet pwsh -NoProfile -File build/accuracy-rows.ps1 -Row keras-* | Export-Csv keras-rows.csv
.EXAMPLE
    dotnet pwsh -NoProfile -File build/accuracy-rows.ps1 -Smoke | Format-Table
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/MnistTools/MnistTools.psd1'),
    [string[]] $Row = @('*'),
    [string] $OutputFolder = (Join-Path $PSScriptRoot '../out/accuracy-rows'),
    [ValidateRange(1, 2)] [int] $ThreadCount = 2,
    [switch] $Smoke,
    [switch] $List
)
$ErrorActionPreference = 'Stop'

$lenet = 'Conv2d 6 5 padding=same ReLU', 'MaxPool2d 2', 'Conv2d 16 5 ReLU', 'MaxPool2d 2', 'Dense 120 ReLU', 'Dense 84 ReLU', 'Dense 10 Softmax'
$keras = 'Conv2d 32 3 ReLU', 'MaxPool2d 2', 'Conv2d 64 3 ReLU', 'MaxPool2d 2', 'Dropout 0.5', 'Dense 10 Softmax'
$bnnet = 'Conv2d 32 3 bias=false', 'BatchNorm ReLU', 'Conv2d 32 3 bias=false', 'BatchNorm ReLU', 'MaxPool2d 2',
         'Conv2d 64 3 bias=false', 'BatchNorm ReLU', 'Conv2d 64 3 bias=false', 'BatchNorm ReLU', 'MaxPool2d 2',
         'Dense 128 bias=false', 'BatchNorm ReLU', 'Dropout 0.4', 'Dense 10 Softmax'
$bnnetSame = $bnnet | ForEach-Object { $_ -replace '^(Conv2d \d+ 3)', '$1 padding=same' }
$plain = 'Conv2d 32 3 ReLU', 'Conv2d 32 3 ReLU', 'MaxPool2d 2', 'Conv2d 64 3 ReLU', 'Conv2d 64 3 ReLU', 'MaxPool2d 2',
         'Dense 128 ReLU', 'Dropout 0.4', 'Dense 10 Softmax'

$adam = @{ Optimizer = 'Adam'; LearningRate = 0.001 }
$adamCosine = @{ Optimizer = 'Adam'; LearningRate = 0.001; LearningRateSchedule = 'Cosine' }
$adamW = @{ Optimizer = 'AdamW'; LearningRate = 0.001; WeightDecay = 0.01; LearningRateSchedule = 'Cosine' }
$dense = @{ Activation = 'ReLU'; OutputActivation = 'Softmax'; Loss = 'CrossEntropy' }

# Name, data set, network (New-Network's parameters), training (Invoke-Training's), epochs, target: a test accuracy,
# 'better' (the seed script's: at least twice the untrained accuracy and 15 points more), or null (for comparison).
$rows = @(
    @{ Name = 'seed-script'; Data = 'Test'; Network = @{ LayerSizes = 784, 20, 16, 10; Activation = 'Sigmoid'; Loss = 'Quadratic' }
       Training = @{ BatchSize = 100; LearningRate = 1 }; Epochs = 1; Target = 'better' }
    @{ Name = 'dense-128-adam'; Network = @{ LayerSizes = 784, 128, 10 } + $dense; Training = @{ BatchSize = 32 } + $adam; Epochs = 3; Target = 0.97 }
    @{ Name = 'dense-30-sgd'; Network = @{ LayerSizes = 784, 30, 10; Activation = 'Sigmoid'; Loss = 'Quadratic'; Initializer = 'Normal' }
       Training = @{ BatchSize = 10; LearningRate = 3 }; Epochs = 10; Target = 0.935 }
    @{ Name = 'dense-98-recipe'; Network = @{ LayerSizes = 784, 512, 256, 10 } + $dense; Training = @{ BatchSize = 64 } + $adamCosine; Epochs = 7; Target = 0.985 }
    @{ Name = 'lenet-adam'; Network = @{ Layers = $lenet }; Training = @{ BatchSize = 128 } + $adam; Epochs = 10; Target = 0.989 }
    @{ Name = 'lenet-adam-cosine'; Network = @{ Layers = $lenet }; Training = @{ BatchSize = 128 } + $adamCosine; Epochs = 10; Target = 0.989 }
    @{ Name = 'keras-adam'; Network = @{ Layers = $keras }; Training = @{ BatchSize = 128 } + $adam; Epochs = 12; Target = 0.992 }
    @{ Name = 'keras-adam-cosine'; Network = @{ Layers = $keras }; Training = @{ BatchSize = 64 } + $adamCosine; Epochs = 12; Target = 0.992 }
    @{ Name = 'keras-adamw-cosine'; Network = @{ Layers = $keras }; Training = @{ BatchSize = 64 } + $adamW; Epochs = 12; Target = 0.992 }
    @{ Name = 'keras-fashion-adam'; Data = 'Fashion'; Network = @{ Layers = $keras }; Training = @{ BatchSize = 128 } + $adam; Epochs = 12; Target = 0.915 }
    @{ Name = 'keras-fashion-adamw'; Data = 'Fashion'; Network = @{ Layers = $keras }
       Training = @{ BatchSize = 128; Optimizer = 'AdamW'; LearningRate = 0.002; WeightDecay = 0.01; LearningRateSchedule = 'Cosine' }; Epochs = 50; Target = 0.915 }
    @{ Name = 'dense-800-elastic'; Network = @{ LayerSizes = 784, 800, 10 } + $dense; Training = @{ BatchSize = 128; Augment = 'Elastic' } + $adamCosine; Epochs = 30; Target = 0.99 }
    @{ Name = 'lenet-affine'; Network = @{ Layers = $lenet }; Training = @{ BatchSize = 64; Augment = 'Affine' } + $adamW; Epochs = 30; Target = 0.995 }
    @{ Name = 'keras-affine'; Network = @{ Layers = $keras }; Training = @{ BatchSize = 64; Augment = 'Affine' } + $adamW; Epochs = 30; Target = 0.995 }
    foreach ($seed in 1..4) {
        @{ Name = "bnnet-$seed"; Seed = $seed; Network = @{ Layers = $bnnet }; Training = @{ BatchSize = 64; Augment = 'Affine' } + $adamW; Epochs = 30; Target = 0.996 }
    }
    @{ Name = 'bnnet-ensemble-1-3'; Ensemble = 1..3; Target = 0.997 }
    @{ Name = 'bnnet-ensemble-1-4'; Ensemble = 1..4; Target = 0.997 }
    @{ Name = 'bnnet-fashion-shift-15'; Data = 'Fashion'; Network = @{ Layers = $bnnet }; Training = @{ BatchSize = 64; Augment = 'Shift' } + $adamW; Epochs = 15; Target = 0.93 }
    @{ Name = 'bnnet-fashion-20'; Data = 'Fashion'; Network = @{ Layers = $bnnet }; Training = @{ BatchSize = 64 } + $adamW; Epochs = 20; Target = 0.93 }
    @{ Name = 'bnnet-fashion-shift-25'; Data = 'Fashion'; Network = @{ Layers = $bnnet }; Training = @{ BatchSize = 64; Augment = 'Shift' } + $adamW; Epochs = 25; Target = 0.93 }
    @{ Name = 'bnnet-same-fashion-shift-25'; Data = 'Fashion'; Network = @{ Layers = $bnnetSame }; Training = @{ BatchSize = 64; Augment = 'Shift' } + $adamW; Epochs = 25; Target = 0.93 }
    @{ Name = 'bnnet-without-batchnorm'; Network = @{ Layers = $plain }; Training = @{ BatchSize = 64; Augment = 'Affine' } + $adamW; Epochs = 30; Target = $null }
)

$picked = $rows | Where-Object { $name = $_.Name; $Row | Where-Object { $name -like $_ } }
if (-not $picked) { throw "No row matches $($Row -join ', '). The rows: $(($rows | ForEach-Object Name) -join ', ')." }
if ($List) { return $picked | ForEach-Object { [pscustomobject]@{ Row = $_.Name; Epochs = $_.Epochs; Target = $_.Target } } }

Import-Module $ModulePath
$null = New-Item -ItemType Directory -Force -Path $OutputFolder
$sets = @{}
function Get-Set([string] $data, [string] $subset) {
    $key = "$data/$subset"
    if (-not $sets.ContainsKey($key)) {
        $folder = if ($data -eq 'Fashion') { $env:FASHION_MNIST_DATA } else { $env:MNIST_DATA }
        if (-not $folder) { throw "Set $(if ($data -eq 'Fashion') { 'FASHION_MNIST_DATA' } else { 'MNIST_DATA' }) to the folder of the $data IDX files." }
        $first = if ($Smoke -and $subset -eq 'Train') { @{ First = 2000 } } else { @{} }
        $sets[$key] = Import-MnistSet -Path $folder -Subset $subset @first
    }
    $sets[$key]
}

foreach ($r in $picked) {
    $data = if ($r.Data -eq 'Fashion') { 'Fashion' } else { 'MNIST' }
    $test = Get-Set $data 'Test'
    $watch = [Diagnostics.Stopwatch]::StartNew()
    if ($r.Ensemble) {
        $nets = foreach ($seed in $r.Ensemble) {
            $file = Join-Path $OutputFolder "bnnet-$seed.safetensors"
            if (-not (Test-Path -LiteralPath $file)) { throw "$($r.Name) needs ${file}: run the row bnnet-$seed first." }
            Import-Network -LiteralPath $file
        }
        $result = $test | Test-Network -Network $nets -ThreadCount $ThreadCount
        [pscustomobject]@{ Row = $r.Name; Target = $r.Target; Accuracy = $result.Accuracy; BestEpochAccuracy = $null
                           Epochs = $null; Seconds = [math]::Round($watch.Elapsed.TotalSeconds, 1)
                           Met = $result.Accuracy -ge $r.Target }
        continue
    }
    $train = if ($r.Data -eq 'Test') { $test } else { Get-Set $data 'Train' }
    $seed = if ($r.Seed) { $r.Seed } else { 1 }
    $networkParameters = $r.Network
    $net = New-Network @networkParameters -Seed $seed
    # The untrained accuracy matters only to the seed script's target.
    $before = if ('better' -eq $r.Target) { ($test | Test-Network -Network $net -ThreadCount $ThreadCount).Accuracy }
    $epochs = if ($Smoke) { 1 } else { $r.Epochs }
    $training = $r.Training
    $curve = Join-Path $OutputFolder "$($r.Name)-epochs.csv"
    $history = @($train | Invoke-Training -Network $net -Epochs $epochs @training -ValidationSet $test -ThreadCount $ThreadCount)
    $history | Export-Csv -LiteralPath $curve
    $net | Save-Network -LiteralPath (Join-Path $OutputFolder "$($r.Name).safetensors") -Force
    $accuracy = ($test | Test-Network -Network $net -ThreadCount $ThreadCount).Accuracy
    $best = ($history | Measure-Object -Property ValidationAccuracy -Maximum).Maximum
    [pscustomobject]@{ Row = $r.Name; Target = $r.Target; Accuracy = $accuracy; BestEpochAccuracy = $best
                       Epochs = $epochs; Seconds = [math]::Round($watch.Elapsed.TotalSeconds, 1)
                       Met = switch ($r.Target) { $null { $null } 'better' { $accuracy -ge 2 * $before -and $accuracy -ge $before + 0.15 } default { $accuracy -ge $_ } } }
}
