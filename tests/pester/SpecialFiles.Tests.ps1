# Devices, named pipes and links where a file is expected: every reader reads only regular files (links followed) and
# every writer refuses to replace anything else, even with -Force, with the one error id PathNotRegularFile.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    $script:Tiny = New-TinyMnistFolder (Join-Path $TestDrive 'tiny') 12
    $script:Set = Import-MnistSet -Path $Tiny -Subset Test

    function Assert-NotRegular([scriptblock] $Command, [string] $Cmdlet, [string] $Target) {
        $e = Get-SingleError $Command
        $e.FullyQualifiedErrorId | Should -Be "PathNotRegularFile,MnistTools.Commands.$Cmdlet"
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        if ($Target) { $e.TargetObject | Should -Be $Target }
    }

    # A named pipe nobody writes to: opening it for reading blocks until a writer comes.
    function New-Fifo([string] $Path) {
        & mkfifo $Path
        if ($LASTEXITCODE -ne 0) { throw "mkfifo $Path failed" }
        (Resolve-Path -LiteralPath $Path).ProviderPath
    }

    # A character device like /dev/null (1,3) made with mknod (root, as CI runs); else a FIFO, which the rule treats alike.
    function New-DeviceNode([string] $Path) {
        & mknod $Path c 1 3 2>$null
        if ($LASTEXITCODE -ne 0) { return New-Fifo $Path }
        (Resolve-Path -LiteralPath $Path).ProviderPath
    }

    # Runs $Command in a runspace, at most $Seconds; a reader stuck opening $Fifo is released by opening its write side,
    # so a failing test ends instead of hanging the run.
    function Invoke-Bounded([string] $Command, [string] $Fifo, [int] $Seconds = 20) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:MNISTTOOLS_MODULE'; `$ErrorActionPreference = 'Continue'; $Command")
            $async = $ps.BeginInvoke()
            $finished = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))
            if (-not $finished) {
                if ($Fifo) { $w = [IO.File]::OpenWrite($Fifo); $w.Dispose() }
                $null = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10))
            }
            [pscustomobject]@{ Finished = $finished; Errors = @($ps.Streams.Error) }
        }
        finally { $ps.Dispose() }
    }

    # The file type as stat(1) names it ('character special file', 'fifo', 'regular file'...): Get-Item's UnixMode shows
    # a FIFO as a plain file.
    function Get-FileType([string] $Path) { & stat -c %F $Path }

    $script:Node = New-DeviceNode (Join-Path $TestDrive 'node')
    $script:NodeMode = Get-FileType $Node
    $NodeMode | Should -BeIn 'character special file', 'fifo' 
}

Describe 'Import-MnistSet (special files)' {
    It 'refuses a named pipe as a CSV file at once instead of blocking' {
        $fifo = New-Fifo (Join-Path $TestDrive 'f.csv')
        $r = Invoke-Bounded "Import-MnistSet -Path '$fifo'" -Fifo $fifo
        $r.Finished | Should -BeTrue -Because 'opening a FIFO for reading blocks until a writer comes'
        $r.Errors.Count | Should -Be 1
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'PathNotRegularFile,MnistTools.Commands.ImportMnistSetCommand'
    }

    It 'refuses a device as an IDX image file, and /dev/zero as a CSV file' {
        Assert-NotRegular { Import-MnistSet -ImagePath $Node } 'ImportMnistSetCommand' $Node
        Assert-NotRegular { Import-MnistSet -LiteralPath /dev/zero -Format Csv } 'ImportMnistSetCommand' '/dev/zero'
    }

    It 'refuses /dev/stdin when it is a pipe (-Format Csv, -ImagePath, Import-Network), as in `cat x | pwsh`' {
        $script = "Import-Module '$env:MNISTTOOLS_MODULE'; `$ErrorActionPreference = 'Stop'; " +
            "foreach (`$c in { Import-MnistSet /dev/stdin -Format Csv }, { Import-MnistSet -ImagePath /dev/stdin }, { Import-Network /dev/stdin }) { try { & `$c } catch { `$_.FullyQualifiedErrorId } }"
        $exe = [Environment]::ProcessPath
        $start = [System.Diagnostics.ProcessStartInfo]::new($exe)
        if ((Split-Path -Leaf $exe) -match '^dotnet(\.exe)?$') { $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $script) { $start.ArgumentList.Add($a) }
        $start.UseShellExecute = $false
        $start.RedirectStandardInput = $true   # a pipe, left open and empty
        $start.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($start)
        try {
            $output = $process.StandardOutput.ReadToEndAsync()
            $process.WaitForExit(60000) | Should -BeTrue
            $lines = @($output.Result -split "`n" | ForEach-Object Trim | Where-Object { $_ })
            $lines | Should -Be @('PathNotRegularFile,MnistTools.Commands.ImportMnistSetCommand', 'PathNotRegularFile,MnistTools.Commands.ImportMnistSetCommand',
                'PathNotRegularFile,MnistTools.Commands.ImportNetworkCommand')
        }
        finally { if (-not $process.HasExited) { $process.Kill() }; $process.Dispose() }
    }
}

Describe 'Import-Network (special files)' {
    It 'refuses a device and a named pipe' {
        Assert-NotRegular { Import-Network -LiteralPath /dev/zero } 'ImportNetworkCommand' '/dev/zero'
        $fifo = New-Fifo (Join-Path $TestDrive 'net.safetensors')
        $r = Invoke-Bounded "Import-Network -LiteralPath '$fifo'" -Fifo $fifo
        $r.Finished | Should -BeTrue
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'PathNotRegularFile,MnistTools.Commands.ImportNetworkCommand'
    }
}

Describe 'Get-Classification (special files)' {
    It 'refuses /dev/zero and a picture that is a link to it, without reading it' {
        $net = New-Network -LayerSizes 784, 10 -Seed 1
        $before = [GC]::GetTotalAllocatedBytes()
        Assert-NotRegular { Get-Classification -Network $net -LiteralPath /dev/zero } 'GetClassificationCommand' '/dev/zero'
        $link = New-Item -ItemType SymbolicLink -Path (Join-Path $TestDrive 'zero.png') -Target /dev/zero
        Assert-NotRegular { Get-Classification -Network $net -LiteralPath $link.FullName } 'GetClassificationCommand'
        ([GC]::GetTotalAllocatedBytes() - $before) | Should -BeLessThan 256MB
    }
}

Describe 'Save-Network (special files)' {
    It 'with -Force refuses to replace a device node, which stays a device' {
        $net = New-Network -LayerSizes 4, 3, 2 -Seed 1
        Assert-NotRegular { $net | Save-Network -LiteralPath $Node -Force } 'SaveNetworkCommand' $Node
        Get-FileType $Node | Should -Be $NodeMode
    }
}

Describe 'Export-MnistSet (special files)' {
    It 'with -Force refuses a device node as the CSV file, the image file or the label file; nothing is written' {
        Assert-NotRegular { $Set | Export-MnistSet -LiteralPath $Node -Format Csv -Force } 'ExportMnistSetCommand' $Node
        Assert-NotRegular { $Set | Export-MnistSet -LiteralPath $Node -Format Idx -LabelPath (Join-Path $TestDrive 'l-labels') -Force } 'ExportMnistSetCommand' $Node
        $images = Join-Path $TestDrive 'x-images-idx3-ubyte'
        Assert-NotRegular { $Set | Export-MnistSet -LiteralPath $images -LabelPath $Node -Force } 'ExportMnistSetCommand' $Node
        Test-Path -LiteralPath $images | Should -BeFalse
        Get-FileType $Node | Should -Be $NodeMode
    }
}

Describe 'Export-Network (special files)' {
    It 'with -Force refuses a device node' {
        $net = New-Network -LayerSizes 4, 3, 2 -Seed 1
        Assert-NotRegular { Export-Network -Network $net -LiteralPath $Node -Force } 'ExportNetworkCommand' $Node
        Get-FileType $Node | Should -Be $NodeMode
    }
}

Describe 'Invoke-Training (special files)' {
    It 'with -Force refuses a device node as -CheckpointPath before training' {
        $net = New-Network -LayerSizes 784, 8, 10 -Seed 1
        Assert-NotRegular { $Set | Invoke-Training -Network $net -Epochs 1 -CheckpointPath $Node -Force } 'InvokeTrainingCommand' $Node
        $net.EpochsTrained | Should -Be 0
        Get-FileType $Node | Should -Be $NodeMode
    }
}

Describe 'Save-MnistSet (special files)' {
    It 'with -Force refuses a file of the set that is a named pipe, without opening it' {
        $folder = New-Item -ItemType Directory (Join-Path $TestDrive 'save')
        $fifo = New-Fifo (Join-Path $folder 'train-images-idx3-ubyte.gz')
        # A refused port: nothing is downloaded, so only the FIFO's own error can stop the blocking MD5 of the file.
        $r = Invoke-Bounded "Save-MnistSet -Name Mnist -Path '$($folder.FullName)' -BaseUri http://127.0.0.1:9/ -TimeoutSec 2 -Force" -Fifo $fifo
        $r.Finished | Should -BeTrue
        @($r.Errors | Where-Object TargetObject -eq $fifo)[0].FullyQualifiedErrorId | Should -Be 'PathNotRegularFile,MnistTools.Commands.SaveMnistSetCommand'
        Get-FileType $fifo | Should -Be 'fifo'
    }
}
