# Helpers for tests that run a real, separate pwsh and kill it (CrashSafety, CheckpointResume).

# Starts a fresh pwsh (same version, no profile, this process's environment) running $Script; returns the Process.
function Start-Child([string] $Script) {
    $exe = [Environment]::ProcessPath
    $start = [System.Diagnostics.ProcessStartInfo]::new($exe)
    if ((Split-Path -Leaf $exe) -match '^dotnet(\.exe)?$') { $start.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Script) { $start.ArgumentList.Add($a) }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    $null = $process.StandardOutput.ReadToEndAsync()
    $null = $process.StandardError.ReadToEndAsync()
    $process
}

# Waits (bounded) until $Path exists, polling every 10 ms; returns the time it was seen.
function Wait-ForFile([string] $Path, [System.Diagnostics.Process] $Process, [int] $Seconds = 60) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (Test-Path -LiteralPath $Path)) {
        if ($Process.HasExited) { throw "The child pwsh exited early (code $($Process.ExitCode)) before '$Path' appeared." }
        if ([DateTime]::UtcNow -gt $deadline) { throw "'$Path' did not appear within $Seconds s." }
        Start-Sleep -Milliseconds 10
    }
    [DateTime]::UtcNow
}
