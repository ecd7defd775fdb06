# The module as it ships: manifest, exports, formats.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    $script:Manifest = Test-ModuleManifest -Path $env:MNISTTOOLS_MODULE
}

Describe 'MnistTools module' {
    It 'has a valid manifest for PowerShell 7.4+ Core' {
        $Manifest.Version | Should -Be '0.1.0'
        $Manifest.PowerShellVersion | Should -Be '7.4'
        $Manifest.CompatiblePSEditions | Should -Be @('Core')
        $Manifest.Description | Should -Not -BeNullOrEmpty
    }

    It 'exports only cmdlets: no functions, variables or aliases' {
        $m = Get-Module MnistTools
        $m.ExportedFunctions.Count | Should -Be 0
        $m.ExportedVariables.Count | Should -Be 0
        $m.ExportedAliases.Count | Should -Be 0
        $m.ExportedCmdlets.Count | Should -BeGreaterThan 0
    }

    It 'exports every cmdlet the assembly defines that the manifest names' {
        $declared = (Import-PowerShellDataFile $env:MNISTTOOLS_MODULE).CmdletsToExport
        foreach ($name in (Get-Module MnistTools).ExportedCmdlets.Keys) { $declared | Should -Contain $name }
    }
}
