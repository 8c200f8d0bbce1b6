namespace LowRankVerify.Runner.Json;

/// <summary>A strict, streaming token cursor over one JSON file (System.Text.Json's
/// <see cref="Utf8JsonReader"/> fed in chunks). It never holds more than one chunk plus the current
/// token in memory, so a hostile file cannot make it allocate more than <see cref="MaxTokenBytes"/>
/// beyond what the schema readers choose to keep. Strict: no comments, no trailing commas, one root
/// value, numbers must be JSON numbers (so NaN/Infinity literals are malformed JSON). Every error is an
/// <see cref="InputException"/> whose field is the JSON path being read (e.g. <c>target[1][0]</c>).</summary>
public sealed class JsonCursor : IDisposable
{
    /// <summary>Largest single token (a number, a string or a property name) accepted, in bytes.</summary>
    public const int MaxTokenBytes = 1 << 20;

    private const int ChunkBytes = 64 * 1024;

    private readonly Stream stream;
    private readonly string source;
    private byte[] buffer = new byte[ChunkBytes];
    private int start;
    private int end;
    private bool final;
    private bool first = true;
    private JsonReaderState state = new(new JsonReaderOptions
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        AllowMultipleValues = false,
        MaxDepth = 64,
    });

    /// <summary>Kind of the current token.</summary>
    public JsonTokenType Type { get; private set; } = JsonTokenType.None;

    /// <summary>The current number as a double when it is a finite double, else null.</summary>
    public double? FiniteNumber { get; private set; }

    /// <summary>The current number as an int when it is written as an integer in int range, else null.</summary>
    public int? Integer { get; private set; }

    /// <summary>The current number exactly as written in the file (null for other tokens).</summary>
    public string? NumberText { get; private set; }

    /// <summary>The current property name or string value (null for other tokens).</summary>
    public string? Text { get; private set; }

    /// <summary>Opens <paramref name="stream"/>; <paramref name="source"/> (e.g. "--task t.json") is
    /// appended to every error so the user knows which file broke the rule.</summary>
    public JsonCursor(Stream stream, string source)
    {
        this.stream = stream;
        this.source = source;
    }

    /// <summary>An <see cref="InputException"/> for <paramref name="path"/> (the option name when the
    /// path is empty) breaking <paramref name="rule"/>, naming the file.</summary>
    public InputException Error(string path, string rule) =>
        path.Length == 0
            ? new(source.Split(' ')[0], $"{rule} (file {source[(source.IndexOf(' ') + 1)..]})")
            : new(path, $"{rule} (in {source})");

    /// <summary>Moves to the next token; false at the end of the document (after the root value).
    /// <paramref name="path"/> is the JSON path of the value being read, used in error messages.</summary>
    public bool Next(string path)
    {
        while (true)
        {
            var reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), final, state);
            bool ok;
            try
            {
                ok = reader.Read();
                if (ok)
                    Capture(ref reader);
            }
            catch (JsonException e)
            {
                throw Malformed(path, e);
            }
            catch (InvalidOperationException e)
            {
                // GetString on invalid UTF-8 or invalid escapes.
                throw Error(path, $"malformed JSON string ({e.Message})");
            }
            start += (int)reader.BytesConsumed;
            state = reader.CurrentState;
            if (ok)
                return true;
            if (final)
            {
                Type = JsonTokenType.None;
                return false;
            }
            Fill(path);
        }
    }

    /// <summary>Moves to the next token and fails with "truncated" when the document ends.</summary>
    public void Expect(string path)
    {
        if (!Next(path))
            throw Error(path, "truncated JSON: the file ends before this value");
    }

    private void Capture(ref Utf8JsonReader reader)
    {
        Type = reader.TokenType;
        FiniteNumber = null;
        Integer = null;
        Text = null;
        NumberText = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetDouble(out var d) && double.IsFinite(d))
                    FiniteNumber = d;
                if (reader.TryGetInt32(out var i))
                    Integer = i;
                NumberText = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                break;
            case JsonTokenType.PropertyName:
            case JsonTokenType.String:
                Text = reader.GetString();
                break;
        }
    }

    private InputException Malformed(string path, JsonException e)
    {
        var what = e.Message;
        // The reader's message ends with "LineNumber: x | BytePositionInLine: y."; keep the sentence.
        var cut = what.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
            what = what[..cut].TrimEnd();
        if (final && EndsTooEarly())
            return Error(path, "truncated or empty JSON: the file ends before the document is complete");
        var hint = what.Contains("'N'", StringComparison.Ordinal) || what.Contains("'I'", StringComparison.Ordinal)
            ? " NaN and Infinity are not JSON numbers."
            : "";
        // The reader state carries line and byte-in-line across chunks, so these are file positions.
        return Error(path, $"malformed JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1} of that line: {what}{hint}");
    }

    /// <summary>True when the rest of the data is a valid prefix of a JSON document: the same reader
    /// told "more data may follow" asks for more instead of failing, so the file was truncated.</summary>
    private bool EndsTooEarly()
    {
        var reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), false, state);
        try
        {
            while (reader.Read())
            {
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void Fill(string path)
    {
        var pending = end - start;
        if (pending >= MaxTokenBytes)
            throw Error(path, $"a single JSON token is longer than {MaxTokenBytes} bytes");
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, pending);
            start = 0;
            end = pending;
        }
        if (end == buffer.Length)
            Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxTokenBytes + ChunkBytes));
        int n;
        try
        {
            n = stream.Read(buffer, end, buffer.Length - end);
        }
        catch (IOException e)
        {
            throw Error("", $"cannot be read: {e.Message}");
        }
        if (n == 0)
        {
            final = true;
            return;
        }
        end += n;
        if (first)
        {
            first = false;
            // A UTF-8 byte-order mark is tolerated (editors add it); the reader itself rejects it.
            if (end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF)
                start = 3;
        }
    }

    /// <summary>Releases the stream.</summary>
    public void Dispose() => stream.Dispose();
}
