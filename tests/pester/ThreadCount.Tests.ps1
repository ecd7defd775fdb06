# -ThreadCount on the three cmdlets that compute: the same bits for 1, 2 and the default, and out-of-range counts refused.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Train = Get-TestMnistSet -Subset Train -First 2000
    $script:Test = Get-TestMnistSet -Subset Test -First 1000

    function Get-Weights([MnistTools.Network] $Network) {
        $file = Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).safetensors"
        $Network | Save-Network -LiteralPath $file
        [Convert]::ToHexString([IO.File]::ReadAllBytes($file))
    }

    function Get-ThreadFailure([scriptblock] $Command) {
        try { & $Command; $null } catch { $_ }
    }
}

Describe 'Invoke-Training -ThreadCount' {
    It 'trains to the same bits with 1 thread, 2 threads and the default' {
        $files = foreach ($threads in $null, 1, 2) {
            $net = New-Network 784, 64, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 6
            $options = @{}
            if ($threads) { $options.ThreadCount = $threads }
            $epoch = $Train | Invoke-Training -Network $net -Epochs 1 -BatchSize 100 -Optimizer Adam -ValidationSet $Test @options
            "$($epoch.TrainLoss) $($epoch.ValidationLoss) $(Get-Weights $net)"
        }
        $files[1] | Should -Be $files[0]
        $files[2] | Should -Be $files[0]
    }

    It 'gives the bits of a sequential run to runs side by side with one thread each' {
        $module = $env:MNISTTOOLS_MODULE
        $train = $Train
        $parallel = 1, 2 | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:module
            $net = New-Network 784, 32, 10 -Seed $_
            $null = $using:train | Invoke-Training -Network $net -Epochs 1 -BatchSize 50 -LearningRate 1 -ThreadCount 1
            [pscustomobject]@{ Seed = $_; Network = $net }
        } | Sort-Object Seed
        foreach ($run in $parallel) {
            $net = New-Network 784, 32, 10 -Seed $run.Seed
            $null = $Train | Invoke-Training -Network $net -Epochs 1 -BatchSize 50 -LearningRate 1
            Get-Weights $run.Network | Should -Be (Get-Weights $net) -Because "seed $($run.Seed)"
        }
    }

    It 'refuses <_> threads' -ForEach 0, 3 {
        $net = New-Network 784, 10 -Seed 1
        $failure = Get-ThreadFailure { $Test | Invoke-Training -Network $net -ThreadCount $_ }
        $failure.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,MnistTools.Commands.InvokeTrainingCommand'
        $net.EpochsTrained | Should -Be 0
    }
}

Describe 'Test-Network -ThreadCount' {
    It 'gives the same result with 1 thread, 2 threads and the default' {
        $net = New-Network 784, 64, 10 -Seed 2
        $default = $Test | Test-Network -Network $net
        foreach ($threads in 1, 2) {
            $result = $Test | Test-Network -Network $net -ThreadCount $threads
            $result.Loss | Should -Be $default.Loss
            $result.ConfusionMatrix.ToString() | Should -Be $default.ConfusionMatrix.ToString()
        }
    }

    It 'refuses <_> threads' -ForEach 0, 3 {
        $failure = Get-ThreadFailure { $Test | Test-Network -Network (New-Network 784, 10) -ThreadCount $_ }
        $failure.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,MnistTools.Commands.TestNetworkCommand'
    }
}

Describe 'Get-Classification -ThreadCount' {
    It 'gives the same scores with 1 thread, 2 threads and the default' {
        $net = New-Network 784, 64, 10 -Seed 3
        $default = @($Test | Get-Classification -Network $net | ForEach-Object { $_.Scores.ToString() }) -join '|'
        foreach ($threads in 1, 2) {
            @($Test | Get-Classification -Network $net -ThreadCount $threads | ForEach-Object { $_.Scores.ToString() }) -join '|' |
                Should -Be $default -Because "$threads thread(s)"
        }
    }

    It 'refuses <_> threads' -ForEach 0, 3 {
        $failure = Get-ThreadFailure { $Test | Get-Classification -Network (New-Network 784, 10) -ThreadCount $_ }
        $failure.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,MnistTools.Commands.GetClassificationCommand'
    }
}
