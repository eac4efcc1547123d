using AeNotebooks.Runner.Execution;

namespace AeNotebooks.Runner.Scripting;

/// <summary><c>value.Display()</c>, the extension-method spelling .NET Interactive also offers (imported by default).</summary>
public static class DisplayExtensions
{
    public static DisplayedValue Display(this object? value, params string[] mimeTypes) => DisplayedValue.Show(value, mimeTypes);
}
