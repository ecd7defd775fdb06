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
        Test-Path -LiteralPath $folder | Should -BeFalse -Because 'nothing was saved, and the folder Save-MnistSet made is removed again'
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
        Test-Path -LiteralPath $folder | Should -BeFalse -Because 'nothing was saved, and the folder Save-MnistSet made is removed again'
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

    It 'offline (a refused port): DownloadFailed says what to do, no empty ./data/... is left, Import-MnistSet still says MNIST_DATA' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()   # a port nobody listens on: refused
        $work = New-Item -ItemType Directory (Join-Path $TestDrive 'offline')
        $saved = $env:MNIST_DATA
        Push-Location $work
        try {
            $env:MNIST_DATA = $null
            $r = Invoke-Save @{ BaseUri = "http://127.0.0.1:$port/" }
            $r.Errors.Count | Should -Be 4
            $r.Errors[0].FullyQualifiedErrorId | Should -Be "DownloadFailed,$Cmd"
            $r.Errors[0].Exception.Message | Should -Match 'MNIST_DATA'
            @(Get-ChildItem -LiteralPath $work -Force) | Should -BeNullOrEmpty   # not even an empty ./data/mnist
            $e = Get-SingleError { Import-MnistSet }
            $e.FullyQualifiedErrorId | Should -Be 'MnistDataNotFound,MnistTools.Commands.ImportMnistSetCommand'
        }
        finally {
            Pop-Location
            $env:MNIST_DATA = $saved
        }
        # A folder that existed before stays.
        $kept = New-Item -ItemType Directory (Join-Path $TestDrive 'kept')
        Invoke-Save @{ Path = $kept.FullName; BaseUri = "http://127.0.0.1:$port/" } | Out-Null
        Test-Path -LiteralPath $kept.FullName | Should -BeTrue
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
        Test-Path -LiteralPath $folder | Should -BeFalse -Because 'nothing was saved, and the folder Save-MnistSet made is removed again'
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
            Test-Path -LiteralPath $folder | Should -BeFalse -Because 'nothing was saved, and the folder Save-MnistSet made is removed again'
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

# KMNIST, QMNIST and EMNIST, each from a local server serving small files made here in the sets' own layouts.
Describe 'Save-MnistSet (the MNIST family)' {
    BeforeAll {
        $script:Family = Join-Path $TestDrive 'served'
        New-Item -ItemType Directory -Force $Family | Out-Null
        # QMNIST: images and idx2-int labels [count x 8], class in column 0.
        function New-WideLabelBytes([int[]] $Classes) {
            [byte[]] $b = [byte[]]::new(12 + $Classes.Count * 32)
            Write-BigEndian $b 0 3074; Write-BigEndian $b 4 $Classes.Count; Write-BigEndian $b 8 8
            for ($i = 0; $i -lt $Classes.Count; $i++) {
                Write-BigEndian $b (12 + 32 * $i) $Classes[$i]
                for ($c = 1; $c -lt 8; $c++) { Write-BigEndian $b (12 + 32 * $i + 4 * $c) (1000 + $c) }
            }
            , $b
        }
        Write-Bytes (Join-Path $Family 'qmnist-train-images-idx3-ubyte.gz') (ConvertTo-Gzip (New-IdxImageBytes 6)) | Out-Null
        Write-Bytes (Join-Path $Family 'qmnist-train-labels-idx2-int.gz') (ConvertTo-Gzip (New-WideLabelBytes @(9, 8, 7, 6, 5, 4))) | Out-Null
        Write-Bytes (Join-Path $Family 'qmnist-test-images-idx3-ubyte.gz') (ConvertTo-Gzip (New-IdxImageBytes 3)) | Out-Null
        Write-Bytes (Join-Path $Family 'qmnist-test-labels-idx2-int.gz') (ConvertTo-Gzip (New-WideLabelBytes @(1, 2, 3))) | Out-Null
        # EMNIST Letters: gzip.zip holding gzip/emnist-letters-*.gz, images 3x2 stored transposed, labels 1..26.
        $staging = Join-Path $TestDrive 'zip-staging'
        New-Item -ItemType Directory -Force (Join-Path $staging 'gzip') | Out-Null
        foreach ($half in 'train', 'test') {
            Write-Bytes (Join-Path $staging "gzip/emnist-letters-$half-images-idx3-ubyte.gz") (ConvertTo-Gzip (New-IdxImageBytes 4 -Rows 2 -Columns 3)) | Out-Null
            Write-Bytes (Join-Path $staging "gzip/emnist-letters-$half-labels-idx1-ubyte.gz") (ConvertTo-Gzip (New-IdxLabelBytes 4 -Labels ([byte[]](1, 26, 2, 25)))) | Out-Null
        }
        Write-Bytes (Join-Path $staging 'gzip/emnist-letters-mapping.txt') ([Text.Encoding]::ASCII.GetBytes("1 65 97`n")) | Out-Null
        [IO.Compression.ZipFile]::CreateFromDirectory($staging, (Join-Path $Family 'gzip.zip'))
        # The served files' own MD5s, per set (-Checksum takes only the set's own file names).
        $script:QmnistMd5 = @{}
        foreach ($f in Get-ChildItem $Family -File -Filter 'qmnist-*') { $QmnistMd5[$f.Name] = (Get-FileHash -Algorithm MD5 -LiteralPath $f.FullName).Hash.ToLowerInvariant() }
        $script:ZipMd5 = @{ 'gzip.zip' = (Get-FileHash -Algorithm MD5 -LiteralPath (Join-Path $Family 'gzip.zip')).Hash.ToLowerInvariant() }
        $script:FamilyServer = Start-LocalHttpServer -Folder $Family -LifetimeSeconds 300 -StallSeconds 2
        $script:FamilyBase = $FamilyServer.BaseUri

        function Invoke-SaveSet([string] $Name, [hashtable] $Arguments) {
            $ErrorActionPreference = 'Continue'
            $all = @(Save-MnistSet -Name $Name -TimeoutSec 10 @Arguments 2>&1)
            [pscustomobject]@{
                Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
                Errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            }
        }
    }

    AfterAll {
        if ($script:FamilyServer) { $script:FamilyServer.Stop() }
    }

    It 'KMnist: the MNIST file names into ./data/kmnist, imported with the ten hiragana names' {
        Push-Location $TestDrive
        try {
            $r = Invoke-SaveSet KMnist @{ BaseUri = "${Base}good/"; Checksum = $Md5 }
            $r.Errors | Should -BeNullOrEmpty
            $r.Output.Name | Should -Be $Names
            $r.Output[0].DirectoryName | Should -Be (Join-Path $TestDrive 'data/kmnist')
            $set = Import-MnistSet -Path ./data/kmnist -Subset Test -First 3
            $set.ClassNames | Should -Be @('o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo')
            $set[0].ClassName | Should -Be 'ya'   # MNIST's first test label, 7, named as KMNIST's class 7
        }
        finally { Pop-Location }
    }

    It 'KMnist, QMnist and EMNIST expect their publishers'' checksums without -Checksum' {
        $e = @((Invoke-SaveSet KMnist @{ Path = (Join-Path $TestDrive 'k-published'); BaseUri = "${Base}good/" }).Errors)
        $e.Count | Should -Be 4
        $e[0].FullyQualifiedErrorId | Should -Be "ChecksumMismatch,$Cmd"
        $e[0].Exception.Message | Should -Match 'bdb82020997e1d708af4cf47b453dcf7'
        $q = @((Invoke-SaveSet QMnist @{ Path = (Join-Path $TestDrive 'q-published'); BaseUri = "${FamilyBase}good/" }).Errors)
        $q.Count | Should -Be 4
        $q[1].Exception.Message | Should -Match '0058f8dd561b90ffdd0f734c6a30e5e4'
        $z = @((Invoke-SaveSet EMnistBalanced @{ Path = (Join-Path $TestDrive 'e-published'); BaseUri = "${FamilyBase}good/" }).Errors)
        $z.Count | Should -Be 1
        $z[0].Exception.Message | Should -Match '58c8d27c78d21e728a6bc7b3cc06412e'
        Test-Path (Join-Path $TestDrive 'e-published/gzip.zip') | Should -BeFalse
    }

    It 'QMnist: four qmnist-* files; Import-MnistSet takes the class from column 0 of the idx2-int labels' {
        $folder = Join-Path $TestDrive 'qmnist'
        $r = Invoke-SaveSet QMnist @{ Path = $folder; BaseUri = "${FamilyBase}good/"; Checksum = $QmnistMd5 }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Name | Should -Be @('qmnist-train-images-idx3-ubyte.gz', 'qmnist-train-labels-idx2-int.gz', 'qmnist-test-images-idx3-ubyte.gz', 'qmnist-test-labels-idx2-int.gz')
        $train = Import-MnistSet -Path $folder
        $train.Count | Should -Be 6
        @(0..5 | ForEach-Object { $train.GetLabel($_) }) | Should -Be @(9, 8, 7, 6, 5, 4)
        $train.Name | Should -Be 'qmnist-train'
        $test = Import-MnistSet -Path $folder -Subset Test
        @(0..2 | ForEach-Object { $test.GetLabel($_) }) | Should -Be @(1, 2, 3)
    }

    It 'EMnistLetters: the archive is checked and kept, the split extracted; images upright, labels from 0, letters as names' {
        $folder = Join-Path $TestDrive 'emnist'
        $r = Invoke-SaveSet EMnistLetters @{ Path = $folder; BaseUri = "${FamilyBase}good/"; Checksum = $ZipMd5 }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output.Name | Should -Be @('gzip.zip', 'emnist-letters-train-images-idx3-ubyte.gz', 'emnist-letters-train-labels-idx1-ubyte.gz',
            'emnist-letters-test-images-idx3-ubyte.gz', 'emnist-letters-test-labels-idx1-ubyte.gz')
        $r.Output.Status | Should -Be @('Downloaded', 'Extracted', 'Extracted', 'Extracted', 'Extracted')
        (Get-FileHash -Algorithm MD5 (Join-Path $folder 'emnist-letters-test-images-idx3-ubyte.gz')).Hash |
            Should -Be (Get-FileHash -Algorithm MD5 (Join-Path $TestDrive 'zip-staging/gzip/emnist-letters-test-images-idx3-ubyte.gz')).Hash
        $set = Import-MnistSet -Path $folder -Subset Test
        $set.Rows | Should -Be 3
        $set.Columns | Should -Be 2
        $set.ClassCount | Should -Be 26
        $set.ClassNames[0] | Should -Be 'a'
        @(0..3 | ForEach-Object { $set.GetLabel($_) }) | Should -Be @(0, 25, 1, 24)
        $set[1].ClassName | Should -Be 'z'
        # Stored image 1 (2x3) is 7i + p = 7..12 row by row; upright (3x2) it is read down the stored columns.
        $set[1].Pixels | Should -Be @(7, 10, 8, 11, 9, 12)
        # A second run keeps everything; nothing is downloaded again.
        $requests = $FamilyServer.Log.Count
        $again = Invoke-SaveSet EMnistLetters @{ Path = $folder; BaseUri = "${FamilyBase}good/"; Checksum = $ZipMd5 }
        $again.Errors | Should -BeNullOrEmpty
        $again.Output.Status | Sort-Object -Unique | Should -Be 'AlreadyPresent'
        $FamilyServer.Log.Count | Should -Be $requests
    }

    It 'EMNIST from a corrupt archive: ChecksumMismatch, nothing extracted' {
        $folder = Join-Path $TestDrive 'emnist-corrupt'
        $r = Invoke-SaveSet EMnistLetters @{ Path = $folder; BaseUri = "${FamilyBase}corrupt/"; Checksum = $ZipMd5 }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "ChecksumMismatch,$Cmd"
        $r.Errors[0].TargetObject | Should -Be (Join-Path $folder 'gzip.zip')
        @(Get-ChildItem -LiteralPath $folder -Force -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'EMNIST: an extracted file changed by hand is kept without -Force (ExistingFileMismatch) and replaced with it' {
        $folder = Join-Path $TestDrive 'emnist-edited'
        $null = Invoke-SaveSet EMnistLetters @{ Path = $folder; BaseUri = "${FamilyBase}good/"; Checksum = $ZipMd5 }
        $edited = Join-Path $folder 'emnist-letters-train-labels-idx1-ubyte.gz'
        [IO.File]::WriteAllBytes($edited, [byte[]](1, 2, 3))
        $r = Invoke-SaveSet EMnistLetters @{ Path = $folder; BaseUri = "${FamilyBase}good/"; Checksum = $ZipMd5 }
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "ExistingFileMismatch,$Cmd"
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $r.Errors[0].TargetObject | Should -Be $edited
        (Get-Item $edited).Length | Should -Be 3
        $forced = Invoke-SaveSet EMnistLetters @{ Path = $folder; BaseUri = "${FamilyBase}good/"; Checksum = $ZipMd5; Force = $true }
        $forced.Errors | Should -BeNullOrEmpty
        (Import-MnistSet -Path $folder).Count | Should -Be 4
    }

    It 'tab completion offers every set' {
        $names = @((TabExpansion2 -inputScript 'Save-MnistSet -Name ' -cursorColumn 'Save-MnistSet -Name '.Length).CompletionMatches.CompletionText)
        $names | Should -Be @('Mnist', 'FashionMnist', 'KMnist', 'QMnist', 'EMnistByClass', 'EMnistByMerge', 'EMnistBalanced', 'EMnistLetters', 'EMnistDigits', 'EMnistMnist')
    }
}
