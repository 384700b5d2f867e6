//! The device layer: how the stack reaches a network interface card.
//!
//! A [`Device`] is anything that can hand over received frames and take frames
//! to send: a Linux TAP fd (`rstcp-tap`), a pcap file (`rstcp-pcap`), an
//! in-memory link in a test, or a bare-metal NIC driver's DMA rings.
//!
//! # No copy on either path
//!
//! The interface never owns frame buffers. On receive, [`Device::receive`]
//! returns an [`RxToken`] whose [`consume`](RxToken::consume) lends the frame
//! *in the device's own buffer*; the interface parses it there, layer by layer,
//! with the zero-copy views of [`crate::wire`]. On transmit, a [`TxToken`]
//! lends a slice of the device's own transmit buffer of the length the
//! interface asks for, and each layer's `Repr::emit` writes its header straight
//! into it. A token that is dropped unconsumed gives nothing up: the received
//! frame stays queued, and no frame is sent.
//!
//! # Back-pressure
//!
//! A device that cannot take a frame now returns `None` from
//! [`Device::transmit`]. The interface then leaves the data where it was (a
//! socket's send buffer, the neighbor queue) and tries again on a later poll,
//! or counts the drop for data that cannot wait. Nothing is lost silently.
//!
//! # Bursts and offload
//!
//! [`DeviceCapabilities::max_burst_size`] tells the interface how many frames
//! a device takes per poll before it should yield; the interface drains up to
//! that many received frames per call. Checksum offload is described per
//! protocol and direction in [`ChecksumCapabilities`].
//!
//! # Virtio-net offloads (TSO, partial checksums, GRO)
//!
//! A device whose frames carry a virtio-net header ([`crate::wire::virtio`]:
//! a Linux TAP with `IFF_VNET_HDR`, a virtio NIC) says so in
//! [`DeviceCapabilities::virtio`]. Every frame then starts with that header,
//! in both directions: the interface reads it from each received frame (is
//! the checksum verified or partial, is it a super-frame) and writes it
//! before each frame it sends, so the metadata travels with the bytes, with
//! no copy and no side channel, through any queue between the interface and
//! the device (the std runtime's batches). With
//! [`VirtioOffload::tx_checksum`] the interface leaves TCP's payload
//! checksum to the device (`NEEDS_CSUM`, `csum_start`/`csum_offset`); with
//! [`DeviceCapabilities::max_segment_size`] as well, TCP hands over
//! super-segments of up to that many bytes that the device cuts into
//! segments of the connection's MSS (`gso_size`). A device without a header
//! (bare metal without offloads, pcap, simulation) sees none of this.

#[cfg(test)]
pub(crate) mod frames;
#[cfg(feature = "std")]
pub mod pipe;
#[cfg(feature = "std")]
pub mod wait;

use crate::time::Instant;

/// What kind of link a device carries, which decides the link-layer framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Medium {
    /// Ethernet II frames (with optional 802.1Q tags), resolved with ARP and NDP.
    #[default]
    Ethernet,
    /// Bare IP packets, no link header: a Linux TUN (`IFF_TUN`), a
    /// point-to-point or tunnel link (as smoltcp's `Medium::Ip`, gVisor's
    /// fdbased endpoint without Ethernet). The version nibble says IPv4 or
    /// IPv6; every packet reaches the peer, so there is nothing to resolve.
    ///
    /// On such a device the interface, as Linux on a TUN (`IFF_NOARP`,
    /// `ARPHRD_NONE`), sends no ARP and no Neighbor Solicitations for
    /// resolution, probes no IPv4 address (RFC 5227 is ARP) and runs no
    /// Duplicate Address Detection (Linux skips DAD on `IFF_NOARP`
    /// links); its Neighbor Advertisements and Router Solicitations carry
    /// no link-layer address option (RFC 4861 §4.1, §4.4: only "on link
    /// layers that have addresses"). Router Advertisements still configure
    /// prefixes, SLAAC, the MTU and DNS; MLD and IGMP reports still go.
    /// DHCPv4 is not carried (RFC 2131 needs broadcast and a client
    /// hardware address): its messages are dropped and counted
    /// [`Unsupported`](crate::iface::DropReason::Unsupported); give such a
    /// link static addresses, as `ip addr add` does for a TUN.
    Ip,
}

/// Whether a checksum is computed/verified in software or left to hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Checksum {
    /// Software computes it on transmit and verifies it on receive.
    #[default]
    Both,
    /// Software verifies it on receive; hardware fills it in on transmit.
    Rx,
    /// Software computes it on transmit; hardware has already verified it.
    Tx,
    /// Hardware does both.
    None,
}

impl Checksum {
    /// True when the stack must verify this checksum on receive.
    pub const fn rx(&self) -> bool {
        matches!(self, Checksum::Both | Checksum::Rx)
    }

    /// True when the stack must compute this checksum on transmit.
    pub const fn tx(&self) -> bool {
        matches!(self, Checksum::Both | Checksum::Tx)
    }

    /// The mode to hand to `wire` parsers (receive direction).
    pub const fn rx_mode(&self) -> crate::wire::ChecksumMode {
        if self.rx() {
            crate::wire::ChecksumMode::Check
        } else {
            crate::wire::ChecksumMode::Skip
        }
    }

    /// The mode to hand to `wire` emitters (transmit direction).
    pub const fn tx_mode(&self) -> crate::wire::ChecksumMode {
        if self.tx() {
            crate::wire::ChecksumMode::Check
        } else {
            crate::wire::ChecksumMode::Skip
        }
    }
}

/// Checksum offload, per protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct ChecksumCapabilities {
    /// The IPv4 header checksum.
    pub ipv4: Checksum,
    /// UDP over IPv4 and IPv6.
    pub udp: Checksum,
    /// TCP over IPv4 and IPv6.
    pub tcp: Checksum,
    /// ICMPv4.
    pub icmpv4: Checksum,
    /// ICMPv6.
    pub icmpv6: Checksum,
}

impl ChecksumCapabilities {
    /// Every checksum in software (the default; right for TAP and tests).
    pub const fn software() -> ChecksumCapabilities {
        ChecksumCapabilities {
            ipv4: Checksum::Both,
            udp: Checksum::Both,
            tcp: Checksum::Both,
            icmpv4: Checksum::Both,
            icmpv6: Checksum::Both,
        }
    }

    /// Every checksum offloaded to hardware in both directions.
    pub const fn offloaded() -> ChecksumCapabilities {
        ChecksumCapabilities {
            ipv4: Checksum::None,
            udp: Checksum::None,
            tcp: Checksum::None,
            icmpv4: Checksum::None,
            icmpv6: Checksum::None,
        }
    }
}

/// What a device can do, read by the interface once per poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct DeviceCapabilities {
    /// The link medium.
    pub medium: Medium,
    /// The largest IP packet the link carries (the IP MTU, 1500 on Ethernet).
    /// The largest frame is this plus the link header.
    pub mtu: usize,
    /// How many frames to move per direction in one poll before yielding
    /// (`None`: no limit beyond what the device has).
    pub max_burst_size: Option<usize>,
    /// Checksum offload per protocol and direction.
    pub checksum: ChecksumCapabilities,
    /// The largest TCP super-segment (the IP packet, at most 65535 bytes)
    /// the device cuts into MSS-sized segments itself (TSO/GSO). Used only
    /// with [`virtio`](Self::virtio) and its `tx_checksum`, whose header
    /// carries the segment size; `None`: every packet fits the MTU.
    pub max_segment_size: Option<usize>,
    /// Frames carry a virtio-net header (`None`: plain Ethernet frames).
    pub virtio: Option<VirtioOffload>,
}

/// A device whose every frame, both ways, starts with a virtio-net header
/// ([`crate::wire::virtio`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct VirtioOffload {
    /// The header's length: 10 (legacy) or 12 (Virtio 1.x, `num_buffers`).
    pub header_len: usize,
    /// The device completes a partial TCP checksum on transmit
    /// (`NEEDS_CSUM` with `csum_start`/`csum_offset`), so the interface
    /// writes only the pseudo-header's sum (a TAP with `TUN_F_CSUM`).
    pub tx_checksum: bool,
}

impl VirtioOffload {
    /// A header of `header_len` bytes (10 or 12: 10 and less are taken as
    /// 10, more as 12), and whether the device completes transmit checksums.
    pub const fn new(header_len: usize, tx_checksum: bool) -> VirtioOffload {
        let header_len = if header_len <= crate::wire::virtio::HEADER_LEN {
            crate::wire::virtio::HEADER_LEN
        } else {
            crate::wire::virtio::HEADER_LEN_V1
        };
        VirtioOffload {
            header_len,
            tx_checksum,
        }
    }
}

impl DeviceCapabilities {
    /// An Ethernet device with the given IP MTU, software checksums, no burst limit.
    pub const fn ethernet(mtu: usize) -> DeviceCapabilities {
        DeviceCapabilities {
            medium: Medium::Ethernet,
            mtu,
            max_burst_size: None,
            checksum: ChecksumCapabilities::software(),
            max_segment_size: None,
            virtio: None,
        }
    }

    /// An Ethernet link that never leaves memory, as Linux's `lo`: frames
    /// carry a virtio-net header, TCP's payload checksum is left partial
    /// (`NEEDS_CSUM`) and TCP hands over super-segments of up to 64 KB,
    /// which such a link passes whole to the receiving interface, where
    /// the partial checksum is trusted. Linux does the same on `lo`
    /// (`NETIF_F_HW_CSUM` and GSO advertised; the receive side takes
    /// `CHECKSUM_PARTIAL` as verified): nothing between two interfaces in
    /// one address space can corrupt a frame, so summing its bytes twice
    /// protects nothing. Only for a link that delivers every frame to an
    /// rstcp interface (or another reader of the header) unchanged: a wire
    /// or a peer that ignores the header would see frames longer than `mtu`
    /// and checksums that do not verify. The IPv4 header checksum is still
    /// computed and verified, as Linux does on `lo`.
    pub const fn loopback(mtu: usize) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::ethernet(mtu);
        caps.virtio = Some(VirtioOffload::new(crate::wire::virtio::HEADER_LEN_V1, true));
        caps.max_segment_size = Some(65535);
        caps
    }

    /// A device of bare IP packets ([`Medium::Ip`]: a TUN) with the given
    /// MTU, software checksums, no burst limit.
    pub const fn ip(mtu: usize) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::ethernet(mtu);
        caps.medium = Medium::Ip;
        caps
    }

    /// The largest frame, link header included (Ethernet: MTU + 14; IP:
    /// the MTU), and the virtio-net header when there is one.
    pub const fn max_frame_len(&self) -> usize {
        let link = match self.medium {
            Medium::Ethernet => self.mtu + crate::wire::ethernet::HEADER_LEN,
            Medium::Ip => self.mtu,
        };
        link + self.virtio_header_len()
    }

    /// The largest frame the interface may hand the device: a TSO
    /// super-segment ([`tso_max`](Self::tso_max)) with its link and
    /// virtio-net headers when the device segments, else
    /// [`max_frame_len`](Self::max_frame_len). What a device sizes its
    /// transmit buffers for.
    pub const fn max_tx_frame_len(&self) -> usize {
        match self.tso_max() {
            Some(tso) if tso > self.mtu => self.max_frame_len() - self.mtu + tso,
            _ => self.max_frame_len(),
        }
    }

    /// The virtio-net header's length before every frame (0: none).
    pub const fn virtio_header_len(&self) -> usize {
        match self.virtio {
            Some(v) => v.header_len,
            None => 0,
        }
    }

    /// The largest TCP super-segment (IP packet) the interface may hand
    /// over, if the device segments and checksums them itself.
    pub const fn tso_max(&self) -> Option<usize> {
        match (self.virtio, self.max_segment_size) {
            (
                Some(VirtioOffload {
                    tx_checksum: true, ..
                }),
                Some(max),
            ) if max > self.mtu => Some(if max > 65535 { 65535 } else { max }),
            _ => None,
        }
    }
}

impl Default for DeviceCapabilities {
    fn default() -> Self {
        DeviceCapabilities::ethernet(1500)
    }
}

/// A network device: the interface's only way in and out.
///
/// Both methods return tokens rather than buffers so that a device can lend
/// its own memory (a DMA descriptor, a mmap'd ring, a reused `Vec`) for
/// exactly as long as the interface needs it, and the borrow checker proves
/// that nothing keeps a pointer afterwards.
pub trait Device {
    /// Lends one received frame.
    type RxToken<'a>: RxToken
    where
        Self: 'a;
    /// Lends one transmit buffer.
    type TxToken<'a>: TxToken
    where
        Self: 'a;

    /// The next received frame, with a transmit token for an immediate reply
    /// (an ARP reply or echo reply can then be written without a second call).
    /// `None` when nothing is waiting.
    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)>;

    /// A transmit buffer, or `None` when the device cannot take a frame now.
    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>>;

    /// What the device can do.
    fn capabilities(&self) -> DeviceCapabilities;
}

/// One received frame, lent by a [`Device`].
pub trait RxToken {
    /// Calls `f` with the frame in the device's buffer. The frame is mutable
    /// so that a wrapper (fault injection, in-place decryption) can change it
    /// without a copy; the interface itself only reads it.
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R;
}

/// One transmit buffer, lent by a [`Device`].
pub trait TxToken {
    /// Calls `f` with `len` bytes of the device's transmit buffer, then sends
    /// them. `len` is at most the capabilities' `max_frame_len()`, or with
    /// TSO ([`DeviceCapabilities::tso_max`]) that plus the link and virtio
    /// headers; the bytes are not guaranteed to be zero.
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offload_directions() {
        assert!(Checksum::Both.rx() && Checksum::Both.tx());
        assert!(Checksum::Rx.rx() && !Checksum::Rx.tx());
        assert!(!Checksum::Tx.rx() && Checksum::Tx.tx());
        assert!(!Checksum::None.rx() && !Checksum::None.tx());
        assert_eq!(DeviceCapabilities::ethernet(1500).max_frame_len(), 1514);
    }

    #[test]
    fn an_ip_device_has_no_link_header() {
        let mut caps = DeviceCapabilities::ip(1500);
        assert_eq!(caps.medium, Medium::Ip);
        assert_eq!(caps.max_frame_len(), 1500);
        caps.virtio = Some(VirtioOffload::new(12, true));
        assert_eq!(caps.max_frame_len(), 1512);
    }

    #[test]
    fn tso_needs_the_header_and_the_device_checksum() {
        let mut caps = DeviceCapabilities::ethernet(1500);
        caps.max_segment_size = Some(65535);
        assert_eq!(caps.tso_max(), None);
        caps.virtio = Some(VirtioOffload::new(12, false));
        assert_eq!(caps.tso_max(), None);
        assert_eq!(caps.max_frame_len(), 1526);
        caps.virtio = Some(VirtioOffload::new(12, true));
        assert_eq!(caps.tso_max(), Some(65535));
        caps.max_segment_size = Some(1 << 20);
        assert_eq!(caps.tso_max(), Some(65535));
        assert_eq!(caps.max_tx_frame_len(), 65535 + 14 + 12);
    }

    #[test]
    fn loopback_declares_partial_checksums_and_tso() {
        let caps = DeviceCapabilities::loopback(1500);
        assert_eq!(caps.tso_max(), Some(65535));
        assert_eq!(caps.virtio_header_len(), 12);
        assert_eq!(caps.max_frame_len(), 1526);
        assert_eq!(caps.max_tx_frame_len(), 65561);
        // The IPv4 header checksum is not offloaded.
        assert_eq!(caps.checksum, ChecksumCapabilities::software());
        assert_eq!(DeviceCapabilities::ethernet(1500).max_tx_frame_len(), 1514);
    }
}
