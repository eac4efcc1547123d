#!/usr/bin/env bash
# Times the engine (Program.cs) against its PyTorch twin (torch_twin.py), single- and two-threaded,
# and prints a table. Workloads the C# side does not know yet show as n/a.
#
# Usage: tests/Benchmarks/run.sh [workload...]        (default: every workload torch_twin.py knows)
# Env:   BENCH_SECONDS  timed seconds per workload and side (default 2)
#        BENCH_THREADS  thread counts to run (default "1 2")
#        BENCH_CLOCK    "wall" (default) or "cpu": process CPU time per step on both sides, which other processes
#                       on a shared machine do not inflate (meaningful for 1 thread; with more it sums the threads)
#        BENCH_REPEAT   runs per workload and side, interleaved; the fastest is reported (default 1). On a
#                       shared machine other processes only ever add time, so the best of N is the fairer figure.
#        PYTHON         interpreter with torch (default Debian's /usr/bin/python3)
#        BENCH_MEMORY   steps of the peak-memory run of each conv workload in the list (default 50; 0 = skip)
#
# fit_overhead_dense_ae_b128 is not a PyTorch twin: it times Trainer.Fit against a hand-written engine loop on
# dense_ae_b128 (FitOverhead.cs) and prints its own table after the main one.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-/usr/bin/python3}"
seconds="${BENCH_SECONDS:-2}"
threads_list="${BENCH_THREADS:-1 2}"
workloads=("$@")
if [ ${#workloads[@]} -eq 0 ]; then
  workloads=(sgemm_256 sgemm_512 sgemm_1024 dense_ae_b128 tiny_ae_b3 mnist_dae_b64 cifar_cae_b32 fit_overhead_dense_ae_b128)
fi
twin_workloads=(); fit_workloads=()
for w in "${workloads[@]}"; do
  case "$w" in fit_overhead_*) fit_workloads+=("$w") ;; *) twin_workloads+=("$w") ;; esac
done

# Build once; then run the built dll directly (dotnet run would re-check the build every time).
if ! build_log=$(dotnet build "$here/Benchmarks.csproj" -c Release -nologo -v q 2>&1); then
  echo "$build_log" >&2
  echo "build failed" >&2
  exit 1
fi
dll="$here/bin/Release/net10.0/Benchmarks.dll"

have_torch=1
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "warning: $python cannot import torch; the torch columns will be n/a" >&2
  have_torch=0
fi

notes="$(mktemp)"
trap 'rm -f "$notes"' EXIT

# A result line is "name<TAB>12.345 ms/step[<TAB>123.4 GFLOPS]"; print its ms or GFLOPS number, or n/a.
field() { awk -F'\t' -v f="$2" 'NF >= f { split($f, a, " "); print a[1]; found = 1 } END { if (!found) print "n/a" }' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

[ ${#twin_workloads[@]} -gt 0 ] && printf '%-14s %7s %11s %11s %8s %11s %11s\n' workload threads "ours ms" "torch ms" "ours/pt" "ours GF/s" "torch GF/s"
repeat="${BENCH_REPEAT:-1}"
clock=()
[ "${BENCH_CLOCK:-wall}" = cpu ] && clock=(--cpu)
# the faster of two result lines (by ms/step); an empty line loses
faster() { if [ -z "$1" ]; then echo "$2"; elif [ -z "$2" ]; then echo "$1"; else
  awk -F'\t' -v a="$1" -v b="$2" 'BEGIN { split(a, x, "\t"); split(b, y, "\t"); split(x[2], p, " "); split(y[2], q, " "); print (p[1] + 0 <= q[1] + 0) ? a : b }'; fi; }
for t in $threads_list; do
  for w in "${twin_workloads[@]}"; do
    ours=""; torch=""
    for ((r = 0; r < repeat; r++)); do
      o=$(dotnet "$dll" "$w" --threads "$t" --seconds "$seconds" "${clock[@]}" 2>>"$notes") || o=""
      ours=$(faster "$ours" "$o")
      if [ "$have_torch" = 1 ]; then
        p=$("$python" "$here/torch_twin.py" "$w" --threads "$t" --seconds "$seconds" "${clock[@]}" 2>>"$notes") || p=""
        torch=$(faster "$torch" "$p")
      fi
    done
    ours_ms=$(field "$ours" 2); torch_ms=$(field "$torch" 2)
    ours_gf=$(field "$ours" 3); torch_gf=$(field "$torch" 3)
    case "$w" in sgemm_*|mnist_dae_b64|cifar_cae_b32) ;; *) ours_gf="-"; torch_gf="-" ;; esac
    printf '%-14s %7s %11s %11s %8s %11s %11s\n' "$w" "$t" "$ours_ms" "$torch_ms" "$(ratio "$ours_ms" "$torch_ms")" "$ours_gf" "$torch_gf"
  done
done

# Trainer.Fit against the plain loop: both sides in one process, interleaved rounds, the fastest of each reported
if [ ${#fit_workloads[@]} -gt 0 ]; then
  echo
  echo "Trainer.Fit overhead over a hand-written engine loop (same model, batches, optimizer, epochs; Progress off)"
  printf '%-28s %7s %11s %11s %9s %9s\n' workload threads "plain ms" "Fit ms" overhead median
  for t in $threads_list; do
    for w in "${fit_workloads[@]}"; do
      line=$(dotnet "$dll" "$w" --threads "$t" --seconds "$seconds" "${clock[@]}" 2>>"$notes") || line=""
      # "name<TAB>plain 1.234 ms/step<TAB>Trainer.Fit 1.250 ms/step<TAB>overhead 1.3 %<TAB>median of paired rounds 1.1 %<TAB>..."
      col() { awk -F'\t' -v f="$2" -v k="$3" 'NF >= f { n = split($f, a, " "); print a[k]; found = 1 } END { if (!found) print "n/a" }' <<<"$1"; }
      printf '%-28s %7s %11s %11s %8s%% %8s%%\n' "$w" "$t" "$(col "$line" 2 2)" "$(col "$line" 3 2)" "$(col "$line" 4 2)" "$(col "$line" 5 5)"
    done
  done
fi

# Peak memory of a training run (each side in its own process): peak resident set, and what it was before the model.
memory_steps="${BENCH_MEMORY:-50}"
memory_rows=()
for w in "${workloads[@]}"; do
  case "$w" in mnist_dae_b64|cifar_cae_b32) [ "$memory_steps" -gt 0 ] && memory_rows+=("$w") ;; esac
done
if [ ${#memory_rows[@]} -gt 0 ]; then
  echo
  echo "peak memory of a ${memory_steps}-step training run, 2 threads (MB; \"training\" = peak minus the process before the model was built;"
  echo "ours with the default GC and with DOTNET_GCConserveMemory=7, which makes the GC keep less garbage around)"
  printf '%-14s %11s %11s %11s %15s %15s %15s\n' workload "ours peak" "ours cm7" "torch peak" "ours training" "ours cm7 train" "torch training"
  mem() { awk -F'\t' -v f="$2" 'NF >= f { split($f, a, " "); print a[2]; found = 1 } END { if (!found) print "n/a" }' <<<"$1"; }
  for w in "${memory_rows[@]}"; do
    ours=$(dotnet "$dll" "$w" --threads 2 --memory "$memory_steps" 2>>"$notes") || ours=""
    conserve=$(DOTNET_GCConserveMemory=7 dotnet "$dll" "$w" --threads 2 --memory "$memory_steps" 2>>"$notes") || conserve=""
    torch=""
    [ "$have_torch" = 1 ] && { torch=$("$python" "$here/torch_twin.py" "$w" --threads 2 --memory "$memory_steps" 2>>"$notes") || torch=""; }
    printf '%-14s %11s %11s %11s %15s %15s %15s\n' "$w" "$(mem "$ours" 2)" "$(mem "$conserve" 2)" "$(mem "$torch" 2)" \
      "$(mem "$ours" 4)" "$(mem "$conserve" 4)" "$(mem "$torch" 4)"
  done
fi

if [ -s "$notes" ]; then
  echo
  echo "notes (n/a causes):"
  sort -u "$notes" | sed 's/^/  /'
fi
