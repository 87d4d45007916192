# The scenarios bench/compare.sh runs by default, and the options each kind of scenario gets from
# the script. Sourced by compare.sh; uses its settings (DURATION, WARMUP, CONNS, ...).

# Fills RUNS with the scenarios (see docs/benchmarks.md for what each measures).
default_runs() {
  RUNS=(
    # Throughput, as fast as the broker delivers (within the generator's --outstanding bound).
    "fanin --qos 0 --publishers 8 --subscribers 1 --payload 64"
    "fanin --qos 1 --publishers 8 --subscribers 1 --payload 64"
    "fanin --qos 2 --publishers 8 --subscribers 1 --payload 64"
    "fanout --qos 0 --subscribers 50 --payload 64"
    # Latency at a fixed offered rate: 10 QoS 1 pairs at 1,000 msg/s each.
    "p2p --qos 1 --pairs 10 --rate 10000 --payload 64"
    # Idle connections, retained messages, a large subscription tree.
    "conns --clients $CONNS"
    "retained --messages $RETAINED --publishers 4 --qos 1 --payload 64"
    "subs --clients $SUBS_CLIENTS --subscriptions $SUBS --publishers 8 --qos 0 --payload 64"
  )
  # Where the file limit keeps conns under the 100,000 connections, also as many through one
  # broker in waves (each closed before the next): a JVM broker is then measured over as long a run,
  # not only over its first seconds of code not yet compiled (docs/benchmarks.md).
  if [ "$CONNS" -lt 100000 ]; then
    RUNS+=("conns --clients $CONNS --waves $(( (100000 + CONNS - 1) / CONNS ))")
  fi
}

# Fills RUNS with the persistent-session scenarios (issue 4; compare.sh --persistent): QoS 1 fan-in
# to an online persistent subscriber, and to persistent subscribers that are away while the
# messages come and then drain them (offline).
persistent_runs() {
  RUNS=(
    "fanin --qos 1 --publishers 8 --subscribers 1 --payload 64 --persistent"
    # The store's CPU cost per message: broker CPU at a rate every Tern mode sustains.
    "fanin --qos 1 --publishers 8 --subscribers 1 --payload 64 --persistent --rate 200000"
    "offline --messages $OFFLINE --publishers 8 --subscribers 1 --qos 1 --payload 64"
  )
}

# The options compare.sh appends to a scenario's own: time bounds, per kind of scenario.
scenario_args() {
  case "${1%% *}" in
    conns) echo "--duration $CONNS_HOLD --warmup 2 --phase-timeout $PHASE_TIMEOUT" ;;
    retained) echo "--warmup 2 --phase-timeout $PHASE_TIMEOUT" ;;
    offline) echo "--phase-timeout $PHASE_TIMEOUT" ;;
    subs) echo "--duration $DURATION --warmup $WARMUP --phase-timeout $PHASE_TIMEOUT" ;;
    *) echo "--duration $DURATION --warmup $WARMUP" ;;
  esac
}

# The most seconds one run of a scenario may take before compare.sh stops it (the generator's own
# watchdog fires first).
scenario_timeout() {
  if [[ "$1" == conns*--waves* ]]; then # a phase per wave
    local waves=${1##*--waves }
    echo $(( (${waves%% *} + 3) * ${PHASE_TIMEOUT%.*} + ${DURATION%.*} + ${WARMUP%.*} + 60 ))
    return
  fi
  case "${1%% *}" in
    conns | retained | subs | offline) echo $(( 4 * ${PHASE_TIMEOUT%.*} + ${DURATION%.*} + ${WARMUP%.*} + 60 )) ;;
    *) echo $(( ${DURATION%.*} + ${WARMUP%.*} + 60 )) ;;
  esac
}
