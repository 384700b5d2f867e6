#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 300) each, JOBS (default 2) at
# a time, after building seed corpora from the shared captures. Needs the
# nightly toolchain; installs cargo-fuzz if missing. Ends with a table of the
# executions, exec/s, coverage and features each target reached.
#   usage: fuzz/run.sh [SECONDS] [TARGET...]
#   env:   JOBS=N             targets run at once (default 2)
#          FUZZ_SANITIZER=S   cargo-fuzz sanitizer (default none, see below)
#
# Build flags. The crates under test are safe Rust (`rstcp` denies
# unsafe_code; the device and pcap crates are not fuzzed), so AddressSanitizer
# cannot find a bug that safe Rust does not already turn into a panic, and it
# costs 5-7x the executions (1 558 against 7 891 per CPU-second on
# `tcp_socket`). Instead the targets are built with debug assertions and
# overflow checks (-a), which catch what a TCP stack does get wrong:
# arithmetic on sequence numbers, lengths and windows that over- or
# underflows. FUZZ_SANITIZER=address restores ASan.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(ethernet arp ipv4 ipv6 icmpv4 icmpv6 tcp udp dhcpv4 dns pcap iface tcp_socket)
fi
jobs="${JOBS:-2}"
build_flags=(-O -a -s "${FUZZ_SANITIZER:-none}")
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
echo "== seeds from ../../shared/corpus/tcpdump"
(cd .. && cargo run --release -q -p rstcp-tests --bin fuzz-seeds -- fuzz/corpus)
cargo +nightly fuzz build "${build_flags[@]}"
mkdir -p logs

# Input length caps: an `iface` input is frames of at most 1514 bytes (a few
# dozen records fit 8 KiB), a `tcp_socket` input records of 1 to 21 bytes
# (1 KiB is some hundred segments and calls); longer inputs only cost time.
max_len() {
  case "$1" in
    iface) echo 8192 ;;
    tcp_socket) echo 1024 ;;
    *) echo 0 ;; # libFuzzer's default: from the corpus
  esac
}

run_one() {
  local t="$1"
  # `|| rc=$?`: under `set -e` a bare failing command would end this
  # subshell before it reports the crash.
  local rc=0
  local extra=()
  local len
  len=$(max_len "$t")
  [ "$len" = 0 ] || extra+=(-max_len="$len")
  cargo +nightly fuzz run "${build_flags[@]}" "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" \
    >"logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"logs/$t.rc"
}

# One summary line per target, from its log.
summary() {
  local t="$1" log="logs/$1.log" rc execs rate cov ft
  rc=$(cat "logs/$t.rc" 2>/dev/null || echo "?")
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  [ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  printf '%-10s %3s %12s %8s %7s %8s\n' "$t" "$rc" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}"
}

status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || true
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || true; done

echo
printf '%-10s %3s %12s %8s %7s %8s\n' target rc executions exec/s cov ft
for t in "${targets[@]}"; do
  summary "$t"
  [ "$(cat "logs/$t.rc" 2>/dev/null || echo 1)" = 0 ] || status=1
done
echo "(${secs} s per target, ${jobs} at a time on $(nproc) cores)"
[ $status = 0 ] && echo "fuzz: no crash" || echo "fuzz: CRASH (see fuzz/logs, fuzz/artifacts)"
exit $status
