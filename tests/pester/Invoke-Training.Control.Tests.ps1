# Invoke-Training's training control: learning-rate schedules, early stopping, checkpoints, AdamW, and their bad input.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Set = New-SyntheticSet -Count 240
    $script:Validation = New-SyntheticSet -Count 90 -Seed 7 -Name 'validation'
    # Every label moved to the next class: the better the network learns, the worse it does here.
    $script:Misleading = New-SyntheticSet -Count 90 -Seed 8 -Name 'misleading' -LabelShift 1
    function New-SmallNet([int] $Seed = 3) { New-Network 16, 8, 3 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed $Seed }
    function Test-SameBits($a, $b) { [System.Linq.Enumerable]::SequenceEqual([float[]]$a, [float[]]$b) }
    $script:Id = ',MnistTools.Commands.InvokeTrainingCommand'
}

Describe 'Invoke-Training -LearningRateSchedule' {
    It 'drops the rate every -StepEpochs epochs by -StepFactor' {
        $net = New-SmallNet
        $epochs = $Set | Invoke-Training -Network $net -Epochs 5 -BatchSize 16 -LearningRate 0.5 -LearningRateSchedule Step -StepEpochs 2 -StepFactor 0.5
        $epochs.LearningRate | Should -Be @(0.5, 0.5, 0.25, 0.25, 0.125)
        $epochs.LearningRateSchedule | Should -Be @('Step', 'Step', 'Step', 'Step', 'Step')
        $epochs[-1].StopReason | Should -Be 'Completed'
        $epochs[0].StopReason | Should -BeNullOrEmpty
    }

    It 'anneals per step with Cosine: each epoch reports its mean and range, down to -MinLearningRate' {
        $net = New-SmallNet
        $epochs = $Set | Invoke-Training -Network $net -Epochs 3 -BatchSize 16 -LearningRate 0.1 -LearningRateSchedule Cosine -MinLearningRate 0.001
        $epochs[0].LearningRateMax | Should -Be 0.1 -Because "the first step runs at the base rate, shown as given"
        foreach ($e in $epochs) {
            $e.LearningRateMin | Should -BeLessThan $e.LearningRateMax
            $e.LearningRate | Should -BeLessThan $e.LearningRateMax
            $e.LearningRate | Should -BeGreaterThan $e.LearningRateMin
        }
        $epochs[1].LearningRateMax | Should -BeLessThan $epochs[0].LearningRateMin
        # 45 steps in all (15 per epoch): the last is at t = 44 of T = 45, just above the floor.
        $last = 0.001 + (([double][float]0.1) - 0.001) * (1 + [math]::Cos([math]::PI * 44 / 45)) / 2
        $epochs[2].LearningRateMin | Should -BeLessThan ($last * (1 + 1e-12))
        $epochs[2].LearningRateMin | Should -BeGreaterThan ($last * (1 - 1e-12))
    }

    It 'warms up and anneals with OneCycle (peak = -LearningRate after -WarmupFraction of the steps)' {
        $epochs = $Set | Invoke-Training -Network (New-SmallNet) -Epochs 4 -BatchSize 16 -Optimizer Adam -LearningRate 0.01 -LearningRateSchedule OneCycle -WarmupFraction 0.25
        $epochs[0].LearningRateMin | Should -BeLessThan 0.0005
        ($epochs.LearningRateMax | Measure-Object -Maximum).Maximum | Should -Be 0.01
        $epochs[-1].LearningRateMin | Should -BeLessThan 1e-6
    }

    It 'lowers the rate when the validation loss stops improving with Plateau' {
        $epochs = $Set | Invoke-Training -Network (New-SmallNet) -Epochs 4 -BatchSize 16 -LearningRate 0.1 -LearningRateSchedule Plateau -PlateauPatience 0 -PlateauFactor 0.5 -ValidationSet $Misleading
        $epochs[0].LearningRate | Should -Be 0.1
        $epochs[-1].LearningRate | Should -BeLessThan $epochs[0].LearningRate
    }

    It 'warns about a schedule parameter the schedule does not use' {
        $null = $Set | Invoke-Training -Network (New-SmallNet) -LearningRateSchedule Cosine -StepEpochs 3 -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match '-StepEpochs applies to -LearningRateSchedule Step only'
    }

    It 'refuses <Name> out of range' -TestCases @(
        @{ Name = 'StepEpochs'; Value = 0 }, @{ Name = 'StepFactor'; Value = 0 }, @{ Name = 'StepFactor'; Value = 1.5 },
        @{ Name = 'MinLearningRate'; Value = -0.1 }, @{ Name = 'WarmupFraction'; Value = 1.5 }, @{ Name = 'PlateauPatience'; Value = -1 },
        @{ Name = 'PlateauFactor'; Value = 1 }, @{ Name = 'EarlyStoppingPatience'; Value = 0 }, @{ Name = 'WeightDecay'; Value = -1 }
    ) {
        param($Name, $Value)
        $net = New-SmallNet
        $splat = @{ $Name = $Value }
        $err = { $Set | Invoke-Training -Network $net @splat } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "ParameterArgumentValidationError$Id"
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.ParameterName | Should -Be $Name
        $net.EpochsTrained | Should -Be 0
    }

    It 'refuses a -MinLearningRate above the learning rate with <Schedule>, and accepts an equal one' -TestCases @(
        @{ Schedule = 'Cosine' }, @{ Schedule = 'Plateau' }
    ) {
        param($Schedule)
        $net = New-SmallNet
        $err = { $Set | Invoke-Training -Network $net -LearningRateSchedule $Schedule -LearningRate 0.01 -MinLearningRate 0.05 -ValidationSet $Validation } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "MinLearningRateOutOfRange$Id"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'MinLearningRate'
        $err.Exception.Message | Should -Match '\(0\.05\) is above the learning rate \(0\.01\)'
        $net.EpochsTrained | Should -Be 0
        # The default rate counts too (Adam's 0.001), and an equal floor is a constant rate, not an error.
        { $Set | Invoke-Training -Network $net -Optimizer Adam -LearningRateSchedule $Schedule -MinLearningRate 0.002 -ValidationSet $Validation } |
            Should -Throw -ExpectedMessage "*Adam's default*"
        $epochs = $Set | Invoke-Training -Network $net -LearningRateSchedule $Schedule -LearningRate 0.01 -MinLearningRate 0.01 -ValidationSet $Validation
        $epochs.Epoch | Should -Be 1
    }

    It 'refuses Plateau without a validation set before the first epoch' {
        $net = New-SmallNet
        $err = { $Set | Invoke-Training -Network $net -LearningRateSchedule Plateau } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "PlateauNeedsValidationSet$Id"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'LearningRateSchedule'
        $net.EpochsTrained | Should -Be 0
        $net.OptimizerState | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-Training -EarlyStoppingPatience' {
    It 'stops when the validation loss stops improving and restores the best epoch' {
        $net = New-SmallNet
        $epochs = $Set | Invoke-Training -Network $net -Epochs 30 -BatchSize 16 -Optimizer Adam -LearningRate 0.02 -Seed 4 `
            -ValidationSet $Misleading -EarlyStoppingPatience 2 -WarningVariable warnings -WarningAction SilentlyContinue
        $best = ($epochs | Where-Object IsBest)[-1].Epoch
        $epochs.Count | Should -Be ($best + 2)
        $epochs.Count | Should -BeLessThan 30
        $epochs[-1].StopReason | Should -Be 'EarlyStopping'
        $net.EpochsTrained | Should -Be $best
        # A run that ends before its -Epochs says so in a warning (not only in -Verbose).
        @($warnings).Count | Should -Be 1
        "$warnings" | Should -Match "Early stopping after epoch $($epochs[-1].Epoch).*since epoch $best.*restored"

        # The restored network is exactly the one after $best epochs.
        $reference = New-SmallNet
        $null = $Set | Invoke-Training -Network $reference -Epochs $best -BatchSize 16 -Optimizer Adam -LearningRate 0.02 -Seed 4
        Test-SameBits $reference.GetParameters() $net.GetParameters() | Should -BeTrue
        $net.OptimizerState.Step | Should -Be $reference.OptimizerState.Step
    }

    It 'refuses early stopping without a validation set before the first epoch' {
        $net = New-SmallNet
        $weights = $net.GetParameters()
        $err = { $Set | Invoke-Training -Network $net -Epochs 5 -EarlyStoppingPatience 2 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "EarlyStoppingNeedsValidationSet$Id"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'EarlyStoppingPatience'
        $err.Exception.Message | Should -Match '-ValidationSet'
        $net.EpochsTrained | Should -Be 0
        Test-SameBits $weights $net.GetParameters() | Should -BeTrue
    }
}

Describe 'Invoke-Training -CheckpointPath' {
    It 'writes a checkpoint after every epoch that resumes bit for bit with the remaining epochs' {
        $path = Join-Path $TestDrive 'run.safetensors'
        $copy = Join-Path $TestDrive 'after-2.safetensors'
        $common = @{ BatchSize = 16; Optimizer = 'AdamW'; WeightDecay = 0.05; LearningRate = 0.02; LearningRateSchedule = 'OneCycle'; Seed = 2 }
        $whole = New-SmallNet
        $Set | Invoke-Training -Network $whole -Epochs 5 @common -CheckpointPath $path |
            ForEach-Object { if ($_.Epoch -eq 2) { Copy-Item -LiteralPath $path $copy } }
        $resumed = Import-Network -LiteralPath $copy
        $resumed.EpochsTrained | Should -Be 2
        $resumed.RunState.EpochsDone | Should -Be 2
        $resumed.RunState.SpanEpochs | Should -Be 5
        $rest = $Set | Invoke-Training -Network $resumed -Epochs 3 @common -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        $rest.Epoch | Should -Be @(3, 4, 5)
        Test-SameBits $whole.GetParameters() $resumed.GetParameters() | Should -BeTrue
        Test-SameBits (Import-Network -LiteralPath $path).GetParameters() $whole.GetParameters() | Should -BeTrue
        $resumed.OptimizerState.Kind | Should -Be 'AdamW'
        $resumed.OptimizerState.WeightDecay | Should -Be ([float]0.05)
    }

    It 'starts a new schedule, with a warning, when -Epochs is not the remainder' {
        $path = Join-Path $TestDrive 'partial.safetensors'
        $net = New-SmallNet
        $Set | Invoke-Training -Network $net -Epochs 4 -LearningRateSchedule Cosine -CheckpointPath $path | Select-Object -First 1 | Out-Null
        $resumed = Import-Network -LiteralPath $path
        $null = $Set | Invoke-Training -Network $resumed -Epochs 2 -LearningRateSchedule Cosine -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'unfinished run.*-Epochs 3'
    }

    It 'refuses a checkpoint path in a missing folder before the first epoch' {
        $net = New-SmallNet
        $path = Join-Path $TestDrive 'no-such-folder/c.safetensors'
        $err = { $Set | Invoke-Training -Network $net -Epochs 3 -CheckpointPath $path } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "CheckpointFolderNotFound$Id"
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.TargetObject | Should -Be ([IO.Path]::GetFullPath($path))
        $net.EpochsTrained | Should -Be 0
        $net.OptimizerState | Should -BeNullOrEmpty
    }

    It 'refuses a folder as the checkpoint path' {
        $err = { $Set | Invoke-Training -Network (New-SmallNet) -CheckpointPath $TestDrive } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "PathIsDirectory$Id"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be ([IO.Path]::GetFullPath($TestDrive))
    }

    It 'refuses a checkpoint path in a read-only folder before the first epoch' -Skip:($IsWindows) {
        $folder = Join-Path $TestDrive 'read-only'
        $null = New-Item -ItemType Directory $folder
        [IO.File]::SetUnixFileMode($folder, [IO.UnixFileMode]'UserRead, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute')
        # root ignores permission bits: make the folder immutable as well (chattr +i binds root too).
        $immutable = (& id -u) -eq '0'
        if ($immutable) { & chattr +i $folder; if ($LASTEXITCODE -ne 0) { throw 'chattr +i failed: cannot make a read-only folder for root here.' } }
        try {
            { [IO.File]::WriteAllText((Join-Path $folder 'probe'), 'x') } | Should -Throw -Because 'the folder must really be read-only for this test to mean anything'
            $net = New-SmallNet
            $path = Join-Path $folder 'c.safetensors'
            $err = { $Set | Invoke-Training -Network $net -Epochs 3 -CheckpointPath $path } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be "CheckpointNotWritable$Id"
            $err.CategoryInfo.Category | Should -Be 'WriteError'
            $err.TargetObject | Should -Be $path
            $net.EpochsTrained | Should -Be 0
            $net.OptimizerState | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $folder -Force).Count | Should -Be 0
        }
        finally {
            if ($immutable) { & chattr -i $folder }
            [IO.File]::SetUnixFileMode($folder, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        }
    }

    It 'refuses the checkpoint of a different network unless -Force' {
        $path = Join-Path $TestDrive 'other.safetensors'
        New-SmallNet -Seed 9 | Save-Network -LiteralPath $path
        $before = Get-FileHash -LiteralPath $path
        $net = New-SmallNet
        $err = { $Set | Invoke-Training -Network $net -CheckpointPath $path } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "CheckpointOfOtherNetwork$Id"
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.TargetObject | Should -Be $path
        $err.Exception.Message | Should -Match 'seed 9.*-Force'
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $before.Hash
        $net.EpochsTrained | Should -Be 0

        $null = $Set | Invoke-Training -Network $net -CheckpointPath $path -Force
        (Import-Network -LiteralPath $path).Seed | Should -Be 3
        (Import-Network -LiteralPath $path).EpochsTrained | Should -Be 1
    }

    It 'refuses to replace a trained model of the same layers and seed that Save-Network wrote, unless -Force' {
        $path = Join-Path $TestDrive 'model.safetensors'
        $trained = New-SmallNet
        $null = $Set | Invoke-Training -Network $trained -Epochs 10 -LearningRate 0.05
        $trained | Save-Network -LiteralPath $path
        $before = Get-FileHash -LiteralPath $path
        $net = New-SmallNet
        $err = { $Set | Invoke-Training -Network $net -Epochs 1 -CheckpointPath $path } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "CheckpointOfOtherNetwork$Id"
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.TargetObject | Should -Be $path
        $err.Exception.Message | Should -Match '10 epoch\(s\) trained.*-Force'
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $before.Hash
        $net.EpochsTrained | Should -Be 0

        # The model imported and trained on continues its own file.
        $model = Import-Network -LiteralPath $path
        $null = $Set | Invoke-Training -Network $model -Epochs 1 -CheckpointPath $path
        (Import-Network -LiteralPath $path).EpochsTrained | Should -Be 11
    }
}

Describe 'Invoke-Training -Optimizer AdamW' {
    It 'decays the weights (decoupled) and records the decay' {
        $plain = New-SmallNet; $decayed = New-SmallNet
        $null = $Set | Invoke-Training -Network $plain -Epochs 3 -Optimizer AdamW -WeightDecay 0 -LearningRate 0.01
        $epochs = $Set | Invoke-Training -Network $decayed -Epochs 3 -Optimizer AdamW -WeightDecay 0.5 -LearningRate 0.01
        $epochs[0].Optimizer | Should -Be 'AdamW'
        $epochs[0].WeightDecay | Should -Be 0.5
        $norm = { param($n) ($n.GetParameters() | ForEach-Object { $_ * $_ } | Measure-Object -Sum).Sum }
        (& $norm $decayed) | Should -BeLessThan (& $norm $plain)
        $path = Join-Path $TestDrive 'adamw.safetensors'
        $decayed | Save-Network -LiteralPath $path
        $back = Import-Network -LiteralPath $path
        $back.OptimizerState.Kind | Should -Be 'AdamW'
        $back.OptimizerState.WeightDecay | Should -Be ([float]0.5)
    }

    It 'warns that -WeightDecay is ignored by other optimizers' {
        $null = $Set | Invoke-Training -Network (New-SmallNet) -Optimizer Adam -WeightDecay 0.1 -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match '-WeightDecay applies to -Optimizer AdamW only'
    }
}
