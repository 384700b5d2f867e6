//! Initial sequence numbers (RFC 6528) and SYN cookies (RFC 4987 §3.6).
//!
//! Both need a keyed pseudorandom function that an off-path attacker cannot
//! evaluate: [`siphash24`], SipHash-2-4 (Aumasson & Bernstein, 2012), written
//! here so the crate takes no new dependency. The secrets come from the caller:
//! the crate never reads OS randomness.
//!
//! - [`IsnGenerator`]: `ISN = M + F(4-tuple, secret)` with `M` a 4 µs timer
//!   (RFC 6528 §3, RFC 9293 §3.4.1).
//! - [`SynCookies`]: a listener whose SYN queue is full answers with a SYN-ACK
//!   whose ISN encodes what it would have stored (time, MSS) plus a MAC over
//!   the connection, and keeps no state; the client's ACK (`ack − 1`) gives the
//!   cookie back, and [`SynCookies::decode`] recovers the MSS. A SYN flood so
//!   cannot lock out legitimate clients (RFC 4987 §3.6).
//! - [`encode_ts_options`] / [`decode_ts_options`]: window scale and
//!   SACK-permitted do not fit in the cookie; when the client sent timestamps
//!   (RFC 7323 §3) they ride in the low bits of our TSval, which the client
//!   echoes in TSecr.

use core::fmt;

use crate::time::Instant;
use crate::wire::tcp::TcpSeqNumber;
use crate::wire::{IpAddr, IpEndpoint};

// ---------------------------------------------------------------------------
// SipHash-2-4
// ---------------------------------------------------------------------------

/// One SipRound (SipHash paper §2): add-rotate-xor over the four lanes.
#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-2-4 of `msg` under the 128-bit `key`: a keyed PRF whose output an
/// attacker who does not know `key` cannot predict (SipHash paper §2–§3).
///
/// The 64-bit result is the little-endian reading of the reference
/// implementation's 8 output bytes.
pub fn siphash24(key: &[u8; 16], msg: &[u8]) -> u64 {
    let (k0_bytes, k1_bytes) = key.split_at(8);
    let mut k = [0u8; 8];
    k.copy_from_slice(k0_bytes);
    let k0 = u64::from_le_bytes(k);
    k.copy_from_slice(k1_bytes);
    let k1 = u64::from_le_bytes(k);
    // Initialisation: the key xor "somepseudorandomlygeneratedbytes".
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let compress = |v: &mut [u64; 4], m: u64| {
        v[3] ^= m;
        sip_round(v); // c = 2 compression rounds
        sip_round(v);
        v[0] ^= m;
    };
    let mut chunks = msg.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        compress(&mut v, u64::from_le_bytes(w));
    }
    // The last word: the 0–7 remaining bytes, and the length mod 256 in the
    // top byte (paper §2, "the last block").
    let mut last = [0u8; 8];
    let tail = chunks.remainder();
    if let Some(dst) = last.get_mut(..tail.len()) {
        dst.copy_from_slice(tail);
    }
    last[7] = msg.len() as u8; // truncation = length mod 256, as specified
    compress(&mut v, u64::from_le_bytes(last));
    // Finalisation: d = 4 rounds.
    v[2] ^= 0xff;
    for _ in 0..4 {
        sip_round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// A fixed-size message for the PRF: a domain tag, the 4-tuple and a few
/// integers, at most 48 bytes (tag 1 + 2 × (family 1 + address 16 + port 2)
/// + ISN 4 + time 4 + MSS index 1), so no heap.
struct Message {
    buf: [u8; 64],
    len: usize,
}

impl Message {
    fn new(domain: u8) -> Message {
        let mut m = Message {
            buf: [0; 64],
            len: 0,
        };
        m.put(&[domain]);
        m
    }

    fn put(&mut self, bytes: &[u8]) {
        // The layout above never exceeds the buffer; `get_mut` keeps even a
        // mistake from panicking (the hash would only lose those bytes).
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
        }
    }

    /// The family is hashed too, so an IPv4 address can never collide with
    /// the prefix of an IPv6 one.
    fn put_endpoint(&mut self, ep: IpEndpoint) {
        match ep.addr {
            IpAddr::V4(a) => {
                self.put(&[4]);
                self.put(&a.octets());
            }
            IpAddr::V6(a) => {
                self.put(&[6]);
                self.put(&a.octets());
            }
        }
        self.put(&ep.port.to_be_bytes());
    }

    fn hash(&self, key: &[u8; 16]) -> u64 {
        siphash24(key, self.buf.get(..self.len).unwrap_or(&[]))
    }
}

/// Domain tags, so a caller that gives both generators the same secret still
/// gets unrelated ISNs and cookie MACs.
const DOMAIN_ISN: u8 = b'I';
const DOMAIN_COOKIE: u8 = b'C';
const DOMAIN_TS: u8 = b'T';

// ---------------------------------------------------------------------------
// RFC 6528 initial sequence numbers
// ---------------------------------------------------------------------------

/// The RFC 6528 ISN generator.
///
/// RFC 6528 §3: "ISN = M + F(localip, localport, remoteip, remoteport,
/// secretkey) where M is the 4 microsecond timer" and F is a PRF that "MUST
/// NOT be computable from the outside". Here F is SipHash-2-4 keyed by
/// `secret`. Per 4-tuple the ISN so advances one per 4 µs (RFC 9293 §3.4.1's
/// clock, which keeps a new incarnation's numbers away from an old one's),
/// while an off-path attacker cannot guess it for a tuple it does not own.
///
/// The secret should be random (from the caller's RNG) and stay the same for
/// the life of the stack: changing it restarts every tuple's sequence space.
#[derive(Clone)]
pub struct IsnGenerator {
    secret: [u8; 16],
}

impl fmt::Debug for IsnGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret: it would make every ISN predictable.
        f.debug_struct("IsnGenerator").finish_non_exhaustive()
    }
}

impl IsnGenerator {
    /// A generator keyed by `secret` (from the caller's random source).
    pub const fn new(secret: [u8; 16]) -> IsnGenerator {
        IsnGenerator { secret }
    }

    /// The ISN for a connection from `local` to `remote` opened at `now`.
    pub fn isn(&self, local: IpEndpoint, remote: IpEndpoint, now: Instant) -> TcpSeqNumber {
        // RFC 6528 §3 / RFC 9293 §3.4.1: M ticks every 4 µs and wraps modulo
        // 2³² (about every 4.77 hours); `as u32` keeps the low 32 bits, which
        // is exactly that modulus (also for instants before the epoch, thanks
        // to the Euclidean division).
        let m = now.total_micros().div_euclid(4) as u32;
        TcpSeqNumber(m.wrapping_add(self.offset(local, remote)))
    }

    /// F(localip, localport, remoteip, remoteport, secretkey): the tuple's
    /// secret, time-independent offset.
    fn offset(&self, local: IpEndpoint, remote: IpEndpoint) -> u32 {
        self.keyed(DOMAIN_ISN, local, remote)
    }

    /// The offset of our timestamp clock for the connection from `local`
    /// to `remote` (RFC 7323 §7.1: "a random offset … per connection", so
    /// TSvals do not reveal the host's uptime; Linux keys it with SipHash).
    ///
    /// Keyed by the same secret as the ISN but in its own domain, so one
    /// says nothing about the other: with `ISN.rotate_left(13)` anyone who
    /// saw a SYN could subtract it from TSval and read our clock. It depends
    /// on the 4-tuple only, not on time: every incarnation of a 4-tuple
    /// reads the same clock, so a new SYN's TSval is above the old
    /// connection's, which is what lets a peer in TIME-WAIT accept it
    /// (RFC 6191) and what PAWS expects (RFC 7323 §5).
    pub fn ts_offset(&self, local: IpEndpoint, remote: IpEndpoint) -> u32 {
        self.keyed(DOMAIN_TS, local, remote)
    }

    fn keyed(&self, domain: u8, local: IpEndpoint, remote: IpEndpoint) -> u32 {
        let mut msg = Message::new(domain);
        msg.put_endpoint(local);
        msg.put_endpoint(remote);
        msg.hash(&self.secret) as u32
    }
}

// ---------------------------------------------------------------------------
// SYN cookies
// ---------------------------------------------------------------------------

/// The MSS values a cookie can carry (3 bits, so 8 entries), ascending.
///
/// A cookie cannot store the client's MSS, only an index here: the largest
/// entry not above it. The entries are the common link MSSs: 536 (IPv4
/// default, RFC 9293 §3.7.1), 1220 (IPv6 minimum MTU 1280 − 60), 1300
/// (tunnels), 1420 (IPv6 over a 1480-byte tunnel), 1440 (IPv6 on Ethernet),
/// 1452 (IPv4 over PPPoE), 1460 (IPv4 on Ethernet), 8940 (IPv6 jumbo 9000 −
/// 60; IPv4 jumbo's 8960 maps here).
pub const SYN_COOKIE_MSS_TABLE: [u16; 8] = [536, 1220, 1300, 1420, 1440, 1452, 1460, 8940];

/// The length of a cookie time slot, in seconds (the "t" of RFC 4987 §3.6:
/// a counter that increases every 64 seconds).
pub const SYN_COOKIE_SLOT_SECS: i64 = 64;

/// How many slots back a cookie is still accepted: a cookie made in slot `n`
/// is valid in slots `n` and `n + 1`, so between 64 and 128 s after it was
/// sent (like Linux's 60–120 s). That covers the client's RTT and a delay
/// before its first data segment re-carries the ACK, while bounding how long
/// a leaked cookie can be replayed.
pub const SYN_COOKIE_MAX_AGE_SLOTS: u32 = 1;

/// Bit layout of a cookie (RFC 4987 §3.6, after D. J. Bernstein's design):
///
/// ```text
///  31      27 26  24 23                                0
/// +----------+------+-----------------------------------+
/// | t mod 32 | MSS  |  MAC(secret, 4-tuple, client ISN,  |
/// |  5 bits  | idx  |       t, MSS idx) — 24 bits        |
/// +----------+------+-----------------------------------+
/// ```
///
/// `t` in the top bits makes the server's ISNs advance with time as RFC 9293
/// §3.4.1 wants; the 24-bit MAC makes a forged ACK succeed with probability
/// about 2 / 32 × 2⁻²⁴ ≈ 4 × 10⁻⁹.
const COOKIE_T_SHIFT: u32 = 27;
const COOKIE_T_MASK: u32 = 0x1f;
const COOKIE_MSS_SHIFT: u32 = 24;
const COOKIE_MSS_MASK: u32 = 0x7;
const COOKIE_MAC_MASK: u32 = 0x00ff_ffff;

/// Stateless SYN-ACKs for a listener whose SYN queue is full.
///
/// RFC 4987 §3.6: instead of queueing the half-open connection, the listener
/// puts it in the ISN of its SYN-ACK ([`encode`](SynCookies::encode)) and
/// forgets it; the final ACK acknowledges `cookie + 1`, and
/// [`decode`](SynCookies::decode) of `ack − 1` either proves the client
/// received our SYN-ACK (and gives the MSS to use) or rejects the ACK.
///
/// What is lost: window scale and SACK-permitted (unless timestamps carry
/// them, see [`encode_ts_options`]), and the MSS is rounded down to
/// [`SYN_COOKIE_MSS_TABLE`]. A SYN-ACK sent from a cookie is never
/// retransmitted (there is no state): the client retransmits its SYN.
#[derive(Clone)]
pub struct SynCookies {
    secret: [u8; 16],
}

impl fmt::Debug for SynCookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret: it would let anyone forge cookies.
        f.debug_struct("SynCookies").finish_non_exhaustive()
    }
}

impl SynCookies {
    /// Cookies keyed by `secret` (from the caller's random source; use a
    /// different one from the [`IsnGenerator`]'s).
    pub const fn new(secret: [u8; 16]) -> SynCookies {
        SynCookies { secret }
    }

    /// The 64-second time counter at `now` (Euclidean, so instants before the
    /// epoch count down correctly), modulo 2³².
    fn slot(now: Instant) -> u32 {
        now.total_micros()
            .div_euclid(SYN_COOKIE_SLOT_SECS * 1_000_000) as u32
    }

    /// The index of the largest table MSS not above `client_mss`.
    ///
    /// A client MSS below 536 still gets 536: RFC 1122 §3.3.2 requires every
    /// IPv4 host to reassemble 576-byte datagrams (536 bytes of TCP data), and
    /// IPv6's minimum MTU is larger still (RFC 8200 §5).
    fn mss_index(client_mss: u16) -> u32 {
        let mut index = 0;
        for (i, &mss) in SYN_COOKIE_MSS_TABLE.iter().enumerate() {
            if mss <= client_mss {
                index = i as u32;
            }
        }
        index
    }

    /// The 24-bit MAC binding the cookie to this connection attempt.
    fn mac(
        &self,
        local: IpEndpoint,
        remote: IpEndpoint,
        client_isn: TcpSeqNumber,
        slot: u32,
        mss_index: u32,
    ) -> u32 {
        let mut msg = Message::new(DOMAIN_COOKIE);
        msg.put_endpoint(local);
        msg.put_endpoint(remote);
        msg.put(&client_isn.0.to_be_bytes());
        // The full counter, not just its 5 bits on the wire: a cookie replayed
        // 32 slots later has the right top bits but the wrong MAC.
        msg.put(&slot.to_be_bytes());
        msg.put(&[mss_index as u8]);
        (msg.hash(&self.secret) as u32) & COOKIE_MAC_MASK
    }

    /// The ISN of a stateless SYN-ACK answering a SYN from `remote` to
    /// `local` with sequence number `client_isn` and MSS option `mss` (536
    /// when the SYN had none, RFC 9293 §3.7.1).
    pub fn encode(
        &self,
        now: Instant,
        local: IpEndpoint,
        remote: IpEndpoint,
        client_isn: TcpSeqNumber,
        mss: u16,
    ) -> TcpSeqNumber {
        let slot = Self::slot(now);
        let index = Self::mss_index(mss);
        let mac = self.mac(local, remote, client_isn, slot, index);
        TcpSeqNumber(((slot & COOKIE_T_MASK) << COOKIE_T_SHIFT) | (index << COOKIE_MSS_SHIFT) | mac)
    }

    /// Checks `cookie` (the ACK's acknowledgment number − 1) for a connection
    /// whose client ISN is `client_isn` (the ACK's sequence number − 1), and
    /// gives the MSS to use, or `None` when the cookie is forged, for another
    /// connection, or older than [`SYN_COOKIE_MAX_AGE_SLOTS`] slots (the ACK
    /// must then be answered as any unexpected ACK to a listener: a RST,
    /// RFC 9293 §3.10.7.2).
    pub fn decode(
        &self,
        now: Instant,
        local: IpEndpoint,
        remote: IpEndpoint,
        client_isn: TcpSeqNumber,
        cookie: TcpSeqNumber,
    ) -> Option<u16> {
        let now_slot = Self::slot(now);
        let cookie_t = (cookie.0 >> COOKIE_T_SHIFT) & COOKIE_T_MASK;
        // The age in slots, modulo 32: a cookie "from the future" shows up as
        // an age near 31 and is rejected like an expired one.
        let age = now_slot.wrapping_sub(cookie_t) & COOKIE_T_MASK;
        if age > SYN_COOKIE_MAX_AGE_SLOTS {
            return None;
        }
        let slot = now_slot.wrapping_sub(age);
        let index = (cookie.0 >> COOKIE_MSS_SHIFT) & COOKIE_MSS_MASK;
        let mss = *SYN_COOKIE_MSS_TABLE.get(index as usize)?;
        if self.mac(local, remote, client_isn, slot, index) != cookie.0 & COOKIE_MAC_MASK {
            return None;
        }
        Some(mss)
    }
}

// ---------------------------------------------------------------------------
// Options in the timestamp (RFC 7323)
// ---------------------------------------------------------------------------

/// How many low TSval bits carry the options: 4 for the client's window
/// shift (15 = no window scaling) and 1 for SACK-permitted.
pub const TS_OPTION_BITS: u32 = 5;
/// The mask of those bits.
pub const TS_OPTION_MASK: u32 = (1 << TS_OPTION_BITS) - 1;
const TS_WSCALE_MASK: u32 = 0xf;
const TS_WSCALE_NONE: u32 = 0xf;
const TS_SACK_OK: u32 = 0x10;
/// RFC 7323 §2.3: the largest shift count.
const MAX_WINDOW_SHIFT: u8 = 14;

/// What a SYN offered that a cookie cannot hold, recovered from TSecr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsCookieOptions {
    /// The client's window scale shift (RFC 7323 §2), `None` when its SYN
    /// had no window scale option.
    pub wscale: Option<u8>,
    /// Whether the client's SYN had SACK-permitted (RFC 2018 §2).
    pub sack_ok: bool,
}

/// The option bits to put in the low [`TS_OPTION_BITS`] of the SYN-ACK's
/// TSval (see [`stamp_ts_options`]), for a SYN that offered window scale
/// `wscale` and SACK-permitted `sack_ok`.
///
/// Only for a SYN that carried timestamps (RFC 7323 §3.2): the client echoes
/// our TSval in the TSecr of its ACK. Without timestamps the listener must
/// leave window scale and SACK-permitted out of the cookie SYN-ACK, since it
/// would not remember them. A shift above 14 is taken as 14 (RFC 7323 §2.3).
pub fn encode_ts_options(wscale: Option<u8>, sack_ok: bool) -> u32 {
    let ws = match wscale {
        Some(shift) => u32::from(shift.min(MAX_WINDOW_SHIFT)),
        None => TS_WSCALE_NONE,
    };
    ws | if sack_ok { TS_SACK_OK } else { 0 }
}

/// Replaces the low [`TS_OPTION_BITS`] of the clock value `tsval` by
/// `options` (from [`encode_ts_options`]), stepping one period back when that
/// would move the value ahead of the clock: the connection's later TSvals,
/// read from the same clock, then never go backwards, which PAWS relies on
/// (RFC 7323 §5). Linux does the same.
pub fn stamp_ts_options(tsval: u32, options: u32) -> u32 {
    let options = options & TS_OPTION_MASK;
    let stamped = (tsval & !TS_OPTION_MASK) | options;
    if options > tsval & TS_OPTION_MASK {
        stamped.wrapping_sub(1 << TS_OPTION_BITS)
    } else {
        stamped
    }
}

/// The options a cookie SYN-ACK stamped into its TSval, read back from the
/// TSecr the client echoed in its ACK.
///
/// TSecr is not covered by the cookie's MAC: a client can only change the
/// options of its own connection, as it could with its SYN.
pub fn decode_ts_options(tsecr: u32) -> TsCookieOptions {
    let ws = tsecr & TS_WSCALE_MASK;
    TsCookieOptions {
        // 15 means none; 0–14 are all valid shifts (RFC 7323 §2.3).
        wscale: if ws == TS_WSCALE_NONE {
            None
        } else {
            Some(ws as u8)
        },
        sack_ok: tsecr & TS_SACK_OK != 0,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::wire::{Ipv4Addr, Ipv6Addr};
    use std::collections::HashSet;

    /// SipHash-2-4 of bytes 00..n−1 under key 00..0f, n = 0..63: the 64
    /// vectors of the reference implementation (veorq/SipHash `vectors.h`,
    /// `vectors_sip64`, read as little-endian u64). Cross-checked against an
    /// independent Python transcription of the paper's algorithm.
    const SIP64_VECTORS: [u64; 64] = [
        0x726fdb47dd0e0e31,
        0x74f839c593dc67fd,
        0x0d6c8009d9a94f5a,
        0x85676696d7fb7e2d,
        0xcf2794e0277187b7,
        0x18765564cd99a68d,
        0xcbc9466e58fee3ce,
        0xab0200f58b01d137,
        0x93f5f5799a932462,
        0x9e0082df0ba9e4b0,
        0x7a5dbbc594ddb9f3,
        0xf4b32f46226bada7,
        0x751e8fbc860ee5fb,
        0x14ea5627c0843d90,
        0xf723ca908e7af2ee,
        0xa129ca6149be45e5,
        0x3f2acc7f57c29bdb,
        0x699ae9f52cbe4794,
        0x4bc1b3f0968dd39c,
        0xbb6dc91da77961bd,
        0xbed65cf21aa2ee98,
        0xd0f2cbb02e3b67c7,
        0x93536795e3a33e88,
        0xa80c038ccd5ccec8,
        0xb8ad50c6f649af94,
        0xbce192de8a85b8ea,
        0x17d835b85bbb15f3,
        0x2f2e6163076bcfad,
        0xde4daaaca71dc9a5,
        0xa6a2506687956571,
        0xad87a3535c49ef28,
        0x32d892fad841c342,
        0x7127512f72f27cce,
        0xa7f32346f95978e3,
        0x12e0b01abb051238,
        0x15e034d40fa197ae,
        0x314dffbe0815a3b4,
        0x027990f029623981,
        0xcadcd4e59ef40c4d,
        0x9abfd8766a33735c,
        0x0e3ea96b5304a7d0,
        0xad0c42d6fc585992,
        0x187306c89bc215a9,
        0xd4a60abcf3792b95,
        0xf935451de4f21df2,
        0xa9538f0419755787,
        0xdb9acddff56ca510,
        0xd06c98cd5c0975eb,
        0xe612a3cb9ecba951,
        0xc766e62cfcadaf96,
        0xee64435a9752fe72,
        0xa192d576b245165a,
        0x0a8787bf8ecb74b2,
        0x81b3e73d20b49b6f,
        0x7fa8220ba3b2ecea,
        0x245731c13ca42499,
        0xb78dbfaf3a8d83bd,
        0xea1ad565322a1a0b,
        0x60e61c23a3795013,
        0x6606d7e446282b93,
        0x6ca4ecb15c5f91e1,
        0x9f626da15c9625f3,
        0xe51b38608ef25f57,
        0x958a324ceb064572,
    ];

    fn key() -> [u8; 16] {
        core::array::from_fn(|i| i as u8)
    }

    #[test]
    fn siphash24_reference_vectors() {
        let msg: [u8; 64] = core::array::from_fn(|i| i as u8);
        for (n, &expected) in SIP64_VECTORS.iter().enumerate() {
            assert_eq!(siphash24(&key(), &msg[..n]), expected, "length {n}");
        }
    }

    #[test]
    fn siphash24_paper_appendix_a() {
        // SipHash paper, Appendix A: key 00..0f, the 15 bytes 00..0e give
        // a129ca6149be45e5.
        let msg: [u8; 15] = core::array::from_fn(|i| i as u8);
        assert_eq!(siphash24(&key(), &msg), 0xa129ca6149be45e5);
    }

    #[test]
    fn siphash24_depends_on_key() {
        let mut other = key();
        other[15] ^= 1;
        assert_ne!(siphash24(&key(), b"abc"), siphash24(&other, b"abc"));
    }

    /// A small deterministic PRNG for the statistical tests (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    fn v4(a: [u8; 4], port: u16) -> IpEndpoint {
        IpEndpoint::new(IpAddr::V4(Ipv4Addr::from(a)), port)
    }

    fn v6(last: u16, port: u16) -> IpEndpoint {
        IpEndpoint::new(
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last)),
            port,
        )
    }

    const SECRET: [u8; 16] = *b"0123456789abcdef";

    fn local() -> IpEndpoint {
        v4([192, 0, 2, 1], 80)
    }

    fn remote() -> IpEndpoint {
        v4([198, 51, 100, 7], 49152)
    }

    // --- ISN ---------------------------------------------------------------

    #[test]
    fn isn_rfc6528_m_ticks_every_4us() {
        let g = IsnGenerator::new(SECRET);
        let base = g.isn(local(), remote(), Instant::ZERO);
        // Within one 4 µs tick the ISN does not move; at 4 µs it moves by one.
        assert_eq!(g.isn(local(), remote(), Instant::from_micros(3)), base);
        assert_eq!(g.isn(local(), remote(), Instant::from_micros(4)), base + 1);
        for k in [2usize, 1000, 250_000, 123_456_789] {
            let now = Instant::from_micros(4 * k as i64);
            assert_eq!(g.isn(local(), remote(), now), base + k, "k = {k}");
            assert_eq!(g.isn(local(), remote(), now).distance_from(base), k as i32);
        }
    }

    #[test]
    fn isn_rfc6528_wraps_modulo_2_32() {
        let g = IsnGenerator::new(SECRET);
        let base = g.isn(local(), remote(), Instant::ZERO);
        // k steps that carry the ISN across 2³²: it wraps to a small number
        // and is still "after" the earlier one in sequence space.
        let k = (u32::MAX - base.0) as usize + 6;
        let later = g.isn(local(), remote(), Instant::from_micros(4 * k as i64));
        assert_eq!(later, TcpSeqNumber(5));
        assert_eq!(later, base + k);
        // The timer itself wraps after 2³² ticks (≈ 4.77 h): same ISN again.
        let period = Instant::from_micros(4 << 32);
        assert_eq!(g.isn(local(), remote(), period), base);
        // Instants before the epoch are still 4 µs ticks.
        assert_eq!(g.isn(local(), remote(), Instant::from_micros(-4)), base - 1);
        assert_eq!(g.isn(local(), remote(), Instant::from_micros(-1)), base - 1);
    }

    #[test]
    fn isn_rfc6528_tuple_and_secret_change_the_offset() {
        let g = IsnGenerator::new(SECRET);
        let now = Instant::from_secs(1000);
        let base = g.isn(local(), remote(), now);
        // Swapping local and remote, another port, another address, IPv6.
        assert_ne!(g.isn(remote(), local(), now), base);
        assert_ne!(g.isn(local(), v4([198, 51, 100, 7], 49153), now), base);
        assert_ne!(g.isn(local(), v4([198, 51, 100, 8], 49152), now), base);
        assert_ne!(g.isn(v6(1, 80), v6(7, 49152), now), base);
        // Another secret: another offset for the same tuple.
        let mut other = SECRET;
        other[0] ^= 0x80;
        assert_ne!(IsnGenerator::new(other).isn(local(), remote(), now), base);
    }

    #[test]
    fn isn_rfc6528_offsets_look_random_across_ports() {
        // RFC 6528 §3: F must not be guessable from neighbouring tuples. Over
        // 4096 consecutive client ports the offsets are all distinct, each bit
        // is set about half the time, and consecutive ports do not give
        // consecutive ISNs (what the RFC 793 global counter would do).
        let g = IsnGenerator::new(SECRET);
        let now = Instant::from_secs(7);
        let mut seen = HashSet::new();
        let mut ones = [0u32; 32];
        let mut prev = g.isn(local(), v4([198, 51, 100, 7], 1024), now);
        for port in 1025u16..(1025 + 4096) {
            let isn = g.isn(local(), v4([198, 51, 100, 7], port), now);
            assert!(seen.insert(isn.0), "port {port} repeats an ISN");
            let step = isn.distance_from(prev).unsigned_abs();
            assert!(step > 1 << 16, "port {port}: step {step} is too small");
            prev = isn;
            for (bit, count) in ones.iter_mut().enumerate() {
                *count += (isn.0 >> bit) & 1;
            }
        }
        for (bit, &count) in ones.iter().enumerate() {
            assert!((1800..2300).contains(&count), "bit {bit} set {count}/4096");
        }
    }

    #[test]
    fn ts_offset_is_keyed_per_tuple_and_unrelated_to_the_isn() {
        // RFC 7323 §7.1: nothing an observer sees gives the offset away.
        let g = IsnGenerator::new(key());
        let now = Instant::from_millis(123_456);
        let off = g.ts_offset(local(), remote());
        let isn = g.isn(local(), remote(), now);
        assert_ne!(off, isn.0.rotate_left(13));
        assert_ne!(off, g.offset(local(), remote()));
        // Stable for the tuple (every incarnation reads one clock)…
        assert_eq!(off, g.ts_offset(local(), remote()));
        // …and different for another tuple or another secret.
        assert_ne!(off, g.ts_offset(local(), v4([192, 0, 2, 9], 40001)));
        assert_ne!(off, IsnGenerator::new([9; 16]).ts_offset(local(), remote()));
    }

    #[test]
    fn debug_hides_the_secrets() {
        let s = std::format!(
            "{:?} {:?}",
            IsnGenerator::new(SECRET),
            SynCookies::new(SECRET)
        );
        assert_eq!(s, "IsnGenerator { .. } SynCookies { .. }");
    }

    // --- SYN cookies -------------------------------------------------------

    const SLOT_US: i64 = SYN_COOKIE_SLOT_SECS * 1_000_000;

    fn isn() -> TcpSeqNumber {
        TcpSeqNumber(0xffff_fffe) // near the wrap on purpose
    }

    #[test]
    fn cookie_round_trip_for_every_mss_entry() {
        let c = SynCookies::new(SECRET);
        let now = Instant::from_secs(1_000_000);
        for &mss in SYN_COOKIE_MSS_TABLE.iter() {
            let cookie = c.encode(now, local(), remote(), isn(), mss);
            assert_eq!(c.decode(now, local(), remote(), isn(), cookie), Some(mss));
            // One less than the entry rounds down to the entry below.
            let below = c.encode(now, local(), remote(), isn(), mss - 1);
            let expected = SYN_COOKIE_MSS_TABLE
                .iter()
                .copied()
                .filter(|&m| m < mss)
                .max()
                .unwrap_or(536);
            assert_eq!(
                c.decode(now, local(), remote(), isn(), below),
                Some(expected)
            );
        }
    }

    #[test]
    fn cookie_mss_rounds_down_to_the_table() {
        let c = SynCookies::new(SECRET);
        let now = Instant::from_secs(5);
        for (client, used) in [
            (1000, 536),
            (536, 536),
            (100, 536), // RFC 1122 §3.3.2: 536 is always receivable
            (0, 536),
            (1280, 1220),
            (1459, 1452),
            (1460, 1460),
            (8960, 8940),
            (u16::MAX, 8940),
        ] {
            let cookie = c.encode(now, local(), remote(), isn(), client);
            assert_eq!(
                c.decode(now, local(), remote(), isn(), cookie),
                Some(used),
                "client MSS {client}"
            );
        }
    }

    #[test]
    fn cookie_layout_puts_time_in_the_top_bits() {
        // RFC 4987 §3.6 / Bernstein: top 5 bits t mod 32, then the MSS index.
        let c = SynCookies::new(SECRET);
        let cookie = c.encode(Instant::from_secs(3 * 64), local(), remote(), isn(), 1460);
        assert_eq!(cookie.0 >> 27, 3);
        assert_eq!((cookie.0 >> 24) & 7, 6);
        let cookie = c.encode(Instant::from_secs(33 * 64), local(), remote(), isn(), 536);
        assert_eq!(cookie.0 >> 27, 1);
        assert_eq!((cookie.0 >> 24) & 7, 0);
    }

    #[test]
    fn cookie_expires_at_the_end_of_the_next_slot() {
        let c = SynCookies::new(SECRET);
        let n = 1_000i64;
        // Made at the first and at the last µs of slot n: valid up to the last
        // µs of slot n + 1, rejected from its first µs of slot n + 2.
        for made in [n * SLOT_US, (n + 1) * SLOT_US - 1] {
            let made = Instant::from_micros(made);
            let cookie = c.encode(made, local(), remote(), isn(), 1460);
            let last_valid = Instant::from_micros((n + 2) * SLOT_US - 1);
            let expired = Instant::from_micros((n + 2) * SLOT_US);
            assert_eq!(c.decode(made, local(), remote(), isn(), cookie), Some(1460));
            assert_eq!(
                c.decode(last_valid, local(), remote(), isn(), cookie),
                Some(1460)
            );
            assert_eq!(c.decode(expired, local(), remote(), isn(), cookie), None);
        }
    }

    #[test]
    fn cookie_from_the_future_is_rejected() {
        let c = SynCookies::new(SECRET);
        let made = Instant::from_micros(10 * SLOT_US);
        let cookie = c.encode(made, local(), remote(), isn(), 1460);
        let before = Instant::from_micros(10 * SLOT_US - 1);
        assert_eq!(c.decode(before, local(), remote(), isn(), cookie), None);
    }

    #[test]
    fn cookie_replayed_32_slots_later_is_rejected() {
        // Same 5 time bits on the wire, but the MAC covers the full counter.
        let c = SynCookies::new(SECRET);
        let made = Instant::from_micros(31 * SLOT_US);
        let cookie = c.encode(made, local(), remote(), isn(), 1460);
        for later in [32 + 31, 32 + 32] {
            let now = Instant::from_micros(later * SLOT_US);
            assert_eq!(c.decode(now, local(), remote(), isn(), cookie), None);
        }
        // While slot 32 (t mod 32 = 0) still accepts the slot-31 cookie.
        let now = Instant::from_micros(32 * SLOT_US);
        assert_eq!(c.decode(now, local(), remote(), isn(), cookie), Some(1460));
    }

    #[test]
    fn cookie_before_the_epoch_works() {
        let c = SynCookies::new(SECRET);
        let made = Instant::from_micros(-1);
        let cookie = c.encode(made, local(), remote(), isn(), 1460);
        let last_valid = Instant::from_micros(SLOT_US - 1);
        assert_eq!(
            c.decode(last_valid, local(), remote(), isn(), cookie),
            Some(1460)
        );
        let expired = Instant::from_micros(SLOT_US);
        assert_eq!(c.decode(expired, local(), remote(), isn(), cookie), None);
    }

    #[test]
    fn cookie_rejected_for_another_tuple_isn_or_secret() {
        let c = SynCookies::new(SECRET);
        let now = Instant::from_secs(500);
        let cookie = c.encode(now, local(), remote(), isn(), 1460);
        assert_eq!(c.decode(now, local(), remote(), isn(), cookie), Some(1460));
        // Another remote port, remote address, local port, local address.
        let others = [
            (local(), v4([198, 51, 100, 7], 49153)),
            (local(), v4([198, 51, 100, 8], 49152)),
            (v4([192, 0, 2, 1], 81), remote()),
            (v4([192, 0, 2, 2], 80), remote()),
            (remote(), local()),
            (v6(1, 80), v6(7, 49152)),
        ];
        for (l, r) in others {
            assert_eq!(c.decode(now, l, r, isn(), cookie), None, "{l} {r}");
        }
        // Another client ISN (one more, and across the wrap).
        assert_eq!(c.decode(now, local(), remote(), isn() + 1, cookie), None);
        assert_eq!(c.decode(now, local(), remote(), isn() + 3, cookie), None);
        // Another secret.
        let mut other = SECRET;
        other[15] ^= 1;
        let c2 = SynCookies::new(other);
        assert_eq!(c2.decode(now, local(), remote(), isn(), cookie), None);
        // A tampered MSS index (the MAC covers it) or MAC bit.
        let other_mss = TcpSeqNumber(cookie.0 ^ (1 << 24));
        assert_eq!(c.decode(now, local(), remote(), isn(), other_mss), None);
        let other_mac = TcpSeqNumber(cookie.0 ^ 1);
        assert_eq!(c.decode(now, local(), remote(), isn(), other_mac), None);
        // The ACK of the SYN-ACK itself (cookie + 1) is not the cookie.
        assert_eq!(c.decode(now, local(), remote(), isn(), cookie + 1), None);
    }

    #[test]
    fn cookie_forged_acks_are_rejected() {
        // RFC 4987 §3.6: a blind attacker must guess the cookie. 100 000
        // random guesses (expected successes ≈ 10⁵ × 2/32 × 2⁻²⁴ ≈ 4 × 10⁻⁴)
        // against a fixed connection, and with random client ISNs too.
        let c = SynCookies::new(SECRET);
        let now = Instant::from_secs(4242);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for _ in 0..100_000 {
            let r = rng.next();
            let guess = TcpSeqNumber(r as u32);
            let client_isn = TcpSeqNumber((r >> 32) as u32);
            if c.decode(now, local(), remote(), isn(), guess).is_some() {
                accepted += 1;
            }
            if c.decode(now, local(), remote(), client_isn, guess)
                .is_some()
            {
                accepted += 1;
            }
        }
        assert_eq!(accepted, 0);
    }

    #[test]
    fn cookies_for_many_connections_all_decode() {
        // The positive counterpart of the forgery test: 10 000 genuine
        // cookies (random ports and ISNs, decoded in the next slot) pass.
        let c = SynCookies::new(SECRET);
        let mut rng = Rng(7);
        for i in 0..10_000i64 {
            let r = rng.next();
            let remote = v4([203, 0, 113, (r >> 40) as u8], r as u16);
            let client_isn = TcpSeqNumber((r >> 16) as u32);
            let made = Instant::from_micros(i * 12_345_678);
            let cookie = c.encode(made, local(), remote, client_isn, 1440);
            let later = made + crate::time::Duration::from_secs(64);
            assert_eq!(
                c.decode(later, local(), remote, client_isn, cookie),
                Some(1440)
            );
        }
    }

    // --- timestamp options -------------------------------------------------

    #[test]
    fn ts_options_round_trip() {
        for wscale in (0..=14).map(Some).chain([None]) {
            for sack_ok in [false, true] {
                let bits = encode_ts_options(wscale, sack_ok);
                assert_eq!(bits & !TS_OPTION_MASK, 0);
                for tsval in [0u32, 1, 31, 32, 0x1234_5678, u32::MAX] {
                    let stamped = stamp_ts_options(tsval, bits);
                    assert_eq!(stamped & TS_OPTION_MASK, bits);
                    assert_eq!(
                        decode_ts_options(stamped),
                        TsCookieOptions { wscale, sack_ok }
                    );
                }
            }
        }
    }

    #[test]
    fn ts_options_clamp_shift_to_14() {
        // RFC 7323 §2.3: a shift above 14 is used as 14.
        let bits = encode_ts_options(Some(15), false);
        assert_eq!(decode_ts_options(bits).wscale, Some(14));
        let bits = encode_ts_options(Some(255), true);
        assert_eq!(
            decode_ts_options(bits),
            TsCookieOptions {
                wscale: Some(14),
                sack_ok: true
            }
        );
    }

    #[test]
    fn ts_options_never_move_tsval_ahead_of_the_clock() {
        // RFC 7323 §5 (PAWS): TSval must not go backwards on the connection, so
        // the stamped value is at most the clock, and less than one option
        // period (32 ticks) behind it — also across the 2³² wrap.
        let none = encode_ts_options(None, true); // all five bits set
        for tsval in [0u32, 5, 31, 32, 1000, u32::MAX] {
            for bits in [0, none, encode_ts_options(Some(7), false)] {
                let stamped = stamp_ts_options(tsval, bits);
                let behind = tsval.wrapping_sub(stamped);
                assert!(behind < 32, "tsval {tsval} bits {bits}: {stamped}");
            }
        }
        assert_eq!(stamp_ts_options(0, none), u32::MAX); // wraps back
        assert_eq!(stamp_ts_options(1000, 0), 992);
        assert_eq!(stamp_ts_options(1023, 0x1f), 1023);
    }
}
