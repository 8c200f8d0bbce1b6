using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LowRankVerify.Runner.Json;
using LowRankVerify.Theory;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Microsoft.FSharp.Reflection;

namespace LowRankVerify.Runner.Checkpoints;

/// <summary>Generic (de)serialisation of the core's plain-data state records (<c>E1Cursor</c>,
/// <c>CompletionCursor</c>, <c>EngineSnapshot</c>, <c>E1Params</c>, …) with System.Text.Json and
/// FSharp.SystemTextJson, so a new field of a core record needs no runner code.
/// <para>Encoding (checkpoint format version 5): records are objects with camelCase field names, every field
/// present; <c>option</c> is <c>null</c> or the bare value; a union case without fields is its camelCase name
/// as a string (<c>"sgd"</c>), a case with fields is <c>{"case": {"field": …}}</c> (external tag, named fields);
/// arrays are arrays; <c>uint64</c> (seeds) and <c>Rng</c> (its SplitMix64 state) are decimal strings, since a
/// JSON number is a double; floats are JSON numbers written in shortest round-trip form (bit-exact on reading)
/// and must be finite, except in the records of <see cref="InfinityRecords"/>, where ±∞ is the string
/// <c>"Infinity"</c> or <c>"-Infinity"</c> (NaN never).</para>
/// <para>Reading is strict, in two stages: the bounded <see cref="JsonCursor"/> copies the value into a
/// checked buffer (token size, depth and a budget of values bounded; duplicate keys, keys the type does not
/// have (<see cref="Shape"/>) and non-finite or overflowing numbers refused), then the generic converters
/// deserialise it (wrong types and missing fields refused; the failing field is located by deserialising the
/// value's parts). Semantic rules (shapes, ranges) are the caller's, on the typed value. Every error is an
/// <see cref="InputException"/> naming the field path.</para>
/// <para>Encoding of the other types: matrices (a hunt finding's case) are arrays of rows, at most
/// <see cref="MaxMatrixSide"/> on a side; a claim ID is its text ("C1"); tuples are arrays.</para></summary>
public static class CheckpointJson
{
    /// <summary>Records whose floats may be infinite: <c>E1MonitorState.MaxExcessAfterJump</c> is +∞ for a run
    /// that left every bound of B_1 before diverging; a hunt finding's violation, bound and score may be ±∞;
    /// an <c>E1Summary</c>'s optional medians and offshoot errors were always read with ±∞ allowed.</summary>
    public static readonly Type[] InfinityRecords = [typeof(E1MonitorState), typeof(HuntFinding), typeof(E1Summary)];

    /// <summary>Largest side of a matrix in a checkpoint (hunted tasks and widths are at most 8; margin).</summary>
    public const int MaxMatrixSide = 64;

    /// <summary>The options of every checkpoint value.</summary>
    public static readonly JsonSerializerOptions Options = Create(allowInfinity: false);

    private static JsonSerializerOptions Create(bool allowInfinity)
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            NumberHandling = JsonNumberHandling.Strict,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            MaxDepth = 64,
        };
        o.Converters.Add(new FloatConverter(allowInfinity));
        o.Converters.Add(new UInt64Converter());
        o.Converters.Add(new RngConverter());
        o.Converters.Add(new MatrixConverter());
        o.Converters.Add(new ClaimIdConverter());
        if (!allowInfinity)
            foreach (var t in InfinityRecords)
                o.Converters.Add((JsonConverter)Activator.CreateInstance(typeof(WithInfinities<>).MakeGenericType(t))!);
        o.Converters.Add(new JsonFSharpConverter(
            JsonUnionEncoding.ExternalTag | JsonUnionEncoding.NamedFields | JsonUnionEncoding.UnwrapFieldlessTags | JsonUnionEncoding.UnwrapOption,
            unionTagNamingPolicy: JsonNamingPolicy.CamelCase));
        return o;
    }

    private static readonly Lazy<JsonSerializerOptions> InfinityOptions = new(() => Create(allowInfinity: true));

    /// <summary>Writes <paramref name="value"/> as one JSON line.</summary>
    public static void Write<T>(JsonOut w, T value) => w.Raw(Serialize(value));

    /// <summary><paramref name="value"/> as compact JSON.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Reads the value on which <paramref name="c"/> stands as a <typeparamref name="T"/> (strict, see the
    /// class summary); <paramref name="maxValues"/> bounds the scalars it may hold, so memory stays bounded
    /// whatever the file declares. The cursor is left on the value's last token.</summary>
    public static T Read<T>(JsonCursor c, string path, long maxValues)
    {
        var copy = new CheckedCopy(c, maxValues);
        copy.Value(path, Shape.Of(typeof(T)));
        var bytes = copy.Finish();
        T value;
        try
        {
            value = JsonSerializer.Deserialize<T>(bytes, Options)
                ?? throw c.Error(path, "must not be null");
        }
        catch (JsonException e)
        {
            throw Explain(c, e, bytes, typeof(T), path);
        }
        return value;
    }

    /// <summary>The field that made deserialisation fail, found by deserialising the parts of the checked
    /// value one by one (record fields, array elements, option contents) down to the smallest part that fails
    /// on its own. (A converter deserialises a field through a nested reader, so the exception's own path and
    /// line are relative to that field, not to the checkpoint.)</summary>
    private static InputException Explain(JsonCursor c, JsonException e, byte[] bytes, Type type, string root)
    {
        using var doc = JsonDocument.Parse(bytes);
        var (path, error) = Locate(doc.RootElement, type, root, e);
        var message = error.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return c.Error(path, message.TrimEnd('.').Length == 0 ? "has the wrong type or value" : $"has the wrong type or value: {message.TrimEnd('.')}");
    }

    private static (string Path, JsonException Error) Locate(JsonElement e, Type type, string path, JsonException error, JsonSerializerOptions? options = null)
    {
        // Below a record of InfinityRecords, its parts are deserialised as its converter does.
        options = InfinityRecords.Contains(type) ? InfinityOptions.Value : options ?? Options;
        JsonException? Fails(JsonElement x, Type t)
        {
            try
            {
                x.Deserialize(t, options);
                return null;
            }
            catch (JsonException f)
            {
                return f;
            }
        }
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : null;
        if (generic == typeof(FSharpOption<>) && e.ValueKind != JsonValueKind.Null)
            return Locate(e, type.GetGenericArguments()[0], path, error, options);
        var element = type.IsArray ? type.GetElementType() : generic == typeof(FSharpList<>) ? type.GetGenericArguments()[0] : null;
        if (element is not null && e.ValueKind == JsonValueKind.Array)
        {
            var k = 0;
            foreach (var x in e.EnumerateArray())
            {
                if (Fails(x, element) is { } f)
                    return Locate(x, element, $"{path}[{k}]", f, options);
                k++;
            }
        }
        if (FSharpType.IsRecord(type, null) && e.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in FSharpType.GetRecordFields(type, null))
            {
                var name = JsonNamingPolicy.CamelCase.ConvertName(field.Name);
                var child = path.Length == 0 ? name : $"{path}.{name}";
                if (!e.TryGetProperty(name, out var x))
                    return (child, new JsonException("missing required field"));
                if (Fails(x, field.PropertyType) is { } f)
                    return Locate(x, field.PropertyType, child, f, options);
            }
        }
        return (path, error);
    }

    /// <summary>The keys a value of a type may hold, for refusing unknown keys while copying (FSharp.SystemTextJson
    /// skips them whatever <see cref="JsonSerializerOptions.UnmappedMemberHandling"/> says: its issue #208): a record's
    /// camelCase field names, a union case's (<c>{"case": {"field": …}}</c>), and the shape of an array's or an
    /// option's element. Null: a value whose insides are not checked (numbers, strings, converter-written types,
    /// tuples, whose elements hold no objects here).</summary>
    private sealed class Shape
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Shape?> Cache = new();

        /// <summary>Allowed keys and the shape of each value; null when the value is not an object.</summary>
        public Dictionary<string, Shape?>? Fields { get; private init; }

        /// <summary>Shape of the elements of an array.</summary>
        public Shape? Element { get; private init; }

        private static string Name(string n) => JsonNamingPolicy.CamelCase.ConvertName(n);

        public static Shape? Of(Type t) => Cache.GetOrAdd(t, Build);

        private static Shape? Build(Type t)
        {
            var generic = t.IsGenericType ? t.GetGenericTypeDefinition() : null;
            if (generic == typeof(FSharpOption<>)) return Of(t.GetGenericArguments()[0]);
            if (t.IsArray) return Of(t.GetElementType()!) is { } e ? new Shape { Element = e } : null;
            if (generic == typeof(FSharpList<>)) return Of(t.GetGenericArguments()[0]) is { } e ? new Shape { Element = e } : null;
            if (FSharpType.IsRecord(t, null))
                return new Shape { Fields = FSharpType.GetRecordFields(t, null).ToDictionary(f => Name(f.Name), f => Of(f.PropertyType)) };
            if (FSharpType.IsUnion(t, null) && t != typeof(ClaimId) && FSharpType.GetUnionCases(t, null).Any(u => u.GetFields().Length > 0))
                return new Shape
                {
                    Fields = FSharpType.GetUnionCases(t, null).ToDictionary(u => Name(u.Name), u => (Shape?)new Shape
                    {
                        Fields = u.GetFields().ToDictionary(f => Name(f.Name), f => Of(f.PropertyType)),
                    }),
                };
            return null;
        }
    }

    /// <summary>Copies one value from the cursor into a compact buffer, checking it on the way.</summary>
    private sealed class CheckedCopy(JsonCursor c, long maxValues)
    {
        private readonly MemoryStream buffer = new();
        private Utf8JsonWriter? writer;
        private long values;

        private Utf8JsonWriter W => writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 64 });

        public void Value(string path, Shape? shape)
        {
            if (++values > maxValues)
                throw c.Error(path, $"holds more values than this checkpoint can ({maxValues})");
            switch (c.Type)
            {
                case JsonTokenType.StartObject:
                    W.WriteStartObject();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    while (true)
                    {
                        c.Expect(path);
                        if (c.Type == JsonTokenType.EndObject) break;
                        var key = c.Text!;
                        var child = path.Length == 0 ? key : $"{path}.{key}";
                        if (!seen.Add(key)) throw c.Error(child, "duplicate key: the field appears twice");
                        Shape? inner = null;
                        if (shape?.Fields is { } fields && !fields.TryGetValue(key, out inner))
                            throw c.Error(child, $"unknown field (expected only {string.Join(", ", fields.Keys)})");
                        W.WritePropertyName(key);
                        c.Expect(child);
                        Value(child, inner);
                    }
                    W.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    W.WriteStartArray();
                    var k = 0;
                    while (true)
                    {
                        var child = $"{path}[{k}]";
                        c.Expect(child);
                        if (c.Type == JsonTokenType.EndArray) break;
                        Value(child, shape?.Element);
                        k++;
                    }
                    W.WriteEndArray();
                    break;
                case JsonTokenType.Number:
                    if (c.FiniteNumber is null)
                        throw c.Error(path, "must be a finite number (this one overflows double precision)");
                    W.WriteRawValue(c.NumberText!, skipInputValidation: true);
                    break;
                case JsonTokenType.String: W.WriteStringValue(c.Text); break;
                case JsonTokenType.True: W.WriteBooleanValue(true); break;
                case JsonTokenType.False: W.WriteBooleanValue(false); break;
                case JsonTokenType.Null: W.WriteNullValue(); break;
                default: throw c.Error(path, $"unexpected {JsonSchema.Kind(c.Type)}");
            }
        }

        public byte[] Finish()
        {
            W.Flush();
            return buffer.ToArray();
        }
    }

    /// <summary>Floats: shortest round-trip JSON numbers, finite only; with <c>allowInfinity</c>, ±∞ as the
    /// strings "Infinity" and "-Infinity". NaN is refused both ways.</summary>
    private sealed class FloatConverter(bool allowInfinity) : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (allowInfinity && reader.TokenType == JsonTokenType.String)
                return reader.GetString() switch
                {
                    "Infinity" => double.PositiveInfinity,
                    "-Infinity" => double.NegativeInfinity,
                    _ => throw new JsonException("must be a finite number, \"Infinity\" or \"-Infinity\""),
                };
            if (reader.TokenType != JsonTokenType.Number)
                throw new JsonException($"must be a finite number, got {reader.TokenType}");
            var x = reader.GetDouble();
            return double.IsFinite(x) ? x : throw new JsonException("must be a finite number");
        }

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else if (allowInfinity && double.IsInfinity(value)) writer.WriteStringValue(value > 0 ? "Infinity" : "-Infinity");
            else throw new InvalidOperationException($"a checkpoint holds only finite numbers, not {value}");
        }
    }

    /// <summary>Unsigned 64-bit integers (seeds) as decimal strings: a JSON number is a double.</summary>
    private sealed class UInt64Converter : JsonConverter<ulong>
    {
        public override ulong Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && ulong.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var x)
                ? x
                : throw new JsonException("must be a string holding an unsigned 64-bit integer");

        public override void Write(Utf8JsonWriter writer, ulong value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A random-number state as its one 64-bit word (a decimal string).</summary>
    private sealed class RngConverter : JsonConverter<Rng>
    {
        private static readonly UInt64Converter Word = new();

        public override Rng Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(Word.Read(ref reader, typeof(ulong), options));

        public override void Write(Utf8JsonWriter writer, Rng value, JsonSerializerOptions options) =>
            Word.Write(writer, value.State, options);
    }

    /// <summary>A matrix as an array of rows: at least 1×1, rectangular, at most
    /// <see cref="MaxMatrixSide"/> on a side, finite entries.</summary>
    private sealed class MatrixConverter : JsonConverter<Matrix<double>>
    {
        /// <summary>Null reaches <see cref="Read"/> (and is refused there): without it System.Text.Json would put a
        /// null matrix into an array of layers unasked.</summary>
        public override bool HandleNull => true;

        public override Matrix<double> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            const string Rule = "must be a matrix: a non-empty array of non-empty rows of finite numbers";
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException(Rule);
            var rows = new List<double[]>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException(Rule);
                var row = new List<double>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number || !double.IsFinite(reader.GetDouble())) throw new JsonException(Rule);
                    if (row.Count == MaxMatrixSide) throw new JsonException($"must be at most {MaxMatrixSide}x{MaxMatrixSide}");
                    row.Add(reader.GetDouble());
                }
                if (rows.Count == MaxMatrixSide) throw new JsonException($"must be at most {MaxMatrixSide}x{MaxMatrixSide}");
                rows.Add(row.ToArray());
            }
            if (rows.Count == 0 || rows[0].Length == 0) throw new JsonException(Rule);
            if (rows.Any(r => r.Length != rows[0].Length)) throw new JsonException("must be a rectangular matrix (rows of equal length)");
            return Matrix<double>.Build.DenseOfRowArrays(rows);
        }

        public override void Write(Utf8JsonWriter writer, Matrix<double> value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var row in value.ToRowArrays())
            {
                writer.WriteStartArray();
                foreach (var x in row)
                    if (double.IsFinite(x)) writer.WriteNumberValue(x);
                    else throw new InvalidOperationException($"a checkpoint holds only finite numbers, not {x}");
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
    }

    /// <summary>A claim ID as its text ("C1").</summary>
    private sealed class ClaimIdConverter : JsonConverter<ClaimId>
    {
        public override ClaimId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && reader.GetString() is { Length: > 0 and <= 32 } s
                ? ClaimId.NewClaimId(s)
                : throw new JsonException("must be a claim ID such as \"C1\"");

        public override void Write(Utf8JsonWriter writer, ClaimId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Text);
    }

    /// <summary>A record of <see cref="InfinityRecords"/>: the same encoding, with ±∞ allowed in its floats.</summary>
    private sealed class WithInfinities<T> : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<T>(ref reader, InfinityOptions.Value)!;

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, InfinityOptions.Value);
    }
}
