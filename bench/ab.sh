#!/usr/bin/env bash
# Two builds of Ordo (or one build with two sets of node JVM options) on the same paced workload,
# run after run in turn, each run on a fresh local 3-node cluster: is a change worth its code?
#
#   bench/ab.sh main .                     # main's last commit against this checkout as it is
#   B_OPTS="-XX:+UseParallelGC" bench/ab.sh . .
#
# A side is a git revision or "." (this checkout's files as they are now, committed or not), each
# copied under $WORK and built there, so the checkout may change while this runs.
# A_OPTS and B_OPTS are added to each side's node JVM options. Per run: a topic of PARTITIONS
# partitions (6), once every partition has a leader a warm-up of WARMUP records unthrottled, then
# RATE records/s for PACED_WARMUP_SECS (90) seconds left out of the latencies (right after the
# unthrottled warm-up a cluster is still working off its flushes, compactions and JIT compiles: a
# run straight after it measured that aftermath, p99 0.9-1.9 s at 4,000/s; and the client's first
# look again at its metadata, 60-75 s in, recompiles its RPC paths), then for SECS seconds
# (RATE=0: RECORDS records unthrottled, and their rate is reported in place of the latency; CPU,
# switches and writes count the paced warm-up's records too); reported per run and as the median of RUNS
# runs per side: the nodes' CPU seconds per 100,000 records, their context switches per record, and
# latency (p50 / p99 / p99.9 ms, from each record's due time), records per write (a produce
# request the leader accepted) and switches per write; with IDLE_SECS, the nodes' CPU (in cores, all
# three together) over IDLE_SECS seconds of idling, 10 s after every partition has a leader and
# before the warm-up. Fresh clusters differ a lot from one to the
# next (their JIT compilers are still busy, so batches, and with them the cost per record, vary), so
# trust a difference only when it holds in most pairs; switches per write do not depend on the
# batch size the run happened to get. 1 KiB records, RF 3. Results: $COMPARE_DIR/ab.md (default
# bench/target/ab).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${COMPARE_DIR:-$ROOT/bench/target/ab}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-150000}"
RATE="${RATE:-2000}"
SECS="${SECS:-30}"
PACED_WARMUP_SECS="${PACED_WARMUP_SECS:-90}"
RECORDS="${RECORDS:-100000}"
PARTITIONS="${PARTITIONS:-6}"
IDLE_SECS="${IDLE_SECS:-0}"
READY_TIMEOUT=300
ORDO_DATA_DIR="$WORK/ordo"
CHECKOUT="$ROOT"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

side_root() { echo "$WORK/src-$1"; }

# Writes the local cluster's nodes led so far (the count of their ordo_write_seconds histograms).
writes() {
  ordo_metrics | awk '/^ordo_write_seconds_count/ { total += $2 } END { printf "%d", total }'
}

prepare() { # revision label
  local dir
  dir="$(side_root "$2")"
  mkdir -p "$dir"
  if [[ "$1" == . ]]; then
    (cd "$CHECKOUT" && git ls-files -z --cached --others --exclude-standard | tar -c --null -T -) | tar -x -C "$dir"
  else
    git -C "$CHECKOUT" archive "$1" | tar -x -C "$dir"
  fi
  log "$2: building $1 in $dir"
  (cd "$dir" && mvn -B -q -DskipTests package >&2)
}

# One run of one side; prints "cpu switches p50 p99 p99.9 records_per_write switches_per_write idle_cores".
run() { # label opts
  local records=$((RATE > 0 ? RATE * SECS : RECORDS)) paced_warmup=$((RATE * PACED_WARMUP_SECS))
  local sent=$((records + paced_warmup)) before after switches out pids written idle=-
  ROOT="$(side_root "$1")"
  rm -rf "$ORDO_DATA_DIR"
  # The side's own default node options (bin/ordo-env.sh), then its A_OPTS or B_OPTS.
  export ORDO_NODE_JAVA_OPTS="$(ordo_node_default_opts) $2"
  # run runs in a command substitution, where set -e does not reach: without these, a cluster that
  # could not start (its ports held by another) or a topic without leaders was measured anyway.
  ordo_up 2>>"$WORK/bench.log" || return 1
  ordo_topic_ready bench "$PARTITIONS" "$READY_TIMEOUT" 2>>"$WORK/bench.log" || return 1
  pids=($(ordo_pids))
  if ((IDLE_SECS > 0)); then
    sleep 10
    before="$(cpu_ticks "${pids[@]}")"
    sleep "$IDLE_SECS"
    idle="$(awk -v t="$(($(cpu_ticks "${pids[@]}") - before))" -v hz="$(getconf CLK_TCK)" -v s="$IDLE_SECS" 'BEGIN { printf "%.2f", t / hz / s }')"
  fi
  if ((WARMUP > 0)); then
    "$ROOT/bin/ordo" bench produce --topic bench --records "$WARMUP" --record-size 1024 --rate 0 \
      --warmup-records 0 >/dev/null 2>>"$WORK/bench.log"
  fi
  before="$(cpu_ticks "${pids[@]}")"
  switches="$(context_switches "${pids[@]}")"
  written="$(writes)"
  out="$("$ROOT/bin/ordo" bench produce --topic bench --records "$records" --record-size 1024 --rate "$RATE" \
    --warmup-records "$paced_warmup" 2>>"$WORK/bench.log")"
  after="$(cpu_ticks "${pids[@]}")"
  switches="$(($(context_switches "${pids[@]}") - switches))"
  written="$(($(writes) - written))"
  ordo_down 2>>"$WORK/bench.log"
  echo "$(cpu_per_100k "$before" "$after" "$sent") $(awk -v s="$switches" -v n="$sent" 'BEGIN { printf "%.2f", s / n }')" \
    "$(if ((RATE > 0)); then latency_of "$out"; else echo "$(rate_of "$out") - -"; fi)" \
    "$(awk -v w="$written" -v n="$sent" -v s="$switches" 'BEGIN { if (w > 0) printf "%.1f %.1f", n / w, s / w; else print "- -" }')" \
    "$idle"
}

# The median of column COLUMN (1: CPU, 2: switches per record, ...) of SIDE's runs.
side_median() { # side column
  median $(awk -v side="$1" -v c="$2" '$1 == side { print $(c + 1) }' "$WORK/runs")
}

main() {
  local a="${1:?usage: bench/ab.sh REVISION_A REVISION_B (a revision or . for this checkout)}"
  local b="${2:?usage: bench/ab.sh REVISION_A REVISION_B}"
  rm -rf "$WORK"
  mkdir -p "$WORK"
  trap ordo_down EXIT
  prepare "$a" A
  prepare "$b" B
  local i side opts result speed
  for ((i = 1; i <= RUNS; i++)); do
    for side in A B; do
      if [[ "$side" == A ]]; then opts="${A_OPTS:-}"; else opts="${B_OPTS:-}"; fi
      result=($(run "$side" "$opts")) || result=()
      ((${#result[@]} == 8)) || { log "run $i, $side failed; see $WORK/bench.log and $ORDO_DATA_DIR"; exit 1; }
      log "run $i, $side: ${result[0]} CPU s/100k, ${result[1]} switches/record, p50/p99/p99.9 ${result[2]}/${result[3]}/${result[4]} ms, ${result[5]} records and ${result[6]} switches per write, idle ${result[7]} cores"
      echo "$side ${result[*]}" >>"$WORK/runs"
    done
  done
  {
    echo "A: $a ${A_OPTS:-}; B: $b ${B_OPTS:-}; $(date -u +%Y-%m-%d) on $(nproc) cores; $PARTITIONS partitions, RF 3,"
    if ((RATE > 0)); then
      echo "1 KiB records, $WARMUP warm-up, then $RATE records/s for $PACED_WARMUP_SECS s of warm-up and $SECS s measured."
      echo
      echo "| run | side | node CPU s per 100k records | node switches per record | p50 / p99 / p99.9 ms | records per write | node switches per write | idle node cores |"
    else
      echo "1 KiB records, $WARMUP warm-up, then $RECORDS records unthrottled."
      echo
      echo "| run | side | node CPU s per 100k records | node switches per record | records/s | records per write | node switches per write | idle node cores |"
    fi
    echo "|---|---|---|---|---|---|---|---|"
    awk '{ printf "| %d | %s | %s | %s | %s / %s / %s | %s | %s | %s |\n", int((NR + 1) / 2), $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$WORK/runs"
    for side in A B; do
      if ((RATE > 0)); then speed="p99 $(side_median "$side" 4)"; else speed="$(side_median "$side" 3)"; fi
      echo "| median | $side | $(side_median "$side" 1) | $(side_median "$side" 2) | $speed | $(side_median "$side" 6) | $(side_median "$side" 7) | $(side_median "$side" 8) |"
    done
  } | tee "$WORK/ab.md"
}

main "$@"
