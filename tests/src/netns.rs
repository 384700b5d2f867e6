//! Network namespaces for tests that put the Linux kernel on the other end
//! of the wire.
//!
//! A test makes a [`NetNs`], then a [`KernelTap`] in it: a TAP whose fd the
//! stack under test drives from the root namespace while the interface
//! itself sits in the namespace, configured as the kernel's side of the
//! link. Kernel tools run there with [`NetNs::exec`] / [`NetNs::spawn`];
//! in-process kernel sockets are made on a thread that
//! [`NetNs::enter_current_thread`]. Everything is torn down on drop, also
//! when the test panics, so no test touches the host's own interfaces.
//!
//! These tests need root (or `CAP_NET_ADMIN` + `CAP_SYS_ADMIN`),
//! `/dev/net/tun`, and `ip` from iproute2; see [`require_root`].

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use rstcp::wire::{Ipv4Addr, Ipv6Addr};
use rstcp_tap::TapDevice;

/// The kernel's IPv4 address on a [`KernelTap`] link.
pub const KERNEL_V4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 100);
/// The kernel's IPv6 address on a [`KernelTap`] link.
pub const KERNEL_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x100);
/// The stack's IPv4 address on a [`KernelTap`] link (the kernel side only
/// knows the /24; the stack must configure this address itself).
pub const STACK_V4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
/// The stack's IPv6 address on a [`KernelTap`] link.
pub const STACK_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);

/// True when this process can make namespaces and TAPs (root,
/// `/dev/net/tun`, `ip`). Otherwise prints why the test is skipped and
/// returns false, or panics under `CI=true`, where a skip would hide a
/// test that never ran.
pub fn require_root() -> bool {
    let why = missing_privilege();
    let Some(why) = why else { return true };
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("kernel test cannot run under CI=true: {why}");
    }
    eprintln!("skipped: {why}");
    false
}

/// True when `program` is on `PATH`. Otherwise prints that the test is
/// skipped and which apt `package` has it, or panics under `CI=true`, like
/// [`require_root`].
pub fn require_program(program: &str, package: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Not run to ask for a version: tools disagree on the flag.
    if std::env::split_paths(&path).any(|dir| dir.join(program).is_file()) {
        return true;
    }
    let why = format!("no `{program}` (apt-get install {package})");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("kernel test cannot run under CI=true: {why}");
    }
    eprintln!("skipped: {why}");
    false
}

fn missing_privilege() -> Option<String> {
    // SAFETY: geteuid(2) takes no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root (network namespaces and a TAP device)".into());
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("no /dev/net/tun (modprobe tun, or pass the device to the container)".into());
    }
    match Command::new("ip").arg("-V").output() {
        Ok(out) if out.status.success() => None,
        _ => Some("no `ip` command (install iproute2)".into()),
    }
}

/// A short name, unique in this process and unlikely to clash with another
/// test process: `prefix`, the pid, a counter.
fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}-{n}", std::process::id())
}

/// Runs a command to completion; an error names the command and its stderr.
fn run(cmd: &mut Command) -> io::Result<Output> {
    let out = cmd
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {cmd:?}: {e}")))?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out)
}

/// What [`NetNs::add_named_device`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// An Ethernet TAP.
    Tap,
    /// An IP-only TUN.
    Tun,
}

/// A network namespace made for one test, deleted on drop together with
/// every process still running in it.
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

impl NetNs {
    /// Creates a namespace named `prefix` plus a unique suffix
    /// (`ip netns add`).
    pub fn new(prefix: &str) -> io::Result<NetNs> {
        let name = unique_name(prefix);
        run(Command::new("ip").args(["netns", "add", &name]))?;
        Ok(NetNs { name })
    }

    /// The namespace's name, as `ip netns` knows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes a persistent TAP or TUN (`kind`) named `device` in the
    /// namespace, the kernel's side addressed ([`KERNEL_V4`]/24,
    /// [`KERNEL_V6`]/64 without duplicate address detection, so usable at
    /// once) and up, with `lo` up: an example opens it by name there, as a
    /// user opens `tap7` on a host.
    pub fn add_named_device(&self, device: &str, kind: DeviceKind) -> io::Result<()> {
        let mode = match kind {
            DeviceKind::Tap => "tap",
            DeviceKind::Tun => "tun",
        };
        let v4 = format!("{KERNEL_V4}/24");
        let v6 = format!("{KERNEL_V6}/64");
        for args in [
            &["link", "set", "lo", "up"][..],
            &["tuntap", "add", "dev", device, "mode", mode],
            &["addr", "add", &v4, "dev", device],
            &["addr", "add", &v6, "dev", device, "nodad"],
            &["link", "set", device, "up"],
        ] {
            self.exec_ok("ip", args)?;
        }
        Ok(())
    }

    /// Runs `cmd args…` in the namespace to completion and returns its
    /// output, whatever its exit status (the caller asserts on it).
    pub fn exec(&self, cmd: &str, args: &[&str]) -> io::Result<Output> {
        self.command(cmd, args).output()
    }

    /// Runs `cmd args…` in the namespace; an error when it fails, with its
    /// stderr in the message.
    pub fn exec_ok(&self, cmd: &str, args: &[&str]) -> io::Result<Output> {
        run(&mut self.command(cmd, args))
    }

    /// Starts `cmd args…` in the namespace in the background, output
    /// discarded. The process is killed when the returned guard drops, and
    /// in any case when the namespace does.
    pub fn spawn(&self, cmd: &str, args: &[&str]) -> io::Result<Background> {
        let child = self
            .command(cmd, args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start {cmd}: {e}")))?;
        Ok(Background { child })
    }

    /// A `Command` for `cmd args…` in the namespace, to adjust before running.
    pub fn command(&self, cmd: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, cmd]).args(args);
        c
    }

    /// Moves the calling thread into the namespace (`setns(2)` with
    /// `CLONE_NEWNET`). Sockets it makes from then on (`std::net`) live in
    /// the namespace and stay there even when used from other threads.
    /// Only this thread moves, for good: call it on a thread made for the
    /// purpose (see [`in_ns`](Self::in_ns)), never on the test's own.
    pub fn enter_current_thread(&self) -> io::Result<()> {
        enter(&self.name)
    }

    /// Runs `f` on a new thread inside the namespace; joining gives its
    /// result, or an error when the thread could not enter.
    pub fn in_ns<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<io::Result<T>> {
        let name = self.name.clone();
        std::thread::spawn(move || enter(&name).map(|()| f()))
    }

    /// Runs `f` on a thread inside the namespace (its `std::net` sockets
    /// are the kernel's there) and gives its result; panics if the thread
    /// panicked or could not enter.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        self.in_ns(f)
            .join()
            .expect("thread in the namespace")
            .expect("enter the namespace")
    }
}

/// Moves the calling thread into the network namespace `name`.
fn enter(name: &str) -> io::Result<()> {
    // iproute2 bind-mounts each named namespace here (NETNS_RUN_DIR).
    let path = format!("/var/run/netns/{name}");
    let ns = File::open(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open {path}: {e}")))?;
    // SAFETY: `ns` is an open namespace file for the duration of the call;
    // setns(2) reads nothing else from our memory.
    let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("setns into {name}: {e}")));
    }
    Ok(())
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // A process left in the namespace keeps it alive after `ip netns
        // del` and may hold a test's address: end them first. SIGKILL
        // lands when the process next runs, which on a loaded machine is
        // not at once, so wait (bounded) until none is left in it (a
        // zombie has left: it holds no namespace).
        let pids = || -> Vec<String> {
            Command::new("ip")
                .args(["netns", "pids", &self.name])
                .output()
                .map(|out| {
                    String::from_utf8_lossy(&out.stdout)
                        .split_whitespace()
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut left = pids();
        while !left.is_empty() && std::time::Instant::now() < deadline {
            for pid in &left {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            left = pids();
        }
        let deleted = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        if !matches!(deleted, Ok(s) if s.success()) {
            eprintln!("warning: could not delete network namespace {}", self.name);
        }
    }
}

/// A process started with [`NetNs::spawn`], killed on drop.
#[derive(Debug)]
pub struct Background {
    child: Child,
}

impl Background {
    /// The process, to wait on or read its pid.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TAP (or TUN, [`KernelTap::tun`]) whose fd is the stack's device and
/// whose interface is the kernel's side of the link, inside a [`NetNs`]:
/// `192.168.69.100/24` and `fd00::100/64` ([`KERNEL_V4`], [`KERNEL_V6`]),
/// up, with `lo` up.
#[derive(Debug)]
pub struct KernelTap {
    /// The stack's end: read and write frames here.
    pub device: TapDevice,
    /// The interface's name (in the namespace).
    pub name: String,
}

impl KernelTap {
    /// A TUN instead (bare IP packets, [`rstcp::phy::Medium::Ip`]), set up
    /// the same way: the kernel's side in `ns` with [`KERNEL_V4`]/24 and
    /// [`KERNEL_V6`]/64, so that it routes the stack's addresses out of it
    /// (no ARP or Neighbor Discovery on a TUN: `IFF_NOARP`). `offload` as
    /// for [`with_offload`](Self::with_offload).
    pub fn tun(ns: &NetNs, offload: bool) -> io::Result<KernelTap> {
        KernelTap::open(ns, offload, true)
    }

    /// Opens a TAP with a unique name in the root namespace, moves its
    /// interface into `ns` (the fd keeps working: it belongs to the device,
    /// not the namespace) and configures the kernel side there.
    pub fn new(ns: &NetNs) -> io::Result<KernelTap> {
        KernelTap::with_offload(ns, false)
    }

    /// [`new`](Self::new), with the kernel's offloads on the TAP when
    /// `offload` is true ([`TapDevice::open_with_offload`]): TSO and
    /// partial checksums both ways, super-frames from the kernel.
    pub fn with_offload(ns: &NetNs, offload: bool) -> io::Result<KernelTap> {
        KernelTap::open(ns, offload, false)
    }

    fn open(ns: &NetNs, offload: bool, tun: bool) -> io::Result<KernelTap> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        // IFNAMSIZ allows 15 bytes: "rst" + 5 digits of pid + "t" + counter.
        let name = format!(
            "rst{}t{}",
            std::process::id() % 100_000,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let device = if tun {
            TapDevice::open_tun_with_offload(&name, offload)?
        } else {
            TapDevice::open_with_offload(&name, offload)?
        };
        let name = device.name().to_string();
        run(Command::new("ip").args(["link", "set", &name, "netns", ns.name()]))?;
        let v4 = format!("{KERNEL_V4}/24");
        let v6 = format!("{KERNEL_V6}/64");
        ns.exec_ok("ip", &["link", "set", "lo", "up"])?;
        ns.exec_ok("ip", &["addr", "add", &v4, "dev", &name])?;
        // nodad: the address is usable at once instead of after ~1 s of
        // duplicate address detection (RFC 4862 §5.4).
        ns.exec_ok("ip", &["addr", "add", &v6, "dev", &name, "nodad"])?;
        ns.exec_ok("ip", &["link", "set", &name, "up"])?;
        Ok(KernelTap { device, name })
    }
}
