#!/usr/bin/env bash
# rstcp and smoltcp side by side on smoltcp's own `benchmark` experiment:
# each stack on tap0 (192.168.69.1) in a private network namespace, the
# kernel (192.168.69.100) moving 1 GB from a thread of the same process.
# smoltcp is built from the copy of its crate in the cargo registry (the
# crates.io package ships its examples). rstcp runs with the TAP's offloads
# (virtio-net header, TSO, received super-frames, checksum offload; issue
# 13) and without (--no-offload: plain frames, the path of a device with no
# offloads), at 64 KiB and 1 MiB buffers. Each run moves each combination
# once, in turn, so the stacks share the machine's load alike; the table
# shows the median of the runs, throughput and CPU seconds per GB (user +
# system of the whole process, which includes the kernel side's thread,
# for both stacks alike), and the ratio to smoltcp in the same run.
# Needs root.
#
#   sudo bash examples/scripts/benchmark.sh [--runs N] [AMOUNT_BYTES]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=1
if [ "${1:-}" = "--runs" ]; then RUNS="$2"; shift 2; fi
AMOUNT="${1:-1000000000}"
[ "$(id -u)" = 0 ] || { echo "benchmark: needs root (namespace and TAP)" >&2; exit 1; }

NS="rstcp-bench-$$"
WORK="$(mktemp -d)"
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns ip tuntap add dev tap0 mode tap
in_ns ip addr add 192.168.69.100/24 dev tap0
in_ns ip link set tap0 up

echo "== building rstcp's benchmark" >&2
cargo build --release -q -p rstcp-examples --example benchmark
OURS="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/benchmark"

echo "== building smoltcp's benchmark from the cargo registry copy" >&2
SMOL_SRC="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/smoltcp-0.14.* 2>/dev/null | head -1 || true)"
if [ -z "$SMOL_SRC" ]; then
  cargo fetch -q  # the core's dev-dependencies include smoltcp 0.14
  SMOL_SRC="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/smoltcp-0.14.* | head -1)"
fi
cp -r "$SMOL_SRC" "$WORK/smoltcp"
# Its own lints are not ours to read: keep the log for a failed build only.
# (Its build script rejects any unknown SMOLTCP_* variable, hence the name
# RSTCP_BENCH_SMOLTCP_TARGET for an optional persistent target dir.)
(cd "$WORK/smoltcp" && CARGO_TARGET_DIR="${RSTCP_BENCH_SMOLTCP_TARGET:-$WORK/smoltcp-target}" \
  cargo build --release -q --example benchmark 2>"$WORK/smoltcp-build.log") \
  || { cat "$WORK/smoltcp-build.log" >&2; exit 1; }
SMOL="${RSTCP_BENCH_SMOLTCP_TARGET:-$WORK/smoltcp-target}/release/examples/benchmark"

SMOL_AMOUNT=1000000000 # smoltcp's example moves a fixed 1 GB

# run BINARY AMOUNT MODE ARGS...: prints "GBPS CPU_SECONDS_PER_GB", or "failed".
run() {
  local bin="$1" amount="$2" mode="$3" out="" try
  shift 3
  # smoltcp's example starts listening only after its first poll, so its
  # kernel thread can be refused when it wins the race: try again then.
  for try in 1 2 3; do
    out="$(timeout 300 /usr/bin/time -f 'cpu %U %S' -o "$WORK/time" \
      ip netns exec "$NS" "$bin" "$@" "$mode" 2>/dev/null |
      sed -n 's/^throughput: \([0-9.]*\) Gbps/\1/p')" || true
    [ -n "$out" ] && break
  done
  if [ -z "$out" ]; then echo failed; return; fi
  awk -v g="$out" -v a="$amount" '/^cpu/ { printf "%s %.2f\n", g, ($2 + $3) / (a / 1e9) }' "$WORK/time"
}

# The combinations, in the order each run moves them.
NAMES=("smoltcp 0.14, 64 KiB" "rstcp offload, 64 KiB" "rstcp plain, 64 KiB"
       "rstcp offload, 1 MiB" "rstcp plain, 1 MiB")
combo() { # index mode
  case "$1" in
    0) run "$SMOL" "$SMOL_AMOUNT" "$2" --tap tap0 ;;
    1) run "$OURS" "$AMOUNT" "$2" --tap tap0 --amount "$AMOUNT" ;;
    2) run "$OURS" "$AMOUNT" "$2" --tap tap0 --amount "$AMOUNT" --no-offload ;;
    3) run "$OURS" "$AMOUNT" "$2" --tap tap0 --amount "$AMOUNT" --buffer 1048576 ;;
    4) run "$OURS" "$AMOUNT" "$2" --tap tap0 --amount "$AMOUNT" --buffer 1048576 --no-offload ;;
  esac
}

echo "== $RUNS run(s); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq 1 "$RUNS"); do
  for mode in reader writer; do
    for i in "${!NAMES[@]}"; do
      res="$(combo "$i" "$mode")"
      echo "$r $i $mode $res" >> "$WORK/results"
      echo "   run $r ${NAMES[$i]} $mode: $res" >&2
    done
  done
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# median FIELD INDEX MODE: the median of field 4 (Gbps) or 5 (CPU s/GB).
median() {
  awk -v i="$2" -v m="$3" -v f="$1" '$2 == i && $3 == m && $4 != "failed" { print $f }' \
    "$WORK/results" | sort -g | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "failed"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else print "-" }'; }

printf '%-24s %11s %7s %9s %11s %7s %9s\n' "median of $RUNS (1 GB, tap0)" \
  "reader" "vs smol" "CPU s/GB" "writer" "vs smol" "CPU s/GB"
SR="$(median 4 0 reader)"; SW="$(median 4 0 writer)"
for i in "${!NAMES[@]}"; do
  R="$(median 4 "$i" reader)"; W="$(median 4 "$i" writer)"
  printf '%-24s %6s Gbps %7s %9s %6s Gbps %7s %9s\n' "${NAMES[$i]}" \
    "$R" "$(ratio "$R" "$SR")" "$(median 5 "$i" reader)" \
    "$W" "$(ratio "$W" "$SW")" "$(median 5 "$i" writer)"
done
