# A layer's LeakyReLU slope (slope=<a> on Dense, Conv2d and BatchNorm): written in the layer list only when it is not
# 0.01, refused without LeakyReLU or when not finite, kept by Save-Network/Import-Network, checkpoints and Export-Network
# (LeakyRelu's alpha), and it changes what the network computes.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    . (Join-Path $PSScriptRoot 'NetworkTestHelpers.ps1')
    $script:Train = Get-TestMnistSet -Subset Train -First 1000
    $script:Test = Get-TestMnistSet -Subset Test -First 200
    $script:Specs = 'Conv2d 4 3 LeakyReLU slope=0.1', 'MaxPool2d 2', 'Conv2d 6 3 bias=false', 'BatchNorm LeakyReLU slope=0.2', 'Dense 16 LeakyReLU slope=0', 'Dense 10 Softmax'
    $script:Architecture = 'Conv2d 4 3 LeakyReLU slope=0.1, MaxPool2d 2, Conv2d 6 3 bias=false, BatchNorm LeakyReLU slope=0.2, Flatten, Dense 16 LeakyReLU slope=0, Dense 10 Softmax'
    function Test-SameBits([float[]] $A, [float[]] $B) { [System.Linq.Enumerable]::SequenceEqual($A, $B) }
    $script:Trained = New-Network -Layers $Specs -Seed 3
    $null = $Train | Invoke-Training -Network $Trained -Epochs 1 -Optimizer Adam -LearningRate 0.003 -BatchSize 32 -Seed 1
}

Describe 'New-Network -Layers (LeakyReLU slope)' {
    It 'writes a slope other than 0.01 after LeakyReLU, and the layer list builds the same network again' {
        $net = New-Network -Layers $Specs -Seed 3
        $net.Architecture | Should -Be $Architecture
        $net.Layers.Spec | Should -Contain 'BatchNorm LeakyReLU slope=0.2'
        $again = New-Network -Layers ($net.Architecture -split ', ') -Seed 3
        $again.Architecture | Should -Be $Architecture
        Test-SameBits $again.GetParameters() $net.GetParameters() | Should -BeTrue
    }

    It 'leaves the default slope out: slope=0.01 is the network LeakyReLU alone gives, bit for bit after training' {
        $explicit = New-Network -Layers 'Dense 32 LeakyReLU slope=0.01', 'Dense 10 Softmax' -Seed 2
        $plain = New-Network -Layers 'Dense 32 LeakyReLU', 'Dense 10 Softmax' -Seed 2
        $explicit.Architecture | Should -Be 'Flatten, Dense 32 LeakyReLU, Dense 10 Softmax'
        $null = $Train | Invoke-Training -Network $explicit -Epochs 1 -Optimizer Adam -LearningRate 0.003 -Seed 1
        $null = $Train | Invoke-Training -Network $plain -Epochs 1 -Optimizer Adam -LearningRate 0.003 -Seed 1
        Test-SameBits $explicit.GetParameters() $plain.GetParameters() | Should -BeTrue
    }

    It 'computes with the slope: slope=0.3 trains to other bits than the default' {
        $steep = New-Network -Layers 'Dense 32 LeakyReLU slope=0.3', 'Dense 10 Softmax' -Seed 2
        $plain = New-Network -Layers 'Dense 32 LeakyReLU', 'Dense 10 Softmax' -Seed 2
        Test-SameBits $steep.GetParameters() $plain.GetParameters() | Should -BeTrue -Because 'the slope does not change the initial weights'
        $null = $Train | Invoke-Training -Network $steep -Epochs 1 -Optimizer Adam -LearningRate 0.003 -Seed 1
        $null = $Train | Invoke-Training -Network $plain -Epochs 1 -Optimizer Adam -LearningRate 0.003 -Seed 1
        Test-SameBits $steep.GetParameters() $plain.GetParameters() | Should -BeFalse
    }

    It 'refuses <Name> with LayerSpecInvalid, naming the spec and the option' -TestCases @(
        @{ Name = 'a slope without LeakyReLU'; Layers = @('Dense 32 ReLU slope=0.1', 'Dense 10 Softmax'); Message = "'Dense 32 ReLU slope=0.1'.*'slope=0.1' applies to LeakyReLU only" }
        @{ Name = 'a slope without an activation'; Layers = @('Conv2d 4 3 slope=0.1', 'Dense 10 Softmax'); Message = "'slope=0.1' applies to LeakyReLU only, and the layer's activation is None" }
        @{ Name = 'a slope of NaN'; Layers = @('Dense 32 LeakyReLU slope=NaN', 'Dense 10 Softmax'); Message = "'slope=NaN' is not a slope: slope=<a> takes a finite number" }
        @{ Name = 'a slope beyond float range'; Layers = @('BatchNorm LeakyReLU slope=1e39', 'Dense 10 Softmax'); Message = "'slope=1e39' is not a slope" }
        @{ Name = 'a slope that is not a number'; Layers = @('Dense 32 LeakyReLU slope=steep', 'Dense 10 Softmax'); Message = "'slope=steep' is not a number for slope" }
        @{ Name = 'a slope on a pool'; Layers = @('MaxPool2d 2 slope=0.1', 'Dense 10 Softmax'); Message = "'slope=0.1'" }
    ) {
        param($Layers, $Message)
        $err = { New-Network -Layers $Layers -Seed 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'LayerSpecInvalid,MnistTools.Commands.NewNetworkCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'Layers'
        $err.Exception.Message | Should -Match $Message
    }
}

Describe 'Save-Network and Import-Network (LeakyReLU slope)' {
    It 'round-trips the slopes in the file''s layer list, bit for bit, with the same scores' {
        $path = Join-Path $TestDrive 'leaky.safetensors'
        Save-Network -Network $Trained -Path $path
        $bytes = [IO.File]::ReadAllBytes($path)
        $length = [BitConverter]::ToUInt64($bytes, 0)
        $header = [Text.Encoding]::UTF8.GetString($bytes, 8, $length) | ConvertFrom-Json -AsHashtable
        $header['__metadata__']['layers'] | Should -Be $Architecture
        $back = Import-Network $path
        $back.Architecture | Should -Be $Architecture
        Test-SameBits $back.GetParameters() $Trained.GetParameters() | Should -BeTrue
        Test-SameBits $back.GetState() $Trained.GetState() | Should -BeTrue
        ($Test | Test-Network -Network $back).Loss | Should -Be ($Test | Test-Network -Network $Trained).Loss
    }

    It 'keeps the slopes in a checkpoint, and training goes on from it as without one' {
        $checkpoint = Join-Path $TestDrive 'leaky-checkpoint.safetensors'
        $a = New-Network -Layers $Specs -Seed 3
        $b = New-Network -Layers $Specs -Seed 3
        $null = $Train | Invoke-Training -Network $a -Epochs 1 -Optimizer Adam -LearningRate 0.003 -Seed 1 -CheckpointPath $checkpoint
        $null = $Train | Invoke-Training -Network $b -Epochs 2 -Optimizer Adam -LearningRate 0.003 -Seed 1
        $resumed = Import-Network $checkpoint
        $resumed.Architecture | Should -Be $Architecture
        $null = $Train | Invoke-Training -Network $resumed -Epochs 1 -Optimizer Adam -LearningRate 0.003 -Seed 1
        Test-SameBits $resumed.GetParameters() $b.GetParameters() | Should -BeTrue
    }
}

Describe 'Export-Network (LeakyReLU slope)' {
    It 'writes each slope as its LeakyRelu''s alpha, and Import-Network reads it back to the same network' {
        $path = Join-Path $TestDrive 'leaky.onnx'
        $Trained | Export-Network -Path $path
        $bytes = [IO.File]::ReadAllBytes($path)
        $text = [Text.Encoding]::ASCII.GetString($bytes)
        $text | Should -Match ([regex]::Escape('layers.0.leakyrelu'))
        # alpha as a float attribute: the name, then field 2 (fixed32) holding 0.1f.
        $alpha = [byte[]](0x05, 0x61, 0x6C, 0x70, 0x68, 0x61, 0x15) + [BitConverter]::GetBytes([float]0.1)
        [Convert]::ToHexString($bytes) | Should -Match ([Convert]::ToHexString($alpha))
        $back = Import-Network -Path $path
        $back.Architecture | Should -Be $Architecture
        Test-SameBits $back.GetParameters() $Trained.GetParameters() | Should -BeTrue
        Test-SameBits $back.GetState() $Trained.GetState() | Should -BeTrue
        ($Test | Test-Network -Network $back).Loss | Should -Be ($Test | Test-Network -Network $Trained).Loss
    }
}
