#!/usr/bin/env bash
# Issue 10's table: rstcp (std runtime, 1 MiB buffers, on a TAP) and the
# Linux kernel, each sending to and receiving from a Linux peer through
# the same impaired link, for each link profile; Mbit/s with the sender's
# retransmitted share, every byte checked against the hash of a seeded
# stream. This kernel has no netem: the link is our own forwarder between
# TAPs (tests/src/impair/), in network namespaces the run creates and
# deletes. Needs root.
#
# What each side gets, so the comparison is fair:
# - Sending: Linux's TCP builds 64 KB super-segments and the kernel cuts
#   them at its plain TAP (software GSO). rstcp runs as users run it, with
#   the TAP's offloads (the runtime's default): it hands the kernel 64 KB
#   TSO super-frames with partial checksums, and the forwarder reads them
#   whole (PACKET_VNET_HDR) and cuts them into MSS segments with the same
#   segmenter the simulator uses (testkit's SoftOffload) before the link
#   impairs them: the same work GSO does for Linux, on the same CPUs.
#   --no-offload: rstcp's TAP plain, the stack cutting every segment.
# - Receiving: both get the link's wire-sized frames, one at a time, with
#   no checksum verified for them (no GRO-like coalescing on either side:
#   Linux's TAP has no NAPI/GRO, and the forwarder coalesces nothing).
#
#   sudo bash examples/scripts/impaired.sh [--seconds 5] [--seed 1] [--runs 1] [--cc cubic]
#       [--only rstcp|linux] [--flow send|receive] [--no-offload] [-v]
#       [--profile NAME | --profile 'NAME=SPEC']...  [--list]
#
# A SPEC is comma-separated key=value, both directions unless prefixed
# a. (from the tested side) or b. (back): loss=1%, gilbert=1%/30% (burst
# enter/leave), corrupt=0.1%, dup=1%, delay=10ms, jitter=2ms,
# reorder=2%/3 (chance/gap), rate=100mbit,queue=625k, hold=5ms.
# The kernels' sockets run CUBIC (--cc), as rstcp does, whatever the
# host's default (BBR on some hosts, which loss does not slow down).
# --runs N runs each row N times in turn and reports each cell's median
# (the machine's noise hits rstcp and Linux alike); the ratios are the
# median of each run's rstcp/Linux ratio (the two cells of a run ran back
# to back, under about the same load). Exits 1 if a cell
# failed or lost a byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "impaired: needs root (namespaces and TAPs)" >&2; exit 1; }

PREFIX="rstcp-imp-$$-"
cleanup() {
  # Keep the run's own exit status: under set -e a grep that finds no
  # leftover namespace would otherwise make every clean run exit 1.
  local status=$?
  # The binary deletes its namespaces; this catches an interrupted run.
  ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX" |
    while read -r ns; do
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    done || true
  exit "$status"
}
trap cleanup EXIT INT TERM

echo "== building the forwarder and the table (release)" >&2
cargo build --release -q -p rstcp-tests --bin impaired
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/impaired"
echo "== $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
status=0
"$BIN" --prefix "$PREFIX" "$@" || status=$?
# Other work on the machine skews the absolute numbers (the ratio within
# one run much less): say how busy it was.
echo "== load at the end $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit "$status"
