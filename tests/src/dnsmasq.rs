//! dnsmasq as the kernel side's DHCP and DNS server in a test's namespace,
//! started the same way by every test that needs one.
//!
//! Whatever the host has configured must not leak into a test: no config
//! file (`/etc/dnsmasq.conf` may exist on a developer's machine), no
//! `/etc/hosts`, no upstream from `/etc/resolv.conf` (a query must never
//! leave the namespace), no pid file, bound to the one interface it serves.

use std::io;

use crate::netns::{Background, NetNs};

/// The flags every test's dnsmasq starts with.
const ISOLATED: [&str; 6] = [
    "--no-daemon",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--bind-interfaces",
    "--pid-file=",
];

/// Starts dnsmasq in `ns`, serving only `interface`, with `extra` flags
/// after the isolating ones (`--port=0` for DHCP alone, `--host-record=…`,
/// `--dhcp-range=…`). It stops when the returned value drops.
pub fn spawn(ns: &NetNs, interface: &str, extra: &[&str]) -> io::Result<Background> {
    let interface = format!("--interface={interface}");
    let mut args: Vec<&str> = ISOLATED.to_vec();
    args.push(&interface);
    args.extend_from_slice(extra);
    ns.spawn("dnsmasq", &args)
}
