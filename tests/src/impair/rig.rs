//! The topology of one measurement: the kernel peer in a namespace behind
//! a TAP, the tested side in another namespace behind its own TAP, and the
//! forwarder bridging the two TAPs, impairing both directions.
//!
//! ```text
//!  tested side (one of)                 forwarder (threads here)      peer
//!  rstcp Stack ── TAP fd ══ netdev ── AF_PACKET ─┐               ┌─ TAP fd ══ netdev ── Linux TCP
//!                 (ns "f", no address)           ├─ a→b ─▶ b→a ◀─┤  (ns "k", 192.168.69.100)
//!  Linux TCP ── netdev ══ TAP fd ────────────────┘
//!  (ns "l", 192.168.69.1)
//! ```
//!
//! The rstcp stack owns its TAP's fd, so the forwarder reaches that TAP
//! from the interface side, with a packet socket; the kernel's TAPs it
//! reaches through their fds. The peer's side is the same for both.

use std::io;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use rstcp::runtime::{Stack, StackConfig};
use rstcp::wire::{Ipv4Cidr, Ipv6Cidr};
use rstcp_tap::TapDevice;

use super::forward::{DirectionStats, Forwarder};
use super::port::Port;
use super::profile::Profile;
use crate::netns::{KernelTap, NetNs, STACK_V4, STACK_V6};
use crate::sim::MAC_A;

/// Receive and send buffer of the rstcp connection (issue 10's setting).
pub const RSTCP_BUFFER: usize = 1 << 20;

/// Which stack is tested against the kernel peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// rstcp's std runtime on a TAP.
    Rstcp,
    /// The Linux kernel in a namespace of its own: the yardstick.
    Linux,
}

/// The tested side's end of the link.
pub enum Tested {
    /// A running rstcp stack.
    Rstcp(Stack),
    /// The namespace whose kernel is the tested side.
    Linux(NetNs),
}

/// One measurement's namespaces, TAPs, forwarder and stacks; dropping it
/// stops the stack and the forwarder and deletes the namespaces (fields
/// drop in this order).
pub struct Rig {
    /// The tested side.
    pub tested: Tested,
    forwarder: Option<Forwarder>,
    _peer_tap: TapDevice,
    /// The TAP interfaces' names: the peer's, the tested side's.
    tap_names: [String; 2],
    /// The kernel peer's namespace (192.168.69.100, fd00::100).
    pub peer: NetNs,
    /// For rstcp: the namespace holding its TAP's interface.
    _rstcp_ns: Option<NetNs>,
}

impl Rig {
    /// Builds the topology for `side` with `profile` on the link, random
    /// choices from `seed`; namespace names start with `prefix`. `offload`:
    /// rstcp's TAP with the kernel's offloads (see the Rstcp arm).
    pub fn new(
        side: Side,
        profile: &Profile,
        seed: u64,
        prefix: &str,
        offload: bool,
    ) -> io::Result<Rig> {
        let peer = NetNs::new(&format!("{prefix}k"))?;
        let peer_tap = KernelTap::new(&peer)?;
        long_queue(&peer, &peer_tap.name)?;
        let peer_port = Port::tap(&peer_tap.device)?;
        let (tested, tested_port, rstcp_ns, tested_tap) = match side {
            Side::Linux => {
                let ns = NetNs::new(&format!("{prefix}l"))?;
                let tap = kernel_side_tap(&ns)?;
                let port = Port::tap(&tap)?;
                (Tested::Linux(ns), port, None, tap.name().to_string())
            }
            Side::Rstcp => {
                let ns = NetNs::new(&format!("{prefix}f"))?;
                // As users run it: with the TAP's offloads (the runtime's
                // default), the stack hands the kernel 64 KB TSO
                // super-frames with partial checksums; the forwarder reads
                // them whole through a PACKET_VNET_HDR socket and cuts them
                // into segments (super::gso), the work the kernel's GSO
                // does for Linux's sender on its plain TAP. `offload`
                // false: plain frames, the stack segmenting itself.
                let tap = TapDevice::open_with_offload(&tap_name('r'), offload)?;
                let vnet = tap.offloads().tx();
                let name = tap.name().to_string();
                ip(&["link", "set", &name, "netns", ns.name()])?;
                // The kernel must not talk on this interface (router
                // solicitations, MLD): it only carries rstcp's frames.
                // (Written from a thread in the namespace: /proc/sys/net is
                // the writer's namespace's.)
                let knob = format!("/proc/sys/net/ipv6/conf/{name}/disable_ipv6");
                ns.run(move || std::fs::write(&knob, "1"))?;
                ns.exec_ok("ip", &["link", "set", &name, "up"])?;
                long_queue(&ns, &name)?;
                let port = {
                    let name = name.clone();
                    if vnet {
                        ns.run(move || Port::packet_vnet(&name))?
                    } else {
                        ns.run(move || Port::packet(&name))?
                    }
                };
                let stack = Stack::start(tap, rstcp_config(seed))?;
                (Tested::Rstcp(stack), port, Some(ns), name)
            }
        };
        let forwarder = Forwarder::start(tested_port, peer_port, profile, seed);
        Ok(Rig {
            tested,
            forwarder: Some(forwarder),
            _peer_tap: peer_tap.device,
            tap_names: [peer_tap.name, tested_tap],
            peer,
            _rstcp_ns: rstcp_ns,
        })
    }

    /// Frames the two TAP interfaces dropped so far, either way: a host
    /// that did not keep up (a full queue towards a TAP's reader, a full
    /// backlog into a kernel), not the link's doing. Their retransmissions
    /// are in the senders' counts all the same.
    pub fn tap_drops(&self) -> io::Result<u64> {
        let tested_ns = match (&self.tested, &self._rstcp_ns) {
            (Tested::Linux(ns), _) | (Tested::Rstcp(_), Some(ns)) => ns,
            (Tested::Rstcp(_), None) => {
                return Err(io::Error::other("no namespace for rstcp's TAP"))
            }
        };
        let mut total = 0;
        for (ns, name) in [
            (&self.peer, &self.tap_names[0]),
            (tested_ns, &self.tap_names[1]),
        ] {
            let out = ns.exec_ok("ip", &["-s", "-j", "link", "show", "dev", name])?;
            let v: serde_json::Value =
                serde_json::from_slice(&out.stdout).map_err(io::Error::other)?;
            for dir in ["rx", "tx"] {
                total += v[0]["stats64"][dir]["dropped"].as_u64().unwrap_or(0);
            }
        }
        Ok(total)
    }

    /// Stops the forwarder; what it did in each direction (tested→peer,
    /// peer→tested).
    pub fn stop_forwarder(&mut self) -> [DirectionStats; 2] {
        self.forwarder
            .take()
            .map(Forwarder::stop)
            .unwrap_or_default()
    }
}

/// The rstcp stack: 192.168.69.1/24 and fd00::1/64, 1 MiB TCP buffers,
/// seeded (ISNs, ports) so a run repeats.
pub fn rstcp_config(seed: u64) -> StackConfig {
    let mut c = StackConfig::new(MAC_A);
    c.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).expect("a /24")];
    c.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).expect("a /64")];
    // The link holds nobody else: skip 5 s of RFC 5227 probes.
    c.ipv4_probe = false;
    c.random_seed = Some(seed);
    c.tcp_rx_buffer = RSTCP_BUFFER;
    c.tcp_tx_buffer = RSTCP_BUFFER;
    c
}

/// A TAP whose interface is the kernel's tested side in `ns`, with the
/// stack's addresses (192.168.69.1/24, fd00::1/64).
fn kernel_side_tap(ns: &NetNs) -> io::Result<TapDevice> {
    let tap = TapDevice::open(&tap_name('l'))?;
    let name = tap.name().to_string();
    ip(&["link", "set", &name, "netns", ns.name()])?;
    let v4 = format!("{STACK_V4}/24");
    let v6 = format!("{STACK_V6}/64");
    ns.exec_ok("ip", &["link", "set", "lo", "up"])?;
    ns.exec_ok("ip", &["addr", "add", &v4, "dev", &name])?;
    ns.exec_ok("ip", &["addr", "add", &v6, "dev", &name, "nodad"])?;
    ns.exec_ok("ip", &["link", "set", &name, "up"])?;
    long_queue(ns, &name)?;
    Ok(tap)
}

/// Lengthens a TAP's queue towards its fd (the kernel's send path drops
/// at its tail when full: 500 frames by default). A kernel sending at
/// line rate into the forwarder would otherwise lose frames the profile
/// never asked for and count them as retransmissions; the forwarder's
/// packet socket on rstcp's side has megabytes.
fn long_queue(ns: &NetNs, name: &str) -> io::Result<()> {
    ns.exec_ok("ip", &["link", "set", "dev", name, "txqueuelen", "10000"])
        .map(drop)
}

/// A TAP name unique to this process: "imp", 5 digits of the pid, the
/// role, a counter (under IFNAMSIZ).
fn tap_name(role: char) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "imp{}{role}{}",
        std::process::id() % 100_000,
        NEXT.fetch_add(1, Ordering::Relaxed) % 1000
    )
}

/// `ip ARGS…` in the root namespace; an error carries its stderr.
fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
