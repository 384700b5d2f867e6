//! A blocked TCP read drives the device (the runtime's `drive.rs`): the
//! reading thread reads the frames, polls and copies the data out itself,
//! and the stack's thread stays out of the way, instead of reading and
//! polling every batch and then waking the reader (issue 10: receiving
//! through the impaired link, the stack's thread and the reader took
//! 3.1 ms of CPU per MB between them, the reader alone 2.4). Its own test
//! binary: it reads the CPU time of this process's threads.

use std::io::{Read, Write};
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
    c.tcp_rx_buffer = 256 * 1024;
    c.tcp_tx_buffer = 256 * 1024;
    c
}

/// This process's threads named `name` (their ids).
fn threads_named(name: &str) -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| {
            let tid = e.ok()?.file_name().to_string_lossy().into_owned();
            let comm = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).ok()?;
            (comm.trim_end() == name).then_some(tid)
        })
        .collect()
}

/// User plus system CPU time of thread `tid` of this process, in clock
/// ticks (10 ms).
fn ticks_of(tid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
    // Fields after the parenthesised command name; utime and stime are
    // fields 14 and 15 of the whole line.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn a_blocked_reader_receives_on_its_own_thread() {
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1)).unwrap();
    thread::sleep(Duration::from_millis(50));
    let before_b = threads_named("rstcp");
    let b = Stack::start(db, config(2)).unwrap();
    // The thread names itself once it runs.
    let mut stack_b = Vec::new();
    for _ in 0..100 {
        stack_b = threads_named("rstcp");
        stack_b.retain(|t| !before_b.contains(t));
        if !stack_b.is_empty() {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(stack_b.len(), 1, "the receiving stack's thread");
    let stack_b = &stack_b[0];

    let listener = TcpListener::bind(&b, 7, 1).unwrap();
    let to = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 7);
    const TOTAL: usize = 600 << 20;
    let writer = thread::spawn(move || {
        let mut s = TcpStream::connect(&a, to).unwrap();
        let chunk = vec![7u8; 64 * 1024];
        let mut sent = 0;
        while sent < TOTAL {
            s.write_all(&chunk).unwrap();
            sent += chunk.len();
        }
        drop(s);
        a
    });
    let (mut server, _) = listener.accept().unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let me = std::fs::read_link("/proc/thread-self").unwrap();
    let me = me.file_name().unwrap().to_string_lossy().into_owned();
    let (stack0, reader0) = (ticks_of(stack_b), ticks_of(&me));
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    loop {
        match server.read(&mut buf).unwrap() {
            0 => break,
            n => got += n,
        }
    }
    let (stack, reader) = (ticks_of(stack_b) - stack0, ticks_of(&me) - reader0);
    assert_eq!(got, TOTAL);
    eprintln!("CPU ticks: the receiving stack's thread {stack}, the reader {reader}");
    let a = writer.join().unwrap();
    // The reader parsed the frames and polled: the receiving stack's
    // thread, which did all of that before (more CPU than the reader's
    // copies), now only takes the device back when the reader is away.
    assert!(
        reader >= 5 && stack * 2 < reader,
        "the receiving stack's thread took {stack} ticks of CPU, the reader {reader}"
    );
    b.stop().unwrap();
    a.stop().unwrap();
}
