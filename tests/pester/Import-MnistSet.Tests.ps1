# Import-MnistSet: real outcomes on $env:MNIST_DATA, and a clear error (id, category, target) for every kind of bad input.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    $script:Data = Get-MnistDataFolder
    $script:Cmd = 'MnistTools.Commands.ImportMnistSetCommand'
}

Describe 'Import-MnistSet' {
    Context 'the real MNIST files' {
        It 'reads the training set: 60,000 images of 28x28, first label 5' {
            $train = Import-MnistSet -Path $Data -Subset Train
            $train | Should -BeOfType MnistTools.MnistDataSet
            $train.Count | Should -Be 60000
            $train.Rows | Should -Be 28
            $train.Columns | Should -Be 28
            $train.ClassCount | Should -Be 10
            $train.Name | Should -Be "$(Split-Path -Leaf $Data)-train"
            $train[0].Label | Should -Be 5
            $train[59999].Label | Should -Be 8
        }

        It 'reads the test set from $env:MNIST_DATA by default, with the published label counts' {
            $test = Import-MnistSet -Subset Test
            $test.Count | Should -Be 10000
            $test.Source | Should -Be (Join-Path $Data 't10k-images-idx3-ubyte.gz')
            $test.CountPerClass() | Should -Be @(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
            $test[0].Label | Should -Be 7
        }

        It 'keeps images [Skip, Skip+First) with -Skip and -First' {
            $all = Import-MnistSet -Path $Data -Subset Test
            $part = Import-MnistSet -Path $Data -Subset Test -Skip 100 -First 25 -Name part
            $part.Count | Should -Be 25
            $part.Name | Should -Be 'part'
            $part[0].Label | Should -Be $all[100].Label
            $part[24].Pixels | Should -Be $all[124].Pixels
        }

        It 'takes an image file as -Path and finds its label file by the standard naming' {
            $test = Import-MnistSet -Path (Join-Path $Data 't10k-images-idx3-ubyte.gz')
            $test.Count | Should -Be 10000
            $test.Name | Should -Be "$(Split-Path -Leaf $Data)-test"
        }

        It 'takes explicit -ImagePath and -LabelPath' {
            $test = Import-MnistSet -ImagePath (Join-Path $Data 't10k-images-idx3-ubyte.gz') -LabelPath (Join-Path $Data 't10k-labels-idx1-ubyte.gz') -First 3
            $test.Count | Should -Be 3
            $test[0].Label | Should -Be 7
        }

        It 'takes folders from the pipeline (PSPath binds -LiteralPath)' {
            $sets = Get-Item $Data | Import-MnistSet -Subset Test -First 1
            @($sets).Count | Should -Be 1
            $sets.Count | Should -Be 1
        }

        It 'formats sets and images as tables of their key properties' {
            $rendering = $PSStyle.OutputRendering
            $PSStyle.OutputRendering = 'PlainText'
            $set = Import-MnistSet -Path $Data -Subset Test -First 2
            $table = ($set | Format-Table | Out-String -Width 200) -split "`n" | Where-Object { $_.Trim() }
            $table[0] | Should -Match '^Name\s+Count\s+Rows\s+Columns\s+ClassCount\s+Source\s*$'
            $table[2] | Should -Match '-test\s+2\s+28\s+28\s+10\s+\S*t10k-images-idx3-ubyte\.gz\s*$'
            $images = ($set | Get-MnistImage | Format-Table | Out-String -Width 200) -split "`n" | Where-Object { $_.Trim() }
            $images[0] | Should -Match '^\s*Index\s+Label\s+Rows\s+Columns\s+DataSet\s*$'
            $images[2] | Should -Match '^\s*0\s+7\s+28\s+28\s+\S+-test\s*$'
            $PSStyle.OutputRendering = $rendering
        }

        It 'tells the files, their sizes and the time taken with -Verbose' {
            $verbose = Import-MnistSet -Path $Data -Subset Test -First 10 -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            $text = $verbose.Message -join "`n"
            $text | Should -Match ([regex]::Escape('t10k-images-idx3-ubyte.gz'))
            $text | Should -Match '1,648,877 bytes, gzip|\d[\d,]* bytes, gzip'
            $text | Should -Match 'in \d+ ms'
        }
    }

    Context 'good tiny files' {
        It 'reads raw files without .gz and gzip files with it, and they agree' {
            $raw = Import-MnistSet -Path (New-TinyMnistFolder "$TestDrive/raw" -Raw) -Subset Test
            $gz = Import-MnistSet -Path (New-TinyMnistFolder "$TestDrive/gz") -Subset Test
            $raw.Count | Should -Be 12
            $raw.CountPerClass() | Should -Be @(2, 2, 1, 1, 1, 1, 1, 1, 1, 1)
            foreach ($i in 0..11) {
                $raw[$i].Label | Should -Be $gz[$i].Label
                $raw[$i].Pixels | Should -Be $gz[$i].Pixels
            }
            $raw[11].Pixels[0..2] | Should -Be @(77, 78, 79)
        }

        It 'detects gzip by content: a raw file named .gz and a gzip file without .gz' {
            $folder = "$TestDrive/swapped"
            Write-Bytes "$folder/t10k-images-idx3-ubyte.gz" (New-IdxImageBytes 4) | Out-Null
            Write-Bytes "$folder/t10k-labels-idx1-ubyte" (ConvertTo-Gzip (New-IdxLabelBytes 4)) | Out-Null
            $set = Import-MnistSet -LiteralPath $folder -Subset Test
            $set.Count | Should -Be 4
            @(0..3 | ForEach-Object { $set.GetLabel($_) }) | Should -Be @(0, 1, 2, 3)
        }

        It 'falls back to ./data/mnist when $env:MNIST_DATA is not set' {
            New-TinyMnistFolder "$TestDrive/cwd/data/mnist" -Count 5 | Out-Null
            $saved = $env:MNIST_DATA
            Push-Location "$TestDrive/cwd"
            try {
                $env:MNIST_DATA = $null
                (Import-MnistSet -Subset Test).Count | Should -Be 5
            }
            finally { Pop-Location; $env:MNIST_DATA = $saved }
        }

        It 'warns and returns an empty set when -Skip passes the end' {
            $set = Import-MnistSet -Path (New-TinyMnistFolder "$TestDrive/skip") -Subset Test -Skip 50 -WarningVariable w -WarningAction SilentlyContinue
            $set.Count | Should -Be 0
            $w.Count | Should -Be 1
        }
    }

    Context 'bad input: a clear error with id, category and path' {
        BeforeAll {
            function Assert-ImportError([scriptblock] $Command, [string] $Id, [string] $Category, $Target) {
                $e = Get-SingleError $Command
                $e.FullyQualifiedErrorId | Should -Be "$Id,$Cmd"
                $e.CategoryInfo.Category | Should -Be $Category
                $e.TargetObject | Should -Be $Target
                $e.Exception | Should -BeOfType MnistTools.Errors.MnistToolsException
            }
            # a folder whose test pair is valid except for what the test replaces
            function New-Case([string] $Name, [byte[]] $Images, [byte[]] $Labels) {
                $folder = "$TestDrive/$Name"
                Write-Bytes "$folder/t10k-images-idx3-ubyte" $Images | Out-Null
                Write-Bytes "$folder/t10k-labels-idx1-ubyte" $Labels | Out-Null
                $folder
            }
        }

        It 'a missing folder' {
            $missing = Join-Path $TestDrive 'no-such-folder'
            Assert-ImportError { Import-MnistSet -LiteralPath $missing } 'PathNotFound' 'ObjectNotFound' $missing
            $e = Get-SingleError { Import-MnistSet -Path $missing }
            $e.FullyQualifiedErrorId | Should -Be "PathNotFound,$Cmd"
            $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $pattern = Join-Path $TestDrive 'no-such-*'
            Assert-ImportError { Import-MnistSet -Path $pattern } 'PathNotFound' 'ObjectNotFound' $pattern
        }

        It 'a drive that does not exist, and a path on another provider' {
            Assert-ImportError { Import-MnistSet -Path 'nodrive:/mnist' } 'PathNotFound' 'ObjectNotFound' 'nodrive:/mnist'
            Assert-ImportError { Import-MnistSet -ImagePath 'nodrive:/i' -LabelPath 'nodrive:/l' } 'PathNotFound' 'ObjectNotFound' 'nodrive:/i'
            Assert-ImportError { Import-MnistSet -LiteralPath 'Env:/PATH' } 'PathNotFileSystem' 'InvalidArgument' 'Env:/PATH'
        }

        It 'a missing file in the folder' {
            $folder = "$TestDrive/half"
            Write-Bytes "$folder/t10k-images-idx3-ubyte.gz" (ConvertTo-Gzip (New-IdxImageBytes 2)) | Out-Null
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxFileNotFound' 'ObjectNotFound' (Join-Path $folder 't10k-labels-idx1-ubyte.gz')
        }

        It 'a missing explicit file' {
            $missing = Join-Path $TestDrive 'nothing-here'
            $labels = Write-Bytes "$TestDrive/l1" (New-IdxLabelBytes 1)
            Assert-ImportError { Import-MnistSet -ImagePath $missing -LabelPath $labels } 'IdxFileNotFound' 'ObjectNotFound' $missing
        }

        It 'neither $env:MNIST_DATA nor ./data/mnist' {
            $saved = $env:MNIST_DATA
            New-Item -ItemType Directory -Force "$TestDrive/empty-cwd" | Out-Null
            Push-Location "$TestDrive/empty-cwd"
            try {
                $env:MNIST_DATA = $null
                Assert-ImportError { Import-MnistSet } 'MnistDataNotFound' 'ObjectNotFound' (Join-Path "$TestDrive/empty-cwd" 'data/mnist')
            }
            finally { Pop-Location; $env:MNIST_DATA = $saved }
        }

        It 'a directory passed where a file is expected' {
            $labels = Write-Bytes "$TestDrive/l2" (New-IdxLabelBytes 1)
            $folder = New-Item -ItemType Directory -Force "$TestDrive/a-folder"
            Assert-ImportError { Import-MnistSet -ImagePath $folder.FullName -LabelPath $labels } 'PathIsDirectory' 'InvalidArgument' $folder.FullName
        }

        It 'an image file whose label file cannot be told from its name' {
            $file = Write-Bytes "$TestDrive/digits.bin" (New-IdxImageBytes 1)
            Assert-ImportError { Import-MnistSet -Path $file } 'LabelPathNotInferred' 'InvalidArgument' $file
        }

        It 'an empty file' {
            $folder = New-Case 'empty' ([byte[]]@()) (New-IdxLabelBytes 1)
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxEmptyFile' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte')
        }

        It 'a wrong magic number (a label file where images belong)' {
            $folder = New-Case 'magic' (New-IdxLabelBytes 3) (New-IdxLabelBytes 3)
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxBadMagic' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte')
        }

        It 'a header count that disagrees with the file length' {
            $folder = New-Case 'length' (New-IdxImageBytes 5 -DeclaredCount 6) (New-IdxLabelBytes 6)
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxLengthMismatch' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte')
        }

        It 'impossible dimensions' {
            $bytes = New-IdxImageBytes 1 -Rows 2 -Columns 2
            Write-BigEndian $bytes 8 0
            $folder = New-Case 'dims' $bytes (New-IdxLabelBytes 1)
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxBadDimensions' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte')
        }

        It 'a header claiming two billion images, refused before any large allocation' {
            $folder = New-Case 'huge' (New-IdxImageBytes 2 -DeclaredCount 2000000000) (New-IdxLabelBytes 2)
            $before = [GC]::GetTotalMemory($false)
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxLengthMismatch' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte')
            ([GC]::GetTotalMemory($false) - $before) | Should -BeLessThan 64MB
        }

        It 'image and label counts that differ' {
            $folder = New-Case 'counts' (New-IdxImageBytes 5) (New-IdxLabelBytes 4)
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxCountMismatch' 'InvalidData' (Join-Path $folder 't10k-labels-idx1-ubyte')
        }

        It 'a label outside 0..9' {
            $folder = New-Case 'label' (New-IdxImageBytes 3) (New-IdxLabelBytes 3 -Labels ([byte[]](1, 10, 2)))
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxLabelOutOfRange' 'InvalidData' (Join-Path $folder 't10k-labels-idx1-ubyte')
        }

        It 'a truncated gzip stream' {
            $packed = ConvertTo-Gzip (New-IdxImageBytes 100)
            $folder = "$TestDrive/cut"
            Write-Bytes "$folder/t10k-images-idx3-ubyte.gz" $packed[0..([int]($packed.Length / 2))] | Out-Null
            Write-Bytes "$folder/t10k-labels-idx1-ubyte.gz" (ConvertTo-Gzip (New-IdxLabelBytes 100)) | Out-Null
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxTruncated' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte.gz')
        }

        It 'a corrupt gzip stream' {
            $packed = ConvertTo-Gzip (New-IdxImageBytes 100)
            for ($i = 200; $i -lt 260; $i++) { $packed[$i] = $packed[$i] -bxor 0x5A }
            $folder = "$TestDrive/corrupt"
            Write-Bytes "$folder/t10k-images-idx3-ubyte.gz" $packed | Out-Null
            Write-Bytes "$folder/t10k-labels-idx1-ubyte.gz" (ConvertTo-Gzip (New-IdxLabelBytes 100)) | Out-Null
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test } 'IdxCorruptGzip' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte.gz')
        }

        It 'a gzip stream that inflates to more than the header promises' {
            $folder = "$TestDrive/long"
            Write-Bytes "$folder/t10k-images-idx3-ubyte.gz" (ConvertTo-Gzip (New-IdxImageBytes 6 -DeclaredCount 5)) | Out-Null
            Write-Bytes "$folder/t10k-labels-idx1-ubyte.gz" (ConvertTo-Gzip (New-IdxLabelBytes 5)) | Out-Null
            Assert-ImportError { Import-MnistSet -Path $folder -Subset Test -First 1 } 'IdxTrailingData' 'InvalidData' (Join-Path $folder 't10k-images-idx3-ubyte.gz')
        }

        It 'reports a bad path and still reads the good one' {
            $good = New-TinyMnistFolder "$TestDrive/good-one" -Count 3
            $missing = Join-Path $TestDrive 'missing-one'
            $sets = Import-MnistSet -LiteralPath $missing, $good -Subset Test -ErrorVariable errs -ErrorAction SilentlyContinue
            @($sets).Count | Should -Be 1
            $sets.Count | Should -Be 3
            $errs.Count | Should -Be 1
            $errs[0].TargetObject | Should -Be $missing
        }

        It 'refuses negative -Skip and -First at binding' {
            { Import-MnistSet -Path $Data -Skip -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistTools.Commands.ImportMnistSetCommand'
            { Import-MnistSet -Path $Data -First -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistTools.Commands.ImportMnistSetCommand'
        }
    }
}
