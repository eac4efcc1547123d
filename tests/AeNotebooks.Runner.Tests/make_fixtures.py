#!/usr/bin/env python3
"""Writes the fixture notebooks in Fixtures/ (run it after changing one).

.ipynb files are written as VS Code / Polyglot Notebooks writes them: JSON.stringify(sortKeysRecursively(nb), null, 1)
plus a trailing newline (json.dumps with sort_keys, indent=1 and ensure_ascii=False produces the same text).
.dib files as .NET Interactive writes them: sections "#!kernel\n\ncontent" joined by a blank line, no final newline.
"""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from notebook_json import lines, cs, md, nb, dumps  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")
os.makedirs(OUT, exist_ok=True)

def write(name, obj):
    text = dumps(obj)
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)

# ---------------------------------------------------------------- round trip
write("roundtrip-polyglot.ipynb", nb([
    md("# Round trip: café — ✓ 𝔘\n\nQuotes \"double\", back\\slash, a\ttab and <script>alert(1)</script>.\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
    cs("#!time\nvar xs = new[] { 1, 2, 3 };\nConsole.WriteLine(xs.Sum());\nxs.Length", count=3, outputs=[
        {"name": "stdout", "output_type": "stream", "text": ["6\n"]},
        {"data": {"text/html": ["<table>\n", "<tr><td>1</td></tr>\n", "</table>"], "text/plain": ["[ 1, 2, 3 ]"]}, "metadata": {}, "output_type": "display_data"},
        {"data": {"text/plain": ["3"]}, "execution_count": 3, "metadata": {}, "output_type": "execute_result"},
        {"data": {"text/plain": ["Wall time: 12.3456ms"]}, "metadata": {}, "output_type": "display_data"},
    ], tags=["setup", "parameters"]),
    cs("throw new Exception(\"bad\");", count=4, outputs=[
        {"ename": "Error", "evalue": "System.Exception: bad", "output_type": "error", "traceback": ["\u001b[31mSystem.Exception: bad\u001b[0m", "   at Submission#4.<<Initialize>>d__0.MoveNext()"]},
    ]),
    cs("display(new { a = 1 })", outputs=[
        {"data": {"application/json": {"a": 1, "nested": {"list": [1, 2.5, True, None], "empty": {}}}, "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "text/plain": ["{ a = 1 }"]}, "metadata": {"isolated": True}, "output_type": "display_data"},
    ], extra_meta={"vscode": {"languageId": "polyglot-notebook"}}),
    {"cell_type": "raw", "metadata": {}, "source": lines("raw text\nstays raw")},
    cs(""),
], extra_meta={"aenotebooks_fixture": {"ratio": 0.1, "count": 12, "flag": False, "note": "control \u0001 char"}}))

# ---------------------------------------------------------------- semantics
SEM = [
    md("# Semantics\n\nState is shared between cells; default usings; the last expression is shown."),
    cs("var greeting = \"hello\";\nvar words = new List<string> { \"b\", \"a\" }.OrderBy(w => w).ToList();\nvar sb = new StringBuilder(\"x\");\nSystem.Collections.IEnumerable untyped = words;\nTask<int> pending = Task.FromResult(1);"),
    cs("Console.WriteLine(greeting);\nConsole.Error.WriteLine(\"warn\");\nConsole.WriteLine(string.Join(\",\", words));\nConsole.WriteLine(\"<script>alert('x')</script> & more\");"),
    cs("words.Count"),
    cs("words.Remove(\"zzz\");"),
    cs("var first = display(\"first\");\ndisplay(HTML(\"<b>bold</b>\"));\nfirst.Update(\"second\");"),
    cs("#!time\nawait Task.Delay(10);\nvar answer = 42;"),
    cs("Console.WriteLine(System.IO.File.ReadAllText(\"data.txt\").Trim());\nvar cwd = Environment.CurrentDirectory;"),
    cs("HTML(\"<i>html</i>\")"),
    cs("string? nothing = null;\nnothing"),
    cs("first.Update(\"third\");\nnew { Name = \"n\", Value = 1.5 }.Display();"),
    cs("var answer = \"forty-two\";"),
]
write("semantics.ipynb", nb(SEM))

# ---------------------------------------------------------------- failures
write("compile-error.ipynb", nb([
    md("A compile error in cell 3."),
    cs("var a = 1;"),
    cs("var b = 2;\nvar c = a + undefinedName;"),
    cs("var d = 4;"),
]))
write("runtime-error.ipynb", nb([
    md("An exception in cell 3, line 3."),
    cs("var before = 1;"),
    cs("var x = 10;\nvar list = new List<int>();\nvar first = list[0];\nvar after = 2;"),
    cs("var never = 3;"),
]))
# a tight loop the kernel cannot interrupt: only killing the kernel process stops it
TIMEOUT = [
    "Console.WriteLine(\"start\");",
    "Console.WriteLine(\"spinning\");\nwhile (true) { }",
    "var never = 1;",
]
write("timeout.ipynb", nb([cs(c) for c in TIMEOUT]))
write("unknown-magic.ipynb", nb([
    cs("var ok = 1;"),
    cs("// not a magic the kernel has\n#!nosuchmagic\nvar x = 1;"),
    cs("var never = 1;"),
]))
NUGET_MISSING = "#r \"nuget: AeNotebooksNoSuchPackage12345, 1.0.0\""
write("nuget.ipynb", nb([
    md("A package that does not exist on the feed."),
    cs(NUGET_MISSING),
    cs("var never = 1;"),
]))
write("nuget-local.ipynb", nb([
    cs("#r \"nuget: Markdig, 0.45.0\"\nvar html = Markdig.Markdown.ToHtml(\"*hi*\").Trim();\nhtml"),
]))
write("parameters.ipynb", nb([
    md("Parameters are injected into the cell tagged `parameters`."),
    cs("var epochs = 10;\ndouble learningRate = 0.01;\nvar label = \"full\";\nbool verbose = false;\nfloat scale = 1.5f;\nvar window = TimeSpan.FromSeconds(1);", tags=["parameters"]),
    cs("var summary = $\"{label}: {epochs} epochs at {learningRate} (scale {scale}, verbose {verbose}, window {window.TotalSeconds}s)\";\nsummary"),
]))
write("formatters.ipynb", nb([
    cs("#r \"../AeNotebooks.Runner.Tests.dll\"\nusing AeNotebooks.Runner.Tests.FormatterFixtures;"),
    cs("var score = new Score(0.93, \"reconstruction\");\nscore"),
    cs("new HtmlOnlyChart(\"loss\")"),
    cs("display(score, \"text/plain\");"),
    cs("new DerivedScore(0.5, \"derived\")"),
    cs("new Declined(\"plain fallback\")"),
]))
# FixtureDep is never named by the notebook: the kernel must find it next to FixtureLib on its own
REFERENCE = [
    "#r \"lib/FixtureLib.dll\"\nusing FixtureLib;",
    "var description = Api.Describe();\nvar libPath = typeof(Api).Assembly.Location;\n"
    "var depPath = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == \"FixtureDep\").Location;\ndescription",
]
write("reference.ipynb", nb([cs(c) for c in REFERENCE]))
write("missing-reference.ipynb", nb([
    cs("#r \"lib/NotThere.dll\""),
]))
write("plotly.ipynb", nb([
    cs("display(HTML(\"<div id='p1'></div><script>Plotly.newPlot('p1', [{ y: [1, 3, 2] }]);</script>\"));"),
    cs("display(HTML(\"<div id='p2'></div><script>var r = require.config({ paths: { plotly: 'https://cdn.plot.ly/plotly-2.35.2.min' } }) || require; r(['plotly'], function (Plotly) { Plotly.newPlot('p2', [{ y: [2, 1] }]); });</script>\"));"),
]))
write("sample-runner-check.ipynb", nb([
    md("# Sample notebook for the runner's notebook tests\n\nWhile `notebooks/` is empty, the notebook tests run this one: gradient descent on\n$f(w) = (w - 3)^2$, with a parameters cell so a short run is possible."),
    cs("var steps = 200;\nvar learningRate = 0.1;", tags=["parameters"]),
    cs("double w = 0;\nvar losses = new List<double>();\nfor (var i = 0; i < steps; i++)\n{\n    var grad = 2 * (w - 3);\n    w -= learningRate * grad;\n    losses.Add((w - 3) * (w - 3));\n}\ndouble finalLoss = losses[^1];\n$\"final loss after {steps} steps: {finalLoss:E2}\""),
    md("The loss must fall below $10^{-3}$:"),
    cs("if (finalLoss >= 1e-3) throw new Exception($\"loss {finalLoss} did not converge\");\nfinalLoss < 1e-3"),
]))

# malformed
with open(os.path.join(OUT, "malformed.ipynb"), "w") as f:
    f.write('{\n "cells": [\n  {\n   "cell_type": "code",\n   "source": ["var a = 1;"\n')
write("malformed-nbformat.ipynb", {"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0})
write("malformed-cell.ipynb", nb([{"cell_type": "bogus", "metadata": {}, "source": []}]))

# ---------------------------------------------------------------- .dib
META = '{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"name":"csharp"}]}}'

def dib(name, cells, meta=META):
    parts = []
    if meta is not None:
        parts.append("#!meta\n\n" + meta)
    for kernel, src in cells:
        parts.append(f"#!{kernel}\n\n{src}")
    # .NET Interactive joins sections with a blank line and ends the file after the last cell
    with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
        f.write("\n\n".join(parts))

C, M = "csharp", "markdown"
dib("roundtrip-polyglot.dib", [
    (M, "# Round trip .dib — café ✓\n\nA line that looks like a magic but is not a kernel:\n#!notakernel stays here"),
    (C, "#!time\nvar xs = new[] { 1, 2, 3 };\n\n\nConsole.WriteLine(xs.Sum());   "),
    ("fsharp", "let x = 1"),
    (C, "// last cell"),
], meta='{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"languageName":"csharp","name":"csharp"},{"aliases":["f#","fs"],"languageName":"F#","name":"fsharp"}]}}')

SEM = [
    (M, "# Semantics\n\nState is shared between cells; default usings; the last expression is shown."),
    (C, "var greeting = \"hello\";\nvar words = new List<string> { \"b\", \"a\" }.OrderBy(w => w).ToList();\nvar sb = new StringBuilder(\"x\");\nSystem.Collections.IEnumerable untyped = words;\nTask<int> pending = Task.FromResult(1);"),
    (C, "Console.WriteLine(greeting);\nConsole.Error.WriteLine(\"warn\");\nConsole.WriteLine(string.Join(\",\", words));\nConsole.WriteLine(\"<script>alert('x')</script> & more\");"),
    (C, "words.Count"),
    (C, "words.Remove(\"zzz\");"),
    (C, "var first = display(\"first\");\ndisplay(HTML(\"<b>bold</b>\"));\nfirst.Update(\"second\");"),
    (C, "#!time\nawait Task.Delay(10);\nvar answer = 42;"),
    (C, "Console.WriteLine(System.IO.File.ReadAllText(\"data.txt\").Trim());\nvar cwd = Environment.CurrentDirectory;"),
    (C, "HTML(\"<i>html</i>\")"),
    (C, "string? nothing = null;\nnothing"),
    (C, "first.Update(\"third\");\nnew { Name = \"n\", Value = 1.5 }.Display();"),
    (C, "var answer = \"forty-two\";"),
]
dib("semantics.dib", SEM)
dib("compile-error.dib", [(M, "A compile error in cell 3."), (C, "var a = 1;"), (C, "var b = 2;\nvar c = a + undefinedName;"), (C, "var d = 4;")])
dib("runtime-error.dib", [(M, "An exception in cell 3, line 3."), (C, "var before = 1;"), (C, "var x = 10;\nvar list = new List<int>();\nvar first = list[0];\nvar after = 2;"), (C, "var never = 3;")])
dib("timeout.dib", [(C, c) for c in TIMEOUT])
dib("unknown-magic.dib", [(C, "var ok = 1;"), (C, "// not a magic the kernel has\n#!nosuchmagic\nvar x = 1;"), (C, "var never = 1;")])
dib("other-kernel.dib", [(C, "var ok = 1;"), ("fsharp", "let x = 1"), (C, "var never = 1;")],
    meta='{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"name":"csharp"},{"aliases":[],"name":"fsharp"}]}}')
dib("nuget.dib", [(M, "A package that does not exist on the feed."), (C, NUGET_MISSING), (C, "var never = 1;")])
dib("parameters.dib", [
    (M, "Parameters: a .dib has no cell tags, so the cell starts with `// parameters`."),
    (C, "// parameters\nvar epochs = 10;\ndouble learningRate = 0.01;\nvar label = \"full\";\nbool verbose = false;\nfloat scale = 1.5f;\nvar window = TimeSpan.FromSeconds(1);"),
    (C, "var summary = $\"{label}: {epochs} epochs at {learningRate} (scale {scale}, verbose {verbose}, window {window.TotalSeconds}s)\";\nsummary"),
])
dib("formatters.dib", [
    (C, "#r \"../AeNotebooks.Runner.Tests.dll\"\nusing AeNotebooks.Runner.Tests.FormatterFixtures;"),
    (C, "var score = new Score(0.93, \"reconstruction\");\nscore"),
    (C, "new HtmlOnlyChart(\"loss\")"),
    (C, "display(score, \"text/plain\");"),
    (C, "new DerivedScore(0.5, \"derived\")"),
    (C, "new Declined(\"plain fallback\")"),
])
dib("reference.dib", [(C, c) for c in REFERENCE])
# no #!meta section (older .dib files): cells default to C#
with open(os.path.join(OUT, "no-meta.dib"), "w", newline="") as f:
    f.write("#!csharp\n\nvar fromOldDib = 7;\n\n#!markdown\n\nText.\n")
with open(os.path.join(OUT, "malformed-meta.dib"), "w", newline="") as f:
    f.write("#!meta\n\n{\"kernelInfo\": {\"defaultKernelName\": \n\n#!csharp\n\nvar a = 1;")
with open(os.path.join(OUT, "data.txt"), "w", newline="") as f:
    f.write("read from the notebook's folder\n")

# ---------------------------------------------------------------- a cell cannot take the runner down
os.makedirs(os.path.join(OUT, "crash"), exist_ok=True)
os.makedirs(os.path.join(OUT, "batch"), exist_ok=True)

def crash(name, cells):
    write(os.path.join("crash", name), nb([cs(c) for c in cells]))

crash("stack-overflow.ipynb", [
    "var before = 1;\nConsole.WriteLine(\"before the recursion\");",
    "int Down(int n) => Down(n + 1) + 1; // not a tail call: the stack overflows\nDown(0);",
    "var never = 1;",
])
crash("exit.ipynb", [
    "Console.WriteLine(\"about to exit\");",
    "Environment.Exit(3);",
    "var never = 1;",
])
# run with RunnerOptions.KernelMemoryLimit: the list lives in a method, so the memory is garbage once it throws
crash("out-of-memory.ipynb", [
    "var before = 1;",
    "long Fill()\n{\n    var chunks = new List<byte[]>();\n    while (true)\n    {\n        var chunk = new byte[16 << 20];\n        Array.Fill(chunk, (byte)1);\n        chunks.Add(chunk);\n    }\n}\nFill();",
    "var after = 2;",
])
# the kernel's own display updates: only KernelInvocationContext.Current.Display(...).Update(...) keeps one id
write("display-update.ipynb", nb([cs(c) for c in [
    "using Microsoft.DotNet.Interactive;\nvar shown = KernelInvocationContext.Current.Display(\"a\", \"text/plain\");\nshown.Update(\"b\");",
    "var helper = display(\"first\");\nhelper.Update(\"second\");",
]]))
# the kernel's magics: #!time, #!who, value sharing, #!import of another notebook in the same folder
write("magics.ipynb", nb([cs(c) for c in [
    "#!time\nvar shared = 41;\nvar label = \"answer\";",
    "#!who",
    "#!set --name copied --value @csharp:shared",
    "#!import imported.dib",
    "var total = copied + fromImport;",
]]))
with open(os.path.join(OUT, "imported.dib"), "w", encoding="utf-8", newline="") as f:
    f.write("#!meta\n\n" + META + "\n\n#!csharp\n\nvar fromImport = 1;\nConsole.WriteLine(\"imported\");")

# a batch (a folder) in which the middle notebook spins past --timeout: the others must still run
write(os.path.join("batch", "1-first.ipynb"), nb([cs("var first = 1;\nConsole.WriteLine(\"first ran\");")]))
write(os.path.join("batch", "2-spins.ipynb"), nb([cs(c) for c in TIMEOUT]))
write(os.path.join("batch", "3-last.ipynb"), nb([cs("var last = 3;\nConsole.WriteLine(\"last ran\");")]))

# two notebooks that each wait for the other to start: they pass only when they run at the same time
def rendezvous(me, other):
    return nb([cs(
        f"System.IO.File.WriteAllText(\"{me}.started\", Environment.ProcessId.ToString());\n"
        f"var clock = System.Diagnostics.Stopwatch.StartNew();\n"
        f"while (!System.IO.File.Exists(\"{other}.started\") && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);\n"
        f"if (!System.IO.File.Exists(\"{other}.started\")) throw new TimeoutException(\"{other} never started while {me} ran\");\n"
        f"var kernelPid = Environment.ProcessId;\nvar otherPid = int.Parse(System.IO.File.ReadAllText(\"{other}.started\"));")])
os.makedirs(os.path.join(OUT, "parallel"), exist_ok=True)
write(os.path.join("parallel", "a.ipynb"), rendezvous("a", "b"))
write(os.path.join("parallel", "b.ipynb"), rendezvous("b", "a"))
