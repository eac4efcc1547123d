namespace AeNotebooks.Runner;

using AeNotebooks.Runner.Execution;

/// <summary>
/// The same static entry point .NET Interactive offers (<c>Microsoft.DotNet.Interactive.Kernel.display</c>),
/// so a library can show and update output in whichever host runs it by looking the method up by name,
/// without referencing either host.
/// </summary>
public static class Kernel
{
    public static DisplayedValue display(object? value, params string[] mimeTypes) => DisplayedValue.Show(value, mimeTypes);
}
