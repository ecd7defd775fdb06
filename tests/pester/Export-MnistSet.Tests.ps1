# Export-MnistSet: exact round trips through IDX (raw, gzip) and CSV, subsets and mixes from the pipeline, the
# no-clobber rule, -WhatIf, and the errors of bad input.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    $script:Data = Get-MnistDataFolder
    $script:Cmd = 'MnistTools.Commands.ExportMnistSetCommand'
    $script:Test = Import-MnistSet -Path $Data -Subset Test -First 500

    function Assert-SameSet($Expected, $Actual) {
        $Actual.Count | Should -Be $Expected.Count
        $Actual.Rows | Should -Be $Expected.Rows
        $Actual.IsLabelled | Should -Be $Expected.IsLabelled
        for ($i = 0; $i -lt $Expected.Count; $i++) {
            if ($Expected.IsLabelled) { $Actual.GetLabel($i) | Should -Be $Expected.GetLabel($i) }
        }
        [Convert]::ToBase64String([byte[]]@(0..($Expected.Count - 1) | ForEach-Object { $Actual[$_].Pixels })) |
            Should -Be ([Convert]::ToBase64String([byte[]]@(0..($Expected.Count - 1) | ForEach-Object { $Expected[$_].Pixels })))
    }
}

Describe 'Export-MnistSet' {
    It 'round-trips a set exactly as gzip IDX, raw IDX and CSV' {
        $set = Import-MnistSet -Path $Data -Subset Test -First 60
        foreach ($target in "$TestDrive/gz/t10k-images-idx3-ubyte.gz", "$TestDrive/raw/t10k-images-idx3-ubyte", "$TestDrive/set.csv") {
            New-Item -ItemType Directory -Force (Split-Path $target) | Out-Null
            $files = @($set | Export-MnistSet -Path $target -PassThru)
            $files[0].FullName | Should -Be $target
            $back = Import-MnistSet -Path $target
            Assert-SameSet $set $back
        }
        (Get-Item "$TestDrive/raw/t10k-images-idx3-ubyte").Length | Should -Be (16 + 60 * 784)
        (Get-Item "$TestDrive/raw/t10k-labels-idx1-ubyte").Length | Should -Be (8 + 60)
        (Import-MnistSet -Path "$TestDrive/gz" -Subset Test).Count | Should -Be 60   # the standard names: the folder reads as MNIST's
        (Get-Content "$TestDrive/set.csv" -First 1) | Should -Match '^label,pixel0,pixel1,.*,pixel783$'
    }

    It 'writes a subset piped from Get-MnistImage, and a mix of sets in pipeline order' {
        $threes = @($Test | Get-MnistImage -Label 3)
        $Test | Get-MnistImage -Label 3 | Export-MnistSet -Path "$TestDrive/threes.csv"
        $back = Import-MnistSet "$TestDrive/threes.csv"
        $back.Count | Should -Be $threes.Count
        @(0..($back.Count - 1) | ForEach-Object { $back.GetLabel($_) } | Sort-Object -Unique) | Should -Be 3
        $back[5].Pixels | Should -Be $threes[5].Pixels

        $a = Import-MnistSet -Path $Data -Subset Test -First 3
        $b = Import-MnistSet -Path $Data -Subset Test -Skip 9997
        New-Item -ItemType Directory -Force "$TestDrive/mix" | Out-Null
        $a, $b | Export-MnistSet -Path "$TestDrive/mix/mixed-images-idx3-ubyte.gz"
        $mixed = Import-MnistSet -Path "$TestDrive/mix/mixed-images-idx3-ubyte.gz"
        $mixed.Count | Should -Be 6
        $mixed[3].Pixels | Should -Be $b[0].Pixels
        $mixed.GetLabel(5) | Should -Be $b.GetLabel(2)
    }

    It 'an unlabelled set: images only (IDX) or no label column (CSV)' {
        $images = Import-MnistSet -ImagePath (Join-Path $Data 't10k-images-idx3-ubyte.gz') -First 4
        $images | Export-MnistSet -Path "$TestDrive/u-images-idx3-ubyte"
        Test-Path "$TestDrive/u-labels-idx1-ubyte" | Should -BeFalse
        $images | Export-MnistSet -Path "$TestDrive/u.csv"
        (Get-Content "$TestDrive/u.csv" -First 1) | Should -Match '^pixel0,'
        $back = Import-MnistSet "$TestDrive/u.csv"
        $back.IsLabelled | Should -BeFalse
        Assert-SameSet $images $back
    }

    It 'an existing file is kept without -Force (FileExists) and replaced with it; -WhatIf writes nothing' {
        $target = "$TestDrive/exists.csv"
        Set-Content -LiteralPath $target -Value 'keep'
        $e = Get-SingleError { $Test | Export-MnistSet -Path $target }
        $e.FullyQualifiedErrorId | Should -Be "FileExists,$Cmd"
        $e.CategoryInfo.Category | Should -Be 'ResourceExists'
        $e.TargetObject | Should -Be $target
        Get-Content -LiteralPath $target | Should -Be 'keep'
        $Test | Export-MnistSet -Path $target -WhatIf -Force
        Get-Content -LiteralPath $target | Should -Be 'keep'
        $Test | Export-MnistSet -Path $target -Force
        (Import-MnistSet $target).Count | Should -Be 500
        @(Get-ChildItem -LiteralPath $TestDrive -Force -Filter '.exists.csv.*') | Should -BeNullOrEmpty   # no temporary file left
    }

    It '-LabelPath that is a folder: PathIsDirectory before the image file is written' {
        $labels = New-Item -ItemType Directory "$TestDrive/labels-folder"
        $images = "$TestDrive/lp-images-idx3-ubyte"
        $e = Get-SingleError { $Test | Export-MnistSet -Path $images -LabelPath $labels.FullName }
        $e.FullyQualifiedErrorId | Should -Be "PathIsDirectory,$Cmd"
        $e.TargetObject | Should -Be $labels.FullName
        Test-Path -LiteralPath $images | Should -BeFalse
    }

    It '-Force with a label file that cannot be replaced: the previous image file is put back, so the pair still agrees' {
        $folder = New-Item -ItemType Directory "$TestDrive/pair"
        $images = Join-Path $folder 'train-images-idx3-ubyte.gz'
        $labels = Join-Path $folder 'train-labels-idx1-ubyte.gz'
        $old = Import-MnistSet -Path $Data -Subset Test -Skip 100 -First 20
        $old | Export-MnistSet -Path $images
        $before = (Get-FileHash -LiteralPath $images).Hash
        # The label file cannot be replaced: its folder entry is made immutable (chattr +i, root on ext4/xfs/btrfs), or,
        # where the file system has no such flag, the label file is swapped for a non-empty folder after the checks,
        # by a pipe-side script that runs when the images are written (a rename over a non-empty folder fails).
        & chattr +i $labels 2>$null
        $immutable = $LASTEXITCODE -eq 0
        try {
            if ($immutable) {
                $e = Get-SingleError { $Test | Export-MnistSet -Path $images -Force }
            }
            else {
                $hook = [Action[int]] { param($i) if ($i -eq 1) { Remove-Item -LiteralPath $labels; New-Item -ItemType Directory "$labels/x" -Force | Out-Null } }
                $e = try { [MnistTools.IdxWriter]::WriteSet($Test, $images, $labels, $true, [Threading.CancellationToken]::None, $hook); $null } catch { $_ }
                $e.Exception.InnerException.ErrorId | Should -Be 'FileWriteFailed'
            }
        }
        finally { if ($immutable) { & chattr -i $labels } }
        if ($immutable) { $e.FullyQualifiedErrorId | Should -Be "FileWriteFailed,$Cmd" }
        (Get-FileHash -LiteralPath $images).Hash | Should -Be $before
        if ($immutable) { Assert-SameSet $old (Import-MnistSet -Path $folder -Subset Train) }
        @(Get-ChildItem -LiteralPath $folder -Force -Filter '.*.tmp') | Should -BeNullOrEmpty
    }

    It 'a folder as -Path gets the standard pair of the subset, which Import-MnistSet -Path on the folder reads back' {
        $folder = New-Item -ItemType Directory "$TestDrive/as-folder"
        $few = Import-MnistSet -Path $Data -Subset Test -First 40
        $written = @($few | Export-MnistSet -Path $folder.FullName -PassThru)
        $written.Name | Should -Be @('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')   # the set is mnist-test
        Assert-SameSet $few (Import-MnistSet -Path $folder.FullName -Subset Test)
        $train = Import-MnistSet -Path $Data -Subset Train -First 30
        $train | Export-MnistSet -Path $folder.FullName
        Assert-SameSet $train (Import-MnistSet -Path $folder.FullName)
        # A new folder: a path ending in a separator is created; -Subset names the pair.
        $new = Join-Path $TestDrive 'new-folder/'
        $few | Export-MnistSet -Path $new -Subset Train
        Assert-SameSet $few (Import-MnistSet -Path $new -Subset Train)
        $e = Get-SingleError { $few | Export-MnistSet -Path $folder.FullName -Format Csv }
        $e.FullyQualifiedErrorId | Should -Be "ParameterNotApplicable,$Cmd"
        $e = Get-SingleError { $few | Export-MnistSet -Path $folder.FullName }
        $e.FullyQualifiedErrorId | Should -Be "FileExists,$Cmd"
    }

    It 'refuses an IDX label file it cannot name, images of two sizes, other objects and an empty pipeline' {
        $e = Get-SingleError { $Test | Export-MnistSet -Path "$TestDrive/digits.idx" }
        $e.FullyQualifiedErrorId | Should -Be "ExportLabelPathNeeded,$Cmd"
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $Test | Export-MnistSet -Path "$TestDrive/digits.idx" -LabelPath "$TestDrive/digits-labels.idx"
        (Import-MnistSet -ImagePath "$TestDrive/digits.idx" -LabelPath "$TestDrive/digits-labels.idx").Count | Should -Be 500

        $small = [MnistTools.MnistImage]::new(0, 1, 2, 2, [byte[]](1, 2, 3, 4), $null)
        $e = Get-SingleError { $Test[0], $small | Export-MnistSet -Path "$TestDrive/mixed.csv" }
        $e.FullyQualifiedErrorId | Should -Be "ExportImagesMixed,$Cmd"
        $e.TargetObject | Should -Be $small
        Test-Path "$TestDrive/mixed.csv" | Should -BeFalse

        $e = Get-SingleError { 'text' | Export-MnistSet -Path "$TestDrive/text.csv" -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be "ExportInputUnsupported,$Cmd"

        $e = Get-SingleError { @() | Export-MnistSet -Path "$TestDrive/none.csv" }
        $e.FullyQualifiedErrorId | Should -Be "NoImages,$Cmd"
        Test-Path "$TestDrive/none.csv" | Should -BeFalse
    }
}
