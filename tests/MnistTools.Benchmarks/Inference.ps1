<#
.SYNOPSIS
    Times inference through the cmdlets: Test-Network over the MNIST test set, Get-Classification of the whole set in one
    call, and Get-Classification of a pipeline of single MnistImage objects, with the Keras convnet (untrained, seed 1:
    the time does not depend on the weights' values). Prints the median and the range of -Runs runs of each, and the
    median CPU time of the process (every thread: the work done, which a loaded machine inflates less than wall time).
.EXAMPLE
    dotnet pwsh -NoProfile tests/MnistTools.Benchmarks/Inference.ps1 -Runs 9
    MNISTTOOLS_THREADS=1 dotnet pwsh -NoProfile tests/MnistTools.Benchmarks/Inference.ps1   # one core
#>
param(
    [string]$Module = (Join-Path $PSScriptRoot '../../out/MnistTools/MnistTools.psd1'),
    [string]$DataPath = $(if ($env:MNIST_DATA) { $env:MNIST_DATA } else { Join-Path $PSScriptRoot '../../../shared/data/mnist' }),
    [int]$Runs = 7,
    [int]$SingleImages = 1000
)
$ErrorActionPreference = 'Stop'
Import-Module $Module
$test = Import-MnistSet -Path $DataPath -Subset Test
$net = New-Network -InputShape 1,28,28 -Layers 'Conv2d 32 3 ReLU', 'MaxPool2d 2', 'Conv2d 64 3 ReLU', 'MaxPool2d 2', 'Dropout 0.5',
       'Dense 10 Softmax' -Loss CrossEntropy -Seed 1
$images = @($test | Get-MnistImage -First $SingleImages)

function Measure-Median([string]$Name, [scriptblock]$Work) {
    $null = & $Work # warm-up: JIT compilation and the first touch of the buffers
    $process = [System.Diagnostics.Process]::GetCurrentProcess()
    $ms = [System.Collections.Generic.List[double]]::new(); $cpu = [System.Collections.Generic.List[double]]::new()
    foreach ($run in 1..$Runs) {
        [GC]::Collect()
        $process.Refresh(); $cpu0 = $process.TotalProcessorTime.TotalMilliseconds
        $ms.Add((Measure-Command $Work).TotalMilliseconds)
        $process.Refresh(); $cpu.Add($process.TotalProcessorTime.TotalMilliseconds - $cpu0)
    }
    $sorted = @($ms | Sort-Object); $cpuSorted = @($cpu | Sort-Object); $middle = [int][math]::Floor($Runs / 2)
    '| {0} | {1:F0} | {2:F0}-{3:F0} | {4:F0} |' -f $Name, $sorted[$middle], $sorted[0], $sorted[-1], $cpuSorted[$middle]
}

"Inference through the cmdlets, Keras convnet, $(Get-Date -AsUTC -Format 'yyyy-MM-dd HH:mm') UTC; MNISTTOOLS_THREADS=$env:MNISTTOOLS_THREADS; $((Get-Content /proc/loadavg -ErrorAction Ignore) -replace ' \S+ \S+$')"
''
"| what ($Runs runs) | ms, median | range | process CPU ms (all threads), median |"
'|---|---|---|---|'
Measure-Median 'Test-Network, 10,000 test images' { $null = Test-Network -Network $net -DataSet $test }
Measure-Median 'Get-Classification of the set (one call, 10,000 images)' { $null = Get-Classification -Network $net -InputObject $test }
Measure-Median "Get-Classification of a pipeline of $SingleImages single images" { $null = $images | Get-Classification -Network $net }
