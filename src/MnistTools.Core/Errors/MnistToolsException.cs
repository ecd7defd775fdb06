namespace MnistTools.Errors;

/// <summary>
/// What kind of failure a <see cref="MnistToolsException"/> reports. The cmdlets map each kind to one PowerShell
/// ErrorCategory (the name in brackets), and to nothing else.
/// </summary>
public enum FailureKind
{
    /// <summary>A file or folder does not exist (ObjectNotFound).</summary>
    NotFound,
    /// <summary>A file exists but its content is wrong: bad magic, bad header, truncated, corrupt (InvalidData).</summary>
    InvalidData,
    /// <summary>A caller-supplied value is out of range or inconsistent (InvalidArgument).</summary>
    InvalidArgument,
    /// <summary>A computation failed, for example training diverged (InvalidResult).</summary>
    InvalidResult,
    /// <summary>Reading failed for an I/O reason (ReadError).</summary>
    ReadWrite,
    /// <summary>Writing failed for an I/O reason (WriteError).</summary>
    Write,
    /// <summary>The target already exists and may not be replaced without -Force (ResourceExists).</summary>
    AlreadyExists,
    /// <summary>The object is in use by another thread: a network being trained in another runspace (ResourceBusy).</summary>
    Busy,
    /// <summary>A library the operation needs cannot be loaded, such as the graphics library (ResourceUnavailable).</summary>
    Unavailable,
    /// <summary>A remote server could not be reached or did not deliver (ConnectionError).</summary>
    Connection,
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
