using System.Runtime.CompilerServices;
using AeNotebooks.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace AeNotebooks.Tests;

static class LoadTorchFirst
{
    // tests call TorchSharp before any helper type is touched; load the native libraries the way the setup cell does
    [ModuleInitializer]
    internal static void Load() => NativeTorch.EnsureLoaded();
}

public class NativeTorchTests
{
    static string NuGetTorchSharp => Path.Combine(Path.GetDirectoryName(typeof(torch).Assembly.Location)!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    static VersionRequirement Need(string version, ushort index, string file = "libstdc++.so.6", bool weak = false) => new(file, version, weak, index, 0);

    static readonly Dictionary<ushort, IReadOnlyList<string>> Symbols = new()
    {
        [18] = ["_ZSt21ios_base_library_initv"],
        [29] = ["_ZNSt6chrono3_V212steady_clock3nowEv"],
        [40] = ["_ZSt21ios_base_library_initv", "_ZNSt8__format5__sinkIcE8_M_resetESt4spanIcEm"],
    };

    static IReadOnlyList<string> SymbolsOf(ushort index) => Symbols.TryGetValue(index, out var s) ? s : [];

    [Fact]
    public void ATensorOpRunsOnThisMachine()
    {
        var status = NativeTorch.EnsureLoaded();
        using var x = ones(3, 4);
        using var sum = (x * 2).sum();
        Assert.Equal(24f, sum.item<float>());
        Assert.Equal("2.10.0.0", __version__.ToString()); // libtorch of TorchSharp-cpu 0.107.0 (not a version of ours)
        // weakened exactly when this machine's libstdc++ lacks 3.4.32
        bool systemHas32 = ElfVersions.Read(status.LibStdCxx!).Definitions().Contains("GLIBCXX_3.4.32");
        Assert.Equal(systemHas32 ? [] : ["GLIBCXX_3.4.32"], status.WeakenedVersions);
        Assert.NotNull(NativeTorch.LoadedLibrary("libLibTorchSharp.so"));
    }

    [Fact]
    public void OpenMpThreadsSpinBrieflyUnlessTheUserChoseHowTheyWait()
    {
        NativeTorch.EnsureLoaded();
        // .NET's view of the environment is the one the process started with; libgomp reads the native one
        string? policy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"), spin = Environment.GetEnvironmentVariable("GOMP_SPINCOUNT");
        bool userChose = policy is not null || spin is not null;
        Assert.Equal(userChose ? policy : "PASSIVE", NativeTorch.NativeEnvironmentVariable("OMP_WAIT_POLICY"));
        Assert.Equal(userChose ? spin : NativeTorch.OpenMpSpinCount, NativeTorch.NativeEnvironmentVariable("GOMP_SPINCOUNT"));
    }

    [Fact]
    public void ANewEnoughLibStdCxxLeavesTheLibraryAlone()
    {
        var defines = new HashSet<string> { "GLIBCXX_3.4.30", "GLIBCXX_3.4.31", "GLIBCXX_3.4.32", "CXXABI_1.3.13" };
        var decision = NativeTorch.Decide([Need("GLIBCXX_3.4.30", 29), Need("GLIBCXX_3.4.32", 18), Need("CXXABI_1.3.13", 26)], defines, SymbolsOf);
        Assert.IsType<PatchDecision.LoadOriginal>(decision);
    }

    [Fact]
    public void AnOldLibStdCxxGetsOnlyTheUncalledVersionWeakened()
    {
        var defines = new HashSet<string> { "GLIBCXX_3.4.30", "CXXABI_1.3.13" };
        var decision = NativeTorch.Decide([Need("GLIBCXX_3.4.30", 29), Need("GLIBCXX_3.4.32", 18), Need("GLIBC_2.34", 24, "libc.so.6")], defines, SymbolsOf);
        var weaken = Assert.IsType<PatchDecision.WeakenInCopy>(decision);
        Assert.Equal(["GLIBCXX_3.4.32"], weaken.Requirements.Select(r => r.Version));
    }

    [Fact]
    public void AMissingVersionWithCalledSymbolsIsRefusedWithTheReason()
    {
        var defines = new HashSet<string> { "GLIBCXX_3.4.29" };
        var decision = NativeTorch.Decide([Need("GLIBCXX_3.4.30", 29), Need("GLIBCXX_3.4.33", 40)], defines, SymbolsOf);
        var cannot = Assert.IsType<PatchDecision.CannotLoad>(decision);
        Assert.Equal(["GLIBCXX_3.4.30", "GLIBCXX_3.4.33"], cannot.Missing.Select(m => m.Version));
        Assert.Contains("_ZNSt6chrono3_V212steady_clock3nowEv", cannot.Symbols);
        Assert.DoesNotContain("_ZSt21ios_base_library_initv", cannot.Symbols);
    }

    [Fact]
    public void AnAlreadyWeakRequirementIsNotMissing()
    {
        var decision = NativeTorch.Decide([Need("GLIBCXX_3.4.32", 18, weak: true)], new HashSet<string>(), SymbolsOf);
        Assert.IsType<PatchDecision.LoadOriginal>(decision);
    }

    [Fact]
    public void TheShippedLibraryNeeds3_4_32OnlyForIosBaseLibraryInit()
    {
        var elf = ElfVersions.Read(NuGetTorchSharp);
        var need = elf.Requirements().Single(r => r.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.False(need.Weak);
        Assert.Equal(["_ZSt21ios_base_library_initv"], elf.SymbolsUsing(need.Index));
    }

    [Fact]
    public void ThePatchSetsOneFlagBitAndNothingElse()
    {
        var original = File.ReadAllBytes(NuGetTorchSharp);
        var elf = ElfVersions.Parse(original);
        var need = elf.Requirements().Single(r => r.Version == "GLIBCXX_3.4.32");
        var patched = elf.WithWeakRequirements([need]);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        Assert.Equal([(int)need.FlagsOffset], differing); // vna_flags is little-endian: the weak bit is in its low byte
        Assert.Equal(ElfVersions.VerFlgWeak, patched[need.FlagsOffset] & ElfVersions.VerFlgWeak);
        var reread = ElfVersions.Parse(patched).Requirements();
        Assert.True(reread.Single(r => r.Version == "GLIBCXX_3.4.32").Weak);
        Assert.All(reread.Where(r => r.Version != "GLIBCXX_3.4.32"), r => Assert.False(r.Weak));
        Assert.Equal(original, File.ReadAllBytes(NuGetTorchSharp)); // the original is only read
    }

    [Fact]
    public void TheSystemLibStdCxxVersionsAreRead()
    {
        var path = NativeTorch.LoadedLibrary("libstdc++.so.6")!;
        var defines = ElfVersions.Read(path).Definitions();
        Assert.Contains("GLIBCXX_3.4", defines);
        Assert.Contains("CXXABI_1.3", defines);
    }

    [Fact]
    public void NotAnElfFileIsRejected()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersions.Parse("#!/bin/sh\necho not a library, padded to 64 bytes..............."u8.ToArray()));
    }
}
