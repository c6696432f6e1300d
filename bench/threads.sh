#!/usr/bin/env bash
# Where processes spend their CPU, by kind of thread: a snapshot of every thread's CPU time and
# context switches, another SECONDS later, and the difference summed by thread name with its
# digits dropped (a pool's threads are one kind), busiest first.
#
#   bench/threads.sh 20 $(pgrep -f OrdoNodeMain)
#
# Java names a thread's OS thread with the first 15 characters of its name. Threads that end
# between the snapshots are not counted; threads that start are counted from zero.
set -euo pipefail

if (($# < 2)); then
  echo "usage: $0 SECONDS PID..." >&2
  exit 2
fi
SECONDS_APART="$1"
shift

# One line per thread: pid/tid, kind, CPU ticks, context switches.
snapshot() {
  local pid task stat name switches
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      stat="$(cat "$task/stat" 2>/dev/null)" || continue
      name="$(cat "$task/comm" 2>/dev/null)" || continue
      switches="$(awk '/ctxt_switches:/ { s += $2 } END { print s + 0 }' "$task/status" 2>/dev/null)" || continue
      stat="${stat##*) }"
      read -r -a f <<<"$stat"
      echo "$pid/${task##*/}	${name//[0-9]/}	$((f[11] + f[12]))	$switches"
    done
  done
}

before="$(snapshot "$@")"
sleep "$SECONDS_APART"
after="$(snapshot "$@")"

awk -F'\t' -v hz="$(getconf CLK_TCK)" -v secs="$SECONDS_APART" -v procs="$#" '
  NR == FNR { ticks[$1] = $3; switches[$1] = $4; next }
  {
    kind = $2 == "" ? "(unnamed)" : $2
    cpu[kind] += $3 - ticks[$1]
    sw[kind] += $4 - switches[$1]
    threads[kind]++
    total += $3 - ticks[$1]
    totalsw += $4 - switches[$1]
  }
  END {
    printf "%d process(es), %s s: %.2f CPU s (%.2f cores), %d context switches\n", procs, secs, total / hz, total / hz / secs, totalsw
    printf "%-16s %8s %8s %7s %10s\n", "thread kind", "threads", "CPU s", "share", "switches"
    for (k in cpu) {
      printf "%d\t%d\t%-16s %8d %8.2f %6.1f%% %10d\n", cpu[k], sw[k], k, threads[k], cpu[k] / hz, total ? 100 * cpu[k] / total : 0, sw[k] | "sort -t\"\t\" -k1,1nr -k2,2nr | cut -f3-"
    }
  }' <(echo "$before") <(echo "$after")
