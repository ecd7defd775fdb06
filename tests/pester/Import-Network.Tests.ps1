# Import-Network: path binding (wildcards, literal, pipeline by property name), refusal of bad files, and a round trip
# across processes: train and save in one pwsh, import and classify in another.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    $script:Id = 'MnistTools.Commands.ImportNetworkCommand'
    $script:Folder = Join-Path $TestDrive 'nets'
    New-Item -ItemType Directory -Path $Folder | Out-Null
    $script:Net = New-Network -LayerSizes 784, 12, 10 -Activation Tanh -OutputActivation Softmax -Loss CrossEntropy -Seed 4
    $script:Good = Join-Path $Folder 'good.safetensors'
    Save-Network -Network $Net -Path $Good

    function Write-Bad([string] $Name, [byte[]] $Bytes) {
        $path = Join-Path $TestDrive $Name
        if ($null -eq $Bytes) { $Bytes = [byte[]]::new(0) }   # an empty array arrives as $null through the pipeline
        [System.IO.File]::WriteAllBytes($path, $Bytes)
        $path
    }

    # A fresh pwsh of the same version as this one, no profile (under `dotnet pwsh` the host is dotnet + pwsh.dll).
    function Invoke-FreshPwsh([string] $Script) {
        $exe = [Environment]::ProcessPath
        $arguments = @()
        if ((Split-Path -Leaf $exe) -match '^dotnet(\.exe)?$') { $arguments += Join-Path $PSHOME 'pwsh.dll' }
        $arguments += '-NoProfile', '-NonInteractive', '-Command', $Script
        $output = & $exe @arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "The fresh pwsh failed (exit $LASTEXITCODE): $($output -join [Environment]::NewLine)" }
        $output
    }
}

Describe 'Import-Network' {
    It 'reads a file by -Path and emits a Network' {
        $n = Import-Network -Path $Good
        $n | Should -BeOfType ([MnistTools.Network])
        $n.Description | Should -Be $Net.Description
        $n.EpochsTrained | Should -Be 0
    }

    It 'expands wildcards in -Path and takes strings from the pipeline' {
        Copy-Item -LiteralPath $Good -Destination (Join-Path $Folder 'copy.safetensors')
        @(Import-Network -Path (Join-Path $Folder '*.safetensors')) | Should -HaveCount 2
        @((Join-Path $Folder 'good.safetensors') | Import-Network) | Should -HaveCount 1
        Remove-Item -LiteralPath (Join-Path $Folder 'copy.safetensors')
    }

    It 'binds piped files by PSPath (Get-ChildItem, Get-Item) and objects by FullName' {
        @(Get-ChildItem -LiteralPath $Folder -Filter *.safetensors | Import-Network) | Should -HaveCount 1
        @(Get-Item -LiteralPath $Good | Import-Network) | Should -HaveCount 1
        @([pscustomobject]@{ FullName = $Good } | Import-Network) | Should -HaveCount 1
    }

    It 'takes -LiteralPath as written' {
        $odd = Join-Path $TestDrive 'net[1].safetensors'
        Copy-Item -LiteralPath $Good -Destination $odd
        (Import-Network -LiteralPath $odd).ParameterCount | Should -Be $Net.ParameterCount
    }

    It 'reports a missing file as ObjectNotFound with the path' {
        $missing = Join-Path $TestDrive 'missing.safetensors'
        Import-Network -LiteralPath $missing -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'refuses <Case> with InvalidData, <ErrorId> and the path' -ForEach @(
        @{ Case = 'a text file'; ErrorId = 'NetworkFileBadHeader'; Make = { [Text.Encoding]::UTF8.GetBytes("this is not a network`n") } }
        @{ Case = 'random bytes'; ErrorId = 'NetworkFileBadHeader'; Make = { $b = [byte[]]::new(1000); [Random]::new(1).NextBytes($b); $b[7] = 0x80; $b } }
        @{ Case = 'an empty file'; ErrorId = 'NetworkFileBadHeader'; Make = { [byte[]]@() } }
        @{ Case = 'a truncated file'; ErrorId = 'NetworkFileTruncated'; Make = { $b = [IO.File]::ReadAllBytes($Good); $b[0..($b.Length - 101)] } }
        @{ Case = 'a header that does not parse'; ErrorId = 'NetworkFileBadHeader'; Make = {
                $b = [IO.File]::ReadAllBytes($Good); $b[20] = [byte][char]'}'; $b[21] = [byte][char]'{'; $b } }
        @{ Case = 'a header length past the end'; ErrorId = 'NetworkFileTruncated'; Make = {
                $b = [IO.File]::ReadAllBytes($Good); [BitConverter]::GetBytes([uint64]$b.Length).CopyTo($b, 0); $b } }
        @{ Case = 'an overflowing header length'; ErrorId = 'NetworkFileBadHeader'; Make = {
                $b = [IO.File]::ReadAllBytes($Good); [BitConverter]::GetBytes([uint64]::MaxValue).CopyTo($b, 0); $b } }
        @{ Case = 'a shape that disagrees with the architecture'; ErrorId = 'NetworkFileBadTensor'; Make = {
                $t = [Text.Encoding]::Latin1.GetString([IO.File]::ReadAllBytes($Good)); [Text.Encoding]::Latin1.GetBytes($t.Replace('"shape":[12,784]', '"shape":[784,12]')) } }
    ) {
        $path = Write-Bad "bad-$([guid]::NewGuid()).safetensors" (& $Make)
        Import-Network -LiteralPath $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be "$ErrorId,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $path
    }

    It 'refuses a newer format version, naming both versions' {
        $t = [Text.Encoding]::Latin1.GetString([IO.File]::ReadAllBytes($Good))
        $t | Should -Match '"format_version":"2"'
        $path = Write-Bad 'future.safetensors' ([Text.Encoding]::Latin1.GetBytes($t.Replace('"format_version":"2"', '"format_version":"7"')))
        Import-Network -LiteralPath $path -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "NetworkFileVersionUnsupported,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].Exception.Message | Should -Match 'version 7'
        $err[0].Exception.Message | Should -Match 'reads version 2'
    }

    It 'goes on with the next file after a bad one' {
        $bad = Write-Bad 'zz-bad.safetensors' ([byte[]](1, 2, 3))
        $nets = @($bad, $Good | Import-Network -ErrorVariable err -ErrorAction SilentlyContinue)
        $nets | Should -HaveCount 1
        $err | Should -HaveCount 1
    }

    It 'round-trips across processes: train and save in one pwsh, import and classify in another' {
        $dataFolder = $env:MNIST_DATA
        $dataFolder | Should -Not -BeNullOrEmpty -Because 'MNIST_DATA must point at the MNIST .gz files'
        $file = Join-Path $TestDrive 'trained.safetensors'
        $scores1 = Join-Path $TestDrive 'scores1.bin'
        $scores2 = Join-Path $TestDrive 'scores2.bin'
        $common = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$env:MNISTTOOLS_MODULE'
`$null = New-Network -LayerSizes 2,1   # loads the core assembly for the type names below
function Read-Set([bool] `$train, [int] `$first) {
    `$names = [MnistTools.Data.IdxReader]::StandardFileNames(`$train)
    [MnistTools.Data.IdxReader]::ReadDataSet((Join-Path '$dataFolder' "`$(`$names.Item1).gz"), (Join-Path '$dataFolder' "`$(`$names.Item2).gz"), 'mnist', 0, `$first, 10, [Threading.CancellationToken]::None)
}
function Write-Scores(`$net, [string] `$path) {
    `$scores = [Collections.Generic.List[float]]::new()
    foreach (`$c in (Read-Set `$false 200 | Get-Classification -Network `$net)) { `$scores.AddRange(`$c.Scores) }
    `$bytes = [byte[]]::new(4 * `$scores.Count); [Buffer]::BlockCopy(`$scores.ToArray(), 0, `$bytes, 0, `$bytes.Length)
    [IO.File]::WriteAllBytes(`$path, `$bytes)
}
"@
        Invoke-FreshPwsh @"
$common
`$net = New-Network -LayerSizes 784,32,10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 7
Read-Set `$true 3000 | Invoke-Training -Network `$net -Epochs 1 -BatchSize 50 -Optimizer Adam | Out-Null
Save-Network -Network `$net -Path '$file' -Metadata @{ DataSet = 'mnist-train-3000' }
Write-Scores `$net '$scores1'
"@ | Out-Null
        $report = Invoke-FreshPwsh @"
$common
`$net = Import-Network -Path '$file'
Write-Scores `$net '$scores2'
"`$(`$net.EpochsTrained)|`$(`$net.Metadata['DataSet'])|`$((Read-Set `$false 200 | Test-Network -Network `$net).Accuracy)"
"@
        $first = [IO.File]::ReadAllBytes($scores1)
        $second = [IO.File]::ReadAllBytes($scores2)
        $first.Length | Should -Be (200 * 10 * 4)
        [Convert]::ToBase64String($second) | Should -Be ([Convert]::ToBase64String($first)) -Because 'the imported network must score float for float as the saved one'
        $epochs, $dataSet, $accuracy = ($report | Select-Object -Last 1) -split '\|'
        $epochs | Should -Be '1'
        $dataSet | Should -Be 'mnist-train-3000'
        [double]$accuracy | Should -BeGreaterThan 0.5 -Because 'a trained network was saved, not a fresh one'
    }
}

Describe 'Import-Network (ONNX)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'DataTestHelpers.ps1')
        $script:Models = if ($env:ONNX_MODELS) { $env:ONNX_MODELS } else { Join-Path $PSScriptRoot '../../../shared/onnx' }
        $script:Mnist = Import-MnistSet -Path (Get-MnistDataFolder) -Subset Test
        $script:Train = Import-MnistSet -Path (Get-MnistDataFolder) -Subset Train -First 3000
    }

    It 'reads a PyTorch file by its extension: Test-Network gives its accuracy, every cmdlet takes it' {
        $n = Import-Network -Path (Join-Path $Models 'lenet5.onnx')
        $n | Should -BeOfType ([MnistTools.Network])
        $n.Architecture | Should -Be 'Conv2d 6 5 padding=same ReLU, MaxPool2d 2, Conv2d 16 5 ReLU, MaxPool2d 2, Flatten, Dense 120 ReLU, Dense 84 ReLU, Dense 10 Softmax'
        ($Mnist | Test-Network -Network $n).Accuracy | Should -Be 0.9373
        ($Mnist.Slice(0, 5, 'five') | Get-Classification -Network $n).Predicted | Should -Be @(7, 2, 1, 0, 4)
        $Mnist[0] | Export-FeatureMap -Network $n -Path (Join-Path $TestDrive 'maps.png') -Layer 0, 1
        (Get-Item (Join-Path $TestDrive 'maps.png')).Length | Should -BeGreaterThan 0
        $n | Export-NetworkWeights -Path (Join-Path $TestDrive 'filters.png')
        (Get-Item (Join-Path $TestDrive 'filters.png')).Length | Should -BeGreaterThan 0
        $n.Metadata['ImportedFrom'] | Should -Be 'lenet5.onnx'
        $n.Metadata['OnnxProducer'] | Should -Be 'pytorch'
        $saved = Join-Path $TestDrive 'lenet5.safetensors'
        Save-Network -Network $n -Path $saved
        ($Mnist | Test-Network -Network (Import-Network $saved)).Accuracy | Should -Be 0.9373
    }

    It 'reads a LeakyRelu of alpha 0.1 as the layer''s slope: avgpool_view.onnx gives PyTorch''s accuracy, saved and recreated' {
        $n = Import-Network -Path (Join-Path $Models 'avgpool_view.onnx')
        $n.Architecture | Should -BeLike '*Conv2d 16 3 stride=2 LeakyReLU slope=0.1,*'
        ($Mnist | Test-Network -Network $n).Accuracy | Should -Be 0.8908
        $saved = Join-Path $TestDrive 'avgpool_view.safetensors'
        Save-Network -Network $n -Path $saved
        $back = Import-Network $saved
        $back.Architecture | Should -Be $n.Architecture
        ($Mnist | Test-Network -Network $back).Accuracy | Should -Be 0.8908
        (New-Network -Layers ($n.Architecture -split ', ') -InputShape $n.InputShape -Seed 1).Architecture | Should -Be $n.Architecture
    }

    It 'fine-tunes an imported network: one epoch of Adam on 3,000 images keeps its accuracy high' {
        $n = Import-Network -Path (Join-Path $Models 'mlp.onnx')
        $before = ($Mnist | Test-Network -Network $n).Accuracy
        $null = $Train | Invoke-Training -Network $n -Epochs 1 -Optimizer Adam -LearningRate 0.001 -BatchSize 32 -Seed 1
        $after = ($Mnist | Test-Network -Network $n).Accuracy
        $after | Should -BeGreaterOrEqual ($before - 0.005)
    }

    It 'reads what Export-Network wrote, with -Format Onnx for another extension, to the same scores' {
        $n = Import-Network -Path (Join-Path $Models 'bncnn_bn.onnx')
        $path = Join-Path $TestDrive 'bn.model'
        $n | Export-Network -Path $path -Format Onnx
        $back = Import-Network -Path $path -Format Onnx
        $back.Architecture | Should -Be $n.Architecture
        [System.Linq.Enumerable]::SequenceEqual($back.GetParameters(), $n.GetParameters()) | Should -BeTrue
        ($Mnist | Test-Network -Network $back).Accuracy | Should -Be ($Mnist | Test-Network -Network $n).Accuracy
    }

    It 'refuses <Case> with InvalidData, <ErrorId> and the path' -ForEach @(
        @{ Case = 'random bytes'; ErrorId = 'OnnxModelInvalid'; Make = { $b = [byte[]]::new(1000); [Random]::new(1).NextBytes($b); $b } }
        @{ Case = 'a truncated model'; ErrorId = 'OnnxModelInvalid'; Make = { $b = [IO.File]::ReadAllBytes((Join-Path $Models 'mlp.onnx')); $b[0..($b.Length - 1001)] } }
        @{ Case = 'a LeakyRelu whose alpha is NaN'; ErrorId = 'OnnxAttributeUnsupported'; Make = {
            # avgpool_view.onnx with its LeakyRelu's alpha (the float attribute 'alpha', field 2: 0.1f) set to NaN.
            $b = [IO.File]::ReadAllBytes((Join-Path $Models 'avgpool_view.onnx'))
            $alpha = [byte[]](0x05, 0x61, 0x6C, 0x70, 0x68, 0x61, 0x15) + [BitConverter]::GetBytes([float]0.1)
            $at = [Convert]::ToHexString($b).IndexOf([Convert]::ToHexString($alpha)) / 2
            [BitConverter]::GetBytes([float]::NaN).CopyTo($b, $at + 7)
            $b } }
    ) {
        $path = Write-Bad "bad-$([guid]::NewGuid()).onnx" (& $Make)
        Import-Network -LiteralPath $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be "$ErrorId,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $err[0].TargetObject | Should -Be $path
    }
}
