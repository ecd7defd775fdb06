namespace MnistTools;

/// <summary>What kind of failure a <see cref="MnistToolsException"/> reports; the cmdlets map it to an ErrorCategory.</summary>
public enum FailureKind
{
    /// <summary>A file or folder does not exist.</summary>
    NotFound,
    /// <summary>A file exists but its content is wrong: bad magic, bad header, truncated, corrupt.</summary>
    InvalidData,
    /// <summary>A caller-supplied value is out of range or inconsistent.</summary>
    InvalidArgument,
    /// <summary>A computation failed (for example training diverged).</summary>
    InvalidResult,
    /// <summary>Reading failed for an I/O reason.</summary>
    ReadWrite,
    /// <summary>Writing failed for an I/O reason.</summary>
    Write,
    /// <summary>The target already exists and may not be replaced (no -Force).</summary>
    AlreadyExists,
    /// <summary>The object is in use by another thread (a network being trained in another runspace).</summary>
    Busy,
}

/// <summary>
/// The one exception type the core throws for bad input. Everything else escaping the core is a bug.
/// <see cref="ErrorId"/> is stable and becomes the FullyQualifiedErrorId prefix in PowerShell.
/// </summary>
public sealed class MnistToolsException : Exception
{
    public MnistToolsException(string errorId, FailureKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    /// <summary>A stable identifier such as <c>IdxBadMagic</c>.</summary>
    public string ErrorId { get; }

    public FailureKind Kind { get; }

    /// <summary>The file, parameter or object the failure is about.</summary>
    public object? Target { get; }
}
