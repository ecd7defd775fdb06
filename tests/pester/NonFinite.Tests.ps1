# No NaN escapes silently through the cmdlets: a network holding a NaN (here: loaded from a file patched
# by hand, which the file format stores faithfully) is refused by Save-Network and by Test-Network with clear errors.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')

    # Saves $Network, then overwrites its first stored parameter with a quiet NaN; returns the path.
    function New-PoisonedFile($Network, [string] $Path) {
        Save-Network -Network $Network -Path $Path
        $bytes = [IO.File]::ReadAllBytes($Path)
        $header = [BitConverter]::ToUInt64($bytes, 0)
        [BitConverter]::GetBytes([float]::NaN).CopyTo($bytes, 8 + $header)
        [IO.File]::WriteAllBytes($Path, $bytes)
        $Path
    }
}

Describe 'Non-finite networks' {
    It 'Save-Network refuses a network with a NaN weight and keeps the previous file' {
        $set = New-SyntheticSet -Count 60
        $net = New-Network 16, 8, 3 -Seed 1
        $poisoned = Import-Network (New-PoisonedFile $net (Join-Path $TestDrive 'poison.safetensors'))
        [float]::IsNaN($poisoned.GetParameters()[0]) | Should -BeTrue
        $target = Join-Path $TestDrive 'good.safetensors'
        Save-Network -Network $net -Path $target
        $before = (Get-FileHash $target).Hash
        Save-Network -Network $poisoned -Path $target -Force -ErrorAction SilentlyContinue -ErrorVariable saveErrors
        $saveErrors.Count | Should -Be 1
        $err = $saveErrors[0]
        $err.FullyQualifiedErrorId | Should -Be 'NetworkNotFinite,MnistTools.Commands.SaveNetworkCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match 'non-finite value \(NaN at index 0\)'
        (Get-FileHash $target).Hash | Should -Be $before
        @(Get-ChildItem -LiteralPath $TestDrive -Force -Filter '.good*') | Should -BeNullOrEmpty
    }

    It 'Test-Network reports outputs that are not finite instead of a NaN loss' {
        $set = New-SyntheticSet -Count 60
        $net = New-Network 16, 8, 3 -Seed 1
        $poisoned = Import-Network (New-PoisonedFile $net (Join-Path $TestDrive 'poison2.safetensors'))
        $err = { $set | Test-Network -Network $poisoned -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Match '^NetworkOutputNotFinite,'
        $err.CategoryInfo.Category | Should -Be 'InvalidResult'
    }

    It 'Get-Classification reports outputs that are not finite instead of NaN scores, per image' {
        $set = New-SyntheticSet -Count 3
        $net = New-Network 16, 8, 3 -Seed 1
        $poisoned = Import-Network (New-PoisonedFile $net (Join-Path $TestDrive 'poison3.safetensors'))
        $errors = $null
        $out = $set | Get-Classification -Network $poisoned -ErrorVariable errors -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 0
        $errors.Count | Should -Be 3
        $errors[0].FullyQualifiedErrorId | Should -Be 'NetworkOutputNotFinite,MnistTools.Commands.GetClassificationCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $errors[0].TargetObject.Index | Should -Be 0
    }
}
