#Requires -Version 7.4
<#
.SYNOPSIS
    The main job, run by `./build.ps1 demo` in a fresh pwsh: load MNIST and look at it.
#>
param([Parameter(Mandatory)][string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$train = Import-MnistSet -Subset Train
$test = Import-MnistSet -Subset Test
$train, $test | Format-Table -AutoSize | Out-Host
$test | Get-MnistImage -First 3 | Show-MnistImage
