//! MLDv2 against the Linux kernel (RFC 3810): the stack's TAP is a port of
//! a Linux bridge with multicast snooping and the bridge as querier, in a
//! network namespace of its own. The kernel checks every report as
//! `ipv6_mc_check_mld` wants it (hop limit 1, link-local source, Router
//! Alert, checksum) before `bridge mdb show` lists its group.
//!
//! Needs root, /dev/net/tun and `ip`/`bridge` (iproute2); without them the
//! test says why and passes, except under CI=true.

use std::time::{Duration as StdDuration, Instant as StdInstant};

use rstcp::iface::link_local_from_mac;
use rstcp::wire::Ipv6Addr;
use rstcp_tests::netns::{require_program, require_root};
use rstcp_tests::sim::MAC_A;
use rstcp_tests::tap_stack::{echo_service, KernelRig};

const GROUP: &str = "ff1e::4242";

/// `bridge mdb show` in the namespace.
fn mdb(rig: &KernelRig) -> String {
    let out = rig
        .ns
        .exec_ok("bridge", &["mdb", "show"])
        .expect("bridge mdb show");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits up to `limit` for `want(mdb)`; the last table either way.
fn wait_mdb(rig: &KernelRig, limit: StdDuration, want: impl Fn(&str) -> bool) -> (bool, String) {
    let start = StdInstant::now();
    loop {
        let table = mdb(rig);
        if want(&table) || start.elapsed() > limit {
            return (want(&table), table);
        }
        std::thread::sleep(StdDuration::from_millis(100));
    }
}

#[test]
fn a_snooping_bridge_lists_our_groups_and_drops_a_left_one() {
    if !require_root() || !require_program("bridge", "iproute2") {
        return;
    }
    let rig = KernelRig::new("rstcp-mld-", KernelRig::host(), |h| {
        echo_service(h, 7, 1, 4096)
    });
    let tap = rig.tap_name.clone();
    // The bridge snoops and queries (1 s Maximum Response Delay, 10 s
    // query interval), so the groups we joined before it existed are
    // learnt from our answers to its General Queries.
    for args in [
        &[
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "1",
            "mcast_querier",
            "1",
            "mcast_query_interval",
            "1000",
            "mcast_query_response_interval",
            "100",
            "mcast_startup_query_interval",
            "200",
        ][..],
        &["link", "set", &tap, "master", "br0"],
        &["link", "set", "br0", "up"],
    ] {
        rig.ns.exec_ok("ip", args).expect("bridge setup");
    }

    // A join: the unsolicited CHANGE_TO_EXCLUDE {} report is snooped at once.
    let now = rig.stack.now();
    let group: Ipv6Addr = GROUP.parse().unwrap();
    rig.stack
        .with(|h| h.iface.join_ipv6_group(group, now))
        .unwrap();
    let (ok, table) = wait_mdb(&rig, StdDuration::from_secs(5), |t| {
        t.lines().any(|l| l.contains(GROUP) && l.contains(&tap))
    });
    assert!(ok, "{GROUP} on port {tap} in:\n{table}");

    // The solicited-node group of our link-local address, joined at start,
    // from our answer to the bridge's query (RFC 3810 §6.2).
    let o = link_local_from_mac(&MAC_A).octets();
    let solicited = Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
    .to_string();
    let (ok, table) = wait_mdb(&rig, StdDuration::from_secs(30), |t| {
        t.lines()
            .any(|l| l.contains(&solicited) && l.contains(&tap))
    });
    assert!(ok, "{solicited} on port {tap} in:\n{table}");

    // The leave: CHANGE_TO_INCLUDE {}, the bridge's last-listener queries
    // go unanswered, and the group goes.
    let now = rig.stack.now();
    assert!(rig.stack.with(|h| h.iface.leave_ipv6_group(&group, now)));
    let (ok, table) = wait_mdb(&rig, StdDuration::from_secs(10), |t| !t.contains(GROUP));
    assert!(ok, "{GROUP} still in:\n{table}");
    // The solicited-node group stays: we keep answering queries for it.
    assert!(table.contains(&solicited), "{table}");
}
