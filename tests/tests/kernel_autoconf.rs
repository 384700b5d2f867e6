//! DAD and SLAAC against the Linux kernel and radvd (issue 12), each test
//! in a network namespace of its own with the stack on a TAP:
//! - the kernel holds the address the stack wants (static, then SLAAC):
//!   the stack's DAD hears the kernel's advertisement, drops the address
//!   and reports it (RFC 4862 §5.4.4, §5.4.5);
//! - the kernel's own DAD sees no conflict from us for an address we do
//!   not hold, and does see us defend one we hold (§5.4.3);
//! - radvd advertises a /64 with short lifetimes: the stack forms its
//!   SLAAC address, learns the router, deprecates and expires the address
//!   and drops the router when radvd's last advertisement says lifetime 0.
//!
//! `services` on radvd's bridge is in `kernel_slaac_services.rs`.
//!
//! Needs root, /dev/net/tun, iproute2 and radvd (Debian: radvd); without
//! them the test says why and passes, except under CI=true.

use std::time::{Duration as StdDuration, Instant as StdInstant};

use rstcp::iface::{AddressOrigin, AddressState, Event};
use rstcp::wire::{Ipv6Addr, Ipv6Cidr};
use rstcp_tests::netns::{require_program, require_root, KERNEL_V6, STACK_V4, STACK_V6};
use rstcp_tests::sim::{Host, MAC_A};
use rstcp_tests::tap_stack::{echo_service, KernelRig};

/// MAC_A (02:00:00:00:00:0a) in modified EUI-64 in 2001:db8:1::/64.
const SLAAC_A: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0xff, 0xfe00, 0x0a);

/// The kernel tests' host with DAD on (the rig's default host turns it
/// off with RFC 5227 probing), `v6` as its static address.
fn dad_host(v6: Ipv6Addr) -> Host {
    let mut config = Host::config(MAC_A, 0x5eed, false);
    config.dad_transmits = 1;
    Host::with_config(config, STACK_V4, v6)
}

fn rig(prefix: &str, host: Host) -> KernelRig {
    KernelRig::new(prefix, host, |h| echo_service(h, 7, 1, 4096))
}

/// The stack's events so far, appended to `log`.
fn events(rig: &KernelRig, log: &mut Vec<Event>) {
    rig.stack.with(|h| {
        while let Some(e) = h.iface.poll_event() {
            log.push(e);
        }
    });
}

fn state(rig: &KernelRig, a: Ipv6Addr) -> Option<AddressState> {
    rig.stack.with(|h| {
        h.iface
            .ipv6_addresses()
            .find(|x| x.cidr.address() == a)
            .map(|x| x.state)
    })
}

/// Waits up to `limit` for `f`, collecting events meanwhile.
fn wait(
    rig: &KernelRig,
    log: &mut Vec<Event>,
    limit: StdDuration,
    f: impl Fn(&KernelRig, &[Event]) -> bool,
) -> bool {
    let start = StdInstant::now();
    loop {
        events(rig, log);
        if f(rig, log) {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(StdDuration::from_millis(50));
    }
}

fn duplicate(log: &[Event], a: Ipv6Addr) -> Option<Option<rstcp::wire::EthernetAddress>> {
    log.iter().find_map(|e| match e {
        Event::Ipv6DuplicateAddress { address, other } if *address == a => Some(*other),
        _ => None,
    })
}

#[test]
fn a_static_address_the_kernel_holds_fails_dad_and_is_reported() {
    if !require_root() {
        return;
    }
    // The kernel's TAP holds fd00::100 (nodad); the stack wants it too.
    let rig = rig("rstcp-dad-", dad_host(KERNEL_V6));
    let mut log = Vec::new();
    assert!(
        wait(&rig, &mut log, StdDuration::from_secs(5), |_, l| duplicate(
            l, KERNEL_V6
        )
        .is_some()),
        "no conflict reported: {log:?}"
    );
    // §5.4.4: the kernel's advertisement named its MAC.
    assert_eq!(duplicate(&log, KERNEL_V6), Some(Some(rig.kernel_mac())));
    assert_eq!(state(&rig, KERNEL_V6), None, "the address is not used");
    // The link-local address went on and is usable.
    let ll = rstcp::iface::link_local_from_mac(&MAC_A);
    assert!(wait(&rig, &mut log, StdDuration::from_secs(3), |r, _| {
        state(r, ll) == Some(AddressState::Preferred)
    }));
    // The kernel's address still answers as the kernel's.
    let neigh = rig.kernel_neighbor(&ll.to_string());
    assert!(!neigh.contains("FAILED"), "{neigh}");
}

#[test]
fn the_kernels_dad_sees_no_conflict_from_us_and_sees_us_defend_our_address() {
    if !require_root() {
        return;
    }
    let rig = rig("rstcp-kdad-", dad_host(STACK_V6));
    let mut log = Vec::new();
    assert!(wait(&rig, &mut log, StdDuration::from_secs(5), |r, _| {
        state(r, STACK_V6) == Some(AddressState::Preferred)
    }));
    // With DAD (no nodad): an address we do not hold passes the kernel's
    // DAD; the one we hold fails it, as we answer its solicitation.
    let ours = format!("{STACK_V6}/64");
    let free = "fd00::200/64";
    for a in [free, ours.as_str()] {
        rig.ns
            .exec_ok("ip", &["-6", "addr", "add", a, "dev", &rig.tap_name])
            .expect("ip addr add");
    }
    std::thread::sleep(StdDuration::from_secs(3));
    let out = rig
        .ns
        .exec_ok("ip", &["-6", "addr", "show", "dev", &rig.tap_name])
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = |a: &str| {
        text.lines()
            .find(|l| l.contains(&format!("inet6 {a}")))
            .unwrap_or_else(|| panic!("{a} not in\n{text}"))
            .to_string()
    };
    assert!(
        !line(free).contains("dadfailed") && !line(free).contains("tentative"),
        "{text}"
    );
    assert!(line(&ours).contains("dadfailed"), "{text}");
    // We kept ours.
    assert_eq!(state(&rig, STACK_V6), Some(AddressState::Preferred));
    assert_eq!(duplicate(&log, STACK_V6), None);
}

/// radvd on the kernel's TAP with `body` as its interface block.
fn radvd(rig: &KernelRig, body: &str) -> rstcp_tests::netns::Background {
    let dir = std::env::temp_dir().join(format!(
        "rstcp-radvd-{}-{}",
        std::process::id(),
        rig.tap_name
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("radvd.conf");
    std::fs::write(
        &conf,
        format!("interface {} {{\n{body}\n}};\n", rig.tap_name),
    )
    .unwrap();
    // radvd refuses to advertise unless the node forwards.
    rig.ns
        .exec_ok("sysctl", &["-qw", "net.ipv6.conf.all.forwarding=1"])
        .expect("sysctl");
    let pid = dir.join("radvd.pid");
    rig.ns
        .spawn(
            "radvd",
            &[
                "-n",
                "-m",
                "stderr",
                "-C",
                conf.to_str().unwrap(),
                "-p",
                pid.to_str().unwrap(),
            ],
        )
        .expect("start radvd")
}

const PREFIX_BLOCK: &str = "  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvDefaultLifetime 60;
  prefix 2001:db8:1::/64 {
    AdvOnLink on;
    AdvAutonomous on;
    AdvPreferredLifetime 6;
    AdvValidLifetime 14;
    DeprecatePrefix on;
  };
  RDNSS 2001:db8:1::1 { };";

#[test]
fn a_slaac_address_the_kernel_holds_fails_dad_and_is_reported() {
    if !require_root() || !require_program("radvd", "radvd") {
        return;
    }
    let rig = rig("rstcp-sdad-", dad_host(STACK_V6));
    let held = format!("{SLAAC_A}/64");
    rig.ns
        .exec_ok(
            "ip",
            &["-6", "addr", "add", &held, "dev", &rig.tap_name, "nodad"],
        )
        .unwrap();
    let _radvd = radvd(&rig, PREFIX_BLOCK);
    let mut log = Vec::new();
    assert!(
        wait(&rig, &mut log, StdDuration::from_secs(15), |_, l| {
            duplicate(l, SLAAC_A).is_some()
        }),
        "no conflict reported: {log:?}"
    );
    assert!(log.contains(&Event::Ipv6AddressAdded(SLAAC_A)));
    assert_eq!(state(&rig, SLAAC_A), None);
    assert!(!log.contains(&Event::Ipv6AddressReady(SLAAC_A)));
}

#[test]
fn radvd_short_lifetimes_deprecate_and_expire_the_slaac_address_and_lifetime_0_drops_the_router() {
    if !require_root() || !require_program("radvd", "radvd") {
        return;
    }
    let rig = rig("rstcp-radvd-", dad_host(STACK_V6));
    let mut radvd = radvd(&rig, PREFIX_BLOCK);
    let mut log = Vec::new();
    // RFC 4862 §5.5.3 d): the address is formed, passes DAD, the router is
    // learnt (RFC 4861 §6.3.4).
    assert!(
        wait(&rig, &mut log, StdDuration::from_secs(15), |r, _| {
            state(r, SLAAC_A) == Some(AddressState::Preferred)
        }),
        "no SLAAC address: {log:?}"
    );
    let router = log.iter().find_map(|e| match e {
        Event::RouterAdded(r) => Some(*r),
        _ => None,
    });
    let router = router.expect("a router");
    let origin = rig.stack.with(|h| {
        h.iface
            .ipv6_addresses()
            .find(|a| a.cidr.address() == SLAAC_A)
            .map(|a| (a.origin, a.cidr))
    });
    assert_eq!(
        origin,
        Some((AddressOrigin::Slaac, Ipv6Cidr::new(SLAAC_A, 64).unwrap()))
    );
    // The RDNSS option (RFC 8106) came with it.
    let now = rig.stack.now();
    let dns: Vec<Ipv6Addr> = rig.stack.with(|h| {
        h.iface
            .router_discovery()
            .dns_servers(now)
            .map(|d| d.addr)
            .collect()
    });
    assert_eq!(dns, ["2001:db8:1::1".parse::<Ipv6Addr>().unwrap()]);
    // The kernel reaches it (the prefix is on-link for the kernel too).
    rig.ns
        .exec_ok(
            "ip",
            &[
                "-6",
                "addr",
                "add",
                "2001:db8:1::1/64",
                "dev",
                &rig.tap_name,
                "nodad",
            ],
        )
        .unwrap();
    rig.kernel_ping(&SLAAC_A.to_string(), 56);
    // radvd stops: its last advertisement has router lifetime 0 and, with
    // DeprecatePrefix, preferred lifetime 0 (§6.3.4, §5.5.3 e).
    let pid = radvd.child().id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(
        wait(&rig, &mut log, StdDuration::from_secs(5), |_, l| {
            l.contains(&Event::RouterRemoved(router))
        }),
        "router not removed: {log:?}"
    );
    assert!(
        wait(&rig, &mut log, StdDuration::from_secs(8), |r, _| {
            state(r, SLAAC_A) == Some(AddressState::Deprecated)
        }),
        "not deprecated: {log:?}"
    );
    assert!(log.contains(&Event::Ipv6AddressDeprecated(SLAAC_A)));
    // Valid lifetime 14 s at most from the last refresh: gone.
    assert!(
        wait(&rig, &mut log, StdDuration::from_secs(16), |r, _| state(
            r, SLAAC_A
        )
        .is_none()),
        "not expired: {log:?}"
    );
    assert!(log.contains(&Event::Ipv6AddressExpired(SLAAC_A)));
}
