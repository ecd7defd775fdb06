# docs/examples/sweep-remote.ps1 over real PowerShell remoting: an sshd on 127.0.0.1 made for the test (SshLoopback.ps1),
# two sessions to it as two "machines". Every run gives the bits of the same run done here, the networks come back
# usable, and after one machine is lost mid-sweep a second call finishes only the missing runs. When sshd cannot be
# installed or started, every test here fails with the reason.
BeforeAll {
    $script:Clock = [System.Diagnostics.Stopwatch]::StartNew()
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'SshLoopback.ps1')
    if (-not $env:MNIST_DATA) { throw 'MNIST_DATA is not set: point it at the folder holding the four MNIST .gz files.' }
    $script:SweepRemote = Join-Path $PSScriptRoot '../../docs/examples/sweep-remote.ps1'
    $script:Sshd = Start-LoopbackSshd
    $script:A = New-LoopbackSession $Sshd 'machineA'
    $script:B = New-LoopbackSession $Sshd 'machineB'
    Write-Host "SweepRemote: sshd on 127.0.0.1:$($Sshd.Port) and two sessions ready after $([int]$Clock.Elapsed.TotalMilliseconds) ms"

    function ConvertTo-Double([string] $Text) { [double]::Parse($Text, [cultureinfo]::InvariantCulture) }

    # The run done here, as the sweep does it on a host: same seed, data, settings and SweepRun metadata.
    function Invoke-LocalRun([int] $Hidden, [double] $Rate, [int] $Seed, [int] $TrainCount, [int] $TestCount, [int] $Epochs) {
        $train = Import-MnistSet -Path $env:MNIST_DATA -Subset Train -First $TrainCount
        $test = Import-MnistSet -Path $env:MNIST_DATA -Subset Test -First $TestCount
        $net = New-Network -LayerSizes 784, $Hidden, 10 -Seed $Seed
        $net.Metadata['SweepRun'] = 'h{0}-lr{1}-s{2}' -f $Hidden, $Rate.ToString('R', [cultureinfo]::InvariantCulture), $Seed
        $records = @($train | Invoke-Training -Network $net -Epochs $Epochs -BatchSize 10 -LearningRate $Rate)
        [pscustomobject]@{ Network = $net; Epochs = $records; Test = ($test | Test-Network -Network $net) }
    }
}

AfterAll {
    foreach ($session in @(Get-Variable -Scope Script -Name A, B, B2 -ValueOnly -ErrorAction SilentlyContinue)) {
        if ($session) { Remove-PSSession -Session $session -ErrorAction SilentlyContinue }
    }
    Stop-LoopbackSshd $script:Sshd
    Write-Host "SweepRemote: the SSH part (install check, sshd, sessions, sweeps, local reference runs, teardown) took $([math]::Round($Clock.Elapsed.TotalSeconds, 1)) s"
}

Describe 'sweep-remote.ps1' {
    It 'runs 8 runs over two machines with the bits of the same runs done here, and the networks come back usable' {
        $csv = Join-Path $TestDrive 'sweep.csv'
        $folder = Join-Path $TestDrive 'nets'
        $returned = @(& $SweepRemote -Session $A, $B -DataPath $env:MNIST_DATA -TrainCount 2000 -TestCount 500 -Epochs 1 `
                -LearningRate 1, 3 -HiddenSize 16, 32 -Seed 1, 2 -ThreadCount 1 -OutFile $csv -NetworkPath $folder -PassThru)
        $rows = @(Import-Csv -LiteralPath $csv)
        $rows.Count | Should -Be 16
        @($rows | Where-Object Kind -eq 'Test').Count | Should -Be 8
        ($rows.Host | Sort-Object -Unique) | Should -Be @('machineA', 'machineB')
        $returned.Count | Should -Be 8
        foreach ($hidden in 16, 32) {
            foreach ($rate in 1, 3) {
                foreach ($seed in 1, 2) {
                    $run = "h$hidden-lr$rate-s$seed"
                    $local = Invoke-LocalRun $hidden $rate $seed 2000 500 1
                    $epoch = $rows | Where-Object { $_.Run -eq $run -and $_.Kind -eq 'Epoch' }
                    $test = $rows | Where-Object { $_.Run -eq $run -and $_.Kind -eq 'Test' }
                    ConvertTo-Double $epoch.TrainLoss | Should -Be $local.Epochs[0].TrainLoss -Because $run
                    ConvertTo-Double $epoch.TrainAccuracy | Should -Be $local.Epochs[0].TrainAccuracy -Because $run
                    ConvertTo-Double $test.Loss | Should -Be $local.Test.Loss -Because $run
                    [int]$test.Correct | Should -Be $local.Test.Correct -Because $run

                    # The saved file is the file of the same network trained here, byte for byte.
                    $mine = Join-Path $TestDrive "$run-local.safetensors"
                    $local.Network | Save-Network -LiteralPath $mine
                    [Convert]::ToHexString([IO.File]::ReadAllBytes((Join-Path $folder "$run.safetensors"))) |
                        Should -Be ([Convert]::ToHexString([IO.File]::ReadAllBytes($mine))) -Because $run

                    # The returned network is a working Network that scores as the local one.
                    $net = $returned | Where-Object { $_.Metadata['SweepRun'] -eq $run }
                    $net | Should -BeOfType MnistTools.Network
                    (Import-MnistSet -Path $env:MNIST_DATA -Subset Test -First 500 | Test-Network -Network $net).Loss | Should -Be $local.Test.Loss
                }
            }
        }
    }

    It 'after a machine is lost mid-sweep, a second call finishes only the missing runs' {
        $csv = Join-Path $TestDrive 'resumed.csv'
        $remotePid = Invoke-Command -Session $B { $PID }
        # Kills machineB's pwsh as soon as its first run is in the CSV: its other runs (about a second each) are cut off.
        $killer = Start-ThreadJob -ArgumentList $csv, $remotePid {
            param($csv, $remotePid)
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ([DateTime]::UtcNow -lt $deadline) {
                if ((Test-Path -LiteralPath $csv) -and (Select-String -LiteralPath $csv -Pattern ',machineB,Test,' -Quiet)) {
                    Stop-Process -Id $remotePid -Force
                    return 'killed'
                }
                Start-Sleep -Milliseconds 10
            }
            'deadline'
        }
        $sweep = @{ DataPath = $env:MNIST_DATA; TrainCount = 5000; TestCount = 500; Epochs = 2; LearningRate = 1, 3; HiddenSize = 32, 64
            Seed = 1, 2; ThreadCount = 1; OutFile = $csv }
        { & $SweepRemote -Session $A, $B @sweep } | Should -Throw '*machineB*Run the same command again*'
        $killer | Wait-Job | Receive-Job | Should -Be 'killed'
        $killer | Remove-Job

        $first = @(Get-Content -LiteralPath $csv)
        $done = @(Import-Csv -LiteralPath $csv | Where-Object Kind -eq 'Test' | ForEach-Object Run)
        Write-Host "SweepRemote: the first call finished $($done.Count) of 8 runs before machineB was lost"
        $done.Count | Should -BeGreaterThan 4 -Because "machineA's four runs and at least one of machineB's finished"
        $done.Count | Should -BeLessThan 8 -Because 'machineB was killed before its last run finished'
        $kept = @(Import-Csv -LiteralPath $csv | Where-Object { $_.Run -in $done })

        $script:B2 = New-LoopbackSession $Sshd 'machineB'
        & $SweepRemote -Session $A, $B2 @sweep
        $rows = @(Import-Csv -LiteralPath $csv)
        # Every run once: two epoch rows and a test row each, nothing of the cut-off runs left over.
        foreach ($group in $rows | Group-Object Run) {
            ($group.Group.Kind -join ',') | Should -Be 'Epoch,Epoch,Test' -Because $group.Name
        }
        @($rows | Group-Object Run).Count | Should -Be 8
        # The finished runs' rows are as the first call left them, first in the file; the rest are the missing runs only.
        $after = @(Get-Content -LiteralPath $csv)
        $after[0..$kept.Count] | Should -Be ($first | Where-Object { $_ -notmatch '^(h\d+-lr[\d.]+-s\d+),' -or $done -contains $Matches[1] })
        $new = @($rows | Select-Object -Skip $kept.Count | ForEach-Object Run | Sort-Object -Unique)
        $new | Should -Be @($rows.Run | Sort-Object -Unique | Where-Object { $_ -notin $done })
    }

    It 'opens and closes its own sessions with -HostName' {
        $csv = Join-Path $TestDrive 'hostname.csv'
        $ssh = @{ Port = $Sshd.Port; UserName = [Environment]::UserName; KeyFilePath = $Sshd.KeyFilePath; Options = $Sshd.Options }
        $before = @(Get-PSSession).Count
        $net = & $SweepRemote -HostName 127.0.0.1 -SessionParameters $ssh -DataPath $env:MNIST_DATA -TrainCount 2000 -TestCount 500 `
            -LearningRate 3 -HiddenSize 16 -Seed 1 -OutFile $csv -PassThru
        @(Get-PSSession).Count | Should -Be $before
        $rows = @(Import-Csv -LiteralPath $csv)
        ($rows.Kind -join ',') | Should -Be 'Epoch,Test'
        $rows[1].Host | Should -Be '127.0.0.1'
        $local = Invoke-LocalRun 16 3 1 2000 500 1
        [int]$rows[1].Correct | Should -Be $local.Test.Correct
        $net | Should -BeOfType MnistTools.Network
        $net.Metadata['SweepRun'] | Should -Be 'h16-lr3-s1'
    }
}
