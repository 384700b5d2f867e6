//! The two ends the forwarder bridges: a TAP's fd (the kernel's interface
//! is the other end of the TAP) or an `AF_PACKET` socket on an interface
//! (used on the TAP the stack under test drives, whose fd the stack owns).
//! Both move whole Ethernet frames, one per call, without blocking. A
//! packet socket may carry a virtio-net header before each frame
//! ([`Port::packet_vnet`]), for a TAP whose owner uses offloads.

use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

use rstcp::wire::virtio::HEADER_LEN_V1;
use rstcp_tap::TapDevice;

/// `PACKET_IGNORE_OUTGOING` (linux/if_packet.h, Linux 4.20): the socket
/// does not see the frames it sends itself.
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
/// `sll_pkttype` of a frame leaving the interface (linux/if_packet.h).
const PACKET_OUTGOING: u8 = 4;
/// `PACKET_VNET_HDR` (linux/if_packet.h): a virtio-net header before each
/// frame, both ways.
const PACKET_VNET_HDR: libc::c_int = 15;
/// Socket buffers of an `AF_PACKET` port: a burst of a 1 MiB window at
/// line rate must not be dropped by the forwarder's own socket.
const PACKET_BUFFER: libc::c_int = 8 << 20;

/// One end of the forwarder.
#[derive(Debug)]
pub struct Port {
    fd: OwnedFd,
    kind: Kind,
    /// Each frame read starts with a 12-byte virtio-net header.
    vnet: bool,
    /// A packet port's socket for sending: one without virtio-net headers
    /// beside a reading socket that has them (see
    /// [`packet_vnet`](Self::packet_vnet)); `None`: `fd` sends.
    tx: Option<OwnedFd>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One frame per read(2)/write(2): a TAP, or a datagram socket.
    Tap,
    Packet,
}

impl Port {
    /// The forwarder's side of a TAP: frames the kernel sends on the
    /// interface are read here, frames written here arrive at the kernel.
    /// The port shares the TAP's open file, which stays alive as long as
    /// either holds it.
    pub fn tap(tap: &TapDevice) -> io::Result<Port> {
        Ok(Port {
            fd: tap.as_fd().try_clone_to_owned()?,
            kind: Kind::Tap,
            vnet: false,
            tx: None,
        })
    }

    /// Any non-blocking fd that moves one frame per read(2) and write(2),
    /// such as one end of a `SOCK_SEQPACKET` socket pair (tests of the
    /// forwarder that need no root).
    pub fn datagram(fd: OwnedFd) -> Port {
        Port {
            fd,
            kind: Kind::Tap,
            vnet: false,
            tx: None,
        }
    }

    /// An `AF_PACKET` socket on the interface `ifname` of the calling
    /// thread's network namespace: frames that arrive on the interface
    /// (for a TAP, what its fd's owner writes) are read here, frames sent
    /// here leave through it (to the TAP's fd).
    pub fn packet(ifname: &str) -> io::Result<Port> {
        Port::packet_with(ifname, false, true)
    }

    /// [`packet`](Self::packet) with `PACKET_VNET_HDR`, for the interface
    /// of a TAP whose owner writes with offloads: frames read here are
    /// what it wrote, super-frames and partial checksums included, each
    /// behind a 12-byte virtio-net header (`PACKET_VNET_HDR_SZ`, Linux
    /// 6.2) that says how to complete it; frames sent here are plain (one
    /// frame, checksums complete). See [`super::gso`].
    ///
    /// They are sent through a second packet socket, without headers and
    /// bound to no protocol (so it reads nothing): through the reading
    /// one each frame took a `sendmsg` of two buffers and the kernel's
    /// parse of an all-zero header, where the Linux side of the rig gets
    /// its frames by a plain `write` (the rig's cost, not the tested
    /// stack's; issue 10, receiving).
    pub fn packet_vnet(ifname: &str) -> io::Result<Port> {
        let mut port = Port::packet_with(ifname, true, true)?;
        let tx = Port::packet_with(ifname, false, false)?;
        port.tx = Some(tx.fd);
        Ok(port)
    }

    /// A packet socket on `ifname`: with `vnet` headers; `reads`: bound to
    /// every protocol (else to none, for sending only).
    fn packet_with(ifname: &str, vnet: bool, reads: bool) -> io::Result<Port> {
        let name = std::ffi::CString::new(ifname).map_err(io::Error::other)?;
        // SAFETY: a valid NUL-terminated string.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("no interface {ifname}: {e}"),
            ));
        }
        // Protocol 0 receives nothing (packet(7)); sending needs none: the
        // kernel reads it from each frame's Ethernet header.
        let proto = if reads {
            (libc::ETH_P_ALL as u16).to_be()
        } else {
            0
        };
        // SAFETY: plain socket(2); the fd is owned below at once.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                proto.into(),
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh fd nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: all-zero is a valid sockaddr_ll; the fields are set below.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = proto;
        addr.sll_ifindex = index as i32;
        // SAFETY: `addr` is a sockaddr_ll of the size given.
        let rc = unsafe {
            libc::bind(
                raw,
                (&addr as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        set_int(raw, libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)?;
        // FORCE: past rmem_max/wmem_max, which root may do.
        set_int(raw, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, PACKET_BUFFER)?;
        set_int(raw, libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, PACKET_BUFFER)?;
        // The frames sent here skip the interface's qdisc and go straight
        // to the TAP's queue towards its fd (`packet_direct_xmit`). The
        // Linux side of the rig gets its frames by the forwarder's write
        // to a TAP fd, which passes no qdisc; through one here, every
        // frame towards the stack under test would pay an enqueue, a
        // dequeue and the qdisc's lock on the forwarder's CPU (the rig's
        // cost, not the tested stack's: issue 10, receiving). The qdisc
        // held nothing back: the TAP's queue (10 000 frames, see
        // `long_queue` in rig.rs) holds many of the stack's windows, and
        // a frame it refuses would be a send error either way.
        set_int(raw, libc::SOL_PACKET, libc::PACKET_QDISC_BYPASS, 1)?;
        if vnet {
            set_int(raw, libc::SOL_PACKET, PACKET_VNET_HDR, 1)?;
            let len = HEADER_LEN_V1 as libc::c_int;
            set_int(raw, libc::SOL_PACKET, libc::PACKET_VNET_HDR_SZ, len)?;
        }
        Ok(Port {
            fd,
            kind: Kind::Packet,
            vnet,
            tx: None,
        })
    }

    /// Whether frames read here start with a virtio-net header
    /// ([`packet_vnet`](Self::packet_vnet)).
    pub fn vnet(&self) -> bool {
        self.vnet
    }

    /// Reads one frame into `buf` (behind its header if [`vnet`](Self::vnet)):
    /// its length, `None` when no frame is waiting. A frame longer than `buf` is dropped (an error), never
    /// passed on cut short.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        loop {
            let n = match self.kind {
                // SAFETY: `buf` is writable for its length.
                Kind::Tap => unsafe {
                    libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
                },
                Kind::Packet => {
                    // SAFETY: zeroed sockaddr_ll is valid; the kernel
                    // writes at most `len` bytes of it.
                    let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
                    let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
                    // SAFETY: `buf` and `from` are writable for the sizes given.
                    let n = unsafe {
                        libc::recvfrom(
                            self.fd.as_raw_fd(),
                            buf.as_mut_ptr().cast(),
                            buf.len(),
                            libc::MSG_TRUNC,
                            (&mut from as *mut libc::sockaddr_ll).cast(),
                            &mut len,
                        )
                    };
                    // Kernels before 4.20 ignore PACKET_IGNORE_OUTGOING.
                    if n >= 0 && from.sll_pkttype == PACKET_OUTGOING {
                        continue;
                    }
                    n
                }
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.kind() {
                    io::ErrorKind::WouldBlock => Ok(None),
                    io::ErrorKind::Interrupted => continue,
                    _ => Err(e),
                };
            }
            let n = n as usize;
            if n > buf.len() {
                return Err(io::Error::other(format!("a {n}-byte frame: too long")));
            }
            return Ok(Some(n));
        }
    }

    /// Sends one frame. A full queue behind the port (the kernel's backlog,
    /// or a TAP whose owner does not read) loses the frame: an error the
    /// caller counts, like a loss on the wire.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        let fd = self.tx.as_ref().unwrap_or(&self.fd).as_raw_fd();
        // SAFETY: `frame` is readable for its length; for a packet socket
        // bound to one interface, send(2) needs no address.
        let n = unsafe {
            match self.kind {
                Kind::Tap => libc::write(fd, frame.as_ptr().cast(), frame.len()),
                Kind::Packet => libc::send(fd, frame.as_ptr().cast(), frame.len(), 0),
            }
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The fd, to wait on.
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn set_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `value` is a c_int of the size given.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as u32,
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("setsockopt {level}/{name}: {e}"),
        ));
    }
    Ok(())
}
