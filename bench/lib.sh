# Shell functions of the benchmarks beside Kafka (compare-kafka.sh, many-partitions.sh): sourced,
# not run. The caller sets ROOT (the checkout), WORK (its data and logs) and ORDO_DATA_DIR, and
# builds with build().

KAFKA_DIR="$ROOT/bench/kafka"
KAFKA_BOOTSTRAP="127.0.0.1:19191,127.0.0.1:19192,127.0.0.1:19193"
KAFKA_PIDS=()
# JAVA_HOME picks the JDK of Kafka's brokers and bench client here, as it does Ordo's nodes and
# CLI (bin/ordo-env.sh): both systems always run on the same one.
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# More JVM options for Kafka's brokers (an ahead-of-time cache), as ORDO_NODE_AOT_CACHE is for Ordo's nodes.
KAFKA_BROKER_OPTS=()

log() { echo "$(basename "$0" .sh): $*" >&2; }

kafka_java() {
  "$JAVA" -Xms1g -Xmx1g -cp "$KAFKA_DIR/target/classes:$KAFKA_DIR/target/lib/*" "$@"
}

# Waits up to 120 s for the ahead-of-time cache a JVM started with -XX:AOTCacheOutput=DIR/NAME-%p.aot
# writes as it exits (JDK 25 on: a second JVM assembles it after the first is gone); prints its
# path, or fails if none came.
await_aot_cache() { # DIR NAME PID
  local file="$1/$2-pid$3.aot" _
  for _ in $(seq 1 120); do
    [ -f "$file" ] && ! ls "$1"/*.aot.config >/dev/null 2>&1 && { echo "$file"; return; }
    sleep 1
  done
  log "no ahead-of-time cache at $file"
  return 1
}

# Utime plus stime of the given processes, in clock ticks.
cpu_ticks() {
  local total=0 pid stat
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat")"
    stat="${stat##*) }" # past the command, which may hold spaces
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# Utime plus stime, in clock ticks, of the given processes' JIT compiler threads (HotSpot's
# "C1 CompilerThreadN" and "C2 CompilerThreadN"; 2 cores give each JVM one of each, for good).
jit_ticks() {
  local pid task
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      case "$(cat "$task/comm" 2>/dev/null)" in
        "C1 Compiler"* | "C2 Compiler"*) sed 's/.*) //' "$task/stat" 2>/dev/null ;;
      esac
    done
  done | awk '{ total += $12 + $13 } END { print total + 0 }'
}

# Percent of the CPU between two pairs of tick counts that went to the JIT compilers: JIT_BEFORE
# JIT_AFTER ALL_BEFORE ALL_AFTER.
jit_share() {
  awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" 'BEGIN { if (d > c) printf "%.0f", (b - a) * 100 / (d - c); else print 0 }'
}

# Context switches (voluntary and not) of every thread of the given processes so far.
context_switches() {
  local pid
  for pid in "$@"; do
    cat "/proc/$pid/task/"*/status 2>/dev/null
  done | awk '/^(nonvoluntary|voluntary)_ctxt_switches:/ { total += $2 } END { print total + 0 }'
}

# CPU seconds per 100,000 records between two tick counts.
cpu_per_100k() {
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz * 100000 / n }'
}

# Average threads and RSS (MB) of the given processes, as "threads rss".
threads_rss() {
  local threads=0 rss=0 pid
  for pid in "$@"; do
    threads=$((threads + $(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")))
    rss=$((rss + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")))
  done
  echo "$((threads / $#)) $((rss / 1024 / $#))"
}

# The local Ordo cluster's metrics, its three nodes' one after the other (a node that does not
# answer adds nothing).
ordo_metrics() {
  local n
  for n in 1 2 3; do
    curl -sf --max-time 5 "http://127.0.0.1:$((9300 + n))/metrics" || true
  done
}

# Where Ordo's writes spent their time between two files of ordo_metrics, every node's histogram
# buckets summed: "p99 p99.9" in ms (each a bucket's upper bound) of the leaders' write stages
# queued, replicated and applied, of the whole write, and of the Raft log syncs (leaders' and
# followers'), in that order.
ordo_stage_quantiles() { # BEFORE AFTER
  awk '
    match($0, /^ordo_(write_stage|write|raft_log_sync)_seconds_bucket\{/) {
      series = substr($0, 6, RLENGTH - 21)
      if (match($0, /stage="[a-z]+"/)) series = substr($0, RSTART + 7, RLENGTH - 8)
      match($0, /le="[^"]+"/)
      le = substr($0, RSTART + 4, RLENGTH - 5)
      count[series, le] += (FILENAME == ARGV[1] ? -$NF : $NF)
      if (!((series, le) in seen)) { seen[series, le]; bounds[series] = bounds[series] " " le }
    }
    function quantile(series, q,    n, i, les, total) {
      n = split(bounds[series], les, " ")
      total = count[series, "+Inf"]
      if (total <= 0) return "-"
      for (i = 1; i <= n; i++) if (les[i] != "+Inf" && count[series, les[i]] >= q * total) return sprintf("%.1f", les[i] * 1000)
      return ">" sprintf("%.0f", les[n - 1] * 1000)
    }
    END {
      split("queued replicated applied write raft_log_sync", order, " ")
      for (i = 1; i <= 5; i++) printf "%s%s %s", (i > 1 ? " " : ""), quantile(order[i], 0.99), quantile(order[i], 0.999)
      print ""
    }' "$1" "$2"
}

# A JVM option that logs a server's GC pauses to $WORK/gc-NAME-<pid>.log, each line with its
# wall-clock time in ms, for gc_pauses.
gc_log_option() { echo "-Xlog:gc:file=$WORK/gc-$1-%p.log:timemillis"; }

# The GC pauses NAME's servers (see gc_log_option) logged from FROM_MS to TO_MS (epoch ms), every
# node's together: "longest_ms total_ms count_over_10_ms". Each pause on its own: jstat sums them,
# and JDK 17's GC MXBeans (a node's jvm_gc_pause metrics) leave out G1's remark and cleanup pauses.
gc_pauses() { # NAME FROM_MS TO_MS
  local logs=("$WORK/gc-$1-"*.log)
  [[ -e "${logs[0]}" ]] || { echo "- - -"; return; } # not logged: no figures rather than none seen
  cat "${logs[@]}" | awk -v from="$2" -v to="$3" '
    / Pause / {
      t = substr($1, 2) + 0
      if (t < from || t > to) next
      ms = $NF; sub(/ms$/, "", ms)
      total += ms; if (ms + 0 > longest) longest = ms + 0; if (ms + 0 > 10) over++
    }
    END { printf "%.1f %.0f %d\n", longest, total, over }'
}

# The records/s of a bench's output ("... in S s: R records/s, ..."), and its latency line's figures.
rate_of() { sed -n 's/.* s: \([0-9.]*\) records\/s.*/\1/p' <<<"$1" | head -1; }
latency_of() { sed -n 's/^latency ms[^:]*: p50 \([0-9.]*\), p99 \([0-9.]*\), p99.9 \([0-9.]*\), max.*/\1 \2 \3/p' <<<"$1"; }
# Whether a topic description (JSON) lists partitions and none without a leader.
all_led() { grep -q '"partition"' <<<"$1" && ! grep -q '"leader": *0[,}]' <<<"$1"; }

# Creates TOPIC with PARTITIONS partitions (RF 3) on the local Ordo cluster and waits until each
# has a leader, for up to TIMEOUT seconds; fails after that. Errors go to $WORK/bench.log.
ordo_topic_ready() { # TOPIC PARTITIONS TIMEOUT
  local deadline=$((SECONDS + $3))
  # The create call itself waits for leaders up to its deadline; then describe until all have one.
  "$ROOT/bin/ordo" topic create "$1" --partitions "$2" --replication-factor 3 --request-timeout-ms "$(($3 * 1000))" \
    >/dev/null 2>>"$WORK/bench.log" || true
  until all_led "$("$ROOT/bin/ordo" topic describe "$1" --output json 2>>"$WORK/bench.log")"; do
    ((SECONDS < deadline)) || { log "topic $1: its partitions had no leaders within $3 s"; return 1; }
    sleep 2
  done
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

build() {
  log "building Ordo from this checkout, then Kafka's benchmark client (bench/kafka; fetches Kafka)"
  (cd "$ROOT" && mvn -B -q -DskipTests install >&2)
  (cd "$KAFKA_DIR" && mvn -B -q -DskipTests package >&2)
}

kafka_up() {
  local id n
  id="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  for n in 1 2 3; do
    rm -rf "$WORK/kafka-$n" # a fresh cluster each time
    mkdir -p "$WORK/kafka-$n"
    cat >"$WORK/kafka-$n.properties" <<EOF
process.roles=broker,controller
node.id=$n
controller.quorum.voters=1@127.0.0.1:19291,2@127.0.0.1:19292,3@127.0.0.1:19293
listeners=PLAINTEXT://127.0.0.1:1919$n,CONTROLLER://127.0.0.1:1929$n
advertised.listeners=PLAINTEXT://127.0.0.1:1919$n
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$WORK/kafka-$n/data
log.flush.interval.messages=1
min.insync.replicas=2
default.replication.factor=3
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
EOF
    kafka_java kafka.tools.StorageTool format -t "$id" -c "$WORK/kafka-$n.properties" >"$WORK/kafka-$n.log" 2>&1
    setsid "$JAVA" -Xms1g -Xmx1g "${KAFKA_BROKER_OPTS[@]}" -cp "$KAFKA_DIR/target/lib/*" kafka.Kafka "$WORK/kafka-$n.properties" \
      >>"$WORK/kafka-$n.log" 2>&1 </dev/null &
    KAFKA_PIDS+=($!)
  done
  log "Kafka brokers started (pids ${KAFKA_PIDS[*]}); waiting for them to take a topic"
  local deadline=$((SECONDS + 120))
  until kafka_java io.ordo.bench.kafka.KafkaBench create-topic "$KAFKA_BOOTSTRAP" ready 1 3 >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      log "Kafka did not take a topic within 120 s; see $WORK/kafka-*.log"
      exit 1
    fi
    sleep 2
  done
}

kafka_down() {
  local pid
  for pid in "${KAFKA_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${KAFKA_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
  done
  KAFKA_PIDS=()
}

# The node JVM options $ROOT's bin/ordo-env.sh gives by default (a 1 GB heap in a revision older
# than its ORDO_NODE_HEAP_OPTS).
ordo_node_default_opts() { (source "$ROOT/bin/ordo-env.sh" && echo "${ORDO_NODE_HEAP_OPTS:--Xms256m -Xmx1g}"); }

ordo_up() {
  ORDO_DATA="$ORDO_DATA_DIR" "$ROOT/bin/ordo-cluster" up >&2
}

# The PIDs of the local Ordo cluster's nodes.
ordo_pids() {
  local n
  for n in 1 2 3; do cat "$ORDO_DATA_DIR/node-$n.pid"; done
}

ordo_down() {
  ORDO_DATA="$ORDO_DATA_DIR" "$ROOT/bin/ordo-cluster" down >&2 || true
}
