# Stopping: PowerShell.Stop() on a long cmdlet running over the full data set returns within one second,
# and what the cmdlet worked on stays usable. Each case runs the cmdlet in its own [powershell] (module imported),
# lets it get properly under way, then times Stop() itself.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'LocalHttpServer.ps1')
    $script:Train = Get-TestMnistSet -Subset Train   # 60000 images: the full set

    # Starts $Script (with $Arguments) in a new [powershell] with the module imported; waits $WarmUpMs or until
    # $Until returns true; then times Stop(). Returns the seconds Stop() took and the final state.
    function Measure-Stop([scriptblock] $Script, [object[]] $Arguments = @(), [int] $WarmUpMs = 700, [scriptblock] $Until = $null) {
        $ps = [powershell]::Create()
        try {
            # Import first, synchronously (a batch with AddStatement() crashes pwsh when stopped and disposed).
            $null = $ps.AddScript("Import-Module '$env:MNISTTOOLS_MODULE'").Invoke()
            $ps.Commands.Clear()
            $null = $ps.AddScript($Script)
            foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            if ($Until) { while (-not (& $Until) -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 20 } }
            Start-Sleep -Milliseconds $WarmUpMs
            $state = $ps.InvocationStateInfo.State
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $clock.Stop()
            $null = $handle.AsyncWaitHandle.WaitOne(10000)
            [pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; RunningWhenStopped = ($state -eq 'Running'); State = $ps.InvocationStateInfo.State
                Errors = @($ps.Streams.Error) }
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Stopping long operations' -Tag 'Stopping' {
    It 'Invoke-Training stops within a second and the network classifies and trains on' {
        $net = New-Network 784, 128, 64, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 3
        $r = Measure-Stop -Script { param($Net, $Set) $Set | Invoke-Training -Network $Net -Epochs 50 -BatchSize 32 -LearningRate 0.01 -Optimizer Adam } -Arguments $net, $Train -WarmUpMs 1500
        Write-Host "    Invoke-Training: Stop() took $([math]::Round($r.Seconds * 1000)) ms"
        $r.RunningWhenStopped | Should -BeTrue
        $r.State | Should -Be 'Stopped'
        $r.Seconds | Should -BeLessThan 1.0
        $net.EpochsTrained | Should -BeLessThan 50 -Because 'the run of 50 epochs was stopped part-way'
        $c = $Train | Get-MnistImage -First 20 | Get-Classification -Network $net
        $c.Count | Should -Be 20
        foreach ($x in $c) { foreach ($s in $x.Scores) { [float]::IsFinite($s) | Should -BeTrue } }
        $small = Get-TestMnistSet -Subset Test -First 500
        $before = $net.EpochsTrained
        $e = $small | Invoke-Training -Network $net -Epochs 1 -BatchSize 50 -LearningRate 0.001 -Optimizer Adam
        $e.Epoch | Should -Be ($before + 1)
        $net.EpochsTrained | Should -Be ($before + 1)
        [double]::IsFinite($e.TrainLoss) | Should -BeTrue
    }

    It 'Test-Network stops within a second and the network still evaluates' {
        # Wide enough that evaluating 60000 images takes several seconds.
        $net = New-Network 784, 2048, 1024, 10 -Seed 4
        $r = Measure-Stop -Script { param($Net, $Set) while ($true) { $Set | Test-Network -Network $Net } } -Arguments $net, $Train -WarmUpMs 800
        Write-Host "    Test-Network: Stop() took $([math]::Round($r.Seconds * 1000)) ms"
        $r.RunningWhenStopped | Should -BeTrue
        $r.State | Should -Be 'Stopped'
        $r.Seconds | Should -BeLessThan 1.0
        $t = Get-TestMnistSet -Subset Test -First 200 | Test-Network -Network $net
        $t.Total | Should -Be 200
        [double]::IsFinite($t.Loss) | Should -BeTrue
    }

    It 'Import-MnistSet stops within a second' {
        $r = Measure-Stop -Script { param($Path) while ($true) { $null = Import-MnistSet -Path $Path -Subset Train } } -Arguments $env:MNIST_DATA -WarmUpMs 1200
        Write-Host "    Import-MnistSet: Stop() took $([math]::Round($r.Seconds * 1000)) ms"
        $r.RunningWhenStopped | Should -BeTrue
        $r.State | Should -Be 'Stopped'
        $r.Seconds | Should -BeLessThan 1.0
        (Import-MnistSet -Path $env:MNIST_DATA -Subset Test).Count | Should -Be 10000
    }

    It 'Save-MnistSet stops within a second against a slow server and leaves no partial file' {
        $data = Get-MnistDataFolder
        $md5 = @{}
        foreach ($n in 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz') {
            $md5[$n] = (Get-FileHash -Algorithm MD5 -LiteralPath (Join-Path $data $n)).Hash.ToLowerInvariant()
        }
        $folder = Join-Path $TestDrive 'slow'
        $server = Start-LocalHttpServer -Folder $data -LifetimeSeconds 120
        try {
            $r = Measure-Stop -Script { param($Path, $Uri, $Md5) Save-MnistSet -Name Mnist -Path $Path -BaseUri $Uri -Checksum $Md5 -TimeoutSec 30 } `
                -Arguments $folder, "$($server.BaseUri)slow/", $md5 -WarmUpMs 300 -Until { Get-ChildItem -LiteralPath $folder -Force -Filter '*.partial' -ErrorAction SilentlyContinue }
            Write-Host "    Save-MnistSet: Stop() took $([math]::Round($r.Seconds * 1000)) ms"
            $r.RunningWhenStopped | Should -BeTrue
            $r.State | Should -Be 'Stopped'
            $r.Seconds | Should -BeLessThan 1.0
            Test-Path -LiteralPath $folder | Should -BeFalse -Because 'no partial file is left, and the folder Save-MnistSet made is removed again'
        }
        finally { $server.Stop() }
    }
}
