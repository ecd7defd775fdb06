BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
}

Describe 'Test-Network' {
    It 'evaluates a data set from the pipeline' {
        $set = New-SyntheticSet -Count 200
        $net = New-Network 16, 6, 3 -Activation Tanh -OutputActivation Softmax -Loss CrossEntropy -Seed 2
        $result = $set | Test-Network -Network $net
        $result | Should -BeOfType MnistTools.TestResult
        $result.DataSet | Should -Be 'synthetic'
        $result.Total | Should -Be 200
        $result.Accuracy | Should -Be ($result.Correct / 200)
        $result.Loss | Should -BeGreaterThan 0
        $result.ConfusionMatrix.GetLength(0) | Should -Be 3
        ($result.PerClass | Measure-Object Support -Sum).Sum | Should -Be 200
        $diagonal = 0; for ($c = 0; $c -lt 3; $c++) { $diagonal += $result.ConfusionMatrix[$c, $c] }
        $diagonal | Should -Be $result.Correct
    }

    It 'writes flat per-class rows that export to CSV' {
        $set = New-SyntheticSet -Count 90
        $net = New-Network 16, 3 -OutputActivation Softmax -Loss CrossEntropy -Seed 2
        $csv = ($set | Test-Network -Network $net).PerClass | ConvertTo-Csv | ConvertFrom-Csv
        @($csv).Count | Should -Be 3
        ($csv[0].PSObject.Properties.Name -join ',') | Should -Be 'Class,Name,Precision,Recall,F1,Support'
    }

    It 'reports the accuracy of an untrained seed network on the real test set as chance level' {
        $test = Get-TestMnistSet -Subset Test
        $result = $test | Test-Network -Network (New-Network 784, 20, 16, 10 -Seed 1)
        $result.Total | Should -Be 10000
        $result.Accuracy | Should -BeLessThan 0.2
        $result | Format-List | Out-String | Should -Match 'true\\pred'
    }

    It 'writes a non-terminating InvalidArgument error for a set that does not fit the network' {
        $net = New-Network 784, 10 -Seed 1
        $results = New-SyntheticSet -Count 10 | Test-Network -Network $net -ErrorVariable errs -ErrorAction SilentlyContinue
        $results | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'NetworkDataMismatch,MnistTools.Commands.TestNetworkCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}
