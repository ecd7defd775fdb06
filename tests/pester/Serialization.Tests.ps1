# Objects that cross a process boundary (MnistTools.Types.ps1xml): Import-Clixml and Start-Job round trips against the
# real engine. A Network comes back as a working Network with the original's bits (its saved file, byte for byte, and
# its scores); the records come back with every property a user reads; a data set says to pass its path.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')

    # What Import-Clixml gives for what Export-Clixml wrote.
    function Copy-ThroughClixml([object] $InputObject) {
        $file = Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).clixml"
        Export-Clixml -LiteralPath $file -InputObject $InputObject
        Import-Clixml -LiteralPath $file
    }

    function Get-NetworkFileBytes([MnistTools.Network] $Network) {
        $file = Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).safetensors"
        $Network | Save-Network -LiteralPath $file
        # As hex: one string compares in microseconds, where Should -Be would walk the byte array element by element.
        [Convert]::ToHexString([IO.File]::ReadAllBytes($file))
    }

    # The error a deserialized object gives when it binds to a parameter: the MnistTools exception inside the binding error.
    function Get-BindingFailure([scriptblock] $Command) {
        try { & $Command; $null } catch {
            $e = $_.Exception
            while ($e -and $e -isnot [MnistTools.Errors.MnistToolsException]) { $e = $e.InnerException }
            $e
        }
    }

    $script:Train = Get-TestMnistSet -Subset Train -First 1000
    $script:Test = Get-TestMnistSet -Subset Test -First 300
    $script:ModulePath = $env:MNISTTOOLS_MODULE
}

Describe 'Network across process boundaries' {
    It 'comes back from Import-Clixml as a Network with the same file bytes, scores and optimizer state' {
        $net = New-Network 784, 24, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 4
        $null = $Train | Invoke-Training -Network $net -Epochs 1 -BatchSize 50 -Optimizer Adam -LearningRate 0.01
        $copy = Copy-ThroughClixml $net
        $copy | Should -BeOfType MnistTools.Network
        $copy.Architecture | Should -Be $net.Architecture
        $copy.Seed | Should -Be 4
        $copy.EpochsTrained | Should -Be 1
        $copy.OptimizerState.Kind | Should -Be 'Adam'
        Get-NetworkFileBytes $copy | Should -Be (Get-NetworkFileBytes $net)
        $scores = @($Test | Get-Classification -Network $net | ForEach-Object { $_.Scores.ToString() })
        @($Test | Get-Classification -Network $copy | ForEach-Object { $_.Scores.ToString() }) | Should -Be $scores
        # Training on continues exactly as the original would (Adam's moments and step came along).
        $null = $Train | Invoke-Training -Network $net -Epochs 1 -BatchSize 50 -Optimizer Adam -LearningRate 0.01
        $null = $Train | Invoke-Training -Network $copy -Epochs 1 -BatchSize 50 -Optimizer Adam -LearningRate 0.01
        Get-NetworkFileBytes $copy | Should -Be (Get-NetworkFileBytes $net)
    }

    It 'keeps a convolutional architecture and its metadata' {
        $net = New-Network -InputShape 1, 28, 28 -Layers 'Conv2d 4 3 ReLU', 'MaxPool2d 2', 'Dense 10 Softmax' -Loss CrossEntropy -Seed 9
        $net.Metadata['Note'] = 'conv'
        $copy = Copy-ThroughClixml $net
        $copy | Should -BeOfType MnistTools.Network
        $copy.Architecture | Should -Be $net.Architecture
        $copy.Metadata['Note'] | Should -Be 'conv'
        Get-NetworkFileBytes $copy | Should -Be (Get-NetworkFileBytes $net)
    }

    It 'comes back from Start-Job rehydrated, with the bits of the same run done here, and goes into a job as an argument' {
        $job = Start-Job -ArgumentList $ModulePath, $env:MNIST_DATA {
            param($module, $data)
            Import-Module $module
            $train = Import-MnistSet -Path $data -Subset Train -First 1000
            $net = New-Network 784, 16, 10 -Seed 3
            $null = $train | Invoke-Training -Network $net -Epochs 1 -BatchSize 20 -LearningRate 2 -ThreadCount 1
            $net
        }
        $remote = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $remote | Should -BeOfType MnistTools.Network
        $local = New-Network 784, 16, 10 -Seed 3
        $null = $Train | Invoke-Training -Network $local -Epochs 1 -BatchSize 20 -LearningRate 2
        Get-NetworkFileBytes $remote | Should -Be (Get-NetworkFileBytes $local)

        # And the other way: a network sent to a job binds to -Network there and scores as it does here.
        $job = Start-Job -ArgumentList $ModulePath, $env:MNIST_DATA, $local {
            param($module, $data, $net)
            Import-Module $module
            $test = Import-MnistSet -Path $data -Subset Test -First 300
            (Test-Network -Network $net -DataSet $test).Loss
        }
        $loss = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $loss | Should -Be ($Test | Test-Network -Network $local).Loss
    }

    It 'refuses a network whose file exceeds the transfer limit with NetworkTooLargeToSerialize' {
        # 784-43000-10: 34 million parameters, 137 MB of weights, over the 128 MiB limit. The refusal is decided from the
        # parameter count before any file is built, so the serialized object carries only the reason.
        $big = New-Network 784, 43000, 10 -Seed 1
        [MnistTools.Persistence.NetworkTransfer]::TensorBytes($big) | Should -BeGreaterThan ([MnistTools.Persistence.NetworkTransfer]::MaxBytes)
        $copy = Copy-ThroughClixml $big
        $copy.PSObject.TypeNames[0] | Should -Be 'Deserialized.MnistTools.Network'
        $copy.ParameterCount | Should -Be $big.ParameterCount
        $failure = Get-BindingFailure { Get-Classification -Network $copy -InputObject ([byte[]]::new(784)) }
        $failure.ErrorId | Should -Be 'NetworkTooLargeToSerialize'
        $failure.Message | Should -Match 'Save-Network'
    }

    It 'says when a serialized network came without its file or with a damaged one' {
        $bag = [pscustomobject]@{ Description = '784-10 made elsewhere' }
        $bag.PSObject.TypeNames.Insert(0, 'Deserialized.MnistTools.Network')
        (Get-BindingFailure { Test-Network -Network $bag -DataSet $Test }).ErrorId | Should -Be 'SerializedNetworkIncomplete'

        $bytes = [MnistTools.Persistence.NetworkTransfer]::ToBytes((New-Network 784, 10 -Seed 1))
        $damaged = [pscustomobject]@{ Description = 'damaged'; NetworkFile = [byte[]]$bytes[0..($bytes.Length - 9)] }
        $damaged.PSObject.TypeNames.Insert(0, 'Deserialized.MnistTools.Network')
        $failure = Get-BindingFailure { Test-Network -Network $damaged -DataSet $Test }
        $failure.ErrorId | Should -Be 'NetworkFileTruncated'
        $failure.Kind | Should -Be 'InvalidData'
    }
}

Describe 'Records across process boundaries' {
    BeforeAll {
        $script:Net = New-Network 784, 16, 10 -Seed 2
        $script:Epoch = $Train | Invoke-Training -Network $Net -Epochs 1 -BatchSize 50 -LearningRate 1 -ValidationSet $Test
    }

    It 'brings a TrainingEpoch back with every property, enums as their names' {
        $copy = Copy-ThroughClixml $Epoch
        $copy.Optimizer | Should -BeExactly 'Sgd'
        foreach ($p in $Epoch.PSObject.Properties) { "$($copy.($p.Name))" | Should -Be "$($p.Value)" -Because $p.Name }
        $copy.TrainLoss | Should -Be $Epoch.TrainLoss
        $copy.ValidationAccuracy | Should -Be $Epoch.ValidationAccuracy
    }

    It 'brings a TestResult back as a TestResult: confusion matrix, per-class rows, loss' {
        $result = $Test | Test-Network -Network $Net
        $copy = Copy-ThroughClixml $result
        $copy | Should -BeOfType MnistTools.TestResult
        $copy.Loss | Should -Be $result.Loss
        $copy.Accuracy | Should -Be $result.Accuracy
        for ($a = 0; $a -lt 10; $a++) { for ($p = 0; $p -lt 10; $p++) { $copy.ConfusionMatrix[$a, $p] | Should -Be $result.ConfusionMatrix[$a, $p] } }
        $copy.PerClass.Count | Should -Be 10
        for ($c = 0; $c -lt 10; $c++) {
            foreach ($name in 'Class', 'Name', 'Precision', 'Recall', 'F1', 'Support') {
                $copy.PerClass[$c].$name | Should -Be $result.PerClass[$c].$name -Because "class $c $name"
            }
        }
    }

    It 'brings a TestResult back from a job with its per-class rows (the depth they need)' {
        $job = Start-Job -ArgumentList $ModulePath, $env:MNIST_DATA {
            param($module, $data)
            Import-Module $module
            Import-MnistSet -Path $data -Subset Test -First 300 | Test-Network -Network (New-Network 784, 16, 10 -Seed 2)
        }
        $copy = $job | Wait-Job -Timeout 120 | Receive-Job
        $job | Remove-Job -Force
        $result = $Test | Test-Network -Network (New-Network 784, 16, 10 -Seed 2)
        $copy | Should -BeOfType MnistTools.TestResult
        $copy.ConfusionMatrix.ToString() | Should -Be $result.ConfusionMatrix.ToString()
        $copy.PerClass[7].F1 | Should -Be $result.PerClass[7].F1
    }

    It 'brings a Classification back with its scores and an MnistImage with its pixels' {
        $image = $Test | Get-MnistImage -Index 5
        $class = $image | Get-Classification -Network $Net
        $copy = Copy-ThroughClixml $class
        foreach ($name in 'Index', 'Label', 'Predicted', 'PredictedName', 'LabelName', 'Confidence', 'IsCorrect') {
            $copy.$name | Should -Be $class.$name -Because $name
        }
        $copy.Scores.Count | Should -Be 10
        for ($i = 0; $i -lt 10; $i++) { $copy.Scores[$i] | Should -Be $class.Scores[$i] }
        $pixels = Copy-ThroughClixml $image
        foreach ($name in 'Index', 'Label', 'Rows', 'Columns', 'ClassName', 'DataSet') { $pixels.$name | Should -Be $image.$name -Because $name }
        $pixels.Pixels | Should -BeOfType [byte]
        [Convert]::ToHexString($pixels.Pixels) | Should -Be ([Convert]::ToHexString($image.Pixels))
    }
}

Describe 'MnistDataSet across process boundaries' {
    It 'travels as its properties only and, bound to -DataSet, says to pass the path' {
        $copy = Copy-ThroughClixml $Test
        $copy.Count | Should -Be 300
        $copy.PSObject.Properties.Name | Should -Not -Contain 'Pixels'
        $failure = Get-BindingFailure { Test-Network -Network (New-Network 784, 10) -DataSet $copy }
        $failure.ErrorId | Should -Be 'DataSetNotTransferable'
        $failure.Message | Should -Match 'Import-MnistSet -Path'
    }
}
