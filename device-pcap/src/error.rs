//! The one error type of this crate.
//!
//! Every format error carries the byte offset in the file where the problem
//! lies, because the first thing anyone does with a bad capture is open it in
//! a hex editor at that offset.

use std::fmt;

/// Why a capture could not be read or written.
///
/// Offsets are counted in bytes from the start of the file (the first byte of
/// the magic number is offset 0).
#[derive(Debug)]
#[non_exhaustive]
pub enum PcapError {
    /// The underlying reader or writer failed.
    Io(std::io::Error),
    /// The magic number (of the file, or of a pcapng section's byte-order
    /// field) is not one this crate knows.
    BadMagic {
        /// Where the magic number starts.
        offset: u64,
        /// The four bytes found there, read big-endian.
        found: u32,
    },
    /// The file ends in the middle of a header, record or block.
    Truncated {
        /// Where the structure that is cut short starts.
        offset: u64,
        /// What was being read ("file header", "packet record", "block", ...).
        what: &'static str,
        /// How many bytes that structure needs.
        needed: u64,
        /// How many of them the file still had.
        available: u64,
    },
    /// A field holds a value the format forbids.
    Malformed {
        /// Where the offending field starts.
        offset: u64,
        /// What is wrong, in a few words.
        what: &'static str,
    },
    /// A length field asks for more than this crate is willing to buffer;
    /// real captures never come close, so this is treated as corruption
    /// rather than honoured with an allocation an attacker chooses.
    TooLarge {
        /// Where the length field starts.
        offset: u64,
        /// The length it holds.
        len: u64,
        /// The largest length accepted there.
        limit: u64,
    },
    /// A pcapng packet block names an interface no Interface Description
    /// Block of its section has declared.
    UnknownInterface {
        /// Where the packet block starts.
        offset: u64,
        /// The interface id it names.
        interface_id: u32,
    },
    /// The capture is well formed, but its link type is not one the caller
    /// can handle. This crate never raises it while reading (any link type
    /// is read); it is for tools, see [`crate::LinkType::require_supported`].
    UnsupportedLinkType(u32),
    /// A writer was asked to write something the format cannot hold.
    InvalidInput(&'static str),
}

impl PcapError {
    /// The file offset the error points at, if it is a format error.
    pub fn offset(&self) -> Option<u64> {
        match self {
            PcapError::BadMagic { offset, .. }
            | PcapError::Truncated { offset, .. }
            | PcapError::Malformed { offset, .. }
            | PcapError::TooLarge { offset, .. }
            | PcapError::UnknownInterface { offset, .. } => Some(*offset),
            PcapError::Io(_) | PcapError::UnsupportedLinkType(_) | PcapError::InvalidInput(_) => {
                None
            }
        }
    }
}

impl fmt::Display for PcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcapError::Io(e) => write!(f, "I/O error: {e}"),
            PcapError::BadMagic { offset, found } => {
                write!(f, "at offset {offset}: unknown magic number 0x{found:08x}")
            }
            PcapError::Truncated {
                offset,
                what,
                needed,
                available,
            } => write!(
                f,
                "at offset {offset}: {what} truncated: needs {needed} bytes, the file has {available}"
            ),
            PcapError::Malformed { offset, what } => write!(f, "at offset {offset}: {what}"),
            PcapError::TooLarge { offset, len, limit } => write!(
                f,
                "at offset {offset}: length {len} exceeds the limit of {limit} bytes"
            ),
            PcapError::UnknownInterface {
                offset,
                interface_id,
            } => write!(
                f,
                "at offset {offset}: packet block names interface {interface_id}, which the section does not declare"
            ),
            PcapError::UnsupportedLinkType(lt) => {
                write!(f, "unsupported link type {lt} ({})", crate::LinkType::from(*lt))
            }
            PcapError::InvalidInput(what) => write!(f, "invalid input: {what}"),
        }
    }
}

impl std::error::Error for PcapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PcapError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for PcapError {
    fn from(e: std::io::Error) -> Self {
        PcapError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::PcapError;

    #[test]
    fn messages_name_the_offset() {
        let e = PcapError::Truncated {
            offset: 40,
            what: "packet record",
            needed: 16,
            available: 3,
        };
        assert_eq!(e.offset(), Some(40));
        let s = e.to_string();
        assert!(s.contains("offset 40"), "{s}");
        let e = PcapError::Malformed {
            offset: 7,
            what: "bad",
        };
        assert!(e.to_string().contains("offset 7"));
        assert_eq!(PcapError::UnsupportedLinkType(9).offset(), None);
    }
}
