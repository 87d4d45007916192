#!/usr/bin/env bash
# What an idle connection holds: starts a Tern jar, takes a class histogram (jcmd
# GC.class_histogram, after a full GC) with no connection and with N idle ones (tern-bench conns),
# and prints the live heap per connection and the classes that make it up, largest first.
# See docs/performance.md, "Memory per connection".
#
# Usage: bench/memprobe.sh [JAR] [N] [java options...]   (defaults: tern-server/target/tern.jar 15000)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=${1:-$ROOT/tern-server/target/tern.jar}; N=${2:-15000}; shift $(( $# < 2 ? $# : 2 ))
PORT=$((20000 + RANDOM % 1000))
D=$(mktemp -d)
printf 'log:\n  level: warn\n' > $D/tern.yaml
ulimit -n $(ulimit -Hn)
java "$@" -jar $JAR --config $D/tern.yaml --bind 127.0.0.1 --port $PORT > $D/broker.log 2>&1 &
BP=$!
sleep 4
rss() { grep VmRSS /proc/$BP/status | awk '{print $2}'; }
echo "rss0(before gc) $(rss)"
jcmd $BP GC.class_histogram > $D/h0
echo "rss0 $(rss)"
java -jar $ROOT/tern-bench/target/tern-bench.jar conns --port $PORT --clients $N --duration 30 --warmup 2 --broker-pid $BP > $D/bench.log 2>&1 &
GP=$!
for i in $(seq 1 60); do sleep 1; grep -q "holding" $D/bench.log && break; done
sleep 3
echo "rss1(before gc) $(rss)"
jcmd $BP GC.class_histogram > $D/h1
echo "rss1 $(rss)"
kill $GP; wait $GP 2>/dev/null
kill $BP; wait $BP 2>/dev/null
python3 - $D/h0 $D/h1 $N <<'PY'
import sys,re
def load(f):
    d={}
    for l in open(f):
        m=re.match(r'\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)',l)
        if m: d[m.group(3)]=(int(m.group(1)),int(m.group(2)))
    return d
a=load(sys.argv[1]); b=load(sys.argv[2]); n=int(sys.argv[3])
rows=[]
for k,(c,s) in b.items():
    c0,s0=a.get(k,(0,0))
    rows.append(((s-s0)/n,(c-c0)/n,k))
rows.sort(reverse=True)
tot=sum(r[0] for r in rows)
print(f"live heap growth per connection: {tot:.0f} B")
for r in rows[:40]:
    print(f"{r[0]:8.1f} B {r[1]:6.2f}/conn {r[2]}")
PY
rm -rf "$D"
