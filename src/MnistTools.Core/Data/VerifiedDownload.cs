using System.Net;
using System.Security.Cryptography;

namespace MnistTools.Data;

/// <summary>Why one attempt to fetch a file from one mirror failed.</summary>
public enum DownloadFailure
{
    /// <summary>HTTP error status, refused or dropped connection, timeout, short body.</summary>
    Transfer,
    /// <summary>The whole body arrived but its MD5 is not the expected one.</summary>
    Checksum,
}

/// <summary>
/// Fetches one URI into a temporary file beside the target while hashing it, and moves it into place only when
/// the MD5 matches. Nothing half-written is ever left: the temporary file is deleted on every failure.
/// Runs synchronously on the caller's thread (a cmdlet's pipeline thread), so progress can be reported from it.
/// </summary>
public sealed class VerifiedDownload
{
    /// <summary>No MNIST-style .gz file comes near this; a server sending more is refused, not trusted.</summary>
    public const long MaxBytes = 256L << 20;

    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;
    private readonly long _maxBytes;

    /// <param name="client">Shared client; its own Timeout is not relied on (see <paramref name="timeout"/>).</param>
    /// <param name="timeout">Limit for the response headers, and for each read of the body to make progress.</param>
    /// <param name="maxBytes">The largest body accepted (default <see cref="MaxBytes"/>; an archive may need more).</param>
    public VerifiedDownload(HttpClient client, TimeSpan timeout, long maxBytes = MaxBytes)
    {
        _client = client;
        _timeout = timeout;
        _maxBytes = maxBytes;
    }

    /// <summary>
    /// Downloads <paramref name="source"/> to <paramref name="target"/> (replacing it) if its MD5 is
    /// <paramref name="expectedMd5"/>. Returns null on success, else the failure kind and a one-line reason.
    /// Throws <see cref="OperationCanceledException"/> only when <paramref name="stop"/> is cancelled.
    /// </summary>
    public (DownloadFailure Kind, string Reason)? Fetch(Uri source, string target, string expectedMd5,
        Action<long, long?> progress, CancellationToken stop)
    {
        string folder = Path.GetDirectoryName(target)!;
        // A download killed mid-way (process killed, machine down) leaves its .partial behind: reclaim it now.
        MnistTools.Files.AtomicFile.CleanOrphans(target, ".partial");
        string temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.partial");
        bool moved = false;
        try
        {
            string actualMd5;
            using (var headerTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                headerTimeout.CancelAfter(_timeout);
                using var request = new HttpRequestMessage(HttpMethod.Get, source);
                using HttpResponseMessage response = _client.Send(request, HttpCompletionOption.ResponseHeadersRead, headerTimeout.Token);
                if (!response.IsSuccessStatusCode)
                    return (DownloadFailure.Transfer, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                long? length = response.Content.Headers.ContentLength;
                if (length > _maxBytes)
                    return (DownloadFailure.Transfer, $"the server announces {length} bytes, more than {_maxBytes} allowed");
                using Stream body = response.Content.ReadAsStream(headerTimeout.Token);
                using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                byte[] buffer = new byte[1 << 16];
                long received = 0;
                while (true)
                {
                    using var readTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    readTimeout.CancelAfter(_timeout);
                    int n = body.ReadAsync(buffer, readTimeout.Token).AsTask().GetAwaiter().GetResult();
                    if (n == 0) break;
                    received += n;
                    if (received > _maxBytes)
                        return (DownloadFailure.Transfer, $"the server sent more than {_maxBytes} bytes");
                    file.Write(buffer, 0, n);
                    md5.AppendData(buffer, 0, n);
                    progress(received, length);
                }
                if (length is long expected && received != expected)
                    return (DownloadFailure.Transfer, $"the body ended after {received} of {expected} bytes");
                file.Flush(flushToDisk: true);
                actualMd5 = Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant();
            }
            if (!string.Equals(actualMd5, expectedMd5, StringComparison.OrdinalIgnoreCase))
                return (DownloadFailure.Checksum, $"MD5 {actualMd5}, expected {expectedMd5}");
            File.Move(temp, target, overwrite: true);
            moved = true;
            return null;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return (DownloadFailure.Transfer, $"no progress within {_timeout.TotalSeconds:0.#} s (timeout)");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or WebException)
        {
            return (DownloadFailure.Transfer, Flatten(e));
        }
        finally
        {
            if (!moved) TryDelete(temp);
        }
    }

    /// <summary>MD5 of a file on disk, lower-case hex.</summary>
    public static string Md5Of(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexString(MD5.HashData(file)).ToLowerInvariant();
    }

    private static string Flatten(Exception e)
    {
        string text = e.Message;
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException) text += " " + inner.Message;
        return text;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort; the name marks it as partial */ }
    }
}
