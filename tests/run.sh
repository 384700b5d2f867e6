#!/usr/bin/env bash
# The project's test command (README.md): installs the reference tools the
# tests compare against, proves the core is no_std, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tshark >/dev/null 2>&1 || need_apt+=(tshark)
# The kernel tests (tests/tests/kernel_*.rs, netns_harness.rs): namespaces and ping.
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v ping >/dev/null 2>&1 || need_apt+=(iputils-ping)
# The DHCPv4 kernel tests (tests/tests/kernel_runtime.rs, kernel_dhcp.rs)
# against dnsmasq.
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need_apt+=(dnsmasq-base)
# The SLAAC kernel tests (tests/tests/kernel_autoconf.rs,
# kernel_slaac_services.rs) against radvd (issue 12).
command -v radvd >/dev/null 2>&1 || [ -x /usr/sbin/radvd ] || need_apt+=(radvd)
# The examples' kernel test (tests/tests/kernel_examples.rs): http_get
# fetches from `python3 -m http.server`.
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# The embedded-nal / embedded-io kernel tests (tests/tests/kernel_embedded.rs):
# socat echoes TCP and UDP in the namespace.
command -v socat >/dev/null 2>&1 || need_apt+=(socat)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${need_apt[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "warning: ${need_apt[*]} missing and not root: tests that compare against it will skip (fail under CI=true)" >&2
  fi
fi

echo "== no_std: link the core into a #![no_std] #![no_main] binary and run it"
# Its own target dir, so a CARGO_TARGET_DIR in the environment cannot hide the binary.
(cd core/nostd-check && cargo build --release -q --target-dir target && ./target/release/rstcp-nostd-check)
echo "no_std check: ok"
echo "== the bare-metal quick start (core/doc/bare_metal.rs, in the README), linked without std, runs"
core/nostd-check/target/release/quickstart

echo "== cargo test"
cargo test --workspace --release
