using AeNotebooks.Runner.Cli;
using AeNotebooks.Runner.Formats;
using AeNotebooks.Runner.Model;

namespace AeNotebooks.Runner.Classroom;

public sealed class ReleaseOptions
{
    public List<string> Inputs { get; } = new();
    public string OutDir { get; set; } = "student";
}

/// <summary>What release did to one notebook.</summary>
public sealed record ReleasedNotebook(string Source, string? Destination, int SolutionRegions, int HiddenChecks, int CellsCleared, string? Problem);

/// <summary>
/// <c>release</c>: writes the student version of each notebook — solution regions replaced by a stub that throws,
/// hidden checks removed, outputs, execution counts and run metadata cleared, everything else as it was.
/// </summary>
public static class Release
{
    /// <summary>The student version of a notebook (the source is not changed). Malformed markers throw <see cref="ClassroomFormatException"/>.</summary>
    public static Notebook StudentVersion(Notebook source, out int solutionRegions, out int hiddenChecks, out int cellsCleared)
    {
        var nb = source.Clone();
        solutionRegions = 0;
        cellsCleared = 0;
        var keep = new List<NotebookCell>();
        var hidden = 0;
        for (var i = 0; i < nb.Cells.Count; i++)
        {
            var cell = nb.Cells[i];
            var where = $"{nb.Name}, cell {i + 1}";
            if (Conventions.HiddenCheckOf(cell, i + 1, nb.Name) is not null)
            {
                hidden++;
                continue;
            }
            if (cell.IsCode)
            {
                var stripped = Conventions.StripSolutions(cell.Source, out var regions, where);
                if (regions > 0)
                {
                    cell.Source = stripped;
                    solutionRegions += regions;
                }
                if (cell.Outputs.Count > 0 || cell.ExecutionCount is not null) cellsCleared++;
                cell.Outputs.Clear();
                cell.ExecutionCount = null;
                cell.OutputsChanged = true;
            }
            cell.RunMetadata = null;
            keep.Add(cell);
        }
        hiddenChecks = hidden;
        nb.Cells.Clear();
        nb.Cells.AddRange(keep);
        nb.RunMetadata = null;
        return nb;
    }

    /// <summary>Releases the notebooks named by the options; exit code 0, or 2 when a notebook could not be released.</summary>
    public static (int ExitCode, List<ReleasedNotebook> Notebooks) Run(ReleaseOptions options, TextWriter log)
    {
        var problems = new List<string>();
        var files = BatchRunner.Expand(options.Inputs, problems, log);
        var outDir = Path.GetFullPath(options.OutDir);
        var results = new List<ReleasedNotebook>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            var sourceDir = Path.GetDirectoryName(Path.GetFullPath(file))!;
            if (string.Equals(sourceDir.TrimEnd(Path.DirectorySeparatorChar), outDir.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            {
                results.Add(Problem(file, $"--out {options.OutDir} is the notebook's own folder: releasing there would overwrite the solutions"));
                continue;
            }
            if (!names.Add(Path.GetFileName(file)))
            {
                results.Add(Problem(file, $"another notebook named {Path.GetFileName(file)} is released too; release them into different folders"));
                continue;
            }
            try
            {
                var source = NotebookFile.Load(file);
                var student = StudentVersion(source, out var regions, out var hidden, out var cleared);
                var destination = Path.Combine(outDir, Path.GetFileName(file));
                NotebookFile.Save(student, destination);
                results.Add(new ReleasedNotebook(file, destination, regions, hidden, cleared, null));
            }
            catch (NotebookFormatException e)
            {
                results.Add(Problem(file, e.Problem));
            }
            catch (ClassroomFormatException e)
            {
                results.Add(Problem(file, e.Message));
            }
        }
        foreach (var r in results)
        {
            if (r.Problem is not null)
            {
                log.WriteLine($"ERROR     {r.Source}: {r.Problem}");
                continue;
            }
            log.WriteLine($"RELEASED  {r.Source} → {Display(r.Destination!)}  " +
                          $"{Count(r.SolutionRegions, "solution region")} stubbed, {Count(r.HiddenChecks, "hidden check")} removed" +
                          (r.CellsCleared > 0 ? $", outputs of {Count(r.CellsCleared, "cell")} cleared" : ""));
            if (r.HiddenChecks == 0) log.WriteLine("          note: no hidden checks: grade gives this notebook no points");
            else if (r.SolutionRegions == 0) log.WriteLine("          note: no solution regions: the student version has nothing to fill in");
        }
        var released = results.Count(r => r.Problem is null);
        log.WriteLine($"{results.Count} notebook{(results.Count == 1 ? "" : "s")}: {released} released into {Display(outDir)}" +
                      (released < results.Count ? $", {results.Count - released} with problems" : ""));
        return (results.Any(r => r.Problem is not null) ? BatchRunner.ExitBadInput : BatchRunner.ExitOk, results);
    }

    static ReleasedNotebook Problem(string file, string problem) => new(file, null, 0, 0, 0, problem);

    static string Count(int n, string what) => $"{n} {what}{(n == 1 ? "" : "s")}";

    internal static string Display(string path)
    {
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }
}
