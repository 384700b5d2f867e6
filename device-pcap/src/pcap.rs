//! Classic pcap files: the streaming reader and the writer.
//!
//! Format: draft-ietf-opsawg-pcap (the libpcap savefile format). A 24-byte
//! file header, then records of a 16-byte header and `caplen` bytes of data.
//!
//! ```text
//!  0  magic            4  version major/minor   8  thiszone (ignored)
//! 12  sigfigs (ign.)  16  snaplen              20  FCS len|R|P|reserved|link type
//! record: 0 ts seconds  4 ts µs or ns  8 caplen  12 orig_len  16 data
//! ```

use crate::endian::Endian;
use crate::source::Source;
use crate::{LinkType, Packet, PcapError, Timestamp, TimestampResolution};
use std::io::{Read, Write};

/// The largest `caplen` (and pcapng captured length) accepted: 256 KiB,
/// Wireshark's limit for ordinary link types. Anything above is taken as
/// corruption, which bounds the buffer a length field can make us allocate.
pub const MAX_CAPLEN: u32 = 256 * 1024;

/// Magic number of a file with microsecond timestamps.
pub(crate) const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
/// Magic number of a file with nanosecond timestamps.
pub(crate) const MAGIC_NANO: u32 = 0xa1b2_3c4d;

const FILE_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;

/// The byte order and timestamp resolution a classic pcap magic number
/// stands for, or `None` if it is not one.
pub(crate) fn classify_magic(magic: [u8; 4]) -> Option<(Endian, TimestampResolution)> {
    let le = u32::from_le_bytes(magic);
    let be = u32::from_be_bytes(magic);
    match (le, be) {
        (MAGIC_MICRO, _) => Some((Endian::Little, TimestampResolution::Microsecond)),
        (MAGIC_NANO, _) => Some((Endian::Little, TimestampResolution::Nanosecond)),
        (_, MAGIC_MICRO) => Some((Endian::Big, TimestampResolution::Microsecond)),
        (_, MAGIC_NANO) => Some((Endian::Big, TimestampResolution::Nanosecond)),
        _ => None,
    }
}

/// What the file header of a classic pcap file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapHeader {
    /// Major version; only 2 is accepted (every file since 1998).
    pub version_major: u16,
    /// Minor version, normally 4 (not checked: old 2.2/2.3 files read fine).
    pub version_minor: u16,
    /// The tick of record timestamps, from the magic number.
    pub resolution: TimestampResolution,
    /// Whether the file is big-endian (it was written on a big-endian host).
    pub big_endian: bool,
    /// The snapshot length the capture was taken with. Informational: some
    /// writers put 0 or a value smaller than their records here, so record
    /// lengths are checked against [`MAX_CAPLEN`] instead.
    pub snaplen: u32,
    /// The link type, from the low 16 bits of the link-type field (the upper
    /// bits carry FCS information, not part of the type).
    pub link_type: LinkType,
    /// The length in bytes of the frame check sequence at the end of every
    /// packet, when the file says it (P bit set); `None` when unknown.
    pub fcs_len: Option<u8>,
}

/// A streaming reader of classic pcap files.
///
/// ```
/// use rstcp_pcap::{LinkType, PcapReader, PcapWriter, Timestamp, TimestampResolution};
///
/// let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 65535,
///     TimestampResolution::Microsecond)?;
/// w.write_packet(Timestamp::new(1, 0), &[0xaa; 60], 60)?;
/// let file = w.into_inner();
///
/// let mut r = PcapReader::new(&file[..])?;
/// while let Some(p) = r.next_packet() {
///     let p = p?;
///     assert_eq!(p.data, &[0xaa; 60][..]);
/// }
/// # Ok::<(), rstcp_pcap::PcapError>(())
/// ```
#[derive(Debug)]
pub struct PcapReader<R> {
    src: Source<R>,
    header: PcapHeader,
    endian: Endian,
    buf: Vec<u8>,
    done: bool,
}

impl<R: Read> PcapReader<R> {
    /// Reads the file header from `r` (buffered internally: pass a plain
    /// `File`). Fails on a bad magic number, an unsupported version or a
    /// short header.
    pub fn new(r: R) -> Result<Self, PcapError> {
        let mut src = Source::new(r);
        let mut magic = [0u8; 4];
        let got = src.read_full(&mut magic)?;
        if got < magic.len() {
            return Err(PcapError::Truncated {
                offset: 0,
                what: "pcap file header",
                needed: FILE_HEADER_LEN as u64,
                available: got as u64,
            });
        }
        Self::after_magic(src, magic)
    }

    /// Continues from a source whose first four bytes (`magic`) were already
    /// consumed, for the format-sniffing reader.
    pub(crate) fn after_magic(mut src: Source<R>, magic: [u8; 4]) -> Result<Self, PcapError> {
        let (endian, resolution) = classify_magic(magic).ok_or(PcapError::BadMagic {
            offset: 0,
            found: u32::from_be_bytes(magic),
        })?;
        let mut rest = [0u8; FILE_HEADER_LEN - 4];
        let got = src.read_full(&mut rest)?;
        if got < rest.len() {
            return Err(PcapError::Truncated {
                offset: 0,
                what: "pcap file header",
                needed: FILE_HEADER_LEN as u64,
                available: 4 + got as u64,
            });
        }
        // Offsets below are relative to `rest`, which starts at file offset 4.
        let version_major = endian.u16(&rest, 0);
        let version_minor = endian.u16(&rest, 2);
        if version_major != 2 {
            return Err(PcapError::Malformed {
                offset: 4,
                what: "unsupported pcap major version (only 2 exists)",
            });
        }
        let snaplen = endian.u32(&rest, 12);
        let lt_field = endian.u32(&rest, 16);
        //= draft-ietf-opsawg-pcap §4: FCS len (4 bits) | R | P | reserved |
        //= LinkType (16 bits); FCS len counts 16-bit words, valid if P is set.
        let link_type = LinkType::from(lt_field & 0xffff);
        let fcs_len = (lt_field & 0x0400_0000 != 0).then(|| ((lt_field >> 28) as u8) * 2);
        Ok(PcapReader {
            src,
            header: PcapHeader {
                version_major,
                version_minor,
                resolution,
                big_endian: endian == Endian::Big,
                snaplen,
                link_type,
                fcs_len,
            },
            endian,
            buf: Vec::new(),
            done: false,
        })
    }

    /// The file header.
    pub fn header(&self) -> &PcapHeader {
        &self.header
    }

    /// The link type of every packet of the file.
    pub fn link_type(&self) -> LinkType {
        self.header.link_type
    }

    /// The next packet, `None` at the end of the file.
    ///
    /// After an error the reader is finished and returns `None`: a record
    /// boundary, once lost, cannot be found again reliably.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, PcapError>> {
        if self.done {
            return None;
        }
        match self.read_record() {
            Ok(Some((timestamp, orig_len, offset))) => Some(Ok(Packet {
                timestamp,
                data: &self.buf,
                orig_len,
                link_type: self.header.link_type,
                interface_id: 0,
                offset,
            })),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// Reads one record into `self.buf`; returns its timestamp, original
    /// length and offset, or `None` at a clean end of file.
    fn read_record(&mut self) -> Result<Option<(Timestamp, u32, u64)>, PcapError> {
        let start = self.src.pos();
        let mut hdr = [0u8; RECORD_HEADER_LEN];
        let got = self.src.read_full(&mut hdr)?;
        if got == 0 {
            return Ok(None);
        }
        if got < hdr.len() {
            return Err(PcapError::Truncated {
                offset: start,
                what: "packet record header",
                needed: RECORD_HEADER_LEN as u64,
                available: got as u64,
            });
        }
        let e = self.endian;
        let secs = e.u32(&hdr, 0);
        let frac = e.u32(&hdr, 4);
        let caplen = e.u32(&hdr, 8);
        let orig_len = e.u32(&hdr, 12);
        if caplen > MAX_CAPLEN {
            return Err(PcapError::TooLarge {
                offset: start + 8,
                len: caplen.into(),
                limit: MAX_CAPLEN.into(),
            });
        }
        let got = self.src.read_into(&mut self.buf, caplen as usize)?;
        if got < caplen as usize {
            return Err(PcapError::Truncated {
                offset: start,
                what: "packet record",
                needed: RECORD_HEADER_LEN as u64 + u64::from(caplen),
                available: (RECORD_HEADER_LEN + got) as u64,
            });
        }
        // A fraction of a second or more (seen in hand-made files) carries
        // into the seconds rather than being rejected, as libpcap does.
        let nanos =
            u64::from(frac) * u64::from(1_000_000_000 / self.header.resolution.ticks_per_sec());
        let ts = Timestamp::new(
            u64::from(secs) + nanos / 1_000_000_000,
            (nanos % 1_000_000_000) as u32,
        );
        Ok(Some((ts, orig_len, start)))
    }
}

/// Writes classic pcap files, little-endian whatever the host, so that the
/// same packets always give the same bytes.
///
/// Each record is two `write_all` calls: wrap a file in a `BufWriter`.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    snaplen: u32,
    resolution: TimestampResolution,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header. `snaplen` (1 ..= [`MAX_CAPLEN`]) is where
    /// packets are cut; `resolution` picks the magic number and the tick of
    /// record timestamps.
    pub fn new(
        mut w: W,
        link_type: LinkType,
        snaplen: u32,
        resolution: TimestampResolution,
    ) -> Result<Self, PcapError> {
        if snaplen == 0 || snaplen > MAX_CAPLEN {
            return Err(PcapError::InvalidInput(
                "snaplen must be between 1 and MAX_CAPLEN (readers refuse larger records)",
            ));
        }
        if link_type.value() > 0xffff {
            // The upper 16 bits of the field are FCS information.
            return Err(PcapError::InvalidInput(
                "link type does not fit the 16 bits of the field",
            ));
        }
        let magic = match resolution {
            TimestampResolution::Microsecond => MAGIC_MICRO,
            TimestampResolution::Nanosecond => MAGIC_NANO,
        };
        let mut h = [0u8; FILE_HEADER_LEN];
        h[0..4].copy_from_slice(&magic.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay 0, as the draft requires.
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&link_type.value().to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter {
            w,
            snaplen,
            resolution,
        })
    }

    /// Appends one packet. `data` is cut at the snapshot length; `orig_len`
    /// is the length on the wire and may not be smaller than what is
    /// captured. Microsecond files drop the sub-microsecond part of `ts`.
    pub fn write_packet(
        &mut self,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
    ) -> Result<(), PcapError> {
        let caplen = data.len().min(self.snaplen as usize);
        // caplen <= snaplen <= MAX_CAPLEN, so it fits a u32.
        if (orig_len as usize) < caplen {
            return Err(PcapError::InvalidInput(
                "orig_len is smaller than the captured data",
            ));
        }
        let secs = u32::try_from(ts.secs()).map_err(|_| {
            PcapError::InvalidInput("timestamp after 2106 does not fit classic pcap")
        })?;
        let frac = ts.nanos() / (1_000_000_000 / self.resolution.ticks_per_sec());
        let mut h = [0u8; RECORD_HEADER_LEN];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&frac.to_le_bytes());
        h[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(&data[..caplen])?;
        Ok(())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> Result<(), PcapError> {
        self.w.flush()?;
        Ok(())
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    /// Gives the underlying writer back (not flushed: call
    /// [`flush`](Self::flush) first if it buffers).
    pub fn into_inner(self) -> W {
        self.w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(magic: u32, big: bool, lt_field: u32) -> Vec<u8> {
        let mut v = Vec::new();
        let put16 = |v: &mut Vec<u8>, x: u16| {
            v.extend_from_slice(&if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        let put32 = |v: &mut Vec<u8>, x: u32| {
            v.extend_from_slice(&if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        put32(&mut v, magic);
        put16(&mut v, 2);
        put16(&mut v, 4);
        put32(&mut v, 0);
        put32(&mut v, 0);
        put32(&mut v, 1500);
        put32(&mut v, lt_field);
        // One record: 7 s + 5 ticks, 3 bytes of 64.
        for x in [7, 5, 3, 64] {
            put32(&mut v, x);
        }
        v.extend_from_slice(&[1, 2, 3]);
        v
    }

    #[test]
    fn all_four_magics() {
        for (magic, nanos) in [(MAGIC_MICRO, 5_000), (MAGIC_NANO, 5)] {
            for big in [false, true] {
                let f = header(magic, big, 1);
                let mut r = PcapReader::new(&f[..]).unwrap();
                assert_eq!(r.header().big_endian, big);
                assert_eq!(r.header().snaplen, 1500);
                let p = r.next_packet().unwrap().unwrap();
                assert_eq!(p.timestamp, Timestamp::new(7, nanos));
                assert_eq!((p.data, p.orig_len, p.offset), (&[1u8, 2, 3][..], 64, 24));
                assert!(r.next_packet().is_none());
            }
        }
    }

    #[test]
    fn fcs_bits_are_masked_off() {
        // FCS len = 2 words, P set, link type Ethernet.
        let f = header(MAGIC_MICRO, false, 0x2400_0001);
        let r = PcapReader::new(&f[..]).unwrap();
        assert_eq!(r.link_type(), LinkType::Ethernet);
        assert_eq!(r.header().fcs_len, Some(4));
        let f = header(MAGIC_MICRO, true, 0x2000_0065);
        let r = PcapReader::new(&f[..]).unwrap();
        assert_eq!(r.link_type(), LinkType::Raw);
        assert_eq!(r.header().fcs_len, None);
    }

    #[test]
    fn microsecond_overflow_carries() {
        let mut f = header(MAGIC_MICRO, false, 1);
        f[28..32].copy_from_slice(&2_500_000u32.to_le_bytes());
        let mut r = PcapReader::new(&f[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.timestamp, Timestamp::new(9, 500_000_000));
    }

    #[test]
    fn bad_version() {
        let mut f = header(MAGIC_MICRO, false, 1);
        f[4] = 3;
        match PcapReader::new(&f[..]) {
            Err(PcapError::Malformed { offset: 4, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn writer_rejects_what_the_format_cannot_hold() {
        let us = TimestampResolution::Microsecond;
        assert!(PcapWriter::new(Vec::new(), LinkType::Ethernet, 0, us).is_err());
        assert!(PcapWriter::new(Vec::new(), LinkType::Ethernet, MAX_CAPLEN + 1, us).is_err());
        assert!(PcapWriter::new(Vec::new(), LinkType::Unknown(0x1_0000), 100, us).is_err());
        let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, 100, us).unwrap();
        assert!(w.write_packet(Timestamp::new(1 << 32, 0), &[0], 1).is_err());
        assert!(w.write_packet(Timestamp::new(1, 0), &[0, 0], 1).is_err());
        // Cut at snaplen; orig_len only has to cover the captured part.
        w.write_packet(Timestamp::new(1, 0), &[9; 150], 100)
            .unwrap();
        let f = w.into_inner();
        let mut r = PcapReader::new(&f[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!((p.data.len(), p.orig_len), (100, 100));
    }
}
