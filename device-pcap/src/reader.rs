//! Opening a capture without knowing its format.
//!
//! Tools take whatever file the user has; the first four bytes tell classic
//! pcap (either byte order, either resolution) from pcapng, so the choice is
//! made here once and the rest of the program sees one reader.

use crate::pcap::classify_magic;
use crate::pcapng::SHB_TYPE;
use crate::source::Source;
use crate::{Packet, PcapError, PcapReader, PcapngReader};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The container format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureFormat {
    /// Classic libpcap format.
    Pcap,
    /// pcapng.
    Pcapng,
}

/// A reader of either format, chosen by the file's magic number.
///
/// ```no_run
/// use rstcp_pcap::CaptureReader;
///
/// let mut r = CaptureReader::open("capture.pcapng")?;
/// while let Some(p) = r.next_packet() {
///     let p = p?;
///     println!("{} bytes of {}", p.data.len(), p.link_type);
/// }
/// # Ok::<(), rstcp_pcap::PcapError>(())
/// ```
#[derive(Debug)]
pub enum CaptureReader<R> {
    /// A classic pcap file.
    Pcap(PcapReader<R>),
    /// A pcapng file.
    Pcapng(PcapngReader<R>),
}

impl CaptureReader<File> {
    /// Opens the file at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PcapError> {
        Self::new(File::open(path)?)
    }
}

impl<R: Read> CaptureReader<R> {
    /// Reads the magic number and header from `r` (buffered internally).
    pub fn new(r: R) -> Result<Self, PcapError> {
        let mut src = Source::new(r);
        let mut magic = [0u8; 4];
        let got = src.read_full(&mut magic)?;
        if got < magic.len() {
            return Err(PcapError::Truncated {
                offset: 0,
                what: "magic number",
                needed: 4,
                available: got as u64,
            });
        }
        if magic == SHB_TYPE {
            Ok(CaptureReader::Pcapng(PcapngReader::after_magic(
                src, magic,
            )?))
        } else if classify_magic(magic).is_some() {
            Ok(CaptureReader::Pcap(PcapReader::after_magic(src, magic)?))
        } else {
            Err(PcapError::BadMagic {
                offset: 0,
                found: u32::from_be_bytes(magic),
            })
        }
    }

    /// Which format the file is in.
    pub fn format(&self) -> CaptureFormat {
        match self {
            CaptureReader::Pcap(_) => CaptureFormat::Pcap,
            CaptureReader::Pcapng(_) => CaptureFormat::Pcapng,
        }
    }

    /// The next packet, `None` at the end of the file; finished after an
    /// error. See [`PcapReader::next_packet`] and
    /// [`PcapngReader::next_packet`].
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, PcapError>> {
        match self {
            CaptureReader::Pcap(r) => r.next_packet(),
            CaptureReader::Pcapng(r) => r.next_packet(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_and_rejects() {
        assert!(matches!(
            CaptureReader::new(&b"Lice"[..]),
            Err(PcapError::BadMagic {
                offset: 0,
                found: 0x4c69_6365
            })
        ));
        assert!(matches!(
            CaptureReader::new(&b"\xd4\xc3"[..]),
            Err(PcapError::Truncated {
                offset: 0,
                available: 2,
                ..
            })
        ));
        let f = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        assert!(matches!(
            CaptureReader::new(&f[..]),
            Err(PcapError::Truncated {
                offset: 0,
                available: 8,
                ..
            })
        ));
    }
}
