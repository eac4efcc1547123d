using System.Reflection;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Connection;
using Microsoft.DotNet.Interactive.Events;

namespace AeNotebooks.Runner.Kernel;

public enum CommandOutcome { Succeeded, Failed, TimedOut, Cancelled, KernelDied }

/// <summary>How a command ended; for a dead kernel, <see cref="Message"/> says how it died.</summary>
public sealed record CommandResult(CommandOutcome Outcome, string? Message = null);

/// <summary>
/// One kernel process (<see cref="KernelWorker"/>) seen from the runner: commands go in, events come back. A command
/// that runs past its timeout gets the process killed (cancelling inside the kernel does not stop runaway code and can
/// leave the kernel blocked); a process that dies (stack overflow, Environment.Exit, out of memory) ends the command
/// with how it died. Either way the runner keeps what the cell produced until then.
/// </summary>
public sealed class KernelProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly Socket _socket;
    readonly StreamWriter _writer;
    readonly Channel<KernelEvent> _events = Channel.CreateUnbounded<KernelEvent>();
    readonly StringBuilder _stderr = new();
    int _commands;
    int _strayBefore;

    KernelProcess(Process process, Socket socket)
    {
        _process = process;
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        _ = Task.Run(() => ReadEventsAsync(new StreamReader(stream, new UTF8Encoding(false))));
    }

    /// <summary>Text the process wrote to stdout or stderr outside any cell's capture (the runtime's own crash messages, native libraries).</summary>
    public string StrayOutput { get { lock (_stderr) return _stderr.ToString(); } }

    public bool HasExited => _process.HasExited;

    public static async Task<KernelProcess> StartAsync(string workingDirectory, KernelProcessOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KernelProcessOptions();
        var socketName = $"aenb-{Environment.ProcessId}-{Guid.NewGuid():N}";
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(KernelWorker.Endpoint(socketName));
        listener.Listen(1);

        var start = new ProcessStartInfo
        {
            FileName = DotnetHost(),
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var runner = WorkerAssembly();
        start.ArgumentList.Add("exec");
        var runtimeConfig = Path.ChangeExtension(runner, ".runtimeconfig.json");
        if (File.Exists(runtimeConfig))
        {
            start.ArgumentList.Add("--runtimeconfig");
            start.ArgumentList.Add(runtimeConfig);
        }
        start.ArgumentList.Add(runner);
        start.ArgumentList.Add(KernelWorker.CommandName);
        start.ArgumentList.Add(socketName);
        start.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (options.MemoryLimitBytes is { } limit) start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + limit.ToString("X");
        foreach (var (k, v) in options.Environment) start.Environment[k] = v;

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("the kernel process did not start");
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        process.StandardInput.Close(); // a cell reading Console.In gets end-of-file, not a hang

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            var accept = listener.AcceptAsync(timeout.Token).AsTask();
            var exited = process.WaitForExitAsync(timeout.Token);
            if (await Task.WhenAny(accept, exited).ConfigureAwait(false) != accept)
            {
                var why = process.HasExited ? $"exited with {DescribeExit(process.ExitCode)}" : $"did not connect within {options.StartTimeout.TotalSeconds:0} s";
                var err = process.HasExited ? (await process.StandardError.ReadToEndAsync(CancellationToken.None)).Trim() : "";
                Kill(process);
                throw new KernelStartException($"the kernel process {why}{(err.Length > 0 ? ": " + err : "")}");
            }
            var kernel = new KernelProcess(process, await accept.ConfigureAwait(false));
            kernel.CaptureStrayOutput();
            return kernel;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw new KernelStartException($"the kernel process did not connect within {options.StartTimeout.TotalSeconds:0} s");
        }
        finally
        {
            listener.Dispose();
        }
    }

    void CaptureStrayOutput()
    {
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    async Task ReadEventsAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                KernelEvent e;
                try { e = KernelEventEnvelope.Deserialize(line).Event; }
                catch (Exception) { continue; } // an event type this runner does not know: nothing it could show
                await _events.Writer.WriteAsync(e).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        _events.Writer.TryComplete();
    }

    /// <summary>
    /// Sends a command and passes every event to <paramref name="onEvent"/> until the command completes, the timeout
    /// passes (the process is killed) or the process dies. Events a cell's background work publishes after its command
    /// completed arrive with the next command.
    /// </summary>
    public async Task<CommandResult> SendAsync(KernelCommand command, TimeSpan timeout, Action<KernelEvent> onEvent, CancellationToken cancellationToken = default)
    {
        lock (_stderr) _strayBefore = _stderr.Length;
        var token = $"aenb-{Interlocked.Increment(ref _commands)}";
        command.SetToken(token);
        try
        {
            await _writer.WriteLineAsync(KernelCommandEnvelope.Serialize(command).AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return await DiedAsync().ConfigureAwait(false);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout > TimeSpan.Zero && timeout < TimeSpan.FromDays(1)) limit.CancelAfter(timeout);
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(limit.Token).ConfigureAwait(false))
            {
                onEvent(e);
                if (e is CommandSucceeded or CommandFailed && e.Command?.GetOrCreateToken() == token)
                {
                    return e is CommandFailed failed ? new CommandResult(CommandOutcome.Failed, failed.Message) : new CommandResult(CommandOutcome.Succeeded);
                }
            }
        }
        catch (OperationCanceledException)
        {
            Kill(_process);
            // what was already published before the kill still belongs to this command
            while (_events.Reader.TryRead(out var late)) onEvent(late);
            return cancellationToken.IsCancellationRequested
                ? new CommandResult(CommandOutcome.Cancelled, "the run was cancelled while this cell was running; the kernel process was stopped")
                : new CommandResult(CommandOutcome.TimedOut, $"timed out after {Describe(timeout)}: the kernel process was stopped");
        }
        return await DiedAsync().ConfigureAwait(false);
    }

    async Task<CommandResult> DiedAsync()
    {
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try { await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { Kill(_process); }
        }
        await Task.Delay(200).ConfigureAwait(false); // let the last lines of stderr arrive
        // the runtime's crash report starts with the reason ("Stack overflow.", "Unhandled exception. …"); frames follow
        string since;
        lock (_stderr) since = _stderr.ToString(Math.Min(_strayBefore, _stderr.Length), _stderr.Length - Math.Min(_strayBefore, _stderr.Length));
        var tail = string.Join(" | ", since.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Take(3).Select(l => l.Length > 200 ? l[..200] + "…" : l));
        var how = _process.HasExited ? DescribeExit(_process.ExitCode) : "an unknown status";
        return new CommandResult(CommandOutcome.KernelDied, $"the kernel process died ({how}){(tail.Length > 0 ? ": " + tail : "")}");
    }

    /// <summary>"exit code 3", or for a process ended by a signal "signal 6 (SIGABRT)" (.NET reports those as 128 + n).</summary>
    public static string DescribeExit(int exitCode)
    {
        if (exitCode <= 128 || exitCode > 128 + 64) return $"exit code {exitCode}";
        var signal = exitCode - 128;
        string? name = signal switch { 4 => "SIGILL", 6 => "SIGABRT", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM", 7 => "SIGBUS", 8 => "SIGFPE", _ => null };
        var hint = signal == 9 ? ", e.g. by the kernel's out-of-memory killer" : "";
        return $"signal {signal}{(name is null ? "" : $" ({name})")}{hint}";
    }

    static string Describe(TimeSpan t) => t.TotalSeconds < 1 ? $"{t.TotalMilliseconds:0} ms" : $"{t.TotalSeconds:0.#} s";

    /// <summary>
    /// The runner assembly the kernel process runs: the ReadyToRun copy the build publishes to kernel/ (see the
    /// project file), found next to this assembly or where the build put it; this assembly itself when there is none
    /// (a runner copied without it), which only makes the kernel start slower.
    /// </summary>
    internal static string WorkerAssembly()
    {
        var self = typeof(KernelProcess).Assembly;
        var name = Path.GetFileName(self.Location);
        var built = self.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "AeNotebooks.Runner.KernelDirectory")?.Value;
        foreach (var folder in new[] { Path.Combine(AppContext.BaseDirectory, "kernel"), built })
            if (folder is not null && File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        return self.Location;
    }

    static string DotnetHost()
    {
        var path = Environment.ProcessPath;
        if (path is not null && Path.GetFileNameWithoutExtension(path) == "dotnet") return path;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }

    static void Kill(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { process.WaitForExit(5000); }
        catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        try { _socket.Shutdown(SocketShutdown.Both); }
        catch (SocketException) { }
        _socket.Dispose();
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            try { await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        Kill(_process);
        _process.Dispose();
    }
}

public sealed class KernelProcessOptions
{
    /// <summary>Caps the kernel's managed heap (DOTNET_GCHeapHardLimit), so a runaway cell fails with OutOfMemoryException.</summary>
    public long? MemoryLimitBytes { get; init; }
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

public sealed class KernelStartException(string message) : Exception(message);
