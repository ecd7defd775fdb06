#Requires -Version 7.4
<#
.SYNOPSIS
    The front door of the MnistTools build: one named task per call.
.DESCRIPTION
    bootstrap  restore the build-time tools (Pester from NuGet into ./.tools, nothing global)
    build      compile and lay out the importable module in ./out/MnistTools from an explicit file list
    test       xunit, then Pester in a fresh pwsh against the built module; ends with "N passed, N failed". The data comes
               from $env:MNIST_DATA and $env:FASHION_MNIST_DATA, else ./data (downloaded there with Save-MnistSet when missing)
    demo       the main job: load MNIST, train and test a network
    bench      benchmarks (kernels and end-to-end training)
    fuzz       fuzz the file readers: AFL++ via SharpFuzz and the CsCheck mutation fuzzers, -Seconds per target; report in out/fuzz-report.txt
    package    the module as a .nupkg in ./out/package, installable with PSResourceGet
    clean      remove build output
    Each task runs what it depends on, so any task works on a fresh clone.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('bootstrap', 'build', 'test', 'demo', 'bench', 'package', 'clean', 'fuzz')]
    [string] $Task = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # test: also run the long stress tests (tagged/categorised 'Stress').
    [switch] $Stress,

    # bench: pass-through arguments for the benchmark program (e.g. '--filter', '*Gemm*').
    [string[]] $BenchArgs = @(),

    # fuzz: which fuzzers run: AFL++ via SharpFuzz (coverage-guided), the CsCheck mutation fuzzers, or both.
    [ValidateSet('Afl', 'CsCheck', 'Both')]
    [string] $FuzzEngine = 'Both',

    # fuzz: seconds per fuzz target and engine (AFL++: IDX images, IDX labels, CSV, network file, ONNX; CsCheck: IDX, network file
    # plain and with Adam state, ONNX).
    [ValidateRange(1, 86400)]
    [int] $Seconds = 100,

    # fuzz: PCG seed (CI uses fixed seeds; a long run should explore other inputs).
    [uint64] $Seed = [uint64][DateTime]::UtcNow.Ticks
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'MnistTools'
$ResultsDir = Join-Path $Out 'test-results'
$ToolsDir = Join-Path $Root '.tools'
$PesterVersion = '5.7.1'
$PesterManifest = Join-Path $ToolsDir "packages/pester/$PesterVersion/tools/Pester.psd1"
$Solution = Join-Path $Root 'MnistTools.sln'
$CmdletBin = Join-Path $Root "src/MnistTools/bin/$Configuration/net8.0"

# The shipped module, file by file: source -> path inside the module folder. A missing file fails the build.
$ModuleFiles = [ordered]@{
    "$Root/module/MnistTools.psd1"                          = 'MnistTools.psd1'
    "$Root/module/formats/MnistTools.Data.Format.ps1xml"    = 'formats/MnistTools.Data.Format.ps1xml'
    "$Root/module/formats/MnistTools.Network.Format.ps1xml" = 'formats/MnistTools.Network.Format.ps1xml'
    "$Root/module/types/MnistTools.Types.ps1xml"            = 'types/MnistTools.Types.ps1xml'
    "$Root/module/en-US/about_MnistTools.help.txt"          = 'en-US/about_MnistTools.help.txt'
    "$CmdletBin/MnistTools.dll"                             = 'MnistTools.dll'
    "$CmdletBin/MnistTools.Loader.dll"                      = 'MnistTools.Loader.dll'
    # Third-party dependencies (and the picture code that uses them) live in their own AssemblyLoadContext
    # (src/MnistTools.Loader), in a folder PowerShell does not probe: another module's versions cannot be picked up.
    # MnistTools.Core stays in the default context so that its types ([MnistTools.Network]...) resolve in scripts.
    "$CmdletBin/MnistTools.Core.dll"                        = 'MnistTools.Core.dll'
    "$CmdletBin/System.Numerics.Tensors.dll"                = 'dependencies/System.Numerics.Tensors.dll'
    "$CmdletBin/MnistTools.Imaging.dll"                     = 'dependencies/MnistTools.Imaging.dll'
    "$CmdletBin/SkiaSharp.dll"                              = 'dependencies/SkiaSharp.dll'
    "$CmdletBin/HarfBuzzSharp.dll"                          = 'dependencies/HarfBuzzSharp.dll'
    "$CmdletBin/SkiaSharp.HarfBuzz.dll"                     = 'dependencies/SkiaSharp.HarfBuzz.dll'
    "$CmdletBin/ScottPlot.dll"                              = 'dependencies/ScottPlot.dll'
    # CSV files of images: the reader and writer, and the CSV library they use (Sep, whose 0.x API changes between versions).
    "$CmdletBin/MnistTools.Csv.dll"                         = 'dependencies/MnistTools.Csv.dll'
    "$CmdletBin/Sep.dll"                                    = 'dependencies/Sep.dll'
}
# The graphics library's native parts, as the SkiaSharp/HarfBuzzSharp packages lay them out; MnistTools.Imaging
# loads them from runtimes/<rid>/native itself (pwsh does not probe a module's runtimes folder).
foreach ($native in @(
        'linux-x64/native/libSkiaSharp.so', 'linux-x64/native/libHarfBuzzSharp.so'
        'linux-arm64/native/libSkiaSharp.so', 'linux-arm64/native/libHarfBuzzSharp.so'
        'linux-musl-x64/native/libSkiaSharp.so', 'linux-musl-x64/native/libHarfBuzzSharp.so'
        'win-x64/native/libSkiaSharp.dll', 'win-x64/native/libHarfBuzzSharp.dll'
        'win-arm64/native/libSkiaSharp.dll', 'win-arm64/native/libHarfBuzzSharp.dll'
        'osx/native/libSkiaSharp.dylib', 'osx/native/libHarfBuzzSharp.dylib')) {
    $ModuleFiles["$CmdletBin/runtimes/$native"] = "dependencies/runtimes/$native"
}

$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

function Invoke-Native {
    # Runs an external command and fails the task on a non-zero exit code.
    param([Parameter(Mandatory)][string] $What, [Parameter(Mandatory)][scriptblock] $Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Get-FreshPwsh {
    # A new pwsh process of the same version as this one (a loaded DLL cannot be unloaded, so tests and
    # the demo each get their own process). Under `dotnet pwsh` the host is dotnet + pwsh.dll.
    $dll = Join-Path $PSHOME 'pwsh.dll'
    $exe = [Environment]::ProcessPath
    if ((Split-Path -Leaf $exe) -match '^dotnet(\.exe)?$' -and (Test-Path $dll)) { return @($exe, $dll) }
    return @($exe)
}

function Invoke-FreshPwsh {
    param([Parameter(Mandatory)][string] $What, [Parameter(Mandatory)][string[]] $Arguments)
    $pwsh = @(Get-FreshPwsh)
    $rest = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments
    & $pwsh[0] @rest | Out-Host
    return $LASTEXITCODE
}

function Invoke-Bootstrap {
    if (Test-Path $PesterManifest) { return }
    Write-Host "bootstrap: restoring Pester $PesterVersion from NuGet into $ToolsDir"
    Invoke-Native 'Restoring build tools' {
        dotnet restore (Join-Path $Root 'build/bootstrap.csproj') --packages (Join-Path $ToolsDir 'packages') --verbosity quiet
    }
    if (-not (Test-Path $PesterManifest)) { throw "Pester was restored but $PesterManifest is missing." }
}

function Invoke-Build {
    Invoke-Bootstrap
    Write-Host "build: dotnet build $Configuration"
    Invoke-Native 'dotnet build' { dotnet build $Solution -c $Configuration --nologo --verbosity quiet }

    if (Test-Path $ModuleOut) { Remove-Item -Recurse -Force $ModuleOut }
    $missing = @($ModuleFiles.Keys | Where-Object { -not (Test-Path -LiteralPath $_ -PathType Leaf) })
    if ($missing) { throw "The module layout is missing: $($missing -join ', ')" }
    foreach ($source in $ModuleFiles.Keys) {
        $target = Join-Path $ModuleOut $ModuleFiles[$source]
        New-Item -ItemType Directory -Force -Path (Split-Path $target) | Out-Null
        Copy-Item -LiteralPath $source -Destination $target
    }
    # Help: MAML generated from docs/help/*.md plus the built cmdlets' own metadata.
    $helpFile = Join-Path $ModuleOut 'en-US/MnistTools.dll-Help.xml'
    $code = Invoke-FreshPwsh -What 'help' -Arguments @('-File', (Join-Path $Root 'build/New-MamlHelp.ps1'),
        '-ModulePath', (Join-Path $ModuleOut 'MnistTools.psd1'), '-HelpSource', (Join-Path $Root 'docs/help'), '-OutFile', $helpFile)
    if ($code -ne 0 -or -not (Test-Path $helpFile)) { throw "Generating the help failed (exit code $code)." }
    Write-Host "build: module laid out in $ModuleOut ($($ModuleFiles.Count) files + help)"
}

function Read-TrxCounts([string] $Path) {
    [xml] $trx = Get-Content -Raw -LiteralPath $Path
    $c = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Skipped = [int]$c.notExecuted }
}

function Initialize-TestData {
    # The tests read MNIST from $env:MNIST_DATA and Fashion-MNIST from $env:FASHION_MNIST_DATA. A variable that is not set
    # points at ./data/mnist or ./data/fashion-mnist, where Save-MnistSet (the built module, in a fresh pwsh) first
    # downloads the set when its four files are not there. Offline without the data: one message, and the task stops.
    $sets = @(
        @{ Variable = 'MNIST_DATA'; Name = 'Mnist'; Folder = Join-Path $Root 'data/mnist' }
        @{ Variable = 'FASHION_MNIST_DATA'; Name = 'FashionMnist'; Folder = Join-Path $Root 'data/fashion-mnist' }
    )
    $missing = @()
    foreach ($set in $sets) {
        $given = [Environment]::GetEnvironmentVariable($set.Variable)
        if ($given) {
            if (-not (Test-Path -LiteralPath $given -PathType Container)) { throw "test: `$env:$($set.Variable) = '$given' is not a folder." }
            continue
        }
        $have = @(Get-ChildItem -LiteralPath $set.Folder -Filter '*-idx?-ubyte.gz' -ErrorAction SilentlyContinue).Count -ge 4
        if (-not $have) {
            Write-Host "test: `$env:$($set.Variable) is not set and $($set.Folder) lacks the data: downloading it with Save-MnistSet -Name $($set.Name)"
            $log = Join-Path $Out "download-$($set.Name).log"
            $command = "Import-Module '$ModuleOut/MnistTools.psd1'; Save-MnistSet -Name $($set.Name) -Path '$($set.Folder)' -TimeoutSec 30 *> '$log'; " +
                "exit ([int](@(Get-ChildItem -LiteralPath '$($set.Folder)' -Filter '*-idx?-ubyte.gz' -ErrorAction SilentlyContinue).Count -lt 4))"
            $pwsh = @(Get-FreshPwsh)
            & $pwsh[0] @(@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $command)) | Out-Null
            if ($LASTEXITCODE -ne 0) { $missing += $set; continue }
            Write-Host "test: $($set.Name) saved in $($set.Folder)"
        }
        Set-Item -Path "Env:$($set.Variable)" -Value $set.Folder
    }
    # The ONNX import tests read PyTorch's exported models from $env:ONNX_MODELS, else ../shared/onnx beside the clone.
    if ($env:ONNX_MODELS) {
        if (-not (Test-Path -LiteralPath $env:ONNX_MODELS -PathType Container)) { throw "test: `$env:ONNX_MODELS = '$($env:ONNX_MODELS)' is not a folder." }
    }
    elseif (Test-Path -LiteralPath (Join-Path $Root '../shared/onnx') -PathType Container) {
        $env:ONNX_MODELS = (Resolve-Path -LiteralPath (Join-Path $Root '../shared/onnx')).Path
    }
    else {
        Write-Host ("test: cannot run: `$env:ONNX_MODELS is not set and $(Join-Path $Root '../shared/onnx') does not exist. " +
            "Set ONNX_MODELS to a folder holding the ONNX test models (mlp.onnx, lenet5.onnx, bncnn.onnx, bncnn_bn.onnx, " +
            "avgpool_view.onnx and their .expected.json).")
        exit 1
    }
    if ($missing) {
        $names = ($missing | ForEach-Object { $_.Variable }) -join ' and '
        $folders = ($missing | ForEach-Object { $_.Folder }) -join ', '
        Write-Host ("test: cannot run: $names not set, and the data could not be downloaded into $folders (offline?). " +
            "Set MNIST_DATA (and FASHION_MNIST_DATA) to folders holding the four .gz files of MNIST (and Fashion-MNIST), " +
            "or run once with internet access. Download log: $(Join-Path $Out 'download-*.log').")
        exit 1
    }
}

function Invoke-Test {
    Invoke-Build
    if (Test-Path $ResultsDir) { Remove-Item -Recurse -Force $ResultsDir }
    New-Item -ItemType Directory -Force -Path $ResultsDir | Out-Null
    Initialize-TestData

    $failures = @()
    $passed = 0; $failed = 0; $skipped = 0

    # 1. xunit (the core)
    $filter = if ($Stress) { 'Category!=Never' } else { 'Category!=Stress' }
    foreach ($project in @('tests/MnistTools.Core.Tests')) {
        $name = Split-Path -Leaf $project
        $trx = Join-Path $ResultsDir "$name.trx"
        Write-Host "test: xunit $name"
        dotnet test (Join-Path $Root $project) -c $Configuration --no-build --nologo --filter $filter `
            --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal' --results-directory $ResultsDir
        $code = $LASTEXITCODE
        if (Test-Path $trx) {
            $counts = Read-TrxCounts $trx
            $passed += $counts.Passed; $failed += $counts.Failed; $skipped += $counts.Skipped
            if ($code -ne 0 -and $counts.Failed -eq 0) { $failures += "$name exited $code"; $failed++ }
        }
        else { $failures += "$name produced no results (exit $code)"; $failed++ }
    }

    # 2. Pester (the cmdlets), in a fresh pwsh against the built module
    $pesterJson = Join-Path $ResultsDir 'pester.json'
    Write-Host 'test: Pester'
    $pesterArgs = @('-File', (Join-Path $Root 'tests/pester/Run-Pester.ps1'), '-PesterManifest', $PesterManifest,
        '-ModulePath', (Join-Path $ModuleOut 'MnistTools.psd1'), '-ResultFile', $pesterJson)
    if ($Stress) { $pesterArgs += '-Stress' }
    $code = Invoke-FreshPwsh -What 'Pester' -Arguments $pesterArgs
    if (Test-Path $pesterJson) {
        $p = Get-Content -Raw $pesterJson | ConvertFrom-Json
        $passed += $p.Passed; $failed += $p.Failed; $skipped += $p.Skipped
        if ($code -ne 0 -and $p.Failed -eq 0) { $failures += "Pester exited $code"; $failed++ }
    }
    else { $failures += "Pester produced no results (exit $code)"; $failed++ }

    foreach ($f in $failures) { Write-Host "test: $f" }
    $ok = ($failed -eq 0 -and $passed -gt 0)
    $line = "$passed passed, $failed failed"
    if ($skipped) { $line += ", $skipped skipped" }
    Write-Host $line
    if (-not $ok) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $code = Invoke-FreshPwsh -What 'demo' -Arguments @('-File', (Join-Path $Root 'build/demo.ps1'), '-ModulePath', (Join-Path $ModuleOut 'MnistTools.psd1'))
    if ($code -ne 0) { throw "The demo failed (exit code $code)." }
}

function Invoke-Bench {
    Invoke-Build
    $project = Join-Path $Root 'tests/MnistTools.Benchmarks'
    if (-not (Test-Path $project)) { throw 'No benchmark project yet (tests/MnistTools.Benchmarks).' }
    Invoke-Native 'benchmarks' { dotnet run --project $project -c Release -- @BenchArgs }
}

function Invoke-Fuzz {
    # 1. AFL++ (coverage-guided) through SharpFuzz: tests/MnistTools.Fuzz is built, MnistTools.Core.dll is instrumented
    #    with the sharpfuzz tool (.config/dotnet-tools.json), and afl-fuzz runs each target for -Seconds. afl++ comes
    #    from the system's package manager (apt-get install afl++, done here when missing and running as root).
    # 2. The CsCheck mutation fuzzers of the xunit suite with a time budget (-Seconds per target) and seed -Seed.
    # Report: out/fuzz-report.txt (executions, crashes, hangs per target).
    Invoke-Build
    $report = Join-Path $Out 'fuzz-report.txt'
    if (Test-Path $report) { Remove-Item $report }
    New-Item -ItemType Directory -Force -Path $Out | Out-Null

    if ($FuzzEngine -in 'Afl', 'Both') {
        if (-not (Get-Command afl-fuzz -ErrorAction SilentlyContinue) -and $IsLinux -and (& id -u) -eq '0') {
            Write-Host 'fuzz: installing afl++ (apt-get)'
            Invoke-Native 'apt-get install afl++' { apt-get install -y -qq afl++ | Out-Null }
        }
        if (-not (Get-Command afl-fuzz -ErrorAction SilentlyContinue)) { throw 'afl-fuzz is not available (install afl++), or run with -FuzzEngine CsCheck.' }
        $project = Join-Path $Root 'tests/MnistTools.Fuzz'
        $bin = Join-Path $project "bin/$Configuration/net10.0"
        Invoke-Native 'dotnet build (fuzz harness)' { dotnet build $project -c $Configuration --nologo --verbosity quiet }
        # A fresh, uninstrumented copy first (instrumenting is in place and must happen once), then the seed corpus.
        Copy-Item (Join-Path $Root "src/MnistTools.Core/bin/$Configuration/net8.0/MnistTools.Core.dll") $bin -Force
        Copy-Item (Join-Path $Root "src/MnistTools.Csv/bin/$Configuration/net8.0/MnistTools.Csv.dll") $bin -Force
        $work = Join-Path $Out 'afl'
        if (Test-Path $work) { Remove-Item -Recurse -Force $work }
        Invoke-Native 'writing seeds' { dotnet (Join-Path $bin 'MnistTools.Fuzz.dll') seeds --write-seeds (Join-Path $work 'seeds') }
        Invoke-Native 'sharpfuzz' { dotnet tool run sharpfuzz (Join-Path $bin 'MnistTools.Core.dll') }
        Invoke-Native 'sharpfuzz (CSV reader)' { dotnet tool run sharpfuzz (Join-Path $bin 'MnistTools.Csv.dll') }
        $env:AFL_SKIP_BIN_CHECK = '1'; $env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'; $env:AFL_SKIP_CPUFREQ = '1'
        $env:AFL_NO_AFFINITY = '1'; $env:AFL_NO_UI = '1'
        foreach ($target in 'idx-images', 'idx-labels', 'csv', 'network', 'onnx') {
            Write-Host "fuzz: afl-fuzz $target for $Seconds s"
            $findings = Join-Path $work "findings-$target"
            afl-fuzz -i (Join-Path $work "seeds/$target") -o $findings -t 10000 -m none -V $Seconds -- dotnet (Join-Path $bin 'MnistTools.Fuzz.dll') $target | Out-Null
            $stats = @{}
            foreach ($line in Get-Content (Join-Path $findings 'default/fuzzer_stats')) { $k, $v = $line -split '\s*:\s*', 2; $stats[$k] = $v }
            $crashes = @(Get-ChildItem (Join-Path $findings 'default/crashes') -File -ErrorAction SilentlyContinue | Where-Object Name -ne 'README.txt')
            $hangs = @(Get-ChildItem (Join-Path $findings 'default/hangs') -File -ErrorAction SilentlyContinue)
            $line = "AFL++ $target`: $($stats['execs_done']) executions in $Seconds s, corpus $($stats['corpus_count']), $($crashes.Count) crashes, $($hangs.Count) hangs (findings in $findings)"
            Add-Content -LiteralPath $report -Value $line
            Write-Host "fuzz: $line"
        }
    }

    if ($FuzzEngine -in 'CsCheck', 'Both') {
        $env:MNISTTOOLS_FUZZ_SECONDS = "$Seconds"
        $env:MNISTTOOLS_FUZZ_SEED = "$Seed"
        $env:MNISTTOOLS_FUZZ_REPORT = $report
        try {
            Write-Host "fuzz: CsCheck mutation fuzzers, $Seconds s per target, seed $Seed"
            Invoke-Native 'fuzz' {
                dotnet test (Join-Path $Root 'tests/MnistTools.Core.Tests') -c $Configuration --no-build --nologo --filter 'Category=Fuzz' `
                    --logger 'console;verbosity=minimal'
            }
        }
        finally { Remove-Item Env:MNISTTOOLS_FUZZ_SECONDS, Env:MNISTTOOLS_FUZZ_SEED, Env:MNISTTOOLS_FUZZ_REPORT -ErrorAction SilentlyContinue }
    }
    Write-Host 'fuzz: report'
    Get-Content $report | Where-Object { $_ -match 'AFL|in [0-9.]+ s$' } | Write-Host
}

function Invoke-Package {
    Invoke-Build
    $destination = Join-Path $Out 'package'
    if (Test-Path $destination) { Remove-Item -Recurse -Force $destination }
    New-Item -ItemType Directory -Force -Path $destination | Out-Null
    $command = "Compress-PSResource -Path '$ModuleOut' -DestinationPath '$destination' -ErrorAction Stop"
    $code = Invoke-FreshPwsh -What 'package' -Arguments @('-Command', $command)
    $package = @(Get-ChildItem -Path $destination -Filter 'MnistTools.*.nupkg')
    if ($code -ne 0 -or $package.Count -ne 1) { throw "Packaging failed (exit code $code)." }
    Write-Host "package: $($package[0].FullName)"
}

function Invoke-Clean {
    foreach ($dir in @($Out) + @(Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests') -Directory -Recurse -Include bin, obj | ForEach-Object FullName)) {
        if (Test-Path $dir) { Remove-Item -Recurse -Force $dir }
    }
    Write-Host 'clean: done'
}

Push-Location $Root
try {
    switch ($Task) {
        'bootstrap' { Invoke-Bootstrap }
        'build' { Invoke-Build }
        'test' { Invoke-Test }
        'demo' { Invoke-Demo }
        'bench' { Invoke-Bench }
        'package' { Invoke-Package }
        'fuzz' { Invoke-Fuzz }
        'clean' { Invoke-Clean }
    }
}
finally { Pop-Location }
