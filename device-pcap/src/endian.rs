//! Byte order of a capture file (or of one pcapng section).
//!
//! Both formats are written in the byte order of the machine that captured,
//! and say which one through their magic number, so every multi-byte field is
//! decoded through this type rather than with a fixed order.

/// The byte order the fields of a file (or pcapng section) are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    /// Reads a `u16` at `at`. Callers have checked the length: reading is
    /// done on slices whose size was validated against the block or header.
    pub(crate) fn u16(self, b: &[u8], at: usize) -> u16 {
        let v = [b[at], b[at + 1]];
        match self {
            Endian::Little => u16::from_le_bytes(v),
            Endian::Big => u16::from_be_bytes(v),
        }
    }

    /// Reads a `u32` at `at` (length checked by the caller, as for `u16`).
    pub(crate) fn u32(self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        match self {
            Endian::Little => u32::from_le_bytes(v),
            Endian::Big => u32::from_be_bytes(v),
        }
    }

    /// Reads a `u64` at `at` (length checked by the caller, as for `u16`).
    pub(crate) fn u64(self, b: &[u8], at: usize) -> u64 {
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[at..at + 8]);
        match self {
            Endian::Little => u64::from_le_bytes(v),
            Endian::Big => u64::from_be_bytes(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Endian;

    #[test]
    fn decodes_both_orders() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(Endian::Little.u16(&b, 0), 0x0201);
        assert_eq!(Endian::Big.u16(&b, 0), 0x0102);
        assert_eq!(Endian::Little.u32(&b, 4), 0x0807_0605);
        assert_eq!(Endian::Big.u32(&b, 4), 0x0506_0708);
        assert_eq!(Endian::Big.u64(&b, 0), 0x0102_0304_0506_0708);
        assert_eq!(Endian::Little.u64(&b, 0), 0x0807_0605_0403_0201);
    }
}
