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
