#!/bin/sh
# Footprint of a minimal no_std TCP echo server (RFC 862, port 7), rstcp
# beside smoltcp 0.14 (issue 13): core/nostd-check (rstcp) and
# core/nostd-check/smoltcp-echo (the same program, I/O and 1 KiB buffers on
# smoltcp, `minimal` = IPv4 + TCP, `full` = what the rstcp core always has).
# Host-target #![no_std] #![no_main] binaries with their own panic handler,
# built with panic=abort; each runs its self-test (a SYN must be answered
# with a SYN-ACK) before it is measured. Static RAM = .data + .bss.
#
# Usage: examples/scripts/footprint.sh [opt-level]   (default: the release
# profile's 3; "s" or "z" for size)
set -eu
cd "$(dirname "$0")/../.."
opt=${1:-3}
export CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt CARGO_INCREMENTAL=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
build() { # name dir binary features
    (cd "$2" && cargo build --release -q --target-dir "$out/$1" --bin "$3" $4 >&2)
    bin="$out/$1/release/$3"
    "$bin" || { echo "$1: self-test failed" >&2; exit 1; }
    echo "$bin"
}
sections() { # bin -> text rodata data bss
    size -A "$1" | awk '$1==".text"{t=$2} $1==".rodata"{r=$2} $1==".data"{d=$2} $1==".bss"{b=$2} END{print t, r, d, b}'
}
a=$(build rstcp core/nostd-check rstcp-nostd-check "")
b=$(build smoltcp-min core/nostd-check/smoltcp-echo smoltcp-echo "")
c=$(build smoltcp-full core/nostd-check/smoltcp-echo smoltcp-echo "--features full")
set -- $(sections "$a"); at=$1 ar=$2 ad=$3 ab=$4
printf '%-26s %10s %10s %10s %10s %12s\n' "TCP echo, opt-level $opt" .text .rodata .data .bss "static RAM"
for row in "rstcp:$a" "smoltcp (IPv4+TCP):$b" "smoltcp (full):$c"; do
    name=${row%%:*}; bin=${row#*:}
    set -- $(sections "$bin")
    printf '%-26s %10d %10d %10d %10d %12d\n' "$name" "$1" "$2" "$3" "$4" $(($3 + $4))
done
printf 'rstcp/smoltcp(full): .text %s, static RAM %s\n' \
    "$(echo "$at $(sections "$c")" | awk '{printf "%.2fx", $1/$2}')" \
    "$(echo "$ad $ab $(sections "$c")" | awk '{printf "%.2fx", ($1+$2)/($5+$6)}')"
