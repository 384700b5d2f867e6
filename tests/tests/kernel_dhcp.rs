//! The stack's DHCPv4 client against a real server: dnsmasq in a network
//! namespace, on the kernel's side of a TAP. The stack starts with no IPv4
//! address, leases one from dnsmasq's range, answers the kernel's ping on
//! it, and renews the lease at T1 (RFC 2131 §4.4.5).
//!
//! dnsmasq's shortest lease is two minutes, so T1 would be a minute away;
//! the server sends T1/T2 options (58/59) of a few seconds instead, which
//! the client must honour, and the test takes about ten seconds.
//!
//! Needs root, /dev/net/tun, `ip`, `ping` and `dnsmasq` (dnsmasq-base);
//! without them the test says why and passes, except under CI=true.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use rstcp::socket::dhcpv4::{Dhcpv4Client, Dhcpv4Config, Dhcpv4Event, Lease};
use rstcp::socket::SocketHandle;
use rstcp::time::Duration;
use rstcp::wire::{IpAddr, Ipv4Addr};
use rstcp_tests::dnsmasq;
use rstcp_tests::netns::{require_program, require_root, NetNs, KERNEL_V4, STACK_V4};
use rstcp_tests::sim::{Host, MAC_A};
use rstcp_tests::tap_stack::KernelRig;

/// T1 and T2 dnsmasq hands out, in seconds (the lease itself is 2 min).
const T1: u64 = 4;
const T2: u64 = 8;

/// Files of one dnsmasq run in the temp directory, removed on drop.
struct DnsmasqFiles {
    leases: PathBuf,
    log: PathBuf,
}

impl DnsmasqFiles {
    fn new() -> DnsmasqFiles {
        let dir = std::env::temp_dir();
        let stem = format!("rstcp-dnsmasq-{}", std::process::id());
        DnsmasqFiles {
            leases: dir.join(format!("{stem}.leases")),
            log: dir.join(format!("{stem}.log")),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for DnsmasqFiles {
    fn drop(&mut self) {
        for f in [&self.leases, &self.log] {
            let _ = std::fs::remove_file(f);
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// The DHCP client's events, applied to the interface as a user's loop
/// would, and kept for the test.
type Events = Arc<Mutex<Vec<Dhcpv4Event>>>;

#[test]
fn stack_leases_from_dnsmasq_answers_ping_and_renews() {
    if !require_root() || !require_program("dnsmasq", "dnsmasq-base") {
        return;
    }
    let events: Events = Arc::default();
    let client: Arc<Mutex<Option<SocketHandle>>> = Arc::default();
    let mut host: Host = KernelRig::host();
    assert!(host.iface.remove_ipv4_address(&STACK_V4));
    let rig = KernelRig::new("rstcp-kd-", host, |_| {
        let (events, client) = (events.clone(), client.clone());
        Box::new(move |h| {
            let Some(dhcp) = *client.lock().unwrap() else {
                return;
            };
            let socket = h.sockets.get_mut::<Dhcpv4Client>(dhcp).unwrap();
            while let Some(e) = socket.poll_event() {
                h.iface.apply_dhcpv4(&e);
                events.lock().unwrap().push(e);
            }
        })
    });

    let files = DnsmasqFiles::new();
    let range = "--dhcp-range=192.168.69.50,192.168.69.60,255.255.255.0,2m";
    let t1 = format!("--dhcp-option=option:T1,{T1}");
    let t2 = format!("--dhcp-option=option:T2,{T2}");
    let args = [
        range,
        &t1,
        &t2,
        &format!("--dhcp-leasefile={}", path(&files.leases)),
        "--port=0",
        &format!("--log-facility={}", path(&files.log)),
        "--log-dhcp",
    ];
    let _dnsmasq = dnsmasq::spawn(&rig.ns, &rig.tap_name, &args).expect("start dnsmasq");
    wait_until(StdDuration::from_secs(5), || {
        files.log().contains("DHCP, IP range").then_some(())
    })
    .unwrap_or_else(|| panic!("dnsmasq did not start; log:\n{}", files.log()));

    // Only now the client starts, so its first DISCOVER finds a server.
    let dhcp = rig.stack.with(|h| {
        h.sockets
            .add(Dhcpv4Client::new(Dhcpv4Config::default(), MAC_A, 0x5eed))
            .unwrap()
    });
    *client.lock().unwrap() = Some(dhcp);

    let lease = wait_until(StdDuration::from_secs(20), || {
        events.lock().unwrap().iter().find_map(|e| match e {
            Dhcpv4Event::Configured(l) => Some(l.clone()),
            _ => None,
        })
    })
    .unwrap_or_else(|| {
        panic!(
            "no lease; events {:?}; dnsmasq log:\n{}",
            events.lock().unwrap(),
            files.log()
        )
    });
    let leased = lease.address.address();
    let octets = leased.octets();
    assert_eq!(&octets[..3], &[192, 168, 69], "{lease:?}");
    assert!(
        (50..=60).contains(&octets[3]),
        "outside the range: {lease:?}"
    );
    assert_eq!(lease.address.prefix_len(), 24);
    assert_eq!(lease.server, KERNEL_V4);
    // dnsmasq names itself as router by default.
    assert_eq!(lease.router, Some(KERNEL_V4));
    assert_eq!(lease.lease_duration, Duration::from_secs(120));
    assert_eq!(lease.renew_at - lease.acquired_at, Duration::from_secs(T1));
    assert_eq!(lease.rebind_at - lease.acquired_at, Duration::from_secs(T2));
    assert!(rig
        .stack
        .with(|h| h.iface.ipv4_addrs().any(|c| c.address() == leased)));

    kernel_pings(&rig.ns, leased);

    // The lease is renewed at T1, with the same address.
    let renewed = wait_until(StdDuration::from_secs(T1 + 6), || {
        events.lock().unwrap().iter().find_map(|e| match e {
            Dhcpv4Event::Renewed(l) => Some(l.clone()),
            _ => None,
        })
    })
    .unwrap_or_else(|| {
        panic!(
            "no renewal; events {:?}; dnsmasq log:\n{}",
            events.lock().unwrap(),
            files.log()
        )
    });
    check_renewal(&lease, &renewed);
    // The default route via dnsmasq now lasts as long as the renewed lease.
    let route_end = rig.stack.with(|h| {
        h.iface
            .routes()
            .iter()
            .find(|r| r.via == Some(IpAddr::V4(KERNEL_V4)))
            .map(|r| r.expires_at)
    });
    assert_eq!(route_end, Some(Some(renewed.expires_at)));
    assert!(
        !events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Dhcpv4Event::Deconfigured | Dhcpv4Event::Conflict(_))),
        "{:?}",
        events.lock().unwrap()
    );
    // dnsmasq acknowledged twice: the lease and its renewal.
    let log = files.log();
    let acks = log
        .matches(&format!("DHCPACK({}) {leased}", rig.tap_name))
        .count();
    assert_eq!(acks, 2, "dnsmasq log:\n{log}");
    // And the address still answers.
    kernel_pings(&rig.ns, leased);
}

/// A renewal keeps the address and moves every deadline on.
fn check_renewal(lease: &Lease, renewed: &Lease) {
    assert_eq!(renewed.address, lease.address);
    assert_eq!(renewed.server, lease.server);
    assert!(
        renewed.acquired_at >= lease.renew_at,
        "renewed before T1: {lease:?} -> {renewed:?}"
    );
    assert!(renewed.expires_at > lease.expires_at);
    assert_eq!(
        renewed.renew_at - renewed.acquired_at,
        Duration::from_secs(T1)
    );
}

/// Three pings from the kernel to `addr`, all answered.
fn kernel_pings(ns: &NetNs, addr: Ipv4Addr) {
    let to = addr.to_string();
    let out = ns
        .exec("ping", &["-c", "3", "-i", "0.2", "-W", "2", &to])
        .expect("run ping");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" 3 received"),
        "ping {to}:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Polls `f` every 20 ms until it gives a value or `timeout` passes.
fn wait_until<R>(timeout: StdDuration, mut f: impl FnMut() -> Option<R>) -> Option<R> {
    let deadline = StdInstant::now() + timeout;
    loop {
        if let Some(r) = f() {
            return Some(r);
        }
        if StdInstant::now() >= deadline {
            return None;
        }
        std::thread::sleep(StdDuration::from_millis(20));
    }
}
