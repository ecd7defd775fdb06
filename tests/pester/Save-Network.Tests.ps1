# Save-Network: atomic, no-clobber without -Force, -WhatIf writes nothing, metadata, error ids.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    $script:Net = New-Network -LayerSizes 784, 16, 10 -Activation ReLU -OutputActivation Softmax -Loss CrossEntropy -Seed 1
    $script:Id = 'MnistTools.Commands.SaveNetworkCommand'
    function Get-Sha([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash }
    # The exact bits of a float[] as text, so that -Be compares bit for bit (NaN and -0 included).
    function ConvertTo-Bits([float[]] $Values) {
        $bytes = [byte[]]::new(4 * $Values.Length)
        [Buffer]::BlockCopy($Values, 0, $bytes, 0, $bytes.Length)
        [Convert]::ToBase64String($bytes)
    }
}

Describe 'Save-Network' {
    BeforeEach {
        $script:Folder = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $Folder | Out-Null
        $script:File = Join-Path $Folder 'net.safetensors'
    }

    It 'writes a file that Import-Network reads back bit for bit' {
        Save-Network -Network $Net -Path $File
        $back = Import-Network -Path $File
        $back.LayerSizes | Should -Be @(784, 16, 10)
        $back.Activation | Should -Be 'ReLU'
        $back.Seed | Should -Be 1
        ConvertTo-Bits $back.GetParameters() | Should -Be (ConvertTo-Bits $Net.GetParameters())
    }

    It 'takes the network from the pipeline and writes the file with -PassThru' {
        $info = $Net | Save-Network -Path $File -PassThru
        $info | Should -BeOfType ([System.IO.FileInfo])
        $info.FullName | Should -Be $File
        $info.Length | Should -BeGreaterThan (4 * $Net.ParameterCount)
        # Through the provider, like Get-ChildItem: the default file view has its columns.
        $info.PSProvider.Name | Should -Be 'FileSystem'
        $info.PSParentPath | Should -Not -BeNullOrEmpty
    }

    It 'writes nothing without -PassThru' {
        Save-Network -Network $Net -Path $File | Should -BeNullOrEmpty
        Test-Path -LiteralPath $File | Should -BeTrue
    }

    It 'refuses to overwrite an existing file without -Force, and keeps it' {
        Set-Content -LiteralPath $File -Value 'precious'
        $before = Get-Sha $File
        Save-Network -Network $Net -Path $File -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -Be "FileExists,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].TargetObject | Should -Be $File
        Get-Sha $File | Should -Be $before
    }

    It 'overwrites with -Force' {
        Set-Content -LiteralPath $File -Value 'old'
        Save-Network -Network $Net -Path $File -Force
        (Import-Network -Path $File).ParameterCount | Should -Be $Net.ParameterCount
    }

    It '-WhatIf writes nothing, new file or existing' {
        Save-Network -Network $Net -Path $File -WhatIf
        Test-Path -LiteralPath $File | Should -BeFalse
        Set-Content -LiteralPath $File -Value 'old'
        $before = Get-Sha $File
        Save-Network -Network $Net -Path $File -Force -WhatIf
        Get-Sha $File | Should -Be $before
        @(Get-ChildItem -LiteralPath $Folder -Force) | Should -HaveCount 1
    }

    It 'leaves no temporary file behind' {
        Save-Network -Network $Net -Path $File
        Save-Network -Network $Net -Path $File -Force
        @(Get-ChildItem -LiteralPath $Folder -Force).Name | Should -Be @('net.safetensors')
    }

    It 'stores -Metadata (invariant culture) next to the network''s own metadata' {
        $Net.Metadata['DataSet'] = 'mnist-train'
        try {
            Save-Network -Network $Net -Path $File -Metadata @{ TestAccuracy = 0.9731; Note = 'first try' }
        }
        finally { $Net.Metadata.Remove('DataSet') | Out-Null }
        $back = Import-Network -Path $File
        $back.Metadata['TestAccuracy'] | Should -Be '0.9731'
        $back.Metadata['Note'] | Should -Be 'first try'
        $back.Metadata['DataSet'] | Should -Be 'mnist-train'
        $Net.Metadata.ContainsKey('TestAccuracy') | Should -BeFalse
    }

    It 'accepts an ordered dictionary as -Metadata and refuses an empty key' {
        Save-Network -Network $Net -Path $File -Metadata ([ordered]@{ Epochs = 3 })
        (Import-Network -Path $File).Metadata['Epochs'] | Should -Be '3'
        Save-Network -Network $Net -Path $File -Force -Metadata @{ '' = 1 } -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "MetadataKeyEmpty,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'writes names with wildcard characters through -LiteralPath' {
        $odd = Join-Path $Folder 'net[1].safetensors'
        Save-Network -Network $Net -LiteralPath $odd
        Test-Path -LiteralPath $odd | Should -BeTrue
        (Import-Network -LiteralPath $odd).ParameterCount | Should -Be $Net.ParameterCount
    }

    It 'resolves relative paths against the current location' {
        Push-Location $Folder
        try { Save-Network -Network $Net -Path ./relative.safetensors }
        finally { Pop-Location }
        Test-Path -LiteralPath (Join-Path $Folder 'relative.safetensors') | Should -BeTrue
    }

    It 'reports a missing folder as ObjectNotFound' {
        $target = Join-Path $Folder 'no/such/folder/net.safetensors'
        Save-Network -Network $Net -Path $target -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "FolderNotFound,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'refuses a folder as the target' {
        Save-Network -Network $Net -Path $Folder -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "PathIsDirectory,$Id"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a non-file-system path' {
        Save-Network -Network $Net -Path 'Env:/net' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be "PathNotFileSystem,$Id"
    }

    It 'requires a network' {
        { Save-Network -Network $null -Path $File } | Should -Throw -ErrorId "ParameterArgumentValidationError,$Id"
    }
}
