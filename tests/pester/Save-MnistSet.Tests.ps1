# Save-MnistSet against a local HTTP server on 127.0.0.1 (never the internet) serving the files of $env:MNIST_DATA.
# Those files are re-compressed copies, so their MD5s are not the published ones: the tests pass the served files'
# own MD5s through the hidden -Checksum parameter.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'LocalHttpServer.ps1')
    $script:Data = Get-MnistDataFolder
    $script:Names = 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'
    $script:Md5 = @{}
    foreach ($n in $Names) { $Md5[$n] = (Get-FileHash -Algorithm MD5 -LiteralPath (Join-Path $Data $n)).Hash.ToLowerInvariant() }
    $script:Server = Start-LocalHttpServer -Folder $Data -LifetimeSeconds 300 -StallSeconds 2
    $script:Base = $Server.BaseUri
    $script:Cmd = 'MnistTools.Commands.SaveMnistSetCommand'

    function Get-FolderState([string] $Folder) {
        @(Get-ChildItem -LiteralPath $Folder -Force -File -ErrorAction SilentlyContinue | Sort-Object Name |
            ForEach-Object { "$($_.Name)=$((Get-FileHash -Algorithm MD5 -LiteralPath $_.FullName).Hash.ToLowerInvariant())" })
    }
    # Runs Save-MnistSet, returning its output and errors.
    function Invoke-Save([hashtable] $Arguments) {
        $ErrorActionPreference = 'Continue'
        $all = @(Save-MnistSet -Name Mnist -Checksum $Md5 -TimeoutSec 10 @Arguments 2>&1)
        [pscustomobject]@{
            Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
            Errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        }
    }
}

AfterAll {
    if ($script:Server) { $script:Server.Stop() }
}

Describe 'Save-MnistSet' {
    It 'downloads the four files from a good server, verifies them, and Import-MnistSet reads them' {
        $folder = Join-Path $TestDrive 'good'
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}good/" }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Count | Should -Be 4
        $r.Output[0] | Should -BeOfType System.IO.FileInfo
        $r.Output.Name | Should -Be $Names
        $r.Output.Status | Sort-Object -Unique | Should -Be 'Downloaded'
        $r.Output[2].Source | Should -Be "${Base}good/t10k-images-idx3-ubyte.gz"
        foreach ($f in $r.Output) { $f.Md5 | Should -Be $Md5[$f.Name]; $f.Length | Should -Be (Get-Item (Join-Path $Data $f.Name)).Length }
        Get-FolderState $folder | Should -Be @($Names | Sort-Object | ForEach-Object { "$_=$($Md5[$_])" })  # nothing else left behind
        (Import-MnistSet -Path $folder -Subset Test).Count | Should -Be 10000
    }

    It 'does nothing with -WhatIf' {
        $folder = Join-Path $TestDrive 'whatif'
        $requests = $Server.Log.Count
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}good/"; WhatIf = $true }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors | Should -BeNullOrEmpty
        Test-Path $folder | Should -BeFalse
        $Server.Log.Count | Should -Be $requests
    }

    It 'keeps files already present with the right checksum, without downloading them again' {
        $folder = Join-Path $TestDrive 'again'
        $null = Invoke-Save @{ Path = $folder; BaseUri = "${Base}good/" }
        $before = Get-ChildItem $folder | ForEach-Object LastWriteTimeUtc
        $requests = $Server.Log.Count
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}good/" }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Status | Sort-Object -Unique | Should -Be 'AlreadyPresent'
        $Server.Log.Count | Should -Be $requests
        Get-ChildItem $folder | ForEach-Object LastWriteTimeUtc | Should -Be $before
    }

    It 'a corrupt file: ChecksumMismatch for each, and no file left behind' {
        $folder = Join-Path $TestDrive 'corrupt'
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}corrupt/" }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors.Count | Should -Be 4
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "ChecksumMismatch,$Cmd"
        $r.Errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $r.Errors[0].TargetObject | Should -Be (Join-Path $folder 'train-images-idx3-ubyte.gz')
        $r.Errors[0].Exception.Message | Should -Match 'No file was written'
        Get-ChildItem -LiteralPath $folder -Force | Should -BeNullOrEmpty
    }

    It 'a corrupt file with -Force: the previous good file is untouched' {
        $folder = Join-Path $TestDrive 'force-corrupt'
        $null = Invoke-Save @{ Path = $folder; BaseUri = "${Base}good/" }
        $state = Get-FolderState $folder
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}corrupt/"; Force = $true }
        $r.Errors.Count | Should -Be 4
        $r.Errors.FullyQualifiedErrorId | Sort-Object -Unique | Should -Be "ChecksumMismatch,$Cmd"
        $r.Errors[3].Exception.Message | Should -Match 'existing file was left untouched'
        Get-FolderState $folder | Should -Be $state
    }

    It 'an existing file with another checksum is not clobbered without -Force' {
        $folder = Join-Path $TestDrive 'mine'
        $mine = Write-Bytes (Join-Path $folder 't10k-labels-idx1-ubyte.gz') ([byte[]](1, 2, 3))
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}good/" }
        $r.Output.Count | Should -Be 3
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "ExistingFileMismatch,$Cmd"
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $r.Errors[0].TargetObject | Should -Be $mine
        [IO.File]::ReadAllBytes($mine) | Should -Be @(1, 2, 3)
        # ... and is replaced with -Force
        $f = Invoke-Save @{ Path = $folder; BaseUri = "${Base}good/"; Force = $true }
        $f.Errors | Should -BeNullOrEmpty
        $f.Output.Status | Sort-Object -Unique | Should -Be 'Downloaded'
        (Get-FileHash -Algorithm MD5 $mine).Hash | Should -Be $Md5['t10k-labels-idx1-ubyte.gz']
    }

    It 'a connection dropped mid-body: DownloadFailed, and no file left behind' {
        $folder = Join-Path $TestDrive 'drop'
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}drop/" }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors.Count | Should -Be 4
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "DownloadFailed,$Cmd"
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $r.Errors[0].TargetObject | Should -Be (Join-Path $folder 'train-images-idx3-ubyte.gz')
        Get-ChildItem -LiteralPath $folder -Force | Should -BeNullOrEmpty
    }

    It 'a 404 on the first mirror: the second mirror is used' {
        $folder = Join-Path $TestDrive 'second'
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}missing/", "${Base}good" }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Count | Should -Be 4
        $r.Output.Source | ForEach-Object { $_ | Should -BeLike "${Base}good/*" }
        $Server.Log.ToArray() | Should -Contain 'missing/t10k-labels-idx1-ubyte.gz'
    }

    It 'a 404 on every mirror: DownloadFailed naming each mirror' {
        $folder = Join-Path $TestDrive 'nowhere'
        $r = Invoke-Save @{ Path = $folder; BaseUri = "${Base}missing/", "${Base}missing/again/" }
        $r.Errors.Count | Should -Be 4
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "DownloadFailed,$Cmd"
        $r.Errors[0].Exception.Message | Should -Match 'HTTP 404'
        $r.Errors[0].Exception.Message | Should -Match ([regex]::Escape("${Base}missing/again/train-images"))
    }

    It 'a server that stops sending: DownloadFailed after -TimeoutSec, not a hang' {
        $folder = Join-Path $TestDrive 'stall'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $ErrorActionPreference = 'Continue'
        $all = @(Save-MnistSet -Name Mnist -Path $folder -BaseUri "${Base}stall/" -Checksum $Md5 -TimeoutSec 1 2>&1)
        $clock.Stop()
        $errs = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $errs.Count | Should -Be 4
        $errs[0].FullyQualifiedErrorId | Should -Be "DownloadFailed,$Cmd"
        $errs[0].Exception.Message | Should -Match 'timeout'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        Get-ChildItem -LiteralPath $folder -Force | Should -BeNullOrEmpty
    }

    It 'stops at once when the pipeline is stopped (Ctrl+C), leaving no partial file' {
        $folder = Join-Path $TestDrive 'stopped'
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($Module, $Path, $Uri, $Checksum)
                Import-Module $Module
                Save-MnistSet -Name Mnist -Path $Path -BaseUri $Uri -Checksum $Checksum -TimeoutSec 60
            }).AddArgument($env:MNISTTOOLS_MODULE).AddArgument($folder).AddArgument("${Base}stall/").AddArgument($Md5)
        try {
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while (-not (Get-ChildItem -LiteralPath $folder -Force -Filter '*.partial' -ErrorAction SilentlyContinue) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            Get-ChildItem -LiteralPath $folder -Force -Filter '*.partial' | Should -Not -BeNullOrEmpty -Because 'the download had started'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $clock.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
            $handle.IsCompleted | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            Get-ChildItem -LiteralPath $folder -Force | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }

    It 'tells each request, size, time and verified checksum with -Verbose' {
        # (Write-Progress goes to the host, not to a stream a test can capture; the same figures are in -Verbose.)
        $folder = Join-Path $TestDrive 'verbose'
        $verbose = @(Save-MnistSet -Name Mnist -Path $folder -BaseUri "${Base}good/" -Checksum $Md5 -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $verbose | Should -Contain "train-labels-idx1-ubyte.gz: GET ${Base}good/train-labels-idx1-ubyte.gz"
        ($verbose -join "`n") | Should -Match 'train-images-idx3-ubyte.gz: [\d,]+ bytes in [\d.]+ s, MD5 [0-9a-f]{32} verified'
    }

    Context 'bad arguments' {
        It 'a -Path that is a file' {
            $file = Write-Bytes (Join-Path $TestDrive 'a-file') ([byte[]](1))
            $e = Get-SingleError { Save-MnistSet -Name Mnist -Path $file -BaseUri "${Base}good/" }
            $e.FullyQualifiedErrorId | Should -Be "PathIsFile,$Cmd"
            $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $e.TargetObject | Should -Be $file
        }

        It 'a -BaseUri that is not http(s)' {
            $e = Get-SingleError { Save-MnistSet -Name Mnist -Path (Join-Path $TestDrive 'x') -BaseUri 'ftp://127.0.0.1/' }
            $e.FullyQualifiedErrorId | Should -Be "BadBaseUri,$Cmd"
            $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'a -Checksum for an unknown file or not an MD5' {
            $e = Get-SingleError { Save-MnistSet -Name Mnist -Path (Join-Path $TestDrive 'y') -BaseUri "${Base}good/" -Checksum @{ 'other.gz' = $Md5[$Names[0]] } }
            $e.FullyQualifiedErrorId | Should -Be "BadChecksum,$Cmd"
            $e.TargetObject | Should -Be 'other.gz'
            $e = Get-SingleError { Save-MnistSet -Name Mnist -Path (Join-Path $TestDrive 'y') -BaseUri "${Base}good/" -Checksum @{ $Names[0] = 'abc' } }
            $e.FullyQualifiedErrorId | Should -Be "BadChecksum,$Cmd"
        }

        It 'without -Checksum the published MD5s are expected (the shared copies differ from them)' {
            $folder = Join-Path $TestDrive 'published'
            $ErrorActionPreference = 'Continue'
            $errs = @(Save-MnistSet -Name Mnist -Path $folder -BaseUri "${Base}good/" 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            $errs.Count | Should -Be 4
            $errs[0].FullyQualifiedErrorId | Should -Be "ChecksumMismatch,$Cmd"
            $errs[0].Exception.Message | Should -Match 'f68b3c2dcbeaaa9fbdd348bbdeb94873'
        }
    }
}
