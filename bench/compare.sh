#!/usr/bin/env bash
# Compares Tern with other MQTT brokers on this machine, with the tern-bench load generator.
#
# For each round, for each group of scenarios, for each broker in turn: start it afresh on a new
# loopback port, wait for the port, run the group, stop it by PID. Consecutive flows (fanin, fanout,
# p2p, offline) form one group; conns, retained and subs are a group each, so their memory figures start from
# a fresh broker. The brokers alternate group by group (and the first broker changes from one group
# to the next), so a slow spell of the machine hits all of them alike. Results go to bench/results/<UTC time>.jsonl and BENCHMARKS.md is rebuilt from them (each
# broker's best round); its sections marked <!-- section: NAME --> come from runs with
# --section NAME and are kept.
#
# A broker whose jar or binary is missing is skipped with a message, so the script runs with
# whatever is installed. Adding a broker = writing its three broker_<name>_* functions below.
#
# Usage: bench/compare.sh [--brokers "tern mosquitto"] [--rounds N] [--duration S] [--warmup S]
#                         [--run "fanin --qos 2 ..."]... [--quick] [--port N] [--no-report]
#                         [--section NAME --title TEXT] [--persistent]
# --persistent: the persistent-session scenarios (bench/scenarios.sh persistent_runs) into the
#               "persistent" section; compare --brokers "tern tern_process tern_fsync mosquitto_persist".
# Environment: BROKERS, ROUNDS, DURATION, WARMUP, PORT_BASE, GEN_JVM_OPTS, TERN_JVM_OPTS, PEER_JVM_OPTS,
#              TERN_JAR, MOSQUITTO (binary), RESULTS_DIR, REPORT_OUT, MAX_INFLIGHT, MAX_QUEUED, QUIET_MAX_PCT,
#              QUIET_WAIT_S, CONNS, CONNS_HOLD, RETAINED, SUBS, SUBS_CLIENTS, PHASE_TIMEOUT, OFFLINE,
#              TERN_BEFORE_JAR (brokers tern_before, tern_before_process: another build, before a change)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COMMAND="bench/compare.sh${*:+ $*}"

# In an early run (bench/results/20261122T045124Z.jsonl) HiveMQ delivered almost nothing and then
# refused connections, and Moquette delivered ~10k msg/s: with publishers writing as fast as the
# socket took it, both read far faster than they delivered and queued without bound (HiveMQ filled
# its heap and spent its time in GC). The generator now bounds what each publisher has sent and not
# yet seen delivered (--outstanding, the same for every broker); see docs/benchmarks.md.
BROKERS=${BROKERS:-"tern mosquitto hivemq moquette"}
# The JVM of the Java peers: their own defaults (no tuning we do not give Tern too).
PEER_JVM_OPTS=${PEER_JVM_OPTS:-}
ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-10}
# Long enough for the JIT of the three JVM brokers (HiveMQ's delivery rate still climbs after 3 s).
WARMUP=${WARMUP:-5}
PORT_BASE=${PORT_BASE:-18830}
# The generator's JVM: a young generation big enough that it rarely collects inside a run, so its own
# pauses stay out of the latencies it measures.
GEN_JVM_OPTS=${GEN_JVM_OPTS:-"-XX:+UseParallelGC -Xms1g -Xmx1g -Xmn600m -XX:+AlwaysPreTouch"}
TERN_JVM_OPTS=${TERN_JVM_OPTS:-""}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
# The same delivery limits for every broker, raised so none is capped by its defaults: with 100 in
# flight per subscriber, mosquitto dropped QoS 1 messages once the subscriber's queue filled.
MAX_INFLIGHT=${MAX_INFLIGHT:-1000}
MAX_QUEUED=${MAX_QUEUED:-1000000}
# Before each run, wait (at most QUIET_WAIT_S) until other processes use less than QUIET_MAX_PCT of a core.
QUIET_MAX_PCT=${QUIET_MAX_PCT:-25}
QUIET_WAIT_S=${QUIET_WAIT_S:-5}
REPORT=1
REPORT_OUT=${REPORT_OUT:-BENCHMARKS.md}
SECTION=""
TITLE=""
RUNS=()
# Every file descriptor the hard limit allows, for the generator and (below) every broker alike.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
# conns: 100,000 idle connections when the limits allow it; a process here may hold only
# `ulimit -Hn` files (the broker one per connection, the generator too), so fewer otherwise.
HARD_NOFILE=$(ulimit -Hn)
if [ "$HARD_NOFILE" = unlimited ] || [ "$HARD_NOFILE" -ge 102000 ]; then DEFAULT_CONNS=100000
else DEFAULT_CONNS=$(( (HARD_NOFILE - 2000) / 1000 * 1000 )); fi
CONNS=${CONNS:-$DEFAULT_CONNS}
CONNS_HOLD=${CONNS_HOLD:-5}
RETAINED=${RETAINED:-1000000}
SUBS=${SUBS:-1000000}
SUBS_CLIENTS=${SUBS_CLIENTS:-10000}
# offline: messages published to persistent subscribers that are away (--persistent).
OFFLINE=${OFFLINE:-1000000}
PERSISTENT=0
# conns, retained and subs: the longest one phase of them (connecting, subscribing, publishing,
# receiving) may take; a broker slower than that gets a partial result, flagged.
PHASE_TIMEOUT=${PHASE_TIMEOUT:-120}
# The default scenarios: default_runs and scenario_args, in bench/scenarios.sh.
# shellcheck source=bench/scenarios.sh
. "$ROOT/bench/scenarios.sh"


usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) BROKERS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --port) PORT_BASE=$2; shift 2 ;;
    --run) RUNS+=("$2"); shift 2 ;;
    --quick) ROUNDS=1; DURATION=3; WARMUP=2; CONNS=2000; RETAINED=50000; SUBS=50000; SUBS_CLIENTS=500; OFFLINE=50000; shift ;;
    --section) SECTION=$2; shift 2 ;;
    --title) TITLE=$2; shift 2 ;;
    --persistent) PERSISTENT=1; shift ;;
    --no-report) REPORT=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage >&2; exit 1 ;;
  esac
done
if [ "$PERSISTENT" -eq 1 ]; then
  [ ${#RUNS[@]} -eq 0 ] && persistent_runs
  SECTION=${SECTION:-persistent}
  TITLE=${TITLE:-"Persistent sessions: QoS 1 to online and to offline-then-online persistent subscribers, in each durability mode"}
fi
[ ${#RUNS[@]} -eq 0 ] && default_runs

BENCH_JAR=tern-bench/target/tern-bench.jar
RESULTS_DIR=${RESULTS_DIR:-bench/results}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RESULTS_DIR/$STAMP.jsonl
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-compare.XXXXXX")
mkdir -p "$RESULTS_DIR"

log() { echo "[compare] $*" >&2; }

# JSON string literal of $1.
json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/ }
  s=${s//$'\n'/ }
  printf '"%s"' "$s"
}

# ------------------------------------------------------------------------------------------------
# Broker hooks. For a broker NAME:
#   broker_NAME_check            prints why it cannot run and returns 1, or returns 0
#   broker_NAME_version          prints one line: what is being measured
#   broker_NAME_start PORT DIR   starts it in the background listening on 127.0.0.1:PORT (files
#                                under DIR), with `exec` so that $! is the broker itself
# The script stops every broker the same way: SIGTERM to that PID, SIGKILL after 5 s.
# ------------------------------------------------------------------------------------------------

TERN_JAR=${TERN_JAR:-tern-server/target/tern.jar}

broker_tern_check() {
  [ -f "$TERN_JAR" ] || { echo "$TERN_JAR not found (build tern-server first)"; return 1; }
}
broker_tern_version() {
  echo "tern $(git rev-parse --short HEAD 2>/dev/null || echo '?') (jar of $(date -u -r "$TERN_JAR" +%Y-%m-%dT%H:%MZ))"
}
# tern: in memory (storage.durability none). tern_process and tern_fsync: the RocksDB store in
# the broker's fresh work directory, with that durability (docs/configuration.md#storage).
broker_tern_start() {
  tern_start "$1" "$2" none
}
tern_start() {
  local port=$1 dir=$2 durability=$3 io_threads=${4:-0}
  # Keys as in tern.yaml (docs/configuration.md); --bind and --port override the first listener.
  printf 'limits:\n  max_inflight: %s\n  max_queued_messages: %s\nlog:\n  level: warn\nstorage:\n  durability: %s\n  data_dir: %s\nio_threads: %s\n' \
    "$MAX_INFLIGHT" "$MAX_QUEUED" "$durability" "$dir/data" "$io_threads" >"$dir/tern.yaml"
  # shellcheck disable=SC2086
  ( ulimit -n "$(ulimit -Hn)"
    exec java $TERN_JVM_OPTS -jar "$TERN_JAR" --config "$dir/tern.yaml" --bind 127.0.0.1 --port "$port"
  ) >"$dir/broker.log" 2>&1 &
}
broker_tern_process_check() { broker_tern_check; }
broker_tern_process_version() { echo "$(broker_tern_version), storage.durability process"; }
broker_tern_process_start() { tern_start "$1" "$2" process; }
broker_tern_fsync_check() { broker_tern_check; }
broker_tern_fsync_version() { echo "$(broker_tern_version), storage.durability fsync"; }
broker_tern_fsync_start() { tern_start "$1" "$2" fsync; }
# tern_1loop: in memory, one event loop (io_threads: 1) instead of one per core: the latency
# trade-off of docs/performance.md, measured beside the release settings.
broker_tern_1loop_check() { broker_tern_check; }
broker_tern_1loop_version() { echo "$(broker_tern_version), io_threads 1"; }
broker_tern_1loop_start() { tern_start "$1" "$2" none 1; }

# tern_before and tern_before_process: another build of Tern (TERN_BEFORE_JAR, e.g. the jar of main
# before a change), in memory and with the RocksDB store, to measure a change before and after in
# one run. Skipped unless TERN_BEFORE_JAR is set.
TERN_BEFORE_JAR=${TERN_BEFORE_JAR:-}
broker_tern_before_check() {
  [ -n "$TERN_BEFORE_JAR" ] && [ -f "$TERN_BEFORE_JAR" ] || { echo "TERN_BEFORE_JAR not set or not found"; return 1; }
}
broker_tern_before_version() { echo "tern before: $TERN_BEFORE_JAR (of $(date -u -r "$TERN_BEFORE_JAR" +%Y-%m-%dT%H:%MZ))"; }
broker_tern_before_start() { TERN_JAR=$TERN_BEFORE_JAR tern_start "$1" "$2" none; }
broker_tern_before_process_check() { broker_tern_before_check; }
broker_tern_before_process_version() { echo "$(broker_tern_before_version), storage.durability process"; }
broker_tern_before_process_start() { TERN_JAR=$TERN_BEFORE_JAR tern_start "$1" "$2" process; }

# tern_plain and tern_hooked: the same embedded broker (examples' BenchLauncher), without and with
# 5 no-op hooks (publish + deliver) and a router of 50 routes, one of which matches every benchmark
# topic. Compare them in one run: --brokers "tern_plain tern_hooked" (docs/extending.md).
EXAMPLES_JAR=${EXAMPLES_JAR:-examples/target/tern-examples.jar}
broker_tern_plain_check() {
  [ -f "$EXAMPLES_JAR" ] || { echo "$EXAMPLES_JAR not found (mvn -pl examples -am package -DskipTests)"; return 1; }
}
tern_launcher_version() {
  echo "tern $(git rev-parse --short HEAD 2>/dev/null || echo '?') (examples jar of $(date -u -r "$EXAMPLES_JAR" +%Y-%m-%dT%H:%MZ))"
}
broker_tern_plain_version() { echo "$(tern_launcher_version), embedded (examples BenchLauncher), no hooks"; }
broker_tern_plain_start() { tern_launcher_start "$1" "$2"; }
broker_tern_hooked_check() { broker_tern_plain_check; }
broker_tern_hooked_version() { echo "$(tern_launcher_version), embedded, 5 no-op hooks and a router of 50 routes"; }
broker_tern_hooked_start() { tern_launcher_start "$1" "$2" --hooks; }
tern_launcher_start() {
  local port=$1 dir=$2
  shift 2
  # shellcheck disable=SC2086
  ( ulimit -n "$(ulimit -Hn)"
    exec java $TERN_JVM_OPTS -Dtern.log.level=WARN -jar "$EXAMPLES_JAR" "$port" "$@" \
      --max-inflight "$MAX_INFLIGHT" --max-queued "$MAX_QUEUED"
  ) >"$dir/broker.log" 2>&1 &
}

broker_mosquitto_check() {
  [ -x "$MOSQUITTO" ] || { echo "$MOSQUITTO not found (apt-get install mosquitto)"; return 1; }
}
broker_mosquitto_version() {
  "$MOSQUITTO" -h 2>&1 | head -1
}
broker_mosquitto_start() {
  local port=$1 dir=$2
  # Its defaults are 1000 queued and 20 in flight per client. TCP_NODELAY, as the JVM brokers have it.
  printf '%s\n' "listener $port 127.0.0.1" "allow_anonymous true" "persistence false" "max_connections -1" \
    "max_queued_messages $MAX_QUEUED" "max_queued_bytes 0" "max_inflight_messages $MAX_INFLIGHT" \
    "set_tcp_nodelay true" "log_dest stderr" "log_type error" "log_type warning" >"$dir/mosquitto.conf"
  ( ulimit -n "$(ulimit -Hn)"; exec "$MOSQUITTO" -c "$dir/mosquitto.conf" ) >"$dir/broker.log" 2>&1 &
}
# Mosquitto with persistence on: it keeps its state in memory and writes mosquitto.db at the
# autosave interval and on exit (it has no write-ahead log: a SIGKILL loses what came since).
broker_mosquitto_persist_check() { broker_mosquitto_check; }
broker_mosquitto_persist_version() { echo "$(broker_mosquitto_version), persistence true, autosave_interval 1"; }
broker_mosquitto_persist_start() {
  local port=$1 dir=$2
  printf '%s\n' "listener $port 127.0.0.1" "allow_anonymous true" "persistence true" "persistence_location $dir/" \
    "autosave_interval 1" "max_connections -1" \
    "max_queued_messages $MAX_QUEUED" "max_queued_bytes 0" "max_inflight_messages $MAX_INFLIGHT" \
    "set_tcp_nodelay true" "log_dest stderr" "log_type error" "log_type warning" >"$dir/mosquitto.conf"
  ( ulimit -n "$(ulimit -Hn)"; exec "$MOSQUITTO" -c "$dir/mosquitto.conf" ) >"$dir/broker.log" 2>&1 &
}

# The two Java peers run from small launchers in bench/peers (built here on first use, from Maven
# Central): their default settings, persistence off, a TCP listener on 127.0.0.1:$port.
PEERS_DIR=${PEERS_DIR:-bench/peers}
peer_jar() { echo "$PEERS_DIR/$1/target/$1-launcher.jar"; }
build_peer() {
  # Rebuilt when its pom or sources changed since the jar was made.
  [ -f "$(peer_jar "$1")" ] && [ -z "$(find "$PEERS_DIR/$1/pom.xml" "$PEERS_DIR/$1/src" -newer "$(peer_jar "$1")" \
    -print -quit 2>/dev/null)" ] && return 0
  log "building the $1 launcher (bench/peers/$1, once)"
  mvn -B -q -f "$PEERS_DIR/$1/pom.xml" package >&2 || { echo "could not build bench/peers/$1"; return 1; }
}
peer_version() { # the peer's Maven version, read from its launcher's pom
  sed -n 's:.*<artifactId>'"$2"'</artifactId><version>\([^<]*\)</version>.*:\1:p' "$PEERS_DIR/$1/pom.xml" | head -1
}

# HiveMQ CE embedded (com.hivemq:hivemq-community-edition-embedded): in-memory persistence, the
# same queue bound as the others. Its in-flight window follows the client's Receive Maximum.
broker_hivemq_check() { build_peer hivemq; }
broker_hivemq_version() { echo "hivemq-ce $(peer_version hivemq hivemq-community-edition-embedded) (embedded)"; }
broker_hivemq_start() {
  local port=$1 dir=$2
  # shellcheck disable=SC2086
  ( ulimit -n "$(ulimit -Hn)"; exec java $PEER_JVM_OPTS -jar "$(peer_jar hivemq)" "$port" "$dir" "$MAX_QUEUED" ) \
    >"$dir/broker.log" 2>&1 &
}

# Moquette (io.moquette:moquette-broker): persistence off, telemetry off, its defaults otherwise
# (NIO, not epoll: netty.epoll is false by default).
broker_moquette_check() { build_peer moquette; }
broker_moquette_version() { echo "moquette $(peer_version moquette moquette-broker)"; }
broker_moquette_start() {
  local port=$1 dir=$2
  # shellcheck disable=SC2086
  ( ulimit -n "$(ulimit -Hn)"; exec java $PEER_JVM_OPTS -jar "$(peer_jar moquette)" "$port" "$dir" ) \
    >"$dir/broker.log" 2>&1 &
}

# ------------------------------------------------------------------------------------------------

# BENCHMARKS.md: the report of this run, and the kept sections (<!-- section: NAME --> ...
# <!-- end section: NAME -->) of the file as it was. With --section NAME, this run's report becomes
# that section and the rest of the file stays as it was.
write_report() {
  local new=$WORK/report.md old=$WORK/old.md
  [ -f "$REPORT_OUT" ] && cp "$REPORT_OUT" "$old" || : >"$old"
  if [ -n "$SECTION" ]; then
    java -jar "$BENCH_JAR" report "$RESULTS" --section "$SECTION" --out "$WORK/section.md" || return 1
    # The file without that section, then the section.
    awk -v name="$SECTION" '
      $0 == "<!-- section: " name " -->" { skip = 1 }
      !skip { print }
      $0 == "<!-- end section: " name " -->" { skip = 0 }' "$old" >"$new"
    cat "$WORK/section.md" >>"$new"
  else
    java -jar "$BENCH_JAR" report "$RESULTS" --out "$new" || return 1
    # Every kept section of the old file, in order.
    awk '
      /^<!-- section: .* -->$/ { keep = 1 }
      keep { print }
      /^<!-- end section: .* -->$/ { keep = 0; print "" }' "$old" >>"$new"
  fi
  cp "$new" "$REPORT_OUT"
}

BROKER_PID=""

stop_broker() {
  [ -n "$BROKER_PID" ] || return 0
  if kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -TERM "$BROKER_PID" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "$BROKER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$BROKER_PID" 2>/dev/null; then
      log "broker $BROKER_PID ignored SIGTERM for 5 s: SIGKILL"
      kill -KILL "$BROKER_PID" 2>/dev/null
    fi
  fi
  wait "$BROKER_PID" 2>/dev/null
  BROKER_PID=""
}

cleanup() {
  stop_broker
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Waits until 127.0.0.1:$1 accepts connections (true) or 20 s pass or the broker dies (false).
wait_for_port() {
  local port=$1
  for _ in $(seq 200); do
    kill -0 "$BROKER_PID" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Percent of one core that processes used over one second (user + nice + system, from /proc/stat).
busy_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4}' /proc/stat)
  echo $(( (b - a) * 100 / $(getconf CLK_TCK) ))
}

wait_for_quiet() {
  local waited=0 busy
  # Dirty pages written back now, not during a run: the kernel writes the jars a build just made
  # (~120 MB) some 30 s later, which would be inside the first run.
  sync
  busy=$(busy_pct)
  while [ "$busy" -gt "$QUIET_MAX_PCT" ] && [ "$waited" -lt "$QUIET_WAIT_S" ]; do
    log "machine busy (${busy}% of a core used by other processes): waiting"
    waited=$((waited + 1))
    busy=$(busy_pct)
  done
  [ "$busy" -gt "$QUIET_MAX_PCT" ] && log "still busy (${busy}%); running anyway: see the 'other CPU' column"
  return 0
}

# ------------------------------------------------------------------------------------------------

if [ ! -f "$BENCH_JAR" ] || [ -n "$(find tern-bench/src/main tern-bench/pom.xml tern-codec/src/main \
    -newer "$BENCH_JAR" -print -quit 2>/dev/null)" ]; then
  log "building $BENCH_JAR"
  mvn -B -q -pl tern-bench -am package -DskipTests || { log "build failed"; exit 1; }
fi

ACTIVE=()
SKIPS=()
for b in $BROKERS; do
  if ! declare -F "broker_${b}_check" >/dev/null; then
    log "unknown broker '$b' (known: tern tern_process tern_fsync tern_1loop tern_before tern_before_process tern_plain tern_hooked mosquitto mosquitto_persist hivemq moquette)"
    exit 1
  fi
  if reason=$("broker_${b}_check"); then
    ACTIVE+=("$b")
  else
    log "skipping $b: $reason"
    SKIPS+=("{\"type\":\"skip\",\"broker\":$(json_str "$b"),\"reason\":$(json_str "$reason")}")
  fi
done
if [ ${#ACTIVE[@]} -eq 0 ]; then
  log "no broker to run"
  exit 1
fi

{
  printf '{"type":"meta","date":%s,"command":%s,"machine":%s,"cpu":%s,"memory":%s,"kernel":%s,"java":%s,"rounds":%s,"generator_jvm":%s,"limits":%s' \
    "$(json_str "$(date -u '+%Y-%m-%d %H:%M UTC')")" \
    "$(json_str "$COMMAND")" \
    "$(json_str "$(nproc) cores")" \
    "$(json_str "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)")" \
    "$(json_str "$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)")" \
    "$(json_str "$(uname -sr)")" \
    "$(json_str "$(java -version 2>&1 | head -1)")" \
    "$ROUNDS" \
    "$(json_str "$GEN_JVM_OPTS")" \
    "$(json_str "every broker: $MAX_INFLIGHT QoS 1/2 messages in flight and $MAX_QUEUED queued per client, open files (ulimit -n) $(ulimit -n)")"
  [ -n "$TITLE" ] && printf ',"title":%s' "$(json_str "$TITLE")"
  for b in "${ACTIVE[@]}"; do
    printf ',"version_%s":%s' "$b" "$(json_str "$("broker_${b}_version")")"
  done
  printf '}\n'
  for s in ${SKIPS[@]+"${SKIPS[@]}"}; do echo "$s"; done
} >"$RESULTS"

TOTAL_RUNS=$(( ROUNDS * ${#ACTIVE[@]} * ${#RUNS[@]} ))
log "$TOTAL_RUNS runs: ${#RUNS[@]} scenario(s) x ${ACTIVE[*]} x $ROUNDS round(s); flows ${DURATION}s after ${WARMUP}s warmup"
log "results: $RESULTS"

port=$PORT_BASE
failures=0
scenario_index=0
# Groups of runs that share one start of each broker: consecutive flows (fanin, fanout, p2p) share
# one, so the JIT of a JVM broker warmed by one flow serves the next (offline too: it measures
# rates, not memory, and after a flow it meets a warm broker); conns, retained and subs each
# get a fresh broker, so their memory figures start from an idle one.
RUN_GROUPS=()
for args in "${RUNS[@]}"; do
  case "${args%% *}" in
    fanin | fanout | p2p | offline)
      last=$(( ${#RUN_GROUPS[@]} - 1 ))
      if [ "$last" -ge 0 ] && [ "${RUN_GROUPS[$last]:0:6}" = "flows:" ]; then RUN_GROUPS[$last]="${RUN_GROUPS[$last]}|$args"
      else RUN_GROUPS+=("flows:$args"); fi ;;
    *) RUN_GROUPS+=("single:$args") ;;
  esac
done

# Runs one scenario against the broker started for it; records a failure line when it fails.
run_one() {
  local b=$1 args=$2 dir=$3
  wait_for_quiet
  log "round $round: $b: $args"
  # shellcheck disable=SC2046,SC2086
  timeout --kill-after=5 "$(scenario_timeout "$args")" \
    java $GEN_JVM_OPTS -jar "$BENCH_JAR" $args $(scenario_args "$args") \
      --host 127.0.0.1 --port "$port" --label "$b" --broker-pid "$BROKER_PID" --json "$RESULTS" --quiet \
    | grep -v '^{'
  local code=${PIPESTATUS[0]}
  if [ "$code" -ne 0 ]; then
    log "$b: '$args' exited with $code"
    echo "{\"type\":\"fail\",\"broker\":$(json_str "$b"),\"args\":$(json_str "$args"),\"exit\":$code}" >>"$RESULTS"
    failures=$((failures + 1))
  fi
  if ! kill -0 "$BROKER_PID" 2>/dev/null; then
    log "$b died during the run; its log:"
    tail -20 "$dir/broker.log" >&2
    return 1
  fi
  return 0
}

for round in $(seq "$ROUNDS"); do
  for group in "${RUN_GROUPS[@]}"; do
    IFS='|' read -r -a group_runs <<<"${group#*:}"
    # Rotate the brokers' order from one group to the next, so none always goes first or last.
    order=()
    n=${#ACTIVE[@]}
    for i in $(seq 0 $((n - 1))); do order+=("${ACTIVE[$(( (i + scenario_index) % n ))]}"); done
    scenario_index=$((scenario_index + 1))
    for b in "${order[@]}"; do
      dir=$WORK/$b-$round-$scenario_index
      mkdir -p "$dir"
      port=$((port + 1))
      log "round $round: starting $b on 127.0.0.1:$port for: ${group#*:}"
      "broker_${b}_start" "$port" "$dir"
      BROKER_PID=$!
      if ! wait_for_port "$port"; then
        log "$b did not listen on $port; its log:"
        tail -20 "$dir/broker.log" >&2
        echo "{\"type\":\"fail\",\"broker\":$(json_str "$b"),\"args\":$(json_str "${group#*:}"),\"exit\":\"no listener\"}" >>"$RESULTS"
        failures=$((failures + 1))
        stop_broker
        continue
      fi
      # Let a JVM broker finish starting (class loading, JIT of its start-up) before measuring.
      sleep 1
      for args in "${group_runs[@]}"; do
        run_one "$b" "$args" "$dir" || break
      done
      if grep -qiE 'OutOfMemory|exception' "$dir/broker.log"; then
        log "$b logged $(grep -ciE 'OutOfMemory|exception' "$dir/broker.log") exception line(s); first: $(grep -iE -m1 'OutOfMemory|exception' "$dir/broker.log" | cut -c1-200)"
      fi
      stop_broker
    done
  done
done

if [ "$REPORT" -eq 1 ]; then
  write_report && log "wrote $REPORT_OUT${SECTION:+ (section $SECTION)}"
fi
log "done: $RESULTS ($failures run(s) without a clean result)"
[ "$failures" -eq 0 ]
