namespace AeNotebooks.Runner.Execution;

/// <summary>
/// The process has one working directory, and each notebook runs in its own folder. Notebooks from the same
/// folder may run at the same time; a notebook from another folder waits until they are done. The directory the
/// process started in is restored when no notebook runs.
/// </summary>
internal static class WorkingDirectory
{
    static readonly object Gate = new();
    static string? _current;
    static string? _original;
    static int _holders;

    public static async Task<IDisposable> AcquireAsync(string directory, CancellationToken cancellationToken)
    {
        var dir = Path.GetFullPath(directory);
        while (true)
        {
            lock (Gate)
            {
                if (_holders == 0 || string.Equals(_current, dir, StringComparison.Ordinal))
                {
                    if (_holders == 0)
                    {
                        _original = Environment.CurrentDirectory;
                        Environment.CurrentDirectory = dir;
                        _current = dir;
                    }
                    _holders++;
                    return new Lease();
                }
            }
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
    }

    sealed class Lease : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            lock (Gate)
            {
                _holders--;
                if (_holders == 0)
                {
                    try
                    {
                        if (_original is not null && Directory.Exists(_original)) Environment.CurrentDirectory = _original;
                    }
                    catch (IOException)
                    {
                    }
                    _current = null;
                }
            }
        }
    }
}
