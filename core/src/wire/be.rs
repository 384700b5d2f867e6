//! Network byte order (big-endian, RFC 1700 "Data Notations") for header
//! fields: the one way the wire code reads and writes integers.
//!
//! The integers' own `from_be_bytes` / `to_be_bytes` underneath (no
//! dependency), behind two-line functions so that a view's accessor stays
//! one line: `be::read_u16(&data[field::LENGTH])`. Like the slicing that
//! builds their argument, they panic when it is too short: a view calls them
//! only on fields its checked constructor proved present. Code that reads a
//! field it has not proved present uses a bounded accessor instead (the
//! ICMPv6 view's `access` module, DNS's `read_u16`), built on the same
//! `from_be_bytes`.

/// The first two bytes of `bytes` as a big-endian `u16`.
#[inline]
pub(crate) fn read_u16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

/// The first four bytes of `bytes` as a big-endian `u32`.
#[inline]
pub(crate) fn read_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Writes `value` big-endian into the first two bytes of `bytes`.
#[inline]
pub(crate) fn write_u16(bytes: &mut [u8], value: u16) {
    bytes[..2].copy_from_slice(&value.to_be_bytes());
}

/// Writes `value` big-endian into the first four bytes of `bytes`.
#[inline]
pub(crate) fn write_u32(bytes: &mut [u8], value: u32) {
    bytes[..4].copy_from_slice(&value.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_significant_byte_first() {
        let mut buf = [0u8; 6];
        write_u16(&mut buf[1..3], 0x0800);
        assert_eq!(buf, [0, 0x08, 0x00, 0, 0, 0]);
        assert_eq!(read_u16(&buf[1..]), 0x0800);
        write_u32(&mut buf[2..], 0xc0a8_4501);
        assert_eq!(buf, [0, 0x08, 0xc0, 0xa8, 0x45, 0x01]);
        assert_eq!(read_u32(&buf[2..]), 0xc0a8_4501);
        // Only the first bytes count, as with a field's range.
        assert_eq!(read_u16(&buf[2..]), 0xc0a8);
    }

    #[test]
    #[should_panic]
    fn a_short_field_panics_like_the_slicing_it_replaces() {
        read_u32(&[1, 2, 3]);
    }
}
