//! The TAP's offloads: a virtio-net header on every frame (`IFF_VNET_HDR`),
//! and what the kernel may hand us (`TUNSETOFFLOAD`): partial checksums and
//! TCP super-frames of up to 64 KB.
//!
//! With the header, a write may carry a TCP super-segment the kernel cuts
//! into MSS-sized segments (`gso_type`, `gso_size`) and a partial checksum
//! it completes (`NEEDS_CSUM`); the header's fields are the stack's to
//! fill (`rstcp::wire::virtio`). `TUNSETOFFLOAD` is the other direction:
//! with `TUN_F_CSUM` the kernel may leave a checksum partial, with
//! `TUN_F_TSO4/6` it hands over its TCP super-segments uncut. Each step is
//! probed and falls back on a kernel that refuses it.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use rstcp::wire::virtio::HEADER_LEN_V1;

/// What the kernel agreed to on a TAP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapOffloads {
    /// The length of the virtio-net header before every frame both ways
    /// (0: plain frames, no offload at all).
    pub header_len: usize,
    /// The kernel may hand over frames with a partial checksum
    /// (`TUN_F_CSUM`).
    pub rx_checksum: bool,
    /// The kernel may hand over TCP super-frames (`TUN_F_TSO4 | TUN_F_TSO6`).
    pub rx_tso: bool,
    /// The kernel knows UDP segmentation offload (`TUN_F_USO4/6`, Linux
    /// 6.2). Probed and reported, not left on: the stack does not split a
    /// UDP super-datagram into the datagrams a socket must see.
    pub uso_known: bool,
}

impl TapOffloads {
    /// True when frames carry the header: the stack may then hand over
    /// TCP super-segments and partial checksums (the kernel takes them
    /// whatever `TUNSETOFFLOAD` said, which is about the other direction).
    pub fn tx(&self) -> bool {
        self.header_len > 0
    }
}

/// Whether this `/dev/net/tun` takes `IFF_VNET_HDR` (`TUNGETFEATURES`).
pub(crate) fn vnet_header_supported(fd: BorrowedFd<'_>) -> bool {
    let mut features: libc::c_uint = 0;
    // SAFETY: fd is an open /dev/net/tun descriptor; TUNGETFEATURES writes
    // one unsigned int through the pointer, which points at `features`.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNGETFEATURES as _, &mut features) };
    rc == 0 && features & libc::IFF_VNET_HDR as libc::c_uint != 0
}

/// Configures the header and the offloads on a TAP attached with
/// `IFF_VNET_HDR`; returns what the kernel agreed to.
pub(crate) fn configure(fd: BorrowedFd<'_>) -> io::Result<TapOffloads> {
    // The Virtio 1.x header (12 bytes) rather than the legacy 10: what a
    // virtio NIC uses, so the stack reads one layout everywhere.
    let header_len = if set_int(fd, libc::TUNSETVNETHDRSZ as _, HEADER_LEN_V1 as libc::c_int) {
        HEADER_LEN_V1
    } else {
        rstcp::wire::virtio::HEADER_LEN
    };
    // The stack reads the header as little-endian. On a little-endian host
    // that is the default; elsewhere, without TUNSETVNETLE, it is not.
    if !set_int(fd, libc::TUNSETVNETLE as _, 1) && cfg!(target_endian = "big") {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the kernel refused TUNSETVNETLE: a big-endian host cannot read the header",
        ));
    }
    let csum = libc::TUN_F_CSUM;
    let tso = libc::TUN_F_TSO4 | libc::TUN_F_TSO6;
    let uso = libc::TUN_F_USO4 | libc::TUN_F_USO6;
    // Probe USO (an older kernel refuses unknown bits with EINVAL), then
    // settle on what the stack handles.
    let uso_known = set_offload(fd, csum | tso | uso);
    let mut offloads = TapOffloads {
        header_len,
        uso_known,
        ..TapOffloads::default()
    };
    if set_offload(fd, csum | tso) {
        offloads.rx_checksum = true;
        offloads.rx_tso = true;
    } else if set_offload(fd, csum) {
        offloads.rx_checksum = true;
    } else {
        // Plain frames from the kernel; the header stays (all zero).
        let _ = set_offload(fd, 0);
    }
    Ok(offloads)
}

/// Turns the kernel's offloads off again: a persistent TAP keeps them after
/// we close it, and the next owner may not read headers.
pub(crate) fn reset(fd: BorrowedFd<'_>) {
    let _ = set_offload(fd, 0);
}

fn set_offload(fd: BorrowedFd<'_>, flags: libc::c_uint) -> bool {
    // SAFETY: fd is an open, attached /dev/net/tun descriptor;
    // TUNSETOFFLOAD takes its flags by value and touches no memory of ours.
    unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            libc::TUNSETOFFLOAD as _,
            flags as libc::c_ulong,
        ) == 0
    }
}

fn set_int(fd: BorrowedFd<'_>, request: libc::c_ulong, value: libc::c_int) -> bool {
    // SAFETY: fd is an open, attached /dev/net/tun descriptor; these
    // requests read one int through the pointer, which points at `value`.
    unsafe { libc::ioctl(fd.as_raw_fd(), request as _, &value) == 0 }
}
