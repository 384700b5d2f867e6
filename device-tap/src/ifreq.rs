//! Interface requests: the `ioctl(2)`s that name, size and raise a TAP.

use std::ffi::c_char;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// The longest interface name Linux accepts, in bytes (`IFNAMSIZ` less the NUL).
pub const MAX_NAME_LEN: usize = libc::IFNAMSIZ - 1;

/// An `ifreq` with `name` in it, or a readable error when the kernel would
/// refuse the name anyway (checked here so the message names the real cause
/// instead of a bare `EINVAL`).
pub(crate) fn request(name: &str) -> io::Result<libc::ifreq> {
    if name.len() > MAX_NAME_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "interface name {name:?} is {} bytes long; Linux allows at most {MAX_NAME_LEN}",
                name.len()
            ),
        ));
    }
    if name
        .bytes()
        .any(|b| b == 0 || b == b'/' || b.is_ascii_whitespace())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("interface name {name:?} contains a NUL, '/' or whitespace"),
        ));
    }
    // SAFETY: ifreq is a plain C struct (a name array and a union of
    // integers, sockaddrs and a pointer); all zero bytes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as c_char;
    }
    Ok(req)
}

/// The name in a request, as the kernel left it (it fills in `tap%d`).
pub(crate) fn name_of(req: &libc::ifreq) -> String {
    let bytes: Vec<u8> = req
        .ifr_name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Attaches the `/dev/net/tun` fd to the TAP `name` (creating it if needed)
/// and returns the interface's name. With `vnet_header`, every frame both
/// ways starts with a virtio-net header (`IFF_VNET_HDR`). With `tun`, a TUN
/// instead (`IFF_TUN`): every frame is a bare IP packet.
pub(crate) fn attach_tap(
    fd: BorrowedFd<'_>,
    name: &str,
    vnet_header: bool,
    tun: bool,
) -> io::Result<String> {
    let mut req = request(name)?;
    // IFF_NO_PI: frames without the 4-byte packet-information prefix, so a
    // read is exactly one Ethernet frame, or on a TUN one IP packet whose
    // version nibble says its family (after the virtio-net header).
    let vnet = if vnet_header { libc::IFF_VNET_HDR } else { 0 };
    let (mode, kind) = if tun {
        (libc::IFF_TUN, "TUN")
    } else {
        (libc::IFF_TAP, "TAP")
    };
    req.ifr_ifru.ifru_flags = (mode | libc::IFF_NO_PI | vnet) as libc::c_short;
    // SAFETY: fd is an open /dev/net/tun descriptor; TUNSETIFF reads and
    // writes one ifreq, and `req` is a valid, exclusively borrowed ifreq
    // that outlives the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF as _, &mut req) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        let why = match err.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => format!(
                "not allowed to attach {kind} {name:?}: run as root or grant CAP_NET_ADMIN \
                 (or create it first with `ip tuntap add {name} mode {} user $USER`)",
                kind.to_lowercase()
            ),
            Some(libc::EBUSY) => format!(
                "{kind} {name:?} is busy: another process has it open \
                 (a {kind} without IFF_MULTI_QUEUE takes one owner)"
            ),
            Some(libc::EINVAL) => format!(
                "cannot attach {name:?} as a {kind}: an interface of that name exists \
                 and is not a {kind} with these flags"
            ),
            _ => format!("TUNSETIFF for {kind} {name:?} failed"),
        };
        return Err(io::Error::new(err.kind(), format!("{why}: {err}")));
    }
    Ok(name_of(&req))
}

/// An `AF_INET` datagram socket: the handle the `SIOC*IF*` ioctls need. It
/// sees the interfaces of the network namespace the calling thread is in.
fn control_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2) call with constant arguments; no pointers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        let err = io::Error::last_os_error();
        return Err(io::Error::new(
            err.kind(),
            format!("cannot open a control socket: {err}"),
        ));
    }
    // SAFETY: fd was just returned by socket(2) and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Runs one `SIOC*IF*` ioctl for `name` and returns the filled request.
fn interface_ioctl(
    name: &str,
    request_code: libc::c_ulong,
    what: &str,
    fill: impl FnOnce(&mut libc::ifreq),
) -> io::Result<libc::ifreq> {
    let sock = control_socket()?;
    let mut req = request(name)?;
    fill(&mut req);
    // SAFETY: sock is an open socket; every SIOC*IF* request used here
    // reads and/or writes exactly one ifreq, which `req` is.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), request_code as _, &mut req) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        let hint = match err.raw_os_error() {
            Some(libc::ENODEV) => " (no such interface in this network namespace)",
            Some(libc::EPERM) => " (needs root or CAP_NET_ADMIN)",
            _ => "",
        };
        return Err(io::Error::new(
            err.kind(),
            format!("{what} of {name:?} failed{hint}: {err}"),
        ));
    }
    Ok(req)
}

/// The interface's MTU (the largest IP packet, without the Ethernet header).
pub(crate) fn mtu(name: &str) -> io::Result<usize> {
    let req = interface_ioctl(name, libc::SIOCGIFMTU as _, "reading the MTU", |_| {})?;
    // SAFETY: SIOCGIFMTU succeeded, so the kernel wrote the ifru_mtu member.
    let mtu = unsafe { req.ifr_ifru.ifru_mtu };
    usize::try_from(mtu).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the kernel reported MTU {mtu} for {name:?}"),
        )
    })
}

/// Sets `IFF_UP` on the interface (like `ip link set NAME up`).
pub(crate) fn set_up(name: &str) -> io::Result<()> {
    let req = interface_ioctl(name, libc::SIOCGIFFLAGS as _, "reading the flags", |_| {})?;
    // SAFETY: SIOCGIFFLAGS succeeded, so the kernel wrote ifru_flags.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    if flags & libc::IFF_UP as libc::c_short != 0 {
        return Ok(());
    }
    interface_ioctl(name, libc::SIOCSIFFLAGS as _, "bringing up", |r| {
        r.ifr_ifru.ifru_flags = flags | libc::IFF_UP as libc::c_short;
    })
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_of_fifteen_bytes_fits_and_sixteen_does_not() {
        let req = request("abcdefghijklmno").unwrap();
        assert_eq!(name_of(&req), "abcdefghijklmno");
        let err = request("abcdefghijklmnop").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("at most 15"), "{err}");
    }

    #[test]
    fn names_with_nul_or_slash_are_refused() {
        for bad in ["ta\0p", "a/b", "a b"] {
            assert_eq!(
                request(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
        }
    }
}
