using System.IO.Compression;

namespace AeNotebooks;

/// <summary>An IDX array of unsigned bytes (the MNIST file format): its dimensions and values, row-major.</summary>
public sealed record IdxArray(int[] Shape, byte[] Values)
{
    public int Count => Shape.Length == 0 ? 0 : Shape[0];
}

/// <summary>
/// Reads IDX files (plain or gzip'd): a big-endian header <c>0x00 0x00 type rank</c>, one 32-bit size per
/// dimension, then the values. Only type 0x08 (unsigned byte) is supported, which is what the data files use.
/// </summary>
public static class Idx
{
    static readonly Dictionary<string, (DateTime written, long length, IdxArray array)> cache = new();

    /// <summary>Reads a file (decompressing when it ends in .gz); the result is cached per file until it changes.</summary>
    public static IdxArray Read(string path)
    {
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists) throw new FileNotFoundException($"IDX file not found: {full}", full);
        lock (cache)
            if (cache.TryGetValue(full, out var hit) && hit.written == info.LastWriteTimeUtc && hit.length == info.Length)
                return hit.array;
        using var file = File.OpenRead(full);
        using Stream stream = full.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        var array = Read(stream, full);
        lock (cache) cache[full] = (info.LastWriteTimeUtc, info.Length, array);
        return array;
    }

    /// <summary>Reads an uncompressed IDX stream; <paramref name="name"/> appears in error messages.</summary>
    public static IdxArray Read(Stream stream, string name = "IDX stream")
    {
        Span<byte> head = stackalloc byte[4];
        ReadExactly(stream, head, name, "the header");
        if (head[0] != 0 || head[1] != 0)
            throw new InvalidDataException($"{name}: not an IDX file (the first two bytes are {head[0]:x2} {head[1]:x2}, expected 00 00)");
        if (head[2] != 0x08)
            throw new InvalidDataException($"{name}: IDX element type 0x{head[2]:x2} is not supported (only 0x08, unsigned byte)");
        int rank = head[3];
        if (rank == 0) throw new InvalidDataException($"{name}: IDX rank 0");
        var shape = new int[rank];
        long count = 1;
        Span<byte> size = stackalloc byte[4];
        for (int d = 0; d < rank; d++)
        {
            ReadExactly(stream, size, name, $"the size of dimension {d}");
            long n = (uint)(size[0] << 24 | size[1] << 16 | size[2] << 8 | size[3]);
            if (n > int.MaxValue) throw new InvalidDataException($"{name}: dimension {d} has size {n}");
            shape[d] = (int)n;
            count *= n;
        }
        if (count > Array.MaxLength) throw new InvalidDataException($"{name}: {count} values is too many");
        var values = new byte[count];
        ReadExactly(stream, values, name, $"{count} values of shape [{string.Join(", ", shape)}]");
        return new IdxArray(shape, values);
    }

    /// <summary>Writes an unsigned-byte IDX file (gzip'd when the name ends in .gz).</summary>
    public static void Write(string path, int[] shape, byte[] values)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length) throw new ArgumentException($"Idx.Write: {values.Length} values do not fill shape [{string.Join(", ", shape)}]");
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
        stream.Write([0, 0, 0x08, (byte)shape.Length]);
        foreach (var n in shape) stream.Write([(byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n]);
        stream.Write(values);
    }

    static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) throw new InvalidDataException($"{name}: the file ends before {what} ({total} of {buffer.Length} bytes read)");
            total += n;
        }
    }
}
