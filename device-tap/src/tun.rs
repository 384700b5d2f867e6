//! The same device as a TUN (`IFF_TUN | IFF_NO_PI`): every read is one
//! bare IP packet the kernel routed to the interface, every write injects
//! one, told apart by the version nibble. The stack runs it as an IP link
//! ([`Medium::Ip`]: no Ethernet header, no ARP or neighbour resolution,
//! as smoltcp's `Medium::Ip` and gVisor's fdbased endpoint over a TUN).
//!
//! The kernel's offloads work on a TUN as on a TAP (`IFF_VNET_HDR` and
//! `TUNSETOFFLOAD`; wireguard-go and Tailscale use them so): the
//! virtio-net header's `csum_start` then counts from the IP header.

use std::io;

use rstcp::phy::Medium;

use crate::device::TapDevice;

impl TapDevice {
    /// Opens the TUN interface `name`, creating it if it does not exist,
    /// with plain IP packets (no offloads). Errors as for
    /// [`open`](Self::open). The interface is left down; see
    /// [`set_up`](Self::set_up). Its [`Device::capabilities`] say
    /// [`Medium::Ip`].
    ///
    /// [`Device::capabilities`]: rstcp::phy::Device::capabilities
    pub fn open_tun(name: &str) -> io::Result<TapDevice> {
        TapDevice::attach(name, false, Medium::Ip)
    }

    /// [`open_tun`](Self::open_tun), with the kernel's offloads when
    /// `offload` is true and the kernel has them, probed as for
    /// [`open_with_offload`](Self::open_with_offload): a virtio-net header
    /// on every packet, TCP super-segments and partial checksums both ways.
    pub fn open_tun_with_offload(name: &str, offload: bool) -> io::Result<TapDevice> {
        TapDevice::attach(name, offload, Medium::Ip)
    }

    /// [`Medium::Ethernet`] for a TAP, [`Medium::Ip`] for a TUN.
    pub fn medium(&self) -> Medium {
        self.medium
    }
}
