BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
}

Describe 'Export-NetworkWeights' {
    It 'draws one 28x28 tile per hidden unit, coloured by that unit''s weights' {
        $net = New-Network 784, 12, 10 -Activation ReLU -Seed 3
        $path = Join-Path $TestDrive 'weights.png'
        $net | Export-NetworkWeights -Path $path -Scale 2 -Columns 4
        $layout = $ContactSheet::ComputeLayout(12, 28, 28, 2, 4, $false)
        $png = Read-Png $path
        $png.Width | Should -Be $layout.Width
        $png.Height | Should -Be ($layout.Height + $WeightGrid::LegendHeight($layout))
        $parameters = $net.GetParameters()
        foreach ($unit in 0, 7, 11) {
            $row = $parameters[($unit * 784)..($unit * 784 + 783)]
            $maxAbs = ($row | ForEach-Object { [math]::Abs($_) } | Measure-Object -Maximum).Maximum
            $origin = $layout.CellOrigin($unit)
            $tileX = $origin.Item1 + [int](($layout.CellWidth - 56) / 2)
            foreach ($pixel in 0, 300, 783) {
                $expected = $WeightGrid::ColorOf($row[$pixel], [float]$maxAbs)
                $png.GetPixel($tileX + 2 * ($pixel % 28), $origin.Item2 + 2 * [math]::Floor($pixel / 28)) | Should -Be $expected
            }
        }
    }

    It 'draws only the first units with -First' {
        $net = New-Network 784, 30, 10 -Seed 3
        $path = Join-Path $TestDrive 'first.png'
        $net | Export-NetworkWeights -Path $path -First 4 -Scale 1
        $layout = $ContactSheet::ComputeLayout(4, 28, 28, 1, 2, $false)
        (Read-Png $path).Width | Should -Be $layout.Width
    }

    It 'refuses a network whose input is not a square picture' {
        $net = New-Network 10, 4, 2 -Seed 1
        $path = Join-Path $TestDrive 'no.png'
        $err = { $net | Export-NetworkWeights -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetworkInputNotAPicture,MnistTools.Commands.ExportNetworkWeightsCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $net
        Test-Path $path | Should -BeFalse
    }

    It 'draws the first of several networks and reports the others' {
        $first = New-Network 784, 4, 10 -Seed 1
        $second = New-Network 784, 4, 10 -Seed 2
        $path = Join-Path $TestDrive 'two.png'
        $first, $second | Export-NetworkWeights -Path $path -Scale 1 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'OneNetworkPerPicture,MnistTools.Commands.ExportNetworkWeightsCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].TargetObject | Should -Be $second
        (Read-Png $path).Width | Should -Be ($ContactSheet::ComputeLayout(4, 28, 28, 1, 2, $false)).Width
    }

    It 'fails with NoNetwork on an empty pipeline, writing nothing' {
        $path = Join-Path $TestDrive 'none.png'
        $err = { @() | Export-NetworkWeights -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoNetwork,MnistTools.Commands.ExportNetworkWeightsCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $path
        Test-Path $path | Should -BeFalse
    }
}
