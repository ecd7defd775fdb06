#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite against the built module and writes the counts as JSON for build.ps1.
    Started by build.ps1 in a fresh pwsh -NoProfile (a loaded module DLL cannot be unloaded).
#>
param(
    [Parameter(Mandatory)][string] $PesterManifest,
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $ResultFile,
    [switch] $Stress
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -MinimumVersion 5.0 -ErrorAction Stop

# Test files read the module to import from here.
$env:MNISTTOOLS_MODULE = $ModulePath

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.CIFormat = 'None'
$config.Output.RenderMode = 'Plaintext'
if (-not $Stress) { $config.Filter.ExcludeTag = @('Stress') }

$result = Invoke-Pester -Configuration $config
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -LiteralPath $ResultFile
if ($result.Result -ne 'Passed') { exit 1 }
