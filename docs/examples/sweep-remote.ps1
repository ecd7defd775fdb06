#Requires -Version 7.4
<#
.SYNOPSIS
    A hyper-parameter sweep spread over machines with PowerShell remoting: learning rates x hidden sizes x seeds, each
    host training its share, every epoch and test result streamed back into one CSV. A second call finishes what is missing.
.DESCRIPTION
    The grid (every learning rate with every hidden size and seed) is split over the hosts (or PSSessions), the largest
    runs first, each to the host with the least work so far.
    Each host gets its share with Invoke-Command (one job per host), imports MnistTools from its module path, loads the
    training and test sets once from its data path, and trains its runs -ThrottleLimit at a time (ForEach-Object
    -Parallel; the runspaces share the loaded sets), each with -ThreadCount threads. As they arrive here:
      - every TrainingEpoch and TestResult becomes a row of -OutFile, with the run's and the host's names;
      - every trained network comes back rehydrated (it travels as its network file) and is saved to
        <NetworkPath>/<run>.safetensors and/or returned (-PassThru). Its Metadata['SweepRun'] names its run.
    A run is done when its Test row is in the CSV (written after its network was saved). A call skips the done runs and
    first drops the rows of runs that were cut short, so after a lost host, a closed session or Ctrl+C the same command
    finishes only the missing runs. The data set never crosses the wire: each host reads its own copy.
    Runs are seeded: a run gives the same numbers (and the same network file) on any host with any -ThreadCount as
    the same run done locally.
.EXAMPLE
    ./docs/examples/sweep-remote.ps1 -HostName gpu1, gpu2 -SessionParameters @{ UserName = 'me'; KeyFilePath = '~/.ssh/id_ed25519' } `
        -ModulePath '/opt/MnistTools/MnistTools.psd1' -DataPath @{ gpu1 = '/data/mnist'; gpu2 = '/srv/mnist' } `
        -LearningRate 0.5, 1, 3 -HiddenSize 32, 64 -Seed 1, 2 -Epochs 3 -ThreadCount 1 -ThrottleLimit 2 `
        -OutFile ./sweep.csv -NetworkPath ./nets
    Twelve runs over two machines, two at a time on each with one core each. Run it again after a failure to finish.
.EXAMPLE
    $s = New-PSSession -HostName 127.0.0.1 -Name a; $t = New-PSSession -HostName 127.0.0.1 -Name b
    $nets = ./docs/examples/sweep-remote.ps1 -Session $s, $t -DataPath $env:MNIST_DATA -TrainCount 5000 -TestCount 1000 `
        -LearningRate 1, 3 -HiddenSize 16, 32 -OutFile ./sweep.csv -PassThru
    Import-Csv ./sweep.csv | Where-Object Kind -eq Test | Sort-Object { [double]$_.Accuracy } -Descending | Format-Table Run, Host, Accuracy
#>
[CmdletBinding(DefaultParameterSetName = 'Session')]
param(
    # Open sessions (New-PSSession -HostName / -ComputerName); their Name goes in the Host column.
    [Parameter(Mandatory, ParameterSetName = 'Session')]
    [System.Management.Automation.Runspaces.PSSession[]] $Session,

    # Hosts to open SSH sessions to (closed again at the end); the host name goes in the Host column.
    [Parameter(Mandatory, ParameterSetName = 'HostName')]
    [string[]] $HostName,

    # Splatted to New-PSSession for every -HostName (UserName, KeyFilePath, Port, Subsystem...).
    [Parameter(ParameterSetName = 'HostName')]
    [hashtable] $SessionParameters = @{},

    # The CSV: one row per epoch and per test, columns of $columns below. Created, or resumed when it exists.
    [Parameter(Mandatory)]
    [string] $OutFile,

    # MnistTools.psd1 on the hosts: one path for all, or a hashtable host (session name) -> path. Default: this module's path.
    [object] $ModulePath,

    # The MNIST folder on the hosts: one path for all, or a hashtable host (session name) -> path. Default: each host's
    # $env:MNIST_DATA, then ./data/mnist (as Import-MnistSet).
    [object] $DataPath,

    [ValidateNotNullOrEmpty()] [double[]] $LearningRate = @(0.5, 1, 3),
    [ValidateNotNullOrEmpty()] [int[]] $HiddenSize = @(16, 32),
    [ValidateNotNullOrEmpty()] [int[]] $Seed = @(1),
    [ValidateRange(1, 60000)] [int] $TrainCount = 60000,
    [ValidateRange(1, 10000)] [int] $TestCount = 10000,
    [ValidateRange(1, 1000)] [int] $Epochs = 1,
    [ValidateRange(1, 65536)] [int] $BatchSize = 10,

    # Threads per run (Invoke-Training / Test-Network -ThreadCount). ThreadCount x ThrottleLimit = cores per host.
    [ValidateRange(1, 2)] [int] $ThreadCount = 1,

    # Runs at once on each host (ForEach-Object -Parallel there).
    [ValidateRange(1, 64)] [int] $ThrottleLimit = 1,

    # Folder (here) where each trained network is saved as <run>.safetensors.
    [string] $NetworkPath,

    # Also return every trained network (rehydrated [MnistTools.Network]).
    [switch] $PassThru
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if (-not (Get-Module MnistTools)) { Import-Module MnistTools }
if (-not $ModulePath) { $ModulePath = Join-Path (Get-Module MnistTools).ModuleBase 'MnistTools.psd1' }
$invariant = [cultureinfo]::InvariantCulture

$columns = 'Run', 'Host', 'Kind', 'HiddenSize', 'LearningRate', 'Seed', 'BatchSize', 'Epoch', 'TrainLoss', 'TrainAccuracy',
    'Seconds', 'SamplesPerSecond', 'DataSet', 'Total', 'Correct', 'Accuracy', 'Loss'

# A per-host setting: one value for all hosts, or a hashtable keyed by host (session) name.
function Get-HostValue([object] $Value, [string] $HostLabel) {
    if ($Value -is [hashtable]) { return $Value[$HostLabel] }
    $Value
}

$grid = foreach ($s in $Seed) {
    foreach ($rate in $LearningRate) {
        foreach ($hidden in $HiddenSize) {
            @{ Run = 'h{0}-lr{1}-s{2}' -f $hidden, $rate.ToString('R', $invariant), $s; HiddenSize = $hidden; LearningRate = $rate; Seed = $s }
        }
    }
}

# Resume: runs with a Test row are done; rows of runs cut short are dropped (rewritten atomically) and run again.
$done = [System.Collections.Generic.HashSet[string]]::new()
$OutFile = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
if (Test-Path -LiteralPath $OutFile) {
    $old = @(Import-Csv -LiteralPath $OutFile)
    foreach ($row in $old) { if ($row.Kind -eq 'Test') { $null = $done.Add($row.Run) } }
    $keep = @($old | Where-Object { $done.Contains($_.Run) })
    if ($keep.Count -ne $old.Count) {
        Write-Verbose "Dropping $($old.Count - $keep.Count) row(s) of runs that did not finish"
        $temporary = "$OutFile.tmp"
        $keep | Select-Object $columns | Export-Csv -LiteralPath $temporary -NoTypeInformation -UseQuotes AsNeeded
        Move-Item -LiteralPath $temporary -Destination $OutFile -Force
    }
}
$pending = @($grid | Where-Object { -not $done.Contains($_.Run) })
Write-Verbose "$(@($grid).Count) runs in the grid: $($done.Count) done, $($pending.Count) to run"
if ($NetworkPath) { $null = New-Item -ItemType Directory -Force -Path $NetworkPath }
if ($pending.Count -eq 0) { return }

# What runs on each host: its share, with the sets loaded once and shared by its parallel runspaces.
$remote = {
    param([hashtable[]] $Share, [string] $ModulePath, [string] $DataPath, [hashtable] $Settings, [string] $HostLabel)
    $ErrorActionPreference = 'Stop'
    Import-Module $ModulePath
    $load = @{}
    if ($DataPath) { $load.Path = $DataPath }
    $train = Import-MnistSet @load -Subset Train -First $Settings.TrainCount
    $test = Import-MnistSet @load -Subset Test -First $Settings.TestCount
    # Each run carries what it needs ($using: here would be taken for the caller's variables by Invoke-Command); the
    # parallel runspaces get the same set objects, shared and read-only.
    $Share | ForEach-Object { @{ Run = $_; Train = $train; Test = $test; Settings = $Settings; ModulePath = $ModulePath; HostLabel = $HostLabel } } |
    ForEach-Object -ThrottleLimit $Settings.ThrottleLimit -Parallel {
        Import-Module $_.ModulePath
        $settings = $_.Settings; $train = $_.Train; $test = $_.Test
        $run = $_.Run
        $row = @{ Run = $run.Run; Host = $_.HostLabel; HiddenSize = $run.HiddenSize; LearningRate = $run.LearningRate; Seed = $run.Seed
            BatchSize = $settings.BatchSize }
        $net = New-Network -LayerSizes $train.ImageSize, $run.HiddenSize, $train.ClassCount -Seed $run.Seed
        $net.Metadata['SweepRun'] = $run.Run   # travels inside the network file, so the network names its run on arrival
        $train | Invoke-Training -Network $net -Epochs $settings.Epochs -BatchSize $settings.BatchSize -LearningRate $run.LearningRate `
            -ThreadCount $settings.ThreadCount -ProgressAction SilentlyContinue | ForEach-Object {
                [pscustomobject]($row + @{ Kind = 'Epoch'; Epoch = $_.Epoch; TrainLoss = $_.TrainLoss; TrainAccuracy = $_.TrainAccuracy
                    Seconds = $_.Seconds; SamplesPerSecond = $_.SamplesPerSecond })
            }
        $result = $test | Test-Network -Network $net -ThreadCount $settings.ThreadCount
        $net   # before the Test row: a run whose Test row arrived has its network here
        [pscustomobject]($row + @{ Kind = 'Test'; Epoch = $net.EpochsTrained; DataSet = $result.DataSet; Total = $result.Total
            Correct = $result.Correct; Accuracy = $result.Accuracy; Loss = $result.Loss })
    }
}

$settings = @{ TrainCount = $TrainCount; TestCount = $TestCount; Epochs = $Epochs; BatchSize = $BatchSize; ThreadCount = $ThreadCount
    ThrottleLimit = $ThrottleLimit }
$opened = @()
$jobs = @()
try {
    if ($PSCmdlet.ParameterSetName -eq 'HostName') {
        $Session = foreach ($name in $HostName) { New-PSSession -HostName $name -Name $name @SessionParameters }
        $opened = $Session
    }
    $live = @($Session | Where-Object State -eq 'Opened')
    if ($live.Count -eq 0) { throw 'None of the sessions is open.' }
    # Largest runs first, each to the host with the least work so far (a run's work grows with its hidden size).
    $shares = @{}
    $load = @{}
    foreach ($s in $live) { $shares[$s.Name] = [System.Collections.Generic.List[hashtable]]::new(); $load[$s.Name] = 0 }
    foreach ($run in $pending | Sort-Object -Stable -Descending { $_.HiddenSize }) {
        $label = ($live | Sort-Object -Stable { $load[$_.Name] } | Select-Object -First 1).Name
        $shares[$label].Add($run)
        $load[$label] += $run.HiddenSize
    }
    $hostOf = @{}
    $jobs = @(foreach ($s in $live) {
        if ($shares[$s.Name].Count -eq 0) { continue }
        $share = $shares[$s.Name].ToArray()
        Write-Verbose "$($s.Name): $($share.Count) run(s): $($share.Run -join ', ')"
        $job = Invoke-Command -Session $s -AsJob -JobName "sweep-$($s.Name)" -ScriptBlock $remote -ArgumentList $share,
            (Get-HostValue $ModulePath $s.Name), (Get-HostValue $DataPath $s.Name), $settings, $s.Name
        $hostOf[$job.Id] = $s.Name
        $job
    })

    # Stream: rows go to the CSV as they arrive, networks are saved (or returned) as they arrive.
    $finished = 0
    while ($true) {
        $active = @($jobs | Where-Object { $_.State -notin 'Completed', 'Failed', 'Stopped' })
        foreach ($job in $jobs) {
            foreach ($item in @(Receive-Job -Job $job -ErrorAction SilentlyContinue)) {
                # Remoting deserializes with PowerShell's own types only: the network arrives as a property bag holding its
                # file, which the cast rebuilds bit for bit (MnistTools.Types.ps1xml; a job or Import-Clixml rehydrates it at once).
                if ($item.PSObject.TypeNames -contains 'Deserialized.MnistTools.Network') { $item = [MnistTools.Network]$item }
                if ($item -is [MnistTools.Network]) {
                    $run = $item.Metadata['SweepRun']
                    if ($NetworkPath) { $item | Save-Network -LiteralPath (Join-Path $NetworkPath "$run.safetensors") -Force }
                    if ($PassThru) { $item }
                    continue
                }
                $item | Select-Object $columns | Export-Csv -LiteralPath $OutFile -Append -NoTypeInformation -UseQuotes AsNeeded
                if ($item.Kind -eq 'Test') { $finished++; Write-Verbose "$($item.Run) on $($item.Host): accuracy $($item.Accuracy)" }
            }
        }
        if ($active.Count -eq 0) { break }
        Start-Sleep -Milliseconds 100
    }

    $failed = @($jobs | Where-Object State -ne 'Completed')
    if ($failed) {
        $why = foreach ($job in $failed) { "$($hostOf[$job.Id]): $($job.State) ($($job.ChildJobs[0].JobStateInfo.Reason.Message))" }
        throw "The sweep finished $finished of $($pending.Count) run(s); lost: $($why -join '; '). Run the same command again to finish the remaining runs."
    }
}
finally {
    # Ctrl+C or a failure: stop what still runs; the CSV holds every finished run.
    foreach ($job in $jobs) { Stop-Job -Job $job -ErrorAction SilentlyContinue; Remove-Job -Job $job -Force -ErrorAction SilentlyContinue }
    foreach ($s in $opened) { Remove-PSSession -Session $s -ErrorAction SilentlyContinue }
}
