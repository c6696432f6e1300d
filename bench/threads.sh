#!/usr/bin/env bash
# Where processes spend their CPU, by kind of thread: a snapshot of every thread's CPU time, time
# spent runnable but waiting for a CPU (the run queue, from schedstat) and context switches,
# another SECONDS later, and the difference summed by thread name with its digits dropped (a pool's
# threads are one kind), busiest first. A thread that hands work on wakes another, which then
# waits its turn: on a busy small machine those waits, not the CPU, make a latency's tail.
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

# One line per thread: pid/tid, kind, CPU ticks, context switches, run-queue wait (ns); then
# "@elapsed" and the uptime it was taken at. One grep and one awk per process read all its
# threads' files: a shell loop with a process per file took seconds on a busy machine, which the
# interval then silently included.
snapshot() {
  local pid
  for pid in "$@"; do
    # grep -H names each line's file and, unlike awk, reads on past the files of a thread that
    # ended meanwhile: mawk stopped at the first and dropped the process's whole snapshot, so a
    # process starting threads reported 0 cores or, on 2 cores, 4.5 (seen).
    grep -s -H '' /proc/"$pid"/task/*/stat /proc/"$pid"/task/*/status /proc/"$pid"/task/*/schedstat | awk -v pid="$pid" '
      {
        sep = index($0, ":"); file = substr($0, 1, sep - 1); line = substr($0, sep + 1)
        tid = file; sub(/\/[a-z]+$/, "", tid); sub(/.*\//, "", tid)
      }
      file ~ /schedstat$/ {
        split(line, s, " ")
        waited[tid] = s[2]
        next
      }
      file ~ /stat$/ {
        last = 0
        for (i = 1; i <= length(line); i++) if (substr(line, i, 1) == ")") last = i
        name = substr(line, index(line, "(") + 1, last - index(line, "(") - 1)
        gsub(/[0-9]/, "", name)
        split(substr(line, last + 2), f, " ")
        kind[tid] = name; ticks[tid] = f[12] + f[13]
        next
      }
      line ~ /^(nonvoluntary|voluntary)_ctxt_switches:/ {
        split(line, w, /[ \t]+/)
        switches[tid] += w[2]
      }
      # %.0f: nanoseconds pass 2^31 within seconds, and %d in mawk stops there.
      END { for (t in ticks) printf "%s/%s\t%s\t%d\t%d\t%.0f\n", pid, t, kind[t], ticks[t], switches[t], waited[t] }
    ' || true
  done
  awk '{ print "@elapsed\t\t" $1 }' /proc/uptime
}

before="$(snapshot "$@")"
sleep "$SECONDS_APART"
after="$(snapshot "$@")"

awk -F'\t' -v hz="$(getconf CLK_TCK)" -v procs="$#" '
  NR == FNR { ticks[$1] = $3; switches[$1] = $4; waited[$1] = $5; next }
  $1 == "@elapsed" { secs = $3 - ticks[$1]; next }
  {
    kind = $2 == "" ? "(unnamed)" : $2
    cpu[kind] += $3 - ticks[$1]
    sw[kind] += $4 - switches[$1]
    wait[kind] += $5 - waited[$1]
    totalwait += $5 - waited[$1]
    threads[kind]++
    total += $3 - ticks[$1]
    totalsw += $4 - switches[$1]
  }
  END {
    printf "%d process(es), %.1f s: %.2f CPU s (%.2f cores), %.2f s waiting for a CPU, %d context switches\n", procs, secs,
      total / hz, total / hz / secs, totalwait / 1e9, totalsw
    printf "%-16s %8s %8s %7s %9s %10s\n", "thread kind", "threads", "CPU s", "share", "waiting s", "switches"
    for (k in cpu) {
      printf "%d\t%d\t%-16s %8d %8.2f %6.1f%% %9.2f %10d\n", cpu[k], sw[k], k, threads[k], cpu[k] / hz, total ? 100 * cpu[k] / total : 0,
        wait[k] / 1e9, sw[k] | "sort -t\"\t\" -k1,1nr -k2,2nr | cut -f3-"
    }
  }' <(echo "$before") <(echo "$after")
