using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AeNotebooks.Runtime;

/// <summary>What the loader did, shown by the setup cell.</summary>
public sealed record NativeTorchStatus(string How, string? LibTorchSharp, string? LibTorch, string? LibStdCxx, IReadOnlyList<string> WeakenedVersions)
{
    public override string ToString() => How;
}

/// <summary>The loader could not make TorchSharp's native libraries load; the message says why and what to do.</summary>
public sealed class TorchSharpLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What to do about libLibTorchSharp.so's version requirements on libstdc++.</summary>
public abstract record PatchDecision
{
    /// <summary>libstdc++ defines every version the library asks for: load the original.</summary>
    public sealed record LoadOriginal : PatchDecision;
    /// <summary>Only versions whose symbols are never called are missing: mark those weak in a copy.</summary>
    public sealed record WeakenInCopy(IReadOnlyList<VersionRequirement> Requirements) : PatchDecision;
    /// <summary>A missing version carries symbols that are called: no patch can help.</summary>
    public sealed record CannotLoad(IReadOnlyList<VersionRequirement> Missing, IReadOnlyList<string> Symbols) : PatchDecision;
}

/// <summary>
/// Loads TorchSharp's native libraries before the first TorchSharp call. On Linux, TorchSharp 0.107.0's
/// libLibTorchSharp.so asks libstdc++ for GLIBCXX_3.4.32 for one symbol (std::ios_base_library_init(), referenced
/// by &lt;iostream&gt;, never called); Debian 12 and Ubuntu 22.04 have 3.4.30, so the library does not load there.
/// Where (and only where) the libstdc++ this process uses lacks a version whose symbols are all known to be
/// uncalled, a copy of the library with that requirement marked weak is written to a per-user cache folder and
/// loaded; TorchSharp then binds to the library already loaded. Never touches the NuGet cache or the system.
/// </summary>
public static class NativeTorch
{
    /// <summary>Symbols referenced by TorchSharp's native library but never called (a missing version for them is harmless).</summary>
    public static readonly IReadOnlySet<string> NeverCalledSymbols = new HashSet<string> { "_ZSt21ios_base_library_initv" };

    static readonly object gate = new();
    static NativeTorchStatus? status;
    static TorchSharpLoadException? failure;

    /// <summary>Runs when the helpers are first used; loads native libraries only (never a managed assembly), and never throws.</summary>
    // a library's module initializer on purpose (CA2255): a learner's own TorchSharp call must find the patched native library
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void LoadWhenHelpersAreFirstUsed()
    {
        try { EnsureLoaded(); } catch (TorchSharpLoadException) { }
    }

    /// <summary>Loads TorchSharp's native libraries (once); throws TorchSharpLoadException with what to do if they cannot load.</summary>
    public static NativeTorchStatus EnsureLoaded()
    {
        lock (gate)
        {
            if (status is not null) return status;
            if (failure is not null) throw failure;
            try { return status = Load(); }
            catch (TorchSharpLoadException e) { failure = e; throw; }
        }
    }

    static NativeTorchStatus Load()
    {
        if (!OperatingSystem.IsLinux())
            return new("TorchSharp loads its own native libraries on this OS", null, null, null, []);
        if (LoadedLibrary("libLibTorchSharp.so") is { } already)
            return new($"libLibTorchSharp.so was already loaded ({already})", already, LoadedLibrary("libtorch_cpu.so"), LoadedLibrary("libstdc++.so.6"), []);

        var folders = CandidateFolders().ToList();
        string? sharpFolder = folders.FirstOrDefault(f => File.Exists(Path.Combine(f, "libLibTorchSharp.so")));
        string? torchFolder = folders.FirstOrDefault(f => File.Exists(Path.Combine(f, "libtorch_cpu.so")));
        if (sharpFolder is null || torchFolder is null)
            throw new TorchSharpLoadException(
                $"TorchSharp's native libraries were not found ({(sharpFolder is null ? "libLibTorchSharp.so" : "libtorch_cpu.so")} is in none of: {string.Join(", ", folders)}). " +
                "Build the helpers once (`dotnet build lib/AeNotebooks`), which restores TorchSharp-cpu 0.107.0 and copies its native libraries to lib/bin/runtimes/linux-x64/native; " +
                "in your own project, reference the TorchSharp-cpu package (not only TorchSharp).");

        TuneOpenMpWaiting();
        string libtorchCpu = Path.Combine(torchFolder, "libtorch_cpu.so");
        Load(libtorchCpu, "libtorch 2.10.0 (libtorch_cpu.so)");
        if (File.Exists(Path.Combine(torchFolder, "libtorch.so"))) Load(Path.Combine(torchFolder, "libtorch.so"), "libtorch.so");

        string original = Path.Combine(sharpFolder, "libLibTorchSharp.so");
        string libstdcxx = LoadedLibrary("libstdc++.so.6")
            ?? throw new TorchSharpLoadException($"libtorch_cpu.so loaded but no libstdc++.so.6 is mapped in this process; cannot check {original}'s requirements.");
        var library = ElfVersions.Read(original);
        var decision = Decide(library.Requirements(), ElfVersions.Read(libstdcxx).Definitions(), library.SymbolsUsing);
        switch (decision)
        {
            case PatchDecision.LoadOriginal:
                Load(original, "libLibTorchSharp.so");
                return new($"TorchSharp's native library loaded as shipped ({libstdcxx} is new enough)", original, libtorchCpu, libstdcxx, []);
            case PatchDecision.WeakenInCopy weaken:
                string copy = WritePatchedCopy(library, weaken.Requirements, original);
                Load(copy, "the patched copy of libLibTorchSharp.so");
                var versions = weaken.Requirements.Select(r => r.Version).ToList();
                return new($"{libstdcxx} lacks {string.Join(", ", versions)}, asked for only by symbols TorchSharp never calls: loaded a copy of libLibTorchSharp.so with that requirement marked weak ({copy})",
                    copy, libtorchCpu, libstdcxx, versions);
            case PatchDecision.CannotLoad cannot:
                throw new TorchSharpLoadException(
                    $"TorchSharp 0.107.0 needs {string.Join(", ", cannot.Missing.Select(m => m.Version))} from libstdc++, which this machine's {libstdcxx} does not define, " +
                    $"for symbols it calls ({string.Join(", ", cannot.Symbols.Take(5))}). Install a newer libstdc++ (GCC 13 or later: Debian 13, Ubuntu 24.04) and restart the kernel.");
            default:
                throw new InvalidOperationException(decision.ToString());
        }
    }

    /// <summary>
    /// The decision, from the library's requirements, the versions the process's libstdc++ defines, and which symbols
    /// use a version index. Only requirements on libstdc++ are considered; other libraries are left to the loader.
    /// </summary>
    public static PatchDecision Decide(IReadOnlyList<VersionRequirement> requirements, IReadOnlySet<string> libstdcxxDefines, Func<ushort, IReadOnlyList<string>> symbolsUsing)
    {
        var missing = requirements.Where(r => r.File == "libstdc++.so.6" && !r.Weak && !libstdcxxDefines.Contains(r.Version)).ToList();
        if (missing.Count == 0) return new PatchDecision.LoadOriginal();
        var called = missing.SelectMany(m => symbolsUsing(m.Index)).Where(s => !NeverCalledSymbols.Contains(s)).Distinct().ToList();
        return called.Count == 0 ? new PatchDecision.WeakenInCopy(missing) : new PatchDecision.CannotLoad(missing, called);
    }

    /// <summary>Writes the patched copy once per original (named by its hash) to the per-user cache; the original is only read.</summary>
    internal static string WritePatchedCopy(ElfVersions library, IReadOnlyList<VersionRequirement> weaken, string original)
    {
        byte[] patched = library.WithWeakRequirements(weaken);
        string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(original)))[..16].ToLowerInvariant();
        foreach (var root in CacheRoots())
        {
            try
            {
                string folder = Path.Combine(root, "AeNotebooks", "native", hash);
                string path = Path.Combine(folder, "libLibTorchSharp.so");
                if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(patched)) return path;
                Directory.CreateDirectory(folder);
                string temporary = path + "." + Environment.ProcessId + ".tmp";
                File.WriteAllBytes(temporary, patched);
                File.Move(temporary, path, overwrite: true); // atomic: another kernel may be loading it
                return path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        throw new TorchSharpLoadException($"could not write a patched copy of {original} to any of: {string.Join(", ", CacheRoots())} (set XDG_CACHE_HOME to a writable folder)");
    }

    static IEnumerable<string> CacheRoots()
    {
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) yield return xdg;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0) yield return Path.Combine(home, ".cache");
        yield return Path.GetTempPath();
    }

    /// <summary>
    /// Where the native libraries can be: next to TorchSharp.dll (a RID-specific build), its runtimes/linux-x64/native
    /// (a build such as lib/bin), the NuGet package layout (TorchSharp.dll loaded from the NuGet cache, e.g. by
    /// #r "nuget: …"), and the app's native search folders from its deps.json.
    /// </summary>
    static IEnumerable<string> CandidateFolders()
    {
        string rid = "linux-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string? assemblyFolder = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        var seen = new HashSet<string>();
        IEnumerable<string> All()
        {
            if (!string.IsNullOrEmpty(assemblyFolder))
            {
                yield return assemblyFolder;
                yield return Path.Combine(assemblyFolder, "runtimes", rid, "native");
                var packageVersion = Directory.GetParent(assemblyFolder)?.Parent; // …/torchsharp/0.107.0/lib/net8.0
                if (packageVersion is not null)
                {
                    yield return Path.Combine(packageVersion.FullName, "runtimes", rid, "native");
                    var packages = packageVersion.Parent?.Parent;
                    if (packages is not null)
                        yield return Path.Combine(packages.FullName, $"libtorch-cpu-{rid}", "2.10.0", "runtimes", rid, "native");
                }
            }
            if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
                foreach (var d in searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)) yield return d;
            yield return AppContext.BaseDirectory;
            yield return Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native");
        }
        foreach (var folder in All())
        {
            var full = Path.GetFullPath(folder);
            if (seen.Add(full.TrimEnd('/'))) yield return full;
        }
    }

    static void Load(string path, string what)
    {
        try { NativeLibrary.Load(path); }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new TorchSharpLoadException($"{what} could not be loaded from {path}: {e.Message}", e);
        }
    }

    /// <summary>libgomp's spin count between parallel regions (GOMP_SPINCOUNT), set with OMP_WAIT_POLICY=PASSIVE unless the user set either.</summary>
    public const string OpenMpSpinCount = "10000";

    /// <summary>
    /// How libtorch's OpenMP (libgomp) threads wait between ops. By default they spin for up to 300,000 rounds: where the
    /// cores are shared (a laptop running a browser, a CI runner, a 2-core VM) the spinning thread steals the core the other
    /// one needs, and a dense autoencoder's step took 127 ms instead of 10 ms on the project's VM. Sleeping at once
    /// (OMP_WAIT_POLICY=PASSIVE alone) costs a wake-up per op instead: small models' steps took 2.5× as long as on one
    /// thread. A short spin (GOMP_SPINCOUNT=10000, a fraction of a millisecond) keeps both cheap (README, "How libtorch's threads wait").
    /// Set only when the user has set neither, in the native environment (libgomp reads getenv when it loads; .NET's
    /// Environment.SetEnvironmentVariable does not reach it on Unix).
    /// </summary>
    static void TuneOpenMpWaiting()
    {
        if (LoadedLibrary("libgomp-98b21ff3.so.1") is not null) return; // too late: libgomp has read its settings
        if (getenv("OMP_WAIT_POLICY") != IntPtr.Zero || getenv("GOMP_SPINCOUNT") != IntPtr.Zero) return;
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        setenv("GOMP_SPINCOUNT", OpenMpSpinCount, 0);
    }

    /// <summary>A variable of the process's native environment (what libgomp sees), or null.</summary>
    internal static string? NativeEnvironmentVariable(string name) => Marshal.PtrToStringAnsi(getenv(name));

    [DllImport("libc", CharSet = CharSet.Ansi)] static extern IntPtr getenv(string name);
    [DllImport("libc", CharSet = CharSet.Ansi)] static extern int setenv(string name, string value, int overwrite);

    /// <summary>The path of a shared library mapped into this process, by file name (maps shows the real file: libstdc++.so.6.0.30), or null.</summary>
    internal static string? LoadedLibrary(string fileName)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            var name = Path.GetFileName(path);
            if (name == fileName || name.StartsWith(fileName + ".", StringComparison.Ordinal)) return path;
        }
        return null;
    }
}
