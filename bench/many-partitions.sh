#!/usr/bin/env bash
# What a partition costs: Kafka and Ordo, each as 3 local nodes, with one topic of N partitions
# (replication factor 3) for each N in COUNTS, on a fresh cluster per N, one system at a time.
#
#   bench/many-partitions.sh                 # Kafka and Ordo, COUNTS="6 96 1000"
#   SYSTEMS=ordo COUNTS="6 300" bench/many-partitions.sh
#
# Per N: seconds from the create request until every partition has a leader (READY_TIMEOUT, default
# 300 s, gives up), node CPU while idle for IDLE_SECS (default 30), then threads and RSS per node,
# produce throughput (RECORDS, default 100,000 records of 1 KiB, unthrottled, after a warm-up of
# WARMUP) with its ratio to the same system's figure at the smallest N, and RSS again after it (a
# JVM keeps the heap its load grew). Results:
# $COMPARE_DIR/many-partitions.md (default bench/target/many-partitions).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${COMPARE_DIR:-$ROOT/bench/target/many-partitions}"
COUNTS="${COUNTS:-6 96 1000}"
SYSTEMS="${SYSTEMS:-kafka ordo}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
IDLE_SECS="${IDLE_SECS:-30}"
RECORDS="${RECORDS:-100000}"
WARMUP="${WARMUP:-20000}"
SIZE=1024
ORDO_DATA_DIR="$WORK/ordo"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# Seconds since the epoch, with milliseconds.
now() { date +%s.%3N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Creates topic pN with N partitions and waits for their leaders; prints the seconds it took, or
# "not ready" past READY_TIMEOUT.
create_and_await() {
  local system="$1" n="$2" start
  start="$(now)"
  if [[ "$system" == kafka ]]; then
    kafka_java io.ordo.bench.kafka.KafkaBench create-topic "$KAFKA_BOOTSTRAP" "p$n" "$n" 3 >&2
    if ! kafka_java io.ordo.bench.kafka.KafkaBench await-leaders "$KAFKA_BOOTSTRAP" "p$n" "$READY_TIMEOUT" 2>>"$WORK/bench.log"; then
      echo "not ready"
      return
    fi
  else
    # The create call itself waits for leaders up to its deadline; then describe until all have one.
    "$ROOT/bin/ordo" topic create "p$n" --partitions "$n" --replication-factor 3 \
      --request-timeout-ms "$((READY_TIMEOUT * 1000))" >/dev/null 2>>"$WORK/bench.log" || true
    until all_led "$("$ROOT/bin/ordo" topic describe "p$n" --output json 2>>"$WORK/bench.log")"; do
      if (($(date +%s) - ${start%.*} > READY_TIMEOUT)); then
        echo "not ready"
        return
      fi
      sleep 2
    done
  fi
  elapsed "$start" "$(now)"
}

produce_rate() {
  local system="$1" topic="$2" out
  if [[ "$system" == kafka ]]; then
    out="$(kafka_java io.ordo.bench.kafka.KafkaBench produce "$KAFKA_BOOTSTRAP" "$topic" "$RECORDS" "$SIZE" 0 "$WARMUP" 2>>"$WORK/bench.log")"
  else
    out="$("$ROOT/bin/ordo" bench produce --topic "$topic" --records "$RECORDS" --record-size "$SIZE" \
      --warmup-records "$WARMUP" 2>>"$WORK/bench.log")"
  fi
  rate_of "$out"
}

# One row of the table: system, N.
measure() {
  local system="$1" n="$2" pids ready before after idle rate threads
  if [[ "$system" == kafka ]]; then
    kafka_up
    pids=("${KAFKA_PIDS[@]}")
  else
    rm -rf "$ORDO_DATA_DIR"
    ordo_up
    read -r -a pids <<<"$(ordo_pids | tr '\n' ' ')"
  fi
  log "$system: topic of $n partitions"
  ready="$(create_and_await "$system" "$n")"
  before="$(cpu_ticks "${pids[@]}")"
  sleep "$IDLE_SECS"
  after="$(cpu_ticks "${pids[@]}")"
  idle="$(awk -v a="$before" -v b="$after" -v s="$IDLE_SECS" -v n="${#pids[@]}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f", (b - a) / hz / s / n * 100 }')"
  threads="$(threads_rss "${pids[@]}")"
  rate="-" loaded="- -"
  if [[ "$ready" != "not ready" ]]; then
    rate="$(produce_rate "$system" "p$n")"
    loaded="$(threads_rss "${pids[@]}")"
  fi
  log "$system, $n partitions: ready in $ready s, threads and RSS MB per node idle $threads, after the produce run $loaded," \
    "idle CPU $idle% per node, $rate records/s"
  echo "$system $n ${ready// /_} ${threads% *} ${threads#* } ${loaded#* } $idle $rate" >>"$WORK/rows"
  if [[ "$system" == kafka ]]; then kafka_down; else ordo_down; fi
}

report() {
  cat <<EOF
Partitions per cluster, $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)
($(uname -sr)); 3 local nodes, one topic of N partitions, RF 3; produce: $RECORDS records of 1 KiB, unthrottled.

| system | partitions | ready after, s | threads per node | RSS per node idle / after the produce run, MB | idle CPU per node, % of a core | produce, records/s | produce / smallest N |
|---|---|---|---|---|---|---|---|
EOF
  awk '{ if (!($1 in first) && $8 != "-") first[$1] = $8
         r = ($8 != "-" && first[$1] > 0) ? sprintf("%.2f", $8 / first[$1]) : "-"
         gsub("_", " ", $3)
         printf "| %s | %s | %s | %s | %s / %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, r }' "$WORK/rows"
}

main() {
  rm -rf "$WORK"
  mkdir -p "$WORK"
  build
  trap 'kafka_down; ordo_down' EXIT
  local system n
  for system in $SYSTEMS; do
    for n in $COUNTS; do
      measure "$system" "$n"
    done
  done
  report | tee "$WORK/many-partitions.md"
}

main "$@"
