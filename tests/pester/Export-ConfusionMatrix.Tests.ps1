BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
}

Describe 'Export-ConfusionMatrix' {
    It 'draws the confusion matrix of a TestResult as a heat map' {
        $set = New-SyntheticSet -Count 300 -Side 4 -Classes 3
        $net = New-Network 16, 8, 3 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 2
        $set | Invoke-Training -Network $net -Epochs 5 -BatchSize 20 -LearningRate 0.1 | Out-Null
        $result = $set | Test-Network -Network $net
        $path = Join-Path $TestDrive 'cm.png'
        $result | Export-ConfusionMatrix -Path $path -Size 400
        $png = Read-Png $path
        $png.Width | Should -Be 400
        $png.Height | Should -Be 400
        $png.GetPixel(1, 1) | Should -Be ($SKColors::White)
        # Somewhere a strongly shaded (dark blue) cell: a well-trained diagonal.
        $dark = 0
        for ($y = 0; $y -lt 400; $y += 4) { for ($x = 0; $x -lt 400; $x += 4) { $c = $png.GetPixel($x, $y); if ($c.Blue -gt $c.Red + 40 -and $c.Red -lt 60) { $dark++ } } }
        $dark | Should -BeGreaterThan 100
    }

    It 'accepts a plain matrix of counts (for example from ConvertFrom-Json)' {
        $path = Join-Path $TestDrive 'json.png'
        '{"ConfusionMatrix": [[5, 1], [0, 7]]}' | ConvertFrom-Json | Export-ConfusionMatrix -Path $path -Size 300
        (Read-Png $path).Width | Should -Be 300
    }

    It 'rejects input without a square matrix of counts' {
        { [pscustomobject]@{ Accuracy = 1 } | Export-ConfusionMatrix -Path (Join-Path $TestDrive 'x.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfusionMatrixInvalid,MnistTools.Commands.ExportConfusionMatrixCommand'
        { '{"ConfusionMatrix": [[5, 1, 2], [0, 7, 1]]}' | ConvertFrom-Json | Export-ConfusionMatrix -Path (Join-Path $TestDrive 'y.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfusionMatrixInvalid,MnistTools.Commands.ExportConfusionMatrixCommand'
        Test-Path (Join-Path $TestDrive 'y.png') | Should -BeFalse
    }
}
