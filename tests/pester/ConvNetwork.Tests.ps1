# Every cmdlet works unchanged with a convolutional network (New-Network -Layers): built, trained with every
# optimizer, stopped, diverged, tested, used to classify sets, images, arrays and picture files, saved and imported,
# exported, drawn. A small network on a subset of MNIST keeps it quick.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
    $script:Train = Get-TestMnistSet -Subset Train -First 2000
    $script:Test = Get-TestMnistSet -Subset Test -First 500
    $script:Specs = 'Conv2d 4 3 ReLU', 'MaxPool2d 2', 'Dropout 0.25', 'Dense 10 Softmax'
    function New-ConvNet([int] $Seed = 1) { New-Network -Layers $Specs -Seed $Seed }
    function Test-SameBits([float[]] $A, [float[]] $B) { [System.Linq.Enumerable]::SequenceEqual($A, $B) }
    # One trained network shared by the read-only tests.
    $script:Trained = New-ConvNet
    $null = $Train | Invoke-Training -Network $Trained -Epochs 2 -Optimizer Adam -LearningRate 0.003 -Seed 1
}

Describe 'New-Network -Layers (convolutional)' {
    It 'builds the layer list with its shapes, parameter counts and the implied Flatten' {
        $net = New-ConvNet
        $rows = $net.Layers
        $rows.Index | Should -Be @(0, 1, 2, 3, 4)
        $rows.Kind | Should -Be @('Conv2d', 'MaxPool2d', 'Dropout', 'Flatten', 'Dense')
        $rows.OutputShape | Should -Be @('4x26x26', '4x13x13', '4x13x13', '676', '10')
        $rows.Parameters | Should -Be @(40, 0, 0, 0, 6770)
        $rows.Spec | Should -Be @('Conv2d 4 3 ReLU', 'MaxPool2d 2', 'Dropout 0.25', 'Flatten', 'Dense 10 Softmax')
        $net.ParameterCount | Should -Be 6810
        $net.InputShape | Should -Be @(1, 28, 28)
        $net.InputSize | Should -Be 784
        $net.IsDense | Should -BeFalse
        $net.LayerSizes | Should -BeNullOrEmpty
        "$($net.Activation)/$($net.OutputActivation)/$($net.Loss)" | Should -Be 'ReLU/Softmax/CrossEntropy'
        $net.Architecture | Should -Be 'Conv2d 4 3 ReLU, MaxPool2d 2, Dropout 0.25, Flatten, Dense 10 Softmax'
        $net.Description | Should -Be '1x28x28 Conv2d 4 3 ReLU, MaxPool2d 2, Dropout 0.25, Flatten, Dense 10 Softmax; CrossEntropy, 6,810 parameters'
        ($net | Out-String).Trim() | Should -Be "$($net.Description), untrained, seed 1"
        $net.GetWeights(0).Count | Should -Be 36       # [4 x 1 x 3 x 3]
        $net.GetWeights(1).Count | Should -Be 0
        $net.GetWeights(4).Count | Should -Be 6760     # [10 x 676]
    }

    It 'gives the same bits for the same seed and other bits for another' {
        Test-SameBits (New-ConvNet -Seed 5).GetParameters() (New-ConvNet -Seed 5).GetParameters() | Should -BeTrue
        Test-SameBits (New-ConvNet -Seed 5).GetParameters() (New-ConvNet -Seed 6).GetParameters() | Should -BeFalse
    }

    It 'recreates <Name> from its Architecture and seed' -TestCases @(
        @{ Name = 'the small network'; Layers = @('Conv2d 4 3 ReLU', 'MaxPool2d 2', 'Dropout 0.25', 'Dense 10 Softmax'); Shape = @(1, 28, 28) }
        @{ Name = 'LeNet-5'; Layers = @('Conv2d 6 5 padding=same ReLU', 'MaxPool2d 2', 'Conv2d 16 5 ReLU', 'MaxPool2d 2', 'Dense 120 ReLU', 'Dense 84 ReLU', 'Dense 10 Softmax'); Shape = @(1, 28, 28) }
        @{ Name = 'the Keras convnet'; Layers = @('Conv2d 32 3 ReLU', 'MaxPool2d 2', 'Conv2d 64 3 ReLU', 'MaxPool2d 2', 'Dropout 0.5', 'Dense 10 Softmax'); Shape = @(1, 28, 28) }
        @{ Name = 'strides, same padding and Sigmoid scores'; Layers = @('Conv2d 3 4 stride=2 padding=same Tanh', 'MaxPool2d 3 stride=2', 'Flatten', 'Dense 16 LeakyReLU', 'Dense 10 Sigmoid'); Shape = @(2, 14, 28) }
    ) {
        param($Layers, $Shape)
        $net = New-Network -Layers $Layers -InputShape $Shape -Seed 11
        $again = New-Network -Layers ($net.Architecture -split ', ') -InputShape $net.InputShape -Seed $net.Seed
        $again.Architecture | Should -Be $net.Architecture
        Test-SameBits $again.GetParameters() $net.GetParameters() | Should -BeTrue
    }

    It 'reads spec words in any case and writes them canonically' {
        $net = New-Network -Layers 'conv2d 4 3 PADDING=VALID relu', 'maxpool2d 2 stride=2', 'DENSE 10 softmax' -Seed 1
        $net.Architecture | Should -Be 'Conv2d 4 3 ReLU, MaxPool2d 2, Flatten, Dense 10 Softmax'
        Test-SameBits $net.GetParameters() (New-Network -Layers 'Conv2d 4 3 ReLU', 'MaxPool2d 2', 'Dense 10 Softmax' -Seed 1).GetParameters() | Should -BeTrue
    }

    It 'refuses <Name> with <Id>, naming what is wrong' -TestCases @(
        @{ Name = 'a word that is not a number'; Layers = @('Conv2d 4 x ReLU', 'Dense 10 Softmax'); Id = 'LayerSpecInvalid'; Message = "'Conv2d 4 x ReLU'.*'x'" }
        @{ Name = 'an unknown layer kind'; Layers = @('Pool2d 2', 'Dense 10 Softmax'); Id = 'LayerSpecInvalid'; Message = "'Pool2d' is not a layer kind" }
        @{ Name = 'a dropout rate of 1.5'; Layers = @('Dropout 1.5', 'Dense 10 Softmax'); Id = 'LayerSpecInvalid'; Message = "'1.5' is not a rate" }
        @{ Name = 'an unknown padding'; Layers = @('Conv2d 4 3 padding=full', 'Dense 10 Softmax'); Id = 'LayerSpecInvalid'; Message = "'padding=full' is not a padding" }
        @{ Name = 'a kernel larger than its input'; Layers = @('Conv2d 4 29', 'Dense 10 Softmax'); Id = 'LayerShapeInvalid'; Message = "Layer 1 'Conv2d 4 29' does not fit its input 1x28x28" }
        @{ Name = 'a pool that leaves nothing'; Layers = @('Conv2d 4 3', 'MaxPool2d 27', 'Dense 10 Softmax'); Id = 'LayerShapeInvalid'; Message = "Layer 2 'MaxPool2d 27' does not fit its input 4x26x26" }
        @{ Name = 'a convolution after a vector'; Layers = @('Dense 32 ReLU', 'Conv2d 4 3', 'Dense 10 Softmax'); Id = 'LayerShapeInvalid'; Message = 'needs an image input' }
        @{ Name = 'a list that does not end in Dense'; Layers = @('Conv2d 4 3 ReLU', 'MaxPool2d 2'); Id = 'LayerSequenceInvalid'; Message = 'The last layer must be Dense' }
        @{ Name = 'Softmax before the last layer'; Layers = @('Dense 32 Softmax', 'Dense 10 Softmax'); Id = 'LayerSequenceInvalid'; Message = 'Softmax is allowed on the last layer only' }
        @{ Name = 'scores without Softmax or Sigmoid'; Layers = @('Conv2d 4 3 ReLU', 'Dense 10 ReLU'); Id = 'OutputActivationInvalid'; Message = "'Dense 10 ReLU'.*Softmax or Sigmoid" }
    ) {
        param($Layers, $Id, $Message)
        $err = { New-Network -Layers $Layers -Seed 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,MnistTools.Commands.NewNetworkCommand"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'Layers'
        $err.Exception.Message | Should -Match $Message
    }

    It 'refuses the input shape <Shape> with InputShapeInvalid' -TestCases @(
        @{ Shape = @(28, 28) }, @{ Shape = @(1, 0, 28) }, @{ Shape = @(1, 28, 28, 1) }
    ) {
        param($Shape)
        $err = { New-Network -Layers $Specs -InputShape $Shape -Seed 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'InputShapeInvalid,MnistTools.Commands.NewNetworkCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'InputShape'
        $err.Exception.Message | Should -Match "The input shape $($Shape -join ',') is not valid"
    }
}

Describe 'Invoke-Training (convolutional)' {
    It 'trains with <Optimizer>, L2 and a validation set; two runs give the same bits' -TestCases @(
        @{ Optimizer = 'Sgd'; Rate = 0.1 }, @{ Optimizer = 'Momentum'; Rate = 0.02 }, @{ Optimizer = 'Adam'; Rate = 0.003 }
    ) {
        param($Optimizer, $Rate)
        $a = New-ConvNet; $b = New-ConvNet; $plain = New-ConvNet
        $before = ($Test | Test-Network -Network $a).Accuracy
        $epochs = $Train | Invoke-Training -Network $a -Epochs 2 -BatchSize 32 -Optimizer $Optimizer -LearningRate $Rate -L2 0.0001 -ValidationSet $Test -Seed 3
        $null = $Train | Invoke-Training -Network $b -Epochs 2 -BatchSize 32 -Optimizer $Optimizer -LearningRate $Rate -L2 0.0001 -ValidationSet $Test -Seed 3
        $null = $Train | Invoke-Training -Network $plain -Epochs 2 -BatchSize 32 -Optimizer $Optimizer -LearningRate $Rate -ValidationSet $Test -Seed 3
        Write-Host "    $Optimizer`: validation accuracy $before -> $($epochs.ValidationAccuracy -join ' -> ')"
        $epochs.Count | Should -Be 2
        $epochs.Epoch | Should -Be @(1, 2)
        $epochs[0].Optimizer | Should -Be $Optimizer
        $epochs[1].TrainLoss | Should -BeLessThan $epochs[0].TrainLoss
        $epochs[1].ValidationAccuracy | Should -BeGreaterThan 0.8
        $a.EpochsTrained | Should -Be 2
        $a.OptimizerState.Kind | Should -Be $Optimizer
        # The validation figures are Test-Network's on the same set.
        $result = $Test | Test-Network -Network $a
        $result.Accuracy | Should -Be $epochs[1].ValidationAccuracy
        $result.Loss | Should -Be $epochs[1].ValidationLoss
        Test-SameBits $a.GetParameters() $b.GetParameters() | Should -BeTrue
        Test-SameBits $a.GetParameters() $plain.GetParameters() | Should -BeFalse -Because '-L2 changes the updates'
    }

    It 'gives the same bits on one core (MNISTTOOLS_THREADS=1, another process) as here, dropout masks included' {
        $file = Join-Path $TestDrive 'one-core.safetensors'
        $output = Invoke-FreshPwsh -WorkingFolder $TestDrive -Script @"
`$env:MNISTTOOLS_THREADS = '1'
`$ErrorActionPreference = 'Stop'
Import-Module '$env:MNISTTOOLS_MODULE'
. '$(Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')'
`$train = Get-TestMnistSet -Subset Train -First 2000
`$net = New-Network -Layers '$($Specs -join "', '")' -Seed 1
`$null = `$train | Invoke-Training -Network `$net -Epochs 2 -BatchSize 50 -Optimizer Adam -LearningRate 0.003 -Seed 8
Save-Network -Network `$net -Path '$file'
'saved'
"@
        ($output -join "`n") | Should -Match 'saved'
        $here = New-ConvNet
        $null = $Train | Invoke-Training -Network $here -Epochs 2 -BatchSize 50 -Optimizer Adam -LearningRate 0.003 -Seed 8
        $there = Import-Network $file
        Test-SameBits $there.GetParameters() $here.GetParameters() | Should -BeTrue
        Test-SameBits $there.OptimizerState.SecondMoment $here.OptimizerState.SecondMoment | Should -BeTrue
    }

    It 'reports progress per batch, throttled' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($module, $specs, $set)
                Import-Module $module
                $net = New-Network -Layers $specs -Seed 2
                $set | Invoke-Training -Network $net -Epochs 2 -BatchSize 2
            }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($Specs).AddArgument($Train)
            $records = $ps.Invoke()
            $records.Count | Should -Be 2
            $progress = @($ps.Streams.Progress)
            $progress.Count | Should -BeGreaterThan 1
            $progress.Count | Should -BeLessThan 100   # 2000 batches, but at most one record per 250 ms (+ epoch ends)
            $progress[0].StatusDescription | Should -Match 'batch \d+ of 1000: loss|Epoch \d+ \(1 of 2\) done: loss'
            $progress[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }

    It 'stops on Ctrl+C within a second and leaves a usable network' {
        $full = Get-TestMnistSet -Subset Train
        $net = New-ConvNet -Seed 4
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($module, $net, $set)
                Import-Module $module
                $set | Invoke-Training -Network $net -Epochs 50 -BatchSize 64 -Optimizer Adam -LearningRate 0.003
            }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($net).AddArgument($full)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ($net.OptimizerState -and $net.OptimizerState.Step -ge 150) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $clock.Stop()
            Write-Host "    Stop() took $([math]::Round($clock.Elapsed.TotalMilliseconds)) ms"
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 1.0
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $async.IsCompleted | Should -BeTrue
        }
        finally { $ps.Dispose() }
        $net.EpochsTrained | Should -BeLessThan 50
        $net.OptimizerState.Step | Should -BeGreaterOrEqual 150
        [System.Linq.Enumerable]::All($net.GetParameters(), [Func[float, bool]] { param($x) [float]::IsFinite($x) }) | Should -BeTrue
        ($Test | Test-Network -Network $net).Accuracy | Should -BeGreaterThan 0.7
        $e = $Test | Invoke-Training -Network $net -Epochs 1 -Optimizer Adam -LearningRate 0.001
        $e.Epoch | Should -Be ($net.EpochsTrained)
        [double]::IsFinite($e.TrainLoss) | Should -BeTrue
    }

    It 'stops a diverging run with TrainingDiverged and restores the last finite weights' {
        $net = New-ConvNet -Seed 2
        $null = $Train | Invoke-Training -Network $net -Optimizer Adam -LearningRate 0.003
        $good = $net.GetParameters()
        $state = $net.OptimizerState.Step
        $err = { $Train | Invoke-Training -Network $net -Optimizer Sgd -LearningRate 1e38 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'TrainingDiverged,MnistTools.Commands.InvokeTrainingCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidResult'
        $err.Exception.Message | Should -Match 'epoch 2, batch \d+ of 63'
        $err.Exception.Message | Should -Match 'lower learning rate'
        Test-SameBits $good $net.GetParameters() | Should -BeTrue
        $net.EpochsTrained | Should -Be 1
        ($Test | Test-Network -Network $net).Total | Should -Be 500
    }

    It 'refuses a data set whose images do not fit the input shape, before any work' {
        $small = New-Network -Layers $Specs -InputShape 1, 14, 14 -Seed 1
        $weights = $small.GetParameters()
        $err = { $Train | Invoke-Training -Network $small } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'NetworkDataMismatch,MnistTools.Commands.InvokeTrainingCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'DataSet'
        $err.Exception.Message | Should -Match 'takes 196 inputs .* 28x28 = 784 pixels'
        $err = { $Train | Invoke-Training -Network (New-ConvNet) -ValidationSet (New-SyntheticSet -Count 5 -Side 5) } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'NetworkDataMismatch,MnistTools.Commands.InvokeTrainingCommand'
        $err.TargetObject | Should -Be 'ValidationSet'
        $small.EpochsTrained | Should -Be 0
        Test-SameBits $weights $small.GetParameters() | Should -BeTrue
    }
}

Describe 'Test-Network (convolutional)' {
    It 'gives the accuracy, loss and confusion matrix that Get-Classification''s predictions give' {
        $result = $Test | Test-Network -Network $Trained
        $classified = @($Test | Get-Classification -Network $Trained)
        $result.Total | Should -Be 500
        $result.Correct | Should -Be @($classified | Where-Object IsCorrect).Count
        $result.Accuracy | Should -BeGreaterThan 0.8
        [double]::IsFinite($result.Loss) | Should -BeTrue
        $result.Loss | Should -BeGreaterThan 0
        $wrong = @($classified | Where-Object { -not $_.IsCorrect })[0]
        $result.GetCount($wrong.Label, $wrong.Predicted) | Should -BeGreaterThan 0
        $total = 0; foreach ($t in 0..9) { foreach ($p in 0..9) { $total += $result.GetCount($t, $p) } }
        $total | Should -Be 500
    }

    It 'refuses a set whose images do not fit the input shape' {
        $small = New-Network -Layers $Specs -InputShape 1, 14, 14 -Seed 1
        $out = $Test | Test-Network -Network $small -ErrorVariable errors -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'NetworkDataMismatch,MnistTools.Commands.TestNetworkCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].Exception.Message | Should -Match 'takes 196 inputs .* 28x28 = 784 pixels'
    }

    It 'feeds the picture cmdlets: a confusion matrix and learning curves' {
        $net = New-ConvNet -Seed 3
        $epochs = $Train | Invoke-Training -Network $net -Epochs 2 -Optimizer Adam -LearningRate 0.003 -ValidationSet $Test
        $epochs | Export-TrainingChart -Path (Join-Path $TestDrive 'curves.png') -Width 400 -Height 300
        $Test | Test-Network -Network $net | Export-ConfusionMatrix -Path (Join-Path $TestDrive 'confusion.png') -Size 300
        (Read-Png (Join-Path $TestDrive 'curves.png')).Width | Should -Be 400
        (Read-Png (Join-Path $TestDrive 'confusion.png')).Width | Should -Be 300
    }
}

Describe 'Get-Classification (convolutional)' {
    It 'gives the same scores for a set, its images, byte arrays and scaled float arrays' {
        $first = Get-TestMnistSet -Subset Test -First 5
        $fromSet = @($first | Get-Classification -Network $Trained)
        $fromImages = @($first | Get-MnistImage | Get-Classification -Network $Trained)
        $fromSet.Count | Should -Be 5
        for ($i = 0; $i -lt 5; $i++) {
            $image = $first[$i]
            $bytes = , $image.Pixels | Get-Classification -Network $Trained
            [float[]] $scaled = foreach ($p in $image.Pixels) { [float]$p / 255 }
            $floats = , $scaled | Get-Classification -Network $Trained
            Test-SameBits $fromImages[$i].Scores $fromSet[$i].Scores | Should -BeTrue
            Test-SameBits $bytes.Scores $fromSet[$i].Scores | Should -BeTrue
            Test-SameBits $floats.Scores $fromSet[$i].Scores | Should -BeTrue
            $fromSet[$i].Label | Should -Be $image.Label
            $fromSet[$i].Predicted | Should -Be ([MnistTools.Classification]::PredictedClass([float[]]$fromSet[$i].Scores))
        }
        # Classification.Scores are the network's own forward pass.
        Test-SameBits $fromSet[0].Scores $Trained.GetLayerOutputs($first[0].Pixels)[-1] | Should -BeTrue
    }

    It 'classifies picture files with -Path and from Get-ChildItem as ConvertTo-MnistImage sees them' {
        $folder = Join-Path $TestDrive 'pictures'
        New-Item -ItemType Directory -Path $folder | Out-Null
        foreach ($i in 0..2) { $Test[$i] | Export-MnistImage -Path (Join-Path $folder "digit$i.png") -Scale 5 }
        $byPath = @(Get-Classification -Network $Trained -Path (Join-Path $folder 'digit*.png'))
        $byPath.Count | Should -Be 3
        $piped = @(Get-ChildItem $folder -Filter *.png | Sort-Object Name | Get-Classification -Network $Trained)
        foreach ($i in 0..2) {
            $seen = ConvertTo-MnistImage -LiteralPath (Join-Path $folder "digit$i.png") | Get-Classification -Network $Trained
            Test-SameBits $byPath[$i].Scores $seen.Scores | Should -BeTrue
            Test-SameBits $piped[$i].Scores $seen.Scores | Should -BeTrue
        }
        ($byPath.Predicted | Where-Object { $_ -in $Test[0].Label, $Test[1].Label, $Test[2].Label }).Count | Should -BeGreaterOrEqual 2
    }

    It 'reports an image or array of the wrong size per item, and a set that does not fit' {
        $image = [MnistTools.MnistImage]::new(3, 1, 14, 14, [byte[]]::new(196), 'small')
        $image | Get-Classification -Network $Trained -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ClassificationPixelCountMismatch,MnistTools.Commands.GetClassificationCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].TargetObject | Should -Be $image
        $err = { New-SyntheticSet -Count 5 -Side 5 | Get-Classification -Network $Trained -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'NetworkDataMismatch,MnistTools.Commands.GetClassificationCommand'
        $err.TargetObject | Should -Be 'InputObject'
    }
}

Describe 'Save-Network and Import-Network (convolutional)' {
    It 'round-trips a trained network bit for bit, and training goes on exactly as without saving' {
        $path = Join-Path $TestDrive 'conv.safetensors'
        $Trained | Save-Network -Path $path -Metadata @{ DataSet = 'mnist' }
        $imported = Import-Network $path
        $imported.Architecture | Should -Be $Trained.Architecture
        $imported.InputShape | Should -Be @(1, 28, 28)
        $imported.Seed | Should -Be $Trained.Seed
        $imported.EpochsTrained | Should -Be 2
        $imported.Metadata['DataSet'] | Should -Be 'mnist'
        Test-SameBits $imported.GetParameters() $Trained.GetParameters() | Should -BeTrue
        $imported.OptimizerState.Kind | Should -Be 'Adam'
        $imported.OptimizerState.Step | Should -Be $Trained.OptimizerState.Step
        Test-SameBits $imported.OptimizerState.FirstMoment $Trained.OptimizerState.FirstMoment | Should -BeTrue
        Test-SameBits $imported.OptimizerState.SecondMoment $Trained.OptimizerState.SecondMoment | Should -BeTrue
        $a = @($Test | Get-Classification -Network $Trained)
        $b = @($Test | Get-Classification -Network $imported)
        for ($i = 0; $i -lt 500; $i += 37) { Test-SameBits $a[$i].Scores $b[$i].Scores | Should -BeTrue }
        ($Test | Test-Network -Network $imported).Loss | Should -Be ($Test | Test-Network -Network $Trained).Loss

        # Resuming: one more epoch on the import and on a copy that was never saved give the same bits.
        $copy = New-ConvNet
        $null = $Train | Invoke-Training -Network $copy -Epochs 2 -Optimizer Adam -LearningRate 0.003 -Seed 1
        $null = $Train | Invoke-Training -Network $copy -Optimizer Adam -LearningRate 0.003 -Seed 1
        $null = $Train | Invoke-Training -Network $imported -Optimizer Adam -LearningRate 0.003 -Seed 1
        $imported.EpochsTrained | Should -Be 3
        Test-SameBits $imported.GetParameters() $copy.GetParameters() | Should -BeTrue
    }

    It 'writes format version 2: the input shape, the layer list, and tensors named by layer index with conv weights [F, C, K, K]' {
        $path = Join-Path $TestDrive 'header.safetensors'
        Save-Network -Network $Trained -Path $path
        $bytes = [IO.File]::ReadAllBytes($path)
        $length = [BitConverter]::ToUInt64($bytes, 0)
        $header = [Text.Encoding]::UTF8.GetString($bytes, 8, $length) | ConvertFrom-Json -AsHashtable
        $meta = $header['__metadata__']
        $meta['format'] | Should -Be 'mnisttools.network'
        $meta['format_version'] | Should -Be '2'
        $meta['input_shape'] | Should -Be '1,28,28'
        $meta['layers'] | Should -Be 'Conv2d 4 3 ReLU, MaxPool2d 2, Dropout 0.25, Flatten, Dense 10 Softmax'
        $meta.ContainsKey('layer_sizes') | Should -BeFalse
        $header['layers.0.weight'].shape | Should -Be @(4, 1, 3, 3)
        $header['layers.0.bias'].shape | Should -Be @(4)
        $header['layers.4.weight'].shape | Should -Be @(10, 676)
        $header['layers.4.bias'].shape | Should -Be @(10)
        $header['optimizer.first_moment.layers.0.weight'].shape | Should -Be @(4, 1, 3, 3)
        @($header.Keys | Where-Object { $_ -match '^layers\.[123]\.' }) | Should -BeNullOrEmpty -Because 'pooling, dropout and flatten have no parameters'
        # The first stored float is the first filter's first weight.
        $first = $header['layers.0.weight'].data_offsets[0]
        [BitConverter]::ToSingle($bytes, 8 + $length + $first) | Should -Be $Trained.GetWeights(0)[0]
    }
}

Describe 'Export-Network (convolutional)' {
    It 'writes the same ONNX model each time, with Conv, MaxPool, Flatten and Gemm nodes and none for Dropout' {
        $a = Join-Path $TestDrive 'a.onnx'; $b = Join-Path $TestDrive 'b.onnx'
        $Trained | Export-Network -Path $a -Format Onnx
        $Trained | Export-Network -Path $b -Format Onnx
        (Get-FileHash $a).Hash | Should -Be (Get-FileHash $b).Hash
        $text = [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($a))
        # Node names are layers.<index>.<operation>; the Dropout (layer 2) has no node and no tensor.
        foreach ($node in 'input.reshape', 'layers.0.conv', 'layers.0.relu', 'layers.1.maxpool', 'layers.3.flatten', 'layers.4.gemm', 'output.softmax') {
            $text | Should -Match ([regex]::Escape($node))
        }
        $text | Should -Not -Match 'layers\.2\.'
        (Get-Item $a).Length | Should -BeGreaterThan (4 * $Trained.ParameterCount)
    }
}

Describe 'Export-NetworkWeights (convolutional)' {
    It 'draws the first convolution''s filters, one K x K tile per filter' {
        $path = Join-Path $TestDrive 'filters.png'
        $Trained | Export-NetworkWeights -Path $path -Scale 8 -Columns 2
        $layout = $ContactSheet::ComputeLayout(4, 3, 3, 8, 2, $false)
        $png = Read-Png $path
        $png.Width | Should -Be $layout.Width
        $png.Height | Should -Be ($layout.Height + $WeightGrid::LegendHeight($layout))
        $weights = $Trained.GetWeights(0)
        foreach ($filter in 0..3) {
            $kernel = $weights[(9 * $filter)..(9 * $filter + 8)]
            $maxAbs = ($kernel | ForEach-Object { [math]::Abs($_) } | Measure-Object -Maximum).Maximum
            $origin = $layout.CellOrigin($filter)
            $tileX = $origin.Item1 + [int](($layout.CellWidth - 24) / 2)
            foreach ($k in 0, 4, 8) {
                $png.GetPixel($tileX + 8 * ($k % 3) + 4, $origin.Item2 + 8 * [math]::Floor($k / 3) + 4) | Should -Be ($WeightGrid::ColorOf($kernel[$k], [float]$maxAbs))
            }
        }
    }

    It 'stacks the kernels of several input channels from top to bottom' {
        $net = New-Network -Layers 'Conv2d 3 2 ReLU', 'Dense 10 Softmax' -InputShape 2, 14, 28 -Seed 1
        $path = Join-Path $TestDrive 'channels.png'
        $net | Export-NetworkWeights -Path $path -Scale 4 -Columns 3
        $layout = $ContactSheet::ComputeLayout(3, 4, 2, 4, 3, $false)
        $png = Read-Png $path
        $png.Width | Should -Be $layout.Width
        $png.Height | Should -Be ($layout.Height + $WeightGrid::LegendHeight($layout))
    }
}
