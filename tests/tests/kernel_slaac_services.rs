//! `services` with no IPv6 flag on a Linux bridge where radvd advertises
//! 2001:db8:1::/64 with RDNSS (issue 12): it forms its SLAAC address
//! (RFC 4862 §5.5, EUI-64 of its MAC) after DAD, learns its default router
//! (RFC 4861 §6.3.4), and the kernel pings it (8000 bytes too) and echoes
//! 1 MB over TCP through it.
//!
//! Needs root, /dev/net/tun, iproute2, ping and radvd (Debian: radvd);
//! without them the test says why and passes, except under CI=true.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rstcp::wire::Ipv6Addr;
use rstcp_tests::example_bins::example;
use rstcp_tests::netns::{require_program, require_root, NetNs};

const TAP: &str = "tap0";
/// services' default MAC 02:00:00:77:77:77 in modified EUI-64.
const SLAAC: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0xff, 0xfe77, 0x7777);

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's pipe, as they come.
fn lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// A bridge with a persistent TAP for services and radvd on it.
fn bridge_with_radvd(ns: &NetNs, dir: &std::path::Path) -> rstcp_tests::netns::Background {
    for args in [
        &["link", "set", "lo", "up"][..],
        &["tuntap", "add", "dev", TAP, "mode", "tap"],
        &["link", "add", "br0", "type", "bridge"],
        &["link", "set", TAP, "master", "br0"],
        &["addr", "add", "192.168.69.100/24", "dev", "br0"],
        &[
            "-6",
            "addr",
            "add",
            "2001:db8:1::1/64",
            "dev",
            "br0",
            "nodad",
        ],
        &["link", "set", TAP, "up"],
        &["link", "set", "br0", "up"],
    ] {
        ns.exec_ok("ip", args).expect("configure the namespace");
    }
    ns.exec_ok("sysctl", &["-qw", "net.ipv6.conf.all.forwarding=1"])
        .expect("sysctl");
    let conf = dir.join("radvd.conf");
    std::fs::write(
        &conf,
        "interface br0 {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvDefaultLifetime 600;
  prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };
  RDNSS 2001:db8:1::1 { };
};
",
    )
    .unwrap();
    let pid = dir.join("radvd.pid");
    ns.spawn(
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

fn ping_ok(ns: &NetNs, size: usize) -> bool {
    let size = size.to_string();
    let target = SLAAC.to_string();
    ns.exec(
        "ping",
        &[
            "-6", "-c", "3", "-i", "0.2", "-W", "2", "-s", &size, &target,
        ],
    )
    .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(" 3 received"))
}

#[test]
fn services_without_ipv6_flags_gets_a_slaac_address_and_router_from_radvd() {
    if !require_root() || !require_program("radvd", "radvd") {
        return;
    }
    let exe = example("services");
    let ns = NetNs::new("rstcp-slaac-").expect("namespace");
    let dir = std::env::temp_dir().join(format!("rstcp-slaac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _radvd = bridge_with_radvd(&ns, &dir);
    let args = ["--tap", TAP, "--ipv4", "192.168.69.1/24", "--no-probe"];
    let mut child = Running(
        ns.command(exe.to_str().unwrap(), &args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start services"),
    );
    let out = lines(child.0.stdout.take().unwrap());
    let err = lines(child.0.stderr.take().unwrap());
    let ready = out
        .recv_timeout(Duration::from_secs(30))
        .expect("services printed nothing");
    assert!(ready.starts_with("ready"), "{ready}");

    // The SLAAC address: formed, through DAD, and reported on stderr.
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let passed = format!("{SLAAC}: DAD passed");
    while !log.iter().any(|l: &String| l.contains(&passed)) && Instant::now() < deadline {
        if let Ok(l) = err.recv_timeout(Duration::from_millis(200)) {
            log.push(l);
        }
    }
    assert!(log.iter().any(|l| l.contains(&passed)), "{ready}\n{log:#?}");
    // The default router (radvd's link-local address on br0).
    assert!(
        log.iter()
            .any(|l| l.contains("router fe80::") && l.contains("added")),
        "{log:#?}"
    );

    assert!(ping_ok(&ns, 56), "ping {SLAAC}");
    assert!(ping_ok(&ns, 8000), "ping -s 8000 {SLAAC}");

    // 1 MB echoed over TCP by the echo service on port 7.
    let echoed = ns.run(move || -> std::io::Result<bool> {
        let server = SocketAddr::new(SLAAC.into(), 7);
        let stream = TcpStream::connect_timeout(&server, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut writer = stream.try_clone()?;
        let sent = data.clone();
        let w = thread::spawn(move || -> std::io::Result<()> {
            writer.write_all(&sent)?;
            writer.shutdown(std::net::Shutdown::Write)
        });
        let mut back = Vec::with_capacity(data.len());
        (&stream).take(data.len() as u64).read_to_end(&mut back)?;
        w.join().unwrap()?;
        Ok(back == data)
    });
    assert!(echoed.expect("TCP echo"), "echo differs");
}
