using System.Runtime.InteropServices;
using MnistTools.Errors;

namespace MnistTools.Files;

/// <summary>What a path names once symbolic links are followed.</summary>
public enum FileKind
{
    /// <summary>Nothing (also a link whose target does not exist).</summary>
    Missing,
    /// <summary>A regular file: the only kind the readers read and the writers replace.</summary>
    Regular,
    /// <summary>A folder.</summary>
    Directory,
    /// <summary>A character or block device, a FIFO (named pipe) or a socket.</summary>
    Special,
}

/// <summary>
/// The one rule for which paths are files: every reader reads, and every writer replaces, only a regular file (after
/// following symbolic links). A device such as /dev/zero never ends, a FIFO blocks the open until a writer comes, and
/// replacing a device node with -Force would turn /dev/null into a file; all of them are refused with
/// <see cref="ErrorIds.PathNotRegularFile"/> before anything is opened.
/// </summary>
public static class RegularFile
{
    /// <summary>The kind of <paramref name="path"/>, links followed. Never throws for I/O reasons: a path that cannot be examined (missing, a dangling link, a folder on the way without search permission) is Missing.</summary>
    public static FileKind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux() && Libc.TryMode(path, out int? mode))
        {
            return mode is null ? FileKind.Missing : (mode.Value & Libc.TypeMask) switch
            {
                Libc.Regular => FileKind.Regular,
                Libc.Folder => FileKind.Directory,
                _ => FileKind.Special,
            };
        }
        // Elsewhere (and when statx is unavailable) .NET's own view: it cannot tell a device from a file.
        if (Directory.Exists(path)) return FileKind.Directory;
        return File.Exists(path) ? FileKind.Regular : FileKind.Missing;
    }

    /// <summary>
    /// For a reader: throws <see cref="ErrorIds.PathNotRegularFile"/> when <paramref name="path"/> is a device, FIFO or socket.
    /// Returns the kind otherwise (Missing, Regular or Directory, which the caller reports with its own id).
    /// </summary>
    public static FileKind CheckReadable(string path)
    {
        FileKind kind = KindOf(path);
        if (kind == FileKind.Special) throw NotRegular(path, "read");
        return kind;
    }

    /// <summary>
    /// For a writer about to replace <paramref name="path"/>: throws <see cref="ErrorIds.PathIsDirectory"/> for a folder and
    /// <see cref="ErrorIds.PathNotRegularFile"/> for a device, FIFO or socket (a link to one included), whatever -Force says.
    /// </summary>
    public static void CheckReplaceable(string path)
    {
        switch (KindOf(path))
        {
            case FileKind.Directory:
                throw new MnistToolsException(ErrorIds.PathIsDirectory, FailureKind.InvalidArgument, $"'{path}' is a folder; a file path was expected.", path);
            case FileKind.Special:
                throw NotRegular(path, "replace");
        }
    }

    /// <summary>
    /// Opens a regular file for reading: <see cref="ErrorIds.PathNotRegularFile"/> for a device, FIFO or socket, else the
    /// <see cref="FileStream"/> (its own exceptions for a missing or unreadable file, a folder included).
    /// </summary>
    public static FileStream OpenRead(string path, int bufferSize = 1 << 16)
    {
        CheckReadable(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
    }

    /// <summary>The <see cref="ErrorIds.PathNotRegularFile"/> failure for <paramref name="path"/>; <paramref name="verb"/> says what was refused ("read", "replace").</summary>
    public static MnistToolsException NotRegular(string path, string verb) =>
        new(ErrorIds.PathNotRegularFile, FailureKind.InvalidArgument,
            $"'{path}' is not a regular file (a device, a named pipe or a socket, or a link to one); MnistTools does not {verb} it. Copy the data into a file first.", path);

    /// <summary>
    /// <paramref name="path"/> made absolute with every symbolic link in it resolved (realpath(3)), or null when it
    /// does not exist. Two paths name the same file or folder when their real paths are equal. Off Linux: the full path
    /// with the last component's link resolved.
    /// </summary>
    public static string? RealPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux() && Libc.TryRealPath(path, out string? real)) return real;
        string full = Path.GetFullPath(path);
        try
        {
            FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
            if (!info.Exists) return null;
            return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies under it (both real paths).</summary>
    public static bool IsWithin(string path, string folder)
    {
        string root = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        return path == folder || path.StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>
    /// libc's statx(2) (the file type bits, links followed; its struct layout is the same on every architecture) and
    /// realpath(3).
    /// </summary>
    private static unsafe class Libc
    {
        public const int TypeMask = 0xF000, Regular = 0x8000, Folder = 0x4000;
        private const int AtFdCwd = -100, TypeAndMode = 0x3, ModeOffset = 28, StructSize = 256;

        private static readonly delegate* unmanaged<int, byte*, int, uint, byte*, int> StatxFunction = (delegate* unmanaged<int, byte*, int, uint, byte*, int>)Export("statx");
        private static readonly delegate* unmanaged<byte*, byte*, byte*> RealPathFunction = (delegate* unmanaged<byte*, byte*, byte*>)Export("realpath");
        private static readonly delegate* unmanaged<byte*, void> FreeFunction = (delegate* unmanaged<byte*, void>)Export("free");

        private static IntPtr Export(string function)
        {
            foreach (string name in new[] { "libc.so.6", "libc" })
                if (NativeLibrary.TryLoad(name, out IntPtr library) && NativeLibrary.TryGetExport(library, function, out IntPtr address))
                    return address;
            return IntPtr.Zero;
        }

        /// <summary>False when statx is missing; true with null when the path cannot be examined (it does not exist, a dangling link).</summary>
        public static bool TryMode(string path, out int? mode)
        {
            mode = null;
            if (StatxFunction == null) return false;
            byte* buffer = stackalloc byte[StructSize];
            fixed (byte* name = NullTerminated(path))
            {
                if (StatxFunction(AtFdCwd, name, 0, TypeAndMode, buffer) != 0) return true;
            }
            mode = *(ushort*)(buffer + ModeOffset);
            return true;
        }

        /// <summary>False when realpath is missing; true with null when the path does not resolve.</summary>
        public static bool TryRealPath(string path, out string? real)
        {
            real = null;
            if (RealPathFunction == null || FreeFunction == null) return false;
            fixed (byte* name = NullTerminated(path))
            {
                byte* result = RealPathFunction(name, null);
                if (result == null) return true;
                real = Marshal.PtrToStringUTF8((IntPtr)result);
                FreeFunction(result);
            }
            return true;
        }

        private static byte[] NullTerminated(string path)
        {
            byte[] bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
            System.Text.Encoding.UTF8.GetBytes(path, bytes);
            return bytes;
        }
    }
}
