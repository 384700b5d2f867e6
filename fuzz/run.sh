#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 300) each, two at a time, after
# building seed corpora from the shared captures. Needs the nightly toolchain;
# installs cargo-fuzz if missing. Prints the executions each target reached.
#   usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(ethernet arp ipv4 ipv6 icmpv4 icmpv6 tcp udp dhcpv4 pcap iface tcp_socket)
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
echo "== seeds from ../../shared/corpus/tcpdump"
(cd .. && cargo run --release -q -p rstcp-tests --bin fuzz-seeds -- fuzz/corpus)
cargo +nightly fuzz build -O
mkdir -p logs
run_one() {
  local t="$1"
  # `|| rc=$?`: under `set -e` a bare failing command would end this
  # subshell before it reports the crash.
  local rc=0
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 \
    >"logs/$t.log" 2>&1 || rc=$?
  local execs
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "logs/$t.log" | grep -Eo '[0-9]+$' || true)
  [ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "logs/$t.log" | tail -1 | tr -d '#')
  printf '%-10s rc=%d execs=%s\n' "$t" "$rc" "${execs:-?}"
  return $rc
}
status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status = 0 ] && echo "fuzz: no crash" || echo "fuzz: CRASH (see fuzz/logs, fuzz/artifacts)"
exit $status
