using System.Globalization;
using System.Text;

namespace MnistTools.Errors;

/// <summary>
/// Text from a file or a user quoted inside an error message: control characters made visible and the length capped,
/// so that a NUL byte or an escape sequence cannot hide in (or garble) a message and a huge value cannot make one huge.
/// </summary>
public static class MessageText
{
    /// <summary>Characters of quoted text kept in a message; the rest is summarised by its length.</summary>
    public const int MaxQuoted = 200;

    /// <summary>
    /// <paramref name="text"/> with each control character written as an escape (\0, \t, \n, \r, \e or \u001F) and at
    /// most <paramref name="max"/> characters of it, followed by "... (N more characters)" when it was longer.
    /// </summary>
    public static string Quote(string? text, int max = MaxQuoted)
    {
        if (text is null) return "";
        int kept = Math.Min(text.Length, max);
        // A cut never splits a surrogate pair.
        if (kept < text.Length && kept > 0 && char.IsHighSurrogate(text[kept - 1])) kept--;
        var builder = new StringBuilder(kept + 16);
        for (int i = 0; i < kept; i++)
        {
            char c = text[i];
            if (!char.IsControl(c)) { builder.Append(c); continue; }
            builder.Append(c switch
            {
                '\0' => "\\0",
                '\t' => "\\t",
                '\n' => "\\n",
                '\r' => "\\r",
                '\u001B' => "\\e",
                _ => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
            });
        }
        if (kept < text.Length)
            builder.Append(CultureInfo.InvariantCulture, $"... ({text.Length - kept:N0} more characters)");
        return builder.ToString();
    }
}
