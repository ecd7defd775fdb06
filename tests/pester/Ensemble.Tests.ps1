# Ensembles: Test-Network and Get-Classification with several networks average their class scores.

BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Train = New-SyntheticSet -Count 300 -Seed 2
    $script:Set = New-SyntheticSet -Count 90 -Seed 3
    $script:Nets = foreach ($seed in 1..3) {
        $net = New-Network 16, 8, 3 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed $seed
        $Train | Invoke-Training -Network $net -Epochs 1 -BatchSize 20 -LearningRate 0.01 -Optimizer Adam | Out-Null
        $net
    }
    $script:Odd = New-Network 16, 8, 4 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 9
}

Describe 'Test-Network' {
    It 'scores the averaged probabilities of several networks and says how many voted' {
        $result = Test-Network -Network $Nets -DataSet $Set
        $result.NetworkCount | Should -Be 3
        $result.Total | Should -Be 90
        $votes = $Set | Get-Classification -Network $Nets
        $result.Correct | Should -Be @($votes | Where-Object IsCorrect).Count
        $loss = ($votes | ForEach-Object { - [math]::Log($_.Scores[$_.Label]) } | Measure-Object -Sum).Sum / 90
        $result.Loss | Should -BeGreaterThan ($loss - 1e-9)
        $result.Loss | Should -BeLessThan ($loss + 1e-9)
    }

    It 'takes the data set from the pipeline, and one network as before' {
        ($Set | Test-Network -Network $Nets[0], $Nets[1]).NetworkCount | Should -Be 2
        $one = $Nets[0] | Test-Network -DataSet $Set
        $one.NetworkCount | Should -Be 1
        $one.Accuracy | Should -Be (Test-Network -Network $Nets[0] -DataSet $Set).Accuracy
    }

    It 'names a network of another class count' {
        $err = $null
        try { Test-Network -Network $Nets[0], $Nets[1], $Odd -DataSet $Set -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'EnsembleNetworkMismatch,MnistTools.Commands.TestNetworkCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        [object]::ReferenceEquals($err.TargetObject, $Odd) | Should -BeTrue
        $err.Exception.Message | Should -Match 'Network 3'
    }
}

Describe 'Get-Classification' {
    It 'averages the networks'' scores' {
        $votes = $Set | Get-Classification -Network $Nets
        $each = foreach ($net in $Nets) { , @($Set | Get-Classification -Network $net) }
        $votes.Count | Should -Be 90
        foreach ($i in 0, 17, 89) {
            $votes[$i].NetworkCount | Should -Be 3
            for ($k = 0; $k -lt 3; $k++) {
                $mean = ($each[0][$i].Scores[$k] + $each[1][$i].Scores[$k] + $each[2][$i].Scores[$k]) / 3
                [math]::Abs($votes[$i].Scores[$k] - $mean) | Should -BeLessThan 1e-6
            }
        }
        ($Set[4] | Get-Classification -Network $Nets[0]).NetworkCount | Should -Be 1
        $fromArray = Get-Classification -Network $Nets -InputObject $Set[17].Pixels
        [System.Linq.Enumerable]::SequenceEqual($fromArray.Scores, $votes[17].Scores) | Should -BeTrue
    }

    It 'names a network of another class count' {
        $err = $null
        try { $Set | Get-Classification -Network $Odd, $Nets[0] -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'EnsembleNetworkMismatch,MnistTools.Commands.GetClassificationCommand'
        [object]::ReferenceEquals($err.TargetObject, $Nets[0]) | Should -BeTrue
    }
}
