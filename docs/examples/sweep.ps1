#Requires -Version 7.4
<#
.SYNOPSIS
    A hyper-parameter sweep: learning rates x hidden sizes, trained in parallel runspaces that share ONE loaded data set.
.DESCRIPTION
    Loads the training and test sets once, then runs one training per (learning rate, hidden size) pair with
    ForEach-Object -Parallel. Every runspace reads the same MnistDataSet objects through $using: (a data set is
    immutable and safe to read from many runspaces at once) and builds its OWN network (a network is used by one
    runspace at a time; training the same network from two runspaces is refused with the error NetworkInUse).
    Each run emits its TrainingEpoch rows and its TestResult, flattened with the run's parameters into rows of the
    same columns, and all rows land in one CSV. Runs are seeded, so every row equals the same run done sequentially.
.EXAMPLE
    ./docs/examples/sweep.ps1 -LearningRate 0.5,1,3 -HiddenSize 16,32,64 -Epochs 3 -OutFile ./sweep.csv
    Import-Csv ./sweep.csv | Where-Object Kind -eq Test | Sort-Object {[double]$_.Accuracy} -Descending | Format-Table
.EXAMPLE
    ./docs/examples/sweep.ps1 -TrainCount 5000 -Epochs 1 -LearningRate 1,3 -HiddenSize 16,32 -ThrottleLimit 2 -PassThru |
        Where-Object Kind -eq Epoch | Export-TrainingChart -Path ./sweep.png -GroupBy Run
#>
[CmdletBinding()]
param(
    # Folder holding the four MNIST .gz files (default: $env:MNIST_DATA, then ./data/mnist, as Import-MnistSet).
    [string] $DataPath,
    [ValidateRange(1, 60000)] [int] $TrainCount = 60000,
    [ValidateRange(1, 10000)] [int] $TestCount = 10000,
    [ValidateNotNullOrEmpty()] [double[]] $LearningRate = @(0.5, 1, 3),
    [ValidateNotNullOrEmpty()] [int[]] $HiddenSize = @(16, 32, 64),
    [ValidateRange(1, 1000)] [int] $Epochs = 3,
    [ValidateRange(1, 65536)] [int] $BatchSize = 10,
    [int] $Seed = 1,
    [ValidateRange(1, 64)] [int] $ThrottleLimit = [Environment]::ProcessorCount,
    [string] $OutFile = './sweep.csv',
    # Also write the rows to the pipeline.
    [switch] $PassThru
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module MnistTools)) { Import-Module MnistTools }
$modulePath = Join-Path (Get-Module MnistTools).ModuleBase 'MnistTools.psd1'

$load = @{}
if ($DataPath) { $load.Path = $DataPath }
$train = Import-MnistSet @load -Subset Train -First $TrainCount
$test = Import-MnistSet @load -Subset Test -First $TestCount
Write-Verbose "Shared sets: $train; $test"

# One row shape for everything, so Export-Csv (which takes its columns from the first row) keeps every column.
$columns = 'Run', 'Kind', 'HiddenSize', 'LearningRate', 'BatchSize', 'Seed', 'Epoch', 'TrainLoss', 'TrainAccuracy',
    'Seconds', 'SamplesPerSecond', 'DataSet', 'Total', 'Correct', 'Accuracy', 'Loss'

$grid = foreach ($rate in $LearningRate) { foreach ($hidden in $HiddenSize) { [pscustomobject]@{ LearningRate = $rate; HiddenSize = $hidden } } }

$rows = $grid | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel {
    Import-Module $using:modulePath            # the assembly is already in the process; this binds the cmdlets here
    $train = $using:train; $test = $using:test  # the same objects in every runspace: shared, read-only
    $columns = $using:columns
    $run = "h$($_.HiddenSize)-lr$($_.LearningRate)"
    $common = @{ Run = $run; HiddenSize = $_.HiddenSize; LearningRate = $_.LearningRate; BatchSize = $using:BatchSize; Seed = $using:Seed }
    # This runspace's own network: never share one network between runspaces.
    $net = New-Network -LayerSizes $train.ImageSize, $_.HiddenSize, $train.ClassCount -Seed $using:Seed
    $train | Invoke-Training -Network $net -Epochs $using:Epochs -BatchSize $using:BatchSize -LearningRate $_.LearningRate -ProgressAction SilentlyContinue |
        ForEach-Object { [pscustomobject]($common + @{ Kind = 'Epoch'; Epoch = $_.Epoch; TrainLoss = $_.TrainLoss; TrainAccuracy = $_.TrainAccuracy
                    Seconds = $_.Seconds; SamplesPerSecond = $_.SamplesPerSecond }) | Select-Object $columns }
    $result = $test | Test-Network -Network $net
    [pscustomobject]($common + @{ Kind = 'Test'; Epoch = $net.EpochsTrained; DataSet = $result.DataSet; Total = $result.Total
        Correct = $result.Correct; Accuracy = $result.Accuracy; Loss = $result.Loss }) | Select-Object $columns
}

$rows = @($rows | Sort-Object { $_.HiddenSize }, { $_.LearningRate }, { $_.Kind }, { $_.Epoch })
$rows | Export-Csv -LiteralPath $OutFile -NoTypeInformation -UseQuotes AsNeeded
Write-Verbose "Wrote $($rows.Count) rows of $(@($grid).Count) runs to $OutFile"
if ($PassThru) { $rows }
