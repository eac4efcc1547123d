using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AeNotebooks.Runner.Execution;

/// <summary>
/// A value of the notebook's kernel, as the kernel shares it with another process: its type's name, its text summary
/// and, where it is cheap and meaningful, its JSON (<c>application/json</c>).
/// </summary>
public sealed partial record KernelValue(string? TypeName, string? Text, string? Json)
{
    static readonly HashSet<string> Scalars = new(StringComparer.Ordinal)
    {
        "System.Int32", "System.Int64", "System.Int16", "System.Byte", "System.UInt32", "System.UInt64", "System.Double",
        "System.Single", "System.Decimal", "System.Boolean", "System.String", "System.Char", "System.TimeSpan", "System.DateTime",
    };

    // the kernel names types as C# does ("System.Collections.Generic.List<System.String>"); reflection's "List`1[[System.String, …]]" too
    [GeneratedRegex(@"^System\.Collections\.Generic\.(?:List|IReadOnlyList|IList|IEnumerable)(?:`1\[\[(?<element>[^,\]]+)|<(?<element>[^<>,]+)>$)")]
    private static partial Regex GenericListOf();

    // "System.Nullable<System.Double>" as the kernel names it, "System.Nullable`1[[System.Double, …]]" as reflection does
    [GeneratedRegex(@"^System\.Nullable(?:`1\[\[(?<inner>[^,\]]+)|<(?<inner>[^<>,]+)>$)")]
    private static partial Regex NullableOf();

    /// <summary>
    /// Numbers, strings, arrays and lists of them, and types declared by the notebook itself (Submission#N+…) are
    /// shared as JSON; models, tensors and data sets are not (their JSON would be large and say nothing).
    /// </summary>
    public static bool IsShareableAsJson(string? typeName)
    {
        if (typeName is null) return false;
        var nullable = NullableOf().Match(typeName);
        if (nullable.Success) typeName = nullable.Groups["inner"].Value;
        if (Scalars.Contains(typeName) || typeName.StartsWith("Submission#", StringComparison.Ordinal)) return true;
        if (typeName.EndsWith("[]", StringComparison.Ordinal)) return Scalars.Contains(typeName[..^2]);
        var list = GenericListOf().Match(typeName);
        return list.Success && Scalars.Contains(list.Groups["element"].Value);
    }

    static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The value as a <typeparamref name="T"/>: from its JSON (numbers convert between numeric types), else its text for a string.</summary>
    public bool TryGet<T>(out T value)
    {
        value = default!;
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (Json is null)
        {
            if (target == typeof(string) && Text is not null && TypeName == "System.String")
            {
                value = (T)(object)Text;
                return true;
            }
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(Json);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                return default(T) is null;
            }
            if (target == typeof(string) && root.ValueKind != JsonValueKind.String) return false;
            if (target == typeof(bool) && root.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return false;
            if (IsNumeric(target) && root.ValueKind == JsonValueKind.Number)
            {
                value = (T)Convert.ChangeType(root.GetDouble(), target, CultureInfo.InvariantCulture);
                if (target != typeof(double) && target != typeof(float) && target != typeof(decimal) && root.TryGetInt64(out var whole))
                    value = (T)Convert.ChangeType(whole, target, CultureInfo.InvariantCulture);
                return true;
            }
            if (IsNumeric(target) && root.ValueKind == JsonValueKind.String) // NaN and infinities
            {
                value = JsonSerializer.Deserialize<T>(Json, Options)!;
                return true;
            }
            value = JsonSerializer.Deserialize<T>(Json, Options)!;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidCastException or FormatException or OverflowException or NotSupportedException)
        {
            return false;
        }
    }

    static bool IsNumeric(Type t) => t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte) || t == typeof(uint) ||
                                     t == typeof(ulong) || t == typeof(double) || t == typeof(float) || t == typeof(decimal);

    public override string ToString() => Text ?? Json ?? "";
}
