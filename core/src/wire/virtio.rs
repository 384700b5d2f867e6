//! The virtio-net header (`struct virtio_net_hdr`, Virtio 1.x §5.1.6): the
//! per-frame offload metadata a virtio NIC, a Linux TAP opened with
//! `IFF_VNET_HDR`, or a vhost ring puts before every Ethernet frame.
//!
//! On transmit it asks the device to finish a partial checksum
//! (`NEEDS_CSUM`: sum from `csum_start` to the end, store at
//! `csum_start + csum_offset`) and to cut a TCP super-segment into
//! `gso_size`-byte segments (`gso_type`). On receive it says the checksum was
//! already verified (`DATA_VALID`), is partial because the frame never left
//! the host (`NEEDS_CSUM`), or that the frame is a super-frame the sender's
//! GSO or the host's GRO built. The fields are little-endian (a TAP is put in
//! that mode with `TUNSETVNETLE`; Virtio 1.x devices always are).
//!
//! Every header read from a device is untrusted: [`VirtioNetRepr::parse`]
//! refuses unknown flags and GSO types and offsets past the frame.

use super::{Error, Result};

/// The legacy header's length (`struct virtio_net_hdr`).
pub const HEADER_LEN: usize = 10;
/// The Virtio 1.x header's length (`struct virtio_net_hdr_v1`, with
/// `num_buffers`); what a TAP carries after `TUNSETVNETHDRSZ` 12.
pub const HEADER_LEN_V1: usize = 12;

/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the checksum is partial (the
/// pseudo-header's sum is in the field); the device completes it.
pub const F_NEEDS_CSUM: u8 = 1;
/// `VIRTIO_NET_HDR_F_DATA_VALID`: the device verified the checksum.
pub const F_DATA_VALID: u8 = 2;

/// `VIRTIO_NET_HDR_GSO_ECN`: the super-segment had CWR set (ORed into the type).
const GSO_ECN: u8 = 0x80;

/// What kind of super-frame a header describes (`gso_type` without ECN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GsoType {
    /// One ordinary frame.
    None,
    /// A TCP over IPv4 super-segment (`VIRTIO_NET_HDR_GSO_TCPV4`).
    TcpV4,
    /// A TCP over IPv6 super-segment (`VIRTIO_NET_HDR_GSO_TCPV6`).
    TcpV6,
    /// A UDP over IPv4/IPv6 super-datagram (`VIRTIO_NET_HDR_GSO_UDP_L4`).
    UdpL4,
}

impl GsoType {
    fn from_wire(v: u8) -> Option<GsoType> {
        match v & !GSO_ECN {
            0 => Some(GsoType::None),
            1 => Some(GsoType::TcpV4),
            4 => Some(GsoType::TcpV6),
            5 => Some(GsoType::UdpL4),
            // 3, VIRTIO_NET_HDR_GSO_UDP (UFO: IP fragmentation of one
            // datagram) is deprecated and never enabled here.
            _ => None,
        }
    }

    const fn to_wire(self) -> u8 {
        match self {
            GsoType::None => 0,
            GsoType::TcpV4 => 1,
            GsoType::TcpV6 => 4,
            GsoType::UdpL4 => 5,
        }
    }
}

/// A parsed virtio-net header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VirtioNetRepr {
    /// `NEEDS_CSUM` / `DATA_VALID`.
    pub flags: u8,
    /// The super-frame's kind.
    pub gso_type: GsoType,
    /// The super-segment had CWR set (`VIRTIO_NET_HDR_GSO_ECN`).
    pub gso_ecn: bool,
    /// Bytes of headers (Ethernet, IP, transport) before the payload.
    pub hdr_len: u16,
    /// Payload bytes per segment of a super-frame.
    pub gso_size: u16,
    /// Where the checksummed bytes start, from the Ethernet header.
    pub csum_start: u16,
    /// Where the checksum field is, from `csum_start`.
    pub csum_offset: u16,
}

impl VirtioNetRepr {
    /// All fields zero: one frame whose checksums are all complete.
    pub const PLAIN: VirtioNetRepr = VirtioNetRepr {
        flags: 0,
        gso_type: GsoType::None,
        gso_ecn: false,
        hdr_len: 0,
        gso_size: 0,
        csum_start: 0,
        csum_offset: 0,
    };

    /// Parses the header in `header` (10 or 12 bytes) that came before
    /// `frame_len` bytes of frame, checking it against the frame: flags and
    /// GSO types this code knows, the checksum field inside the frame, the
    /// headers no longer than the frame, a super-frame with a segment size.
    pub fn parse(header: &[u8], frame_len: usize) -> Result<VirtioNetRepr> {
        let h = header.get(..HEADER_LEN).ok_or(Error::Truncated)?;
        let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        let flags = h[0];
        // RSC_INFO (4) and anything newer: not negotiated, not understood.
        if flags & !(F_NEEDS_CSUM | F_DATA_VALID) != 0 {
            return Err(Error::Malformed("virtio flags"));
        }
        let gso_type = GsoType::from_wire(h[1]).ok_or(Error::Malformed("virtio gso_type"))?;
        let repr = VirtioNetRepr {
            flags,
            gso_type,
            gso_ecn: h[1] & GSO_ECN != 0,
            hdr_len: u16_at(2),
            gso_size: u16_at(4),
            csum_start: u16_at(6),
            csum_offset: u16_at(8),
        };
        if usize::from(repr.hdr_len) > frame_len {
            return Err(Error::Malformed("virtio hdr_len"));
        }
        if repr.needs_csum() {
            // The two checksum bytes lie inside the frame.
            let field = usize::from(repr.csum_start) + usize::from(repr.csum_offset) + 2;
            if field > frame_len {
                return Err(Error::Malformed("virtio csum_start"));
            }
        }
        if gso_type != GsoType::None && repr.gso_size == 0 {
            return Err(Error::Malformed("virtio gso_size"));
        }
        Ok(repr)
    }

    /// True when the transport checksum is partial (`NEEDS_CSUM`).
    pub const fn needs_csum(&self) -> bool {
        self.flags & F_NEEDS_CSUM != 0
    }

    /// True when the device verified the checksum (`DATA_VALID`).
    pub const fn data_valid(&self) -> bool {
        self.flags & F_DATA_VALID != 0
    }

    /// Writes the header into `buf` (10 bytes, or 12 with `num_buffers`
    /// zero); a shorter `buf` is left alone.
    pub fn emit(&self, buf: &mut [u8]) {
        let Some(h) = buf.get_mut(..HEADER_LEN) else {
            return;
        };
        h[0] = self.flags;
        h[1] = self.gso_type.to_wire() | if self.gso_ecn { GSO_ECN } else { 0 };
        h[2..4].copy_from_slice(&self.hdr_len.to_le_bytes());
        h[4..6].copy_from_slice(&self.gso_size.to_le_bytes());
        h[6..8].copy_from_slice(&self.csum_start.to_le_bytes());
        h[8..10].copy_from_slice(&self.csum_offset.to_le_bytes());
        if let Some(rest) = buf.get_mut(HEADER_LEN..HEADER_LEN_V1) {
            rest.fill(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tso() -> VirtioNetRepr {
        VirtioNetRepr {
            flags: F_NEEDS_CSUM,
            gso_type: GsoType::TcpV4,
            gso_ecn: false,
            hdr_len: 66,
            gso_size: 1448,
            csum_start: 34,
            csum_offset: 16,
        }
    }

    #[test]
    fn emit_then_parse_round_trips_little_endian() {
        let mut buf = [0xaa; HEADER_LEN_V1];
        tso().emit(&mut buf);
        assert_eq!(buf, [1, 1, 66, 0, 0xa8, 5, 34, 0, 16, 0, 0, 0]);
        assert_eq!(VirtioNetRepr::parse(&buf, 66 + 2896), Ok(tso()));
    }

    #[test]
    fn untrusted_fields_are_refused() {
        let parse = |r: VirtioNetRepr, len| {
            let mut buf = [0; HEADER_LEN_V1];
            r.emit(&mut buf);
            VirtioNetRepr::parse(&buf, len)
        };
        // The checksum field past the frame's end.
        assert!(matches!(parse(tso(), 51), Err(Error::Malformed(_))));
        assert!(parse(tso(), 66).is_ok());
        // Headers longer than the frame.
        let long = VirtioNetRepr {
            hdr_len: 200,
            ..tso()
        };
        assert!(matches!(parse(long, 100), Err(Error::Malformed(_))));
        // A super-frame without a segment size.
        let no_size = VirtioNetRepr {
            gso_size: 0,
            ..tso()
        };
        assert!(matches!(parse(no_size, 3000), Err(Error::Malformed(_))));
        // Unknown flags and GSO types.
        let mut buf = [0; HEADER_LEN];
        buf[0] = 4;
        assert!(matches!(
            VirtioNetRepr::parse(&buf, 60),
            Err(Error::Malformed(_))
        ));
        buf[0] = 0;
        buf[1] = 3;
        assert!(matches!(
            VirtioNetRepr::parse(&buf, 60),
            Err(Error::Malformed(_))
        ));
        buf[1] = 0x81;
        assert!(VirtioNetRepr::parse(&buf, 60).is_err()); // gso_size 0
        assert_eq!(VirtioNetRepr::parse(&buf[..9], 60), Err(Error::Truncated));
        // All zero: a plain frame.
        assert_eq!(
            VirtioNetRepr::parse(&[0; HEADER_LEN], 60),
            Ok(VirtioNetRepr::PLAIN)
        );
    }
}
