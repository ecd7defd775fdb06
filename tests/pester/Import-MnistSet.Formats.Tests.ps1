# Import-MnistSet on CSV files and picture folders (made here from the real MNIST test set), the Kaggle submission
# pipeline, unlabelled sets through Get-Classification, Test-Network and Invoke-Training, and the errors of bad input.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    $script:Data = Get-MnistDataFolder
    $script:Cmd = 'MnistTools.Commands.ImportMnistSetCommand'
    $script:Test = Import-MnistSet -Path $Data -Subset Test -First 300

    # A CSV file of images [First, First+Count) of the test set: Kaggle's train.csv layout, or its test.csv (no label
    # column), or the headerless label-first mnist_train.csv of tutorials. Written here, not by Export-MnistSet.
    function New-MnistCsv([string] $Path, [int] $Count, [switch] $NoLabels, [switch] $NoHeader, [int] $Skip = 0) {
        $lines = [System.Collections.Generic.List[string]]::new()
        if (-not $NoHeader) {
            $names = @(0..783 | ForEach-Object { "pixel$_" })
            $lines.Add(((@(if (-not $NoLabels) { 'label' }) + $names) -join ','))
        }
        for ($i = $Skip; $i -lt $Skip + $Count; $i++) {
            $image = $Test[$i]
            $fields = @(if (-not $NoLabels) { $image.Label }) + [int[]]$image.Pixels
            $lines.Add(($fields -join ','))
        }
        [IO.File]::WriteAllLines($Path, $lines)
        $Path
    }

    function Assert-Error([scriptblock] $Command, [string] $Id, [string] $Category, $Target, [string] $Cmdlet = $Cmd) {
        $e = Get-SingleError $Command
        $e.FullyQualifiedErrorId | Should -Be "$Id,$Cmdlet"
        $e.CategoryInfo.Category | Should -Be $Category
        $e.TargetObject | Should -Be $Target
        $e
    }

    function Get-Errors([scriptblock] $Command) {
        $ErrorActionPreference = 'Continue'
        $all = @(& $Command 2>&1 3>&1)
        [pscustomobject]@{
            Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] -and $_ -isnot [System.Management.Automation.WarningRecord] })
            Errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            Warnings = @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        }
    }
}

Describe 'Import-MnistSet (CSV)' {
    It 'reads Kaggle''s train.csv layout: labels and pixels as the IDX files hold them' {
        $csv = New-MnistCsv "$TestDrive/train.csv" 50
        $set = Import-MnistSet $csv
        $set.Name | Should -Be 'train'
        $set.Count | Should -Be 50
        $set.Rows | Should -Be 28
        $set.IsLabelled | Should -BeTrue
        $set.ClassCount | Should -Be 10
        $set.Source | Should -Be $csv
        foreach ($i in 0, 17, 49) {
            $set[$i].Label | Should -Be $Test[$i].Label
            $set[$i].Pixels | Should -Be $Test[$i].Pixels
        }
    }

    It 'reads the headerless label-first layout, with -Skip and -First' {
        $csv = New-MnistCsv "$TestDrive/mnist_test.csv" 30 -NoHeader
        $set = Import-MnistSet -LiteralPath $csv -Skip 10 -First 5
        $set.Count | Should -Be 5
        $set[0].Label | Should -Be $Test[10].Label
        $set[4].Pixels | Should -Be $Test[14].Pixels
    }

    It 'the Kaggle submission pipeline: test.csv without labels, classified, ImageId from 1' {
        $train = New-MnistCsv "$TestDrive/k-train.csv" 200
        $testCsv = New-MnistCsv "$TestDrive/k-test.csv" 40 -NoLabels -Skip 200
        $net = New-Network -LayerSizes 784, 16, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 3
        Import-MnistSet $train | Invoke-Training -Network $net -Epochs 2 -BatchSize 20 | Out-Null
        Push-Location $TestDrive
        try {
            Import-MnistSet k-test.csv | Get-Classification -Network $net | Select-Object @{n='ImageId';e={$_.Index+1}}, @{n='Label';e={$_.Predicted}} | Export-Csv submission.csv
            $rows = @(Import-Csv submission.csv)
        }
        finally { Pop-Location }
        (Get-Content "$TestDrive/submission.csv" -First 1) | Should -Be '"ImageId","Label"'
        $rows.Count | Should -Be 40
        $rows[0].ImageId | Should -Be '1'
        $rows[39].ImageId | Should -Be '40'
        # The same images from the IDX file get the same predictions.
        $expected = @($Test | Get-MnistImage -Index (200..239) | Get-Classification -Network $net | ForEach-Object Predicted)
        @($rows | ForEach-Object { [int]$_.Label }) | Should -Be $expected
    }

    It 'an unlabelled set: Get-Classification gives Label and IsCorrect null; Test-Network and Invoke-Training refuse it' {
        $set = Import-MnistSet (New-MnistCsv "$TestDrive/unlabelled.csv" 5 -NoLabels)
        $set.IsLabelled | Should -BeFalse
        $set[0].Label | Should -BeNullOrEmpty
        $net = New-Network -LayerSizes 784, 8, 10 -Seed 1
        $c = @($set | Get-Classification -Network $net)
        $c.Count | Should -Be 5
        $c[0].Label | Should -BeNullOrEmpty
        $c[0].IsCorrect | Should -BeNullOrEmpty
        $c[0].LabelName | Should -BeNullOrEmpty
        $c[0].PredictedName | Should -Be "$($c[0].Predicted)"
        Assert-Error { $set | Test-Network -Network $net } 'DataSetUnlabelled' 'InvalidArgument' 'DataSet' 'MnistTools.Commands.TestNetworkCommand' |
            ForEach-Object { $_.Exception.Message | Should -Match 'unlabelled\.csv' }
        Assert-Error { $set | Invoke-Training -Network $net -Epochs 1 } 'DataSetUnlabelled' 'InvalidArgument' 'DataSet' 'MnistTools.Commands.InvokeTrainingCommand'
        Assert-Error { $set | Get-MnistImage -Label 3 } 'DataSetUnlabelled' 'InvalidArgument' 'Label' 'MnistTools.Commands.GetMnistImageCommand'
        @($set | Get-MnistImage -Index 4).Count | Should -Be 1
        ($set | Get-MnistImage -First 1 | Show-MnistImage)[0] | Should -Match '#0 label \?'
        $labelled = Import-MnistSet (New-MnistCsv "$TestDrive/labelled.csv" 5)
        Assert-Error { $labelled | Invoke-Training -Network $net -Epochs 1 -ValidationSet $set } 'DataSetUnlabelled' 'InvalidArgument' 'ValidationSet' 'MnistTools.Commands.InvokeTrainingCommand'
    }

    It 'class names: -ClassNames names classes everywhere; a network with another output count is refused clearly' {
        $csv = "$TestDrive/three.csv"
        [IO.File]::WriteAllLines($csv, @('label,a,b,c,d', '0,1,2,3,4', '2,9,9,9,9', '1,0,0,0,0'))
        $set = Import-MnistSet $csv -ClassNames cat, dog, cow
        $set.ClassCount | Should -Be 3
        $set[1].ClassName | Should -Be 'cow'
        $wrong = New-Network -LayerSizes 4, 3, 10 -Seed 1
        $e = Assert-Error { $set | Test-Network -Network $wrong } 'NetworkDataMismatch' 'InvalidArgument' 'DataSet' 'MnistTools.Commands.TestNetworkCommand'
        $e.Exception.Message | Should -Match '10 outputs.*3 classes \(cat, dog, cow\)'
        $net = New-Network -LayerSizes 4, 3, 3 -Seed 1
        $result = $set | Test-Network -Network $net
        @($result.PerClass.Name) | Should -Be @('cat', 'dog', 'cow')
        $c = @($set | Get-Classification -Network $net)
        $c[1].LabelName | Should -Be 'cow'
        $c[1].PredictedName | Should -Be @('cat', 'dog', 'cow')[$c[1].Predicted]
        ($set | Get-MnistImage -Index 2 | Get-Classification -Network $net).LabelName | Should -Be 'dog'
    }

    It 'tells the format from the path, and -Format forces it' {
        $csv = New-MnistCsv "$TestDrive/digits.data" 3
        (Import-MnistSet $csv -Format Csv).Count | Should -Be 3
        Assert-Error { Import-MnistSet $csv } 'LabelPathNotInferred' 'InvalidArgument' $csv
        Assert-Error { Import-MnistSet $csv -Format Csv -Size 20 } 'ParameterNotApplicable' 'InvalidArgument' $csv
        Assert-Error { Import-MnistSet -Path $Data -LabelColumn label } 'ParameterNotApplicable' 'InvalidArgument' $Data
    }

    Context 'bad CSV files: one error each, naming the file, line and column' {
        It 'a short row' {
            $csv = "$TestDrive/short.csv"
            [IO.File]::WriteAllLines($csv, @('label,a,b,c,d', '1,0,0,0,0', '2,0,0,0'))
            (Assert-Error { Import-MnistSet $csv } 'CsvRowLength' 'InvalidData' $csv).Exception.Message | Should -Match 'line 3 has 4 field'
        }

        It 'a value that is not a number' {
            $csv = "$TestDrive/nan.csv"
            [IO.File]::WriteAllLines($csv, @('label,a,b,c,d', '1,0,0,0,0', '2,0,zero,0,0'))
            (Assert-Error { Import-MnistSet $csv } 'CsvNotANumber' 'InvalidData' $csv).Exception.Message | Should -Match "line 3, column 3 \('b'\): 'zero'"
        }

        It 'a pixel out of 0..255' {
            $csv = "$TestDrive/range.csv"
            [IO.File]::WriteAllLines($csv, @('1,0,0,0,300'))
            (Assert-Error { Import-MnistSet $csv } 'CsvValueOutOfRange' 'InvalidData' $csv).Exception.Message | Should -Match 'line 1, column 5: pixel 300'
        }

        It 'a missing label column' {
            $csv = New-MnistCsv "$TestDrive/nolabel.csv" 2 -NoLabels
            (Assert-Error { Import-MnistSet $csv -LabelColumn label } 'CsvLabelColumnNotFound' 'InvalidData' $csv).Exception.Message | Should -Match "no column named 'label'"
        }

        It 'columns that make no square image' {
            $csv = "$TestDrive/shape.csv"
            [IO.File]::WriteAllLines($csv, @('1,2,3,4,5,6,7'))
            Assert-Error { Import-MnistSet $csv } 'CsvColumnCount' 'InvalidData' $csv
        }

        It 'an empty file, and the other paths still load' {
            $csv = "$TestDrive/empty.csv"
            [IO.File]::WriteAllText($csv, '')
            $good = New-MnistCsv "$TestDrive/good.csv" 2
            $r = Get-Errors { Import-MnistSet $csv, $good }
            $r.Errors.Count | Should -Be 1
            $r.Errors[0].FullyQualifiedErrorId | Should -Be "CsvEmptyFile,$Cmd"
            $r.Output.Count | Should -Be 1
            $r.Output[0].Count | Should -Be 2
        }
    }
}

Describe 'Import-MnistSet (picture folders)' {
    BeforeAll {
        # Two classes of MNIST test images as 28x28 PNGs (Export-MnistImage -Scale 1: dark ink on white).
        $script:Pictures = Join-Path $TestDrive 'pictures'
        foreach ($i in 0..5) {
            $class = if ($i % 2) { 'odd' } else { 'even' }
            New-Item -ItemType Directory -Force (Join-Path $Pictures $class) | Out-Null
            $Test[$i] | Export-MnistImage -Path (Join-Path $Pictures "$class/$i.png") -Scale 1
        }
    }

    It 'sub-folders are the classes, sorted; 28x28 pictures come back as the images they were' {
        $set = Import-MnistSet $Pictures
        $set.Name | Should -Be 'pictures'
        $set.ClassNames | Should -Be @('even', 'odd')
        $set.Count | Should -Be 6
        @(0..5 | ForEach-Object { $set.GetLabel($_) }) | Should -Be @(0, 0, 0, 1, 1, 1)
        $set[0].Pixels | Should -Be $Test[0].Pixels
        $set[4].Pixels | Should -Be $Test[3].Pixels
        $set[4].ClassName | Should -Be 'odd'
    }

    It 'bad pictures are reported one by one (WriteError naming each); files that are not pictures get one warning; the rest load' {
        $folder = Join-Path $TestDrive 'with-bad'
        Copy-Item -Recurse $Pictures $folder
        $corrupt = Write-Bytes (Join-Path $folder 'even/broken.png') ([IO.File]::ReadAllBytes((Join-Path $folder 'even/0.png'))[0..60])
        $text = Write-Bytes (Join-Path $folder 'odd/notes.txt') ([Text.Encoding]::ASCII.GetBytes('hello'))
        foreach ($i in 1..20) { Write-Bytes (Join-Path $folder "odd/extra$i.json") ([byte[]](123, 125)) | Out-Null }
        $r = Get-Errors { Import-MnistSet $folder }
        $r.Output.Count | Should -Be 1
        $r.Output[0].Count | Should -Be 6
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "ImageDecodeFailed,$Cmd"
        $r.Errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $r.Errors[0].TargetObject | Should -Be $corrupt
        $warnings = @($r.Warnings | Where-Object { "$_" -match 'not pictures' })
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match '21 file\(s\) that are not pictures'
        $verbose = @(Import-MnistSet $folder -Verbose -ErrorAction SilentlyContinue -WarningAction SilentlyContinue 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        @($verbose | Where-Object { $_ -like "*$text*is not a picture*" }).Count | Should -Be 1
    }

    It 'a link loop (a/s1 -> .) and a link to another class''s picture: each picture once, under its own label, one warning' {
        $folder = Join-Path $TestDrive 'links'
        Copy-Item -Recurse $Pictures $folder
        New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'even/s1') -Target (Join-Path $folder 'even') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'even/9.png') -Target (Join-Path $folder 'odd/1.png') | Out-Null
        $r = Get-Errors { Import-MnistSet $folder }
        $r.Errors | Should -BeNullOrEmpty
        $set = $r.Output[0]
        $set.Count | Should -Be 6
        @(0..5 | ForEach-Object { $set.GetLabel($_) }) | Should -Be @(0, 0, 0, 1, 1, 1)
        $set[1].Pixels | Should -Be $Test[2].Pixels
        @($r.Warnings | Where-Object { "$_" -match '2 link\(s\)' }).Count | Should -Be 1
    }

    It 'a picture that is a link to /dev/zero: PathNotRegularFile for it, the rest load' {
        $folder = Join-Path $TestDrive 'device'
        Copy-Item -Recurse $Pictures $folder
        $zero = (New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'odd/zero.png') -Target /dev/zero).FullName
        $r = Get-Errors { Import-MnistSet $folder }
        $r.Output[0].Count | Should -Be 6
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "PathNotRegularFile,$Cmd"
        $r.Errors[0].TargetObject | Should -Be $zero
    }

    It 'a folder one level above the IDX files: one error naming the folder that holds them, -Subset or not' {
        $above = Join-Path $TestDrive 'above'
        New-TinyMnistFolder (Join-Path $above 'mnist') | Out-Null
        Write-Bytes (Join-Path $above 'README.md') ([byte[]](65)) | Out-Null
        $e = Assert-Error { Import-MnistSet $above } 'IdxFilesInSubfolder' 'InvalidArgument' (Join-Path $above 'mnist')
        $e.Exception.Message | Should -Match ([regex]::Escape("Import-MnistSet -Path '$(Join-Path $above 'mnist')'"))
        Assert-Error { Import-MnistSet $above -Subset Test } 'IdxFilesInSubfolder' 'InvalidArgument' (Join-Path $above 'mnist') | Out-Null
        (Import-MnistSet (Join-Path $above 'mnist') -Subset Test).Count | Should -Be 12
        # -Subset on a folder of pictures, which has no halves.
        Assert-Error { Import-MnistSet $Pictures -Subset Test } 'ParameterNotApplicable' 'InvalidArgument' $Pictures | Out-Null
    }

    It 'an empty class is reported; a folder with no classes fails' {
        $folder = Join-Path $TestDrive 'empty-class'
        Copy-Item -Recurse $Pictures $folder
        $empty = New-Item -ItemType Directory (Join-Path $folder 'zzz')
        $r = Get-Errors { Import-MnistSet $folder }
        $r.Output[0].ClassCount | Should -Be 3
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "ImageFolderEmptyClass,$Cmd"
        $r.Errors[0].TargetObject | Should -Be $empty.FullName
        $none = New-Item -ItemType Directory (Join-Path $TestDrive 'no-classes')
        Write-Bytes (Join-Path $none 'readme.md') ([byte[]](65)) | Out-Null
        Assert-Error { Import-MnistSet $none -Format ImageFolder } 'ImageFolderNoClasses' 'InvalidData' $none.FullName
    }

    It '-Size resizes other pictures whole and keeps pictures of that size' {
        $set = Import-MnistSet $Pictures -Size 14
        $set.Rows | Should -Be 14
        $set.Count | Should -Be 6
    }

    It 'shows a progress bar on a big folder' {
        $big = Join-Path $TestDrive 'big'
        New-Item -ItemType Directory -Force (Join-Path $big 'a') | Out-Null
        # 400 pictures of 784x784 (each preprocessed to 28x28): 2.6-2.9 s on an idle machine, ten times the 250 ms after
        # which progress shows (400 pictures of 196x196 took 190-310 ms there, so the bar sometimes never came).
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module, $Folder, $Source)
                Import-Module $Module
                $Source | Export-MnistImage -Path (Join-Path $Folder 'a/0.png') -Scale 28
                foreach ($i in 1..399) { [IO.File]::Copy((Join-Path $Folder 'a/0.png'), (Join-Path $Folder "a/$i.png")) }
                Import-MnistSet $Folder
            }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($big).AddArgument($Test[0])
            $out = $ps.Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $out[-1].Count | Should -Be 400
            $progress = @($ps.Streams.Progress | Where-Object { $_.Activity -like 'Reading pictures*' })
            $progress.Count | Should -BeGreaterThan 0
            $progress[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }
}
