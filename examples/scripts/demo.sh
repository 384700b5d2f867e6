#!/usr/bin/env bash
# The rstcp demo: a private network namespace with a Linux bridge in it,
# dnsmasq (DHCPv4) and radvd (Router Advertisements) on the bridge, and the
# stack's `services` example on a TAP port of it with no address flags: it
# gets a DHCPv4 lease and a SLAAC address (after Duplicate Address
# Detection) by itself, then the Linux kernel talks to it: ping (v4, v6,
# and fragmented 8000-byte pings), TCP and UDP echo, daytime.
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
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v radvd >/dev/null 2>&1 || [ -x /usr/sbin/radvd ] || need+=(radvd)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

NS="rstcp-demo-$$"
TAP=tap7
PREFIX6=2001:db8:1
WORK="$(mktemp -d)"
SERVICES_PID=""

cleanup() {
  if [ -n "$SERVICES_PID" ] && kill -0 "$SERVICES_PID" 2>/dev/null; then
    kill -TERM "$SERVICES_PID" 2>/dev/null || true
    wait "$SERVICES_PID" 2>/dev/null || true
  fi
  for pid in "$WORK/dnsmasq.pid" "$WORK/radvd.pid"; do
    if [ -s "$pid" ]; then kill "$(cat "$pid")" 2>/dev/null || true; fi
  done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== building the services example"
cargo build --release -q -p rstcp-examples --example services
SERVICES="${CARGO_TARGET_DIR:-target}/release/examples/services"

echo "== namespace $NS: bridge br0 (192.168.69.100/24, $PREFIX6::1/64), $TAP a port of it"
ip netns add "$NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns ip link add br0 type bridge
in_ns ip tuntap add dev "$TAP" mode tap
in_ns ip link set "$TAP" master br0
in_ns ip addr add 192.168.69.100/24 dev br0
in_ns ip addr add "$PREFIX6::1/64" dev br0 nodad
in_ns ip link set "$TAP" up
in_ns ip link set br0 up

echo "== dnsmasq (DHCPv4, 192.168.69.50-60) and radvd ($PREFIX6::/64 with RDNSS) on br0"
in_ns dnsmasq --interface=br0 --bind-interfaces --port=0 --conf-file=/dev/null \
  --dhcp-range=192.168.69.50,192.168.69.60,255.255.255.0,10m \
  --dhcp-leasefile="$WORK/leases" --pid-file="$WORK/dnsmasq.pid"
printf '%s\n' "interface br0 {" "  AdvSendAdvert on;" "  MinRtrAdvInterval 3;" \
  "  MaxRtrAdvInterval 10;" "  prefix $PREFIX6::/64 { AdvOnLink on; AdvAutonomous on; };" \
  "  RDNSS $PREFIX6::1 { };" "};" >"$WORK/radvd.conf"
# radvd advertises only from a node that forwards.
in_ns sysctl -qw net.ipv6.conf.all.forwarding=1
in_ns radvd -C "$WORK/radvd.conf" -p "$WORK/radvd.pid" -m logfile -l "$WORK/radvd.log"

echo "== starting rstcp services on $TAP with no address flags"
# Not through in_ns: a function in the background is a subshell, and the
# signal must reach services itself (ip netns exec execs it, same pid).
ip netns exec "$NS" "$SERVICES" --tap "$TAP" \
  --pcap "$WORK/demo.pcap" >"$WORK/services.out" 2>"$WORK/services.err" &
SERVICES_PID=$!
for _ in $(seq 400); do
  grep -q '^ready' "$WORK/services.out" 2>/dev/null && break
  kill -0 "$SERVICES_PID" 2>/dev/null || { cat "$WORK/services.err" >&2; exit 1; }
  sleep 0.1
done
grep -q '^ready' "$WORK/services.out" || { echo "demo: services did not get ready" >&2; exit 1; }
# The SLAAC address passes DAD about a second after the first RA.
for _ in $(seq 150); do
  grep -q "^services: $PREFIX6:.*DAD passed" "$WORK/services.err" && break
  sleep 0.1
done
sed 's/^/   /' "$WORK/services.err"
sed 's/^/   services: /' "$WORK/services.out"
STACK4=$(tr ' ' '\n' <"$WORK/services.out" | grep -m1 '^192\.168\.69\.' | cut -d/ -f1 || true)
STACK6=$(grep -m1 -o "$PREFIX6:[0-9a-f:]*: DAD passed" "$WORK/services.err" | sed 's/: DAD passed//' || true)
[ -n "$STACK4" ] || { echo "demo: no DHCPv4 lease in: $(cat "$WORK/services.out")" >&2; exit 1; }
[ -n "$STACK6" ] || { echo "demo: no SLAAC address passed DAD" >&2; exit 1; }
echo "== services configured itself: DHCPv4 $STACK4, SLAAC $STACK6"

echo "== ping $STACK4 (ARP, then ICMP echo)"
in_ns ping -c 3 -i 0.2 -W 2 "$STACK4" | tail -2
echo "== ping $STACK6 (NDP, then ICMPv6 echo)"
in_ns ping -6 -c 3 -i 0.2 -W 2 "$STACK6" | tail -2
echo "== ping -s 8000 $STACK6 (fragmented both ways)"
in_ns ping -6 -c 2 -i 0.2 -W 2 -s 8000 "$STACK6" | tail -2
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
