# docs/examples/sweep.ps1: a small sweep in parallel runspaces sharing one data set gives exactly the numbers of the
# same runs done one after another.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    if (-not $env:MNIST_DATA) { throw 'MNIST_DATA is not set: point it at the folder holding the four MNIST .gz files.' }
    $script:Sweep = Join-Path $PSScriptRoot '../../docs/examples/sweep.ps1'
}

Describe 'docs/examples/sweep.ps1' {
    BeforeAll {
        $script:Csv = Join-Path $TestDrive 'sweep.csv'
        & $Sweep -DataPath $env:MNIST_DATA -TrainCount 3000 -TestCount 1000 -Epochs 1 -BatchSize 10 -Seed 1 `
            -LearningRate 1, 3 -HiddenSize 16, 32 -ThrottleLimit 2 -OutFile $Csv
        $script:Rows = @(Import-Csv -LiteralPath $Csv)
    }

    It 'writes one CSV with an epoch row and a test row per run, all columns plain values' {
        $Rows.Count | Should -Be 8
        $Rows[0].PSObject.Properties.Name | Should -Be @('Run', 'Kind', 'HiddenSize', 'LearningRate', 'BatchSize', 'Seed', 'Epoch',
            'TrainLoss', 'TrainAccuracy', 'Seconds', 'SamplesPerSecond', 'DataSet', 'Total', 'Correct', 'Accuracy', 'Loss')
        ($Rows | Group-Object Run).Name | Sort-Object | Should -Be @('h16-lr1', 'h16-lr3', 'h32-lr1', 'h32-lr3')
        @($Rows | Where-Object Kind -eq 'Test').Count | Should -Be 4
        foreach ($row in $Rows) { foreach ($p in $row.PSObject.Properties) { $p.Value | Should -Not -Match 'System\.' } }
    }

    It 'gives every run exactly the numbers of the same run done sequentially' {
        $train = Import-MnistSet -Path $env:MNIST_DATA -Subset Train -First 3000
        $test = Import-MnistSet -Path $env:MNIST_DATA -Subset Test -First 1000
        foreach ($rate in 1, 3) {
            foreach ($hidden in 16, 32) {
                $net = New-Network 784, $hidden, 10 -Seed 1
                $epoch = $train | Invoke-Training -Network $net -Epochs 1 -BatchSize 10 -LearningRate $rate
                $result = $test | Test-Network -Network $net
                $run = "h$hidden-lr$rate"
                $e = $Rows | Where-Object { $_.Run -eq $run -and $_.Kind -eq 'Epoch' }
                $t = $Rows | Where-Object { $_.Run -eq $run -and $_.Kind -eq 'Test' }
                [double]::Parse($e.TrainLoss, [cultureinfo]::InvariantCulture) | Should -Be $epoch.TrainLoss -Because $run
                [double]::Parse($e.TrainAccuracy, [cultureinfo]::InvariantCulture) | Should -Be $epoch.TrainAccuracy -Because $run
                [int]$t.Correct | Should -Be $result.Correct -Because $run
                [double]::Parse($t.Loss, [cultureinfo]::InvariantCulture) | Should -Be $result.Loss -Because $run
            }
        }
    }

    It 'shares the data set objects between runspaces without changing them' {
        # A data set read from many runspaces at once: the same bytes before and after.
        $set = Import-MnistSet -Path $env:MNIST_DATA -Subset Test -First 500
        $before = [System.Security.Cryptography.SHA256]::HashData([byte[]]($set | Get-MnistImage | ForEach-Object { $_.Pixels }))
        $module = $env:MNISTTOOLS_MODULE
        $counts = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:module
            $s = $using:set
            $n = New-Network 784, 10 -Seed $_
            $c = @($s | Get-Classification -Network $n).Count
            $r = $s | Test-Network -Network $n
            $i = @($s | Get-MnistImage -Label 3).Count
            "$c $($r.Total) $i"
        }
        $threes = @($set | Get-MnistImage -Label 3).Count
        $counts | Should -Be (@("500 500 $threes") * 4)
        $after = [System.Security.Cryptography.SHA256]::HashData([byte[]]($set | Get-MnistImage | ForEach-Object { $_.Pixels }))
        [Convert]::ToHexString($after) | Should -Be ([Convert]::ToHexString($before))
    }
}
