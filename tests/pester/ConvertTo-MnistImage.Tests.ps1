BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
}

Describe 'ConvertTo-MnistImage' {
    It 'preprocesses a large dark-on-light picture into a centred 28x28 MnistImage' {
        $path = Join-Path $TestDrive 'seven.png'
        Write-GreyPng -Path $path -Width 300 -Height 240 -Background 250 -Ink 10 -Rectangles @(@(40, 30, 120, 20), @(140, 30, 20, 180))
        $image = ConvertTo-MnistImage -Path $path
        $image | Should -BeOfType MnistTools.MnistImage
        $image.Rows | Should -Be 28
        $image.Columns | Should -Be 28
        $image.Label | Should -BeNullOrEmpty
        $image.DataSet | Should -Be $path
        # Ink box 120 x 180 -> 13 x 20; mass centre within half a pixel of (14, 14).
        $rows = 0..27 | Where-Object { $r = $_; @(0..27 | Where-Object { $image.Pixels[$r * 28 + $_] -gt 0 }).Count -gt 0 }
        $rows.Count | Should -Be 20
        $mass = 0.0; $mx = 0.0; $my = 0.0
        for ($i = 0; $i -lt 784; $i++) { $v = $image.Pixels[$i]; $mass += $v; $mx += $v * ($i % 28); $my += $v * [math]::Floor($i / 28) }
        [math]::Abs($mx / $mass - 14) | Should -BeLessOrEqual 0.5
        [math]::Abs($my / $mass - 14) | Should -BeLessOrEqual 0.5
    }

    It 'gives the same image for light-on-dark and takes files from Get-ChildItem' {
        $dark = Join-Path $TestDrive 'a-dark.png'; $light = Join-Path $TestDrive 'b-light.png'
        Write-GreyPng -Path $dark -Width 200 -Height 200 -Background 255 -Ink 0 -Rectangles (, @(50, 20, 30, 150))
        Write-GreyPng -Path $light -Width 200 -Height 200 -Background 0 -Ink 255 -Rectangles (, @(50, 20, 30, 150))
        $images = Get-ChildItem $TestDrive -Filter '?-*.png' | Sort-Object Name | ConvertTo-MnistImage
        $images.Count | Should -Be 2
        $images[0].Index | Should -Be 0
        $images[1].Index | Should -Be 1
        $images[1].Pixels | Should -Be $images[0].Pixels
    }

    It 'round-trips an image written by Export-MnistImage' {
        $original = New-TestImage -Width 7     # mass centre on column 14, so no shift is needed
        $path = Join-Path $TestDrive 'exported.png'
        $original | Export-MnistImage -Path $path -Scale 6
        $back = ConvertTo-MnistImage -LiteralPath $path
        # Same place, same size; grey levels differ only by the stretch of the strongest ink to 255 (223 -> 255).
        $wrong = for ($i = 0; $i -lt 784; $i++) {
            $expected = if ($original.Pixels[$i] -eq 0) { 0 } else { $original.Pixels[$i] * 255 / 223 }
            if ([math]::Abs($back.Pixels[$i] - $expected) -gt 2) { "pixel $i is $($back.Pixels[$i]), expected $expected" }
        }
        $wrong | Should -BeNullOrEmpty
    }

    It 'gives InvalidData with the path as target for corrupt and non-image files, and goes on with the rest' {
        $good = Join-Path $TestDrive 'good.png'
        Write-GreyPng -Path $good -Width 64 -Height 64 -Background 255 -Ink 0 -Rectangles (, @(20, 10, 10, 40))
        $text = Join-Path $TestDrive 'notes.png'; Set-Content -LiteralPath $text -Value 'not a picture'
        $truncated = Join-Path $TestDrive 'truncated.png'
        $bytes = [System.IO.File]::ReadAllBytes($good); [System.IO.File]::WriteAllBytes($truncated, $bytes[0..([int]($bytes.Length / 2))])
        $blank = Join-Path $TestDrive 'blank.png'
        Write-GreyPng -Path $blank -Width 64 -Height 64 -Background 255 -Ink 255 -Rectangles @()
        $errors = $null
        $out = ConvertTo-MnistImage -LiteralPath $text, $good, $truncated, $blank -ErrorVariable errors -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $errors.Count | Should -Be 3
        $errors[0].FullyQualifiedErrorId | Should -Be 'ImageDecodeFailed,MnistTools.Commands.ConvertToMnistImageCommand'
        $errors[0].TargetObject | Should -Be $text
        $errors[1].FullyQualifiedErrorId | Should -Be 'ImageDecodeFailed,MnistTools.Commands.ConvertToMnistImageCommand'
        $errors[1].TargetObject | Should -Be $truncated
        $errors[2].FullyQualifiedErrorId | Should -Be 'ImageHasNoInk,MnistTools.Commands.ConvertToMnistImageCommand'
        $errors[2].TargetObject | Should -Be $blank
        foreach ($e in $errors) { $e.CategoryInfo.Category | Should -Be 'InvalidData' }
    }

    It 'reports a missing file as ObjectNotFound and a folder as PathIsDirectory, with the path as target' {
        $errors = $null
        $missing = Join-Path $TestDrive 'missing.png'
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'folder.png')).FullName
        ConvertTo-MnistImage -LiteralPath $missing, $folder -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 2
        $errors[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,MnistTools.Commands.ConvertToMnistImageCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].TargetObject | Should -Be $missing
        $errors[1].FullyQualifiedErrorId | Should -Be 'PathIsDirectory,MnistTools.Commands.ConvertToMnistImageCommand'
        $errors[1].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[1].TargetObject | Should -Be $folder
    }
}
