# The module as a .nupkg that PowerShell's own PSResourceGet installs from a local folder repository.
BeforeAll {
    $script:ModuleFolder = Split-Path $env:MNISTTOOLS_MODULE
    $script:Pwsh = [Environment]::ProcessPath
    $script:PwshArgs = @()
    if ((Split-Path -Leaf $Pwsh) -match '^dotnet(\.exe)?$') { $script:PwshArgs = @(Join-Path $PSHOME 'pwsh.dll') }
}

Describe 'Packaging' {
    It 'passes Test-ModuleManifest with version, author, description, tags, project and licence URIs' {
        $m = Test-ModuleManifest -Path $env:MNISTTOOLS_MODULE
        $m.Version | Should -Not -BeNullOrEmpty
        $m.Author | Should -Not -BeNullOrEmpty
        $m.Description | Should -Not -BeNullOrEmpty
        $m.Tags | Should -Contain 'MNIST'
        $m.ProjectUri | Should -Not -BeNullOrEmpty
        $m.LicenseUri | Should -Not -BeNullOrEmpty
    }

    It 'installs with Install-PSResource from a local repository into a fresh home, and imports' {
        $repo = Join-Path $TestDrive 'repo'
        $home2 = Join-Path $TestDrive 'home'
        New-Item -ItemType Directory -Path $repo, $home2 | Out-Null
        Compress-PSResource -Path $ModuleFolder -DestinationPath $repo -ErrorAction Stop
        @(Get-ChildItem $repo -Filter 'MnistTools.*.nupkg').Count | Should -Be 1

        # A fresh pwsh whose HOME is empty: the repository registration and the CurrentUser module
        # path both live under it, so nothing on this machine is touched.
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name MnistToolsLocal -Uri '$repo' -Trusted
Install-PSResource -Name MnistTools -Repository MnistToolsLocal -Scope CurrentUser -TrustRepository
Import-Module MnistTools
`$m = Get-Module MnistTools
"{0}|{1}|{2}" -f `$m.Version, `$m.ModuleBase.StartsWith('$home2'), `$m.ExportedCmdlets.Count
"@
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME; PSModulePath = $env:PSModulePath }
        try {
            $env:HOME = $home2; $env:XDG_DATA_HOME = $null; $env:XDG_CONFIG_HOME = $null; $env:PSModulePath = $null
            $output = & $Pwsh @PwshArgs -NoProfile -NonInteractive -Command $script 2>&1
            $code = $LASTEXITCODE
        }
        finally {
            foreach ($k in $saved.Keys) {
                if ($null -eq $saved[$k]) { Remove-Item "env:$k" -ErrorAction SilentlyContinue } else { Set-Item "env:$k" $saved[$k] }
            }
        }
        $code | Should -Be 0 -Because ($output | Out-String)
        $fields = ($output | Select-Object -Last 1) -split '\|'
        $fields[0] | Should -Be (Test-ModuleManifest $env:MNISTTOOLS_MODULE).Version.ToString()
        $fields[1] | Should -Be 'True'
        [int]$fields[2] | Should -BeGreaterThan 0
    }
}
