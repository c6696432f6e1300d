#!/usr/bin/env bash
# Kafka beside Ordo on this machine, in one run, on the same workload, and a table of ratios.
#
#   bench/compare-kafka.sh
#
# Fetches Kafka (kafka_2.13, from Maven Central, through bench/kafka/pom.xml), starts 3 KRaft
# brokers on loopback (each broker and controller; fsync per append, like Ordo's Raft log), runs
# the workload, stops them; then starts a local 3-node Ordo cluster (bin/ordo-cluster) and runs
# the same. Workload: 1 KiB records, 6 partitions, replication factor 3, acknowledged once a
# majority has them (Kafka: acks=all, min.insync.replicas=2, linger 5 ms, batch 64 KiB; Ordo:
# `ordo bench` defaults); a warm-up, then 3 unthrottled runs, one paced at half Kafka's median
# rate (latency from each record's due time, for both), and a read of the topic from its start
# (after reads of the same records until the nodes' compilers settle, as for the writes).
# Beside each rate: the nodes' CPU seconds per 100,000 records (from /proc), and the bench
# client's (from bash's time: it shares the cores, so a costlier client leaves the nodes less);
# for the paced run also the nodes' context switches per record (a thread handing work to another
# wakes it, and each wake-up is a switch: on a small VM, where a switch costs tens of
# microseconds, these decide the CPU a record costs when batches are small); threads and RSS per
# node at the end. One system runs at a time, so neither's idle work weighs on the other.
#
# Data, logs (the benchmarks' progress in bench.log) and results (results.md) go to $COMPARE_DIR (default bench/target/compare). Sizes:
# RECORDS (1000000: each unthrottled run starts a fresh client JVM, whose compilers took half its
# CPU in a run of 300,000 records, Ordo's writing 23,000 records/s in its first 5 s and 38,000-
# 41,000 after; a longer run measures the systems more than their clients' warm-up), WARMUP
# (1000000), PACED_SECS (40), CONSUME (3000000: a fresh client JVM reads each time, and reading
# 2,000,000 records in 5 s Ordo's client spent 45% of its CPU compiling and more CPU than the
# nodes; reads of 500,000 records swung by a fifth from one to the next), CONSUME_WARMUPS (2: reads
# of CONSUME records from the start before the one measured, at least; then on until the JIT
# compilers took under JIT_SETTLED percent of the nodes' CPU in the last, at most
# CONSUME_WARMUPS_MAX, 8: Ordo's first read of a topic ran at 0.6 of its third, at 2.7 times its
# CPU per record, its nodes compiling the read path; on a fresh cluster with 3,500,000 records
# written, its nodes' CPU per record read fell from 0.34 to 0.14 s per 100k over eight reads). The warm-up
# runs WARMUP records at least, then on in runs of WARMUP_CHUNK (300000) until the JIT compilers'
# threads took under JIT_SETTLED (3) percent of the nodes' CPU in the last one (at most WARMUP_MAX,
# 6000000): both JVMs compile for minutes under load (Ordo's compilers took 41, 36, 17, 13, then
# 1-3% of its nodes' CPU in successive 30 s at 10,000 records/s, and node CPU per record fell by a
# third), and a run in that time measures the compilers more than either system. The table gives
# each system's warm-up and the compilers' share of the measured runs.
# The paced run first sends PACED_WARMUP_SECS (90) seconds of records at its rate, left out of
# its latencies, then PACED_SECS of them: right after the unthrottled runs a system is still
# working off their aftermath (flushes, compactions, the JIT on the paced path: 20 s were too few
# for Ordo, whose paced p50 on one cluster fell from 47-73 ms to 20-27 ms over its next minutes at
# the same rate), and in a short run its first seconds decided the p99. 90 s take in the first
# look again at the topic's metadata of Ordo's client (60-75 s in; Kafka's producer looks at 5
# minutes, after both runs): the first such call recompiles the client's RPC paths, a stall of
# 100-150 ms, and the ones after it cost nothing seen. Its CPU and switches count the warm-up's
# records too. Under the table: Ordo's paced writes by stage (the nodes' histograms
# as the measured part starts and ends), so a tail is put down to a stage; in it, both systems'
# GC pauses in the measured part, from their servers' GC logs ($WORK/gc-*.log).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${COMPARE_DIR:-$ROOT/bench/target/compare}"
RECORDS="${RECORDS:-1000000}"
WARMUP="${WARMUP:-1000000}"
WARMUP_CHUNK="${WARMUP_CHUNK:-300000}"
WARMUP_MAX="${WARMUP_MAX:-6000000}"
JIT_SETTLED="${JIT_SETTLED:-3}"
PACED_SECS="${PACED_SECS:-40}"
PACED_WARMUP_SECS="${PACED_WARMUP_SECS:-90}"
CONSUME="${CONSUME:-3000000}"
CONSUME_WARMUPS="${CONSUME_WARMUPS:-2}"
CONSUME_WARMUPS_MAX="${CONSUME_WARMUPS_MAX:-8}"
AOT="${AOT:-0}"
AOT_TRAINING="${AOT_TRAINING:-300000}"
SIZE=1024
PARTITIONS=6
ORDO_DATA_DIR="$WORK/ordo"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# Runs the workload against one system: SYSTEM is kafka or ordo, PIDS its node processes, PACE_RATE
# the paced run's rate (0: half this system's own median, which only Kafka's run uses).
# Sets RESULT_<system>_* variables.
workload() {
  local system="$1" pace="$2" out rates=() cpus=() client_cpus=() i before after median
  shift 2
  local pids=("$@")
  producer() { # records rate warmup
    if [[ "$system" == kafka ]]; then
      kafka_java io.ordo.bench.kafka.KafkaBench produce "$KAFKA_BOOTSTRAP" bench "$1" "$SIZE" "$2" "$3" 2>>"$WORK/bench.log"
    else
      "$ROOT/bin/ordo" bench produce --topic bench --records "$1" --record-size "$SIZE" --rate "$2" --warmup-records "$3" \
        2>>"$WORK/bench.log"
    fi
  }
  # The bench client shares the machine's cores with the nodes: its CPU seconds (user and system,
  # from bash's time) go to $WORK/client-cpu.
  timed() { # command...
    local TIMEFORMAT='%U %S'
    { time "$@"; } 2>"$WORK/client-cpu"
  }
  produce() { timed producer "$@"; } # records rate warmup
  client_cpu_per_100k() { # records
    awk -v n="$1" '{ printf "%.2f", ($1 + $2) * 100000 / n }' "$WORK/client-cpu"
  }
  local jit_before jit_after measured_jit=0 measured_all=0
  # The nodes' CPU ticks, and their JIT compilers', before and after a run; a measured run's go
  # into the compilers' share reported.
  ticks_before() { jit_before="$(jit_ticks "${pids[@]}")" before="$(cpu_ticks "${pids[@]}")"; }
  ticks_after() { jit_after="$(jit_ticks "${pids[@]}")" after="$(cpu_ticks "${pids[@]}")"; }
  ticks_after_measured() {
    ticks_after
    measured_jit=$((measured_jit + jit_after - jit_before)) measured_all=$((measured_all + after - before))
  }
  # Runs a command until the nodes' JIT compilers took under JIT_SETTLED% of their CPU in its last
  # run, at least MIN and at most MAX times; sets `runs`, and `share` to that last run's share.
  local runs share
  warm_until_settled() { # min max what command...
    local min="$1" max="$2" what="$3" out
    shift 3
    runs=0 share=100
    while ((runs < min || (share >= JIT_SETTLED && runs < max))); do
      ticks_before
      out="$("$@")"
      ticks_after
      runs=$((runs + 1))
      share="$(jit_share "$jit_before" "$jit_after" "$before" "$after")"
      log "$system: $what $runs: $(rate_of "$out") records/s, JIT compilers $share% of node CPU"
    done
  }
  log "$system: warm-up, $WARMUP records at least, then until its JIT compilers take under $JIT_SETTLED% of node CPU"
  warm_until_settled "$(((WARMUP + WARMUP_CHUNK - 1) / WARMUP_CHUNK))" "$(((WARMUP_MAX + WARMUP_CHUNK - 1) / WARMUP_CHUNK))" \
    "warm-up, $WARMUP_CHUNK records, run" produce "$WARMUP_CHUNK" 0 0
  printf -v "RESULT_${system}_warmup" '%s' "$((runs * WARMUP_CHUNK)) records, last $WARMUP_CHUNK: $share%"
  for i in 1 2 3; do
    ticks_before
    out="$(produce "$RECORDS" 0 0)"
    ticks_after_measured
    rates+=("$(rate_of "$out")")
    cpus+=("$(cpu_per_100k "$before" "$after" "$RECORDS")")
    client_cpus+=("$(client_cpu_per_100k "$RECORDS")")
    log "$system: unthrottled run $i: ${rates[-1]} records/s, ${cpus[-1]} node and ${client_cpus[-1]} client CPU s per 100k records"
  done
  median="$(median "${rates[@]}")"
  if [[ "$pace" == 0 ]]; then
    pace="$(awk -v m="$median" 'BEGIN { printf "%d", m / 2 }')"
  fi
  ticks_before
  local switches_before paced_switches
  switches_before="$(context_switches "${pids[@]}")"
  local paced_warmup=$((pace * PACED_WARMUP_SECS)) paced=$((pace * PACED_SECS))
  # When the measured part starts: after the warm-up, and the client takes a second or two to start.
  local measured_in=$((PACED_WARMUP_SECS + 2)) scrape="" paced_gc
  local measured_from=$(($(date +%s%3N) + measured_in * 1000))
  if [[ "$system" == ordo ]]; then
    # The nodes' histograms as the measured part starts.
    (sleep "$measured_in" && ordo_metrics >"$WORK/paced-metrics-before.txt") &
    scrape=$!
  fi
  out="$(produce "$paced" "$pace" "$paced_warmup")"
  paced_gc="$(gc_pauses "$system" "$measured_from" "$(date +%s%3N)")"
  ticks_after_measured
  local paced_client_cpu
  paced_client_cpu="$(client_cpu_per_100k "$((paced + paced_warmup))")"
  if [[ -n "$scrape" ]]; then
    wait "$scrape"
    ordo_metrics >"$WORK/paced-metrics-after.txt"
    RESULT_ordo_stages="$(ordo_stage_quantiles "$WORK/paced-metrics-before.txt" "$WORK/paced-metrics-after.txt")"
    log "ordo: paced writes by stage, p99 p99.9 ms (queued, replicated, applied, whole; log syncs): $RESULT_ordo_stages"
  fi
  paced_switches="$(awk -v a="$switches_before" -v b="$(context_switches "${pids[@]}")" -v n="$((paced + paced_warmup))" \
    'BEGIN { printf "%.1f", (b - a) / n }')"
  log "$system: paced at $pace/s: $(latency_of "$out") (p50 p99 p99.9 ms), $paced_switches node context switches per record"
  log "$system: GC pauses in the paced run's measured part, all nodes: longest, total ms, pauses over 10 ms: $paced_gc"
  local paced_latency paced_cpu consumed threads
  paced_latency="$(latency_of "$out")"
  paced_cpu="$(cpu_per_100k "$before" "$after" "$((paced + paced_warmup))")"
  consumer() {
    if [[ "$system" == kafka ]]; then
      kafka_java io.ordo.bench.kafka.KafkaBench consume "$KAFKA_BOOTSTRAP" bench "$CONSUME" 2>>"$WORK/bench.log"
    else
      "$ROOT/bin/ordo" bench consume --topic bench --records "$CONSUME" 2>>"$WORK/bench.log"
    fi
  }
  consume() { timed consumer; }
  warm_until_settled "$CONSUME_WARMUPS" "$CONSUME_WARMUPS_MAX" "consume warm-up" consume
  printf -v "RESULT_${system}_consume_warmup" '%s' "$runs reads, the last: $share%"
  ticks_before
  out="$(consume)"
  ticks_after_measured
  consumed="$(rate_of "$out")"
  local consume_client_cpu
  consume_client_cpu="$(client_cpu_per_100k "$CONSUME")"
  log "$system: consumed $consumed records/s, $consume_client_cpu client CPU s per 100k records"
  threads="$(threads_rss "${pids[@]}")"
  printf -v "RESULT_${system}_rates" '%s' "${rates[*]}"
  printf -v "RESULT_${system}_median" '%s' "$median"
  printf -v "RESULT_${system}_cpu" '%s' "$(median "${cpus[@]}")"
  printf -v "RESULT_${system}_client_cpu" '%s' "$(median "${client_cpus[@]}")"
  printf -v "RESULT_${system}_paced_client_cpu" '%s' "$paced_client_cpu"
  printf -v "RESULT_${system}_pace" '%s' "$pace"
  printf -v "RESULT_${system}_paced" '%s' "$paced_latency"
  printf -v "RESULT_${system}_paced_cpu" '%s' "$paced_cpu"
  printf -v "RESULT_${system}_paced_switches" '%s' "$paced_switches"
  printf -v "RESULT_${system}_paced_gc" '%s' "$paced_gc"
  printf -v "RESULT_${system}_consume" '%s' "$consumed"
  printf -v "RESULT_${system}_consume_cpu" '%s' "$(cpu_per_100k "$before" "$after" "$CONSUME")"
  printf -v "RESULT_${system}_consume_client_cpu" '%s' "$consume_client_cpu"
  printf -v "RESULT_${system}_measured_jit" '%s' "$(jit_share 0 "$measured_jit" 0 "$measured_all")"
  printf -v "RESULT_${system}_threads" '%s' "${threads% *}"
  printf -v "RESULT_${system}_rss" '%s' "${threads#* }"
}

# Trains Kafka's brokers' cache and Ordo's nodes' (see the top), and has the measured runs use them.
train_aot_caches() {
  log "training an ahead-of-time cache for Kafka's brokers ($AOT_TRAINING records)"
  KAFKA_BROKER_OPTS=("-XX:AOTCacheOutput=$WORK/kafka-broker-%p.aot")
  kafka_up
  local first="${KAFKA_PIDS[0]}" cache
  kafka_java io.ordo.bench.kafka.KafkaBench create-topic "$KAFKA_BOOTSTRAP" aot-training "$PARTITIONS" 3
  kafka_java io.ordo.bench.kafka.KafkaBench produce "$KAFKA_BOOTSTRAP" aot-training "$AOT_TRAINING" "$SIZE" 0 0 \
    >/dev/null 2>>"$WORK/bench.log"
  kafka_java io.ordo.bench.kafka.KafkaBench consume "$KAFKA_BOOTSTRAP" aot-training "$AOT_TRAINING" >/dev/null 2>>"$WORK/bench.log"
  kafka_down
  cache="$(await_aot_cache "$WORK" kafka-broker "$first")"
  mv "$cache" "$WORK/kafka-broker.aot"
  rm -f "$WORK"/kafka-broker-pid*.aot
  KAFKA_BROKER_OPTS=("-XX:AOTCache=$WORK/kafka-broker.aot" "$(gc_log_option kafka)")
  log "training an ahead-of-time cache for Ordo's nodes ($AOT_TRAINING records)"
  RECORDS="$AOT_TRAINING" "$ROOT/bench/aot-cache.sh" "$WORK/ordo-node.aot" >/dev/null
  export ORDO_NODE_AOT_CACHE="$WORK/ordo-node.aot"
}

ratio() { awk -v o="$1" -v k="$2" 'BEGIN { if (k > 0) printf "%.2f", o / k; else print "-" }'; }

report() {
  local kp=($RESULT_kafka_paced) op=($RESULT_ordo_paced) os=($RESULT_ordo_stages)
  local kg=($RESULT_kafka_paced_gc) og=($RESULT_ordo_paced_gc)
  cat <<EOF
Kafka beside Ordo, $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)
($(uname -sr)); 1 KiB records, $PARTITIONS partitions, RF 3, majority ack, fsync per append;
both on $("$JAVA" -version 2>&1 | head -1)$( ((AOT)) && echo ", servers started from ahead-of-time caches trained on $AOT_TRAINING records each").

| | Kafka | Ordo | Ordo / Kafka |
|---|---|---|---|
| produce unthrottled, 3 runs (median), records/s | ${RESULT_kafka_rates// /, } (${RESULT_kafka_median}) | ${RESULT_ordo_rates// /, } (${RESULT_ordo_median}) | $(ratio "$RESULT_ordo_median" "$RESULT_kafka_median") |
| node CPU s per 100k records produced (median of the 3) | $RESULT_kafka_cpu | $RESULT_ordo_cpu | $(ratio "$RESULT_ordo_cpu" "$RESULT_kafka_cpu") |
| bench client CPU s per 100k records produced (median of the 3) | $RESULT_kafka_client_cpu | $RESULT_ordo_client_cpu | $(ratio "$RESULT_ordo_client_cpu" "$RESULT_kafka_client_cpu") |
| paced at $RESULT_kafka_pace/s (half Kafka's median): p50 / p99 / p99.9 ms | ${kp[0]} / ${kp[1]} / ${kp[2]} | ${op[0]} / ${op[1]} / ${op[2]} | p99 $(ratio "${op[1]}" "${kp[1]}"), p99.9 $(ratio "${op[2]}" "${kp[2]}") |
| node CPU s per 100k records, paced | $RESULT_kafka_paced_cpu | $RESULT_ordo_paced_cpu | $(ratio "$RESULT_ordo_paced_cpu" "$RESULT_kafka_paced_cpu") |
| bench client CPU s per 100k records, paced | $RESULT_kafka_paced_client_cpu | $RESULT_ordo_paced_client_cpu | $(ratio "$RESULT_ordo_paced_client_cpu" "$RESULT_kafka_paced_client_cpu") |
| GC pauses in the paced run's measured part, all nodes: longest / total ms (pauses over 10 ms) | ${kg[0]} / ${kg[1]} (${kg[2]}) | ${og[0]} / ${og[1]} (${og[2]}) | $(ratio "${og[0]}" "${kg[0]}") |
| node context switches per record, paced | $RESULT_kafka_paced_switches | $RESULT_ordo_paced_switches | $(ratio "$RESULT_ordo_paced_switches" "$RESULT_kafka_paced_switches") |
| consume $CONSUME records from the start, records/s | $RESULT_kafka_consume | $RESULT_ordo_consume | $(ratio "$RESULT_ordo_consume" "$RESULT_kafka_consume") |
| node CPU s per 100k records consumed | $RESULT_kafka_consume_cpu | $RESULT_ordo_consume_cpu | $(ratio "$RESULT_ordo_consume_cpu" "$RESULT_kafka_consume_cpu") |
| bench client CPU s per 100k records consumed | $RESULT_kafka_consume_client_cpu | $RESULT_ordo_consume_client_cpu | $(ratio "$RESULT_ordo_consume_client_cpu" "$RESULT_kafka_consume_client_cpu") |
| warm-up (unthrottled, in runs of $WARMUP_CHUNK until the JIT compilers took under $JIT_SETTLED% of node CPU) | $RESULT_kafka_warmup | $RESULT_ordo_warmup | |
| reads of the same records before, until the JIT compilers took under $JIT_SETTLED% of node CPU | $RESULT_kafka_consume_warmup | $RESULT_ordo_consume_warmup | |
| JIT compilers' share of node CPU in the measured runs, % | $RESULT_kafka_measured_jit | $RESULT_ordo_measured_jit | |
| threads per node at the end | $RESULT_kafka_threads | $RESULT_ordo_threads | |
| RSS per node at the end, MB | $RESULT_kafka_rss | $RESULT_ordo_rss | |

Where Ordo's paced writes waited (p99 / p99.9 ms, the measured part, from the nodes' histograms;
each figure a bucket's upper bound): queued ${os[0]} / ${os[1]}, replicated ${os[2]} / ${os[3]},
applied ${os[4]} / ${os[5]}, the whole write on its leader ${os[6]} / ${os[7]}; a Raft log sync
(leaders' and followers') ${os[8]} / ${os[9]}.
EOF
}

main() {
  rm -rf "$WORK"
  mkdir -p "$WORK"
  build
  # Data goes however the run ends (a failed one left gigabytes behind); logs and results stay.
  trap 'kafka_down; ordo_down; rm -rf "$WORK"/kafka-[0-9] "$ORDO_DATA_DIR"/node-[0-9]' EXIT
  # Both systems' servers log their GC pauses, so a paced tail can be put down to them or not.
  KAFKA_BROKER_OPTS=("$(gc_log_option kafka)")
  ORDO_NODE_JAVA_OPTS="${ORDO_NODE_JAVA_OPTS:-$(ordo_node_default_opts)} $(gc_log_option ordo)"
  export ORDO_NODE_JAVA_OPTS
  if ((AOT)); then
    train_aot_caches
  fi
  kafka_up
  kafka_java io.ordo.bench.kafka.KafkaBench create-topic "$KAFKA_BOOTSTRAP" bench "$PARTITIONS" 3
  workload kafka 0 "${KAFKA_PIDS[@]}"
  kafka_down
  # Each system's data goes once it has run (together they filled 24 GB); its logs stay.
  rm -rf "$WORK"/kafka-[0-9]
  ordo_up
  ordo_topic_ready bench "$PARTITIONS" 300
  workload ordo "$RESULT_kafka_pace" $(ordo_pids)
  ordo_down
  rm -rf "$ORDO_DATA_DIR"/node-[0-9]
  report | tee "$WORK/results.md"
}

main "$@"
