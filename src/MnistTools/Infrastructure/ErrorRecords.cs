using System.Management.Automation;
using MnistTools.Errors;

namespace MnistTools.Infrastructure;

/// <summary>
/// The one way the cmdlets build an ErrorRecord: from a <see cref="MnistToolsException"/>, whose ErrorId becomes the
/// record's id, whose <see cref="FailureKind"/> gives the category (<see cref="ToCategory"/>) and whose Target the target.
/// A cmdlet that detects a failure itself throws or passes such an exception too.
/// </summary>
internal static class ErrorRecords
{
    /// <summary>The one rule from a failure kind to a PowerShell error category.</summary>
    public static ErrorCategory ToCategory(FailureKind kind) => kind switch
    {
        FailureKind.NotFound => ErrorCategory.ObjectNotFound,
        FailureKind.InvalidData => ErrorCategory.InvalidData,
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.InvalidResult => ErrorCategory.InvalidResult,
        FailureKind.ReadWrite => ErrorCategory.ReadError,
        FailureKind.Write => ErrorCategory.WriteError,
        FailureKind.AlreadyExists => ErrorCategory.ResourceExists,
        FailureKind.Busy => ErrorCategory.ResourceBusy,
        FailureKind.Unavailable => ErrorCategory.ResourceUnavailable,
        FailureKind.Connection => ErrorCategory.ConnectionError,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>The record for a failure: its ErrorId, the category of its Kind, and its Target.</summary>
    public static ErrorRecord From(MnistToolsException exception) =>
        new(exception, exception.ErrorId, ToCategory(exception.Kind), exception.Target);
}
