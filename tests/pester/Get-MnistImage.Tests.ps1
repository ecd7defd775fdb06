# Get-MnistImage: selection by -Index, -Label, -First on real and tiny sets; bad indexes are reported, not fatal.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    $script:Test = Import-MnistSet -Path (Get-MnistDataFolder) -Subset Test
    $script:Tiny = Import-MnistSet -Path (New-TinyMnistFolder "$TestDrive/tiny" -Count 12) -Subset Test -Name tiny
    $script:Cmd = 'MnistTools.Commands.GetMnistImageCommand'
}

Describe 'Get-MnistImage' {
    It 'emits every image of a piped set, in order, as MnistImage' {
        $images = $Tiny | Get-MnistImage
        $images.Count | Should -Be 12
        $images[0] | Should -BeOfType MnistTools.MnistImage
        $images.Index | Should -Be (0..11)
        $images.Label | Should -Be @(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1)
        $images[3].DataSet | Should -Be 'tiny'
        $images[3].Pixels[0..1] | Should -Be @(21, 22)
        $images[3].Rows | Should -Be 28
    }

    It 'takes -First from the real test set: its first three digits are 7, 2, 1' {
        $images = $Test | Get-MnistImage -First 3
        $images.Label | Should -Be @(7, 2, 1)
        $images.Index | Should -Be @(0, 1, 2)
        $images[0].Pixels.Length | Should -Be 784
    }

    It 'takes -Index in the order given' {
        $images = Get-MnistImage -DataSet $Test -Index 9999, 0, 5
        $images.Index | Should -Be @(9999, 0, 5)
        $images.Label | Should -Be @(6, 7, 1)
    }

    It 'filters by -Label and stops after -First' {
        $images = $Test | Get-MnistImage -Label 3, 5 -First 20
        $images.Count | Should -Be 20
        $images.Label | Sort-Object -Unique | Should -Be @(3, 5)
        ($Test | Get-MnistImage -Label 5).Count | Should -Be 892
    }

    It 'combines -Index and -Label' {
        $images = $Tiny | Get-MnistImage -Index 0, 1, 2, 10, 11 -Label 1
        $images.Index | Should -Be @(1, 11)
    }

    It 'writes an error with the bad index as target and still emits the good ones' {
        $images = $Tiny | Get-MnistImage -Index 2, 12, -1, 3 -ErrorVariable errs -ErrorAction SilentlyContinue
        $images.Index | Should -Be @(2, 3)
        $errs.Count | Should -Be 2
        $errs[0].FullyQualifiedErrorId | Should -Be "IndexOutOfRange,$Cmd"
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errs[0].TargetObject | Should -Be 12
        $errs[1].TargetObject | Should -Be -1
    }

    It 'reports a -Label the set cannot hold' {
        $e = Get-SingleError { $Tiny | Get-MnistImage -Label 12 }
        $e.FullyQualifiedErrorId | Should -Be "LabelOutOfRange,$Cmd"
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Be 12
    }

    It 'refuses a negative -First and a non-set input at binding' {
        { $Tiny | Get-MnistImage -First -1 } | Should -Throw -ErrorId "ParameterArgumentValidationError,$Cmd"
        { 'not a set' | Get-MnistImage -ErrorAction Stop } | Should -Throw -ErrorId "InputObjectNotBound,$Cmd"
    }
}
