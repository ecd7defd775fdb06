# The native graphics library loads from the module folder wherever pwsh runs, and its absence breaks only the pictures.
BeforeAll {
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
    $script:ModuleFolder = Split-Path -Parent $env:MNISTTOOLS_MODULE
}

Describe 'Graphics library loading' {
    It 'loads the native library when the built module is imported from another folder in a fresh pwsh' {
        $work = Join-Path $TestDrive 'elsewhere'
        New-Item -ItemType Directory -Path $work | Out-Null
        $output = Invoke-FreshPwsh -WorkingFolder $work -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module '$env:MNISTTOOLS_MODULE'
`$pixels = [byte[]]::new(784); for (`$i = 0; `$i -lt 784; `$i++) { `$pixels[`$i] = `$i % 256 }
[MnistTools.MnistImage]::new(0, 3, 28, 28, `$pixels, `$null) | Export-MnistImage -Path ./digit.png -Scale 2
'written ' + (Get-Item ./digit.png).Length
# Charts go through ScottPlot (and may reach HarfBuzz for text): they must work from here too.
1..3 | ForEach-Object { [pscustomobject]@{ Epoch = `$_; TrainLoss = 1 / `$_ } } | Export-TrainingChart -Path ./chart.png -Width 400 -Height 300
'chart ' + (Get-Item ./chart.png).Length
"@
        ($output -join "`n") | Should -Match 'written \d+'
        ($output -join "`n") | Should -Match 'chart \d+'
        (Read-Png (Join-Path $work 'chart.png')).Width | Should -Be 400
        $png = Read-Png (Join-Path $work 'digit.png')
        $png.Width | Should -Be 56
        Get-Grey $png 2 0 | Should -Be 254        # pixel 1 (grey 1) at scale 2
        Get-Grey $png 0 2 | Should -Be (255 - 28)
    }

    It 'without <Missing>, the picture cmdlets fail with GraphicsLibraryUnavailable and the rest still works' -ForEach @(
        @{ Missing = 'dependencies/runtimes' }                 # the native libraries
        @{ Missing = 'dependencies/SkiaSharp.dll' }            # the managed graphics library
        @{ Missing = 'dependencies/MnistTools.Imaging.dll' }   # the picture assembly itself
    ) {
        $copy = Join-Path $TestDrive "broken-$(Split-Path -Leaf $Missing)/MnistTools"
        New-Item -ItemType Directory -Path $copy -Force | Out-Null
        Copy-Item -Path (Join-Path $ModuleFolder '*') -Destination $copy -Recurse
        Remove-Item -Recurse -Force (Join-Path $copy $Missing)
        $output = Invoke-FreshPwsh -WorkingFolder (Split-Path $copy) -Script @"
Import-Module '$copy/MnistTools.psd1' -ErrorAction Stop
`$net = New-Network 784, 4, 10 -Seed 1
'network ' + `$net.ParameterCount
`$image = [MnistTools.MnistImage]::new(0, 3, 28, 28, [byte[]]::new(784), `$null)
'classified ' + @(`$image | Get-Classification -Network `$net).Count
try { Get-Classification -Network `$net -Path ./nothing.png -ErrorAction Stop }
catch { 'error ' + `$_.FullyQualifiedErrorId + ' ' + `$_.CategoryInfo.Category }
try { `$net | Export-NetworkWeights -Path ./w.png -ErrorAction Stop }
catch { 'error ' + `$_.FullyQualifiedErrorId + ' ' + `$_.CategoryInfo.Category }
try { ConvertTo-MnistImage -Path ./nothing.png -ErrorAction Stop }
catch { 'error ' + `$_.FullyQualifiedErrorId }
"@
        $text = $output -join "`n"
        $text | Should -Match 'network 3190'
        $text | Should -Match 'classified 1'
        $text | Should -Match 'error GraphicsLibraryUnavailable,MnistTools.Commands.GetClassificationCommand ResourceUnavailable'
        $text | Should -Match 'error GraphicsLibraryUnavailable,MnistTools.Commands.ExportNetworkWeightsCommand ResourceUnavailable'
        $text | Should -Match 'error GraphicsLibraryUnavailable,MnistTools.Commands.ConvertToMnistImageCommand'
        Test-Path (Join-Path (Split-Path $copy) 'w.png') | Should -BeFalse
    }
}
