# Show-MnistImage: the drawing is text on the pipeline (one string per line), so it is asserted exactly.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    $script:Test = Import-MnistSet -Path (Get-MnistDataFolder) -Subset Test -First 10
    $script:Cmd = 'MnistTools.Commands.ShowMnistImageCommand'
}

Describe 'Show-MnistImage' {
    It 'draws a known 2x3 image cell by cell: full, half blocks and shades' {
        # rows: [255, 0, 128] over [255, 255, 0]  and  [40, 0, 0] over [40, 0, 0]
        $image = [MnistTools.MnistImage]::new(4, 9, 4, 3, [byte[]](255, 0, 128, 255, 255, 0, 40, 0, 0, 40, 0, 0), 'made')
        $lines = @($image | Show-MnistImage)
        $lines | Should -Be @('#4 label 9', '█▄▀', '░', '')
    }

    It 'draws a 28x28 digit as a caption and 14 lines of at most 28 characters, with ink' {
        $lines = @($Test[0] | Show-MnistImage)
        $lines.Count | Should -Be 16
        $lines[0] | Should -Be '#0 label 7'
        $lines[1..14] | ForEach-Object { $_.Length | Should -BeLessOrEqual 28 }
        ($lines -join '') | Should -Match '█'
        $lines[15] | Should -Be ''
    }

    It 'puts images side by side, -Columns per row' {
        $lines = @($Test | Get-MnistImage -First 5 | Show-MnistImage -Columns 3)
        $lines.Count | Should -Be 32   # two rows of (caption + 14 lines + blank)
        $lines[0] | Should -Match '^#0 label 7 +#1 label 2 +#2 label 1$'
        $lines[16] | Should -Match '^#3 label 0 +#4 label 4$'
        ($lines | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual (3 * 28 + 2 * 2)
    }

    It 'fits rows to the console width (120 columns when there is none)' {
        $lines = @($Test | Get-MnistImage -First 10 | Show-MnistImage)
        $width = try { $Host.UI.RawUI.BufferSize.Width } catch { 0 }
        if ($width -le 0) { $width = 120 }
        ($lines | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual ([Math]::Max($width, 28))
        $perRow = [Math]::Max(1, [Math]::Floor(($width + 2) / 30))
        ($lines | Where-Object { $_ -match '^#' }).Count | Should -Be ([Math]::Ceiling(10 / $perRow))
    }

    It 'captions a Classification with the predicted and the true digit' {
        $c = [MnistTools.Classification]::new(3, 0, 6, 0.5, [float[]]::new(10), $Test[3])
        $lines = @($c | Show-MnistImage)
        $lines[0] | Should -Be '#3 predicted 6, true 0'
        $lines[1..14] | Should -Be @($Test[3] | Show-MnistImage)[1..14]
    }

    It 'writes an error for input it cannot draw, and draws the rest' {
        $out = @(1, $Test[1], [MnistTools.Classification]::new(0, $null, 1, 1, [float[]]::new(10), $null) |
            Show-MnistImage -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out[0] | Should -Be '#1 label 2'
        $errs.Count | Should -Be 2
        $errs[0].FullyQualifiedErrorId | Should -Be "UnsupportedInput,$Cmd"
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errs[0].TargetObject | Should -Be 1
        $errs[1].TargetObject | Should -BeOfType MnistTools.Classification
    }
}
