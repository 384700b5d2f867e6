#!/usr/bin/env bash
# What receiving costs, in counts that a loaded machine does not blur
# (issue 10, receiving through the impaired link):
#
#   rxcount.sh instructions [--no-offload] [BYTES]
#       the std runtime's user instructions per received wire frame in
#       drive::step (read the frames, poll, write the ACKs; whichever
#       thread drives), counted by callgrind on the rxcost binary
#       (tests/src/bin/rxcost.rs: the kernel sends BYTES over a TAP).
#   rxcount.sh threads [PROFILE] [rstcp|linux] [SECONDS]
#       one receive cell of the impaired table (tests/src/bin/impaired.rs)
#       under `perf record -s`: ACK frames per data frame (the forwarder's
#       counts), and per thread (the harness names them: rstcp, reader,
#       writer, fwd-a>b, fwd-b>a) system calls and context switches per
#       data frame and CPU ms per MB. Linux's receiver runs inside the
#       forwarder's writes (fwd-b>a) and its reader's recv.
#
# Needs root (namespaces, TAPs), valgrind or perf.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_INCREMENTAL=0
[ "$(id -u)" = 0 ] || { echo "rxcount: needs root (namespaces and TAPs)" >&2; exit 1; }
target="${CARGO_TARGET_DIR:-$PWD/target}/release"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

case "${1:-}" in
instructions)
    shift
    command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
    cargo build --release -q -p rstcp-tests --bin rxcost
    line=$(valgrind --tool=callgrind --toggle-collect='*drive*step*' \
        --callgrind-out-file="$out/cg" "$target/rxcost" "$@" 2>/dev/null)
    frames=$(echo "$line" | sed -n 's/.*frames \([0-9]*\).*/\1/p')
    total=$(callgrind_annotate "$out/cg" 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
    echo "$line"
    echo "instructions in drive::step per frame: $(echo "$total $frames" | awk '{printf "%.0f", $1 / $2}')"
    ;;
threads)
    shift
    profile=${1:-clean}
    side=${2:-rstcp}
    seconds=${3:-3}
    command -v perf >/dev/null || { echo "perf is not installed" >&2; exit 1; }
    cargo build --release -q -p rstcp-tests --bin impaired
    ev=task-clock,context-switches
    for s in read write futex ppoll sched_yield sendto recvfrom sendmsg; do
        ev="$ev,syscalls:sys_enter_$s"
    done
    perf record -q -s -c 1000000000 -e "$ev" -o "$out/perf.data" -- \
        "$target/impaired" --prefix "rstcp-rxc-$$-" --seconds "$seconds" --runs 1 \
        --flow receive --only "$side" --profile "$profile" -v 2>"$out/err" >/dev/null
    # The forwarder's line counts: a→b carries the tested side's ACKs,
    # b→a the peer's data frames.
    acks=$(sed -n 's/.*a→b DirectionStats { line: LineStats { frames_in: \([0-9]*\).*/\1/p' "$out/err")
    frames=$(sed -n 's/.*b→a DirectionStats { line: LineStats { frames_in: [0-9]*, frames_out: \([0-9]*\).*/\1/p' "$out/err")
    bytes=$(sed -n 's/.*Mbit\/s *\([0-9]*\) B.*/\1/p' "$out/err")
    grep -o "receives *[0-9.]* Mbit/s" "$out/err" || true
    echo "data frames $frames, ACK frames $acks, ACKs per data frame $(echo "$acks $frames" | awk '{printf "%.4f", $1 / $2}')"
    perf script -i "$out/perf.data" --show-task-events 2>/dev/null | grep PERF_RECORD_COMM |
        awk '{ n = $NF; i = match(n, /:[0-9]+\/[0-9]+$/); split(substr(n, i + 1), a, "/");
               name[a[2]] = substr(n, 1, i - 1) } END { for (t in name) print t, name[t] }' >"$out/names"
    echo "per data frame (task-clock: CPU ms per MB):"
    perf report -T -i "$out/perf.data" 2>/dev/null | sed -n '/PID/,$p' |
        awk -v names="$out/names" -v frames="$frames" -v bytes="$bytes" '
        BEGIN { while ((getline l < names) > 0) { split(l, x, " "); nm[x[1]] = x[2] } }
        NR == 1 { for (i = 4; i <= NF; i++) { h[i - 1] = $i; sub("syscalls:sys_enter_", "", h[i - 1]) }; next }
        {
            name = ($2 in nm) ? nm[$2] : "?"
            if (name !~ /^(rstcp|reader|writer|fwd-a>b|fwd-b>a)$/) next
            printf "  %-8s", name
            for (i = 3; i <= NF; i++) if ($i > 0)
                printf "  %s %.3f", h[i], (h[i] == "task-clock" ? $i / 1e6 / (bytes / 1e6) : $i / frames)
            printf "\n"
        }'
    ;;
*)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
