# Export-Network -Format Onnx: file written atomically, no-clobber without -Force, -WhatIf, error ids.
# (ONNX Runtime checks the exported graph numerically in the xunit suite: OnnxExportTests.)
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    $script:Net = New-Network -LayerSizes 784, 16, 10 -Activation LeakyReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 2
    $script:Id = 'MnistTools.Commands.ExportNetworkCommand'
}

Describe 'Export-Network' {
    BeforeEach {
        $script:Folder = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $Folder | Out-Null
        $script:File = Join-Path $Folder 'net.onnx'
    }

    It 'writes an ONNX model (protobuf ModelProto, IR version 7) holding the graph and weights' {
        $Net | Export-Network -Path $File -Format Onnx
        $bytes = [IO.File]::ReadAllBytes($File)
        $bytes[0..1] | Should -Be @(0x08, 0x07) -Because 'field 1 (ir_version) = 7 comes first'
        $bytes.Length | Should -BeGreaterThan (4 * $Net.ParameterCount)
        $text = [Text.Encoding]::Latin1.GetString($bytes)
        foreach ($name in 'input', 'scores', 'Gemm', 'LeakyRelu', 'Softmax', 'layers.0.weight', 'layers.1.bias') { $text | Should -BeLike "*$name*" }
    }

    It 'defaults to ONNX and emits a FileInfo with -PassThru' {
        $info = Export-Network -Network $Net -Path $File -PassThru
        $info | Should -BeOfType ([System.IO.FileInfo])
        $info.Length | Should -Be (Get-Item -LiteralPath $File).Length
    }

    It 'refuses to overwrite without -Force and keeps the file' {
        Set-Content -LiteralPath $File -Value 'keep me'
        Export-Network -Network $Net -Path $File -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "FileExists,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].TargetObject | Should -Be $File
        Get-Content -LiteralPath $File | Should -Be 'keep me'
    }

    It 'overwrites with -Force, leaving no temporary file' {
        Set-Content -LiteralPath $File -Value 'old'
        Export-Network -Network $Net -Path $File -Force
        ([IO.File]::ReadAllBytes($File))[0] | Should -Be 0x08
        @(Get-ChildItem -LiteralPath $Folder -Force).Name | Should -Be @('net.onnx')
    }

    It '-WhatIf writes nothing' {
        Export-Network -Network $Net -Path $File -WhatIf
        Test-Path -LiteralPath $File | Should -BeFalse
    }

    It 'rejects an unknown -Format' {
        { Export-Network -Network $Net -Path $File -Format Pickle } | Should -Throw -ErrorId "CannotConvertArgumentNoMessage,$Id"
    }

    It 'gives the same bytes for the same network' {
        Export-Network -Network $Net -Path $File
        $other = Join-Path $Folder 'again.onnx'
        Export-Network -Network $Net -Path $other
        (Get-FileHash $File).Hash | Should -Be (Get-FileHash $other).Hash
    }
}
