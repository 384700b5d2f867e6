#!/usr/bin/env bash
# The rstcp demo: a private network namespace with a TAP in it, the stack's
# `services` example on the TAP, and the Linux kernel talking to it: ping
# (v4, v6, and a fragmented 8000-byte ping), TCP and UDP echo, daytime.
# Everything it makes it deletes again, also on Ctrl-C or failure.
#
#   sudo bash examples/scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (it creates a network namespace and a TAP interface); run it with sudo" >&2
  exit 1
fi
if [ ! -e /dev/net/tun ]; then
  echo "demo: /dev/net/tun is missing; load the tun module (modprobe tun)" >&2
  exit 1
fi
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

NS="rstcp-demo-$$"
TAP=tap7
STACK4=192.168.69.1
STACK6=fd00::1
WORK="$(mktemp -d)"
SERVICES_PID=""

cleanup() {
  if [ -n "$SERVICES_PID" ] && kill -0 "$SERVICES_PID" 2>/dev/null; then
    kill -TERM "$SERVICES_PID" 2>/dev/null || true
    wait "$SERVICES_PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== building the services example"
cargo build --release -q -p rstcp-examples --example services
SERVICES="${CARGO_TARGET_DIR:-target}/release/examples/services"

echo "== namespace $NS with $TAP (kernel side 192.168.69.100/24, fd00::100/64)"
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns ip tuntap add dev "$TAP" mode tap
in_ns ip addr add 192.168.69.100/24 dev "$TAP"
in_ns ip addr add fd00::100/64 dev "$TAP" nodad
in_ns ip link set "$TAP" up

echo "== starting rstcp services on $TAP ($STACK4, $STACK6)"
# Not through in_ns: a function in the background is a subshell, and the
# signal must reach services itself (ip netns exec execs it, same pid).
ip netns exec "$NS" "$SERVICES" --tap "$TAP" --ipv4 "$STACK4/24" --ipv6 "$STACK6/64" \
  --pcap "$WORK/demo.pcap" >"$WORK/services.out" 2>"$WORK/services.err" &
SERVICES_PID=$!
for _ in $(seq 300); do
  grep -q '^ready' "$WORK/services.out" 2>/dev/null && break
  kill -0 "$SERVICES_PID" 2>/dev/null || { cat "$WORK/services.err" >&2; exit 1; }
  sleep 0.1
done
grep -q '^ready' "$WORK/services.out" || { echo "demo: services did not get ready" >&2; exit 1; }
sed 's/^/   services: /' "$WORK/services.out"

echo "== ping $STACK4 (ARP, then ICMP echo)"
in_ns ping -c 3 -i 0.2 -W 2 "$STACK4" | tail -2
echo "== ping $STACK6 (NDP, then ICMPv6 echo)"
in_ns ping -6 -c 3 -i 0.2 -W 2 "$STACK6" | tail -2
echo "== ping -s 8000 $STACK4 (fragmented both ways)"
in_ns ping -c 2 -i 0.2 -W 2 -s 8000 "$STACK4" | tail -2

in_ns python3 - "$STACK4" "$STACK6" <<'PY'
import socket, sys, threading
v4, v6 = sys.argv[1], sys.argv[2]

def tcp(addr, port, send):
    with socket.create_connection((addr, port), timeout=10) as s:
        # Send from a thread while this one reads: an echo of more than the
        # buffers on both sides hold would otherwise stall both ends (the
        # server cannot write back to a client that is not reading).
        def writer():
            if send:
                s.sendall(send)
            s.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=writer)
        t.start()
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        t.join()
        return out

def udp(addr, port, send):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(send, (addr, port))
        return s.recvfrom(65535)[0]

failed = []
def check(what, got, want):
    ok = got == want
    print(f"== {what}:", "echoed intact" if ok else "MISMATCH")
    if not ok:
        failed.append(what)

msg = b"hello from the Linux kernel to rstcp\n"
check("TCP echo (port 7) over IPv4", tcp(v4, 7, msg), msg)
check("TCP echo (port 7) over IPv6", tcp(v6, 7, msg), msg)
check("UDP echo (port 7) over IPv4", udp(v4, 7, msg), msg)
check("UDP echo (port 7) over IPv6", udp(v6, 7, msg), msg)
print("== daytime (TCP port 13):", tcp(v4, 13, b"").decode().strip())
print("== chargen (UDP port 19):", udp(v4, 19, b"\n").decode().strip()[:40], "...")
big = bytes(range(256)) * 4096
check("TCP echo of 1 MiB", tcp(v4, 7, big), big)
sys.exit(1 if failed else 0)
PY

echo "== stopping services (SIGTERM)"
kill -TERM "$SERVICES_PID"
if wait "$SERVICES_PID"; then echo "   services exited cleanly (status 0)"; else echo "demo: services exited with status $?" >&2; exit 1; fi
SERVICES_PID=""
echo "== capture: $(python3 -c 'import os,sys; print(os.path.getsize(sys.argv[1]))' "$WORK/demo.pcap") bytes of pcap recorded (kept only for the demo's run)"
echo "== done; namespace $NS removed"
