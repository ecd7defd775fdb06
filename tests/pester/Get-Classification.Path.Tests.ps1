# Get-Classification -Path: pictures of handwritten digits, preprocessed like ConvertTo-MnistImage.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Test = Get-TestMnistSet -Subset Test -First 6
    $script:Net = New-Network 784, 16, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 4
    $script:Folder = Join-Path $TestDrive 'digits'
    New-Item -ItemType Directory -Path $Folder | Out-Null
    for ($i = 0; $i -lt 6; $i++) { $Test[$i] | Export-MnistImage -Path (Join-Path $Folder "digit-$i.png") -Scale 5 }
}

Describe 'Get-Classification -Path' {
    It 'classifies picture files exactly as ConvertTo-MnistImage | Get-Classification does' {
        $viaPath = Get-Classification -Network $Net -Path (Join-Path $Folder 'digit-*.png')
        $viaImages = ConvertTo-MnistImage -Path (Join-Path $Folder 'digit-*.png') | Get-Classification -Network $Net
        $viaPath.Count | Should -Be 6
        $viaPath.Predicted | Should -Be $viaImages.Predicted
        for ($i = 0; $i -lt 6; $i++) { @($viaPath[$i].Scores) | Should -Be @($viaImages[$i].Scores) }
        $viaPath[0].Label | Should -BeNullOrEmpty
        $viaPath[0].GetImage().DataSet | Should -Be (Join-Path $Folder 'digit-0.png')
    }

    It 'takes files piped from Get-ChildItem' {
        $piped = Get-ChildItem $Folder -Filter 'digit-*.png' | Get-Classification -Network $Net
        $piped.Count | Should -Be 6
    }

    It 'gives InvalidData for a file that is not a picture and goes on' {
        $bad = Join-Path $TestDrive 'bad.png'
        Set-Content -LiteralPath $bad -Value 'no picture here'
        $errors = $null
        $out = Get-Classification -Network $Net -LiteralPath $bad, (Join-Path $Folder 'digit-1.png') -ErrorVariable errors -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ImageDecodeFailed,MnistTools.Commands.GetClassificationCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errors[0].TargetObject | Should -Be $bad
    }
}
