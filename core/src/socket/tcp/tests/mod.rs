//! The socket's tests, a child of `conn` (it sees the connection's
//! fields): each RFC rule driven with crafted segments ([`support`]), and
//! a pair of sockets joined back to back ([`pair`]) for the rules each
//! defect of issue 10 broke. One file per concept, as in `conn/`:
//! [`handshake`], [`acceptance`], [`receive`], [`icmp`], [`window`],
//! [`retransmit`], [`recovery`], [`rttm`], [`timestamps`], [`timers`], [`burst`],
//! [`close`], sequence [`wrap`].

mod acceptance;
mod burst;
mod close;
mod handshake;
mod icmp;
mod pair;
mod receive;
mod recovery;
mod retransmit;
mod rttm;
mod support;
mod timers;
mod timestamps;
#[cfg(feature = "async")]
mod wakers;
mod window;
mod wrap;
