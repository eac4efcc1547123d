using System.Diagnostics;

namespace AeNotebooks.Runner.Classroom;

/// <summary>
/// Linux namespaces around one submission's process, with util-linux's <c>unshare</c> (no root needed where
/// unprivileged user namespaces are enabled):
/// <list type="bullet">
/// <item>a mount namespace in which every file system is read-only except the submission's own folder;</item>
/// <item>the other submissions' folders are hidden (an empty tmpfs over the grading session's folder, this submission's
/// folder bound back), and so are the instructor's solution notebooks, the submitted files and the grader's output
/// folder (an empty, read-only file or folder mounted over each);</item>
/// <item>a PID namespace, so every process the submission starts dies with it (and is killed with it on timeout);</item>
/// <item>a network namespace with no interfaces up.</item>
/// </list>
/// If any step fails the script exits before running the submission (codes 90–95, with a message on stderr that
/// starts with "aenotebooks sandbox:"): the submission is reported, never run unprotected.
/// </summary>
public static class Sandbox
{
    public const string MessagePrefix = "aenotebooks sandbox:";
    public const int FirstSetupExitCode = 90, LastSetupExitCode = 95;

    static readonly string[] UnshareArguments =
        ["--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--net"];

    /// <summary>The setup script; arguments: the submission folder, the session folder, the file listing paths to hide, then the command.</summary>
    public const string Script = """
        set -u
        W="$1"; R="$2"; H="$3"; shift 3
        fail() { echo "aenotebooks sandbox: $2" >&2; exit "$1"; }
        cd "$W" || fail 90 "cannot enter $W"
        # the instructor's files: an empty folder or an empty file over each (made read-only below)
        : > "$R/.empty" 2>/dev/null || [ -f "$R/.empty" ] || fail 91 "cannot create $R/.empty"
        while IFS= read -r p; do
          [ -n "$p" ] || continue
          if [ -d "$p" ]; then mount -t tmpfs -o size=16k,mode=755 aenotebooks-hidden "$p" || fail 91 "cannot hide $p"
          elif [ -e "$p" ]; then mount --bind "$R/.empty" "$p" || fail 91 "cannot hide $p"; fi
        done < "$H"
        # the other submissions: an empty tmpfs over the session folder, then this submission's folder bound back
        mount -t tmpfs -o size=64k,mode=755 aenotebooks-session "$R" || fail 92 "cannot hide $R"
        mkdir -p "$W" && mount --no-canonicalize --bind /proc/self/cwd "$W" || fail 93 "cannot bind $W back"
        cd "$W" || fail 93 "cannot enter $W"
        # every other mount read-only
        while read -r _ _ _ _ m o _; do
          m=$(printf '%b' "$m")
          case "$m" in "$W"|"$W"/*) continue;; esac
          case ",$o," in *,ro,*) continue;; esac
          mount -o remount,bind,ro "$m" 2>/dev/null || fail 94 "cannot make $m read-only"
        done < /proc/self/mountinfo
        if ( : > "$R/.aenotebooks-probe" ) 2>/dev/null; then fail 95 "$R is still writable"; fi
        if ( : > /.aenotebooks-probe ) 2>/dev/null; then fail 95 "/ is still writable"; fi
        exec "$@"
        """;

    static readonly Lazy<(bool Available, string Why)> Probed = new(Probe);

    /// <summary>Whether <c>unshare</c> can create the namespaces here (probed once per process).</summary>
    public static bool IsAvailable => Probed.Value.Available;

    /// <summary>Why the sandbox cannot be used (empty when it can).</summary>
    public static string Unavailability => Probed.Value.Why;

    public static string? UnshareExecutable => FindOnPath("unshare");

    /// <summary>Fills in a start info that runs <paramref name="command"/> inside the sandbox.</summary>
    public static void Wrap(ProcessStartInfo psi, string submissionFolder, string sessionFolder, string hideList, IReadOnlyList<string> command)
    {
        psi.FileName = UnshareExecutable ?? "unshare";
        foreach (var a in UnshareArguments) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add("aenotebooks-sandbox");
        psi.ArgumentList.Add(submissionFolder);
        psi.ArgumentList.Add(sessionFolder);
        psi.ArgumentList.Add(hideList);
        foreach (var a in command) psi.ArgumentList.Add(a);
    }

    static (bool, string) Probe()
    {
        if (!OperatingSystem.IsLinux()) return (false, "the sandbox needs Linux namespaces");
        var unshare = UnshareExecutable;
        if (unshare is null) return (false, "util-linux's unshare is not on PATH");
        if (!File.Exists("/bin/sh")) return (false, "/bin/sh is missing");
        var psi = new ProcessStartInfo(unshare) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in UnshareArguments) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("mount -t tmpfs aenotebooks-probe /tmp && mount -o remount,bind,ro /tmp");
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                p.Kill(entireProcessTree: true);
                return (false, "unshare did not answer within 20 s");
            }
            return p.ExitCode == 0 ? (true, "") : (false, $"unshare cannot create user, mount, PID and network namespaces here: {err.Result.Trim()}");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return (false, "unshare could not be started: " + e.Message);
        }
    }

    internal static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        foreach (var dir in new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" })
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
