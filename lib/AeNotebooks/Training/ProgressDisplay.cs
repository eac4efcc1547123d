using System.Globalization;
using System.Reflection;

namespace AeNotebooks;

/// <summary>
/// Training progress without referencing a notebook host: in .NET Interactive (or the suite's runner)
/// one output is displayed and updated in place through the host's display(...).Update(...), found by
/// reflection; with no host, one console line per epoch.
/// </summary>
internal abstract class ProgressDisplay
{
    public abstract void Report(TrainingRun run);
    public virtual void Finish(TrainingRun run) { }

    public static ProgressDisplay Create(bool enabled, string name, int epochs)
    {
        if (!enabled) return new Silent();
        return HostDisplay.TryCreate(name, epochs) ?? (ProgressDisplay)new ConsoleLines(name, epochs);
    }

    internal static string Line(TrainingRun run, int totalEpochs)
    {
        var e = run.Epochs[^1];
        int width = 20, filled = (int)Math.Round(width * (double)e.Epoch / Math.Max(1, totalEpochs));
        string val = e.ValidationLoss is double v ? $", validation {v.ToString("G5", CultureInfo.InvariantCulture)}" : "";
        return $"{run.Name} [{new string('#', filled)}{new string('.', width - filled)}] epoch {e.Epoch}/{totalEpochs}: " +
               $"train {e.TrainLoss.ToString("G5", CultureInfo.InvariantCulture)}{val} ({e.Seconds:F1} s)";
    }

    sealed class Silent : ProgressDisplay { public override void Report(TrainingRun run) { } }

    sealed class ConsoleLines(string name, int epochs) : ProgressDisplay
    {
        public override void Report(TrainingRun run) => Console.WriteLine(Line(run, epochs));
    }

    /// <summary>Calls a static display(object, string[]) of a host Kernel type and Update(object) on its result.</summary>
    sealed class HostDisplay : ProgressDisplay
    {
        // .NET Interactive's C# kernel first, then any host that follows the same shape
        static readonly string[] KernelTypeNames = ["Microsoft.DotNet.Interactive.Kernel", "AeNotebooks.Runner.Kernel"];
        readonly object handle;
        readonly MethodInfo update;
        readonly int epochs;

        HostDisplay(object handle, MethodInfo update, int epochs) { this.handle = handle; this.update = update; this.epochs = epochs; }

        public static HostDisplay? TryCreate(string name, int epochs)
        {
            foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
                foreach (var typeName in KernelTypeNames)
                {
                    var display = assembly.GetType(typeName)?.GetMethod("display", BindingFlags.Public | BindingFlags.Static, [typeof(object), typeof(string[])]);
                    if (display is null) continue;
                    try
                    {
                        var handle = display.Invoke(null, [$"{name}: starting…", new[] { "text/plain" }]);
                        var update = handle?.GetType().GetMethod("Update", [typeof(object)]);
                        if (handle is not null && update is not null) return new HostDisplay(handle, update, epochs);
                    }
                    catch (TargetInvocationException) { } // no kernel context on this thread: fall back to the console
                }
            return null;
        }

        public override void Report(TrainingRun run) => update.Invoke(handle, [Line(run, epochs)]);
    }
}
