BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Set = New-SyntheticSet -Count 400
    $script:Validation = New-SyntheticSet -Count 100 -Seed 7 -Name 'validation'
    function New-SmallNet([int] $Seed = 3) { New-Network 16, 8, 3 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed $Seed }
}

Describe 'Invoke-Training' {
    It 'trains in place and writes one TrainingEpoch per epoch' {
        $net = New-SmallNet
        $before = ($Set | Test-Network -Network $net).Accuracy
        $epochs = $Set | Invoke-Training -Network $net -Epochs 4 -BatchSize 16 -LearningRate 0.5 -ValidationSet $Validation
        $epochs.Count | Should -Be 4
        $epochs[0] | Should -BeOfType MnistTools.TrainingEpoch
        $epochs.Epoch | Should -Be (1..4)
        $epochs[-1].ValidationAccuracy | Should -BeGreaterThan 0.9
        $epochs[-1].TrainLoss | Should -BeLessThan $epochs[0].TrainLoss
        $epochs[0].Samples | Should -Be 400
        $epochs[0].BatchSize | Should -Be 16
        $epochs[0].LearningRate | Should -Be 0.5
        $net.EpochsTrained | Should -Be 4
        ($Set | Test-Network -Network $net).Accuracy | Should -BeGreaterThan ([math]::Max($before, 0.9))
    }

    It 'numbers epochs over runs and leaves ValidationAccuracy null without a validation set' {
        $net = New-SmallNet
        $null = $Set | Invoke-Training -Network $net -Epochs 2 -LearningRate 0.1
        $third = $Set | Invoke-Training -Network $net -LearningRate 0.1
        $third.Epoch | Should -Be 3
        $third.ValidationAccuracy | Should -BeNullOrEmpty
        $third.ValidationLoss | Should -BeNullOrEmpty
    }

    It 'writes the network after the records with -PassThru' {
        $net = New-SmallNet
        $out = $Set | Invoke-Training -Network $net -Epochs 2 -LearningRate 0.1 -PassThru
        $out.Count | Should -Be 3
        $out[-1] | Should -Be $net
        $out[0] | Should -BeOfType MnistTools.TrainingEpoch
    }

    It 'exports a learning curve to CSV' {
        $net = New-SmallNet
        $path = Join-Path $TestDrive 'curve.csv'
        $Set | Invoke-Training -Network $net -Epochs 3 -LearningRate 0.1 -Optimizer Momentum -Momentum 0.5 | Export-Csv -LiteralPath $path
        $rows = Import-Csv -LiteralPath $path
        $rows.Count | Should -Be 3
        $rows[0].Optimizer | Should -Be 'Momentum'
        $rows[2].Epoch | Should -Be '3'
    }

    It 'gives back the numbers typed: Export-Csv writes 0.01, and Where-Object LearningRate -eq 0.01 finds the epochs' {
        $net = New-SmallNet
        $path = Join-Path $TestDrive 'typed.csv'
        $epochs = $Set | Invoke-Training -Network $net -Epochs 2 -LearningRate 0.01 -L2 0.0003
        @($epochs | Where-Object LearningRate -eq 0.01).Count | Should -Be 2
        $epochs | Export-Csv -LiteralPath $path
        $rows = Import-Csv -LiteralPath $path
        $rows.LearningRate | Should -Be @('0.01', '0.01')
        $rows.L2 | Should -Be @('0.0003', '0.0003')
        # The default view's rate column is wide enough for any G4 rate (0.0009999, 9.999E-05).
        $table = $epochs | Format-Table | Out-String -Width 200
        $table | Should -Match '\b0\.01\b'
        $adam = New-SmallNet | ForEach-Object { $Set | Invoke-Training -Network $_ -Optimizer Adam -LearningRate 0.00009999 }
        ($adam | Format-Table | Out-String -Width 200) | Should -Match '9\.999E-05'
    }

    It 'gives identical weights for the same seeds and options (<Optimizer>)' -TestCases @(
        @{ Optimizer = 'Sgd' }, @{ Optimizer = 'Momentum' }, @{ Optimizer = 'Adam' }
    ) {
        param($Optimizer)
        $a = New-SmallNet; $b = New-SmallNet
        $null = $Set | Invoke-Training -Network $a -Epochs 2 -Optimizer $Optimizer -L2 0.001 -Seed 9
        $null = $Set | Invoke-Training -Network $b -Epochs 2 -Optimizer $Optimizer -L2 0.001 -Seed 9
        [System.Linq.Enumerable]::SequenceEqual($a.GetParameters(), $b.GetParameters()) | Should -BeTrue
        $c = New-SmallNet
        $null = $Set | Invoke-Training -Network $c -Epochs 2 -Optimizer $Optimizer -L2 0.001 -Seed 10
        [System.Linq.Enumerable]::SequenceEqual($a.GetParameters(), $c.GetParameters()) | Should -BeFalse
    }

    It 'continues a run exactly: 2 epochs at once equal 1 + 1' {
        $once = New-SmallNet; $twice = New-SmallNet
        $null = $Set | Invoke-Training -Network $once -Epochs 2 -Optimizer Adam -Seed 4
        $null = $Set | Invoke-Training -Network $twice -Epochs 1 -Optimizer Adam -Seed 4
        $null = $Set | Invoke-Training -Network $twice -Epochs 1 -Optimizer Adam -Seed 4
        [System.Linq.Enumerable]::SequenceEqual($once.GetParameters(), $twice.GetParameters()) | Should -BeTrue
    }

    It 'warns that -Momentum is ignored by other optimizers' {
        $null = $Set | Invoke-Training -Network (New-SmallNet) -Optimizer Adam -Momentum 0.5 -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'Momentum'
    }

    It 'refuses a data set that does not fit the network before any work' {
        $net = New-Network 784, 30, 10 -Seed 1
        $weights = $net.GetParameters()
        $err = { $Set | Invoke-Training -Network $net } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'NetworkDataMismatch,MnistTools.Commands.InvokeTrainingCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $net.EpochsTrained | Should -Be 0
        [System.Linq.Enumerable]::SequenceEqual($weights, $net.GetParameters()) | Should -BeTrue
    }

    It 'refuses a batch whose working memory exceeds the bound, naming the figure, before any work' {
        # 10,000 one-by-one convolutions: 27,850 parameters, but 11.2 GiB of activations at batch 128.
        $net = New-Network -InputShape 1, 28, 28 -Layers (@('Conv2d 1 1 ReLU') * 10000 + 'Dense 10 Softmax') -Seed 1
        $images = New-SyntheticSet -Count 4 -Side 28 -Classes 10
        $err = { $images | Invoke-Training -Network $net -BatchSize 128 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'WorkingMemoryTooLarge,MnistTools.Commands.InvokeTrainingCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'BatchSize'
        $err.Exception.Message | Should -Match 'batch size 128 needs about 11\.2 GiB .* the limit is \d+\.\d GiB.*-BatchSize \d+ or less'
        $net.EpochsTrained | Should -Be 0
    }

    It 'refuses a validation set that does not fit' {
        $err = { $Set | Invoke-Training -Network (New-SmallNet) -ValidationSet (New-SyntheticSet -Count 5 -Side 5) } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'NetworkDataMismatch,MnistTools.Commands.InvokeTrainingCommand'
        $err.TargetObject | Should -Be 'ValidationSet'
    }

    It 'refuses <Name>' -TestCases @(
        @{ Name = 'a zero learning rate'; Splat = @{ LearningRate = 0 }; Id = 'ParameterArgumentValidationError,MnistTools.Commands.InvokeTrainingCommand' }
        @{ Name = 'a negative learning rate'; Splat = @{ LearningRate = -1 }; Id = 'ParameterArgumentValidationError,MnistTools.Commands.InvokeTrainingCommand' }
        @{ Name = 'a zero batch size'; Splat = @{ BatchSize = 0 }; Id = 'ParameterArgumentValidationError,MnistTools.Commands.InvokeTrainingCommand' }
        @{ Name = 'zero epochs'; Splat = @{ Epochs = 0 }; Id = 'ParameterArgumentValidationError,MnistTools.Commands.InvokeTrainingCommand' }
        @{ Name = 'momentum 1'; Splat = @{ Momentum = 1 }; Id = 'ParameterArgumentValidationError,MnistTools.Commands.InvokeTrainingCommand' }
    ) {
        param($Splat, $Id)
        $err = { $Set | Invoke-Training -Network (New-SmallNet) @Splat } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be $Id
    }

    It 'stops a diverging run with TrainingDiverged and restores the last finite weights' {
        # Softmax output: the wild step's infinite Z gives Inf - Inf = NaN on every GEMM path (a sigmoid output's loss
        # stays finite when the kernel fuses multiply-add, since FMA products never overflow on their own).
        $net = New-SmallNet -Seed 2
        $null = $Set | Invoke-Training -Network $net -LearningRate 0.1
        $good = $net.GetParameters()
        $err = { $Set | Invoke-Training -Network $net -LearningRate 1e38 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'TrainingDiverged,MnistTools.Commands.InvokeTrainingCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidResult'
        $err.Exception.Message | Should -Match 'epoch 2, batch \d+ of \d+'
        $err.Exception.Message | Should -Match 'lower learning rate'
        [System.Linq.Enumerable]::SequenceEqual($good, $net.GetParameters()) | Should -BeTrue
        $net.EpochsTrained | Should -Be 1
        ($Set | Test-Network -Network $net).Total | Should -Be 400
    }

    It 'reports progress per batch, throttled' {
        $net = New-SmallNet
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($module, $net, $set)
                Import-Module $module
                $set | Invoke-Training -Network $net -Epochs 2 -BatchSize 1
            }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($net).AddArgument($Set)
            $records = $ps.Invoke()
            $records.Count | Should -Be 2
            $progress = @($ps.Streams.Progress)
            $progress.Count | Should -BeGreaterThan 1
            $progress.Count | Should -BeLessThan 100   # 800 batches, but at most one record per 250 ms (+ epoch ends)
            $progress[0].StatusDescription | Should -Match 'batch \d+ of 400: loss|Epoch \d+ \(1 of 2\) done: loss'
            $progress[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }

    It 'stops on Ctrl+C within a batch and leaves a usable network' {
        $train = Get-TestMnistSet -Subset Train
        $net = New-Network 784, 64, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 1
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($module, $net, $set)
                Import-Module $module
                $set | Invoke-Training -Network $net -Epochs 50 -BatchSize 64 -Optimizer Adam
            }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($net).AddArgument($train)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            # Let it run some 200 steps (about 2% of the 50 epochs asked for), then press Ctrl+C.
            while (-not ($net.OptimizerState -and $net.OptimizerState.Step -ge 200) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $async.IsCompleted | Should -BeTrue
        }
        finally { $ps.Dispose() }
        $net.EpochsTrained | Should -BeLessThan 50
        $net.OptimizerState.Step | Should -BeGreaterOrEqual 200
        $net.OptimizerState.Step | Should -BeLessThan 2000
        [System.Linq.Enumerable]::All($net.GetParameters(), [Func[float, bool]] { param($x) [float]::IsFinite($x) }) | Should -BeTrue
        $result = Get-TestMnistSet -Subset Test -First 1000 | Test-Network -Network $net
        $result.Accuracy | Should -BeGreaterThan 0.7  # about 0.85 after 200 Adam steps
    }
}
