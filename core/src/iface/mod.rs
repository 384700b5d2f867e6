//! The interface: link and network layers, driven by `poll(now)`.
//!
//! [`Interface`] owns the state of one link (addresses, neighbors, routes,
//! fragments in reassembly, packets waiting for resolution) and moves frames
//! between a [`Device`](crate::phy::Device) and a
//! [`SocketSet`](crate::socket::SocketSet) each time it is polled. It never
//! reads a clock: `now` is an argument, and [`Interface::poll_at`] says when
//! it next wants to run.

pub mod acd;
pub mod addr6;
mod arp;
mod autoconf;
mod config;
mod dhcp;
mod dispatch;
mod ethernet;
mod event;
pub mod fragment;
mod icmp;
pub mod igmp;
mod interface;
mod ipv4;
mod ipv6;
mod ipv6_off;
mod medium;
mod membership;
pub mod mld;
mod ndisc;
pub mod neighbor;
mod out;
mod packet;
pub mod pending;
pub mod pmtu;
mod quiet;
pub mod ratelimit;
pub mod redirect;
pub mod route;
pub mod router;
mod stats;
mod table;
mod tcp;
mod udp;
#[cfg(test)]
mod virtio_tests;

pub use self::addr6::iid::InterfaceIdMode;
pub use self::addr6::lifetimes::Lifetimes;
pub use self::addr6::{AddressOrigin, AddressState, Ipv6Address};
pub use self::config::Config;
pub use self::event::Event;
pub use self::interface::{
    link_local_from_mac, AddressError, Interface, InterfaceStorage, EVENT_QUEUE_LEN,
    MAX_IPV4_ADDRS, MAX_IPV4_GROUPS, MAX_IPV6_ADDRS, MAX_IPV6_GROUPS, NEIGHBOR_CACHE_SIZE,
};
pub use self::route::{Route, RouteTableFull, Routes};
pub use self::router::{RouterDiscovery, MAX_DEFAULT_ROUTERS, MAX_PREFIXES};
pub use self::stats::{DropReason, Stats};
pub use self::tcp::ConnectError;
