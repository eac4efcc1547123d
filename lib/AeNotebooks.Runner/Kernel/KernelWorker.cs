using System.Net.Sockets;
using System.Text;
using Microsoft.DotNet.Interactive.Connection;

namespace AeNotebooks.Runner.Kernel;

/// <summary>
/// The kernel process: one per notebook, started by <see cref="KernelProcess"/>. It hosts <see cref="PolyglotKernel"/>
/// and speaks .NET Interactive's own envelopes (one JSON command or event per line) over a Unix socket, so that
/// whatever user code or native libraries write to stdout and stderr cannot corrupt the protocol.
/// </summary>
public static class KernelWorker
{
    public const string CommandName = "kernel-worker";

    /// <summary>An abstract socket (leading NUL): no file to clean up, nothing to write in a read-only sandbox.</summary>
    internal static UnixDomainSocketEndPoint Endpoint(string name) => new("\0" + name);

    public static async Task<int> RunAsync(string socketName, int runnerProcessId)
    {
        WatchRunner(runnerProcessId);
        using var kernel = PolyglotKernel.Create();
        // the C# kernel's first submission loads and JITs Roslyn's scripting (seconds); done here, before connecting, it
        // counts as kernel start-up instead of against the first cell's --timeout. Its events go nowhere.
        await kernel.SendAsync(new Microsoft.DotNet.Interactive.Commands.SubmitCode("0", "csharp"));

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(Endpoint(socketName));
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        var gate = new object();

        using var subscription = kernel.KernelEvents.Subscribe(e =>
        {
            var line = KernelEventEnvelope.Serialize(e);
            lock (gate)
            {
                try { writer.WriteLine(line); }
                catch (IOException) { Environment.Exit(0); } // the runner is gone: nobody is listening
            }
        });

        // commands run one after the other, as a notebook's cells do; the runner closing the socket ends the process
        while (await reader.ReadLineAsync() is { } line)
        {
            var command = KernelCommandEnvelope.Deserialize(line).Command;
            await kernel.SendAsync(command);
        }
        return 0;
    }

    /// <summary>
    /// A cell spinning in a loop never reads the socket again, so a runner that was killed would leave this process
    /// running for good: it exits as soon as the runner's process is gone.
    /// </summary>
    static void WatchRunner(int runnerProcessId) =>
        new Thread(() =>
        {
            while (IsRunning(runnerProcessId)) Thread.Sleep(1000);
            Environment.Exit(0);
        }) { IsBackground = true, Name = "runner watchdog" }.Start();

    static bool IsRunning(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
