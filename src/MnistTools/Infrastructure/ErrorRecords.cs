using System.Management.Automation;

namespace MnistTools.Commands;

/// <summary>Builds ErrorRecords with stable ids, fitting categories and the offending target.</summary>
internal static class ErrorRecords
{
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
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>The record for a core failure: its ErrorId, mapped category and target.</summary>
    public static ErrorRecord From(MnistToolsException exception) =>
        new(exception, exception.ErrorId, ToCategory(exception.Kind), exception.Target);

    public static ErrorRecord Create(string errorId, ErrorCategory category, object? target, string message, Exception? inner = null) =>
        new(new MnistToolsException(errorId, FailureKind.InvalidArgument, message, target, inner), errorId, category, target);
}
