BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
}

Describe 'Export-MnistImage' {
    It 'writes one image as a PNG of exactly 28*Scale pixels, dark ink on white' {
        $image = New-TestImage
        $path = Join-Path $TestDrive 'one.png'
        $image | Export-MnistImage -Path $path -Scale 5
        $png = Read-Png $path
        $png.Width | Should -Be 140
        $png.Height | Should -Be 140
        Get-Grey $png 0 0 | Should -Be 255                                  # background pixel 0 -> white paper
        Get-Grey $png (12 * 5) (10 * 5) | Should -Be (255 - $image.Pixels[10 * 28 + 12])
        Get-Grey $png (12 * 5 + 4) (23 * 5 + 4) | Should -Be (255 - $image.Pixels[23 * 28 + 12])
    }

    It 'writes many images as a contact sheet with a red frame around wrong predictions' {
        $images = 0..11 | ForEach-Object { New-TestImage -Index $_ -Label ($_ % 10) -Left (2 + $_) }
        $classifications = $images | ForEach-Object {
            $predicted = if ($_.Index -eq 5) { 3 } else { $_.Label }
            [MnistTools.Classification]::new($_.Index, $_.Label, $predicted, 0.9, [float[]]::new(10), $_)
        }
        $path = Join-Path $TestDrive 'sheet.png'
        $classifications | Export-MnistImage -Path $path -Scale 2 -Columns 4
        $layout = $ContactSheet::ComputeLayout(12, 28, 28, 2, 4, $true)
        $png = Read-Png $path
        $png.Width | Should -Be $layout.Width
        $png.Height | Should -Be $layout.Height
        foreach ($i in 0, 5, 11) {
            $origin = $layout.CellOrigin($i)
            $imageX = $origin.Item1 + [int](($layout.CellWidth - 56) / 2)
            Get-Grey $png ($imageX + 2 * (3 + $i)) ($origin.Item2 + 2 * 10) | Should -Be (255 - $images[$i].Pixels[10 * 28 + 3 + $i])
            $beside = $png.GetPixel($imageX - 2, $origin.Item2 + 28)
            if ($i -eq 5) { $beside | Should -Be ($ContactSheet::WrongColor) }
            else { $beside | Should -Be ($SKColors::White) }
        }
    }

    It 'refuses to overwrite without -Force, overwrites with it, and -WhatIf writes nothing' {
        $path = Join-Path $TestDrive 'exists.png'
        Set-Content -LiteralPath $path -Value 'precious'
        { New-TestImage | Export-MnistImage -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileExists,MnistTools.Commands.ExportMnistImageCommand'
        Get-Content -LiteralPath $path | Should -Be 'precious'
        $file = New-TestImage | Export-MnistImage -Path $path -Force -PassThru
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $path
        (Read-Png $path).Width | Should -Be 112
        $other = Join-Path $TestDrive 'whatif.png'
        New-TestImage | Export-MnistImage -Path $other -WhatIf
        Test-Path $other | Should -BeFalse
        @(Get-ChildItem $TestDrive -Filter '*.tmp' -Force).Count | Should -Be 0
    }

    It 'reports unsupported input per object and draws the rest' {
        $path = Join-Path $TestDrive 'mixed.png'
        $errors = $null
        @((New-TestImage), 'not an image', (New-TestImage -Index 1)) | Export-MnistImage -Path $path -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'UnsupportedInput,MnistTools.Commands.ExportMnistImageCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Read-Png $path).Width | Should -BeGreaterThan 112
    }

    It 'fails clearly for a folder that does not exist and for an oversized sheet' {
        { New-TestImage | Export-MnistImage -Path (Join-Path $TestDrive 'no/such/folder.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'FolderNotFound,MnistTools.Commands.ExportMnistImageCommand'
        $many = 0..399 | ForEach-Object { New-TestImage -Index $_ }
        { $many | Export-MnistImage -Path (Join-Path $TestDrive 'huge.png') -Scale 64 -Columns 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'PictureTooLarge,MnistTools.Commands.ExportMnistImageCommand'
        Test-Path (Join-Path $TestDrive 'huge.png') | Should -BeFalse
    }

    It 'reports a target that is a folder as PathIsDirectory, and an existing file as FileExists (ResourceExists)' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'a-folder.png')
        $err = { New-TestImage | Export-MnistImage -Path $folder.FullName -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathIsDirectory,MnistTools.Commands.ExportMnistImageCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $folder.FullName
        $file = Join-Path $TestDrive 'exists-already.png'
        New-TestImage | Export-MnistImage -Path $file
        $err = { New-TestImage | Export-MnistImage -Path $file -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileExists,MnistTools.Commands.ExportMnistImageCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.TargetObject | Should -Be $file
    }

    It 'resolves -Path wildcards to one existing file and takes -LiteralPath as written' {
        $literal = Join-Path $TestDrive 'digit[1].png'
        New-TestImage | Export-MnistImage -LiteralPath $literal
        Test-Path -LiteralPath $literal | Should -BeTrue
        New-TestImage | Export-MnistImage -Path (Join-Path $TestDrive 'digit`[1`].png') -Force -Scale 2
        (Read-Png $literal).Width | Should -Be 56
        New-TestImage | Export-MnistImage -Path (Join-Path $TestDrive 'digit*.png') -Force -Scale 3
        (Read-Png $literal).Width | Should -Be 84
        New-TestImage | Export-MnistImage -LiteralPath (Join-Path $TestDrive 'digit2.png')
        $err = { New-TestImage | Export-MnistImage -Path (Join-Path $TestDrive 'digit*.png') -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathAmbiguous,MnistTools.Commands.ExportMnistImageCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err = { New-TestImage | Export-MnistImage -Path (Join-Path $TestDrive 'none*.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'PathNotFound,MnistTools.Commands.ExportMnistImageCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'validates -Scale' {
        { New-TestImage | Export-MnistImage -Path (Join-Path $TestDrive 'x.png') -Scale 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistTools.Commands.ExportMnistImageCommand'
    }
}
