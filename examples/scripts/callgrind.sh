#!/bin/sh
# Instructions per poll of each interface micro-benchmark, rstcp beside
# smoltcp 0.14, counted by callgrind: stable on a loaded machine where the
# wall-clock ratios of micro.sh are not. Each step runs 100 000 times
# (RSTCP_PROFILE in core/benches/iface.rs), only that step counted.
#
# Usage: examples/scripts/callgrind.sh [group...]
#   groups: udp_rx_10_sockets icmp_echo_rx_tx poll_idle_10_sockets (the
#   default), udp_rx_10000_sockets poll_idle_10000_sockets (smoltcp walks
#   all 10 000 sockets per poll: 100 000 polls of that take hours under
#   valgrind)
set -eu
cd "$(dirname "$0")/../.."
export CARGO_INCREMENTAL=0
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
bin=$(cargo bench -p rstcp --features alloc --bench iface --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -n1)
[ -n "$bin" ] || { echo "no bench binary" >&2; exit 1; }
[ $# -gt 0 ] || set -- udp_rx_10_sockets icmp_echo_rx_tx poll_idle_10_sockets
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() { # group stack
    RSTCP_PROFILE=$1:$2 valgrind --tool=callgrind --toggle-collect='*profiled*' \
        --callgrind-out-file="$out/$1.$2" "$bin" --bench >/dev/null 2>&1
    callgrind_annotate "$out/$1.$2" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.0f", $1 / 100000 }'
}
printf '%-26s %12s %12s %15s\n' "instructions per poll" rstcp smoltcp smoltcp/rstcp
for g in "$@"; do
    a=$(count "$g" rstcp)
    b=$(count "$g" smoltcp)
    printf '%-26s %12s %12s %14.2fx\n' "$g" "$a" "$b" "$(echo "$b $a" | awk '{print $1 / $2}')"
done
