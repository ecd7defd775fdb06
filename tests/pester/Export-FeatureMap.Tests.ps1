BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'PictureTestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:FeatureMapSheet = Get-DependencyType MnistTools.Imaging MnistTools.Imaging.FeatureMapSheet
    $script:Test = Get-TestMnistSet -Subset Test -First 20
    $script:Train = Get-TestMnistSet -Subset Train -First 1000
    # Eight filters: the grid (8 maps of 52 pixels and their gaps, 458 pixels) is wider than every heading.
    $script:Net = New-Network -Layers 'Conv2d 8 3 ReLU', 'MaxPool2d 2', 'Dropout 0.25', 'Dense 10 Softmax' -Seed 1
    $null = $Train | Invoke-Training -Network $Net -Epochs 1 -Optimizer Adam -BatchSize 32
    $script:Image = $Test[0]

    # The layout at -Scale 3 (all in picture pixels): a 12-pixel margin, 21-pixel headings, 14 pixels between bands,
    # 6 between maps, the 28x28 input at 3x (84), maps enlarged to about 0.6 x 84: 26x26 at 2x and 13x13 at 4x (52),
    # score bars 15 wide and 48 high with an 18-pixel line of class numbers under them.
    $script:Margin = 12; $script:Heading = 21; $script:BandGap = 14; $script:MapGap = 6

    function Get-MaxAbs([float[]] $Values) { ($Values | ForEach-Object { [math]::Abs($_) } | Measure-Object -Maximum).Maximum }

    # Asserts that map $Channel of a [C x H x W] output is drawn at ($Left, $Top), $Pixel picture pixels per value.
    function Assert-Map([float[]] $Output, [int] $Channel, [int] $Height, [int] $Width, [int] $Left, [int] $Top, [int] $Pixel, $Png, [float] $MaxAbs, [bool] $Signed) {
        $size = $Height * $Width
        $map = $Output[($Channel * $size)..($Channel * $size + $size - 1)]
        if ($MaxAbs -lt 0) { $MaxAbs = Get-MaxAbs $map }
        $largest = [array]::IndexOf($map, [float]($map | Measure-Object -Maximum).Maximum)
        $zero = [array]::IndexOf($map, [float]0)
        foreach ($i in @(0, $largest, $zero, ($size - 1)) | Where-Object { $_ -ge 0 }) {
            $x = $Left + $Pixel * ($i % $Width) + $Pixel - 1
            $y = $Top + $Pixel * [math]::Floor($i / $Width)
            $Png.GetPixel($x, $y) | Should -Be ($FeatureMapSheet::ColorOf($map[$i], $MaxAbs, $Signed)) -Because "map $Channel, value $i ($($map[$i]))"
        }
        $Png.GetPixel($Left - 1, $Top - 1) | Should -Be $FeatureMapSheet::FrameColor
        $Png.GetPixel($Left + $Pixel * $Width, $Top + $Pixel * $Height) | Should -Be $FeatureMapSheet::FrameColor
    }
}

Describe 'Export-FeatureMap' {
    It 'draws the input, every convolution and pooling map, and the scores, at the sizes the layout promises' {
        $path = Join-Path $TestDrive 'maps.png'
        $Image | Export-FeatureMap -Network $Net -Path $path
        $png = Read-Png $path
        $png.Width | Should -Be (2 * $Margin + 8 * 52 + 7 * $MapGap)
        # input, Conv2d (one row of 8 maps), MaxPool2d (one row), the scores (bars and their numbers)
        $png.Height | Should -Be ($Margin + ($Heading + 84) + $BandGap + ($Heading + 52) + $BandGap + ($Heading + 52) + $BandGap + ($Heading + 48 + 18) + $Margin)

        $inputTop = $Margin + $Heading
        foreach ($p in 0, 350, 409, 783) {
            Get-Grey $png ($Margin + 3 * ($p % 28) + 1) ($inputTop + 3 * [math]::Floor($p / 28) + 2) | Should -Be (255 - $Image.Pixels[$p])
        }
        $outputs = $Net.GetLayerOutputs($Image.Pixels)
        $convTop = $inputTop + 84 + $BandGap + $Heading
        $poolTop = $convTop + 52 + $BandGap + $Heading
        foreach ($c in 0, 3, 7) {
            Assert-Map $outputs[0] $c 26 26 ($Margin + $c * (52 + $MapGap)) $convTop 2 $png -1 $false
            Assert-Map $outputs[1] $c 13 13 ($Margin + $c * (52 + $MapGap)) $poolTop 4 $png -1 $false
        }
        # The predicted class's bar is dark from its foot up to its score; the others are light.
        $scores = $outputs[-1]
        $predicted = [MnistTools.Classification]::PredictedClass($scores)
        $predicted | Should -Be $Image.Label -Because 'the trained network gets the first test digit right'
        $barsTop = $poolTop + 52 + $BandGap + $Heading
        $png.GetPixel($Margin + $predicted * (15 + $MapGap) + 7, $barsTop + 47) | Should -Be $FeatureMapSheet::BarColor
        $png.GetPixel($Margin + $predicted * (15 + $MapGap) + 7, $barsTop + 48 - [math]::Floor(48 * $scores[$predicted]) + 1) | Should -Be $FeatureMapSheet::BarColor
        $other = ($predicted + 1) % 10
        $png.GetPixel($Margin + $other * (15 + $MapGap) + 7, $barsTop) | Should -Be $FeatureMapSheet::FrameColor
    }

    It 'scales every map of a layer by the layer''s largest value with -Normalize Layer' {
        $path = Join-Path $TestDrive 'layer.png'
        $Image | Export-FeatureMap -Network $Net -Path $path -Normalize Layer -Layer 0
        $png = Read-Png $path
        $png.Height | Should -Be ($Margin + ($Heading + 84) + $BandGap + ($Heading + 52) + $Margin)
        $conv = $Net.GetLayerOutputs($Image.Pixels)[0]
        $layerMax = Get-MaxAbs $conv
        $top = $Margin + $Heading + 84 + $BandGap + $Heading
        foreach ($c in 0..7) { Assert-Map $conv $c 26 26 ($Margin + $c * (52 + $MapGap)) $top 2 $png $layerMax $false }
    }

    It 'draws the layers -Layer names, in network order: a Dropout as maps, the implied Flatten as rows of squares' {
        $path = Join-Path $TestDrive 'chosen.png'
        $Image | Export-FeatureMap -Network $Net -Path $path -Layer 3, 2, 3 -Columns 4
        $png = Read-Png $path
        # Dropout: 8 maps of 13x13 at 4x in two rows of 4; Flatten: 1352 values, 6-pixel squares in rows as wide as fit.
        $width = $png.Width - 2 * $Margin
        $width | Should -BeGreaterOrEqual 300
        $rows = [math]::Ceiling(1352 / [math]::Min([math]::Floor($width / 6), 1352))
        $png.Height | Should -Be ($Margin + ($Heading + 84) + $BandGap + ($Heading + 2 * 52 + $MapGap) + $BandGap + ($Heading + 6 * $rows) + $Margin)
        $outputs = $Net.GetLayerOutputs($Image.Pixels)
        $dropoutTop = $Margin + $Heading + 84 + $BandGap + $Heading
        Assert-Map $outputs[2] 5 13 13 ($Margin + 1 * (52 + $MapGap)) ($dropoutTop + 52 + $MapGap) 4 $png -1 $false
        # At inference the dropout layer passes the pooled maps on unchanged.
        [System.Linq.Enumerable]::SequenceEqual($outputs[1], $outputs[2]) | Should -BeTrue
        $flatTop = $dropoutTop + 2 * 52 + $MapGap + $BandGap + $Heading
        $flat = $outputs[3]
        $perRow = [math]::Ceiling(1352 / $rows)
        $flatMax = Get-MaxAbs $flat
        foreach ($i in 0, 500, 1351) {
            $png.GetPixel($Margin + 6 * ($i % $perRow) + 3, $flatTop + 6 * [math]::Floor($i / $perRow) + 3) |
                Should -Be ($FeatureMapSheet::ColorOf($flat[$i], $flatMax, $false))
        }
    }

    It 'uses diverging colours for a layer with negative values (Tanh), and takes a Classification' {
        $tanh = New-Network -Layers 'Conv2d 3 5 stride=2 padding=same Tanh', 'Dense 10 Softmax' -Seed 4
        $classification = $Image | Get-Classification -Network $tanh
        $path = Join-Path $TestDrive 'tanh.png'
        $classification | Export-FeatureMap -Network $tanh -Path $path -Layer 0
        $png = Read-Png $path
        # 3 maps of 14x14 at round(50.4 / 14) = 4x.
        $png.Height | Should -Be ($Margin + ($Heading + 84) + $BandGap + ($Heading + 56) + $Margin)
        $conv = $tanh.GetLayerOutputs($Image.Pixels)[0]
        ($conv | Where-Object { $_ -lt 0 }).Count | Should -BeGreaterThan 0
        $top = $Margin + $Heading + 84 + $BandGap + $Heading
        foreach ($c in 0..2) { Assert-Map $conv $c 14 14 ($Margin + $c * (56 + $MapGap)) $top 4 $png -1 $true }
        $FeatureMapSheet::ColorOf(-1, 1, $true) | Should -Be $WeightGrid::Negative
    }

    It 'draws a dense network''s hidden units with -Layer, and writes a FileInfo with -PassThru' {
        $dense = New-Network 784, 64, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 2
        $path = Join-Path $TestDrive 'dense.png'
        $file = $Image | Export-FeatureMap -Network $dense -Path $path -Layer 0, 1 -PassThru
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $path
        $png = Read-Png $path
        $width = $png.Width - 2 * $Margin
        $rows = [math]::Ceiling(64 / [math]::Min([math]::Floor($width / 6), 64))
        $png.Height | Should -Be ($Margin + ($Heading + 84) + $BandGap + ($Heading + 6 * $rows) + $BandGap + ($Heading + 48 + 18) + $Margin)
    }

    It 'keeps an existing file without -Force, writes nothing with -WhatIf, and replaces it with -Force' {
        $path = Join-Path $TestDrive 'exists.png'
        Set-Content -LiteralPath $path -Value 'keep'
        $err = { $Image | Export-FeatureMap -Network $Net -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileExists,MnistTools.Commands.ExportFeatureMapCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        $err.TargetObject | Should -Be $path
        Get-Content -LiteralPath $path | Should -Be 'keep'
        $Image | Export-FeatureMap -Network $Net -Path $path -Force -WhatIf
        Get-Content -LiteralPath $path | Should -Be 'keep'
        $Image | Export-FeatureMap -Network $Net -LiteralPath $path -Force
        (Read-Png $path).Width | Should -BeGreaterThan 300
    }

    It 'draws the first of several images and reports each other one with OneImagePerPicture' {
        $path = Join-Path $TestDrive 'two.png'
        $Test[0], $Test[1], $Test[2] | Export-FeatureMap -Network $Net -Path $path -Layer 0 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 2
        $errors[0].FullyQualifiedErrorId | Should -Be 'OneImagePerPicture,MnistTools.Commands.ExportFeatureMapCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].TargetObject.Index | Should -Be 1
        $errors[1].TargetObject.Index | Should -Be 2
        $outputs = $Net.GetLayerOutputs($Test[0].Pixels)
        Assert-Map $outputs[0] 0 26 26 $Margin ($Margin + $Heading + 84 + $BandGap + $Heading) 2 (Read-Png $path) -1 $false
    }

    It 'reports <Name> with <Id>, targets the input, and writes nothing' -TestCases @(
        @{ Name = 'an object that is not an image'; Id = 'UnsupportedInput'; Make = { 'seven' } }
        # A pixel array of 20 values (not a square picture) gives a Classification that carries no image.
        @{ Name = 'a Classification without an image'; Id = 'ClassificationHasNoImage'
            Make = { , [byte[]]::new(20) | Get-Classification -Network (New-Network -Layers 'Conv2d 2 3 ReLU', 'Dense 3 Softmax' -InputShape 1, 4, 5 -Seed 1) } }
        @{ Name = 'an image of the wrong size'; Id = 'ClassificationPixelCountMismatch'; Make = { [MnistTools.MnistImage]::new(4, 1, 14, 14, [byte[]]::new(196), 'small') } }
    ) {
        param($Id, $Make)
        $item = & $Make
        $item | Should -Not -BeNullOrEmpty
        $path = Join-Path $TestDrive "bad-$Id.png"
        $item | Export-FeatureMap -Network $Net -Path $path -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors.Count | Should -Be 1 -Because 'one bad input is one error (no NoImages on top of it)'
        $errors[0].FullyQualifiedErrorId | Should -Be "$Id,MnistTools.Commands.ExportFeatureMapCommand"
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].TargetObject | Should -Be $item
        Test-Path $path | Should -BeFalse
    }

    It 'fails with NoImages on an empty pipeline, targeting the path' {
        $path = Join-Path $TestDrive 'none.png'
        $err = { @() | Export-FeatureMap -Network $Net -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoImages,MnistTools.Commands.ExportFeatureMapCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $path
        Test-Path $path | Should -BeFalse
    }

    It 'refuses a -Layer that is not a layer of the network before any work' {
        $path = Join-Path $TestDrive 'nolayer.png'
        $err = { $Image | Export-FeatureMap -Network $Net -Path $path -Layer 0, 5 -ErrorAction Stop } |
            Should -Throw -ErrorId 'LayerIndexOutOfRange,MnistTools.Commands.ExportFeatureMapCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'Layer'
        $err.Exception.Message | Should -Match '-Layer 5 .* 0\.\.4'
        Test-Path $path | Should -BeFalse
        { $Image | Export-FeatureMap -Network $Net -Path $path -Layer -1 } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,MnistTools.Commands.ExportFeatureMapCommand'
    }

    It 'refuses a picture larger than 16,384 pixels a side with PictureTooLarge' {
        $wide = New-Network -Layers 'Conv2d 64 3 ReLU', 'Dense 10 Softmax' -Seed 1
        $path = Join-Path $TestDrive 'huge.png'
        $err = { $Image | Export-FeatureMap -Network $wide -Path $path -Scale 16 -Columns 1000 -ErrorAction Stop } |
            Should -Throw -ErrorId 'PictureTooLarge,MnistTools.Commands.ExportFeatureMapCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'Scale'
        Test-Path $path | Should -BeFalse
    }

    It 'refuses a network whose outputs are not finite with NetworkOutputNotFinite' {
        $file = Join-Path $TestDrive 'poison.safetensors'
        Save-Network -Network $Net -Path $file
        $bytes = [IO.File]::ReadAllBytes($file)
        [BitConverter]::GetBytes([float]::NaN).CopyTo($bytes, 8 + [BitConverter]::ToUInt64($bytes, 0))   # the first weight
        [IO.File]::WriteAllBytes($file, $bytes)
        $poisoned = Import-Network $file
        $path = Join-Path $TestDrive 'nan.png'
        $err = { $Image | Export-FeatureMap -Network $poisoned -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetworkOutputNotFinite,MnistTools.Commands.ExportFeatureMapCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidResult'
        $err.TargetObject | Should -Be $poisoned
        Test-Path $path | Should -BeFalse
    }
}
