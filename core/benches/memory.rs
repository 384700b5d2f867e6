//! Bytes of state per socket, rstcp beside smoltcp 0.14: the socket
//! structs, and the slot each one takes in its socket set (a slot is sized
//! for the largest kind, in both stacks). Buffers are the caller's and
//! are not counted. Run with `cargo bench -p rstcp --bench memory`.

use std::mem::size_of;

fn main() {
    // smoltcp's ICMP socket and DHCP client are left out: their features
    // would change what smoltcp does in the other benchmarks of this crate.
    let rows: [(&str, usize, usize); 6] = [
        (
            "TCP connection",
            size_of::<rstcp::socket::tcp::TcpSocket<'static>>(),
            size_of::<smoltcp::socket::tcp::Socket<'static>>(),
        ),
        (
            "TCP listener",
            size_of::<rstcp::socket::tcp::TcpListener<'static>>(),
            // smoltcp listens with a TCP socket in LISTEN.
            size_of::<smoltcp::socket::tcp::Socket<'static>>(),
        ),
        (
            "UDP socket",
            size_of::<rstcp::socket::udp::UdpSocket<'static>>(),
            size_of::<smoltcp::socket::udp::Socket<'static>>(),
        ),
        (
            "socket set slot",
            size_of::<rstcp::socket::SocketStorage<'static>>(),
            size_of::<smoltcp::iface::SocketStorage<'static>>(),
        ),
        (
            "socket index slot",
            size_of::<rstcp::socket::IndexSlot>(),
            0,
        ),
        (
            "interface",
            size_of::<rstcp::iface::Interface<'static>>(),
            size_of::<smoltcp::iface::Interface>(),
        ),
    ];
    println!(
        "{:<20} {:>10} {:>10} {:>15}",
        "state (bytes)", "rstcp", "smoltcp", "rstcp/smoltcp"
    );
    for (name, a, b) in rows {
        let ratio = if b == 0 {
            "-".to_string()
        } else {
            format!("{:.2}x", a as f64 / b as f64)
        };
        println!("{name:<20} {a:>10} {b:>10} {ratio:>15}");
    }
    let slot = size_of::<rstcp::socket::SocketStorage<'static>>();
    let index = 2 * size_of::<rstcp::socket::IndexSlot>();
    println!(
        "10 000 UDP sockets: rstcp {} KiB of slots + {} KiB of index (load ≤ ½), smoltcp {} KiB of slots",
        10_000 * slot / 1024,
        10_000 * index / 1024,
        10_000 * size_of::<smoltcp::iface::SocketStorage<'static>>() / 1024
    );
}
