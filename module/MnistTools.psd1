@{
    RootModule             = 'MnistTools.dll'
    ModuleVersion          = '0.1.0'
    CompatiblePSEditions   = @('Core')
    GUID                   = '5b6f3c1e-8a7d-4f0e-9a3b-2d41c7e9b8a1'
    Author                 = 'MnistTools contributors'
    CompanyName            = 'MnistTools'
    Copyright              = '(c) MnistTools contributors. MIT License.'
    Description            = 'Load MNIST-style image data, build, train, test and use feed-forward neural networks from PowerShell, with objects on the pipeline.'
    PowerShellVersion      = '7.4'
    # Imported before the root module: puts the dependencies (dependencies/*) in their own AssemblyLoadContext.
    NestedModules          = @('MnistTools.Loader.dll')
    # How Network, TestResult and MnistDataSet cross process boundaries (jobs, remoting, Export-Clixml).
    TypesToProcess         = @('types/MnistTools.Types.ps1xml')
    FormatsToProcess       = @(
        'formats/MnistTools.Data.Format.ps1xml'
        'formats/MnistTools.Network.Format.ps1xml'
    )
    CmdletsToExport        = @(
        'Save-MnistSet'
        'Import-MnistSet'
        'Export-MnistSet'
        'Get-MnistImage'
        'Show-MnistImage'
        'New-Network'
        'Invoke-Training'
        'Test-Network'
        'Get-Classification'
        'Save-Network'
        'Import-Network'
        'Export-Network'
        'Export-MnistImage'
        'ConvertTo-MnistImage'
        'Export-TrainingChart'
        'Export-ConfusionMatrix'
        'Export-NetworkWeights'
        'Export-FeatureMap'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('MNIST', 'NeuralNetwork', 'MachineLearning', 'DeepLearning', 'Backpropagation', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ProjectUri   = 'https://github.com/mnisttools/MnistTools'
        }
    }
}
