# Invoke-Training -Augment and Get-MnistImage -Augment: distorted training images, seeded, shown as pictures.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    $script:Test = Import-MnistSet -Path (Get-MnistDataFolder) -Subset Test
    $script:Small = $Test.Slice(0, 600, 'small')
    function New-SmallNet { New-Network 784, 32, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 4 }
    function Test-SameBits($a, $b) { [System.Linq.Enumerable]::SequenceEqual([float[]]$a, [float[]]$b) }
}

Describe 'Invoke-Training -Augment' {
    It 'trains on <Kind>-distorted images: the same seed gives the same bits, and other images than without' -TestCases @(
        @{ Kind = 'Shift' }, @{ Kind = 'Affine' }, @{ Kind = 'Elastic' }
    ) {
        $common = @{ Epochs = 2; BatchSize = 32; Optimizer = 'Adam'; LearningRate = 0.003; Seed = 5 }
        $a = New-SmallNet; $b = New-SmallNet; $plain = New-SmallNet
        $records = $Small | Invoke-Training -Network $a @common -Augment $Kind
        $null = $Small | Invoke-Training -Network $b @common -Augment $Kind
        $null = $Small | Invoke-Training -Network $plain @common
        $records.Augmentation | Should -Be @($Kind, $Kind)
        Test-SameBits $a.GetParameters() $b.GetParameters() | Should -BeTrue
        Test-SameBits $a.GetParameters() $plain.GetParameters() | Should -BeFalse
        $records[-1].TrainAccuracy | Should -BeGreaterThan 0.5
    }

    It 'says so in the verbose stream' {
        $null = $Small | Invoke-Training -Network (New-SmallNet) -Augment Affine -Verbose 4>&1 | Tee-Object -Variable stream
        ($stream | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'Affine augmentation'
    }

    It 'refuses an unknown kind at binding' {
        { $Small | Invoke-Training -Network (New-SmallNet) -Augment Wobble } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,MnistTools.Commands.InvokeTrainingCommand'
    }
}

Describe 'Get-MnistImage -Augment' {
    It 'emits the images as training with that seed and epoch distorts them, and Export-MnistImage draws them' {
        $first = Get-MnistImage $Test -Index (0..7) -Augment Elastic -Seed 3 -Epoch 2
        $again = Get-MnistImage $Test -Index (0..7) -Augment Elastic -Seed 3 -Epoch 2
        $other = Get-MnistImage $Test -Index (0..7) -Augment Elastic -Seed 3 -Epoch 3
        $originals = Get-MnistImage $Test -Index (0..7)
        $first.Label | Should -Be $originals.Label
        $first.Index | Should -Be (0..7)
        foreach ($i in 0..7) {
            [System.Linq.Enumerable]::SequenceEqual($first[$i].Pixels, $again[$i].Pixels) | Should -BeTrue
            [System.Linq.Enumerable]::SequenceEqual($first[$i].Pixels, $other[$i].Pixels) | Should -BeFalse
            [System.Linq.Enumerable]::SequenceEqual($first[$i].Pixels, $originals[$i].Pixels) | Should -BeFalse
        }
        $png = Join-Path $TestDrive 'elastic.png'
        $first | Export-MnistImage -Path $png
        (Get-Item -LiteralPath $png).Length | Should -BeGreaterThan 1000
    }

    It 'keeps a whole-pixel shift of the ink with -Augment Shift' {
        $shifted = Get-MnistImage $Test -Index 0 -Augment Shift -Seed 1
        ($shifted.Pixels | Measure-Object -Sum).Sum | Should -BeLessOrEqual (($Test | Get-MnistImage -First 1).Pixels | Measure-Object -Sum).Sum
        ($shifted.Pixels | Measure-Object -Sum).Sum | Should -BeGreaterThan 0
    }

    It 'warns that -Seed and -Epoch need -Augment' {
        $null = Get-MnistImage $Test -Index 0 -Seed 3 -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match '-Seed and -Epoch apply to -Augment only'
    }

    It 'refuses -Epoch 0' {
        { Get-MnistImage $Test -Index 0 -Augment Shift -Epoch 0 } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistTools.Commands.GetMnistImageCommand'
    }
}
