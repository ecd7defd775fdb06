BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')

    function Measure-Colour {
        # Pixels within a small distance of $Colour in columns [$From, $To).
        param($Bitmap, $Colour, [int] $From, [int] $To)
        $n = 0
        for ($y = 0; $y -lt $Bitmap.Height; $y += 1) {
            for ($x = $From; $x -lt $To; $x += 1) {
                $c = $Bitmap.GetPixel($x, $y)
                if ([math]::Abs($c.Red - $Colour.Red) + [math]::Abs($c.Green - $Colour.Green) + [math]::Abs($c.Blue - $Colour.Blue) -lt 30) { $n++ }
            }
        }
        $n
    }
}

Describe 'Export-TrainingChart' {
    It 'draws the TrainingEpoch records of Invoke-Training, loss left and accuracy right' {
        $set = New-SyntheticSet -Count 200 -Side 4 -Classes 3
        $net = New-Network 16, 8, 3 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 2
        $epochs = $set | Invoke-Training -Network $net -Epochs 4 -BatchSize 20 -LearningRate 0.1 -ValidationSet $set
        $epochs.Count | Should -Be 4
        $path = Join-Path $TestDrive 'curve.png'
        $epochs | Export-TrainingChart -Path $path -Width 600 -Height 300
        $png = Read-Png $path
        $png.Width | Should -Be 600
        $png.Height | Should -Be 300
        $blue = $TrainingChart::RunColor(0)
        Measure-Colour $png $blue 0 300 | Should -BeGreaterThan 50
        Measure-Colour $png $blue 300 600 | Should -BeGreaterThan 50
    }

    It 'draws several runs told apart by -GroupBy, also from Import-Csv' {
        $records = foreach ($run in 'sgd', 'adam') {
            foreach ($e in 1..5) {
                [pscustomobject]@{ RunName = $run; Epoch = $e; TrainLoss = 1 / ($e + $run.Length); TrainAccuracy = 1 - 0.5 / ($e + $run.Length) }
            }
        }
        $csv = Join-Path $TestDrive 'runs.csv'
        $records | Export-Csv -LiteralPath $csv
        $path = Join-Path $TestDrive 'runs.png'
        Import-Csv -LiteralPath $csv | Export-TrainingChart -Path $path -GroupBy RunName -Width 500 -Height 250
        $png = Read-Png $path
        $png.Width | Should -Be 500
        foreach ($i in 0, 1) {
            $colour = $TrainingChart::RunColor($i)
            Measure-Colour $png $colour 0 250 | Should -BeGreaterThan 30
            Measure-Colour $png $colour 250 500 | Should -BeGreaterThan 30
        }
        Measure-Colour $png ($TrainingChart::RunColor(2)) 0 500 | Should -Be 0
    }

    It 'draws the learning rate of a schedule with -Metric, one panel per metric' {
        $set = New-SyntheticSet -Count 200 -Side 4 -Classes 3
        $net = New-Network 16, 8, 3 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 2
        $epochs = $set | Invoke-Training -Network $net -Epochs 5 -BatchSize 20 -LearningRate 0.1 -LearningRateSchedule OneCycle
        $path = Join-Path $TestDrive 'rate.png'
        $epochs | Export-TrainingChart -Path $path -Width 900 -Height 300 -Metric Loss, Accuracy, LearningRate
        $png = Read-Png $path
        $blue = $TrainingChart::RunColor(0)
        foreach ($third in 0, 1, 2) { Measure-Colour $png $blue (300 * $third) (300 * $third + 300) | Should -BeGreaterThan 50 }

        # The rate alone; records without any rate have nothing to draw there.
        $only = Join-Path $TestDrive 'rate-only.png'
        $epochs | Export-TrainingChart -Path $only -Width 400 -Height 300 -Metric LearningRate
        Measure-Colour (Read-Png $only) $blue 0 400 | Should -BeGreaterThan 50
        $err = { [pscustomobject]@{ Epoch = 1; TrainLoss = 0.5 } | Export-TrainingChart -Path (Join-Path $TestDrive 'none.png') -Metric LearningRate } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'NoTrainingData,MnistTools.Commands.ExportTrainingChartCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'LearningRate'
    }

    It 'reports records without an Epoch and fails when nothing is left to draw' {
        $errors = $null
        $terminating = $null
        try { [pscustomobject]@{ Loss = 1 } | Export-TrainingChart -Path (Join-Path $TestDrive 'bad.png') -ErrorVariable errors -ErrorAction SilentlyContinue }
        catch { $terminating = $_ }
        $terminating.FullyQualifiedErrorId | Should -Be 'NoTrainingData,MnistTools.Commands.ExportTrainingChartCommand'
        $errors[0].FullyQualifiedErrorId | Should -Be 'TrainingRecordInvalid,MnistTools.Commands.ExportTrainingChartCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        { [pscustomobject]@{ Epoch = 1; TrainLoss = 'lots' } | Export-TrainingChart -Path (Join-Path $TestDrive 'bad2.png') -ErrorAction Stop } |
            Should -Throw -ErrorId 'TrainingRecordInvalid,MnistTools.Commands.ExportTrainingChartCommand'
        Test-Path (Join-Path $TestDrive 'bad.png') | Should -BeFalse
    }
}
