using System.Collections.Concurrent;

namespace AeNotebooks.Runner.Tests;

/// <summary>
/// Lets the timeout fixtures spin in a tight loop (which Roslyn cannot abort) until a test releases them, so a
/// test can see the abandoned cell still running after the run returned, then stop it. Never released in a
/// separate process: there the runner must exit without waiting for it.
/// </summary>
public static class TimeoutProbe
{
    sealed class State
    {
        public volatile bool Released;
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Finished = new();
    }

    static readonly ConcurrentDictionary<string, State> States = new();

    static State Get(string key) => States.GetOrAdd(key, _ => new State());

    /// <summary>Called by the cell on every iteration: true once the test lets the loop end.</summary>
    public static bool Released(string key)
    {
        var s = Get(key);
        s.Entered.Set();
        return s.Released;
    }

    /// <summary>Called by the cell after its loop.</summary>
    public static void Done(string key) => Get(key).Finished.Set();

    public static bool IsSpinning(string key) => Get(key).Entered.IsSet && !Get(key).Finished.IsSet;

    public static bool ReleaseAndWait(string key, TimeSpan limit)
    {
        var s = Get(key);
        s.Released = true;
        return s.Finished.Wait(limit);
    }

    public static void Reset(string key) => States.TryRemove(key, out _);
}
