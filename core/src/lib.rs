//! `rstcp`: a TCP/IP stack for bare-metal firmware and std programs alike.
//!
//! The crate is `#![no_std]` and needs no heap. It is built in layers:
//!
//! - [`wire`]: typed, zero-copy views over packet bytes (`XxxPacket<T: AsRef<[u8]>>`)
//!   and high-level representations (`XxxRepr`) that parse from and emit into
//!   those views. Every view has a checked constructor; once it succeeds, no
//!   accessor can panic whatever the bytes are.
//! - [`phy`]: the [`Device`](phy::Device) trait a NIC driver implements; it
//!   lends its own buffers, so a frame is never copied on the way.
//! - [`iface`]: the [`Interface`](iface::Interface) (Ethernet, ARP, IPv4,
//!   IPv6, ICMP, NDP, fragments, routes) and [`socket`]: TCP, UDP, ICMP,
//!   raw IP and a DHCPv4 client in a [`SocketSet`](socket::SocketSet).
//! - [`dns`]: a DNS stub resolver (A and AAAA, retries, several servers)
//!   over a UDP socket of the set or any transport.
//! - [`storage`]: the rings and packet queues, over memory the caller lends.
//! - [`time`]: the stack's [`Instant`](time::Instant) and
//!   [`Duration`](time::Duration).
//!
//! The interface, sockets and the TCP engine are driven only by an explicit
//! `poll(now)`: the crate never reads a clock, spawns a thread or allocates
//! on its own.
//!
//! # Quick start on bare metal
//!
//! A whole TCP echo server, no heap, no std, every buffer an array lent to
//! the stack. The board supplies four things: its NIC driver (a
//! [`Device`](phy::Device)), a clock, a way to sleep until the NIC's
//! interrupt or a deadline, and a random seed. The loop's one rule: after
//! a [`poll`](iface::Interface::poll) that moved frames, poll again before
//! sleeping. (The same code, word for word, is in the README;
//! `core/nostd-check` links and runs it in a `#![no_std]` binary, and a
//! test echoes through it.)
//!
#![doc = "```no_run"]
#![doc = include_str!("../doc/bare_metal.rs")]
#![doc = "```"]
//!
//! # Quick start with std
//!
//! With the `std` feature, `rstcp::runtime` runs the stack on a thread of
//! its own and gives blocking `TcpStream`, `TcpListener`, `UdpSocket` and
//! `ping` shaped like `std::net`'s, over a Linux TAP (`rstcp-tap`) or any
//! device. The README has a whole program and the host-side commands it
//! needs; `time::StdClock` drives a core interface from `std::time`.
//!
//! # Names
//!
//! The sockets of the core are named by their module: [`socket::tcp::Socket`],
//! [`socket::tcp::Listener`], [`socket::udp::Socket`], [`socket::icmp::Socket`],
//! [`socket::raw::Socket`]. The names `TcpStream`, `TcpListener` and
//! `UdpSocket` belong to the std-like blocking handles of `rstcp::runtime`.
//! (The former core names, `TcpSocket`, `TcpListener`, `UdpSocket`,
//! `IcmpSocket` and `RawSocket` in their modules, remain as aliases.)
//!
//! # Features
//! - `alloc`: lets buffers and socket sets live in a `Vec`. (The in-memory
//!   test devices, the loopback, the link between two interfaces and the
//!   fault injector, are test tooling: they live in the `rstcp-testkit`
//!   crate.)
//! - `std`: `alloc`, plus the threaded `runtime` module with blocking
//!   sockets shaped like `std::net`, the in-memory `phy::pipe` device it
//!   is tested over, and `time::StdClock` (conversions from and to
//!   `std::time`). (Every error type implements `core::error::Error`
//!   whatever the features.)
//! - `log` / `defmt`: route the crate's diagnostics to one of these back-ends.
//! - `embedded-io`: embedded-io's blocking `Read`/`Write` (and
//!   `ReadReady`/`WriteReady`) on the runtime's `TcpStream` (implies `std`).
//! - `embedded-nal`: embedded-nal's blocking `TcpClientStack`,
//!   `UdpClientStack` and `Dns` on the runtime's `Stack` (implies `std`).
//! - `async`: a waker slot per direction in the TCP, UDP and ICMP sockets
//!   (`register_recv_waker`, `register_send_waker`), woken where the socket
//!   changes, so any executor can drive the core without polling sockets
//!   in a loop; no heap, no dependency. With `std`, the runtime's
//!   `AsyncTcpStream` too.
//! - `futures-io`, `tokio`, `embedded-io-async`: `AsyncTcpStream` under
//!   that crate's async read/write traits; `embedded-nal-async`: the
//!   runtime's `Stack` as an embedded-nal-async `TcpConnect`, `UdpStack` and `Dns`
//!   (address literals), so clients such as reqwless run on it unchanged.
//!
//! # Minimum Rust version
//!
//! Rust 1.88 (`rust-version` in `Cargo.toml`); the CHANGELOG says how it
//! is checked.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[macro_use]
mod macros;

mod copy;
pub mod dns;
pub mod iface;
pub mod phy;
pub mod rand;
#[cfg(feature = "std")]
pub mod runtime;
pub mod socket;
pub mod storage;
pub mod time;
pub mod wire;

#[cfg(test)]
mod error_tests;
