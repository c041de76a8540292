#!/bin/sh
# Instruction counts per operation (callgrind, only the benchmark function counted) and
# wall-clock timings (best of 5). Usage: runtime-c/bench/run.sh [trees-depth]
set -e
cd "$(dirname "$0")"
make -s -C .. all && make -s
B=../build/bench
N=1000000
depth=${1:-16}
ir() { # binary function mode -> total instructions of that function (inclusive)
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$2" "$B/$1" "$3" $4 \
    >/dev/null 2>&1
  sed -n 's/^totals: \([0-9]*\).*/\1/p' "$out"
  rm -f "$out"
}
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (a - b) / n }'; }
best() { # binary mode [arg] -> best ns/op of 5 runs
  for i in 1 2 3 4 5; do "$B/$1" "$2" $3 2>&1 >/dev/null | sed -n 's/.*: \([0-9.]*\) ns\/op/\1/p'; done |
    sort -n | head -1
}
sp=$(ir bench-plain bench_store store); sw=$(ir bench-wb bench_store store)
echo "pointer store, no host:       plain $(per "$sp" 0 $N)  cc-wb $(per "$sw" 0 $N)  => +$(per "$sw" "$sp" $N) instructions/store"
mp=$(ir bench-plain bench_malloc_free malloc); mw=$(ir bench-wb bench_malloc_free malloc)
echo "malloc(32)+free, no host:     plain $(per "$mp" 0 $N)  cc-wb $(per "$mw" 0 $N)  => +$(per "$mw" "$mp" $N) instructions/pair"
xp=$(ir bench-plain bench_malloc_mixed mixed); xw=$(ir bench-wb bench_malloc_mixed mixed)
echo "malloc+free mixed 16..255 B:  plain $(per "$xp" 0 $N)  cc-wb $(per "$xw" 0 $N)  => +$(per "$xw" "$xp" $N) instructions/pair"
s=$(ir bench-wb bench_slow slow)
echo "slow path, store counted (event appended, flushes included): $(per "$s" 0 $N) instructions/store"
a=$(ir bench-wb bench_active_miss active)
echo "host active, store touching no HOST granule:                $(per "$a" 0 $N) instructions/store"
m=$(ir bench-wb bench_slow_miss slowmiss)
echo "slow path, shadow hit but nothing HOST:                      $(per "$m" 0 $N) instructions/store"
d=$(ir bench-wb bench_drain_empty drain)
echo "empty wb_drain():                                            $(per "$d" 0 $N) instructions/call"
echo "linked as a shared library is (libwbrt_dso.a + libwbrt.so):"
echo "  pointer store, no host:     $(per "$(ir bench-wb-so bench_store store)" 0 $N) instructions/store"
echo "  malloc(32)+free, no host:   $(per "$(ir bench-wb-so bench_malloc_free malloc)" 0 $N) instructions/pair"
echo "  slow path, store counted:   $(per "$(ir bench-wb-so bench_slow slow)" 0 $N) instructions/store"
echo "  host active, no HOST granule: $(per "$(ir bench-wb-so bench_active_miss active)" 0 $N) instructions/store"
tp=$(ir bench-plain bench_trees trees "$depth"); tw=$(ir bench-wb bench_trees trees "$depth")
echo "binary-trees depth $depth: plain $tp  cc-wb $tw instructions  => +$(awk -v a="$tw" -v b="$tp" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')%"
echo "timings (best of 5, ns/op):"
for m in store malloc mixed; do echo "  $m: plain $(best bench-plain $m)  cc-wb $(best bench-wb $m)"; done
for m in slow active slowmiss drain; do echo "  $m: cc-wb $(best bench-wb $m)"; done
echo "  trees $depth (ns per 1e6 of the run): plain $(best bench-plain trees "$depth")  cc-wb $(best bench-wb trees "$depth")"
