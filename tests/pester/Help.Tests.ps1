# Every exported cmdlet has written help (not auto-generated) and every example in it runs.
BeforeDiscovery {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    $script:Cmdlets = @((Get-Module MnistTools).ExportedCmdlets.Keys | Sort-Object)
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    # Examples as test cases: one per (cmdlet, example).
    $script:Examples = foreach ($name in $Cmdlets) {
        $help = Get-Help $name -Full
        $i = 0
        foreach ($example in @($help.examples.example)) {
            $i++
            if ($example) { @{ Cmdlet = $name; Number = $i; Code = [string]$example.code } }
        }
    }
}

BeforeAll {
    Import-Module $env:MNISTTOOLS_MODULE -Force
    $script:Common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'Help for <_>' -ForEach $Cmdlets {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
    }

    It 'is written, not auto-generated' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Auto-generated help repeats the syntax as the synopsis and has no description.
        $help.Synopsis.Trim() | Should -Not -BeLike "$name *"
        ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $parameters = (Get-Command $name).Parameters.Keys | Where-Object { $_ -notin $Common }
        foreach ($parameter in $parameters) {
            $entry = $help.parameters.parameter | Where-Object Name -EQ $parameter
            $entry | Should -Not -BeNullOrEmpty -Because "-$parameter of $name needs help"
            ($entry.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$parameter of $name needs a description"
        }
    }

    It 'has at least two explained examples' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.examples.example) {
            $example.code | Should -Not -BeNullOrEmpty
            ($example.remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'names its inputs, outputs and related links' {
        $help.inputTypes | Should -Not -BeNullOrEmpty
        $help.returnValues | Should -Not -BeNullOrEmpty
        @($help.relatedLinks.navigationLink).Count | Should -BeGreaterThan 0
    }
}

Describe 'Help example <Number> of <Cmdlet>' -ForEach $Examples {
    It 'runs without error against the real data' {
        $folder = Join-Path ([IO.Path]::GetTempPath()) ("mnisttools-example-" + [guid]::NewGuid())
        New-Item -ItemType Directory -Path $folder | Out-Null
        Push-Location $folder
        try {
            $Error.Clear()
            $null = & ([scriptblock]::Create($Code)) *>&1 | Out-String
            # Non-terminating errors count too.
            $Error | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | Should -BeNullOrEmpty
        }
        finally {
            Pop-Location
            Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue
        }
    }
}
