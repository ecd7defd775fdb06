# An SSH server on 127.0.0.1 for PowerShell remoting tests, made and removed by the test: Debian's openssh-server
# (installed with apt-get when sshd is missing), a host key and a client key made for the test, this pwsh registered as
# the 'powershell' subsystem, sshd on a free loopback port with its own config, in the foreground so the test owns it.
# Any step that fails throws with the reason (and sshd's own log): the remoting tests fail, they never skip.

function Install-Sshd {
    if (Test-Path /usr/sbin/sshd) { return }
    if (-not $IsLinux -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        throw 'sshd (/usr/sbin/sshd) is missing and this is not a Debian-like system with apt-get to install openssh-server.'
    }
    $env:DEBIAN_FRONTEND = 'noninteractive'
    $log = & apt-get install -y --no-install-recommends openssh-server 2>&1
    if ($LASTEXITCODE -ne 0) {
        $log = (& apt-get update 2>&1) + (& apt-get install -y --no-install-recommends openssh-server 2>&1)
    }
    if ($LASTEXITCODE -ne 0 -or -not (Test-Path /usr/sbin/sshd)) {
        throw "Cannot install openssh-server with apt-get (exit code $LASTEXITCODE; running as uid $(id -u)):`n$($log | Select-Object -Last 15 | Out-String)"
    }
}

function Get-FreeLoopbackPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

<#
.SYNOPSIS
    Starts sshd on 127.0.0.1; returns @{ Process; Port; Folder; KeyFilePath; Options; Log } for New-PSSession and Stop-LoopbackSshd.
#>
function Start-LoopbackSshd {
    Install-Sshd
    $folder = Join-Path ([IO.Path]::GetTempPath()) "mnisttools-sshd-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $null = New-Item -ItemType Directory -Path $folder
    $null = New-Item -ItemType Directory -Force -Path /run/sshd   # sshd's privilege separation directory
    foreach ($key in 'host_key', 'client_key') {
        $out = & ssh-keygen -q -t ed25519 -N '' -C "mnisttools-test-$key" -f (Join-Path $folder $key) 2>&1
        if ($LASTEXITCODE -ne 0) { throw "ssh-keygen failed for the test's $key`: $out" }
    }
    Copy-Item (Join-Path $folder 'client_key.pub') (Join-Path $folder 'authorized_keys')
    $port = Get-FreeLoopbackPort
    $hostKey = (Get-Content -Raw (Join-Path $folder 'host_key.pub')).Trim() -split ' '
    Set-Content -LiteralPath (Join-Path $folder 'known_hosts') -Value "[127.0.0.1]:$port $($hostKey[0]) $($hostKey[1])"

    # The subsystem: pwsh here is the .NET tool (pwsh.dll under dotnet), so a wrapper runs it with this process's dotnet.
    $dotnet = [Environment]::ProcessPath
    $pwshDll = Join-Path $PSHOME 'pwsh.dll'
    if (-not (Test-Path $pwshDll)) { $dotnet = $null; $pwshDll = Join-Path $PSHOME 'pwsh' }
    $wrapper = Join-Path $folder 'pwsh-subsystem.sh'
    $launch = if ($dotnet) { "exec '$dotnet' '$pwshDll'" } else { "exec '$pwshDll'" }
    Set-Content -LiteralPath $wrapper -Value @(
        '#!/bin/sh'
        "export PATH='$env:PATH'"
        "export HOME='$HOME'"
        $(if ($env:DOTNET_ROOT) { "export DOTNET_ROOT='$env:DOTNET_ROOT'" } else { "export DOTNET_ROOT='$(Split-Path $dotnet)'" })
        "$launch -sshs -NoLogo -NoProfile"
    )
    & chmod 700 $wrapper
    $config = Join-Path $folder 'sshd_config'
    Set-Content -LiteralPath $config -Value @(
        "Port $port"
        'ListenAddress 127.0.0.1'
        "HostKey $folder/host_key"
        "PidFile $folder/sshd.pid"
        "AuthorizedKeysFile $folder/authorized_keys"
        'PubkeyAuthentication yes'
        'PasswordAuthentication no'
        'KbdInteractiveAuthentication no'
        'PermitRootLogin prohibit-password'
        'StrictModes no'
        'UsePAM no'
        "AllowUsers $([Environment]::UserName)"
        "Subsystem powershell $wrapper"
        'LogLevel VERBOSE'
    )
    $log = Join-Path $folder 'sshd.log'
    $check = & /usr/sbin/sshd -t -f $config 2>&1
    if ($LASTEXITCODE -ne 0) { throw "sshd refuses the test's configuration ($config): $check" }
    $process = Start-Process -FilePath /usr/sbin/sshd -ArgumentList '-D', '-e', '-f', $config -RedirectStandardError $log -PassThru
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ($true) {
        if ($process.HasExited) { throw "sshd exited at once (code $($process.ExitCode)): $(Get-Content -Raw $log)" }
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect([System.Net.IPAddress]::Loopback, $port); break } catch { } finally { $client.Dispose() }
        if ([DateTime]::UtcNow -gt $deadline) { throw "sshd did not listen on 127.0.0.1:$port within 10 s: $(Get-Content -Raw $log)" }
        Start-Sleep -Milliseconds 50
    }
    @{
        Process = $process; Port = $port; Folder = $folder; Log = $log; KeyFilePath = (Join-Path $folder 'client_key')
        Options = @{ UserKnownHostsFile = (Join-Path $folder 'known_hosts'); StrictHostKeyChecking = 'yes'; BatchMode = 'yes' }
    }
}

<# .SYNOPSIS A PowerShell session to the test's sshd, named $Name (the sweep's "machine"). #>
function New-LoopbackSession([hashtable] $Sshd, [string] $Name) {
    try {
        New-PSSession -HostName 127.0.0.1 -Port $Sshd.Port -UserName ([Environment]::UserName) -KeyFilePath $Sshd.KeyFilePath `
            -Options $Sshd.Options -Name $Name -ErrorAction Stop
    }
    catch {
        throw "Cannot open a PowerShell session over SSH to 127.0.0.1:$($Sshd.Port): $($_.Exception.Message)`nsshd log:`n$(Get-Content -Raw $Sshd.Log)"
    }
}

<# .SYNOPSIS Stops the test's sshd (and its session processes) and removes its folder. #>
function Stop-LoopbackSshd([hashtable] $Sshd) {
    if (-not $Sshd) { return }
    if ($Sshd.Process -and -not $Sshd.Process.HasExited) {
        $Sshd.Process.Kill($true)
        $null = $Sshd.Process.WaitForExit(5000)
    }
    Remove-Item -LiteralPath $Sshd.Folder -Recurse -Force -ErrorAction SilentlyContinue
}
