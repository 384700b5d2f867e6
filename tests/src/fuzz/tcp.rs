//! The `tcp` target: a TCP segment with its pseudo-header addresses.
//!
//! `rstcp::wire::tcp` is still a placeholder on `main`; until it lands this
//! body only decodes the input framing, so the fuzz target already builds.

use std::hint::black_box;
use std::net::IpAddr;

/// Fuzz body for TCP. Input framing: see [`split_l4_input`](super::split_l4_input).
pub fn tcp(data: &[u8]) {
    if let Some((src, dst, segment)) = super::split_l4_input(data) {
        check(src, dst, segment);
    }
}

/// The TCP checks (none until the wire module exists).
pub(crate) fn check(src: IpAddr, dst: IpAddr, segment: &[u8]) {
    black_box((src, dst, segment));
}
