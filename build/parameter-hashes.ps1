#Requires -Version 7.4
<#
.SYNOPSIS
    Trains six short versions of the README's recipes and a LeakyReLU + BatchNorm network, and prints a hash of each
    network's parameters, its test accuracy and loss: run it against two builds of the module (in two pwsh processes)
    to show that a change kept the arithmetic bit for bit. The data comes from $env:MNIST_DATA.
.EXAMPLE
    dotnet pwsh -NoProfile -File build/parameter-hashes.ps1 -ModulePath ./out/MnistTools/MnistTools.psd1
#>
param([Parameter(Mandatory)][string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$train = Import-MnistSet -Path $env:MNIST_DATA -Subset Train -First 10000
$test = Import-MnistSet -Path $env:MNIST_DATA -Subset Test
function Hash($net) {
    $bytes = [byte[]]::new($net.ParameterCount * 4)
    [Buffer]::BlockCopy($net.GetParameters(), 0, $bytes, 0, $bytes.Length)
    [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).Substring(0, 16)
}
function Report($name, $net) {
    $r = $test | Test-Network -Network $net
    "{0,-28} {1} accuracy {2:F4} loss {3:R}" -f $name, (Hash $net), $r.Accuracy, $r.Loss
}
$net = New-Network -LayerSizes 784,20,16,10 -Activation Sigmoid -Loss Quadratic -Seed 1
$test | Invoke-Training -Network $net -Epochs 1 -BatchSize 100 -LearningRate 1 | Out-Null
Report 'seed script' $net
$net = New-Network -LayerSizes 784,128,10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 1
$train | Invoke-Training -Network $net -Epochs 2 -BatchSize 32 -Optimizer Adam -LearningRate 0.001 | Out-Null
Report '784-128-10 Adam' $net
$net = New-Network -LayerSizes 784,30,10 -Activation Sigmoid -Loss Quadratic -Initializer Normal -Seed 1
$train | Invoke-Training -Network $net -Epochs 1 -BatchSize 10 -LearningRate 3 | Out-Null
Report '784-30-10 SGD' $net
$lenet = 'Conv2d 6 5 padding=same ReLU','MaxPool2d 2','Conv2d 16 5 ReLU','MaxPool2d 2','Dense 120 ReLU','Dense 84 ReLU','Dense 10 Softmax'
$net = New-Network -Layers $lenet -Seed 1
$train | Invoke-Training -Network $net -Epochs 2 -BatchSize 64 -Optimizer AdamW -LearningRate 0.001 -WeightDecay 0.01 -LearningRateSchedule Cosine -Augment Affine | Out-Null
Report 'LeNet-5 AdamW Affine' $net
$keras = 'Conv2d 32 3 ReLU','MaxPool2d 2','Conv2d 64 3 ReLU','MaxPool2d 2','Dropout 0.5','Dense 10 Softmax'
$net = New-Network -Layers $keras -Seed 1
$train | Invoke-Training -Network $net -Epochs 1 -BatchSize 128 -Optimizer Adam -LearningRate 0.001 | Out-Null
Report 'Keras convnet Adam' $net
$net = New-Network -LayerSizes 784,200,10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 1
$train | Invoke-Training -Network $net -Epochs 1 -BatchSize 128 -Optimizer Adam -LearningRate 0.001 -LearningRateSchedule Cosine -Augment Elastic | Out-Null
Report '784-200-10 Elastic' $net
$leaky = 'Conv2d 8 3 LeakyReLU','MaxPool2d 2','Conv2d 16 3 bias=false','BatchNorm LeakyReLU','MaxPool2d 2','Dense 32 LeakyReLU','Dense 10 Softmax'
$net = New-Network -Layers $leaky -Seed 1
$train | Invoke-Training -Network $net -Epochs 1 -BatchSize 64 -Optimizer Adam -LearningRate 0.001 | Out-Null
Report 'LeakyReLU + BatchNorm Adam' $net
