#!/usr/bin/env bash
# rstcp under stress: the `services` example on a TAP in a private network
# namespace, and the Linux kernel hammering it — a SYN flood from spoofed
# on-link sources while a real client connects, ping and fragment floods,
# nmap scans, 20 000 short connections (beside the kernel's own echo server
# measured in the same run), 5 000 idle connections that each echo, and
# 100 000 random frames. Then: nothing panicked, the process's memory is
# back where it was, and every service (TCP and UDP, IPv4 and IPv6) still
# answers. One PASS or FAIL line per check; the exit status is the number
# of FAILs (0: all passed). Everything it makes it deletes, also on Ctrl-C.
#
#   sudo bash examples/scripts/stress.sh            # about 3 minutes
#   sudo QUICK=1 bash examples/scripts/stress.sh    # smaller counts, about 1 minute
#   sudo ONLY_RATE=1 bash examples/scripts/stress.sh  # only the short connections
#                                                       (the connection-rate table)
#   sudo RATE_BEFORE=1 bash examples/scripts/stress.sh  # the rate rounds also before
#                                                       the floods and scans (what they leave)
#   sudo RATE_SETTLE=70 bash examples/scripts/stress.sh  # wait 70 s after them first
#   (examples/scripts/flood_residue.sh counts the instructions instead)
#
# Thresholds (not tuned to pass; Linux passes each of them):
#   SYN flood      the real client's connects (3 s each, with a 10-byte echo)
#                  succeed >= 95 % during 10 s of 10 000 SYN/s from 250
#                  spoofed on-link sources (the issue's measurement)
#   floods         ping -f and a fragmented ping -f (3000 bytes) lose <= 1 %
#   nmap           finishes, and finds TCP 7, 9, 13, 19 open
#   connections    20 000 short connections, none fails; rate (median of
#                  5 rounds alternating with the kernel) >= 1.0x the
#                  kernel's echo server (the issue's goal)
#   idle           5 000 connections open at once, each then echoes
#   memory         RSS after the run <= RSS after warm-up + 16 MiB (the run
#                  peaks at 5 000+ sockets; the runtime gives the socket
#                  table's free slots back once the burst is over)
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
  echo "stress: needs root (a network namespace, a TAP, raw frames); run it with sudo" >&2
  exit 1
fi
if [ ! -e /dev/net/tun ]; then
  echo "stress: /dev/net/tun is missing; load the tun module (modprobe tun)" >&2
  exit 1
fi
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v hping3 >/dev/null 2>&1 || need+=(hping3)
command -v nmap >/dev/null 2>&1 || need+=(nmap)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

QUICK="${QUICK:-0}"
ONLY_RATE="${ONLY_RATE:-0}"
RATE_BEFORE="${RATE_BEFORE:-0}"
# Seconds to wait after the floods before the rate rounds (what expires meanwhile).
RATE_SETTLE="${RATE_SETTLE:-0}"
if [ "$QUICK" = 1 ]; then
  SHORT=5000 IDLE=1000 FRAMES=20000 FLOOD_S=5 PINGS=3000 RATE_ROUNDS=3
else
  SHORT=20000 IDLE=5000 FRAMES=100000 FLOOD_S=10 PINGS=20000 RATE_ROUNDS=5
fi
NS="rstcp-stress-$$"
NS2="rstcp-stress2-$$"
TAP=tap7
STACK4=192.168.69.1
STACK6=fd00::1
KERNEL4=10.9.0.2
WORK="$(mktemp -d)"
SERVICES_PID=""
KECHO_PID=""
FAILS=0

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
in_ns() { ip netns exec "$NS" "$@"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$SERVICES_PID/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$SERVICES_PID/status" 2>/dev/null || echo 0; }
threads() { awk '/^Threads/ {print $2}' "/proc/$SERVICES_PID/status" 2>/dev/null || echo 0; }
alive() { kill -0 "$SERVICES_PID" 2>/dev/null; }

cleanup() {
  jobs -p | xargs -r kill 2>/dev/null
  if [ -n "$KECHO_PID" ]; then kill "$KECHO_PID" 2>/dev/null; fi
  if [ -n "$SERVICES_PID" ] && alive; then
    kill -TERM "$SERVICES_PID" 2>/dev/null || true
    wait "$SERVICES_PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
  ip netns del "$NS2" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building services and stress_client (release)"
cargo build --release -q -p rstcp-examples --example services --example stress_client || exit 1
BIN="${CARGO_TARGET_DIR:-target}/release/examples"
CLIENT="$BIN/stress_client"

echo "== namespace $NS: $TAP (kernel 192.168.69.100/24, fd00::100/64), veth to $NS2 (kernel echo server $KERNEL4)"
ip netns add "$NS"
ip netns add "$NS2"
in_ns ip link set lo up
in_ns ip tuntap add dev "$TAP" mode tap
in_ns ip addr add 192.168.69.100/24 dev "$TAP"
in_ns ip addr add fd00::100/64 dev "$TAP" nodad
in_ns ip link set "$TAP" up
in_ns ip link add veth0 type veth peer name veth1 netns "$NS2"
in_ns ip addr add 10.9.0.1/24 dev veth0
in_ns ip link set veth0 up
ip netns exec "$NS2" ip link set lo up
ip netns exec "$NS2" ip addr add "$KERNEL4/24" dev veth1
ip netns exec "$NS2" ip link set veth1 up
# Room for 20 000 + 5 000 client ports to one server while the closed ones
# sit in TIME-WAIT (per-namespace settings).
in_ns sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
in_ns sysctl -qw net.ipv4.tcp_tw_reuse=1

echo "== starting services on $TAP ($STACK4, $STACK6), --max-sockets 8192"
ip netns exec "$NS" "$BIN/services" --tap "$TAP" --ipv4 "$STACK4/24" --ipv6 "$STACK6/64" \
  --no-probe --max-sockets 8192 >"$WORK/services.out" 2>"$WORK/services.err" &
SERVICES_PID=$!
for _ in $(seq 300); do
  grep -q '^ready' "$WORK/services.out" 2>/dev/null && break
  alive || break
  sleep 0.1
done
if ! grep -q '^ready' "$WORK/services.out"; then
  fail "services started"
  cat "$WORK/services.err" >&2
  exit 1
fi
ip netns exec "$NS2" "$CLIENT" echo-server --listen "$KERNEL4:7" --threads 4 >"$WORK/kecho.out" 2>&1 &
KECHO_PID=$!

# Every service, both families: TCP echo, discard, daytime, chargen; UDP
# echo, daytime, chargen. Prints one line per failure; exit status 1 on any.
check_services() {
  in_ns timeout 60 python3 - "$STACK4" "$STACK6" <<'PY'
import socket, sys
bad = []
def tcp(addr, port, send, want_reply):
    with socket.create_connection((addr, port), timeout=5) as s:
        if send:
            s.sendall(send)
        s.shutdown(socket.SHUT_WR) if port != 19 else None
        out = b""
        while len(out) < want_reply:
            c = s.recv(65536)
            if not c:
                break
            out += c
        return out
def udp(addr, port, send):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(send, (addr, port))
        return s.recvfrom(65535)[0]
for a in sys.argv[1:]:
    for what, f in [
        ("tcp echo", lambda: tcp(a, 7, b"x" * 1000, 1000) == b"x" * 1000),
        ("tcp discard", lambda: tcp(a, 9, b"y" * 1000, 1) == b""),
        ("tcp daytime", lambda: tcp(a, 13, b"", 1 << 20).endswith(b"\r\n")),
        ("tcp chargen", lambda: len(tcp(a, 19, b"", 740)) >= 740),
        ("udp echo", lambda: udp(a, 7, b"ping") == b"ping"),
        ("udp daytime", lambda: udp(a, 13, b"?").endswith(b"\r\n")),
        ("udp chargen", lambda: len(udp(a, 19, b"?")) == 74),
    ]:
        try:
            ok = f()
        except Exception as e:
            ok = False
            what += f" ({e})"
        if not ok:
            bad.append(f"{what} on {a}")
for b in bad:
    print("   not answering:", b)
sys.exit(1 if bad else 0)
PY
}

echo "== warm-up (every service once, 500 short connections), then RSS"
check_services || fail "services answer before the stress"
in_ns timeout 60 "$CLIENT" rate --to "$STACK4:7" --count 500 --threads 4 >/dev/null
sleep 2
RSS0=$(rss_kib)
echo "   RSS after warm-up: $((RSS0 / 1024)) MiB ($RSS0 KiB), threads: $(threads)"

# The short-connection rounds; $1 labels them (e.g. "before the floods").
rate_rounds() {
  echo "== $SHORT short connections (connect, 100-byte echo, close; 4 client threads), $RATE_ROUNDS rounds, kernel and rstcp alternately${1:+ ($1)}"
  # One run of each swings 2x with the machine's other load; alternating
  # rounds and comparing medians measures both servers under the same load.
  krates=() rrates=() rfailed_total=0
  kserver=() rserver=() kclient=() rclient=()
  # A process's CPU ticks (user + system, USER_HZ: 100 a second).
  ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
  # Microseconds of CPU per connection: ticks, then seconds, over COUNT.
  us_per() { awk -v t="$1" -v s="$2" -v n="$SHORT" 'BEGIN { printf "%.0f", (t * 10000 + s * 1e6) / n }'; }
  field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
  for round in $(seq 1 "$RATE_ROUNDS"); do
    t0=$(ticks "$KECHO_PID")
    kout=$(in_ns timeout 300 "$CLIENT" rate --to "$KERNEL4:7" --count "$SHORT" --threads 4 2>"$WORK/krate.err")
    t1=$(ticks "$KECHO_PID")
    r0=$(ticks "$SERVICES_PID")
    rout=$(in_ns timeout 300 "$CLIENT" rate --to "$STACK4:7" --count "$SHORT" --threads 4 2>"$WORK/rate.err")
    r1=$(ticks "$SERVICES_PID")
    echo "   round $round: kernel echo server: $kout"
    echo "   round $round: rstcp services:     $rout"
    krates+=("$(field per_second "$kout")")
    rrates+=("$(field per_second "$rout")")
    kserver+=("$(us_per $((t1 - t0)) 0)")
    rserver+=("$(us_per $((r1 - r0)) 0)")
    kclient+=("$(us_per 0 "$(field cpu_seconds "$kout")")")
    rclient+=("$(us_per 0 "$(field cpu_seconds "$rout")")")
    rfailed=$(field failed "$rout")
    rfailed_total=$((rfailed_total + ${rfailed:-$SHORT}))
  done
  median() { printf '%s\n' "$@" | sed 's/^$/0/' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  krate=$(median "${krates[@]}")
  rrate=$(median "${rrates[@]}")
  if [ "$rfailed_total" = 0 ]; then
    pass "short connections${1:+ ($1)}: all $((SHORT * RATE_ROUNDS)) echoed"
  else
    fail "short connections${1:+ ($1)}: $rfailed_total of $((SHORT * RATE_ROUNDS)) failed"
    head -3 "$WORK/rate.err" | sed 's/^/   /'
  fi
  ratio=$(awk -v r="${rrate:-0}" -v k="${krate:-0}" 'BEGIN { if (k > 0) printf "%.2f", r / k; else print "0" }')
  # The issue's table. Under another load the rates swing with it (alternate
  # rounds share it alike); the CPU each side spends per connection swings
  # far less, and says where a gap comes from: the server (its process, the
  # kernel's TCP for the client included when the server's writes run it),
  # or the client (its process: the kernel's TCP in its system calls).
  echo "   connection rate (connect, 100-byte echo, close; medians of $RATE_ROUNDS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
  echo "   | server | connections/s | server CPU us/conn | client CPU us/conn |"
  echo "   |---|---|---|---|"
  echo "   | rstcp services, TAP | ${rrate:-?} | $(median "${rserver[@]}") | $(median "${rclient[@]}") |"
  echo "   | Linux echo server, veth | ${krate:-?} | $(median "${kserver[@]}") | $(median "${kclient[@]}") |"
  echo "   connection rate${1:+ ($1)}, medians of $RATE_ROUNDS: rstcp ${rrate:-?}/s, kernel ${krate:-?}/s: ${ratio}x"
  if awk -v x="$ratio" 'BEGIN { exit !(x >= 1.0) }'; then
    pass "connection rate${1:+ ($1)} ${ratio}x the kernel's (>= 1.0x)"
  else
    fail "connection rate${1:+ ($1)} ${ratio}x the kernel's (want >= 1.0x)"
  fi
}

if [ "$RATE_BEFORE" = 1 ] && [ "$ONLY_RATE" != 1 ]; then
  rate_rounds "before the floods"
  RATE_LABEL="after the floods"
fi

if [ "$ONLY_RATE" != 1 ]; then
echo "== SYN flood: ${FLOOD_S} s of 10 000 SYN/s to port 7 from 250 spoofed on-link sources (hping3), while a real client connects"
# One hping3 per source (it spoofs one address at a time): 250 x 40 SYN/s.
# Sources .2-.251 of the TAP's /24, none of them answering ARP; the real
# client is .100 (skipped), the stack .1.
flooders=()
for i in $(seq 2 252); do
  [ "$i" = 100 ] && continue
  in_ns timeout $((FLOOD_S + 2)) hping3 -q -S -p 7 -a "192.168.69.$i" -i u25000 "$STACK4" >/dev/null 2>&1 &
  flooders+=($!)
done
sleep 1
out=$(in_ns timeout $((FLOOD_S + 30)) "$CLIENT" connects --to "$STACK4:7" --seconds "$FLOOD_S" --timeout-s 3 2>"$WORK/connects.err")
wait "${flooders[@]}"
echo "   $out"
tried=$(sed -n 's/.*tried=\([0-9]*\).*/\1/p' <<<"$out")
ok=$(sed -n 's/.*succeeded=\([0-9]*\).*/\1/p' <<<"$out")
if [ -n "$tried" ] && [ "$tried" -gt 0 ] && [ $((ok * 100)) -ge $((tried * 95)) ]; then
  pass "SYN flood: the real client's connects succeeded $ok of $tried (>= 95 %)"
else
  fail "SYN flood: the real client's connects succeeded ${ok:-?} of ${tried:-?} (want >= 95 %)"
  head -3 "$WORK/connects.err" | sed 's/^/   /'
fi

ping_flood() { # label, then ping's arguments
  local label="$1"
  shift
  local out loss
  out=$(in_ns timeout 120 ping -q -f -W 1 "$@" 2>&1 | grep 'packet loss')
  loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
  echo "   $label: $out"
  if [ -n "$loss" ] && awk -v l="$loss" 'BEGIN { exit !(l <= 1) }'; then
    pass "$label: ${loss} % lost (<= 1 %)"
  else
    fail "$label: ${loss:-?} % lost (want <= 1 %)"
  fi
}
echo "== ping and fragment floods"
ping_flood "ping flood v4" -c "$PINGS" "$STACK4"
ping_flood "ping flood v6" -6 -c "$PINGS" "$STACK6"
ping_flood "fragment flood v4 (3000 bytes)" -c $((PINGS / 4)) -s 3000 "$STACK4"
ping_flood "fragment flood v6 (3000 bytes)" -6 -c $((PINGS / 4)) -s 3000 "$STACK6"

echo "== nmap -sS -sU -O"
if in_ns timeout 180 nmap -n -sS -sU -O -T4 --max-retries 1 -p T:1-1024,U:7,9,13,19,53,67,123,161 \
  "$STACK4" >"$WORK/nmap.out" 2>&1; then
  grep -E '^[0-9]+/(tcp|udp)|^OS|^Device|^Running|^Aggressive|^No exact' "$WORK/nmap.out" | sed 's/^/   /'
  missing=""
  for p in 7 9 13 19; do grep -q "^$p/tcp *open " "$WORK/nmap.out" || missing+=" $p"; done
  if [ -z "$missing" ]; then
    pass "nmap -sS -sU -O finished and found TCP 7, 9, 13, 19 open"
  else
    fail "nmap did not find TCP$missing open"
  fi
else
  fail "nmap -sS -sU -O did not finish within 180 s"
  tail -5 "$WORK/nmap.out" | sed 's/^/   /'
fi

fi # ONLY_RATE

if [ "$RATE_SETTLE" -gt 0 ] && [ "$ONLY_RATE" != 1 ]; then
  echo "== waiting $RATE_SETTLE s after the floods (RATE_SETTLE)"
  sleep "$RATE_SETTLE"
fi
rate_rounds "${RATE_LABEL:-}"

if [ "$ONLY_RATE" != 1 ]; then
echo "== $IDLE idle connections, then each echoes"
out=$(in_ns timeout 300 "$CLIENT" idle --to "$STACK4:7" --count "$IDLE" --timeout-s 10 2>"$WORK/idle.err")
echo "   $out (services RSS peak so far $(($(hwm_kib) / 1024)) MiB, threads $(threads))"
echoed=$(sed -n 's/.*echoed=\([0-9]*\).*/\1/p' <<<"$out")
if [ "${echoed:-0}" = "$IDLE" ]; then
  pass "$IDLE idle connections each echoed"
else
  fail "idle connections: ${echoed:-?} of $IDLE echoed"
  head -3 "$WORK/idle.err" | sed 's/^/   /'
fi

echo "== $FRAMES random frames into the TAP"
in_ns timeout 300 python3 - "$TAP" "$FRAMES" <<'PY'
# Frames built to get past the first checks (our MAC or broadcast, real
# EtherTypes, IP headers with good checksums and our addresses), then
# random: lengths, flags, fragment offsets, options, payloads. Seeded.
import random, socket, struct, sys
tap, count = sys.argv[1], int(sys.argv[2])
rnd = random.Random(10)
mac = bytes.fromhex("020000777777")
peer = bytes.fromhex("02aabbccddee")
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def rbytes(n):
    return rnd.getrandbits(8 * n).to_bytes(n, "big") if n else b""
def ipv4():
    payload = rbytes(rnd.choice([0, 8, 20, 40, rnd.randrange(0, 1400)]))
    ihl = rnd.choice([5, 5, 5, rnd.randrange(0, 16)])
    opts = rbytes(max(0, ihl - 5) * 4)
    proto = rnd.choice([1, 6, 17, 2, rnd.randrange(256)])
    flags_frag = rnd.choice([0, 0x4000, 0x2000 | rnd.randrange(0x2000), rnd.randrange(0x10000)])
    total = rnd.choice([20 + len(opts) + len(payload), rnd.randrange(0x10000)])
    src = bytes([192, 168, 69, rnd.randrange(256)])
    dst = rnd.choice([bytes([192, 168, 69, 1]), bytes([192, 168, 69, 255]), bytes([255] * 4), rbytes(4)])
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, rnd.randrange(256), total & 0xffff,
                    rnd.randrange(0x10000), flags_frag, rnd.randrange(256), proto, 0, src, dst) + opts
    if rnd.random() < 0.9:
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return 0x0800, h + payload
def ipv6():
    nh = rnd.choice([58, 6, 17, 0, 43, 44, 60, rnd.randrange(256)])
    payload = rbytes(rnd.choice([0, 8, 40, rnd.randrange(0, 1400)]))
    plen = rnd.choice([len(payload), rnd.randrange(0x10000)])
    src = bytes.fromhex("fd00000000000000") + rbytes(8)
    dst = rnd.choice([bytes.fromhex("fd000000000000000000000000000001"),
                      bytes.fromhex("ff020000000000000000000000000001"),
                      bytes.fromhex("ff0200000000000000000001ff000001"), rbytes(16)])
    return 0x86DD, struct.pack("!IHBB", 0x60000000 | rnd.randrange(1 << 20), plen & 0xffff, nh,
                               rnd.randrange(256)) + src + dst + payload
def arp():
    return 0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, rnd.choice([1, 2, rnd.randrange(0x10000)])) \
        + rbytes(6) + bytes([192, 168, 69, rnd.randrange(256)]) + rbytes(6) + rnd.choice([bytes([192, 168, 69, 1]), rbytes(4)])
def junk():
    return rnd.randrange(0x10000), rbytes(rnd.randrange(0, 1500))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((tap, 0))
sent = 0
for i in range(count):
    etype, body = rnd.choice([ipv4, ipv4, ipv6, ipv6, arp, junk])()
    dst = rnd.choice([mac, mac, mac, b"\xff" * 6, bytes.fromhex("333300000001"), rbytes(6)])
    frame = dst + peer + struct.pack("!H", etype) + body
    try:
        s.send(frame[:1514])
        sent += 1
    except OSError:
        pass
print(f"   sent {sent} random frames")
PY
sleep 2
if alive; then
  pass "services alive after $FRAMES random frames"
else
  fail "services died during the random frames"
fi

fi # ONLY_RATE

echo "== at the end"
sleep 3
if check_services; then
  pass "every service (TCP echo/discard/daytime/chargen, UDP echo/daytime/chargen) answers over IPv4 and IPv6"
else
  fail "some services stopped answering"
fi
# Connections the run left closing (FIN-WAIT, LAST-ACK) are gone by now
# or within the orphan timeout; give the stack a moment, then measure.
sleep 5
RSS1=$(rss_kib)
HWM=$(hwm_kib)
echo "   RSS: $((RSS0 / 1024)) MiB after warm-up, $((RSS1 / 1024)) MiB at the end (peak $((HWM / 1024)) MiB), threads $(threads)"
if [ "$RSS1" -le $((RSS0 + 16 * 1024)) ]; then
  pass "memory flat: RSS $((RSS0 / 1024)) -> $((RSS1 / 1024)) MiB (<= +16 MiB)"
else
  fail "memory grew: RSS $((RSS0 / 1024)) -> $((RSS1 / 1024)) MiB (want <= +16 MiB)"
fi
if grep -q 'panicked' "$WORK/services.err"; then
  fail "services panicked:"
  grep -m3 'panicked' "$WORK/services.err" | sed 's/^/   /'
else
  pass "no panic"
fi
kill -TERM "$SERVICES_PID"
status=0
wait "$SERVICES_PID" || status=$?
SERVICES_PID=""
if [ "$status" = 0 ]; then
  pass "services stopped cleanly on SIGTERM"
else
  fail "services exited with status $status on SIGTERM"
fi

echo "== $FAILS FAIL(s)"
exit "$FAILS"
