using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace MnistTools.Loader;

/// <summary>
/// Keeps the module's third-party dependencies (System.Numerics.Tensors, SkiaSharp, HarfBuzzSharp, ScottPlot) and the
/// picture code that uses them (MnistTools.Imaging) in their own AssemblyLoadContext, loaded from the module's
/// "dependencies" folder, which PowerShell does not probe. The graphics stack is then fully isolated: another module's
/// SkiaSharp or ScottPlot, loaded first or later, never meets ours. MnistTools.dll, MnistTools.Core and this loader stay
/// in the default context, because PowerShell resolves type names such as [MnistTools.Network] only there; the default
/// context reaches System.Numerics.Tensors through <see cref="ResolveFromDefault"/> (see docs/shell.md for what that
/// leaves open). The framework and PowerShell itself always come from the default context. See docs/shell.md ("Assembly isolation").
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _folder;

    private DependencyLoadContext(string folder) : base("MnistTools dependencies", isCollectible: false) => _folder = folder;

    /// <summary>The one context of the process (the module may be imported in many runspaces; each assembly loads once).</summary>
    internal static DependencyLoadContext Instance { get; } =
        new(Path.Combine(Path.GetDirectoryName(typeof(DependencyLoadContext).Assembly.Location) ?? ".", "dependencies"));

    /// <summary>A dependency shipped in the folder loads here; anything else (the framework) falls back to the default context.</summary>
    protected override Assembly? Load(AssemblyName name) =>
        Shipped(name) is string path ? LoadFromAssemblyPath(path) : null;

    /// <summary>The default context's last resort: MnistTools.dll's references to the shipped assemblies come from here.</summary>
    internal static Assembly? ResolveFromDefault(AssemblyLoadContext context, AssemblyName name) =>
        Instance.Shipped(name) is null ? null : Instance.LoadFromAssemblyName(name);

    private string? Shipped(AssemblyName name)
    {
        if (string.IsNullOrEmpty(name.Name)) return null;
        string path = Path.Combine(_folder, name.Name + ".dll");
        return File.Exists(path) ? path : null;
    }
}

/// <summary>Hooks <see cref="DependencyLoadContext"/> up when the loader is imported, before PowerShell inspects MnistTools.dll.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private static int s_registered;

    public void OnImport()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
            AssemblyLoadContext.Default.Resolving += DependencyLoadContext.ResolveFromDefault;
    }
}

/// <summary>
/// The assemblies of the dependency context, reachable from PowerShell for diagnostics and tests, which must use the
/// module's own copies of SkiaSharp and MnistTools.Imaging rather than load second copies into the default context:
/// <c>[MnistTools.Loader.Dependencies]::GetType('SkiaSharp', 'SkiaSharp.SKColors')</c>.
/// </summary>
public static class Dependencies
{
    public static Assembly Load(string assemblyName) => DependencyLoadContext.Instance.LoadFromAssemblyName(new AssemblyName(assemblyName));

    public static Type GetType(string assemblyName, string typeName) => Load(assemblyName).GetType(typeName, throwOnError: true)!;
}
