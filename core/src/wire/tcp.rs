//! TCP (RFC 9293): sequence numbers, the segment view, its options, and the repr.
//!
//! The view reads a segment as it is on the wire; the option area is walked by
//! [`TcpOptions`], a bounds-checked iterator. The repr carries what the state
//! machine uses: ports, sequence space, window, the options it negotiates
//! (MSS, window scale RFC 7323 §2, SACK RFC 2018, timestamps RFC 7323 §3) and
//! the payload, borrowed from the buffer. Unknown options and reserved bits
//! are not carried, so they are dropped on re-emit.
//!
//! [`TcpRepr::emit`] writes the header, copies the payload once and sums the
//! whole segment in one checksum pass.

use core::{cmp::Ordering, fmt, ops};

use super::be;
use bitflags::bitflags;

use super::checksum;
use super::{ChecksumMode, Error, IpAddr, IpProtocol, Result};

/// A TCP sequence number: a point in a 2³² circular space.
///
/// RFC 9293 §3.4: "all arithmetic dealing with sequence numbers must be
/// performed modulo 2**32". Addition and subtraction wrap, and the order is
/// the modular one: `a < b` when `b` is less than 2³¹ ahead of `a`. Two
/// numbers exactly 2³¹ apart are incomparable (`partial_cmp` gives `None`),
/// which keeps the order antisymmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TcpSeqNumber(pub u32);

impl TcpSeqNumber {
    /// The signed distance from `other` to `self` (positive when `self` is ahead).
    pub const fn distance_from(self, other: TcpSeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// The later of two numbers in modular order (`self` when incomparable).
    pub fn max(self, other: TcpSeqNumber) -> TcpSeqNumber {
        if other > self {
            other
        } else {
            self
        }
    }

    /// The earlier of two numbers in modular order (`self` when incomparable).
    pub fn min(self, other: TcpSeqNumber) -> TcpSeqNumber {
        if other < self {
            other
        } else {
            self
        }
    }
}

impl PartialOrd for TcpSeqNumber {
    fn partial_cmp(&self, other: &TcpSeqNumber) -> Option<Ordering> {
        match self.distance_from(*other) {
            0 => Some(Ordering::Equal),
            i32::MIN => None,
            d if d > 0 => Some(Ordering::Greater),
            _ => Some(Ordering::Less),
        }
    }
}

impl ops::Add<usize> for TcpSeqNumber {
    type Output = TcpSeqNumber;
    fn add(self, rhs: usize) -> TcpSeqNumber {
        // Truncating `rhs` is exact modulo 2³², which is the arithmetic wanted.
        TcpSeqNumber(self.0.wrapping_add(rhs as u32))
    }
}

impl ops::Sub<usize> for TcpSeqNumber {
    type Output = TcpSeqNumber;
    fn sub(self, rhs: usize) -> TcpSeqNumber {
        TcpSeqNumber(self.0.wrapping_sub(rhs as u32))
    }
}

impl ops::AddAssign<usize> for TcpSeqNumber {
    fn add_assign(&mut self, rhs: usize) {
        *self = *self + rhs;
    }
}

impl ops::Sub for TcpSeqNumber {
    type Output = i32;
    /// The signed modular distance, as [`distance_from`](TcpSeqNumber::distance_from).
    fn sub(self, rhs: TcpSeqNumber) -> i32 {
        self.distance_from(rhs)
    }
}

impl fmt::Display for TcpSeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

bitflags! {
    /// The control bits (RFC 9293 §3.1; ECE/CWR RFC 3168 §6.1; NS RFC 3540).
    ///
    /// The low eight bits are byte 13 of the header; `NS` is bit 0 of byte 12
    /// (historic since RFC 8311, reused as AE by Accurate ECN).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct TcpFlags: u16 {
        /// No more data from sender.
        const FIN = 0x001;
        /// Synchronize sequence numbers.
        const SYN = 0x002;
        /// Reset the connection.
        const RST = 0x004;
        /// Push function.
        const PSH = 0x008;
        /// The acknowledgment field is significant.
        const ACK = 0x010;
        /// The urgent pointer field is significant.
        const URG = 0x020;
        /// ECN-Echo (RFC 3168).
        const ECE = 0x040;
        /// Congestion Window Reduced (RFC 3168).
        const CWR = 0x080;
        /// ECN-nonce concealment protection (RFC 3540, historic) / AE (AccECN).
        const NS = 0x100;
    }
}

/// Byte ranges of the fixed header (RFC 9293 §3.1, figure 1).
mod field {
    use crate::wire::Field;

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (high nibble, 32-bit words), reserved (3 bits), NS (bit 0).
    pub const DOFF_NS: usize = 12;
    /// CWR ECE URG ACK PSH RST SYN FIN.
    pub const FLAGS: usize = 13;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
}

/// The length of a header without options (data offset 5).
pub const HEADER_LEN: usize = 20;

/// The largest header: the data offset is four bits, so at most 15 words.
pub const MAX_HEADER_LEN: usize = 60;

/// The most option bytes a header can carry.
pub const MAX_OPTIONS_LEN: usize = MAX_HEADER_LEN - HEADER_LEN;

/// The most SACK blocks an option can carry: 2 + 8·4 = 34 ≤ 40 (RFC 2018 §3).
pub const MAX_SACK_BLOCKS: usize = 4;

/// Option kinds (IANA "TCP Option Kind Numbers").
mod kind {
    pub const END: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WS: u8 = 3;
    pub const SACK_PERM: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TS: u8 = 8;
}

/// A read/write view of a TCP segment (header, options and payload).
///
/// TCP has no length field: the segment is the whole buffer, so the caller
/// passes exactly the IP payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps a buffer without checking it; accessors may panic on a short one.
    pub const fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len) has accepted it.
    pub fn new_checked(buffer: T) -> Result<TcpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks every length the accessors rely on: the fixed header is
    /// present, the data offset is at least 5, and the header (options
    /// included) fits the buffer.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        // RFC 9293 §3.1: the header is at least five 32-bit words.
        if self.header_len() < HEADER_LEN {
            return Err(Error::Malformed("tcp data offset"));
        }
        if self.header_len() > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::SRC_PORT])
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::DST_PORT])
    }

    /// The sequence number of the first octet (or the ISN on a SYN).
    pub fn seq_number(&self) -> TcpSeqNumber {
        TcpSeqNumber(be::read_u32(&self.buffer.as_ref()[field::SEQ_NUM]))
    }

    /// The acknowledgment field (meaningful only with ACK set).
    pub fn ack_number(&self) -> TcpSeqNumber {
        TcpSeqNumber(be::read_u32(&self.buffer.as_ref()[field::ACK_NUM]))
    }

    /// The header length in bytes (data offset × 4), options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::DOFF_NS] >> 4) * 4
    }

    /// The raw control byte (byte 13: CWR ECE URG ACK PSH RST SYN FIN).
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    /// The control bits, NS included (reserved bits are not reported).
    pub fn control(&self) -> TcpFlags {
        let buf = self.buffer.as_ref();
        let ns = u16::from(buf[field::DOFF_NS] & 0x01) << 8;
        TcpFlags::from_bits_truncate(ns | u16::from(buf[field::FLAGS]))
    }

    /// The three reserved bits of byte 12 (RFC 9293 §3.1: must be zero).
    pub fn reserved(&self) -> u8 {
        (self.buffer.as_ref()[field::DOFF_NS] >> 1) & 0x07
    }

    /// True when FIN is set.
    pub fn fin(&self) -> bool {
        self.flags() & 0x01 != 0
    }

    /// True when SYN is set.
    pub fn syn(&self) -> bool {
        self.flags() & 0x02 != 0
    }

    /// True when RST is set.
    pub fn rst(&self) -> bool {
        self.flags() & 0x04 != 0
    }

    /// True when ACK is set.
    pub fn ack(&self) -> bool {
        self.flags() & 0x10 != 0
    }

    /// The window field (unscaled).
    pub fn window_len(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::WIN_SIZE])
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The urgent pointer field (meaningful only with URG set).
    pub fn urgent_at(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::URGENT])
    }

    /// The option bytes, between the fixed header and `header_len`.
    pub fn options(&self) -> &[u8] {
        let buf = self.buffer.as_ref();
        buf.get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }

    /// A bounds-checked walk over [`options`](Self::options).
    pub fn options_iter(&self) -> TcpOptions<'_> {
        TcpOptions::new(self.options())
    }

    /// The data after the header.
    pub fn payload(&self) -> &[u8] {
        let buf = self.buffer.as_ref();
        buf.get(self.header_len()..).unwrap_or(&[])
    }

    /// The sequence space the segment occupies: payload plus SYN and FIN
    /// (RFC 9293 §3.4, "SEG.LEN").
    pub fn segment_len(&self) -> usize {
        self.payload().len() + usize::from(self.syn()) + usize::from(self.fin())
    }

    /// True when the checksum verifies against the pseudo-header of `src`
    /// and `dst` (RFC 9293 §3.1; RFC 8200 §8.1 for IPv6). TCP's checksum is
    /// mandatory, so zero has no special meaning.
    pub fn verify_checksum(&self, src: &IpAddr, dst: &IpAddr) -> bool {
        let data = self.buffer.as_ref();
        let ph = checksum::pseudo_header(src, dst, IpProtocol::Tcp, seg_len_u32(data.len()));
        checksum::combine(&[ph, checksum::sum(data)]) == 0xffff
    }
}

/// The segment length for the pseudo-header; a buffer over 4 GiB cannot be
/// a segment, and saturating keeps it from verifying rather than panicking.
fn seg_len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::SRC_PORT], value)
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::DST_PORT], value)
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, value: TcpSeqNumber) {
        be::write_u32(&mut self.buffer.as_mut()[field::SEQ_NUM], value.0)
    }

    /// Sets the acknowledgment field.
    pub fn set_ack_number(&mut self, value: TcpSeqNumber) {
        be::write_u32(&mut self.buffer.as_mut()[field::ACK_NUM], value.0)
    }

    /// Sets the data offset from a header length in bytes (rounded down to
    /// a word, at most 60), keeping the reserved and NS bits.
    pub fn set_header_len(&mut self, len: usize) {
        let words = (len.min(MAX_HEADER_LEN) / 4) as u8;
        let b = &mut self.buffer.as_mut()[field::DOFF_NS];
        *b = (words << 4) | (*b & 0x0f);
    }

    /// Sets the raw control byte (byte 13), leaving NS alone.
    pub fn set_flags(&mut self, value: u8) {
        self.buffer.as_mut()[field::FLAGS] = value;
    }

    /// Sets every control bit, NS included; clears the reserved bits.
    pub fn set_control(&mut self, value: TcpFlags) {
        let bits = value.bits();
        let buf = self.buffer.as_mut();
        buf[field::DOFF_NS] = (buf[field::DOFF_NS] & 0xf0) | (bits >> 8) as u8;
        buf[field::FLAGS] = bits as u8;
    }

    /// Sets the window field.
    pub fn set_window_len(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::WIN_SIZE], value)
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value)
    }

    /// Sets the urgent pointer field.
    pub fn set_urgent_at(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::URGENT], value)
    }

    /// The option bytes, writable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        self.buffer
            .as_mut()
            .get_mut(HEADER_LEN..end)
            .unwrap_or(&mut [])
    }

    /// The data after the header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        self.buffer.as_mut().get_mut(start..).unwrap_or(&mut [])
    }

    /// Computes the checksum over the pseudo-header and the whole buffer,
    /// and stores it.
    pub fn fill_checksum(&mut self, src: &IpAddr, dst: &IpAddr) {
        self.set_checksum(0);
        let data = self.buffer.as_ref();
        let ph = checksum::pseudo_header(src, dst, IpProtocol::Tcp, seg_len_u32(data.len()));
        let sum = checksum::combine(&[ph, checksum::sum(data)]);
        self.set_checksum(checksum::finish(sum));
    }
}

/// One TCP option, as found in the option area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of Option List (kind 0): the rest of the area is padding.
    EndOfList,
    /// No-Operation (kind 1), used to align options.
    NoOperation,
    /// Maximum Segment Size (kind 2, RFC 9293 §3.7.1).
    MaxSegmentSize(u16),
    /// Window Scale shift count (kind 3, RFC 7323 §2).
    WindowScale(u8),
    /// SACK-Permitted (kind 4, RFC 2018 §2).
    SackPermitted,
    /// SACK blocks as (left edge, right edge) pairs (kind 5, RFC 2018 §3);
    /// the used entries come first.
    SackRange([Option<(u32, u32)>; MAX_SACK_BLOCKS]),
    /// Timestamps (kind 8, RFC 7323 §3).
    Timestamp {
        /// TSval: the sender's clock.
        tsval: u32,
        /// TSecr: the echoed TSval.
        tsecr: u32,
    },
    /// Any other kind, with its data (the bytes after kind and length).
    Unknown {
        /// The option kind.
        kind: u8,
        /// The option data.
        data: &'a [u8],
    },
}

/// A bounds-checked iterator over an option area.
///
/// Yields `Err` once for a malformed option and then stops; stops after
/// End of Option List (the bytes after it are padding, RFC 9293 §3.2).
#[derive(Debug, Clone)]
pub struct TcpOptions<'a> {
    rest: &'a [u8],
}

impl<'a> TcpOptions<'a> {
    /// Walks `options` (the bytes between the fixed header and the data).
    pub const fn new(options: &'a [u8]) -> TcpOptions<'a> {
        TcpOptions { rest: options }
    }

    #[inline]
    fn next_option(&mut self) -> Result<TcpOption<'a>> {
        let (&k, after_kind) = self.rest.split_first().ok_or(Error::Truncated)?;
        match k {
            kind::END => {
                self.rest = &[];
                return Ok(TcpOption::EndOfList);
            }
            kind::NOP => {
                self.rest = after_kind;
                return Ok(TcpOption::NoOperation);
            }
            _ => {}
        }
        // RFC 9293 §3.2: every other option is kind, length (counting both
        // octets), data; the length must stay inside the option area.
        let len = usize::from(
            *after_kind
                .first()
                .ok_or(Error::Malformed("tcp option length"))?,
        );
        if len < 2 {
            return Err(Error::Malformed("tcp option length"));
        }
        let (opt, rest) = self
            .rest
            .split_at_checked(len)
            .ok_or(Error::Malformed("tcp option length"))?;
        let data = opt.get(2..).unwrap_or(&[]);
        self.rest = rest;
        Ok(match k {
            // RFC 9293 §3.2: "Length=4".
            kind::MSS => match *data {
                [a, b] => TcpOption::MaxSegmentSize(u16::from_be_bytes([a, b])),
                _ => return Err(Error::Malformed("tcp mss option")),
            },
            // RFC 7323 §2.2: "Length: 3 bytes".
            kind::WS => match *data {
                [shift] => TcpOption::WindowScale(shift),
                _ => return Err(Error::Malformed("tcp window scale option")),
            },
            // RFC 2018 §2: "Length=2".
            kind::SACK_PERM => match *data {
                [] => TcpOption::SackPermitted,
                _ => return Err(Error::Malformed("tcp sack-permitted option")),
            },
            // RFC 2018 §3: "Length: Variable", 8 octets per block, n ≥ 1.
            kind::SACK => {
                if data.is_empty() || data.len() % 8 != 0 || data.len() > 8 * MAX_SACK_BLOCKS {
                    return Err(Error::Malformed("tcp sack option"));
                }
                let mut blocks = [None; MAX_SACK_BLOCKS];
                for (slot, b) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    *slot = Some((be::read_u32(&b[..4]), be::read_u32(&b[4..])));
                }
                TcpOption::SackRange(blocks)
            }
            // RFC 7323 §3.2: "Length: 10 bytes".
            kind::TS => match *data {
                [a, b, c, d, e, f, g, h] => TcpOption::Timestamp {
                    tsval: u32::from_be_bytes([a, b, c, d]),
                    tsecr: u32::from_be_bytes([e, f, g, h]),
                },
                _ => return Err(Error::Malformed("tcp timestamp option")),
            },
            kind => TcpOption::Unknown { kind, data },
        })
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<TcpOption<'a>>;

    // Inlined into the parse loop so the large option enum is matched in
    // registers instead of being moved through memory per option.
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let item = self.next_option();
        if item.is_err() {
            self.rest = &[];
        }
        Some(item)
    }
}

/// The semantic content of a TCP segment.
///
/// `control` holds every flag except ACK and URG: their presence is
/// `ack_number.is_some()` and `urgent_at.is_some()`, so each fact has one
/// place. Options are carried once each; a segment repeating one keeps the
/// last. Window scale is carried as received (RFC 7323 §2.3 has the
/// receiver clamp values above 14, which is the state machine's job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr<'a> {
    /// The source port.
    pub src_port: u16,
    /// The destination port.
    pub dst_port: u16,
    /// The control bits, without ACK and URG.
    pub control: TcpFlags,
    /// The sequence number.
    pub seq_number: TcpSeqNumber,
    /// The acknowledgment number, when ACK is set.
    pub ack_number: Option<TcpSeqNumber>,
    /// The window field (unscaled).
    pub window_len: u16,
    /// The window scale option's shift count.
    pub window_scale: Option<u8>,
    /// The maximum segment size option.
    pub max_seg_size: Option<u16>,
    /// Whether the SACK-permitted option is present.
    pub sack_permitted: bool,
    /// The SACK blocks, used entries first.
    pub sack_ranges: [Option<(u32, u32)>; MAX_SACK_BLOCKS],
    /// The timestamps option as (TSval, TSecr).
    pub timestamp: Option<(u32, u32)>,
    /// The urgent pointer, when URG is set.
    pub urgent_at: Option<u16>,
    /// The data.
    pub payload: &'a [u8],
}

/// How [`TcpRepr::emit`] lays the options out, decided once and shared with
/// [`TcpRepr::header_len`] so the two always agree.
#[derive(Debug, Clone, Copy)]
struct OptionLayout {
    /// Word-aligned with NOPs, as Linux sends them; else packed, EOL-padded.
    aligned: bool,
    /// How many SACK blocks fit.
    sack_blocks: usize,
    /// Option bytes, padding included (a multiple of 4, at most 40).
    len: usize,
}

impl<'a> TcpRepr<'a> {
    /// A segment with no options, no ACK, a zero window and no payload:
    /// the base of a reset or of a crafted segment, whose other fields the
    /// caller sets with struct-update syntax.
    pub const fn bare(
        src_port: u16,
        dst_port: u16,
        control: TcpFlags,
        seq_number: TcpSeqNumber,
    ) -> TcpRepr<'a> {
        TcpRepr {
            src_port,
            dst_port,
            control,
            seq_number,
            ack_number: None,
            window_len: 0,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; MAX_SACK_BLOCKS],
            timestamp: None,
            urgent_at: None,
            payload: &[],
        }
    }

    /// Reads and validates a segment received from `src` for `dst`.
    ///
    /// Checks lengths, ports, the option syntax and, with
    /// [`ChecksumMode::Check`], the checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &TcpPacket<&'a T>,
        src: &IpAddr,
        dst: &IpAddr,
        checksum: ChecksumMode,
    ) -> Result<TcpRepr<'a>> {
        packet.check_len()?;
        // Port 0 is reserved: no connection can be identified by it.
        if packet.src_port() == 0 {
            return Err(Error::Malformed("tcp source port"));
        }
        if packet.dst_port() == 0 {
            return Err(Error::Malformed("tcp destination port"));
        }
        if checksum.is_check() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        let control = packet.control();
        let mut repr = TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            control: control.difference(TcpFlags::ACK | TcpFlags::URG),
            seq_number: packet.seq_number(),
            ack_number: control.contains(TcpFlags::ACK).then(|| packet.ack_number()),
            window_len: packet.window_len(),
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; MAX_SACK_BLOCKS],
            timestamp: None,
            urgent_at: control.contains(TcpFlags::URG).then(|| packet.urgent_at()),
            payload: &[],
        };
        // Nearly every segment of a connection with timestamps carries
        // them alone, word-aligned as RFC 7323 Appendix A suggests (Linux
        // and we send them so): read those 12 bytes straight, as Linux's
        // tcp_fast_parse_options does; the same values the walk gives.
        if let [kind::NOP, kind::NOP, kind::TS, 10, a, b, c, d, e, f, g, h] = *packet.options() {
            let tsval = u32::from_be_bytes([a, b, c, d]);
            let tsecr = u32::from_be_bytes([e, f, g, h]);
            repr.timestamp = Some((tsval, tsecr));
        } else {
            repr.parse_options(packet.options_iter())?;
        }
        // Borrow the payload for 'a (the buffer's lifetime), not for the
        // lifetime of `packet`.
        let buf: &'a [u8] = packet.buffer.as_ref();
        repr.payload = buf.get(packet.header_len()..).unwrap_or(&[]);
        Ok(repr)
    }

    /// Takes the options `options` yields into `self`.
    fn parse_options(&mut self, options: TcpOptions<'_>) -> Result<()> {
        let repr = self;
        for option in options {
            match option? {
                TcpOption::EndOfList | TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
                TcpOption::MaxSegmentSize(mss) => repr.max_seg_size = Some(mss),
                TcpOption::WindowScale(shift) => repr.window_scale = Some(shift),
                TcpOption::SackPermitted => repr.sack_permitted = true,
                TcpOption::SackRange(blocks) => repr.sack_ranges = blocks,
                TcpOption::Timestamp { tsval, tsecr } => repr.timestamp = Some((tsval, tsecr)),
            }
        }
        Ok(())
    }

    fn sack_count(&self) -> usize {
        self.sack_ranges.iter().filter(|r| r.is_some()).count()
    }

    fn option_layout(&self) -> OptionLayout {
        let sack = self.sack_count();
        let sack_len = |n: usize| if n == 0 { 0 } else { 2 + 8 * n };
        // Word-aligned, the way Linux writes them: every option starts on a
        // 4-byte boundary, so MSS, [SACK-permitted +] timestamps, NOP+WS,
        // NOP NOP+SACK; SACK-permitted alone is NOP NOP+SACK-permitted.
        let mut aligned = 0;
        if self.max_seg_size.is_some() {
            aligned += 4;
        }
        if self.timestamp.is_some() {
            aligned += 12;
        } else if self.sack_permitted {
            aligned += 4;
        }
        if self.window_scale.is_some() {
            aligned += 4;
        }
        if sack > 0 {
            aligned += 2 + sack_len(sack);
        }
        if aligned <= MAX_OPTIONS_LEN {
            return OptionLayout {
                aligned: true,
                sack_blocks: sack,
                len: aligned,
            };
        }
        // Too long aligned: pack without NOPs. Anything parsed from a real
        // segment fits this way, because its options already did. A repr
        // built by hand with too much drops SACK blocks until it fits.
        let mut packed = 0;
        if self.max_seg_size.is_some() {
            packed += 4;
        }
        if self.sack_permitted {
            packed += 2;
        }
        if self.timestamp.is_some() {
            packed += 10;
        }
        if self.window_scale.is_some() {
            packed += 3;
        }
        let mut blocks = sack;
        while blocks > 0 && packed + sack_len(blocks) > MAX_OPTIONS_LEN {
            blocks -= 1;
        }
        let len = (packed + sack_len(blocks)).next_multiple_of(4);
        OptionLayout {
            aligned: false,
            sack_blocks: blocks,
            len,
        }
    }

    /// The header length [`emit`](Self::emit) writes, options included.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.option_layout().len
    }

    /// The bytes [`emit`](Self::emit) needs: header plus payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// The sequence space the segment occupies: payload plus SYN and FIN.
    pub fn segment_len(&self) -> usize {
        self.payload.len()
            + usize::from(self.control.contains(TcpFlags::SYN))
            + usize::from(self.control.contains(TcpFlags::FIN))
    }

    /// Writes the segment into `packet`: header, options, one copy of the
    /// payload, then (with [`ChecksumMode::Check`]) one checksum pass over
    /// the first [`buffer_len`](Self::buffer_len) bytes. With
    /// [`ChecksumMode::Skip`] the checksum field is left as it is.
    ///
    /// The buffer should be exactly `buffer_len()` bytes: TCP has no length
    /// field, so a receiver takes the whole IP payload as the segment.
    ///
    /// # Panics
    /// If the buffer is shorter than [`buffer_len`](Self::buffer_len) (a
    /// caller bug, not data).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut TcpPacket<T>,
        src: &IpAddr,
        dst: &IpAddr,
        checksum: ChecksumMode,
    ) {
        let layout = self.option_layout();
        let header_len = HEADER_LEN + layout.len;
        let total = header_len + self.payload.len();
        let buf = &mut packet.buffer.as_mut()[..total];
        let (header, payload) = buf.split_at_mut(header_len);
        let (fixed, options) = header.split_at_mut(HEADER_LEN);

        let mut control = self.control.difference(TcpFlags::ACK | TcpFlags::URG);
        if self.ack_number.is_some() {
            control |= TcpFlags::ACK;
        }
        if self.urgent_at.is_some() {
            control |= TcpFlags::URG;
        }
        let bits = control.bits();
        let ack = self.ack_number.map_or(0, |a| a.0);
        fixed[field::SRC_PORT].copy_from_slice(&self.src_port.to_be_bytes());
        fixed[field::DST_PORT].copy_from_slice(&self.dst_port.to_be_bytes());
        fixed[field::SEQ_NUM].copy_from_slice(&self.seq_number.0.to_be_bytes());
        fixed[field::ACK_NUM].copy_from_slice(&ack.to_be_bytes());
        // Reserved bits are zero (RFC 9293 §3.1).
        fixed[field::DOFF_NS] = ((header_len / 4) as u8) << 4 | (bits >> 8) as u8;
        fixed[field::FLAGS] = bits as u8;
        fixed[field::WIN_SIZE].copy_from_slice(&self.window_len.to_be_bytes());
        fixed[field::CHECKSUM].copy_from_slice(&[0, 0]);
        fixed[field::URGENT].copy_from_slice(&self.urgent_at.unwrap_or(0).to_be_bytes());

        self.write_options(options, layout);
        // Up to 64 KB with TSO, from wherever the send ring has it.
        crate::copy::copy_bulk(payload, self.payload);

        if checksum.is_check() {
            let ph = checksum::pseudo_header(src, dst, IpProtocol::Tcp, seg_len_u32(total));
            let sum = checksum::combine(&[ph, checksum::sum(buf)]);
            buf[field::CHECKSUM].copy_from_slice(&checksum::finish(sum).to_be_bytes());
        }
    }

    /// Writes the option area (exactly `layout.len` bytes) per `layout`.
    fn write_options(&self, out: &mut [u8], layout: OptionLayout) {
        let mut w = OptionWriter { out, at: 0 };
        if let Some(mss) = self.max_seg_size {
            let [a, b] = mss.to_be_bytes();
            w.put(&[kind::MSS, 4, a, b]);
        }
        if layout.aligned {
            if let Some((tsval, tsecr)) = self.timestamp {
                if self.sack_permitted {
                    w.put(&[kind::SACK_PERM, 2]);
                } else {
                    w.put(&[kind::NOP, kind::NOP]);
                }
                w.put_timestamp(tsval, tsecr);
            } else if self.sack_permitted {
                w.put(&[kind::NOP, kind::NOP, kind::SACK_PERM, 2]);
            }
            if let Some(shift) = self.window_scale {
                w.put(&[kind::NOP, kind::WS, 3, shift]);
            }
            if layout.sack_blocks > 0 {
                w.put(&[kind::NOP, kind::NOP]);
                w.put_sack(&self.sack_ranges, layout.sack_blocks);
            }
        } else {
            if self.sack_permitted {
                w.put(&[kind::SACK_PERM, 2]);
            }
            if let Some((tsval, tsecr)) = self.timestamp {
                w.put_timestamp(tsval, tsecr);
            }
            if let Some(shift) = self.window_scale {
                w.put(&[kind::WS, 3, shift]);
            }
            w.put_sack(&self.sack_ranges, layout.sack_blocks);
        }
        // RFC 9293 §3.2: pad to a word with zeros (End of Option List).
        let at = w.at;
        w.out[at..].fill(kind::END);
    }
}

/// A cursor over the option area; the layout guarantees every write fits.
struct OptionWriter<'b> {
    out: &'b mut [u8],
    at: usize,
}

impl OptionWriter<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.out[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    fn put_timestamp(&mut self, tsval: u32, tsecr: u32) {
        self.put(&[kind::TS, 10]);
        self.put(&tsval.to_be_bytes());
        self.put(&tsecr.to_be_bytes());
    }

    fn put_sack(&mut self, ranges: &[Option<(u32, u32)>], count: usize) {
        if count == 0 {
            return;
        }
        self.put(&[kind::SACK, (2 + 8 * count) as u8]);
        for (left, right) in ranges.iter().flatten().take(count) {
            self.put(&left.to_be_bytes());
            self.put(&right.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests;
