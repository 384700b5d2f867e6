//! The socket's tests, a child of `conn` (it sees the connection's
//! fields): each RFC rule driven with crafted segments ([`support`]), and
//! a pair of sockets joined back to back ([`pair`]) for the rules each
//! defect of issue 10 broke.

mod close;
mod handshake;
mod limited_transmit;
mod pair;
mod receive;
mod recovery;
mod rttm;
mod rules;
mod support;
mod timestamps;
mod window;
mod wrap;
