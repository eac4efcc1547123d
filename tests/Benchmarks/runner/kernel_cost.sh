#!/usr/bin/env bash
# What running notebooks in the real .NET Interactive kernel costs, measured in one run:
#  1. kernel start to the end of the first cell: a one-cell notebook ("1 + 1"), run N times by the runner; the
#     runner's reported notebook time is process start + kernel set-up + compiling and running the cell.
#  2. per notebook: the same notebook files, with the same libraries, through the retired Roslyn-scripting runner
#     and through today's runner, alternately, best of N each. Only the runner differs. The files and libraries are
#     those of the last commit that had the retired runner (built in a temporary git worktree): today's helpers take
#     FSharp.Core from the kernel that loads them (Plotly.NET), which the retired runner does not have.
# Compare ratios, not milliseconds: this VM's speed changes from day to day.
#
# Usage: tests/Benchmarks/runner/kernel_cost.sh [notebook...]   (default: every notebook of that commit's notebooks/)
# Env:   BENCH_REPEAT  runs per notebook and runner (default 2); IMITATION_COMMIT (default 612c45c)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
repeat="${BENCH_REPEAT:-2}"
old_commit="${IMITATION_COMMIT:-612c45c}"
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cd "$root"
notebooks=("$@")

dotnet build AeNotebooks.sln -c Release -nologo -v q >/dev/null
new_runner="$root/lib/AeNotebooks.Runner/bin/Release/net10.0/AeNotebooks.Runner.dll"

# the retired runner and that commit's notebooks and libraries, built apart
git worktree add --detach "$work/old" "$old_commit" >/dev/null 2>&1
dotnet build "$work/old/lib/AeNotebooks.Runner" -c Release -nologo -v q >/dev/null
dotnet build "$work/old/lib/AeNotebooks" -c Release -nologo -v q >/dev/null
[ ${#notebooks[@]} -eq 0 ] && notebooks=("$work"/old/notebooks/*.ipynb)
old_runner="$work/old/lib/AeNotebooks.Runner/bin/Release/net10.0/AeNotebooks.Runner.dll"

seconds_of() { # the runner's summary line "... (12.3 s)" or "(1 min 2 s)" → seconds
  sed -n 's/.*passed, [0-9]* failed (\(.*\)); reports.*/\1/p' | awk '{
    s = 0; for (i = 1; i <= NF; i += 2) { v = $i; u = $(i + 1); if (u == "ms") s += v / 1000; else if (u == "s") s += v; else if (u == "min") s += 60 * v }
    printf "%.2f", s }'
}
run_once() { # runner-dll notebook-dir notebook → seconds, or nothing when the notebook failed in that runner
  local out
  out=$(cd "$2" && dotnet "$1" run "$3" --out "$work/out") || return 0
  printf '%s\n' "$out" | seconds_of
}

printf '1 + 1\n' > "$work/first.dib"
echo "kernel start to the end of the first cell (one-cell notebook, $((repeat * 3)) runs):"
for i in $(seq $((repeat * 3))); do printf '  %s s\n' "$(run_once "$new_runner" "$work" first.dib)"; done

printf '\n%-36s %12s %12s %8s\n' notebook "imitation s" "kernel s" ratio
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb")"
  best_old=999999; best_new=999999
  for i in $(seq "$repeat"); do
    o=$(run_once "$old_runner" "$work/old/notebooks" "$name"); n=$(run_once "$new_runner" "$work/old/notebooks" "$name")
    [ -n "$o" ] && best_old=$(awk -v a="$best_old" -v b="$o" 'BEGIN { print (b < a ? b : a) }')
    [ -n "$n" ] && best_new=$(awk -v a="$best_new" -v b="$n" 'BEGIN { print (b < a ? b : a) }')
  done
  awk -v n="$name" -v o="$best_old" -v k="$best_new" 'BEGIN {
    if (o == 999999 || k == 999999) printf "%-36s %12s %12s %8s\n", n, (o == 999999 ? "failed" : o), (k == 999999 ? "failed" : k), "n/a"
    else printf "%-36s %12.1f %12.1f %7.2fx\n", n, o, k, k / o }'
done
