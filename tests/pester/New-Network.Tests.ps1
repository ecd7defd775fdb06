BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
}

Describe 'New-Network' {
    It 'creates the network the parameters describe' {
        $net = New-Network -LayerSizes 784, 128, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Initializer He -Seed 3
        $net | Should -BeOfType MnistTools.Network
        $net.LayerSizes | Should -Be @(784, 128, 10)
        $net.Activation | Should -Be 'ReLU'
        $net.OutputActivation | Should -Be 'Softmax'
        $net.Loss | Should -Be 'CrossEntropy'
        $net.Initializer | Should -Be 'He'
        $net.Seed | Should -Be 3
        $net.ParameterCount | Should -Be 101770
        $net.EpochsTrained | Should -Be 0
    }

    It 'defaults to the original script''s choices (Sigmoid, Sigmoid output, Quadratic)' {
        $net = New-Network 784, 20, 16, 10 -Seed 1
        "$($net.Activation)/$($net.OutputActivation)/$($net.Loss)" | Should -Be 'Sigmoid/Sigmoid/Quadratic'
    }

    It 'shows a network as one line: its description, whether it is trained, and its seed' {
        $net = New-Network 784, 128, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 1
        $text = ($net | Out-String).Trim()
        $text | Should -Be '784-128-10 ReLU/Softmax CrossEntropy, 101,770 parameters, untrained, seed 1'
        $text | Should -Be "$($net.Description), untrained, seed 1"
        $text | Should -Not -Match 'ParameterLayout|Layout'
        # Several networks (e.g. from Import-Network): one line each.
        $lines = @(($net, (New-Network 16, 3, 2 -Seed 7) | Out-String) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines | Should -Be @('784-128-10 ReLU/Softmax CrossEntropy, 101,770 parameters, untrained, seed 1',
            '16-3-2 Sigmoid/Sigmoid Quadratic, 59 parameters, untrained, seed 7')
    }

    It 'says how many epochs a network has been trained in its one-line view' {
        . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
        $set = New-SyntheticSet -Count 40 -Side 4 -Classes 3
        $net = New-Network 16, 3, 3 -Seed 2
        $set | Invoke-Training -Network $net -Epochs 1 | Out-Null
        ($net | Out-String).Trim() | Should -Be "$($net.Description), 1 epoch trained, seed 2"
        $set | Invoke-Training -Network $net -Epochs 2 | Out-Null
        ($net | Out-String).Trim() | Should -Be "$($net.Description), 3 epochs trained, seed 2"
    }

    It 'lists networks as a table with Format-Table and in full with Format-List' {
        $net = New-Network 784, 128, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 5
        $table = $net | Format-Table | Out-String
        $table | Should -Match '(?m)^Shape\s+Activation\s+Output\s+Loss\s+Parameters\s+Epochs\s+Seed\s*$'
        $table | Should -Match '(?m)^784-128-10\s+ReLU\s+Softmax\s+CrossEntropy\s+101,770\s+0\s+5\s*$'
        $list = $net | Format-List | Out-String
        $list | Should -Match '(?m)^Initializer\s+: Default\s*$'
        $list | Should -Match '(?m)^ParameterCount\s+: 101,770\s*$'
        $list | Should -Not -Match 'ParameterLayout'
    }

    It 'shows layer summaries as a table of Index, Kind, OutputShape, Parameters and Spec' {
        $layers = @(
            [pscustomobject]@{ PSTypeName = 'MnistTools.LayerSummary'; Index = 0; Kind = 'Dense'; OutputShape = '128'; Parameters = 100480; Spec = 'Dense 128 ReLU'; Hidden = 'x' }
            [pscustomobject]@{ PSTypeName = 'MnistTools.LayerSummary'; Index = 1; Kind = 'Dense'; OutputShape = '10'; Parameters = 1290; Spec = 'Dense 10 Softmax'; Hidden = 'y' }
        )
        $lines = @(($layers | Out-String) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^Index\s+Kind\s+OutputShape\s+Parameters\s+Spec$'
        $lines[2] | Should -Match '^\s*0\s+Dense\s+128\s+100,480\s+Dense 128 ReLU$'
        $lines[3] | Should -Match '^\s*1\s+Dense\s+10\s+1,290\s+Dense 10 Softmax$'
        $lines.Count | Should -Be 4
        ($layers | Out-String) | Should -Not -Match 'Hidden'
    }

    It 'gives the same weights for the same seed' {
        $a = (New-Network 30, 7, 3 -Seed 42).GetParameters()
        $b = (New-Network 30, 7, 3 -Seed 42).GetParameters()
        $c = (New-Network 30, 7, 3 -Seed 43).GetParameters()
        [System.Linq.Enumerable]::SequenceEqual($a, $b) | Should -BeTrue
        [System.Linq.Enumerable]::SequenceEqual($a, $c) | Should -BeFalse
    }

    It 'records a random seed when none is given, so the network can be recreated' {
        $net = New-Network 30, 7, 3
        $again = New-Network 30, 7, 3 -Seed $net.Seed
        [System.Linq.Enumerable]::SequenceEqual($net.GetParameters(), $again.GetParameters()) | Should -BeTrue
        (New-Network 30, 7, 3).Seed | Should -Not -Be $net.Seed  # 1 in 2^31 chance of a false failure
    }

    It 'rejects <Name> with <Id>' -TestCases @(
        @{ Name = 'a single layer'; Sizes = @(784); Id = 'LayerSizesTooFew' }
        @{ Name = 'a zero-sized layer'; Sizes = @(784, 0, 10); Id = 'LayerSizeOutOfRange' }
        @{ Name = 'a negative size'; Sizes = @(784, -3); Id = 'LayerSizeOutOfRange' }
        @{ Name = '46340,46340,10 (more parameters than allowed)'; Sizes = @(46340, 46340, 10); Id = 'NetworkTooLarge' }
        @{ Name = '46341,46341,10 (more weights in one layer than an int counts)'; Sizes = @(46341, 46341, 10); Id = 'NetworkTooLarge' }
    ) {
        param($Sizes, $Id)
        $err = { New-Network -LayerSizes $Sizes -Seed 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,MnistTools.Commands.NewNetworkCommand"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'LayerSizes'
    }

    It 'refuses an activation where it cannot stand: <Parameter> <Value> is <Id>' -TestCases @(
        @{ Parameter = 'Activation'; Value = 'Softmax'; Id = 'ActivationInvalid' }
        @{ Parameter = 'OutputActivation'; Value = 'ReLU'; Id = 'OutputActivationInvalid' }
        @{ Parameter = 'OutputActivation'; Value = 'None'; Id = 'OutputActivationInvalid' }
    ) {
        param($Parameter, $Value, $Id)
        $arguments = @{ LayerSizes = 784, 32, 10; Seed = 1; $Parameter = $Value }
        $err = { New-Network @arguments } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,MnistTools.Commands.NewNetworkCommand"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $Parameter
    }

    It 'takes None as a linear hidden activation' {
        $net = New-Network -LayerSizes 784, 32, 10 -Activation None -OutputActivation Softmax -Loss CrossEntropy -Seed 1
        $net.Activation | Should -Be 'None'
        $net.Architecture | Should -Be 'Dense 32, Dense 10 Softmax'
    }

    It 'rejects an unknown activation name at binding' {
        $err = { New-Network 784, 10 -Activation Swish } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'CannotConvertArgumentNoMessage,*NewNetworkCommand*'
    }
}
