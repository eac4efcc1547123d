namespace AeNotebooks.Runner.Cli;

/// <summary>The argument grammar the runner's commands share: positional inputs, <c>--name value</c> or <c>--name=value</c>.</summary>
public static class CommandLine
{
    /// <summary>
    /// Splits <paramref name="args"/> into <paramref name="inputs"/> and options; every option must be one of
    /// <paramref name="valueOptions"/> and take a value, which goes to <paramref name="apply"/> (it returns an error or null).
    /// </summary>
    public static bool Parse(string[] args, IReadOnlyCollection<string> valueOptions, List<string> inputs, Func<string, string, string?> apply, out string? error)
    {
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith('-') || a == "-")
            {
                inputs.Add(a);
                continue;
            }
            var eq = a.IndexOf('=');
            var name = eq > 0 ? a[..eq] : a;
            if (!valueOptions.Contains(name))
            {
                error = $"unknown option '{a}'";
                return false;
            }
            var value = eq > 0 ? a[(eq + 1)..] : i + 1 < args.Length ? args[++i] : null;
            if (value is null)
            {
                error = $"{name} needs a value";
                return false;
            }
            error = apply(name, value);
            if (error is not null) return false;
        }
        return true;
    }
}
