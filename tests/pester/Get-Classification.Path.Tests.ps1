# Get-Classification -Path: pictures of handwritten digits, preprocessed like ConvertTo-MnistImage.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Test = Get-TestMnistSet -Subset Test -First 6
    $script:Net = New-Network 784, 16, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 4
    $script:Folder = Join-Path $TestDrive 'digits'
    New-Item -ItemType Directory -Path $Folder | Out-Null
    for ($i = 0; $i -lt 6; $i++) { $Test[$i] | Export-MnistImage -Path (Join-Path $Folder "digit-$i.png") -Scale 5 }
}

Describe 'Get-Classification -Path' {
    It 'classifies picture files exactly as ConvertTo-MnistImage | Get-Classification does' {
        $viaPath = Get-Classification -Network $Net -Path (Join-Path $Folder 'digit-*.png')
        $viaImages = ConvertTo-MnistImage -Path (Join-Path $Folder 'digit-*.png') | Get-Classification -Network $Net
        $viaPath.Count | Should -Be 6
        $viaPath.Predicted | Should -Be $viaImages.Predicted
        for ($i = 0; $i -lt 6; $i++) { @($viaPath[$i].Scores) | Should -Be @($viaImages[$i].Scores) }
        $viaPath[0].Label | Should -BeNullOrEmpty
        $viaPath[0].GetImage().DataSet | Should -Be (Join-Path $Folder 'digit-0.png')
    }

    It 'takes files piped from Get-ChildItem' {
        $piped = Get-ChildItem $Folder -Filter 'digit-*.png' | Get-Classification -Network $Net
        $piped.Count | Should -Be 6
    }

    It 'names each picture file in Path, so Export-Csv says which file is which, and shows it in the default view' {
        $csv = Join-Path $TestDrive 'mine.csv'
        Get-ChildItem $Folder -Filter 'digit-*.png' | Get-Classification -Network $Net | Export-Csv -LiteralPath $csv
        $rows = Import-Csv -LiteralPath $csv
        $rows.Path | Should -Be @(0..5 | ForEach-Object { Join-Path $Folder "digit-$_.png" })
        (Get-Classification -Network $Net -LiteralPath (Join-Path $Folder 'digit-2.png')).Path | Should -Be (Join-Path $Folder 'digit-2.png')
        (Get-Classification -Network $Net -Path (Join-Path $Folder 'digit-3.png') | Format-Table | Out-String -Width 200) | Should -Match 'digit-3\.png'
        # Images of a data set and pixel arrays have no file.
        ($Test | Get-MnistImage -First 1 | Get-Classification -Network $Net).Path | Should -BeNullOrEmpty
        (, [byte[]]::new(784) | Get-Classification -Network $Net).Path | Should -BeNullOrEmpty
    }

    It 'classifies the pictures in a folder given as -Path, and says when a folder holds none' {
        $mixed = Join-Path $TestDrive 'mixed'
        $null = New-Item -ItemType Directory -Path $mixed, (Join-Path $mixed 'sub')
        Copy-Item (Join-Path $Folder 'digit-4.png'), (Join-Path $Folder 'digit-1.png') -Destination $mixed
        Copy-Item (Join-Path $Folder 'digit-0.png') -Destination (Join-Path $mixed 'sub')
        Set-Content -LiteralPath (Join-Path $mixed 'notes.txt') -Value 'not a picture'
        $out = Get-Classification -Network $Net -Path $mixed -ErrorVariable errors
        $errors | Should -BeNullOrEmpty
        $out.Path | Should -Be @((Join-Path $mixed 'digit-1.png'), (Join-Path $mixed 'digit-4.png'))
        $single = Get-Classification -Network $Net -LiteralPath (Join-Path $Folder 'digit-4.png')
        @($out[1].Scores) | Should -Be @($single.Scores)
        # A piped folder is the same as -Path.
        (Get-Item $mixed | Get-Classification -Network $Net).Path | Should -Be $out.Path

        $empty = Join-Path $TestDrive 'empty'
        $null = New-Item -ItemType Directory -Path $empty
        $none = Get-Classification -Network $Net -Path $empty -ErrorVariable errors -ErrorAction SilentlyContinue
        $none | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ImageFolderNoPictures,MnistTools.Commands.GetClassificationCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].TargetObject | Should -Be $empty
    }

    It 'gives InvalidData for a file that is not a picture and goes on' {
        $bad = Join-Path $TestDrive 'bad.png'
        Set-Content -LiteralPath $bad -Value 'no picture here'
        $errors = $null
        $out = Get-Classification -Network $Net -LiteralPath $bad, (Join-Path $Folder 'digit-1.png') -ErrorVariable errors -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ImageDecodeFailed,MnistTools.Commands.GetClassificationCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errors[0].TargetObject | Should -Be $bad
    }
}
