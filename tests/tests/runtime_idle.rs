//! An idle runtime sleeps: its thread waits on the device until a frame, a
//! deadline or a wake, and a blocked read does not make it spin. (Its own
//! test binary: it measures the whole process's CPU time.)

use std::io::{ErrorKind, Read};
use std::net::{IpAddr, SocketAddr};
use std::thread;
use std::time::Duration;

use rstcp::phy::pipe;
use rstcp::runtime::{Stack, StackConfig, TcpListener, TcpStream};
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

fn config(last: u8) -> StackConfig {
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
    c.ipv4 = vec![Ipv4Cidr::new(Ipv4Addr::new(10, 0, 0, last), 24).unwrap()];
    c.ipv4_probe = false;
    c.random_seed = Some(u64::from(last));
    c
}

/// User plus system CPU time of this process (Linux `/proc/self/stat`,
/// in clock ticks of 10 ms).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the parenthesised command name; utime and stime are
    // fields 14 and 15 of the whole line.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn an_idle_stack_with_a_blocked_reader_does_not_spin() {
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1)).unwrap();
    let b = Stack::start(db, config(2)).unwrap();
    let listener = TcpListener::bind(&b, 7, 1).unwrap();
    let client = TcpStream::connect(
        &a,
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 7),
    )
    .unwrap();
    let (_server, _) = listener.accept().unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    // Let the handshake's delayed ACKs and timers settle.
    thread::sleep(Duration::from_millis(200));
    let before = cpu_ticks();
    let err = (&client).read(&mut [0u8; 8]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    let used = cpu_ticks() - before;
    // 1.5 s of waiting: two stack threads and a reader that spun would
    // burn about 150 ticks; sleeping ones a handful at most.
    assert!(used < 20, "{used} ticks of CPU in 1.5 s idle");
}

/// Voluntary context switches of thread `tid` of this process so far: how
/// often it went to sleep, so how often something woke it.
fn sleeps_of(tid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .expect("voluntary_ctxt_switches in status")
        .trim()
        .parse()
        .unwrap()
}

/// A service waiting on a UDP socket sleeps through traffic that is not
/// its own: a thread blocked in `recv_from` is woken by a datagram for
/// it, not by every poll of the stack (with one such thread per UDP
/// service, each TCP segment used to wake them all and make them take the
/// lock the stack's thread polls under).
#[test]
fn a_blocked_udp_receive_sleeps_through_tcp_traffic() {
    use rstcp::runtime::UdpSocket;
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1)).unwrap();
    let b = Stack::start(db, config(2)).unwrap();
    let udp = UdpSocket::bind(&b, 9).unwrap();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let receiver = thread::spawn(move || {
        // "PID/task/TID" names this thread in /proc.
        let me = std::fs::read_link("/proc/thread-self").unwrap();
        tid_tx
            .send(me.file_name().unwrap().to_string_lossy().into_owned())
            .unwrap();
        let mut buf = [0u8; 16];
        let (n, _) = udp.recv_from(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    let tid = tid_rx.recv().unwrap();

    let listener = TcpListener::bind(&b, 7, 1).unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            std::io::Write::write_all(&mut s, &buf[..n]).unwrap();
        }
    });
    let mut client = TcpStream::connect(
        &a,
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 7),
    )
    .unwrap();
    client.set_nodelay(true).unwrap();
    thread::sleep(Duration::from_millis(100));
    let before = sleeps_of(&tid);
    // 300 echo round trips: several polls of b's stack each.
    let mut buf = [0u8; 32];
    for i in 0..300u32 {
        std::io::Write::write_all(&mut client, &i.to_be_bytes()).unwrap();
        client.read_exact(&mut buf[..4]).unwrap();
    }
    let woken = sleeps_of(&tid) - before;
    drop(client);
    server.join().unwrap();
    assert!(
        woken < 30,
        "the UDP receiver was woken {woken} times by 300 TCP echoes"
    );

    // It still wakes for its own datagram.
    let sender = UdpSocket::bind(&a, 0).unwrap();
    sender
        .send_to(
            b"mine",
            SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 9),
        )
        .unwrap();
    assert_eq!(receiver.join().unwrap(), b"mine");
}

/// A call sends what it made ready from its own thread: the datagram of a
/// `send_to` is on the wire when the call returns, with no hand-off to the
/// stack's thread (which would first have to be scheduled, and was woken
/// for every write: one context switch each way per call).
#[test]
fn a_datagram_is_on_the_wire_when_send_to_returns() {
    use rstcp::phy::{Device, RxToken};
    use rstcp::runtime::UdpSocket;
    let (da, mut wire) = pipe::pair();
    let a = Stack::start(da, config(1)).unwrap();
    let udp = UdpSocket::bind(&a, 0).unwrap();
    udp.set_broadcast(true).unwrap();
    // Whatever the stack sends by itself at start.
    thread::sleep(Duration::from_millis(300));
    let now = rstcp::time::Instant::ZERO;
    while let Some((rx, _)) = wire.receive(now) {
        rx.consume(|_| ());
    }
    let to = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(255, 255, 255, 255)), 9);
    for i in 0..50u32 {
        let msg = format!("datagram {i}");
        udp.send_to(msg.as_bytes(), to).unwrap();
        // No waiting: it is there now, or it is not.
        let mut found = false;
        while let Some((rx, _)) = wire.receive(now) {
            found |= rx.consume(|f| f.ends_with(msg.as_bytes()));
        }
        assert!(found, "{msg} was not on the wire when send_to returned");
    }
}
