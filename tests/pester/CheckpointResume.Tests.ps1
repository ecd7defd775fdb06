# Invoke-Training -CheckpointPath under kill -9: a real, separate pwsh trains a network on a subset of MNIST with a
# checkpoint and is killed (SIGKILL / TerminateProcess, no chance to clean up) in the middle of an epoch; a second pwsh
# resumes from the checkpoint and is killed again; this process resumes once more and finishes. The final weights must
# be those of a run that was never interrupted, bit for bit, and the checkpoint must import after every kill.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'ChildPwsh.ps1')

    function Get-Bits([float[]] $Values) {
        $bytes = [byte[]]::new($Values.Length * 4)
        [Buffer]::BlockCopy($Values, 0, $bytes, 0, $bytes.Length)
        [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes))
    }

    # The run under test: 784-256-128-10 on the first 12,000 MNIST training images, elastically distorted, AdamW with a
    # one-cycle schedule, batches of 16 (750 steps, about a second per epoch on two cores).
    $script:Epochs = 6
    $script:Training = "-BatchSize 16 -Optimizer AdamW -WeightDecay 0.01 -LearningRate 0.002 -LearningRateSchedule OneCycle -Augment Elastic"
    $script:NewNet = "New-Network -LayerSizes 784,256,128,10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 11"
    $script:LoadTrain = "[MnistTools.Data.IdxReader]::ReadDataSet((Join-Path `$env:MNIST_DATA 'train-images-idx3-ubyte.gz'), (Join-Path `$env:MNIST_DATA 'train-labels-idx1-ubyte.gz'), 'mnist-train', 0, 12000, 10, [Threading.CancellationToken]::None)"
}

Describe 'Invoke-Training -CheckpointPath survives kill -9' -Tag 'CrashSafety' {
    It 'resumes from the checkpoint of a killed pwsh, twice, to the bits of an uninterrupted run' {
        if (-not $env:MNIST_DATA) { throw 'MNIST_DATA is not set: point it at the folder holding the four MNIST .gz files.' }
        $folder = Join-Path $TestDrive 'run'
        $null = New-Item -ItemType Directory $folder
        $checkpoint = Join-Path $folder 'checkpoint.safetensors'
        $signals = Join-Path $TestDrive 'signals'
        $null = New-Item -ItemType Directory $signals

        # Each child writes a signal file as each epoch ends (after that epoch's checkpoint is on disk).
        $prefix = "Import-Module '$env:MNISTTOOLS_MODULE'; `$train = $LoadTrain; "
        $report = " | ForEach-Object { New-Item (Join-Path '$signals' (`"epoch-{0}`" -f `$_.Epoch)) | Out-Null }"
        $children = @(
            @{ Script = "$prefix`$net = $NewNet; `$train | Invoke-Training -Network `$net -Epochs $Epochs $Training -CheckpointPath '$checkpoint'$report"; KillAfter = 2 }
            @{ Script = "$prefix`$net = Import-Network -LiteralPath '$checkpoint'; `$train | Invoke-Training -Network `$net -Epochs ($Epochs - `$net.EpochsTrained) $Training -CheckpointPath '$checkpoint'$report"; KillAfter = 4 }
        )
        $previous = 0
        foreach ($child in $children) {
            $process = Start-Child $child.Script
            try {
                # Wait for the checkpoint of epoch KillAfter - 1 and KillAfter, then kill about a third into the next epoch
                # (a margin for epochs that run faster than the one measured on a shared machine).
                $before = Wait-ForFile (Join-Path $signals "epoch-$($child.KillAfter - 1)") $process -Seconds 300
                $after = Wait-ForFile (Join-Path $signals "epoch-$($child.KillAfter)") $process -Seconds 300
                $epochSeconds = ($after - $before).TotalSeconds
                Start-Sleep -Milliseconds ([int]($epochSeconds * 350))
                $process.Kill()
                $process.WaitForExit()
            }
            finally { if (-not $process.HasExited) { $process.Kill() }; $process.Dispose() }

            # Killed mid-epoch: the next epoch never ended, and the checkpoint is the last completed epoch, complete.
            Test-Path (Join-Path $signals "epoch-$($child.KillAfter + 1)") | Should -BeFalse -Because 'the kill must land before the next epoch ends'
            $saved = Import-Network -LiteralPath $checkpoint
            $saved.EpochsTrained | Should -Be $child.KillAfter
            $saved.EpochsTrained | Should -BeGreaterThan $previous
            $saved.RunState.EpochsDone | Should -Be $child.KillAfter
            $saved.RunState.SpanEpochs | Should -Be $Epochs
            $previous = $saved.EpochsTrained
            # Anything else in the folder is a temporary file, never under the final name.
            foreach ($other in @(Get-ChildItem -LiteralPath $folder -Force -File | Where-Object Name -ne 'checkpoint.safetensors')) {
                $other.Name | Should -Match '^\.checkpoint\.safetensors\.[0-9a-f]{32}\.tmp$'
            }
            Write-Host "    killed after epoch $($child.KillAfter) ($([math]::Round($epochSeconds, 2)) s per epoch); the checkpoint imports at epoch $($saved.EpochsTrained)"
        }

        # This process finishes the run from the second child's checkpoint ...
        $train = & ([scriptblock]::Create($LoadTrain))
        $resumed = Import-Network -LiteralPath $checkpoint
        $records = & ([scriptblock]::Create("param(`$train, `$net) `$train | Invoke-Training -Network `$net -Epochs ($Epochs - `$net.EpochsTrained) $Training -CheckpointPath '$checkpoint'")) $train $resumed
        $records.Epoch | Should -Be @(5, 6)
        $records[-1].StopReason | Should -Be 'Completed'

        # ... and runs it once more, never interrupted.
        $whole = & ([scriptblock]::Create($NewNet))
        $null = & ([scriptblock]::Create("param(`$train, `$net) `$train | Invoke-Training -Network `$net -Epochs $Epochs $Training")) $train $whole
        Get-Bits $resumed.GetParameters() | Should -Be (Get-Bits $whole.GetParameters())
        Get-Bits $resumed.OptimizerState.FirstMoment | Should -Be (Get-Bits $whole.OptimizerState.FirstMoment)
        Get-Bits $resumed.OptimizerState.SecondMoment | Should -Be (Get-Bits $whole.OptimizerState.SecondMoment)
        $resumed.EpochsTrained | Should -Be $Epochs
        Get-Bits (Import-Network -LiteralPath $checkpoint).GetParameters() | Should -Be (Get-Bits $whole.GetParameters())
    }
}
