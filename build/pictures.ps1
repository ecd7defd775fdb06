#Requires -Version 7.4
<#
.SYNOPSIS
    Draws the pictures that docs/pictures.md shows (docs/images/*.png), with the built module and real MNIST.
.DESCRIPTION
    Trains two small networks (784-64-10 ReLU/Softmax, SGD and Adam, 4 epochs on 20,000 training images, seed 1),
    then writes: a contact sheet of test digits, the test digits the Adam network gets wrong, the learning curves of
    both runs, the confusion matrix on the 10,000 test images, the first layer's weights, a digit drawn in a large
    picture next to what ConvertTo-MnistImage makes of it, and the feature maps of a small convolutional network
    (2 epochs, Adam, seed 1) for the first test digit. Takes about a minute. Called by the demo; on its own:
        dotnet pwsh -NoProfile ./build/pictures.ps1 -ModulePath ./out/MnistTools/MnistTools.psd1
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [string] $OutFolder = (Join-Path $PSScriptRoot '../docs/images')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module $ModulePath
New-Item -ItemType Directory -Force -Path $OutFolder | Out-Null
$OutFolder = (Resolve-Path $OutFolder).Path

function Import-Set([string] $Subset, [int] $First) {
    Import-MnistSet -Subset $Subset -First $First
}

$train = Import-Set Train 20000
$test = Import-Set Test 10000

# 1. The first 30 test digits.
0..29 | ForEach-Object { $test[$_] } | Export-MnistImage -Path "$OutFolder/digits.png" -Scale 2 -Columns 15 -Force

# 2. Two runs, told apart by a RunName, drawn as learning curves.
$runs = foreach ($run in @(@{ Name = 'SGD'; Optimizer = 'Sgd'; LearningRate = 0.1 }, @{ Name = 'Adam'; Optimizer = 'Adam'; LearningRate = 0.001 })) {
    $net = New-Network 784, 64, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 1
    $train | Invoke-Training -Network $net -Epochs 4 -BatchSize 32 -Optimizer $run.Optimizer -LearningRate $run.LearningRate -ValidationSet $test -Seed 1 |
        Select-Object @{ n = 'RunName'; e = { $run.Name } }, * | Tee-Object -Variable epochs | Out-Null
    [pscustomobject]@{ Name = $run.Name; Network = $net; Epochs = $epochs }
}
$runs.Epochs | Export-TrainingChart -Path "$OutFolder/learning-curves.png" -GroupBy RunName -Width 900 -Height 340 -Force
$adam = ($runs | Where-Object Name -EQ 'Adam').Network

# 3. The confusion matrix of the Adam network on the test set.
$result = $test | Test-Network -Network $adam
$result | Export-ConfusionMatrix -Path "$OutFolder/confusion-matrix.png" -Size 520 -Force

# 4. What it got wrong: the first 20 mistakes among the test digits (true→predicted, in red).
$test | Get-Classification -Network $adam | Where-Object { -not $_.IsCorrect } | Select-Object -First 20 |
    Export-MnistImage -Path "$OutFolder/mistakes.png" -Scale 2 -Columns 10 -Force

# 5. What the first layer learned: 32 of the 64 hidden units of the SGD network.
($runs | Where-Object Name -EQ 'SGD').Network | Export-NetworkWeights -Path "$OutFolder/weights.png" -First 32 -Columns 8 -Scale 2 -Force

# 6. Your own handwriting: a thick-stroked "4" drawn dark on light in a large off-centre picture, then what the
#    network sees after ConvertTo-MnistImage.
# The module keeps SkiaSharp in its own load context; reach that copy rather than load a second one.
function Get-SkiaType([string] $Name) { [MnistTools.Loader.Dependencies]::GetType('SkiaSharp', "SkiaSharp.$Name") }
[MnistTools.Loader.Dependencies]::GetType('MnistTools.Imaging', 'MnistTools.Imaging.GraphicsLibrary')::EnsureAvailable()
$SKColor = Get-SkiaType SKColor
$bitmap = (Get-SkiaType SKBitmap)::new(240, 180)
$canvas = (Get-SkiaType SKCanvas)::new($bitmap)
$canvas.Clear($SKColor::new(245, 242, 235))
$pen = (Get-SkiaType SKPaint)::new()
$pen.Color = $SKColor::new(30, 30, 60); $pen.StrokeWidth = 11; $pen.IsAntialias = $true
$pen.Style = 'Stroke'; $pen.StrokeCap = 'Round'
$canvas.DrawLine(120, 30, 95, 105, $pen); $canvas.DrawLine(95, 105, 160, 105, $pen); $canvas.DrawLine(145, 50, 140, 160, $pen)
$canvas.Dispose()
[System.IO.File]::WriteAllBytes("$OutFolder/my-digit.png", (Get-SkiaType SKImage)::FromBitmap($bitmap).Encode('Png', 100).ToArray())
$mine = ConvertTo-MnistImage -LiteralPath "$OutFolder/my-digit.png"
$mine | Export-MnistImage -Path "$OutFolder/my-digit-28x28.png" -Scale 4 -Force
$verdict = $mine | Get-Classification -Network $adam

# 7. What a small convolutional network sees in the first test digit: its feature maps, layer by layer.
$conv = New-Network -Layers 'Conv2d 8 3 ReLU', 'MaxPool2d 2', 'Conv2d 16 3 ReLU', 'MaxPool2d 2', 'Dense 10 Softmax' -Seed 1
$convEpochs = $train | Invoke-Training -Network $conv -Epochs 2 -BatchSize 32 -Optimizer Adam -LearningRate 0.001 -ValidationSet $test -Seed 1
$test[0] | Export-FeatureMap -Network $conv -Path "$OutFolder/feature-maps.png" -Force

# 8. -Augment: the first ten test digits as they are, then as training epoch 1 with seed 1 sees them shifted, affine
#    and elastic.
@(Get-MnistImage $test -Index (0..9)
  foreach ($kind in 'Shift', 'Affine', 'Elastic') { Get-MnistImage $test -Index (0..9) -Augment $kind -Seed 1 }) |
    Export-MnistImage -Path "$OutFolder/augmentation.png" -Scale 2 -Columns 10 -Force

[pscustomobject]@{
    TestAccuracy   = $result.Accuracy
    Epochs         = ($runs | ForEach-Object { $_.Epochs | Select-Object RunName, Epoch, TrainLoss, TrainAccuracy, ValidationLoss, ValidationAccuracy })
    MyDigit        = "predicted $($verdict.Predicted) with confidence $($verdict.Confidence.ToString('P1'))"
    ConvNetwork    = "$($conv.Description): test accuracy $($convEpochs[-1].ValidationAccuracy.ToString('P2')) after 2 epochs"
    Pictures       = (Get-ChildItem $OutFolder -Filter *.png | ForEach-Object { "$($_.Name) $($_.Length) bytes" })
} | Format-List | Out-String -Width 200 | Write-Host
