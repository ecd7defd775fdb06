# Crash safety of writes: a real, separate pwsh process saves a network / downloads MNIST in a loop and is
# killed (SIGKILL / TerminateProcess, no chance to clean up) at seeded random moments. After every kill the previous
# file must be intact (loads, bit-identical to a known version) and no partial file may sit under a final name.
# Temporary files a killed writer leaves (".<name>.<guid>.tmp" / ".partial") are allowed, and the next save of the
# same file must reclaim them.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'LocalHttpServer.ps1')

    . (Join-Path $PSScriptRoot 'ChildPwsh.ps1')

    # The exact bits of a float[] as hex (compares NaN payloads and -0 too).
    function Get-Bits([float[]] $Values) {
        $bytes = [byte[]]::new($Values.Length * 4)
        [Buffer]::BlockCopy($Values, 0, $bytes, 0, $bytes.Length)
        [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes))
    }
}

Describe 'Crash safety of writes' -Tag 'CrashSafety' {
    It 'Save-Network killed at random moments never leaves a broken or partial network file' {
        $folder = Join-Path $TestDrive 'net'
        $null = New-Item -ItemType Directory $folder
        # Two versions, large enough (~6 MB with Adam state) that a save takes a while, and different bit for bit.
        $set = New-SyntheticSet -Count 64 -Side 28 -Classes 10
        $a = New-Network 784, 512, 256, 10 -Seed 1
        $b = New-Network 784, 512, 256, 10 -Seed 2
        $null = $set | Invoke-Training -Network $a -Epochs 1 -Optimizer Adam -LearningRate 0.001
        $null = $set | Invoke-Training -Network $b -Epochs 1 -Optimizer Adam -LearningRate 0.001
        $fileA = Join-Path $TestDrive 'a.safetensors'; $fileB = Join-Path $TestDrive 'b.safetensors'
        Save-Network -Network $a -Path $fileA; Save-Network -Network $b -Path $fileB
        $known = @{ (Get-Bits $a.GetParameters()) = 'A'; (Get-Bits $b.GetParameters()) = 'B' }
        $target = Join-Path $folder 'net.safetensors'
        Copy-Item $fileA $target

        $random = [Random]::new(7)
        $kills = 6; $tempSeen = 0; $versions = @{}
        for ($k = 0; $k -lt $kills; $k++) {
            $ready = Join-Path $TestDrive "ready-$k"
            $script = "Import-Module '$env:MNISTTOOLS_MODULE'; `$a = Import-Network '$fileA'; `$b = Import-Network '$fileB'; " +
                "Save-Network -Network `$a -Path '$target' -Force; New-Item '$ready' | Out-Null; " +
                "while (`$true) { Save-Network -Network `$b -Path '$target' -Force; Save-Network -Network `$a -Path '$target' -Force }"
            $child = Start-Child $script
            try {
                $null = Wait-ForFile $ready $child
                Start-Sleep -Milliseconds ($random.Next(0, 400))
                $child.Kill()
                $child.WaitForExit()
            }
            finally { if (-not $child.HasExited) { $child.Kill() }; $child.Dispose() }

            # The final name holds a complete file of a known version.
            $loaded = Import-Network -Path $target
            $version = $known[(Get-Bits $loaded.GetParameters())]
            $version | Should -Not -BeNullOrEmpty -Because "kill $k must leave version A or B, bit for bit"
            $versions[$version] = 1 + $versions[$version]
            # Anything else in the folder is a temporary file, never under the final name.
            $others = @(Get-ChildItem -LiteralPath $folder -Force -File | Where-Object Name -ne 'net.safetensors')
            foreach ($o in $others) { $o.Name | Should -Match '^\.net\.safetensors\.[0-9a-f]{32}\.tmp$' }
            $tempSeen += $others.Count
        }
        Write-Host "    Save-Network: $kills kills; versions found A=$($versions['A']) B=$($versions['B']); temp files left by kills: $tempSeen"

        # The next save reclaims what the killed writers left, and the result is exactly the saved network.
        Save-Network -Network $b -Path $target -Force
        @(Get-ChildItem -LiteralPath $folder -Force -File).Name | Should -Be 'net.safetensors'
        Get-Bits (Import-Network $target).GetParameters() | Should -Be (Get-Bits $b.GetParameters())
    }

    It 'Save-MnistSet killed at random moments never leaves a broken or partial data file' {
        $data = Get-MnistDataFolder
        $names = 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'
        $md5 = @{}
        foreach ($n in $names) { $md5[$n] = (Get-FileHash -Algorithm MD5 -LiteralPath (Join-Path $data $n)).Hash.ToLowerInvariant() }
        $folder = Join-Path $TestDrive 'mnist'
        $null = New-Item -ItemType Directory $folder
        foreach ($n in $names) { Copy-Item (Join-Path $data $n) $folder }   # the "previous" files
        $server = Start-LocalHttpServer -Folder $data -LifetimeSeconds 300
        try {
            $random = [Random]::new(11)
            $kills = 4; $tempSeen = 0
            $checksum = ($md5.GetEnumerator() | ForEach-Object { "'$($_.Key)' = '$($_.Value)'" }) -join '; '
            for ($k = 0; $k -lt $kills; $k++) {
                $ready = Join-Path $TestDrive "mready-$k"
                $script = "Import-Module '$env:MNISTTOOLS_MODULE'; New-Item '$ready' | Out-Null; " +
                    "while (`$true) { Save-MnistSet -Name Mnist -Path '$folder' -BaseUri '$($server.BaseUri)slow/' -Checksum @{ $checksum } -Force -TimeoutSec 30 | Out-Null }"
                $child = Start-Child $script
                try {
                    $null = Wait-ForFile $ready $child
                    # Wait for the download to be under way (a .partial exists), then kill a little later.
                    $deadline = [DateTime]::UtcNow.AddSeconds(30)
                    while (-not (Get-ChildItem -LiteralPath $folder -Force -Filter '*.partial') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
                    Start-Sleep -Milliseconds ($random.Next(0, 2000))
                    $child.Kill()
                    $child.WaitForExit()
                }
                finally { if (-not $child.HasExited) { $child.Kill() }; $child.Dispose() }

                foreach ($n in $names) {
                    (Get-FileHash -Algorithm MD5 -LiteralPath (Join-Path $folder $n)).Hash.ToLowerInvariant() | Should -Be $md5[$n] -Because "kill $k must leave $n intact"
                }
                $others = @(Get-ChildItem -LiteralPath $folder -Force -File | Where-Object Name -notin $names)
                foreach ($o in $others) { $o.Name | Should -Match '^\.[a-z0-9-]+\.gz\.[0-9a-f]{32}\.partial$' }
                $tempSeen += $others.Count
            }
            (Import-MnistSet -Path $folder -Subset Test).Count | Should -Be 10000
            Write-Host "    Save-MnistSet: $kills kills; .partial files left by kills: $tempSeen"
            $tempSeen | Should -BeGreaterThan 0 -Because 'the kills landed mid-download (else this test proved nothing)'

            # The next download reclaims the leftovers.
            $null = Save-MnistSet -Name Mnist -Path $folder -BaseUri "$($server.BaseUri)good/" -Checksum $md5 -Force
            @(Get-ChildItem -LiteralPath $folder -Force -File).Name | Sort-Object | Should -Be ($names | Sort-Object)
        }
        finally { $server.Stop() }
    }
}
