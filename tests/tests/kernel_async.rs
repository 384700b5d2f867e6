//! The runtime's async adapters against the Linux kernel over a TAP, the
//! kernel in a namespace of its own (issue 14, Async and embedded items):
//! an `AsyncTcpStream` under futures-io through a kernel echo server, and
//! reqwless — an HTTP client from crates.io written for embedded-nal-async
//! and embedded-io-async — fetching a file from `python3 -m http.server`
//! with the `Stack` as its network, unchanged.
//!
//! Needs root, /dev/net/tun and `ip`, and `python3` for the HTTP test;
//! without them each test says why and passes, except under CI=true.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use futures_lite::future;
use rstcp::runtime::{AsyncTcpStream, Stack, StackConfig};
use rstcp::wire::{Ipv4Cidr, Ipv6Cidr};
use rstcp_tests::bulk::{hash, Pattern};
use rstcp_tests::netns::{
    require_program, require_root, KernelTap, NetNs, KERNEL_V4, KERNEL_V6, STACK_V4, STACK_V6,
};
use rstcp_tests::sim::MAC_A;

/// The runtime over a TAP whose other side is the kernel in `ns`; the
/// stack stops (closing the TAP) before the namespace goes.
struct Rig {
    stack: Stack,
    ns: NetNs,
}

impl Rig {
    fn new() -> Rig {
        let ns = NetNs::new("rstcp-as-").expect("namespace");
        let tap = KernelTap::new(&ns).expect("TAP in the namespace");
        let mut c = StackConfig::new(MAC_A);
        c.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
        c.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).unwrap()];
        // Only the kernel is on the link: no probes, no DAD.
        c.ipv4_probe = false;
        c.dad_transmits = 0;
        let stack = Stack::start(tap.device, c).expect("start the stack");
        Rig { stack, ns }
    }
}

/// A kernel echo server on `addr` in the namespace, for one connection.
fn kernel_echo_server(ns: &NetNs, addr: SocketAddr) -> thread::JoinHandle<()> {
    let listener = ns.run(move || std::net::TcpListener::bind(addr).unwrap());
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            s.write_all(&buf[..n]).unwrap();
        }
    })
}

#[test]
fn futures_io_client_echoes_a_megabyte_through_a_kernel_server_v4_and_v6() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    if !require_root() {
        return;
    }
    let rig = Rig::new();
    for (port, kernel) in [(5000, IpAddr::V4(KERNEL_V4)), (5001, IpAddr::V6(KERNEL_V6))] {
        let addr = SocketAddr::new(kernel, port);
        let server = kernel_echo_server(&rig.ns, addr);
        let sent = Pattern::bytes(0xa5f1_0000 + u64::from(port), 1 << 20);
        let got = future::block_on(async {
            let stream = AsyncTcpStream::connect(&rig.stack, addr).await.unwrap();
            let write = async {
                let mut w = &stream;
                w.write_all(&sent).await.unwrap();
                w.close().await.unwrap();
            };
            let read = async {
                let mut got = Vec::new();
                let mut r = &stream;
                r.read_to_end(&mut got).await.unwrap();
                got
            };
            future::zip(write, read).await.1
        });
        assert_eq!(got.len(), sent.len(), "{addr}");
        assert_eq!(hash(&got), hash(&sent), "{addr}");
        server.join().unwrap();
    }
}

/// `python3 -m http.server` on 192.168.69.100:`port` in the namespace,
/// serving `dir`; killed on drop.
struct HttpServer(std::process::Child);

impl HttpServer {
    fn start(ns: &NetNs, dir: &std::path::Path, port: u16) -> HttpServer {
        let child = ns
            .command(
                "python3",
                &[
                    "-m",
                    "http.server",
                    &port.to_string(),
                    "--bind",
                    &KERNEL_V4.to_string(),
                    "--directory",
                    dir.to_str().unwrap(),
                ],
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        let addr = SocketAddr::new(IpAddr::V4(KERNEL_V4), port);
        let up = ns
            .in_ns(move || {
                let deadline = Instant::now() + Duration::from_secs(15);
                while Instant::now() < deadline {
                    if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                        .is_ok()
                    {
                        return true;
                    }
                    thread::sleep(Duration::from_millis(100));
                }
                false
            })
            .join()
            .unwrap()
            .unwrap();
        assert!(up, "python3 -m http.server does not listen on {addr}");
        HttpServer(child)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn reqwless_fetches_a_file_from_a_kernel_http_server_unchanged() {
    use reqwless::client::HttpClient;
    use reqwless::request::Method;
    if !require_root() || !require_program("python3", "python3") {
        return;
    }
    let rig = Rig::new();
    let dir = std::env::temp_dir().join(format!("rstcp-reqwless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Not text, larger than the socket's windows: it must arrive whole.
    let body = Pattern::bytes(0x0e9e_5500, 300 * 1024);
    std::fs::write(dir.join("file"), &body).unwrap();
    let _server = HttpServer::start(&rig.ns, &dir, 8080);

    let fetch = |url: &'static str| {
        future::block_on(async {
            // The stack is reqwless's TcpConnect and its Dns.
            let mut client = HttpClient::new(&rig.stack, &rig.stack);
            let mut request = client.request(Method::GET, url).await.unwrap();
            let mut buf = vec![0u8; 1 << 20];
            let response = request.send(&mut buf).await.unwrap();
            let status = response.status.0;
            let got = response.body().read_to_end().await.unwrap().to_vec();
            (status, got)
        })
    };
    let (status, got) = fetch("http://192.168.69.100:8080/file");
    assert_eq!(status, 200);
    assert_eq!(got.len(), body.len());
    assert_eq!(hash(&got), hash(&body));
    let (status, _) = fetch("http://192.168.69.100:8080/missing");
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(&dir);
}
