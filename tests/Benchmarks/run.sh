#!/usr/bin/env bash
# Times each workload of shared/anchors/torch_workloads.py three ways in one run: a bare TorchSharp loop (dispose scope
# per step), the same model through Trainer.Fit (<workload>/fit), and the PyTorch twin (torch_twin.py, Debian's
# PyTorch 1.13), single- and two-threaded; prints a table with Fit's overhead over the bare loop and TorchSharp/PyTorch.
#
# Usage: tests/Benchmarks/run.sh [workload...]   (default: dense_ae_b128 tiny_ae_b3 mnist_dae_b64 cifar_cae_b32)
# Env:   BENCH_SECONDS  timed seconds per workload and side (default 3)
#        BENCH_THREADS  thread counts (default "1 2")
#        BENCH_REPEAT   interleaved runs per side; the fastest is reported (default 1; on a shared machine other
#                       processes only ever add time, so the best of N is the fairer figure)
#        BENCH_CLOCK    "wall" (default) or "cpu" (process CPU time per step, both sides; meaningful for 1 thread)
#        PYTHON         interpreter with torch (default /usr/bin/python3)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-/usr/bin/python3}"
seconds="${BENCH_SECONDS:-3}"; repeat="${BENCH_REPEAT:-1}"
workloads=("$@"); [ ${#workloads[@]} -eq 0 ] && workloads=(dense_ae_b128 tiny_ae_b3 mnist_dae_b64 cifar_cae_b32)
clock=(); [ "${BENCH_CLOCK:-wall}" = cpu ] && clock=(--cpu)

if ! log=$(dotnet build "$here/Benchmarks.csproj" -c Release -nologo -v q 2>&1); then echo "$log" >&2; exit 1; fi
dll="$here/bin/Release/net10.0/Benchmarks.dll"

ms() { awk -F'\t' 'NF >= 2 { split($2, a, " "); print a[1]; exit }' <<<"$1"; }
best() { local b=""; for v in "$@"; do [ -z "$v" ] && continue; if [ -z "$b" ] || awk -v a="$v" -v c="$b" 'BEGIN { exit !(a + 0 < c + 0) }'; then b="$v"; fi; done; echo "${b:-n/a}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.3f", a / b }'; }

printf '%-14s %7s %12s %12s %9s %12s %11s\n' workload threads "bare ms" "Fit ms" "Fit/bare" "PyTorch ms" "bare/PyT"
for t in ${BENCH_THREADS:-1 2}; do
  for w in "${workloads[@]}"; do
    bare=(); fit=(); pt=()
    for ((r = 0; r < repeat; r++)); do
      bare+=("$(ms "$(dotnet "$dll" "$w" --threads "$t" --seconds "$seconds" "${clock[@]}")")")
      fit+=("$(ms "$(dotnet "$dll" "$w/fit" --threads "$t" --seconds "$seconds" "${clock[@]}")")")
      pt+=("$(ms "$("$python" "$here/torch_twin.py" "$w" --threads "$t" --seconds "$seconds" "${clock[@]}" 2>/dev/null)")")
    done
    b=$(best "${bare[@]}"); f=$(best "${fit[@]}"); p=$(best "${pt[@]}")
    printf '%-14s %7s %12s %12s %9s %12s %11s\n' "$w" "$t" "$b" "$f" "$(ratio "$f" "$b")" "$p" "$(ratio "$b" "$p")"
  done
done
