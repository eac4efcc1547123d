#!/usr/bin/env python3
"""Writes the classroom fixtures in Fixtures/ (run it after changing one).

Fixtures/course/notebooks/10-warmup.ipynb   a small instructor notebook: 3 exercises with solution regions, visible
                                            Check.Exercise cells and hidden checks (4 points in all)
Fixtures/submissions/<student>/10-warmup.ipynb   deliberately wrong, failing, crashing, slow, malformed, cheating and
                                            tampering submissions (the tests add a perfect one and the released stub)
Fixtures/sleeper/10-warmup.ipynb            sleeps forever in a cell: killed by the per-submission time limit
Fixtures/release/*.ipynb                    notebooks that release must reject or handle

.ipynb files are written as VS Code / Polyglot Notebooks writes them (json.dumps with sort_keys, indent=1,
ensure_ascii=False, plus a trailing newline).
"""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from notebook_json import lines, cs, md, nb, dumps  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "Fixtures")

def write(path, obj):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    text = obj if isinstance(obj, str) else dumps(obj)
    with open(full, "w", encoding="utf-8", newline="") as f:
        f.write(text)

SETUP = '#r "../lib/bin/AeNotebooks.dll"\nusing AeNotebooks;'
PARAMS = "var n = 10;"
EXACT = "(long)n * (n + 1) * (2 * n + 1) / 6"

def warmup(ex1, ex2, ex3, hidden=True, extra=None, before_ex1=None):
    """The warm-up notebook; ex1..ex3 are the bodies of the three exercise cells (solution regions included)."""
    cells = [
        md("# 10 · Warm-up\n\nThree small exercises that exercise the classroom conventions."),
        cs(SETUP),
        cs(PARAMS, tags=["parameters"]),
    ]
    if before_ex1: cells.append(cs(before_ex1))
    cells += [
        md("**Exercise 1.** Store $\\sum_{i=1}^{n} i^2$ in `sumOfSquares`."),
        cs(ex1),
        cs(f'// check\nCheck.Exercise("10-squares", sumOfSquares, expected: {EXACT}, hint: "add i² for i = 1 … n")'),
    ]
    if hidden:
        cells.append(cs(f'// hidden check: 10-squares (points: 2)\nvar expectedSquares = {EXACT};\nCheck.Exercise("10-squares", sumOfSquares, expected: expectedSquares, hint: "")'))
    cells += [
        md("**Exercise 2.** Write `Mean`, the average of an array."),
        cs(ex2),
        cs('// check\nCheck.Exercise("10-mean", () => Math.Abs(Mean([1, 2, 3]) - 2) < 1e-12, () => $"Mean([1, 2, 3]) = {Mean([1, 2, 3])}", hint: "the sum divided by the count")'),
    ]
    if hidden:
        cells.append(cs("// hidden check: 10-mean\nMath.Abs(Mean([2, 4, 9]) - 5) < 1e-12"))
    cells += [
        md("**Exercise 3.** Store `\"hello\"` in capitals in `shout`."),
        cs(ex3),
        cs('// check\nCheck.Exercise("10-shout", shout, expected: "HELLO", hint: "ToUpperInvariant")'),
    ]
    if hidden:
        cells.append(cs('// hidden check: 10-shout\nshout == "HELLO"'))
    if extra: cells += extra
    return nb(cells)

EX1 = "long sumOfSquares;\n// BEGIN SOLUTION\nsumOfSquares = Enumerable.Range(1, n).Sum(i => (long)i * i);\n// END SOLUTION\nsumOfSquares"
EX2 = "double Mean(double[] xs)\n{\n    // BEGIN SOLUTION\n    return xs.Sum() / xs.Length;\n    // END SOLUTION\n}\nMean([1, 2, 3])"
EX3 = 'string shout;\n// BEGIN SOLUTION\nshout = "hello".ToUpperInvariant();\n// END SOLUTION\nshout'

def answer(cell, code):
    """A student's answer: the solution region replaced by the student's own lines."""
    start = cell.index("// BEGIN SOLUTION")
    end = cell.index("// END SOLUTION") + len("// END SOLUTION")
    indent = cell[cell.rindex("\n", 0, start) + 1:start] if "\n" in cell[:start] else ""
    return cell[:start] + code.replace("\n", "\n" + indent) + cell[end:]

# ---------------------------------------------------------------- the instructor's notebook
write("course/notebooks/10-warmup.ipynb", warmup(EX1, EX2, EX3))

# ---------------------------------------------------------------- submissions
S = "submissions/{}/10-warmup.ipynb"
# wrong answers for exercises 1 and 3, a right one for 2: 1 of 4 points, no errors
write(S.format("wrong"), warmup(answer(EX1, "sumOfSquares = n * n;"), answer(EX2, "return xs.Sum() / xs.Length;"),
                                answer(EX3, 'shout = "Hello";'), hidden=False))
# exercise 1 does not compile: its checks cannot find sumOfSquares; 2 of 4 points
write(S.format("compile-error"), warmup(answer(EX1, "sumOfSquares = Enumerable.Range(1, n).Sum(i => (long)i * i)"),
                                        answer(EX2, "return xs.Average();"), answer(EX3, 'shout = "HELLO";'), hidden=False))
# exercise 3 throws before assigning: 3 of 4 points
write(S.format("throws"), warmup(answer(EX1, "sumOfSquares = Enumerable.Range(1, n).Select(i => (long)i * i).Sum();"),
                                 answer(EX2, "return xs.Average();"),
                                 answer(EX3, 'throw new InvalidOperationException("boom from the student");\nshout = "HELLO";'), hidden=False))
# the process ends in the middle of the notebook
write(S.format("crash-exit"), warmup(answer(EX1, "Environment.Exit(3);"), EX2, EX3, hidden=False))
write(S.format("crash-overflow"), warmup(answer(EX1, "int Down(int k) => Down(k + 1) + 1;\nsumOfSquares = Down(0);"), EX2, EX3, hidden=False))
# exercise 2 never finishes: the cell times out; exercise 1's answer still counts (2 of 4)
write(S.format("slow"), warmup(answer(EX1, "sumOfSquares = Enumerable.Range(1, n).Sum(i => (long)i * i);"),
                               answer(EX2, "while (true) { }"), answer(EX3, 'shout = "HELLO";'), hidden=False))
# not a notebook any more
write(S.format("malformed"), '{\n "cells": [\n  {\n   "cell_type": "code",\n   "source": ["var x = 1;"\n')
# claims its own hidden check: ignored; only exercise 3 is right (1 of 4)
write(S.format("impostor"), warmup(answer(EX1, "sumOfSquares = 1;"), answer(EX2, "return 0;"), answer(EX3, 'shout = "HELLO";'), hidden=False,
                                   extra=[cs("// hidden check: 10-squares (points: 100)\ntrue"), cs("// Hidden check: 10-mean\ntrue")]))
# tries to reach what is not its own, then answers exercise 1 only (2 of 4)
TAMPER = r'''using System.Diagnostics;
using System.IO;
var attempts = new List<string>();
void Try(string what, Action act)
{
    try { act(); attempts.Add($"{what}: DONE"); }
    catch (Exception e) { attempts.Add($"{what}: blocked ({e.GetType().Name})"); }
}
// ../lib is a link into the course: where it points reveals the instructor's folders
var courseRoot = Path.GetDirectoryName(Directory.ResolveLinkTarget("../lib", false)?.FullName ?? Path.GetFullPath("../lib"))!;
Try("overwrite the solution", () => File.WriteAllText(Path.Combine(courseRoot, "notebooks", "10-warmup.ipynb"), "{}"));
Try("write into the course", () => File.WriteAllText(Path.Combine(courseRoot, "pwned.txt"), "pwned"));
Try("write into the grader's output", () => File.WriteAllText(Path.Combine(courseRoot, "out", "grades.csv"), "pwned"));
Try("write through the lib link", () => File.WriteAllText("../lib/pwned.txt", "pwned"));
Try("write into /tmp", () => File.WriteAllText("/tmp/aenotebooks-classroom-tamper.txt", "pwned"));
Try("link to the course", () => File.CreateSymbolicLink("trap", courseRoot));
var solutionText = "";
Try("read the solution", () => solutionText = File.ReadAllText(Path.Combine(courseRoot, "notebooks", "10-warmup.ipynb")));
var otherSubmissions = Directory.GetDirectories("../..").Length - 1;
Try("start a process that outlives the notebook", () => Process.Start("/bin/sh", ["-c", "exec sleep 31.4159"]));
attempts.Add($"solution text length: {solutionText.Length}");
attempts.Add($"other submissions visible: {otherSubmissions}");
attempts.Add($"secret: {Environment.GetEnvironmentVariable("CLASSROOM_TEST_SECRET") ?? "none"}");
Console.WriteLine(string.Join("\n", attempts));'''
write(S.format("tamper"), warmup(answer(EX1, "sumOfSquares = Enumerable.Range(1, n).Sum(i => (long)i * i);"),
                                 answer(EX2, "return double.NaN;"), answer(EX3, 'shout = "hello";'), hidden=False, before_ex1=TAMPER))

# ---------------------------------------------------------------- a submission that never ends
write("sleeper/alice/10-warmup.ipynb", warmup(answer(EX1, "System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);"), EX2, EX3, hidden=False))

# ---------------------------------------------------------------- release
write("release/unclosed.ipynb", nb([cs("var x = 1;\n// BEGIN SOLUTION\nx = 2;")]))
write("release/nested.ipynb", nb([cs("// BEGIN SOLUTION\n// BEGIN SOLUTION\nvar x = 2;\n// END SOLUTION\n// END SOLUTION")]))
write("release/stray-end.ipynb", nb([cs("var x = 1;\n// END SOLUTION")]))
write("release/bad-hidden.ipynb", nb([cs("var x = 1;"), cs("// hidden check\nx == 1")]))
# an executed notebook (outputs, counts, the runner's metadata) with two regions in one cell and an indented one
write("release/executed.ipynb", nb([
    md("# Executed"),
    cs("var a = 1;\n// BEGIN SOLUTION\na = 2;\n// END SOLUTION\nvar b = 3;\n// BEGIN SOLUTION\nb = 4;\n// END SOLUTION\na + b", count=1,
       outputs=[{"data": {"text/plain": ["6"]}, "execution_count": 1, "metadata": {}, "output_type": "execute_result"}],
       extra_meta={"aenotebooks": {"durationMs": 1.5, "status": "ok"}}),
    cs("int Twice(int x)\n{\n    // BEGIN SOLUTION\n    return 2 * x;\n    // END SOLUTION\n}", count=2),
    cs("// hidden check: ex-twice (points: 3)\nTwice(4) == 8", count=3,
       outputs=[{"data": {"text/plain": ["True"]}, "execution_count": 3, "metadata": {}, "output_type": "execute_result"}]),
    cs("Console.WriteLine(Twice(a));", count=4, outputs=[{"name": "stdout", "output_type": "stream", "text": ["4\n"]}]),
], extra_meta={"aenotebooks": {"durationMs": 12.0, "status": "succeeded"}}))
# what release must make of it (compared as Documents reads and writes it)
write("release/executed.student.ipynb", nb([
    md("# Executed"),
    cs("var a = 1;\n// YOUR CODE HERE\nthrow new NotImplementedException();\nvar b = 3;\n// YOUR CODE HERE\nthrow new NotImplementedException();\na + b"),
    cs("int Twice(int x)\n{\n    // YOUR CODE HERE\n    throw new NotImplementedException();\n}"),
    cs("Console.WriteLine(Twice(a));"),
]))
