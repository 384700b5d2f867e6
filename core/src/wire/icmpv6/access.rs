//! Bounds-checked reads and writes of header fields, used by the view and by
//! the NDP and MLD accessors, and the iterator over packed IPv6 addresses.
//!
//! A read past the end yields zeros and a write past the end is dropped, so an
//! accessor can never panic, whatever type-specific field it is asked for.

use crate::wire::{Field, Ipv6Addr};

pub(crate) fn get_u8(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

pub(crate) fn get_u16(buf: &[u8], f: Field) -> u16 {
    match buf.get(f) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

pub(crate) fn get_u32(buf: &[u8], f: Field) -> u32 {
    match buf.get(f) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

pub(crate) fn get_addr(buf: &[u8], f: Field) -> Ipv6Addr {
    match buf.get(f).and_then(|s| <[u8; 16]>::try_from(s).ok()) {
        Some(octets) => Ipv6Addr::from(octets),
        None => Ipv6Addr::UNSPECIFIED,
    }
}

pub(crate) fn set_u8(buf: &mut [u8], at: usize, value: u8) {
    if let Some(b) = buf.get_mut(at) {
        *b = value;
    }
}

pub(crate) fn set_bytes(buf: &mut [u8], at: usize, data: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at.saturating_add(data.len())) {
        dst.copy_from_slice(data);
    }
}

pub(crate) fn set_u16(buf: &mut [u8], f: Field, value: u16) {
    set_bytes(buf, f.start, &value.to_be_bytes());
}

pub(crate) fn set_u32(buf: &mut [u8], f: Field, value: u32) {
    set_bytes(buf, f.start, &value.to_be_bytes());
}

pub(crate) fn set_addr(buf: &mut [u8], f: Field, value: &Ipv6Addr) {
    set_bytes(buf, f.start, &value.octets());
}

/// An iterator over the IPv6 addresses packed back to back in a byte slice
/// (RDNSS servers, MLD sources). A trailing partial address is not yielded.
#[derive(Debug, Clone)]
pub struct Ipv6AddrIter<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl<'a> Ipv6AddrIter<'a> {
    /// Iterates over the whole 16-byte words of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Ipv6AddrIter {
            chunks: bytes.chunks_exact(16),
        }
    }
}

impl Iterator for Ipv6AddrIter<'_> {
    type Item = Ipv6Addr;

    fn next(&mut self) -> Option<Ipv6Addr> {
        let chunk = self.chunks.next()?;
        <[u8; 16]>::try_from(chunk).ok().map(Ipv6Addr::from)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}
