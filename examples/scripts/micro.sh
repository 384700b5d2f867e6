#!/bin/sh
# The tables of issue 13 in one run, rstcp beside smoltcp 0.14 (the
# crates.io release core/Cargo.toml names): micro-benchmarks (criterion,
# both stacks in the same process), the 1 GiB in-memory loopback, the
# footprint of a no_std TCP echo server, and memory per socket. Wall-clock
# ratios move with the machine's load, which is printed before and after;
# for instruction counts run a step under callgrind with RSTCP_PROFILE
# (see core/benches/iface.rs).
#
# Usage: examples/scripts/micro.sh [criterion args...]
#   e.g. micro.sh --warm-up-time 1 --measurement-time 3
# LOOPBACK_MIB (default 1024) and RUNS (default 3) set the loopback.
set -eu
cd "$(dirname "$0")/../.."
export CARGO_INCREMENTAL=0
echo "== $(date -u '+%F %T UTC'), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "smoltcp: $(grep -A1 'name = "smoltcp"' Cargo.lock | sed -n 's/version = //p' | tr -d '"')"
table() { sed -n '/^benchmark /,$p'; }
echo
echo "== micro-benchmarks, wire (mean ns; smoltcp/rstcp > 1: rstcp faster)"
cargo bench -q -p rstcp --bench wire -- "$@" 2>/dev/null | table
echo
echo "== micro-benchmarks, interface"
cargo bench -q -p rstcp --features alloc --bench iface -- "$@" 2>/dev/null | table
echo
echo "== loopback"
cargo bench -q -p rstcp --features alloc --bench loopback 2>/dev/null | grep -v '^$'
echo
echo "== footprint"
examples/scripts/footprint.sh 3
examples/scripts/footprint.sh s | tail -n +2
echo
echo "== memory"
cargo bench -q -p rstcp --bench memory 2>/dev/null
echo
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
