#!/usr/bin/env bash
# What a SYN flood leaves behind, in instructions: the `services` example
# under callgrind on a TAP in a private namespace, 500 short connections
# (connect, 100-byte echo, close) before a 5 s SYN flood from 250 spoofed
# on-link sources (hping3), just after it, and at the instants SETTLES
# (seconds after the flood began). Prints the instructions per connection
# of each window (every instruction services ran in it: the connections,
# and whatever the flood left to do). Instruction counts do not swing with
# the machine's load, as rates and CPU times do.
#
#   sudo bash examples/scripts/flood_residue.sh [SERVICES_BINARY]
#   sudo SETTLES="12 25 45 75" N=500 bash examples/scripts/flood_residue.sh
#   KEEP=DIR also keeps each window's callgrind file in DIR
#   (callgrind_annotate --threshold=100 DIR/t=25.out: where it goes).
set -u
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "flood_residue: needs root (a namespace, a TAP); run it with sudo" >&2
  exit 1
fi
for c in valgrind callgrind_control hping3 ip; do
  command -v "$c" >/dev/null || { echo "flood_residue: needs $c (apt install valgrind hping3 iproute2)" >&2; exit 1; }
done
cargo build --release -q -p rstcp-examples --example services --example stress_client || exit 1
BIN="${CARGO_TARGET_DIR:-target}/release/examples"
SVC="$(realpath "${1:-$BIN/services}")"
CLIENT="$(realpath "$BIN/stress_client")"
N="${N:-500}"
SETTLES="${SETTLES:-12 25 45 75}"
NS="rstcp-residue-$$"
TAP=tap9
W="$(mktemp -d)"
PID=""
in_ns() { ip netns exec "$NS" "$@"; }
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null; sleep 2; kill -9 "$PID" 2>/dev/null; fi
  ip netns del "$NS" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
in_ns ip link set lo up
in_ns ip tuntap add dev "$TAP" mode tap
in_ns ip addr add 192.168.69.100/24 dev "$TAP"
in_ns ip link set "$TAP" up
in_ns sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
in_ns sysctl -qw net.ipv4.tcp_tw_reuse=1
in_ns valgrind --tool=callgrind --callgrind-out-file="$W/cg.%p" "$SVC" --tap "$TAP" \
  --ipv4 192.168.69.1/24 --no-probe --max-sockets 8192 >"$W/out" 2>"$W/err" &
for _ in $(seq 600); do grep -q '^ready' "$W/out" 2>/dev/null && break; sleep 0.2; done
PID=$(pgrep -f "callgrind-out-file=$W" | head -1)
if [ -z "$PID" ] || ! grep -q '^ready' "$W/out"; then
  echo "flood_residue: services did not start" >&2
  cat "$W/err" >&2
  exit 1
fi
in_ns timeout 120 "$CLIENT" rate --to 192.168.69.1:7 --count 200 --threads 4 >/dev/null

measure() { # label
  callgrind_control -z "$PID" >/dev/null 2>&1
  in_ns timeout 300 "$CLIENT" rate --to 192.168.69.1:7 --count "$N" --threads 4 >/dev/null
  callgrind_control -d "$1" "$PID" >/dev/null 2>&1
  sleep 1
  local f ir
  f=$(ls -t "$W"/cg.*.* 2>/dev/null | head -1)
  ir=$(grep -m1 '^summary:\|^totals:' "$f" | awk '{print $2}')
  echo "| $1 | $((ir / N)) | $(cut -d' ' -f1 /proc/loadavg) |"
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$f" "$KEEP/$1.out"; fi
}
echo "| window | instructions per connection | load average |"
echo "|---|---|---|"
measure before
for i in $(seq 2 252); do
  [ "$i" = 100 ] && continue
  in_ns timeout 5 hping3 -q -S -p 7 -a "192.168.69.$i" -i u25000 192.168.69.1 >/dev/null 2>&1 &
done
sleep 6
measure "t=6"
t=6
for s in $SETTLES; do
  sleep $((s - t))
  t=$s
  measure "t=$s"
done
