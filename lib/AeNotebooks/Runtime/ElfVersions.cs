using System.Buffers.Binary;
using System.Text;

namespace AeNotebooks.Runtime;

/// <summary>One version a shared library requires from another (an Elf64_Vernaux entry of .gnu.version_r).</summary>
public sealed record VersionRequirement(string File, string Version, bool Weak, ushort Index, long FlagsOffset);

/// <summary>
/// Reads the symbol versions of a 64-bit little-endian ELF shared library: the versions it requires
/// (.gnu.version_r), the versions it defines (.gnu.version_d) and which dynamic symbols use a version.
/// Just enough ELF to decide whether libLibTorchSharp.so can load against this machine's libstdc++.
/// </summary>
public sealed class ElfVersions
{
    const uint ShtDynsym = 11, ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    public const ushort VerFlgWeak = 0x2;

    readonly byte[] image;
    readonly Section[] sections;

    record struct Section(uint Type, long Offset, long Size, uint Link, long EntrySize);

    ElfVersions(byte[] image)
    {
        this.image = image;
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (image[4] != 2 || image[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is supported");
        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3a), shnum = U16(0x3c);
        sections = new Section[shnum];
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            sections[i] = new Section(U32(h + 4), (long)U64(h + 0x18), (long)U64(h + 0x20), U32(h + 0x28), (long)U64(h + 0x38));
        }
    }

    public static ElfVersions Read(string path) => new(File.ReadAllBytes(path));
    public static ElfVersions Parse(byte[] image) => new(image);

    /// <summary>Every Elf64_Vernaux entry: which file, which version, whether it is already weak.</summary>
    public IReadOnlyList<VersionRequirement> Requirements()
    {
        var result = new List<VersionRequirement>();
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strings = sections[s.Link];
            long need = s.Offset;
            while (true)
            {
                int count = U16(need + 2);
                string file = CString(strings.Offset + U32(need + 4));
                long aux = need + U32(need + 8);
                for (int i = 0; i < count; i++)
                {
                    ushort flags = U16(aux + 4), other = U16(aux + 6);
                    result.Add(new VersionRequirement(file, CString(strings.Offset + U32(aux + 8)), (flags & VerFlgWeak) != 0, other, aux + 4));
                    uint nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        return result;
    }

    /// <summary>The version names this library defines (what a library needing it can ask for).</summary>
    public IReadOnlySet<string> Definitions()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strings = sections[s.Link];
            long def = s.Offset;
            while (true)
            {
                int count = U16(def + 6);
                long aux = def + U32(def + 12);
                for (int i = 0; i < count; i++)
                {
                    result.Add(CString(strings.Offset + U32(aux)));
                    uint nextAux = U32(aux + 4);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(def + 16);
                if (next == 0) break;
                def += next;
            }
        }
        return result;
    }

    /// <summary>Names of the dynamic symbols bound to version index `index` (the vna_other of a requirement).</summary>
    public IReadOnlyList<string> SymbolsUsing(ushort index)
    {
        var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym.Type == 0 || versym.Type == 0) return [];
        var strings = sections[dynsym.Link];
        long count = dynsym.Size / dynsym.EntrySize;
        var names = new List<string>();
        for (long i = 0; i < count; i++)
            if ((U16(versym.Offset + 2 * i) & 0x7fff) == index)
                names.Add(CString(strings.Offset + U32(dynsym.Offset + i * dynsym.EntrySize)));
        return names;
    }

    /// <summary>A copy of the image with the given requirements marked weak (VER_FLG_WEAK in vna_flags), nothing else changed.</summary>
    public byte[] WithWeakRequirements(IEnumerable<VersionRequirement> requirements)
    {
        var copy = (byte[])image.Clone();
        foreach (var r in requirements)
        {
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan((int)r.FlagsOffset));
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan((int)r.FlagsOffset), (ushort)(flags | VerFlgWeak));
        }
        return copy;
    }

    ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(checked((int)at)));
    uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(checked((int)at)));
    ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(checked((int)at)));

    string CString(long at)
    {
        int start = checked((int)at), end = Array.IndexOf(image, (byte)0, start);
        return Encoding.UTF8.GetString(image, start, end - start);
    }
}
