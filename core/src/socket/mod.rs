//! Sockets: the endpoints applications read from and write to.

pub mod dhcpv4;
pub mod icmp;
pub mod raw;
pub mod udp;
