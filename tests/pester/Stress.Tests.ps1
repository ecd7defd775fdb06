# Load, tagged Stress (./build.ps1 test -Stress; excluded from the default run): eight runspaces train and
# classify at once against ONE shared data set object for 20 epochs each; every run's numbers must equal, bit for
# bit, the same run done alone; and managed memory must stay flat over the 20 epochs.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Train = Get-TestMnistSet -Subset Train
    $script:Test = Get-TestMnistSet -Subset Test -First 2000

    # One run: 20 epochs of training (one Invoke-Training call per epoch, as a script would), a test and a
    # classification pass. Returns hashes of every number it produced and the managed heap after each epoch.
    $script:Job = {
        param($Module, $Train, $Test, [int] $Index, [bool] $MeasureMemory)
        Import-Module $Module
        $activation = @('Sigmoid', 'ReLU', 'Tanh', 'LeakyReLU')[$Index % 4]
        $optimizer = @('Sgd', 'Momentum', 'Adam')[$Index % 3]
        $rate = @{ Sgd = 0.1; Momentum = 0.02; Adam = 0.001 }[$optimizer]
        $net = New-Network 784, 256, 128, 10 -Activation $activation -OutputActivation Softmax -Loss CrossEntropy -Seed (100 + $Index)
        $sha = [System.Security.Cryptography.SHA256]
        $losses = [System.Collections.Generic.List[string]]::new()
        $memory = [System.Collections.Generic.List[long]]::new()
        for ($e = 0; $e -lt 20; $e++) {
            $epoch = $Train | Invoke-Training -Network $net -Epochs 1 -BatchSize 64 -LearningRate $rate -Optimizer $optimizer -Seed $Index
            $losses.Add([BitConverter]::DoubleToInt64Bits($epoch.TrainLoss).ToString('x16'))
            if ($MeasureMemory) { $memory.Add([GC]::GetTotalMemory($true)) }
        }
        $p = $net.GetParameters()
        $bytes = [byte[]]::new($p.Length * 4); [Buffer]::BlockCopy($p, 0, $bytes, 0, $bytes.Length)
        $result = $Test | Test-Network -Network $net
        $predicted = [byte[]]@($Test | Get-Classification -Network $net | ForEach-Object Predicted)
        [pscustomobject]@{
            Index      = $Index
            Losses     = $losses -join ','
            Parameters = [Convert]::ToHexString($sha::HashData($bytes))
            TestLoss   = [BitConverter]::DoubleToInt64Bits($result.Loss)
            Accuracy   = $result.Accuracy
            Predicted  = [Convert]::ToHexString($sha::HashData($predicted))
            Memory     = $memory.ToArray()
        }
    }
}

Describe 'Eight runspaces at once' -Tag 'Stress' {
    It 'give the same numbers as one at a time, with flat managed memory' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        # One at a time, in one runspace each (sequentially); the first also records the heap after each epoch.
        $alone = foreach ($i in 0..7) {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript($Job).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($Train).AddArgument($Test).AddArgument($i).AddArgument($i -eq 0)
                $ps.Invoke()
                if ($ps.HadErrors) { throw "run $i failed: $($ps.Streams.Error -join '; ')" }
            }
            finally { $ps.Dispose() }
        }
        $sequentialSeconds = $clock.Elapsed.TotalSeconds

        # All eight at once against the same data set objects.
        $clock.Restart()
        $pool = [runspacefactory]::CreateRunspacePool(8, 8)
        $pool.Open()
        try {
            $running = foreach ($i in 0..7) {
                $ps = [powershell]::Create()
                $ps.RunspacePool = $pool
                $null = $ps.AddScript($Job).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($Train).AddArgument($Test).AddArgument($i).AddArgument($i -eq 0)
                [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
            }
            $together = foreach ($r in $running) {
                $r.PowerShell.EndInvoke($r.Handle)
                if ($r.PowerShell.HadErrors) { throw "concurrent run failed: $($r.PowerShell.Streams.Error -join '; ')" }
                $r.PowerShell.Dispose()
            }
        }
        finally { $pool.Dispose() }
        $concurrentSeconds = $clock.Elapsed.TotalSeconds

        $alone.Count | Should -Be 8
        $together.Count | Should -Be 8
        foreach ($i in 0..7) {
            $a = $alone | Where-Object Index -eq $i; $t = $together | Where-Object Index -eq $i
            $t.Losses | Should -Be $a.Losses -Because "run ${i}: every epoch's loss, bit for bit"
            $t.Parameters | Should -Be $a.Parameters -Because "run ${i}: final weights"
            $t.TestLoss | Should -Be $a.TestLoss
            $t.Predicted | Should -Be $a.Predicted
            $a.Accuracy | Should -BeGreaterThan 0.85 -Because "run $i actually learned"
        }

        # Managed heap after each of the 20 epochs (full collection), alone and with seven neighbours.
        foreach ($m in @(@{ Name = 'alone'; Values = ($alone | Where-Object Index -eq 0).Memory }, @{ Name = 'with 7 others'; Values = ($together | Where-Object Index -eq 0).Memory })) {
            $mb = $m.Values | ForEach-Object { [math]::Round($_ / 1MB, 1) }
            Write-Host "    heap MB after epochs 1..20 ($($m.Name)): $($mb -join ' ')"
            $early = ($m.Values[2..6] | Measure-Object -Average).Average
            $late = ($m.Values[15..19] | Measure-Object -Average).Average
            ($late - $early) / 1MB | Should -BeLessThan 4 -Because "the heap must not grow with epochs ($($m.Name))"
        }
        Write-Host ("    8 runs x 20 epochs x 60000 images: one at a time {0:0} s, all at once {1:0} s" -f $sequentialSeconds, $concurrentSeconds)
    }
}
