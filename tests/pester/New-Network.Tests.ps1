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

    It 'has a default view that reads like the architecture' {
        $text = New-Network 784, 128, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 5 | Out-String
        # A table (several networks, e.g. from Import-Network, list one per row); Format-List has the rest.
        $text | Should -Match '(?m)^784-128-10\s+ReLU\s+Softmax\s+CrossEntropy\s+101,770\s+0\s+5\s*$'
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
    ) {
        param($Sizes, $Id)
        $err = { New-Network -LayerSizes $Sizes -Seed 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,MnistTools.Commands.NewNetworkCommand"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'LayerSizes'
    }

    It 'rejects an unknown activation name at binding' {
        $err = { New-Network 784, 10 -Activation Swish } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'CannotConvertArgumentNoMessage,*NewNetworkCommand*'
    }
}
