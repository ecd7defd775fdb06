# about_MnistTools: found by Get-Help, standard layout, lines of at most 80 characters, every cmdlet named.
BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    $script:Cmdlets = @((Get-Module MnistTools).ExportedCmdlets.Keys)
    $script:File = Join-Path (Split-Path $env:MNISTTOOLS_MODULE) 'en-US/about_MnistTools.help.txt'
    $script:Lines = @(Get-Content -LiteralPath $File)
}

Describe 'about_MnistTools' {
    It 'is shown by Get-Help' {
        $text = Get-Help about_MnistTools | Out-String
        $text | Should -Match 'about_MnistTools'
        $text | Should -Match 'LONG DESCRIPTION'
    }

    It 'has the standard sections, in order' {
        $sections = @($Lines | Where-Object { $_ -match '^[A-Z][A-Z ]+$' })
        $sections | Should -Be @('TOPIC', 'SHORT DESCRIPTION', 'LONG DESCRIPTION', 'EXAMPLES', 'SEE ALSO')
    }

    It 'keeps every line within 80 characters' {
        $long = for ($i = 0; $i -lt $Lines.Count; $i++) { if ($Lines[$i].Length -gt 80) { "line $($i + 1): $($Lines[$i].Length)" } }
        $long | Should -BeNullOrEmpty
    }

    It 'names every cmdlet in SEE ALSO' {
        $seeAlso = $Lines[([array]::IndexOf($Lines, 'SEE ALSO') + 1)..($Lines.Count - 1)] | ForEach-Object Trim
        foreach ($name in $Cmdlets) { $seeAlso | Should -Contain $name -Because "SEE ALSO should list $name" }
    }

    It 'explains the concepts, the data, the file formats, thread safety and seeds' {
        $text = $Lines -join "`n"
        foreach ($topic in 'ReLU', 'Softmax', 'CrossEntropy', 'Xavier', 'Adam', 'epoch', 'learning rate', 'accuracy',
            'MNIST_DATA', 'Fashion-MNIST', 'IDX', 'safetensors', 'ONNX', 'one runspace at a time', 'seed') {
            $text | Should -Match ([regex]::Escape($topic)) -Because "about_MnistTools should explain '$topic'"
        }
    }
}
