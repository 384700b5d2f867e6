//! pcapng files (draft-ietf-opsawg-pcapng): the streaming reader.
//!
//! A file is a sequence of blocks `type | total length | body | total length`.
//! A Section Header Block (SHB) sets the byte order and starts a new set of
//! interfaces; Interface Description Blocks (IDB) declare link type, snapshot
//! length and timestamp resolution; packets arrive in Enhanced (EPB), Simple
//! (SPB) or obsolete Packet Blocks. Every other block is skipped by its length
//! without being buffered.

use crate::endian::Endian;
use crate::source::Source;
use crate::{LinkType, Packet, PcapError, Timestamp, MAX_CAPLEN};
use std::io::Read;

/// The SHB block type: `\n\r\r\n`, a palindrome, so it reads the same in
/// both byte orders (which the SHB has not announced yet at that point).
pub(crate) const SHB_TYPE: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

const IDB: u32 = 1;
const OBSOLETE_PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

const OPT_ENDOFOPT: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// The most option bytes of an IDB that are buffered to be parsed; IDBs hold
/// a few short strings, so more than this is taken as corruption.
const MAX_IDB_OPTIONS: u32 = 1 << 20;

/// What an Interface Description Block declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceDescription {
    /// Link type of the packets captured on this interface.
    pub link_type: LinkType,
    /// Snapshot length; 0 means unlimited.
    pub snaplen: u32,
    /// The raw `if_tsresol` option: bit 7 clear, ticks of 10^-n s; set,
    /// ticks of 2^-n s. 6 (microseconds) when the option is absent.
    pub ts_resolution: u8,
    /// The `if_tsoffset` option: seconds added to every timestamp.
    pub ts_offset: i64,
}

/// An interface plus the tick length its `if_tsresol` stands for.
#[derive(Debug, Clone, Copy)]
struct Interface {
    desc: InterfaceDescription,
    ticks_per_sec: u128,
}

/// What one block turned out to be.
enum Block {
    /// A packet, whose data is in `buf`.
    Packet {
        timestamp: Timestamp,
        orig_len: u32,
        interface_id: u32,
        offset: u64,
    },
    /// Anything else (section or interface header, skipped block).
    Other,
}

/// A streaming reader of pcapng files.
///
/// Packets borrow one internal buffer, reused for the whole file.
#[derive(Debug)]
pub struct PcapngReader<R> {
    src: Source<R>,
    endian: Endian,
    interfaces: Vec<Interface>,
    buf: Vec<u8>,
    /// The first block's type was consumed by format sniffing.
    type_consumed: bool,
    done: bool,
}

impl<R: Read> PcapngReader<R> {
    /// Reads the first Section Header Block from `r` (buffered internally).
    pub fn new(r: R) -> Result<Self, PcapError> {
        let mut src = Source::new(r);
        let mut magic = [0u8; 4];
        let got = src.read_full(&mut magic)?;
        if got < magic.len() {
            return Err(PcapError::Truncated {
                offset: 0,
                what: "section header block",
                needed: 28,
                available: got as u64,
            });
        }
        Self::after_magic(src, magic)
    }

    /// Continues from a source whose first four bytes were already consumed
    /// (by format sniffing), and reads the first SHB.
    pub(crate) fn after_magic(src: Source<R>, magic: [u8; 4]) -> Result<Self, PcapError> {
        if magic != SHB_TYPE {
            return Err(PcapError::BadMagic {
                offset: 0,
                found: u32::from_be_bytes(magic),
            });
        }
        let mut r = PcapngReader {
            src,
            endian: Endian::Little,
            interfaces: Vec::new(),
            buf: Vec::new(),
            type_consumed: true,
            done: false,
        };
        // Reading the SHB now makes a non-pcapng file fail at open, not at the
        // first packet. An SHB-only file is simply an empty capture.
        r.read_block()?;
        Ok(r)
    }

    /// The interfaces declared so far in the current section, indexed by
    /// interface id.
    pub fn interfaces(&self) -> impl ExactSizeIterator<Item = &InterfaceDescription> + '_ {
        self.interfaces.iter().map(|i| &i.desc)
    }

    /// Whether the current section is big-endian.
    pub fn is_big_endian(&self) -> bool {
        self.endian == Endian::Big
    }

    /// The next packet, `None` at the end of the file. Non-packet blocks are
    /// consumed on the way.
    ///
    /// After an error the reader is finished and returns `None`.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, PcapError>> {
        if self.done {
            return None;
        }
        loop {
            match self.read_block() {
                Ok(Some(Block::Packet {
                    timestamp,
                    orig_len,
                    interface_id,
                    offset,
                })) => {
                    let link_type = self.interfaces[interface_id as usize].desc.link_type;
                    return Some(Ok(Packet {
                        timestamp,
                        data: &self.buf,
                        orig_len,
                        link_type,
                        interface_id,
                        offset,
                    }));
                }
                Ok(Some(Block::Other)) => continue,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// Reads one whole block, checking its framing; `None` at a clean end of
    /// file (end of file exactly between blocks).
    fn read_block(&mut self) -> Result<Option<Block>, PcapError> {
        let mut head = [0u8; 8];
        let (start, have) = if std::mem::take(&mut self.type_consumed) {
            head[..4].copy_from_slice(&SHB_TYPE);
            (self.src.pos() - 4, 4)
        } else {
            (self.src.pos(), 0)
        };
        let got = have + self.src.read_full(&mut head[have..])?;
        if got == 0 {
            return Ok(None);
        }
        let mut blk = BlockCursor {
            start,
            total_len: 0,
        };
        if got < head.len() {
            return Err(blk.truncated(self.src.pos(), 8));
        }
        if head[..4] == SHB_TYPE {
            self.read_shb(&mut blk, &head).map(Some)
        } else {
            let e = self.endian;
            blk.total_len = e.u32(&head, 4);
            blk.check_len()?;
            let block = match e.u32(&head, 0) {
                IDB => self.read_idb(&blk)?,
                EPB => self.read_epb(&blk, false)?,
                OBSOLETE_PB => self.read_epb(&blk, true)?,
                SPB => self.read_spb(&blk)?,
                // NRB, ISB, DSB, custom and unknown blocks: framing only.
                _ => {
                    self.skip_body_rest(&blk)?;
                    Block::Other
                }
            };
            self.read_trailer(&blk)?;
            Ok(Some(block))
        }
    }

    /// A Section Header Block: sets the byte order, forgets the interfaces.
    fn read_shb(&mut self, blk: &mut BlockCursor, head: &[u8; 8]) -> Result<Block, PcapError> {
        let mut fixed = [0u8; 16]; // byte-order magic, version, section length
        self.read_exact(blk, &mut fixed, 28)?;
        self.endian = if u32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]])
            == BYTE_ORDER_MAGIC
        {
            Endian::Big
        } else if u32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]) == BYTE_ORDER_MAGIC {
            Endian::Little
        } else {
            return Err(PcapError::BadMagic {
                offset: blk.start + 8,
                found: u32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]),
            });
        };
        blk.total_len = self.endian.u32(head, 4);
        blk.check_len()?;
        if blk.total_len < 28 {
            return Err(blk.too_short());
        }
        if self.endian.u16(&fixed, 4) != 1 {
            return Err(PcapError::Malformed {
                offset: blk.start + 12,
                what: "unsupported pcapng major version (only 1 exists)",
            });
        }
        //= draft-ietf-opsawg-pcapng §4.2: interface ids are per section.
        self.interfaces.clear();
        self.skip_body_rest(blk)?;
        self.read_trailer(blk)?;
        Ok(Block::Other)
    }

    /// An Interface Description Block: link type, snaplen, `if_tsresol` and
    /// `if_tsoffset`.
    fn read_idb(&mut self, blk: &BlockCursor) -> Result<Block, PcapError> {
        if blk.total_len < 20 {
            return Err(blk.too_short());
        }
        let mut fixed = [0u8; 8];
        self.read_exact(blk, &mut fixed, blk.total_len)?;
        let e = self.endian;
        let mut desc = InterfaceDescription {
            link_type: LinkType::from(u32::from(e.u16(&fixed, 0))),
            snaplen: e.u32(&fixed, 4),
            ts_resolution: 6,
            ts_offset: 0,
        };
        let opts_len = blk.total_len - 20;
        if opts_len > MAX_IDB_OPTIONS {
            return Err(PcapError::TooLarge {
                offset: blk.start + 4,
                len: opts_len.into(),
                limit: MAX_IDB_OPTIONS.into(),
            });
        }
        let opts_at = self.src.pos();
        let got = self.src.read_into(&mut self.buf, opts_len as usize)?;
        if got < opts_len as usize {
            return Err(blk.truncated(self.src.pos(), blk.total_len));
        }
        let mut i = 0usize;
        while i + 4 <= self.buf.len() {
            let code = e.u16(&self.buf, i);
            let len = usize::from(e.u16(&self.buf, i + 2));
            if code == OPT_ENDOFOPT {
                break;
            }
            let at = opts_at + i as u64;
            let value = self
                .buf
                .get(i + 4..i + 4 + len)
                .ok_or(PcapError::Malformed {
                    offset: at,
                    what: "option runs past the end of its block",
                })?;
            match (code, len) {
                (IF_TSRESOL, 1) => desc.ts_resolution = value[0],
                (IF_TSOFFSET, 8) => desc.ts_offset = e.u64(value, 0) as i64,
                (IF_TSRESOL | IF_TSOFFSET, _) => {
                    return Err(PcapError::Malformed {
                        offset: at,
                        what: "if_tsresol or if_tsoffset option of the wrong length",
                    })
                }
                _ => {}
            }
            i += 4 + len.next_multiple_of(4);
        }
        let ticks_per_sec = ticks_per_sec(desc.ts_resolution).ok_or(PcapError::Malformed {
            offset: opts_at,
            what: "if_tsresol finer than 10^-38 s",
        })?;
        self.interfaces.push(Interface {
            desc,
            ticks_per_sec,
        });
        Ok(Block::Other)
    }

    /// An Enhanced Packet Block, or (`obsolete`) the old Packet Block, whose
    /// layout only differs by a 16-bit interface id followed by a drop count.
    fn read_epb(&mut self, blk: &BlockCursor, obsolete: bool) -> Result<Block, PcapError> {
        if blk.total_len < 32 {
            return Err(blk.too_short());
        }
        let mut fixed = [0u8; 20];
        self.read_exact(blk, &mut fixed, blk.total_len)?;
        let e = self.endian;
        let interface_id = if obsolete {
            u32::from(e.u16(&fixed, 0))
        } else {
            e.u32(&fixed, 0)
        };
        let iface =
            *self
                .interfaces
                .get(interface_id as usize)
                .ok_or(PcapError::UnknownInterface {
                    offset: blk.start,
                    interface_id,
                })?;
        let caplen = e.u32(&fixed, 12);
        let orig_len = e.u32(&fixed, 16);
        if caplen > MAX_CAPLEN {
            return Err(PcapError::TooLarge {
                offset: blk.start + 20,
                len: caplen.into(),
                limit: MAX_CAPLEN.into(),
            });
        }
        if u64::from(caplen) > u64::from(blk.total_len) - 32 {
            return Err(PcapError::Malformed {
                offset: blk.start + 20,
                what: "captured length runs past the end of its block",
            });
        }
        self.read_data(blk, caplen)?;
        let ticks = u64::from(e.u32(&fixed, 4)) << 32 | u64::from(e.u32(&fixed, 8));
        Ok(Block::Packet {
            timestamp: timestamp(&iface, ticks),
            orig_len,
            interface_id,
            offset: blk.start,
        })
    }

    /// A Simple Packet Block: interface 0, no timestamp, and a captured
    /// length implied by the original length, the snaplen and the block size.
    fn read_spb(&mut self, blk: &BlockCursor) -> Result<Block, PcapError> {
        if blk.total_len < 16 {
            return Err(blk.too_short());
        }
        let iface = *self.interfaces.first().ok_or(PcapError::UnknownInterface {
            offset: blk.start,
            interface_id: 0,
        })?;
        let mut fixed = [0u8; 4];
        self.read_exact(blk, &mut fixed, blk.total_len)?;
        let orig_len = self.endian.u32(&fixed, 0);
        //= draft-ietf-opsawg-pcapng §4.4: the captured length is the original
        //= length cut at the interface's snaplen (0: no limit).
        let mut caplen = orig_len.min(blk.total_len - 16);
        if iface.desc.snaplen != 0 {
            caplen = caplen.min(iface.desc.snaplen);
        }
        if caplen > MAX_CAPLEN {
            return Err(PcapError::TooLarge {
                offset: blk.start + 8,
                len: caplen.into(),
                limit: MAX_CAPLEN.into(),
            });
        }
        self.read_data(blk, caplen)?;
        Ok(Block::Packet {
            timestamp: Timestamp::default(),
            orig_len,
            interface_id: 0,
            offset: blk.start,
        })
    }

    /// Reads `caplen` bytes of packet data into `buf`, then skips padding and
    /// options up to the trailer.
    fn read_data(&mut self, blk: &BlockCursor, caplen: u32) -> Result<(), PcapError> {
        let got = self.src.read_into(&mut self.buf, caplen as usize)?;
        if got < caplen as usize {
            return Err(blk.truncated(self.src.pos(), blk.total_len));
        }
        self.skip_body_rest(blk)
    }

    /// Fills `out` from the block, or reports it cut short (`needed` being
    /// the block length if known).
    fn read_exact(
        &mut self,
        blk: &BlockCursor,
        out: &mut [u8],
        needed: u32,
    ) -> Result<(), PcapError> {
        if self.src.read_full(out)? < out.len() {
            return Err(blk.truncated(self.src.pos(), needed));
        }
        Ok(())
    }

    /// Skips to the trailing length copy of the block.
    fn skip_body_rest(&mut self, blk: &BlockCursor) -> Result<(), PcapError> {
        let trailer = blk.start + u64::from(blk.total_len) - 4;
        let n = trailer.saturating_sub(self.src.pos());
        if self.src.skip(n)? < n {
            return Err(blk.truncated(self.src.pos(), blk.total_len));
        }
        Ok(())
    }

    /// Reads the trailing length copy and checks it against the leading one.
    fn read_trailer(&mut self, blk: &BlockCursor) -> Result<(), PcapError> {
        let at = self.src.pos();
        let mut t = [0u8; 4];
        self.read_exact(blk, &mut t, blk.total_len)?;
        if self.endian.u32(&t, 0) != blk.total_len {
            return Err(PcapError::Malformed {
                offset: at,
                what: "block trailing length differs from the leading one",
            });
        }
        Ok(())
    }
}

/// Where a block starts and how long its header says it is.
struct BlockCursor {
    start: u64,
    total_len: u32,
}

impl BlockCursor {
    /// The framing rules every block obeys.
    fn check_len(&self) -> Result<(), PcapError> {
        let what = if self.total_len < 12 {
            "block total length below 12"
        } else if !self.total_len.is_multiple_of(4) {
            "block total length not a multiple of 4"
        } else {
            return Ok(());
        };
        Err(PcapError::Malformed {
            offset: self.start + 4,
            what,
        })
    }

    fn too_short(&self) -> PcapError {
        PcapError::Malformed {
            offset: self.start + 4,
            what: "block total length too small for its block type",
        }
    }

    /// The file ended at `pos`, inside this block.
    fn truncated(&self, pos: u64, needed: u32) -> PcapError {
        PcapError::Truncated {
            offset: self.start,
            what: "pcapng block",
            needed: u64::from(needed).max(8),
            available: pos - self.start,
        }
    }
}

/// Ticks per second for an `if_tsresol` value, if it fits in a `u128`.
fn ticks_per_sec(tsresol: u8) -> Option<u128> {
    let exp = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 != 0 {
        1u128.checked_shl(exp)
    } else {
        10u128.checked_pow(exp)
    }
}

/// A packet timestamp from the interface's resolution and offset.
fn timestamp(iface: &Interface, ticks: u64) -> Timestamp {
    let t = Timestamp::from_ticks(ticks, iface.ticks_per_sec);
    Timestamp::new(
        t.secs().saturating_add_signed(iface.desc.ts_offset),
        t.nanos(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds pcapng files in either byte order.
    struct Builder {
        big: bool,
        out: Vec<u8>,
    }

    impl Builder {
        fn u16(&self, x: u16) -> [u8; 2] {
            if self.big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        }
        fn u32(&self, x: u32) -> [u8; 4] {
            if self.big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        }
        fn block(&mut self, btype: u32, body: &[u8]) {
            let len = 12 + body.len() as u32;
            let t = if btype == 0x0a0d0d0a {
                SHB_TYPE
            } else {
                self.u32(btype)
            };
            self.out.extend_from_slice(&t);
            self.out.extend_from_slice(&self.u32(len));
            self.out.extend_from_slice(body);
            self.out.extend_from_slice(&self.u32(len));
        }
        fn shb(&mut self) {
            let mut b = Vec::new();
            b.extend_from_slice(&self.u32(BYTE_ORDER_MAGIC));
            b.extend_from_slice(&self.u16(1));
            b.extend_from_slice(&self.u16(0));
            b.extend_from_slice(&[0xff; 8]);
            self.block(0x0a0d0d0a, &b);
        }
        fn idb(&mut self, lt: u16, snaplen: u32, tsresol: Option<u8>) {
            let mut b = Vec::new();
            b.extend_from_slice(&self.u16(lt));
            b.extend_from_slice(&self.u16(0));
            b.extend_from_slice(&self.u32(snaplen));
            if let Some(r) = tsresol {
                b.extend_from_slice(&self.u16(IF_TSRESOL));
                b.extend_from_slice(&self.u16(1));
                b.extend_from_slice(&[r, 0, 0, 0]);
                b.extend_from_slice(&[0; 4]);
            }
            self.block(IDB, &b);
        }
        fn epb(&mut self, iface: u32, ticks: u64, data: &[u8], orig: u32) {
            let mut b = Vec::new();
            b.extend_from_slice(&self.u32(iface));
            b.extend_from_slice(&self.u32((ticks >> 32) as u32));
            b.extend_from_slice(&self.u32(ticks as u32));
            b.extend_from_slice(&self.u32(data.len() as u32));
            b.extend_from_slice(&self.u32(orig));
            b.extend_from_slice(data);
            b.resize(b.len().next_multiple_of(4), 0);
            self.block(EPB, &b);
        }
        fn spb(&mut self, data: &[u8], orig: u32) {
            let mut b = Vec::new();
            b.extend_from_slice(&self.u32(orig));
            b.extend_from_slice(data);
            b.resize(b.len().next_multiple_of(4), 0);
            self.block(SPB, &b);
        }
    }

    /// timestamp, data, orig_len, link type, interface id
    type Owned = (Timestamp, Vec<u8>, u32, LinkType, u32);

    fn collect(f: &[u8]) -> Result<Vec<Owned>, PcapError> {
        let mut r = PcapngReader::new(f)?;
        let mut v = Vec::new();
        while let Some(p) = r.next_packet() {
            let p = p?;
            v.push((
                p.timestamp,
                p.data.to_vec(),
                p.orig_len,
                p.link_type,
                p.interface_id,
            ));
        }
        Ok(v)
    }

    #[test]
    fn both_byte_orders_and_tsresol() {
        for big in [false, true] {
            let mut b = Builder {
                big,
                out: Vec::new(),
            };
            b.shb();
            b.idb(1, 0, None);
            b.idb(101, 0, Some(9));
            b.idb(228, 0, Some(0x80 | 10));
            b.block(5, &[0; 8]); // an ISB, skipped
            b.epb(0, 3_000_001, &[1, 2, 3], 60);
            b.epb(1, 4_000_000_002, &[4; 8], 8);
            b.epb(2, 3 * 1024 + 512, &[5], 1);
            let got = collect(&b.out).unwrap();
            assert_eq!(got.len(), 3);
            assert_eq!(
                got[0],
                (
                    Timestamp::new(3, 1000),
                    vec![1, 2, 3],
                    60,
                    LinkType::Ethernet,
                    0
                )
            );
            assert_eq!(
                got[1],
                (Timestamp::new(4, 2), vec![4; 8], 8, LinkType::Raw, 1)
            );
            assert_eq!(
                got[2],
                (
                    Timestamp::new(3, 500_000_000),
                    vec![5],
                    1,
                    LinkType::Ipv4,
                    2
                )
            );
        }
    }

    #[test]
    fn sections_reset_interfaces_and_byte_order() {
        let mut b = Builder {
            big: false,
            out: Vec::new(),
        };
        b.shb();
        b.idb(1, 0, None);
        b.epb(0, 0, &[1], 1);
        b.big = true;
        b.shb();
        b.idb(229, 0, None);
        b.epb(0, 0, &[2], 1);
        b.epb(1, 0, &[3], 1); // interface 1 belonged to no section here
        let mut r = PcapngReader::new(&b.out[..]).unwrap();
        assert_eq!(
            r.next_packet().unwrap().unwrap().link_type,
            LinkType::Ethernet
        );
        assert_eq!(r.next_packet().unwrap().unwrap().link_type, LinkType::Ipv6);
        assert!(r.is_big_endian());
        assert_eq!(r.interfaces().len(), 1);
        match r.next_packet() {
            Some(Err(PcapError::UnknownInterface {
                interface_id: 1,
                offset,
            })) => assert_eq!(offset as usize, b.out.len() - 36),
            other => panic!("{other:?}"),
        }
        assert!(r.next_packet().is_none());
    }

    #[test]
    fn simple_packet_block() {
        let mut b = Builder {
            big: false,
            out: Vec::new(),
        };
        b.shb();
        b.idb(1, 4, None);
        b.spb(&[1, 2, 3, 4], 100); // cut by snaplen 4
        b.spb(&[7, 8], 2);
        let got = collect(&b.out).unwrap();
        assert_eq!(got[0].1, vec![1, 2, 3, 4]);
        assert_eq!(got[0].2, 100);
        assert_eq!(got[1].1, vec![7, 8]);
    }

    #[test]
    fn spb_without_interface() {
        let mut b = Builder {
            big: false,
            out: Vec::new(),
        };
        b.shb();
        b.spb(&[1], 1);
        assert!(matches!(
            collect(&b.out),
            Err(PcapError::UnknownInterface {
                offset: 28,
                interface_id: 0
            })
        ));
    }

    #[test]
    fn framing_errors() {
        let mut b = Builder {
            big: false,
            out: Vec::new(),
        };
        b.shb();
        b.idb(1, 0, None);
        let good = b.out.clone();
        // Length not a multiple of 4, and below 12.
        for (len, what) in [(30u32, "multiple of 4"), (8, "below 12")] {
            let mut f = good.clone();
            f[32..36].copy_from_slice(&len.to_le_bytes());
            match collect(&f) {
                Err(PcapError::Malformed {
                    offset: 32,
                    what: w,
                }) => assert!(w.contains(what)),
                other => panic!("{other:?}"),
            }
        }
        // Trailer mismatch.
        let mut f = good.clone();
        let n = f.len();
        f[n - 4] ^= 4;
        assert!(matches!(
            collect(&f),
            Err(PcapError::Malformed { offset, .. }) if offset as usize == n - 4
        ));
        // Bad byte-order magic.
        let mut f = good;
        f[8] = 0;
        assert!(matches!(
            PcapngReader::new(&f[..]),
            Err(PcapError::BadMagic { offset: 8, .. })
        ));
    }

    #[test]
    fn option_overrun() {
        let mut b = Builder {
            big: false,
            out: Vec::new(),
        };
        b.shb();
        let mut body = vec![1, 0, 0, 0, 0, 0, 0, 0];
        body.extend_from_slice(&[9, 0, 200, 0]); // if_tsresol claiming 200 bytes
        b.block(IDB, &body);
        assert!(matches!(
            collect(&b.out),
            Err(PcapError::Malformed { offset: 44, .. })
        ));
    }

    #[test]
    fn resolutions() {
        assert_eq!(ticks_per_sec(6), Some(1_000_000));
        assert_eq!(ticks_per_sec(0x80 | 20), Some(1 << 20));
        assert_eq!(ticks_per_sec(38), Some(10u128.pow(38)));
        assert_eq!(ticks_per_sec(39), None);
        assert_eq!(ticks_per_sec(0xff), Some(1 << 127));
    }
}
