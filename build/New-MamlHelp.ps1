#Requires -Version 7.4
<#
.SYNOPSIS
    Generates the module's MAML help (en-US/MnistTools.dll-Help.xml) from docs/help/<Cmdlet>.md.
.DESCRIPTION
    One source of truth: the markdown files hold the prose (synopsis, description, parameter
    descriptions, examples, inputs, outputs, notes, links); the built module itself supplies the
    syntax (parameter sets, types, positions, pipeline binding, aliases). Run by build.ps1 in a
    fresh pwsh after the module is laid out. platyPS is not used (it is not served here).

    Markdown shape (platyPS-like):
        # Verb-Noun
        ## SYNOPSIS / ## DESCRIPTION / ## PARAMETERS (### -Name + text) / ## EXAMPLES
        (### Example N: title, a ```powershell fenced block, then the explanation) / ## INPUTS and
        ## OUTPUTS (### TypeName + text) / ## NOTES / ## RELATED LINKS (- Name or - [Text](uri))
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $HelpSource,
    [Parameter(Mandatory)][string] $OutFile
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$module = Import-Module $ModulePath -PassThru
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

function Read-HelpMarkdown([string] $Path) {
    # Returns @{ Name; Sections = @{ NAME = @(lines) } }, splitting on '## ' headings.
    $lines = Get-Content -LiteralPath $Path
    $doc = @{ Name = $null; Sections = [ordered]@{} }
    $current = $null
    $inFence = $false
    foreach ($line in $lines) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^# (\S+)\s*$') { $doc.Name = $Matches[1]; continue }
        if (-not $inFence -and $line -match '^## (.+?)\s*$') { $current = $Matches[1].ToUpperInvariant(); $doc.Sections[$current] = [System.Collections.Generic.List[string]]::new(); continue }
        if ($current) { $doc.Sections[$current].Add($line) }
    }
    return $doc
}

function Split-Subsections($Lines) {
    # '### Title' blocks inside a section -> ordered @{ Title = lines }
    $result = [ordered]@{}
    $current = $null
    $inFence = $false
    foreach ($line in @($Lines)) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^### (.+?)\s*$') { $current = $Matches[1]; $result[$current] = [System.Collections.Generic.List[string]]::new(); continue }
        if ($current) { $result[$current].Add($line) }
    }
    return $result
}

function Get-Paragraphs($Lines) {
    # Blank-line separated paragraphs, lines joined with spaces; list items kept as their own paragraphs.
    $paras = [System.Collections.Generic.List[string]]::new()
    $buffer = [System.Collections.Generic.List[string]]::new()
    foreach ($line in @($Lines)) {
        if ([string]::IsNullOrWhiteSpace($line)) {
            if ($buffer.Count) { $paras.Add(($buffer -join ' ')); $buffer.Clear() }
        }
        elseif ($line -match '^\s*[-*] ') {
            if ($buffer.Count) { $paras.Add(($buffer -join ' ')); $buffer.Clear() }
            $buffer.Add($line.Trim())
        }
        else { $buffer.Add($line.Trim()) }
    }
    if ($buffer.Count) { $paras.Add(($buffer -join ' ')) }
    return , $paras
}

function Write-Paras([System.Xml.XmlWriter] $w, $Lines) {
    $w.WriteStartElement('maml', 'description', $ns.maml)
    foreach ($p in (Get-Paragraphs $Lines)) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
    $w.WriteEndElement()
}

function Get-TypeName([type] $t) {
    if ($t.IsGenericType -and $t.GetGenericTypeDefinition() -eq [Nullable`1]) { $t = $t.GetGenericArguments()[0] }
    return $t.FullName
}

function Write-Parameter([System.Xml.XmlWriter] $w, $param, $setData, [hashtable] $descriptions) {
    $isSwitch = $param.ParameterType -eq [switch]
    $pipeline = @()
    if ($setData.ValueFromPipeline) { $pipeline += 'ByValue' }
    if ($setData.ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
    $w.WriteStartElement('command', 'parameter', $ns.command)
    $w.WriteAttributeString('required', $setData.IsMandatory.ToString().ToLowerInvariant())
    $w.WriteAttributeString('variableLength', $param.ParameterType.IsArray.ToString().ToLowerInvariant())
    $w.WriteAttributeString('globbing', ($param.Name -eq 'Path').ToString().ToLowerInvariant())
    $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $w.WriteAttributeString('position', $(if ($setData.Position -ge 0) { "$($setData.Position)" } else { 'named' }))
    $w.WriteAttributeString('aliases', $(if ($param.Aliases.Count) { $param.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $ns.maml, $param.Name)
    Write-Paras $w $descriptions["-$($param.Name)"]
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $ns.command)
        $w.WriteAttributeString('required', 'true')
        $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($param.ParameterType.Name)
        $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $ns.dev)
    $w.WriteElementString('maml', 'name', $ns.maml, (Get-TypeName $param.ParameterType))
    $w.WriteEndElement()
    $w.WriteElementString('dev', 'defaultValue', $ns.dev, 'None')
    $w.WriteEndElement()
}

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
New-Item -ItemType Directory -Force -Path (Split-Path $OutFile) | Out-Null
$temp = "$OutFile.tmp"
$w = [System.Xml.XmlWriter]::Create($temp, $settings)
$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
$w.WriteAttributeString('xmlns', 'command', $null, $ns.command)
$w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)

$written = 0
foreach ($cmd in ($module.ExportedCmdlets.Values | Sort-Object Name)) {
    $file = Join-Path $HelpSource "$($cmd.Name).md"
    if (-not (Test-Path -LiteralPath $file)) { Write-Warning "No help source for $($cmd.Name) ($file)."; continue }
    $doc = Read-HelpMarkdown $file
    if ($doc.Name -ne $cmd.Name) { throw "$file is titled '$($doc.Name)', expected '# $($cmd.Name)'." }
    $s = $doc.Sections
    $paramText = @{}
    if ($s.Contains('PARAMETERS')) { foreach ($e in (Split-Subsections $s['PARAMETERS']).GetEnumerator()) { $paramText[$e.Key] = $e.Value } }

    $w.WriteStartElement('command', 'command', $ns.command)
    $w.WriteStartElement('command', 'details', $ns.command)
    $w.WriteElementString('command', 'name', $ns.command, $cmd.Name)
    $w.WriteElementString('command', 'verb', $ns.command, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $ns.command, $cmd.Noun)
    Write-Paras $w $(if ($s.Contains('SYNOPSIS')) { $s['SYNOPSIS'] } else { @() })
    $w.WriteEndElement()
    Write-Paras $w $(if ($s.Contains('DESCRIPTION')) { $s['DESCRIPTION'] } else { @() })

    # Syntax: one item per parameter set, from the cmdlet's own metadata.
    $w.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $ns.command)
        $w.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
        foreach ($p in $set.Parameters) {
            if ($p.Name -in $common) { continue }
            $full = $cmd.Parameters[$p.Name]
            Write-Parameter $w $full $p $paramText
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    # Parameters: each once, with the attributes of its first parameter set.
    $w.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in ($cmd.Parameters.Values | Where-Object { $_.Name -notin $common } | Sort-Object Name)) {
        $setData = @($p.ParameterSets.Values)[0]
        Write-Parameter $w $p $setData $paramText
    }
    $w.WriteEndElement()

    foreach ($kind in @(@('INPUTS', 'inputTypes', 'inputType'), @('OUTPUTS', 'returnValues', 'returnValue'))) {
        if (-not $s.Contains($kind[0])) { continue }
        $w.WriteStartElement('command', $kind[1], $ns.command)
        foreach ($e in (Split-Subsections $s[$kind[0]]).GetEnumerator()) {
            $w.WriteStartElement('command', $kind[2], $ns.command)
            $w.WriteStartElement('dev', 'type', $ns.dev)
            $w.WriteElementString('maml', 'name', $ns.maml, $e.Key)
            $w.WriteEndElement()
            Write-Paras $w $e.Value
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    if ($s.Contains('NOTES')) {
        $w.WriteStartElement('maml', 'alertSet', $ns.maml)
        $w.WriteStartElement('maml', 'alert', $ns.maml)
        foreach ($p in (Get-Paragraphs $s['NOTES'])) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }

    if ($s.Contains('EXAMPLES')) {
        $w.WriteStartElement('command', 'examples', $ns.command)
        foreach ($e in (Split-Subsections $s['EXAMPLES']).GetEnumerator()) {
            $code = [System.Collections.Generic.List[string]]::new()
            $remarks = [System.Collections.Generic.List[string]]::new()
            $state = 'before'
            foreach ($line in $e.Value) {
                if ($line -match '^```') { $state = if ($state -eq 'before') { 'code' } else { 'after' }; continue }
                if ($state -eq 'code') { $code.Add($line) } elseif ($state -eq 'after') { $remarks.Add($line) }
            }
            $w.WriteStartElement('command', 'example', $ns.command)
            $w.WriteElementString('maml', 'title', $ns.maml, "-------------------------- $($e.Key) --------------------------")
            $w.WriteElementString('dev', 'code', $ns.dev, ($code -join "`n"))
            $w.WriteStartElement('dev', 'remarks', $ns.dev)
            foreach ($p in (Get-Paragraphs $remarks)) { $w.WriteElementString('maml', 'para', $ns.maml, $p) }
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'relatedLinks', $ns.command)
    if ($s.Contains('RELATED LINKS')) {
        foreach ($line in $s['RELATED LINKS']) {
            $text = $null; $uri = ''
            if ($line -match '^\s*[-*]\s*\[(.+?)\]\((.*?)\)') { $text = $Matches[1]; $uri = $Matches[2] }
            elseif ($line -match '^\s*[-*]\s*(\S.*?)\s*$') { $text = $Matches[1] }
            if (-not $text) { continue }
            $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
            $w.WriteElementString('maml', 'linkText', $ns.maml, $text)
            $w.WriteElementString('maml', 'uri', $ns.maml, $uri)
            $w.WriteEndElement()
        }
    }
    $w.WriteEndElement()

    $w.WriteEndElement() # command:command
    $written++
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Dispose()
Move-Item -LiteralPath $temp -Destination $OutFile -Force
Write-Host "help: $written cmdlet(s) documented in $OutFile"
