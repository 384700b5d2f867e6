//! The example programs as a user runs them: each built binary started with
//! `ip netns exec` in a namespace of its own, on a TAP there whose kernel
//! side is 192.168.69.100/24 and fd00::100/64, talking to kernel servers
//! (`std::net` sockets on a thread inside the namespace, `python3 -m
//! http.server`, dnsmasq). What is checked is what the user sees: the
//! output, the exit status, the file fetched.
//!
//! Needs root, /dev/net/tun and `ip`; the HTTP test also `python3`, the DHCP
//! test `dnsmasq` (Debian: dnsmasq-base), the services test `tshark`.
//! Without them each test says why and passes, except under CI=true.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rstcp_tests::dnsmasq;
use rstcp_tests::example_bins::example;
use rstcp_tests::netns::{
    require_root, DeviceKind, NetNs, KERNEL_V4, KERNEL_V6, STACK_V4, STACK_V6,
};

/// The TAP's name inside each test's namespace (namespaces keep the names
/// apart, so every test can use PyTCP's default).
const TAP: &str = "tap7";

/// True when `cmd --version` (or `cmd version`) runs; otherwise says why the
/// test is skipped, and fails under CI=true.
fn require_tool(cmd: &str, arg: &str, package: &str) -> bool {
    let ok = Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    let why = format!("no {cmd} (apt-get install {package})");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("kernel test cannot run under CI=true: {why}");
    }
    eprintln!("skipped: {why}");
    false
}

/// A namespace with a persistent TAP made inside it, the kernel's side
/// addressed and up: the example opens the TAP by name there, as a user
/// would open `tap7` on a host.
fn namespace() -> NetNs {
    let ns = NetNs::new("rstcp-ex-").expect("namespace");
    ns.add_named_device(TAP, DeviceKind::Tap)
        .expect("configure the namespace");
    ns
}

/// The flags that put an example on the namespace's TAP with static
/// addresses, then `args`.
fn static_args(args: &[&str]) -> Vec<String> {
    let mut v = vec![
        "--tap".to_string(),
        TAP.to_string(),
        "--ipv4".to_string(),
        format!("{STACK_V4}/24"),
        "--ipv6".to_string(),
        format!("{STACK_V6}/64"),
        // The namespace is ours alone: nobody to conflict with, so skip
        // the ~6 s of RFC 5227 probing each run would spend (the README's
        // demo, which CI runs, keeps it).
        "--no-probe".to_string(),
    ];
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// A running example, killed on drop (a failing test leaves nothing
/// behind; the namespace's teardown would end it too).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs example `name` with `args` in `ns`, `stdin` as its input, and
/// returns its output; fails the test when it runs longer than `limit`.
fn run_example(ns: &NetNs, name: &str, args: &[String], stdin: &[u8], limit: Duration) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = Running(
        ns.command(example(name).to_str().unwrap(), &args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example"),
    );
    let mut input = child.0.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let read_all = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = read_all(Box::new(child.0.stdout.take().unwrap()));
    let err = read_all(Box::new(child.0.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "{name} {args:?} ran over {limit:?}"
        );
        thread::sleep(Duration::from_millis(50));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    eprintln!(
        "--- {name} {args:?}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Starts example `name` in `ns` in the background; its stdout lines
/// arrive on the returned channel as it prints them.
fn spawn_example(ns: &NetNs, name: &str, args: &[String]) -> (Running, mpsc::Receiver<String>) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = Running(
        ns.command(example(name).to_str().unwrap(), &args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the example"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// Sends `signal` to the example and waits (at most 15 s) for it to exit.
fn stop_with(child: &mut Running, signal: &str) -> std::process::ExitStatus {
    // `ip netns exec` execs the example: the pid is the example's.
    let pid = child.0.id().to_string();
    let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "no exit after {signal}");
        thread::sleep(Duration::from_millis(50));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Start-up (RFC 5227 probing of the static address) takes about 6 s.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn ping_prints_replies_and_the_summary_v4_and_v6() {
    if !require_root() || !require_tool("tshark", "--version", "tshark") {
        return;
    }
    let ns = namespace();
    let dir = temp_dir("ping");
    for target in [IpAddr::V4(KERNEL_V4), IpAddr::V6(KERNEL_V6)] {
        let pcap = dir.join(format!("ping-{}.pcap", target.is_ipv4()));
        let t = target.to_string();
        let args = static_args(&["-c", "3", "-i", "0.2", "--pcap", pcap.to_str().unwrap(), &t]);
        let out = run_example(&ns, "ping", &args, b"", LIMIT);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let replies: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with(&format!("64 bytes from {t}: icmp_seq=")))
            .collect();
        assert_eq!(replies.len(), 3, "{stdout}");
        for (i, line) in replies.iter().enumerate() {
            assert!(
                line.contains(&format!("icmp_seq={} time=", i + 1)),
                "{line}"
            );
            assert!(line.ends_with(" ms"), "{line}");
        }
        assert!(stdout.contains(&format!("--- {t} ping statistics ---")));
        assert!(
            stdout.contains("3 packets transmitted, 3 received, 0% packet loss"),
            "{stdout}"
        );
        assert!(stdout.contains("rtt min/avg/max/mdev = "), "{stdout}");
        // The icmp_seq printed is the one on the wire.
        let filter = match target {
            IpAddr::V4(_) => "icmp.type == 8",
            IpAddr::V6(_) => "icmpv6.type == 128",
        };
        let field = if target.is_ipv4() {
            "icmp.seq"
        } else {
            "icmpv6.echo.sequence_number"
        };
        let seqs = tshark(&pcap, &["-Y", filter, "-T", "fields", "-e", field]);
        assert_eq!(seqs.split_whitespace().collect::<Vec<_>>(), ["1", "2", "3"]);
    }

    // 8000 bytes of data leave in fragments and come back reassembled.
    for target in ["192.168.69.100", "fd00::100"] {
        let args = static_args(&["-c", "2", "-i", "0.2", "-s", "8000", target]);
        let out = run_example(&ns, "ping", &args, b"", LIMIT);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(
            stdout.matches(&format!("8008 bytes from {target}")).count(),
            2,
            "{stdout}"
        );
        assert!(stdout.contains("2 received, 0% packet loss"), "{stdout}");
    }

    // Nobody at .99: no reply, 100% loss, exit status 1 as ping(8).
    let args = static_args(&["-c", "2", "-i", "0.1", "-W", "0.5", "192.168.69.99"]);
    let out = run_example(&ns, "ping", &args, b"", LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2 packets transmitted, 0 received, 100% packet loss"));

    // Without -c it pings until interrupted, then sums up and exits 0.
    let args = static_args(&["-i", "0.2", "192.168.69.100"]);
    let (mut child, rx) = spawn_example(&ns, "ping", &args);
    let deadline = Instant::now() + LIMIT;
    while !rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .expect("ping printed no third reply")
        .contains("icmp_seq=3 ")
    {}
    let status = stop_with(&mut child, "-INT");
    assert!(status.success(), "ping exited with {status} on SIGINT");
    let rest: Vec<String> = rx.iter().collect();
    assert!(
        rest.iter()
            .any(|l| l == "--- 192.168.69.100 ping statistics ---"),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.contains("received, 0% packet loss")),
        "{rest:?}"
    );
}

/// A directory for one test's files, removed first if a run left it.
fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rstcp-ex-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// tshark's output for a capture; fails on any complaint about the file.
fn tshark(pcap: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(args)
        .output()
        .expect("run tshark");
    let stderr = text(&out.stderr);
    // tshark warns about running as root; anything else is a problem.
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("Running as user \"root\"") && !l.trim().is_empty())
        .collect();
    assert!(
        out.status.success() && complaints.is_empty(),
        "tshark on {}: {stderr}",
        pcap.display()
    );
    text(&out.stdout)
}

/// A kernel TCP echo server on port `port` in `ns` (both families), serving
/// every connection; `transform` turns what arrives into what is sent back.
fn kernel_tcp_server(ns: &NetNs, port: u16, transform: fn(&mut [u8])) {
    for ip in [IpAddr::V4(KERNEL_V4), IpAddr::V6(KERNEL_V6)] {
        let listener = ns
            .run(move || std::net::TcpListener::bind(SocketAddr::new(ip, port)))
            .expect("bind the kernel's listener");
        thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = s.read(&mut buf) {
                        transform(&mut buf[..n]);
                        if s.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                });
            }
        });
    }
}

#[test]
fn tcp_echo_client_sends_lines_and_checks_the_echoes() {
    if !require_root() {
        return;
    }
    let ns = namespace();
    kernel_tcp_server(&ns, 7, |_| {});
    kernel_tcp_server(&ns, 8, |b| b.make_ascii_uppercase());

    let args = static_args(&["192.168.69.100", "7"]);
    let out = run_example(&ns, "tcp_echo_client", &args, b"hello\nworld\n", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\nworld\n");
    // The plain path (no virtio header, software checksums) alike.
    let args = static_args(&["--no-offload", "192.168.69.100", "7"]);
    let out = run_example(&ns, "tcp_echo_client", &args, b"hello\n", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\n");

    let args = static_args(&["--message", "over v6", "--count", "3", "fd00::100", "7"]);
    let out = run_example(&ns, "tcp_echo_client", &args, b"", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "over v6\n".repeat(3));

    // A server that echoes something else is caught.
    let args = static_args(&["--message", "quiet", "192.168.69.100", "8"]);
    let out = run_example(&ns, "tcp_echo_client", &args, b"", LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the echo differs"),
        "{}",
        text(&out.stderr)
    );

    // Nobody listening: a clear refusal, not a hang.
    let args = static_args(&["--message", "x", "192.168.69.100", "9"]);
    let out = run_example(&ns, "tcp_echo_client", &args, b"", LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("refused"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn udp_echo_client_retries_and_checks_the_echoes() {
    if !require_root() {
        return;
    }
    let ns = namespace();
    for ip in [IpAddr::V4(KERNEL_V4), IpAddr::V6(KERNEL_V6)] {
        let socket = ns
            .run(move || UdpSocket::bind(SocketAddr::new(ip, 7)))
            .expect("bind the kernel's UDP socket");
        // The first datagram is dropped, as a lossy network would: the
        // client must send it again.
        thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut first = true;
            while let Ok((n, from)) = socket.recv_from(&mut buf) {
                if !std::mem::take(&mut first) {
                    let _ = socket.send_to(&buf[..n], from);
                }
            }
        });
    }
    let args = static_args(&["--timeout", "0.5", "192.168.69.100", "7"]);
    let out = run_example(&ns, "udp_echo_client", &args, b"one\ntwo\n", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "one\ntwo\n");
    assert!(text(&out.stderr).contains("sending again"));

    let args = static_args(&["--timeout", "0.5", "--message", "six", "fd00::100", "7"]);
    let out = run_example(&ns, "udp_echo_client", &args, b"", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "six\n");

    // No server: every retry goes unanswered, then a clear failure.
    let args = static_args(&[
        "--timeout",
        "0.3",
        "--retries",
        "2",
        "--message",
        "x",
        "192.168.69.100",
        "9",
    ]);
    let out = run_example(&ns, "udp_echo_client", &args, b"", LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no echo from 192.168.69.100:9 after 3 tries"),
        "{}",
        text(&out.stderr)
    );
}

/// Waits until something in `ns` accepts TCP connections on `addr`.
fn wait_listening(ns: &NetNs, addr: SocketAddr) {
    let up = ns
        .in_ns(move || {
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return true;
                }
                thread::sleep(Duration::from_millis(100));
            }
            false
        })
        .join()
        .unwrap()
        .unwrap();
    assert!(up, "nothing listens on {addr} in the namespace");
}

#[test]
fn http_get_fetches_a_file_from_a_kernel_server() {
    if !require_root() || !require_tool("python3", "--version", "python3") {
        return;
    }
    let ns = namespace();
    let dir = temp_dir("http");
    // Not text, and bigger than any window: the body must arrive whole.
    let mut x = 0x9e37_79b9u32;
    let body: Vec<u8> = (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(dir.join("file"), &body).unwrap();
    let _server = ns
        .spawn(
            "python3",
            &[
                "-m",
                "http.server",
                "8080",
                "--bind",
                "192.168.69.100",
                "--directory",
                dir.to_str().unwrap(),
            ],
        )
        .expect("start python3 -m http.server");
    wait_listening(&ns, SocketAddr::new(IpAddr::V4(KERNEL_V4), 8080));

    // With the TAP's offloads (the default: super-frames from the kernel)
    // and without (plain frames, software checksums): the same body.
    for plain in [&[][..], &["--no-offload"][..]] {
        let mut args = static_args(plain);
        args.push("http://192.168.69.100:8080/file".to_string());
        let out = run_example(&ns, "http_get", &args, b"", LIMIT);
        assert!(out.status.success(), "{plain:?}: {}", text(&out.stderr));
        assert!(
            out.stdout == body,
            "{plain:?}: the body differs from the file"
        );
        assert!(
            text(&out.stderr).contains(" 200 OK"),
            "{}",
            text(&out.stderr)
        );
    }

    let args = static_args(&["http://192.168.69.100:8080/missing"]);
    let out = run_example(&ns, "http_get", &args, b"", LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(" 404 "), "{}", text(&out.stderr));

    // Chunked transfer coding, from a server of our own over IPv6.
    let listener = ns
        .in_ns(|| std::net::TcpListener::bind("[fd00::100]:8081"))
        .join()
        .unwrap()
        .unwrap()
        .unwrap();
    thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut r = BufReader::new(&s);
        let mut line = String::new();
        while r.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let mut w = &s;
        w.write_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              6\r\nchunks\r\n7;ext=1\r\n joined\r\n0\r\n\r\n",
        )
        .unwrap();
    });
    let args = static_args(&["http://[fd00::100]:8081/"]);
    let out = run_example(&ns, "http_get", &args, b"", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "chunks joined");

    // A malformed host: a clear error before touching the network (host
    // names are resolved: kernel_dns.rs).
    let out = Command::new(example("http_get"))
        .arg("http://bad_host/")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("bad host"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn dhcp_client_prints_the_lease_from_dnsmasq_and_its_renewal() {
    if !require_root() || !require_tool("dnsmasq", "--version", "dnsmasq-base") {
        return;
    }
    let ns = namespace();
    let dir = temp_dir("dhcp");
    let leases = format!("--dhcp-leasefile={}", dir.join("leases").display());
    let dhcp = [
        "--port=0",
        "--dhcp-range=192.168.69.50,192.168.69.60,255.255.255.0,2m",
        "--dhcp-option=option:dns-server,192.168.69.100",
        &leases,
    ];
    let _dnsmasq = dnsmasq::spawn(&ns, TAP, &dhcp).expect("start dnsmasq");
    let args: Vec<String> = ["--tap", TAP, "--once"].map(String::from).to_vec();
    let out = run_example(&ns, "dhcp_client", &args, b"", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let first = stdout.lines().next().unwrap_or("");
    // "lease 192.168.69.5x/24 from 192.168.69.100"
    let addr = first
        .strip_prefix("lease ")
        .and_then(|r| r.split_once("/24 from 192.168.69.100"))
        .map(|(a, _)| a.parse::<std::net::Ipv4Addr>().unwrap())
        .unwrap_or_else(|| panic!("no lease line: {stdout}"));
    assert!((50..=60).contains(&addr.octets()[3]) && addr.octets()[..3] == [192, 168, 69]);
    assert!(stdout.contains("router      192.168.69.100"), "{stdout}");
    assert!(stdout.contains("dns         192.168.69.100"), "{stdout}");
    assert!(stdout.contains("lease time  120 s"), "{stdout}");

    // Without --once it keeps the lease: the renewal at T1 (half of the
    // 2-minute lease, RFC 2131 §4.4.5) is printed, and SIGTERM ends it.
    let args: Vec<String> = ["--tap", TAP].map(String::from).to_vec();
    let (mut child, rx) = spawn_example(&ns, "dhcp_client", &args);
    let first = rx.recv_timeout(LIMIT).expect("no lease printed");
    assert!(first.starts_with(&format!("lease {addr}/24 ")), "{first}");
    let deadline = Instant::now() + Duration::from_secs(100);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("no renewal printed within 100 s");
        if line.starts_with("renewed ") {
            assert!(line.starts_with(&format!("renewed {addr}/24 ")), "{line}");
            break;
        }
    }
    let status = stop_with(&mut child, "-TERM");
    assert!(
        status.success(),
        "dhcp_client exited with {status} on SIGTERM"
    );
}

#[test]
fn services_serve_the_kernel_and_stop_cleanly_on_sigterm() {
    if !require_root() || !require_tool("tshark", "--version", "tshark") {
        return;
    }
    let ns = namespace();
    let dir = temp_dir("services");
    let pcap = dir.join("services.pcap");
    let args = static_args(&["--pcap", pcap.to_str().unwrap()]);
    let (mut child, rx) = spawn_example(&ns, "services", &args);
    let ready = rx.recv_timeout(LIMIT).expect("services printed nothing");
    assert!(ready.starts_with("ready "), "{ready}");
    assert!(ready.contains("192.168.69.1/24"), "{ready}");

    ns.in_ns(|| {
        for ip in [IpAddr::V4(STACK_V4), IpAddr::V6(STACK_V6)] {
            let at = |port| SocketAddr::new(ip, port);
            let t = Some(Duration::from_secs(5));
            // echo (RFC 862)
            let mut s = TcpStream::connect(at(7)).unwrap();
            s.set_read_timeout(t).unwrap();
            s.write_all(b"echo me").unwrap();
            let mut buf = [0u8; 7];
            s.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"echo me");
            drop(s);
            // daytime (RFC 867): one line, then the server closes.
            let mut s = TcpStream::connect(at(13)).unwrap();
            s.set_read_timeout(t).unwrap();
            let mut day = String::new();
            s.read_to_string(&mut day).unwrap();
            assert!(day.ends_with('\n') && day.len() > 10, "{day:?}");
            // chargen (RFC 864): printable lines until we close.
            let mut s = TcpStream::connect(at(19)).unwrap();
            s.set_read_timeout(t).unwrap();
            let mut lines = [0u8; 740];
            s.read_exact(&mut lines).unwrap();
            assert_eq!(lines[72..74], *b"\r\n");
            assert!(lines
                .iter()
                .all(|&b| b == b'\r' || b == b'\n' || (32..127).contains(&b)));
            drop(s);
            // discard (RFC 863): takes anything, answers nothing.
            let mut s = TcpStream::connect(at(9)).unwrap();
            s.write_all(&[0x55; 10_000]).unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            s.set_read_timeout(t).unwrap();
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty());
            // UDP echo and daytime.
            let any = SocketAddr::new(
                if ip.is_ipv4() {
                    IpAddr::from([0u8; 4])
                } else {
                    IpAddr::from([0u16; 8])
                },
                0,
            );
            let u = UdpSocket::bind(any).unwrap();
            u.set_read_timeout(t).unwrap();
            u.send_to(b"udp echo", at(7)).unwrap();
            let mut buf = [0u8; 1500];
            let (n, from) = u.recv_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from), (&b"udp echo"[..], at(7)));
            u.send_to(b"?", at(13)).unwrap();
            let (n, _) = u.recv_from(&mut buf).unwrap();
            assert!(buf[..n].ends_with(b"\n"));
        }
    })
    .join()
    .expect("the kernel's clients")
    .expect("enter the namespace");

    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "services did not stop on SIGTERM"
        );
        thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "services exited with {status}");
    // The capture was finished: tshark reads it without complaint, and it
    // holds the conversations above.
    let frames = tshark(&pcap, &["-Y", "tcp.port == 7 || udp.port == 7"]);
    assert!(frames.lines().count() >= 10, "{frames}");
}

/// The threads of process `pid` (`Threads:` of /proc/PID/status).
fn threads_of(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Threads: in /proc/PID/status")
}

#[test]
fn services_serves_many_clients_at_once_on_a_fixed_number_of_threads() {
    // A thread per connection held a stack and a malloc arena per client
    // and gave the memory back to nobody (issue 10 item 24); one event
    // loop per service holds the same number of threads for 1 or 300.
    if !require_root() {
        return;
    }
    let ns = namespace();
    let (mut child, rx) = spawn_example(&ns, "services", &static_args(&[]));
    let ready = rx.recv_timeout(LIMIT).expect("services printed nothing");
    assert!(ready.starts_with("ready "), "{ready}");
    let pid = child.0.id();
    let idle = threads_of(pid);
    let during = ns
        .in_ns(move || {
            let t = Some(Duration::from_secs(10));
            let mut conns: Vec<TcpStream> = (0..300)
                .map(|_| TcpStream::connect(SocketAddr::new(IpAddr::V4(STACK_V4), 7)).unwrap())
                .collect();
            // Every connection open at once, then each echoes.
            for (i, s) in conns.iter_mut().enumerate() {
                s.set_read_timeout(t).unwrap();
                let msg = format!("client {i}");
                s.write_all(msg.as_bytes()).unwrap();
                let mut back = vec![0u8; msg.len()];
                s.read_exact(&mut back).unwrap();
                assert_eq!(back, msg.as_bytes());
            }
            threads_of(pid)
        })
        .join()
        .expect("the kernel's clients")
        .expect("enter the namespace");
    assert_eq!(
        during, idle,
        "300 open connections took threads: {idle} before, {during} with them"
    );
    assert!(stop_with(&mut child, "-TERM").success());
}

#[test]
fn tap_echo_server_echoes_tcp_and_udp_v4_and_v6_for_the_kernel() {
    if !require_root() {
        return;
    }
    let ns = namespace();
    let args: Vec<String> = ["--tap", TAP, "--no-probe"].map(String::from).to_vec();
    let (mut child, rx) = spawn_example(&ns, "tap_echo_server", &args);
    let ready = rx
        .recv_timeout(LIMIT)
        .expect("tap_echo_server printed nothing");
    assert!(ready.starts_with("echo on "), "{ready}");
    ns.in_ns(|| {
        let t = Some(Duration::from_secs(10));
        for ip in [IpAddr::V4(STACK_V4), IpAddr::V6(STACK_V6)] {
            let at = SocketAddr::new(ip, 7);
            // 1 MB, far more than the server's rings (16 KiB): it moves
            // only as fast as the echo frees them.
            let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
            let mut s = TcpStream::connect_timeout(&at, Duration::from_secs(10)).unwrap();
            s.set_read_timeout(t).unwrap();
            let mut w = s.try_clone().unwrap();
            let sent = data.clone();
            let writer = thread::spawn(move || {
                w.write_all(&sent).unwrap();
                // The server closes its side once it echoed everything.
                w.shutdown(std::net::Shutdown::Write).unwrap();
            });
            let mut back = Vec::new();
            s.read_to_end(&mut back).unwrap();
            writer.join().unwrap();
            assert!(
                back == data,
                "TCP {at}: {} of {} bytes back",
                back.len(),
                data.len()
            );

            let any = if ip.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
            let u = UdpSocket::bind(any).unwrap();
            u.set_read_timeout(t).unwrap();
            // 5000 bytes: fragmented both ways.
            for len in [1usize, 1000, 5000] {
                let msg: Vec<u8> = (0..len).map(|i| (i % 239) as u8).collect();
                u.send_to(&msg, at).unwrap();
                let mut buf = [0u8; 65536];
                let (n, from) = u.recv_from(&mut buf).unwrap();
                assert_eq!(from, at);
                assert!(buf[..n] == msg[..], "UDP {at}: {len} bytes sent, {n} back");
            }
        }
    })
    .join()
    .expect("the kernel's clients")
    .expect("enter the namespace");
    let _ = stop_with(&mut child, "-TERM");
}

#[test]
fn the_readmes_std_snippet_echoes_hello_through_the_kernel() {
    // `quickstart` is the README's snippet word for word (readme_snippet.rs);
    // the namespace is the host side the README asks for: tap7 with
    // 192.168.69.100/24, up, and an echo server on port 7.
    if !require_root() {
        return;
    }
    let ns = namespace();
    kernel_tcp_server(&ns, 7, |_| {});
    example("quickstart"); // built before the clock starts
    let started = Instant::now();
    let out = run_example(&ns, "quickstart", &[], b"", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\n");
    // RFC 5227 probing (~6 s) and the connection: seconds, not minutes.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn tcp_echo_client_to_an_address_nobody_holds_says_host_unreachable_within_seconds() {
    // What a user sees when the address is wrong: a clear error naming it,
    // as fast as Linux's "No route to host" (3 unanswered ARP requests).
    if !require_root() {
        return;
    }
    let ns = namespace();
    example("tcp_echo_client"); // built before the clock starts
    let started = Instant::now();
    let args = static_args(&["--timeout", "30", "--message", "hi", "192.168.69.99", "7"]);
    let out = run_example(&ns, "tcp_echo_client", &args, b"", LIMIT);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("host unreachable"), "{stderr}");
    assert!(stderr.contains("192.168.69.99"), "{stderr}");
    assert!(took < Duration::from_secs(10), "after {took:?}");
}

#[test]
fn services_without_a_dhcp_server_says_what_it_waits_for_and_gives_up_at_its_timeout() {
    // Issue 14: with no DHCP server on the link, `services` was silent for
    // 30 s and then exited; it now says at once what it waits for, and
    // `--timeout` bounds the wait.
    if !require_root() {
        return;
    }
    let ns = namespace();
    example("services"); // built before the clock starts
    let started = Instant::now();
    let args: Vec<String> = ["--tap", TAP, "--no-slaac", "--timeout", "2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let out = run_example(&ns, "services", &args, b"", LIMIT);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let first = stderr.lines().next().unwrap_or("");
    assert!(first.contains("asking for a DHCPv4 lease"), "{stderr}");
    assert!(stderr.contains("no DHCPv4 lease after 2s"), "{stderr}");
    assert!(took < Duration::from_secs(10), "after {took:?}");
}

/// Issue 14, TUN: the examples' `--tun` opens the name as a TUN (bare IP
/// packets, no ARP or Neighbor Discovery) and uses its addresses at once
/// (no probing, no DAD, as Linux on a TUN): ping and the TCP echo client
/// against the kernel, both families, plain and with offloads, and a
/// capture of raw IP packets.
#[test]
fn ping_and_tcp_echo_client_run_over_a_tun() {
    if !require_root() {
        return;
    }
    const TUN: &str = "tun7";
    let ns = NetNs::new("rstcp-extun-").expect("namespace");
    ns.add_named_device(TUN, DeviceKind::Tun)
        .expect("configure the namespace");
    kernel_tcp_server(&ns, 7, |_| {});
    // No --no-probe: on a TUN there is nothing to probe.
    let tun_args = |more: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "--tun",
            "--tap",
            TUN,
            "--ipv4",
            &format!("{STACK_V4}/24"),
            "--ipv6",
            &format!("{STACK_V6}/64"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };
    let dir = temp_dir("tun");
    let pcap = dir.join("tun.pcap");
    for target in ["192.168.69.100", "fd00::100"] {
        // The kernel drops what it sends in the first moment after the
        // TUN's carrier comes up (its queue waits for linkwatch, up to 1 s;
        // the TUN's TX "dropped" counter shows it), and the example opens
        // the TUN afresh: one of three replies may go that way.
        let args = tun_args(&["-c", "3", "-i", "0.3", "-s", "3000", target]);
        let out = run_example(&ns, "ping", &args, b"", LIMIT);
        let stdout = text(&out.stdout);
        let replies = stdout.matches(&format!("3008 bytes from {target}")).count();
        assert!(replies >= 2, "{stdout}{}", text(&out.stderr));
        for offload in [
            &[][..],
            &["--no-offload"],
            &["--pcap", pcap.to_str().unwrap()],
        ] {
            let mut more = offload.to_vec();
            more.extend(["--message", "through a tun", "--count", "2", target, "7"]);
            let out = run_example(&ns, "tcp_echo_client", &tun_args(&more), b"", LIMIT);
            assert!(out.status.success(), "{more:?}: {}", text(&out.stderr));
            assert_eq!(text(&out.stdout), "through a tun\n".repeat(2));
        }
    }
    // The capture is raw IP (LINKTYPE_RAW, 101), read back as such.
    let file = std::fs::read(&pcap).expect("the capture");
    let mut r = rstcp_pcap::PcapReader::new(&file[..]).expect("a pcap");
    assert_eq!(r.link_type(), rstcp_pcap::LinkType::Raw);
    let mut packets = 0;
    while let Some(p) = r.next_packet() {
        let p = p.expect("a record");
        assert!(matches!(p.data[0] >> 4, 4 | 6), "{:02x?}", &p.data[..1]);
        packets += 1;
    }
    assert!(packets >= 6, "{packets} packets in the capture");
}

#[test]
fn async_echo_client_on_tokio_sends_lines_and_checks_the_echoes() {
    if !require_root() {
        return;
    }
    let ns = namespace();
    kernel_tcp_server(&ns, 7, |_| {});
    let args = static_args(&["192.168.69.100", "7"]);
    let out = run_example(&ns, "async_echo_client", &args, b"hello\nworld\n", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\nworld\n");
    let args = static_args(&["--message", "over v6", "--count", "3", "fd00::100", "7"]);
    let out = run_example(&ns, "async_echo_client", &args, b"", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "over v6\n".repeat(3));
    // Nobody listening: the refusal wakes the connecting task.
    let args = static_args(&["--message", "x", "192.168.69.100", "9"]);
    let out = run_example(&ns, "async_echo_client", &args, b"", LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("refused"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn reqwless_get_fetches_a_file_from_a_kernel_server() {
    if !require_root() || !require_tool("python3", "--version", "python3") {
        return;
    }
    let ns = namespace();
    let dir = temp_dir("reqwless");
    let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(dir.join("file"), &body).unwrap();
    let _server = ns
        .spawn(
            "python3",
            &[
                "-m",
                "http.server",
                "8080",
                "--bind",
                "192.168.69.100",
                "--directory",
                dir.to_str().unwrap(),
            ],
        )
        .expect("start python3 -m http.server");
    wait_listening(&ns, SocketAddr::new(IpAddr::V4(KERNEL_V4), 8080));
    let args = static_args(&["http://192.168.69.100:8080/file"]);
    let out = run_example(&ns, "reqwless_get", &args, b"", LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout == body, "the body differs from the file");
    assert!(
        text(&out.stderr).contains("HTTP 200"),
        "{}",
        text(&out.stderr)
    );
    let args = static_args(&["http://192.168.69.100:8080/missing"]);
    let out = run_example(&ns, "reqwless_get", &args, b"", LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("HTTP 404"),
        "{}",
        text(&out.stderr)
    );
}
