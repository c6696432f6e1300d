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

# One line per thread: pid/tid, kind, CPU ticks, context switches; then "@elapsed" and the
# uptime it was taken at. One awk per process reads all its threads' files: a shell loop with a
# process per file took seconds on a busy machine, which the interval then silently included.
snapshot() {
  local pid
  for pid in "$@"; do
    awk -v pid="$pid" '
      FILENAME ~ /stat$/ {
        tid = FILENAME; sub(/\/stat$/, "", tid); sub(/.*\//, "", tid)
        last = 0
        for (i = 1; i <= length($0); i++) if (substr($0, i, 1) == ")") last = i
        name = substr($0, index($0, "(") + 1, last - index($0, "(") - 1)
        gsub(/[0-9]/, "", name)
        split(substr($0, last + 2), f, " ")
        kind[tid] = name; ticks[tid] = f[12] + f[13]
        next
      }
      /^(nonvoluntary|voluntary)_ctxt_switches:/ {
        tid = FILENAME; sub(/\/status$/, "", tid); sub(/.*\//, "", tid)
        switches[tid] += $2
      }
      END { for (t in ticks) printf "%s/%s\t%s\t%d\t%d\n", pid, t, kind[t], ticks[t], switches[t] }
    ' /proc/"$pid"/task/*/stat /proc/"$pid"/task/*/status 2>/dev/null || true
  done
  awk '{ print "@elapsed\t\t" $1 }' /proc/uptime
}

before="$(snapshot "$@")"
sleep "$SECONDS_APART"
after="$(snapshot "$@")"

awk -F'\t' -v hz="$(getconf CLK_TCK)" -v procs="$#" '
  NR == FNR { ticks[$1] = $3; switches[$1] = $4; next }
  $1 == "@elapsed" { secs = $3 - ticks[$1]; next }
  {
    kind = $2 == "" ? "(unnamed)" : $2
    cpu[kind] += $3 - ticks[$1]
    sw[kind] += $4 - switches[$1]
    threads[kind]++
    total += $3 - ticks[$1]
    totalsw += $4 - switches[$1]
  }
  END {
    printf "%d process(es), %.1f s: %.2f CPU s (%.2f cores), %d context switches\n", procs, secs, total / hz, total / hz / secs, totalsw
    printf "%-16s %8s %8s %7s %10s\n", "thread kind", "threads", "CPU s", "share", "switches"
    for (k in cpu) {
      printf "%d\t%d\t%-16s %8d %8.2f %6.1f%% %10d\n", cpu[k], sw[k], k, threads[k], cpu[k] / hz, total ? 100 * cpu[k] / total : 0, sw[k] | "sort -t\"\t\" -k1,1nr -k2,2nr | cut -f3-"
    }
  }' <(echo "$before") <(echo "$after")
