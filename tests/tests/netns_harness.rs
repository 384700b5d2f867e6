//! The namespace harness that kernel tests stand on: namespaces go away
//! with their guard, also on panic, and take their processes with them; a
//! thread that enters one sees only that namespace's addresses.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;

use rstcp_tests::netns::{require_root, KernelTap, NetNs};

fn namespace_exists(name: &str) -> bool {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name))
}

#[test]
fn a_namespace_is_deleted_on_drop_and_on_panic() {
    if !require_root() {
        return;
    }
    let ns = NetNs::new("rstcp-h-").unwrap();
    let name = ns.name().to_string();
    assert!(namespace_exists(&name));
    drop(ns);
    assert!(!namespace_exists(&name));

    let name = std::panic::catch_unwind(|| {
        let ns = NetNs::new("rstcp-h-").unwrap();
        std::panic::panic_any(ns.name().to_string());
    })
    .unwrap_err()
    .downcast::<String>()
    .unwrap();
    assert!(!namespace_exists(&name), "{name} survived a panic");
}

#[test]
fn processes_in_the_namespace_end_with_it() {
    if !require_root() {
        return;
    }
    let ns = NetNs::new("rstcp-h-").unwrap();
    let mut sleeper = ns.spawn("sleep", &["600"]).unwrap();
    let pid = sleeper.child().id();
    // `ip netns exec` enters the namespace after the fork: under load the
    // child may not be in it yet at the first look, so look for a while.
    let listed = || {
        let pids = ns.exec_ok("ip", &["netns", "pids", ns.name()]).unwrap();
        String::from_utf8_lossy(&pids.stdout)
            .split_whitespace()
            .any(|p| p == pid.to_string())
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !listed() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(listed(), "sleep {pid} never showed up in the namespace");
    // Leak the guard: the namespace's drop must still end the process.
    std::mem::forget(sleeper);
    drop(ns);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Gone, or a zombie waiting for a parent that leaked its handle.
    assert!(stat.is_empty() || stat.contains(") Z "), "{stat}");
}

#[test]
fn a_thread_in_the_namespace_binds_the_kernel_side_address() {
    if !require_root() {
        return;
    }
    let ns = NetNs::new("rstcp-h-").unwrap();
    let tap = KernelTap::new(&ns).unwrap();
    // The address exists only in the namespace: binding it elsewhere fails.
    assert!(TcpListener::bind((Ipv4Addr::new(192, 168, 69, 100), 0)).is_err());
    let bound = ns
        .in_ns(|| TcpListener::bind((Ipv4Addr::new(192, 168, 69, 100), 0)).is_ok())
        .join()
        .unwrap()
        .unwrap();
    assert!(bound);
    let addrs = ns
        .exec_ok("ip", &["addr", "show", "dev", &tap.name])
        .unwrap();
    let addrs = String::from_utf8_lossy(&addrs.stdout);
    assert!(addrs.contains("192.168.69.100/24"), "{addrs}");
    assert!(addrs.contains("fd00::100/64"), "{addrs}");
    assert!(addrs.contains("UP"), "{addrs}");
}
