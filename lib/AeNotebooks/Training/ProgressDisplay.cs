using System.Globalization;
using System.Reflection;

namespace AeNotebooks;

/// <summary>
/// Training progress without referencing a notebook host: in .NET Interactive one output is displayed and
/// updated in place; with no kernel, one console line per epoch.
/// </summary>
internal abstract class ProgressDisplay
{
    public abstract void Report(TrainingRun run);
    public virtual void Finish(TrainingRun run) { }

    public static ProgressDisplay Create(bool enabled, string name, int epochs)
    {
        if (!enabled) return new Silent();
        return HostDisplay.TryCreate(name, epochs) ?? (ProgressDisplay)new ConsoleLines(epochs);
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

    sealed class ConsoleLines(int epochs) : ProgressDisplay
    {
        public override void Report(TrainingRun run) => Console.WriteLine(Line(run, epochs));
    }

    /// <summary>
    /// Shows one output through .NET Interactive's KernelInvocationContext.Display, found by reflection, and updates it in
    /// place. The kernel's own display(x) returns a handle whose id differs from the output it produced (so its Update adds
    /// a second output); the context's Display returns the handle of the output it published.
    /// </summary>
    sealed class HostDisplay : ProgressDisplay
    {
        const string ContextType = "Microsoft.DotNet.Interactive.KernelInvocationContext";
        const string ExtensionsType = "Microsoft.DotNet.Interactive.KernelInvocationContextExtensions";
        readonly object handle;
        readonly MethodInfo update;
        readonly int epochs;

        HostDisplay(object handle, MethodInfo update, int epochs) { this.handle = handle; this.update = update; this.epochs = epochs; }

        public static HostDisplay? TryCreate(string name, int epochs)
        {
            foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
            {
                var contextType = assembly.GetType(ContextType);
                if (contextType is null) continue;
                var context = contextType.GetProperty("Current", BindingFlags.Public | BindingFlags.Static)?.GetValue(null);
                var display = assembly.GetType(ExtensionsType)?.GetMethod("Display", BindingFlags.Public | BindingFlags.Static,
                    [contextType, typeof(object), typeof(string[])]);
                if (context is null || display is null) return null; // not inside a cell's execution: the console
                try
                {
                    var handle = display.Invoke(null, [context, $"{name}: starting…", new[] { "text/plain" }]);
                    var update = handle?.GetType().GetMethod("Update", [typeof(object)]);
                    if (handle is not null && update is not null) return new HostDisplay(handle, update, epochs);
                }
                catch (TargetInvocationException) { }
                return null;
            }
            return null;
        }

        public override void Report(TrainingRun run) => update.Invoke(handle, [Line(run, epochs)]);
    }
}
