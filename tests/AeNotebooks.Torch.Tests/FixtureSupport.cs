using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Xunit;
using static AeNotebooks.Torch.torch;

namespace AeNotebooks.Torch.Tests;

/// <summary>
/// What TorchFixtureTests and ConvFixtureTests share: loading the PyTorch fixture files (Fixtures/*.json, one
/// "cases" array each), the tolerance rule, the mismatch report and the JSON readers.
///
/// Tolerance rule for values, outputs and gradients: |actual − expected| ≤ 1e-4 · max(1, |expected|),
/// i.e. relative 1e-4 above magnitude 1 and absolute 1e-4 below it. NaN must be NaN and ±∞ must be the
/// same infinity, exactly.
/// </summary>
internal static class FixtureSupport
{
    public const double Tolerance = 1e-4;

    public static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    static readonly ConcurrentDictionary<string, Dictionary<string, JsonElement>> Loaded = new();

    /// <summary>The cases of one family by name (null when the file is missing).</summary>
    public static Dictionary<string, JsonElement>? TryLoad(string family)
    {
        var path = Path.Combine(FixtureDir, family + ".json");
        if (!File.Exists(path)) return null;
        return Loaded.GetOrAdd(family, _ =>
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var cases = new Dictionary<string, JsonElement>();
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            {
                var name = c.GetProperty("name").GetString()!;
                if (!cases.TryAdd(name, c.Clone())) throw new InvalidDataException($"{path}: case '{name}' appears twice");
            }
            return cases;
        });
    }

    /// <summary>One case; `generator` is the command that writes the family's file (named when it is missing).</summary>
    public static JsonElement LoadCase(string family, string name, string generator)
    {
        var cases = TryLoad(family) ?? throw new FileNotFoundException($"fixture file {Path.Combine(FixtureDir, family + ".json")} is missing; run {generator}");
        return cases.TryGetValue(name, out var c) ? c : throw new KeyNotFoundException($"no case '{name}' in {family}.json");
    }

    /// <summary>MemberData rows: one per case name (none when the file is missing; <see cref="AssertPresent"/> then fails).</summary>
    public static IEnumerable<object[]> CaseNames(string family)
        => (TryLoad(family)?.Keys ?? Enumerable.Empty<string>()).Select(n => new object[] { n });

    /// <summary>A suite cannot pass silently without data: every family's file exists and holds at least one case.</summary>
    public static void AssertPresent(IEnumerable<string> families, string generator)
    {
        Assert.True(Directory.Exists(FixtureDir), $"fixture directory {FixtureDir} is missing; run {generator}");
        foreach (var family in families)
        {
            var cases = TryLoad(family);
            Assert.True(cases is not null, $"fixture file {family}.json is missing from {FixtureDir}; run {generator}");
            Assert.True(cases!.Count > 0, $"fixture file {family}.json has no cases");
        }
    }

    // ------------------------------------------------------------------------------------------
    // comparison
    // ------------------------------------------------------------------------------------------

    /// <summary>The tolerance rule (see the class comment).</summary>
    public static bool Close(double actual, double expected)
    {
        if (double.IsNaN(expected)) return double.IsNaN(actual);
        if (double.IsInfinity(expected)) return actual == expected;
        if (!double.IsFinite(actual)) return false;
        return Math.Abs(actual - expected) <= Tolerance * Math.Max(1.0, Math.Abs(expected));
    }

    /// <summary>Collects every difference in one case, then fails once listing them (case, what, index, expected, actual).</summary>
    public sealed class Mismatches(string caseName)
    {
        const int MaxPerItem = 12;
        readonly List<string> lines = new();
        int count;

        public void Add(string message) { count++; lines.Add($"  {caseName}: {message}"); }

        public void Tensor(string what, torch.Tensor actual, JsonElement expected)
        {
            var shape = ReadShape(expected.GetProperty("shape"));
            if (!actual.shape.SequenceEqual(shape)) { Add($"{what}: shape {Fmt(actual.shape)}, expected {Fmt(shape)}"); return; }
            Values(what, actual.ToArray(), ReadValues(expected), ToInt(shape));
        }

        public void Grad(string what, torch.Tensor leaf, JsonElement expectedData)
        {
            var expected = ReadFloats(expectedData);
            if (leaf.grad is null)
            {
                // PyTorch stores zeros for an input that got no gradient contribution; the engine may leave null
                if (expected.Any(v => v != 0f)) Add($"{what}: missing (null), expected non-zero values");
                return;
            }
            if (!leaf.grad.shape.SequenceEqual(leaf.shape)) { Add($"{what}: shape {Fmt(leaf.grad.shape)}, expected {Fmt(leaf.shape)}"); return; }
            Values(what, leaf.grad.ToArray(), expected, ToInt(leaf.shape));
        }

        public void Values(string what, float[] actual, float[] expected, int[] shape)
        {
            if (actual.Length != expected.Length) { Add($"{what}: {actual.Length} values, expected {expected.Length}"); return; }
            int bad = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                if (Close(actual[i], expected[i])) continue;
                if (++bad <= MaxPerItem)
                    Add($"{what}[{i}]{Index(i, shape)}: expected {F(expected[i])}, actual {F(actual[i])} (diff {F(actual[i] - expected[i])})");
                else count++;
            }
            if (bad > MaxPerItem) lines.Add($"  {caseName}: {what}: … {bad - MaxPerItem} more mismatches");
        }

        public void ThrowIfAny()
        {
            if (count > 0)
                Assert.Fail($"case '{caseName}' differs from PyTorch in {count} place(s) (rule: |a−e| ≤ 1e-4·max(1,|e|), NaN/±Inf exact)\n" + string.Join("\n", lines));
        }

        static string Index(int flat, int[] shape)
        {
            if (shape.Length < 2) return "";
            var idx = new int[shape.Length];
            for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
            return " (at [" + string.Join(", ", idx) + "])";
        }

        static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    // ------------------------------------------------------------------------------------------
    // JSON readers
    // ------------------------------------------------------------------------------------------

    public static float ReadFloat(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetSingle(),
        JsonValueKind.String => e.GetString() switch
        {
            "NaN" => float.NaN,
            "Infinity" => float.PositiveInfinity,
            "-Infinity" => float.NegativeInfinity,
            var s => throw new InvalidDataException($"not a float: '{s}'"),
        },
        _ => throw new InvalidDataException($"not a float: {e}"),
    };

    public static float[] ReadFloats(JsonElement array) => array.EnumerateArray().Select(ReadFloat).ToArray();

    public static long[] ReadShape(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>The values of {"shape", "data": [...]} or {"shape", "b64": little-endian float32}.</summary>
    public static float[] ReadValues(JsonElement t)
    {
        if (!t.TryGetProperty("b64", out var b64)) return ReadFloats(t.GetProperty("data"));
        var bytes = Convert.FromBase64String(b64.GetString()!);
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BitConverter.ToSingle(bytes, 4 * i); // little-endian hosts
        return values;
    }

    public static Tensor ReadTensor(JsonElement t, bool requiresGrad = false)
        => tensor(ReadValues(t), ReadShape(t.GetProperty("shape")), requires_grad: requiresGrad);

    /// <summary>A state_dict: {"name": tensor, ...}.</summary>
    public static Dictionary<string, Tensor> ReadState(JsonElement state)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var p in state.EnumerateObject()) d[p.Name] = ReadTensor(p.Value);
        return d;
    }

    public static bool Has(JsonElement o, string key) => o.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;
    public static double Num(JsonElement o, string key) => o.GetProperty(key).GetDouble();
    public static double Num(JsonElement o, string key, double fallback) => Has(o, key) ? o.GetProperty(key).GetDouble() : fallback;
    public static double? NumOrNull(JsonElement o, string key) => Has(o, key) ? o.GetProperty(key).GetDouble() : null;
    public static long Long(JsonElement o, string key) => o.GetProperty(key).GetInt64();
    public static long[] Longs(JsonElement o, string key) => o.GetProperty(key).EnumerateArray().Select(e => e.GetInt64()).ToArray();
    public static long[]? LongsOrNull(JsonElement o, string key) => Has(o, key) ? Longs(o, key) : null;
    public static bool Bool(JsonElement o, string key, bool fallback) => Has(o, key) ? o.GetProperty(key).GetBoolean() : fallback;
    public static string Str(JsonElement o, string key, string fallback) => Has(o, key) ? o.GetProperty(key).GetString()! : fallback;

    public static int[] ToInt(long[] shape) => Array.ConvertAll(shape, v => (int)v);
    public static string Fmt(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
