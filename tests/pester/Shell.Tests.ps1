# The shell experience: format views, CSV export, tab completion, validation, pipeline binding, -Verbose, progress,
# and the one-runspace-at-a-time guard of a network.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Test = Get-TestMnistSet -Subset Test -First 600
    $script:Net = New-Network 784, 20, 10 -Seed 1
    $script:Epochs = @($Test | Invoke-Training -Network $Net -Epochs 2 -BatchSize 20 -LearningRate 1 -ValidationSet $Test)
    $script:Result = $Test | Test-Network -Network $Net
    $script:Classes = @($Test | Get-MnistImage -First 5 | Get-Classification -Network $Net)

    function Get-Completion([string] $line) { (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches }
    function Assert-NoTypeNames($rows) {
        foreach ($row in $rows) { foreach ($p in $row.PSObject.Properties) { "$($p.Name)=$($p.Value)" | Should -Not -Match 'System\.|MnistTools\.' } }
    }
}

Describe 'Format views' {
    It 'has a view for every output type' -TestCases @(
        @{ Type = 'MnistTools.MnistDataSet' }, @{ Type = 'MnistTools.MnistImage' }, @{ Type = 'MnistTools.Network' },
        @{ Type = 'MnistTools.TrainingEpoch' }, @{ Type = 'MnistTools.TestResult' }, @{ Type = 'MnistTools.ConfusionMatrix' },
        @{ Type = 'MnistTools.ClassMetrics' }, @{ Type = 'MnistTools.Classification' }, @{ Type = 'MnistTools.SavedFile' },
        @{ Type = 'MnistTools.LayerSummary' }
    ) {
        @(Get-FormatData -TypeName $Type).Count | Should -BeGreaterThan 0
    }

    It 'shows a network as one line, as a table row with Format-Table, and in full with Format-List' {
        ($Net | Out-String).Trim() | Should -Be '784-20-10 Sigmoid/Sigmoid Quadratic, 15,910 parameters, 2 epochs trained, seed 1'
        ($Net | Format-Table | Out-String) | Should -Match '784-20-10\s+Sigmoid\s+Sigmoid\s+Quadratic\s+15,910\s+2\s+1'
        ($Net | Format-List | Out-String) | Should -Match 'Initializer\s+: Default'
    }

    It 'shows training epochs with percentages and seconds in fixed columns' {
        $lines = @(($Epochs | Format-Table | Out-String -Width 200) -split "`r?`n" | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^Epoch\s+TrainLoss\s+TrainAcc\s+ValLoss\s+ValAcc\s+Rate\s+Batch\s+Seconds\s+Images/s$'
        $lines[2] | Should -Match '^\s+1\s+0\.\d{4}\s+\d+\.\d\d %\s+0\.\d{4}\s+\d+\.\d\d %\s+1\s+20\s+\d+\.\d\d\s+[\d,]+$'
        $lines[2].Length | Should -BeLessOrEqual 80
    }

    It 'summarises a test result in one row and details it with Format-List, the confusion matrix as a grid' {
        ($Result | Format-Table | Out-String) | Should -Match 'mnist-test\s+600\s+\d+\s+\d+\.\d\d %\s+0\.\d{4}'
        $list = $Result | Format-List | Out-String
        $list | Should -Match 'true\\pred\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9'
        $list | Should -Match '9: P [\d.]+ % R [\d.]+ % F1 [\d.]+ n=\d+'
    }

    It 'prints the confusion matrix alone as a grid whose rows add up to the support' {
        $lines = @(($Result.ConfusionMatrix | Out-String) -split "`r?`n" | Where-Object { $_.Trim() })
        $lines.Count | Should -Be 11
        for ($c = 0; $c -lt 10; $c++) {
            $cells = @($lines[$c + 1].Trim() -split '\s+' | ForEach-Object { [int]$_ })
            $cells[0] | Should -Be $c
            ($cells[1..10] | Measure-Object -Sum).Sum | Should -Be $Result.PerClass[$c].Support
        }
    }

    It 'keeps every property reachable with Select-Object' {
        ($Epochs[0] | Select-Object *).PSObject.Properties.Name | Should -Be @('Epoch', 'TrainLoss', 'TrainAccuracy', 'ValidationLoss',
            'ValidationAccuracy', 'LearningRate', 'LearningRateMin', 'LearningRateMax', 'LearningRateSchedule', 'BatchSize', 'Optimizer',
            'L2', 'WeightDecay', 'Augmentation', 'Samples', 'Seconds', 'SamplesPerSecond', 'IsBest', 'StopReason')
        ($Result | Select-Object -ExpandProperty PerClass).Count | Should -Be 10
        $Result.ConfusionMatrix[3, 3] | Should -Be ([math]::Round($Result.PerClass[3].Recall * $Result.PerClass[3].Support))
    }
}

Describe 'Export-Csv' {
    BeforeAll { $script:Csv = Join-Path $TestDrive 'rows.csv' }

    It 'round-trips TrainingEpoch rows as plain numbers' {
        $Epochs | Export-Csv -LiteralPath $Csv
        $back = @(Import-Csv -LiteralPath $Csv)
        Assert-NoTypeNames $back
        $back.Count | Should -Be 2
        for ($i = 0; $i -lt 2; $i++) {
            foreach ($name in 'Epoch', 'TrainLoss', 'TrainAccuracy', 'ValidationLoss', 'ValidationAccuracy', 'LearningRate', 'LearningRateMin',
                'LearningRateMax', 'BatchSize', 'L2', 'WeightDecay', 'Samples', 'Seconds', 'SamplesPerSecond') {
                [double]::Parse($back[$i].$name, [cultureinfo]::InvariantCulture) | Should -Be ([double]$Epochs[$i].$name) -Because $name
            }
            $back[$i].Optimizer | Should -Be 'Sgd'
            $back[$i].LearningRateSchedule | Should -Be 'Constant'
            $back[$i].IsBest | Should -Be 'False'
        }
        $back[0].StopReason | Should -Be ''
        $back[1].StopReason | Should -Be 'Completed'
    }

    It 'round-trips a TestResult, the confusion matrix and per-class F1 as one column each' {
        $Result | Export-Csv -LiteralPath $Csv
        $back = Import-Csv -LiteralPath $Csv
        Assert-NoTypeNames $back
        $back.PSObject.Properties.Name | Should -Be @('DataSet', 'Total', 'Correct', 'Accuracy', 'NetworkCount', 'Loss', 'ConfusionMatrix', 'PerClass')
        [int]$back.Correct | Should -Be $Result.Correct
        [int]$back.NetworkCount | Should -Be 1
        [double]::Parse($back.Loss, [cultureinfo]::InvariantCulture) | Should -Be $Result.Loss
        $matrix = [MnistTools.ConfusionMatrix]::Parse($back.ConfusionMatrix)
        for ($r = 0; $r -lt 10; $r++) { for ($c = 0; $c -lt 10; $c++) { $matrix[$r, $c] | Should -Be $Result.ConfusionMatrix[$r, $c] } }
        @($back.PerClass -split ' ').Count | Should -Be 10
        ($back.PerClass -split ' ')[7] | Should -Be ('7={0}' -f $Result.PerClass[7].F1.ToString('F4', [cultureinfo]::InvariantCulture))
    }

    It 'round-trips per-class rows' {
        $Result.PerClass | Export-Csv -LiteralPath $Csv
        $back = @(Import-Csv -LiteralPath $Csv)
        Assert-NoTypeNames $back
        $back.Count | Should -Be 10
        for ($c = 0; $c -lt 10; $c++) {
            foreach ($name in 'Class', 'Precision', 'Recall', 'F1', 'Support') {
                [double]::Parse($back[$c].$name, [cultureinfo]::InvariantCulture) | Should -Be ([double]$Result.PerClass[$c].$name)
            }
        }
    }

    It 'round-trips classifications, the scores bit for bit' {
        $Classes | Export-Csv -LiteralPath $Csv
        $back = @(Import-Csv -LiteralPath $Csv)
        Assert-NoTypeNames $back
        $back[0].PSObject.Properties.Name | Should -Be @('Index', 'Path', 'Label', 'Predicted', 'PredictedName', 'LabelName', 'Confidence', 'IsCorrect', 'NetworkCount', 'Scores')
        $back[0].Path | Should -Be '' -Because 'images of a data set have no file'
        for ($i = 0; $i -lt $Classes.Count; $i++) {
            [int]$back[$i].Index | Should -Be $Classes[$i].Index
            [int]$back[$i].Label | Should -Be $Classes[$i].Label
            [int]$back[$i].Predicted | Should -Be $Classes[$i].Predicted
            [bool]::Parse($back[$i].IsCorrect) | Should -Be $Classes[$i].IsCorrect
            $scores = [MnistTools.ScoreVector]::Parse($back[$i].Scores)
            [System.Linq.Enumerable]::SequenceEqual([float[]]$scores.ToArray(), [float[]]$Classes[$i].Scores.ToArray()) | Should -BeTrue
        }
    }

    It 'refuses a damaged confusion matrix column with InvalidData' {
        $caught = $null
        try { [MnistTools.ConfusionMatrix]::Parse('1 2;3') } catch { $caught = $_.Exception.InnerException }
        $caught | Should -BeOfType MnistTools.Errors.MnistToolsException
        $caught.ErrorId | Should -Be 'ConfusionMatrixText'
        $caught.Kind | Should -Be 'InvalidData'
    }
}

Describe 'Tab completion' {
    It 'completes <Line> with <Expected>' -TestCases @(
        @{ Line = 'New-Network -Activation '; Expected = 'Sigmoid', 'ReLU', 'Tanh', 'LeakyReLU', 'None', 'Softmax' }
        @{ Line = 'New-Network -OutputActivation '; Expected = 'Sigmoid', 'ReLU', 'Tanh', 'LeakyReLU', 'None', 'Softmax' }
        @{ Line = 'New-Network -Loss '; Expected = 'Quadratic', 'CrossEntropy' }
        @{ Line = 'New-Network -Initializer '; Expected = 'Default', 'Normal', 'Xavier', 'He' }
        @{ Line = 'Invoke-Training -Optimizer '; Expected = 'Sgd', 'Momentum', 'Adam', 'AdamW' }
        @{ Line = 'Invoke-Training -LearningRateSchedule '; Expected = 'Constant', 'Step', 'Cosine', 'OneCycle', 'Plateau' }
        @{ Line = 'Invoke-Training -Augment '; Expected = 'None', 'Shift', 'Affine', 'Elastic' }
        @{ Line = 'Get-MnistImage -Augment '; Expected = 'None', 'Shift', 'Affine', 'Elastic' }
        @{ Line = 'Export-TrainingChart -Metric '; Expected = 'Loss', 'Accuracy', 'LearningRate' }
        @{ Line = 'Import-MnistSet -Subset '; Expected = 'Train', 'Test' }
        @{ Line = 'Export-Network -Format '; Expected = 'Onnx' }
        @{ Line = 'Save-MnistSet -Name '; Expected = 'Mnist', 'FashionMnist', 'KMnist', 'QMnist', 'EMnistByClass', 'EMnistByMerge', 'EMnistBalanced', 'EMnistLetters', 'EMnistDigits', 'EMnistMnist' }
        @{ Line = 'Save-MnistSet '; Expected = 'Mnist', 'FashionMnist', 'KMnist', 'QMnist', 'EMnistByClass', 'EMnistByMerge', 'EMnistBalanced', 'EMnistLetters', 'EMnistDigits', 'EMnistMnist' }
        @{ Line = 'Save-MnistSet -Name em'; Expected = 'EMnistByClass', 'EMnistByMerge', 'EMnistBalanced', 'EMnistLetters', 'EMnistDigits', 'EMnistMnist' }
        @{ Line = 'Save-MnistSet -Name fa'; Expected = @('FashionMnist') }
        @{ Line = 'New-Network -Activation Le'; Expected = @('LeakyReLU') }
    ) {
        $got = @(Get-Completion $Line | ForEach-Object CompletionText)
        ($got | Sort-Object) | Should -Be ($Expected | Sort-Object)
    }

    It 'completes New-Network -Layers with the layer kinds of the core, quoted and ready for the arguments' {
        $registry = [MnistTools.Layers.LayerKinds]::All
        $kinds = @($registry | ForEach-Object Name)
        $kinds | Should -Contain 'Conv2d'
        $kinds | Should -Contain 'BatchNorm'
        $closed = @($registry | Where-Object Usage -eq '' | ForEach-Object Name)
        $closed | Should -Be @('GlobalAvgPool', 'Flatten')
        $expected = @($kinds | ForEach-Object { if ($_ -in $closed) { "'$_'" } else { "'$_ " } })
        $got = @(Get-Completion "New-Network -Layers '")
        $got.ListItemText | Should -Be $kinds
        $got.CompletionText | Should -Be $expected
        ($got | Where-Object ListItemText -eq 'Conv2d').ToolTip |
            Should -Be 'Conv2d <filters> <kernel> [stride=<s>] [padding=valid|same] [bias=false] [<activation>] [slope=<a>]: 2-D convolution over a channels x height x width input'
        # Later elements of the list: PowerShell does not call a completer inside an unterminated quote after a comma
        # (it offers file names there), so the kinds come right after the comma or after a bare prefix.
        @(Get-Completion "New-Network -Layers 'Dense 10 Softmax', co").CompletionText | Should -Be @("'Conv2d ")
        @(Get-Completion "New-Network -Layers 'Dense 10 Softmax',").CompletionText.Count | Should -Be $kinds.Count
        @(Get-Completion 'New-Network -Layers "max').CompletionText | Should -Be @('"MaxPool2d ')
        @(Get-Completion 'New-Network -Layers ').CompletionText | Should -Be $expected
        # Never file names.
        @(Get-Completion "New-Network -Layers 'Dense 1") | Should -BeNullOrEmpty
    }

    It 'explains each data set in the -Name tooltip' {
        $matches = @(Get-Completion 'Save-MnistSet -Name ')
        ($matches | Where-Object CompletionText -eq 'Mnist').ToolTip | Should -Match 'Handwritten digits.*60,000.*data[/\\]mnist'
        ($matches | Where-Object CompletionText -eq 'FashionMnist').ToolTip | Should -Match 'Zalando.*data[/\\]fashion-mnist'
    }

    It 'rejects an unknown set name as a parameter validation error' {
        { Save-MnistSet -Name Cifar10 -Path $TestDrive } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistTools.Commands.SaveMnistSetCommand'
    }
}

Describe 'Validation' {
    It 'puts ValidateRange on every count, size and rate of every cmdlet' {
        # Seeds take any int; LayerSizes and InputShape are shapes the core checks with their own errors
        # (LayerSizeOutOfRange, InputShapeInvalid); Get-MnistImage -Index reports each bad index as a non-terminating
        # error and goes on with the rest.
        $exempt = 'Seed', 'LayerSizes', 'InputShape', 'Index'
        $numeric = [int], [int[]], [long], [double], [double[]], [float]
        $missing = foreach ($command in Get-Command -Module MnistTools) {
            foreach ($p in $command.Parameters.Values) {
                if ($p.ParameterType -notin $numeric -or $p.Name -in $exempt) { continue }
                if (-not ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateRangeAttribute] })) { "$($command.Name) -$($p.Name)" }
            }
        }
        $missing | Should -BeNullOrEmpty
    }

    It 'refuses <Name>' -TestCases @(
        @{ Name = 'a zero learning rate'; Script = { $Test | Invoke-Training -Network (New-Network 784, 10 -Seed 1) -LearningRate 0 } }
        @{ Name = 'a huge batch'; Script = { $Test | Invoke-Training -Network (New-Network 784, 10 -Seed 1) -BatchSize 2000000 } }
        @{ Name = 'negative L2'; Script = { $Test | Invoke-Training -Network (New-Network 784, 10 -Seed 1) -L2 -1 } }
    ) {
        $Script | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistTools.Commands.InvokeTrainingCommand'
    }
}

Describe 'Pipeline binding' {
    BeforeAll { $script:Small = New-SyntheticSet -Count 120 -Side 4 -Classes 3 }

    It 'Import-MnistSet binds a folder from Get-Item (PSPath) and a path string by value' {
        $fromItem = Get-Item -LiteralPath $env:MNIST_DATA | Import-MnistSet -Subset Test -First 10
        $fromString = $env:MNIST_DATA | Import-MnistSet -Subset Test -First 10
        $fromItem.Count | Should -Be 10
        $fromString.Name | Should -Be $fromItem.Name
    }

    It 'Get-MnistImage and Get-Classification take a data set by value' {
        @($Test | Get-MnistImage -First 3).Count | Should -Be 3
        @($Test | Get-Classification -Network $Net).Count | Should -Be 600
        @($Test | Get-MnistImage -First 3 | Get-Classification -Network $Net).Predicted | Should -Be @($Classes[0..2].Predicted)
    }

    It 'Test-Network takes a data set or a network by value' {
        ($Test | Test-Network -Network $Net).Correct | Should -Be $Result.Correct
        ($Net | Test-Network -DataSet $Test).Correct | Should -Be $Result.Correct
    }

    It 'Invoke-Training takes a data set or networks by value; -PassThru emits each network trained' {
        $a = New-Network 16, 5, 3 -Seed 7; $b = New-Network 16, 5, 3 -Seed 7; $c = New-Network 16, 8, 3 -Seed 8
        $bySet = @($Small | Invoke-Training -Network $a -Epochs 1 -BatchSize 10)
        $out = @($b, $c | Invoke-Training -DataSet $Small -Epochs 1 -BatchSize 10 -PassThru)
        $out.Count | Should -Be 4
        $out[0].TrainLoss | Should -Be $bySet[0].TrainLoss
        [object]::ReferenceEquals($out[2], $b) | Should -BeTrue
        [object]::ReferenceEquals($out[3], $c) | Should -BeTrue
        $c.EpochsTrained | Should -Be 1
    }

    It 'Save-Network and Export-Network take the network by value; Import-Network binds Get-ChildItem and FullName' {
        $n = New-Network 16, 5, 3 -Seed 3
        $n | Save-Network -Path (Join-Path $TestDrive 'a.safetensors')
        $n | Save-Network -Path (Join-Path $TestDrive 'b.safetensors')
        $n | Export-Network -Path (Join-Path $TestDrive 'a.onnx')
        Test-Path (Join-Path $TestDrive 'a.onnx') | Should -BeTrue
        $fromDir = @(Get-ChildItem -LiteralPath $TestDrive -Filter *.safetensors | Import-Network)
        $fromDir.Count | Should -Be 2
        $fromName = [pscustomobject]@{ FullName = (Join-Path $TestDrive 'a.safetensors') } | Import-Network
        [System.Linq.Enumerable]::SequenceEqual($fromName.GetParameters(), $n.GetParameters()) | Should -BeTrue
    }

    It 'Export-ConfusionMatrix takes a TestResult and Export-TrainingChart the epoch rows by value' {
        $Result | Export-ConfusionMatrix -Path (Join-Path $TestDrive 'cm.png')
        $Epochs | Export-TrainingChart -Path (Join-Path $TestDrive 'curve.png')
        (Get-Item (Join-Path $TestDrive 'cm.png')).Length | Should -BeGreaterThan 1000
        (Get-Item (Join-Path $TestDrive 'curve.png')).Length | Should -BeGreaterThan 1000
    }

    It 'Show-MnistImage takes images and classifications by value' {
        @($Test | Get-MnistImage -First 1 | Show-MnistImage)[0] | Should -Match '^#0 label 7'
        @($Classes[0] | Show-MnistImage)[0] | Should -Match '^#0 predicted'
    }
}

Describe '-Verbose and progress' {
    It 'says what <Name> did' -TestCases @(
        @{ Name = 'Test-Network'; Script = { $Test | Test-Network -Network $Net -Verbose 4>&1 }; Pattern = 'Tested 784-20-10 .* on ''mnist-test'': \d+ of 600 correct .* in \d+ ms' }
        @{ Name = 'Get-Classification'; Script = { $Test | Get-Classification -Network $Net -Verbose 4>&1 }; Pattern = 'Classified 600 images of ''mnist-test'' .* in \d+ ms' }
        @{ Name = 'Invoke-Training'; Script = { $Test | Invoke-Training -Network (New-Network 784, 10 -Seed 2) -BatchSize 50 -Verbose 4>&1 }; Pattern = 'Epoch 1: 600 images in [\d.]+ s' }
        @{ Name = 'New-Network'; Script = { New-Network 784, 10 -Verbose 4>&1 }; Pattern = 'seed \d+ \(chosen at random; pass -Seed' }
        @{ Name = 'Save-Network'; Script = { $Net | Save-Network -Path (Join-Path $TestDrive 'v.safetensors') -Verbose 4>&1 }; Pattern = 'Saved .* \([\d,]+ bytes\) in \d+ ms' }
    ) {
        $verbose = @(& $Script | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        ($verbose.Message -join "`n") | Should -Match $Pattern
    }

    It 'reports training progress at most every 250 ms, plus each epoch end' {
        $train = Get-TestMnistSet -Subset Train -First 6000
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($ModulePath, $Set)
                    Import-Module $ModulePath
                    $net = New-Network 784, 32, 10 -Seed 1
                    $clock = [Diagnostics.Stopwatch]::StartNew()
                    $null = $Set | Invoke-Training -Network $net -Epochs 2 -BatchSize 10 -LearningRate 1
                    $clock.Elapsed.TotalSeconds
                }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($train)
            $seconds = $ps.Invoke()[0]
            $records = @($ps.Streams.Progress)
        }
        finally { $ps.Dispose() }
        $running = @($records | Where-Object RecordType -eq 'Processing')
        $running.Count | Should -BeGreaterThan 0
        $running.Count | Should -BeLessOrEqual ([math]::Ceiling($seconds / 0.25) + 2 + 1)
        $running[-1].StatusDescription | Should -Match "Epoch 2 \(2 of 2\) done"
        $running[-1].PercentComplete | Should -Be 100
        @($records | Where-Object RecordType -eq 'Completed').Count | Should -Be 1
    }
}

Describe 'One runspace at a time' {
    It 'refuses to train, test, classify, save or export a network that another runspace is training, and keeps it valid' {
        $set = New-SyntheticSet -Count 3000 -Side 16 -Classes 4
        $shared = New-Network 256, 64, 4 -Seed 5
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($ModulePath, $Set, $Net)
                    Import-Module $ModulePath
                    $Set | Invoke-Training -Network $Net -Epochs 100000 -BatchSize 1 -LearningRate 0.01 | Out-Null
                }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($set).AddArgument($shared)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not $shared.IsTraining -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
            $shared.IsTraining | Should -BeTrue

            { $set | Invoke-Training -Network $shared -Epochs 1 } | Should -Throw -ErrorId 'NetworkInUse,MnistTools.Commands.InvokeTrainingCommand'
            $null = $set | Test-Network -Network $shared -ErrorVariable testErrors -ErrorAction SilentlyContinue
            $testErrors[0].FullyQualifiedErrorId | Should -Be 'NetworkInUse,MnistTools.Commands.TestNetworkCommand'
            $testErrors[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
            $testErrors[0].Exception.Message | Should -Match 'one runspace at a time'
            $null = $set | Get-MnistImage -First 1 | Get-Classification -Network $shared -ErrorVariable classifyErrors -ErrorAction SilentlyContinue
            $classifyErrors[0].FullyQualifiedErrorId | Should -Be 'NetworkInUse,MnistTools.Commands.GetClassificationCommand'
            $shared | Save-Network -Path (Join-Path $TestDrive 'busy.safetensors') -ErrorVariable saveErrors -ErrorAction SilentlyContinue
            $saveErrors[0].FullyQualifiedErrorId | Should -Be 'NetworkInUse,MnistTools.Commands.SaveNetworkCommand'
            $saveErrors[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
            $saveErrors[0].TargetObject | Should -Be $shared
            Test-Path (Join-Path $TestDrive 'busy.safetensors') | Should -BeFalse
            $shared | Export-Network -Path (Join-Path $TestDrive 'busy.onnx') -ErrorVariable exportErrors -ErrorAction SilentlyContinue
            $exportErrors[0].FullyQualifiedErrorId | Should -Be 'NetworkInUse,MnistTools.Commands.ExportNetworkCommand'
            $exportErrors[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
            Test-Path (Join-Path $TestDrive 'busy.onnx') | Should -BeFalse
        }
        finally {
            $ps.Stop()
            $ps.Dispose()
        }
        $shared.IsTraining | Should -BeFalse
        ($set | Test-Network -Network $shared).Total | Should -Be 3000
        @($set | Invoke-Training -Network $shared -Epochs 1 -BatchSize 100).Count | Should -Be 1
    }
}

Describe 'Assembly isolation' {
    It 'loads the third-party dependencies and the picture code into their own load context' {
        $null = New-Network 784, 10 -Seed 1 | Test-Network -DataSet $Test
        $contexts = @{}
        foreach ($a in [AppDomain]::CurrentDomain.GetAssemblies()) {
            $contexts["$($a.GetName().Name) $($a.GetName().Version)"] = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($a).Name
        }
        $contexts['System.Numerics.Tensors 10.0.0.0'] | Should -Be 'MnistTools dependencies'
        $contexts['MnistTools.Core 0.1.0.0'] | Should -Be 'Default'
        foreach ($file in Get-ChildItem (Join-Path (Get-Module MnistTools).ModuleBase 'dependencies') -Filter *.dll) {
            Test-Path (Join-Path $PSHOME $file.Name) | Should -BeFalse -Because "$($file.Name) must not shadow or be shadowed by PowerShell's own copy"
        }
    }

    It 'works beside another module that loaded an older System.Numerics.Tensors first' -Skip:(-not (Test-Path (Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages/system.numerics.tensors/9.0.0/lib/net8.0/System.Numerics.Tensors.dll'))) {
        $older = Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages/system.numerics.tensors/9.0.0/lib/net8.0/System.Numerics.Tensors.dll'
        $script = "Add-Type -LiteralPath '$older'; Import-Module '$env:MNISTTOOLS_MODULE'; " +
            '$s = [MnistTools.Data.IdxReader]::ReadDataSet((Join-Path $env:MNIST_DATA "t10k-images-idx3-ubyte.gz"), (Join-Path $env:MNIST_DATA "t10k-labels-idx1-ubyte.gz"), "t", 0, 300, 10, [Threading.CancellationToken]::None); ' +
            '$n = New-Network 784, 10 -Seed 1 -OutputActivation Softmax -Loss CrossEntropy; $null = $s | Invoke-Training -Network $n; ' +
            '"correct=" + ($s | Test-Network -Network $n).Correct; ' +
            '([AppDomain]::CurrentDomain.GetAssemblies() | ? { $_.GetName().Name -eq "System.Numerics.Tensors" } | % { $_.GetName().Version.Major } | Sort-Object) -join ","'
        $pwsh = [Environment]::ProcessPath
        [string[]] $hostArgs = if ((Split-Path -Leaf $pwsh) -match '^dotnet') { @((Join-Path $PSHOME 'pwsh.dll')) } else { @() }
        $out = & $pwsh @hostArgs -NoProfile -NonInteractive -Command $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $set = Get-TestMnistSet -Subset Test -First 300
        $n = New-Network 784, 10 -Seed 1 -OutputActivation Softmax -Loss CrossEntropy
        $null = $set | Invoke-Training -Network $n
        $out[0] | Should -Be "correct=$(($set | Test-Network -Network $n).Correct)"
        $out[1] | Should -Be '9,10'
    }
}
