//! The std runtime's async stream (issue 14, Async item) between two
//! `Stack`s joined by an in-memory pipe: no root needed. The futures wait
//! on the core sockets' wakers, so a task that returned `Pending` must be
//! woken by the stack's thread for these tests to finish at all.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::thread;
use std::time::Duration;

use futures_lite::future;
use rstcp::phy::pipe;
use rstcp::runtime::{
    AsyncTcpListener, AsyncTcpStream, Stack, StackConfig, TcpListener, TcpStream,
};
use rstcp::socket::tcp::State;
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};
use rstcp_tests::bulk::{hash, Pattern};

const IP4_A: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
const IP4_B: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 2);

fn config(last: u8, v4: Ipv4Addr) -> StackConfig {
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
    c.ipv4 = vec![Ipv4Cidr::new(v4, 24).unwrap()];
    c.ipv4_probe = false;
    c.dad_transmits = 0;
    c.random_seed = Some(u64::from(last).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    c
}

fn stacks() -> (Stack, Stack) {
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1, IP4_A)).unwrap();
    let b = Stack::start(db, config(2, IP4_B)).unwrap();
    a.wait_configured(Duration::from_secs(5)).unwrap();
    b.wait_configured(Duration::from_secs(5)).unwrap();
    (a, b)
}

fn b_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(IP4_B), port)
}

/// A blocking echo server on B for one connection.
fn echo_server(b: &Stack, port: u16) -> thread::JoinHandle<()> {
    let listener = TcpListener::bind(b, port, 1).unwrap();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            s.write_all(&buf[..n]).unwrap();
        }
    })
}

/// Writes `sent` and reads the echo back in one task, the two halves
/// interleaved by `zip`: each waits on its own waker (room to send, data
/// to read) while the other runs.
async fn round_trip(stream: &AsyncTcpStream, sent: &[u8]) -> Vec<u8> {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let write = async {
        let mut w = stream;
        w.write_all(sent).await.unwrap();
        w.close().await.unwrap();
    };
    let read = async {
        let mut r = stream;
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        got
    };
    future::zip(write, read).await.1
}

#[test]
fn an_async_client_echoes_a_megabyte_through_the_pipe() {
    let (a, b) = stacks();
    let server = echo_server(&b, 7);
    let sent = Pattern::bytes(0x5eed, 1 << 20);
    let got = future::block_on(async {
        let stream = AsyncTcpStream::connect(&a, b_addr(7)).await.unwrap();
        assert_eq!(stream.state(), State::Established);
        round_trip(&stream, &sent).await
    });
    assert_eq!(got.len(), sent.len());
    assert_eq!(hash(&got), hash(&sent));
    server.join().unwrap();
}

#[test]
fn a_refused_async_connect_is_woken_with_the_error() {
    let (a, _b) = stacks();
    let e = future::block_on(AsyncTcpStream::connect(&a, b_addr(9))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
}

#[test]
fn a_pending_read_is_woken_by_data_that_comes_later() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 8, 1).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        // Only once the client's read is parked.
        rx.recv().unwrap();
        thread::sleep(Duration::from_millis(100));
        s.write_all(b"late").unwrap();
    });
    let got = future::block_on(async {
        let stream = AsyncTcpStream::connect(&a, b_addr(8)).await.unwrap();
        tx.send(()).unwrap();
        let mut buf = [0u8; 8];
        let n = stream.read(&mut buf).await.unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(got, b"late");
    server.join().unwrap();
}

#[test]
fn tokio_reads_and_writes_through_the_same_stream() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (a, b) = stacks();
    let server = echo_server(&b, 7);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let sent = Pattern::bytes(0x70c10, 256 * 1024);
    let got = rt.block_on(async {
        let stream = AsyncTcpStream::connect(&a, b_addr(7)).await.unwrap();
        let (mut r, mut w) = (&stream, &stream);
        let write = async {
            w.write_all(&sent).await.unwrap();
            w.shutdown().await.unwrap();
        };
        let read = async {
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.unwrap();
            got
        };
        tokio::time::timeout(Duration::from_secs(30), async {
            tokio::join!(write, read).1
        })
        .await
        .expect("the stack's wakers drive tokio to the end")
    });
    assert_eq!(hash(&got), hash(&sent));
    server.join().unwrap();
}

#[test]
fn an_async_server_accepts_connections_that_come_later_and_serves_them_in_one_task() {
    use futures_lite::AsyncReadExt;
    let (a, b) = stacks();
    let listener = AsyncTcpListener::bind(&b, 7, 4).unwrap();
    // Clients connect only once the server's accept is parked.
    let clients = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        (0..3u8)
            .map(|i| {
                let mut s = TcpStream::connect(&a, b_addr(7)).unwrap();
                s.write_all(&[i; 1000]).unwrap();
                s.shutdown(std::net::Shutdown::Write).unwrap();
                let mut back = Vec::new();
                s.read_to_end(&mut back).unwrap();
                back
            })
            .collect::<Vec<_>>()
    });
    future::block_on(async {
        for _ in 0..3 {
            let (mut stream, peer) = listener.accept().await.unwrap();
            assert_eq!(peer.ip(), IpAddr::V4(IP4_A));
            let mut got = Vec::new();
            stream.read_to_end(&mut got).await.unwrap();
            stream.write_all(&got).await.unwrap();
        }
    });
    let backs = clients.join().unwrap();
    for (i, back) in backs.iter().enumerate() {
        assert_eq!(back, &vec![i as u8; 1000]);
    }
}

/// A blocking UDP echo server on B, for `count` datagrams, each echoed
/// after `delay` (so the client's receive is parked first).
fn udp_echo(b: &Stack, port: u16, count: usize, delay: Duration) -> thread::JoinHandle<()> {
    let socket = rstcp::runtime::UdpSocket::bind(b, port).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        for _ in 0..count {
            let (n, from) = socket.recv_from(&mut buf).unwrap();
            thread::sleep(delay);
            socket.send_to(&buf[..n], from).unwrap();
        }
    })
}

#[test]
fn embedded_nal_async_udp_stack_talks_connected_and_unconnected() {
    use embedded_nal_async::{ConnectedUdp, UdpStack, UnconnectedUdp};
    let (a, b) = stacks();
    let server = udp_echo(&b, 53, 2, Duration::from_millis(100));
    future::block_on(async {
        let any = SocketAddr::from(([0, 0, 0, 0], 0));
        let (local, mut connected) = a.connect_from(any, b_addr(53)).await.unwrap();
        assert_eq!(local.ip(), IpAddr::V4(IP4_A));
        assert_ne!(local.port(), 0, "an ephemeral port");
        ConnectedUdp::send(&mut connected, b"one").await.unwrap();
        let mut buf = [0u8; 2];
        // The whole length, though only 2 bytes fit (the trait's rule).
        let n = ConnectedUdp::receive_into(&mut connected, &mut buf)
            .await
            .unwrap();
        assert_eq!((n, &buf), (3, b"on"));

        let (bound, mut single) = a.bind_single(any).await.unwrap();
        UnconnectedUdp::send(&mut single, bound, b_addr(53), b"two")
            .await
            .unwrap();
        let mut buf = [0u8; 16];
        let (n, to, from) = UnconnectedUdp::receive_into(&mut single, &mut buf)
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"two");
        assert_eq!(from, b_addr(53));
        assert_eq!(to, SocketAddr::new(IpAddr::V4(IP4_A), bound.port()));
    });
    server.join().unwrap();
}
