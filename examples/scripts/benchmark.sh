#!/usr/bin/env bash
# rstcp and smoltcp side by side on smoltcp's own `benchmark` experiment:
# each stack on tap0 (192.168.69.1) in a private network namespace, the
# kernel (192.168.69.100) moving 1 GB from a thread of the same process.
# smoltcp is built from the copy of its crate in the cargo registry (the
# crates.io package ships its examples). Prints a table; needs root.
#
#   sudo bash examples/scripts/benchmark.sh [AMOUNT_BYTES]
set -euo pipefail
cd "$(dirname "$0")/../.."
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

run() { # binary mode extra-args...
  local bin="$1" mode="$2" out="" try
  shift 2
  # smoltcp's example starts listening only after its first poll, so its
  # kernel thread can be refused when it wins the race: try again then.
  for try in 1 2 3; do
    out="$(timeout 300 ip netns exec "$NS" "$bin" "$@" "$mode" 2>/dev/null |
      sed -n 's/^throughput: \([0-9.]*\) Gbps/\1/p')" || true
    [ -n "$out" ] && break
  done
  echo "${out:-failed}"
}

printf '%-32s %10s %10s\n' "stack (1 GB over tap0)" "reader" "writer"
printf '%-32s %10s %10s\n' "smoltcp 0.14 (64 KiB buffers)" \
  "$(run "$SMOL" reader --tap tap0) Gbps" "$(run "$SMOL" writer --tap tap0) Gbps"
printf '%-32s %10s %10s\n' "rstcp (64 KiB buffers)" \
  "$(run "$OURS" reader --tap tap0 --amount "$AMOUNT") Gbps" "$(run "$OURS" writer --tap tap0 --amount "$AMOUNT") Gbps"
printf '%-32s %10s %10s\n' "rstcp (1 MiB buffers)" \
  "$(run "$OURS" reader --tap tap0 --amount "$AMOUNT" --buffer 1048576) Gbps" \
  "$(run "$OURS" writer --tap tap0 --amount "$AMOUNT" --buffer 1048576) Gbps"
