BeforeDiscovery {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
}

BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Test = Get-TestMnistSet -Subset Test -First 20
    $script:Net = New-Network 784, 16, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 4
}

Describe 'Get-Classification' {
    It 'classifies every image of a data set' {
        $all = $Test | Get-Classification -Network $Net
        $all.Count | Should -Be 20
        $all[0] | Should -BeOfType MnistTools.Classification
        $all.Index | Should -Be (0..19)
        $all[0].Label | Should -Be 7
        $all[0].Scores.Count | Should -Be 10
        ($all[0].Scores | Measure-Object -Sum).Sum | Should -BeGreaterThan 0.999
        $best = 0; for ($k = 1; $k -lt 10; $k++) { if ($all[0].Scores[$k] -gt $all[0].Scores[$best]) { $best = $k } }
        $all[0].Predicted | Should -Be $best
        $all[0].Confidence | Should -Be $all[0].Scores[$best]
        $all[0].IsCorrect | Should -Be ($all[0].Predicted -eq 7)
        $all[3].GetImage().Pixels.Count | Should -Be 784
    }

    It 'gives the same scores for an image, a set and raw arrays' {
        $fromSet = ($Test | Get-Classification -Network $Net)[5]
        $image = $Test[5]
        $fromImage = $image | Get-Classification -Network $Net
        $fromBytes = Get-Classification -Network $Net -InputObject $image.Pixels
        $fromInts = Get-Classification -Network $Net -InputObject ([int[]]$image.Pixels)
        $fromFloats = Get-Classification -Network $Net -InputObject ([float[]]($image.Pixels | ForEach-Object { $_ / 255 }))
        $fromImage.Index | Should -Be 5
        $fromBytes.Label | Should -BeNullOrEmpty
        $fromBytes.IsCorrect | Should -BeNullOrEmpty
        foreach ($other in $fromImage, $fromBytes, $fromInts) {
            [System.Linq.Enumerable]::SequenceEqual($fromSet.Scores, $other.Scores) | Should -BeTrue
        }
        for ($k = 0; $k -lt 10; $k++) { $fromFloats.Scores[$k] | Should -BeGreaterOrEqual ($fromSet.Scores[$k] - 1e-6); $fromFloats.Scores[$k] | Should -BeLessOrEqual ($fromSet.Scores[$k] + 1e-6) }
        $fromBytes.GetImage().Rows | Should -Be 28
    }

    It 'numbers raw arrays by their position in the input' {
        $pixels = $Test[0].Pixels
        $results = @(, $pixels) + @(, $pixels) | ForEach-Object { , $_ } | Get-Classification -Network $Net
        $results.Index | Should -Be @(0, 1)
    }

    It 'reports <Name> as <Id> and goes on with the next input' -TestCases @(
        @{ Name = 'a short array'; Bad = [byte[]]::new(10); Id = 'ClassificationPixelCountMismatch' }
        @{ Name = 'grey levels above 255'; Bad = [int[]](@(300) * 784); Id = 'ClassificationPixelOutOfRange' }
        @{ Name = 'unscaled floats'; Bad = [double[]](@(200.0) * 784); Id = 'ClassificationPixelOutOfRange' }
        @{ Name = 'a string'; Bad = 'seven'; Id = 'UnsupportedInput' }
        @{ Name = 'an array holding a string'; Bad = [object[]](@(0) * 783 + 'x'); Id = 'UnsupportedInput' }
        @{ Name = 'a set of another size'; Bad = (New-SyntheticSet -Count 3); Id = 'NetworkDataMismatch' }
    ) {
        param($Bad, $Id)
        $out = @(, $Bad) + @(, $Test[0]) | ForEach-Object { , $_ } |
            Get-Classification -Network $Net -ErrorVariable errs -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $out.Index | Should -Be 0
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "$Id,MnistTools.Commands.GetClassificationCommand"
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'keeps the set of its images and makes an image only when asked for' {
        $all = Get-Classification -Network $Net -InputObject $Test
        $image = $all[7].GetImage()
        $image.Index | Should -Be 7
        $image.Label | Should -Be $Test[7].Label
        [System.Linq.Enumerable]::SequenceEqual($image.Pixels, $Test[7].Pixels) | Should -BeTrue
        [object]::ReferenceEquals($image, $all[7].GetImage()) | Should -BeTrue
    }

    It 'gives the same scores for a pipeline of single images as for the set, on one thread and two' {
        $fromSet = Get-Classification -Network $Net -InputObject $Test -ThreadCount 2
        foreach ($threads in 1, 2) {
            $piped = $Test | Get-MnistImage | Get-Classification -Network $Net -ThreadCount $threads
            for ($i = 0; $i -lt 20; $i++) { [System.Linq.Enumerable]::SequenceEqual($fromSet[$i].Scores, $piped[$i].Scores) | Should -BeTrue }
        }
    }

    It 'stops before any input when a network does not fit the working-memory bound' {
        # 1,100 layers of 64 filters over 128x128: 4 MiB of output per layer for a single image, 4.3 GiB in all.
        $big = New-Network -InputShape 64, 128, 128 -Layers (@('Conv2d 64 1 ReLU') * 1100 + 'Dense 10 Softmax') -Seed 1
        $err = { Get-Classification -Network $big -InputObject ([byte[]]::new(64 * 128 * 128)) } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'WorkingMemoryTooLarge,MnistTools.Commands.GetClassificationCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'formats as a table with the confidence as a percentage' {
        $text = $Test[0] | Get-Classification -Network $Net | Out-String
        $text | Should -Match 'Predicted'
        $text | Should -Match '\d+[.,]\d %'
    }
}
