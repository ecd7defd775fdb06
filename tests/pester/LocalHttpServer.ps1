# A bounded local HTTP server for the Save-MnistSet tests (dot-sourced). It listens on 127.0.0.1 only, on a free
# port, in a background runspace, serves the files of one folder under a mode prefix, and stops itself after
# $LifetimeSeconds or on GET /stop. Modes (first path segment):
#   good/<file>     the file
#   corrupt/<file>  the file with one byte flipped in the middle (same length: only the checksum can tell)
#   drop/<file>     announces the full length, sends half, then aborts the connection
#   stall/<file>    announces the full length, sends 1000 bytes, then says nothing for $StallSeconds
#   missing/<file>  404
#   slow/<file>     the file, in 32 KiB chunks 10 ms apart (about 3 MB/s: a download that takes a while)

$script:LocalHttpServerScript = {
    param([string] $Prefix, [string] $Folder, [int] $LifetimeSeconds, [double] $StallSeconds, $Log)
    $listener = [System.Net.HttpListener]::new()
    $listener.Prefixes.Add($Prefix)
    $listener.Start()
    $deadline = [DateTime]::UtcNow.AddSeconds($LifetimeSeconds)
    try {
        while ([DateTime]::UtcNow -lt $deadline) {
            $pending = $listener.GetContextAsync()
            while (-not $pending.Wait(100)) { if ([DateTime]::UtcNow -ge $deadline) { return } }
            $context = $pending.Result
            $response = $context.Response
            $segments = $context.Request.Url.AbsolutePath.Trim('/').Split('/')
            $mode = $segments[0]
            $name = $segments[-1]
            $Log.Enqueue("$mode/$name")
            try {
                if ($mode -eq 'stop') { $response.Close(); return }
                $file = Join-Path $Folder $name
                if ($mode -eq 'missing' -or $segments.Count -lt 2 -or -not [IO.File]::Exists($file)) {
                    $response.StatusCode = 404
                    $response.Close()
                }
                elseif ($mode -eq 'drop' -or $mode -eq 'stall') {
                    $bytes = [IO.File]::ReadAllBytes($file)
                    $response.ContentLength64 = $bytes.Length
                    $sent = if ($mode -eq 'drop') { [int]($bytes.Length / 2) } else { [Math]::Min(1000, $bytes.Length - 1) }
                    $response.OutputStream.Write($bytes, 0, $sent)
                    $response.OutputStream.Flush()
                    if ($mode -eq 'stall') { Start-Sleep -Milliseconds ([int]($StallSeconds * 1000)) }
                    $response.Abort()
                }
                elseif ($mode -eq 'slow') {
                    $bytes = [IO.File]::ReadAllBytes($file)
                    $response.ContentType = 'application/octet-stream'
                    $response.ContentLength64 = $bytes.Length
                    for ($at = 0; $at -lt $bytes.Length; $at += 32768) {
                        $response.OutputStream.Write($bytes, $at, [Math]::Min(32768, $bytes.Length - $at))
                        $response.OutputStream.Flush()
                        Start-Sleep -Milliseconds 10
                    }
                    $response.Close()
                }
                else {
                    $bytes = [IO.File]::ReadAllBytes($file)
                    if ($mode -eq 'corrupt') { $middle = [int]($bytes.Length / 2); $bytes[$middle] = $bytes[$middle] -bxor 0xFF }
                    $response.ContentType = 'application/octet-stream'
                    $response.ContentLength64 = $bytes.Length
                    $response.OutputStream.Write($bytes, 0, $bytes.Length)
                    $response.Close()
                }
            }
            catch { try { $response.Abort() } catch { } }
        }
    }
    finally { $listener.Stop(); $listener.Close() }
}

# Starts the server; returns an object with BaseUri (http://127.0.0.1:port/), Log (requests seen) and Stop().
function Start-LocalHttpServer([string] $Folder, [int] $LifetimeSeconds = 300, [double] $StallSeconds = 2) {
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
    $prefix = "http://127.0.0.1:$port/"
    $log = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    $ps = [powershell]::Create()
    $null = $ps.AddScript($script:LocalHttpServerScript).AddArgument($prefix).AddArgument($Folder).AddArgument($LifetimeSeconds).AddArgument($StallSeconds).AddArgument($log)
    $handle = $ps.BeginInvoke()
    # wait (bounded) until it answers
    $client = [System.Net.Http.HttpClient]::new(); $client.Timeout = [TimeSpan]::FromSeconds(2)
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        try { $null = $client.GetAsync("${prefix}missing/ping").GetAwaiter().GetResult(); break }
        catch { if ([DateTime]::UtcNow -gt $deadline -or $handle.IsCompleted) { $ps.Dispose(); throw "The local HTTP server did not start on $prefix." }; Start-Sleep -Milliseconds 100 }
    }
    $client.Dispose()
    $server = [pscustomobject]@{ BaseUri = $prefix; Log = $log; PowerShell = $ps; Handle = $handle }
    $server | Add-Member -MemberType ScriptMethod -Name Stop -Value {
        try {
            $c = [System.Net.Http.HttpClient]::new(); $c.Timeout = [TimeSpan]::FromSeconds(5)
            try { $null = $c.GetAsync("$($this.BaseUri)stop").GetAwaiter().GetResult() } catch { }
            $c.Dispose()
            if (-not $this.Handle.AsyncWaitHandle.WaitOne(10000)) { $this.PowerShell.Stop() }
        }
        finally { $this.PowerShell.Dispose() }
    }
    $server
}
