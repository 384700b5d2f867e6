//! The TAP fd as an rstcp [`Device`].

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rstcp::phy::wait::{FrameIo, Transmit, Transmitter, WaitDevice, Waker};
use rstcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken, VirtioOffload};
use rstcp::time::Instant;
use rstcp::wire::ethernet::HEADER_LEN;

use crate::ifreq;
use crate::offload::{self, TapOffloads};
use crate::wake::{self, EventWaker};

/// Room for one 802.1Q tag on top of the Ethernet header: a tagged frame of
/// a full MTU must not be cut short by our read.
const VLAN_TAG_LEN: usize = 4;

/// Frame counters of a [`TapDevice`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapStats {
    /// Frames read from the TAP.
    pub rx_frames: u64,
    /// Frames written to the TAP.
    pub tx_frames: u64,
    /// Reads that failed with something other than "nothing to read".
    pub rx_errors: u64,
    /// Frames the kernel did not take (write failed or was short).
    pub tx_errors: u64,
}

/// A Linux TAP interface, opened through `/dev/net/tun`.
///
/// The fd is non-blocking: [`Device::receive`] returns `None` when no frame
/// is waiting, and [`WaitDevice::wait`] is how a thread sleeps until one
/// arrives. Through [`Device`], frames are read into one receive buffer and
/// written from one transmit buffer, both sized once for the MTU read at
/// open; through [`FrameIo`] (the std runtime's path), straight into and
/// from the caller's buffers, with the virtio-net header (if any) in front
/// of the frame either way.
#[derive(Debug)]
pub struct TapDevice {
    file: File,
    name: String,
    mtu: usize,
    rx_buf: Vec<u8>,
    tx_buf: Vec<u8>,
    waker: Arc<EventWaker>,
    sender: Arc<TapSender>,
    stats: TapStats,
    last_error: Option<io::ErrorKind>,
    offloads: TapOffloads,
    /// Ethernet for a TAP, IP for a TUN.
    pub(crate) medium: Medium,
}

impl Drop for TapDevice {
    fn drop(&mut self) {
        if self.offloads.tx() {
            offload::reset(self.file.as_fd());
        }
    }
}

/// Writes frames to the TAP from any thread (its
/// [`transmitter`](WaitDevice::transmitter)): a `write(2)` on the same open
/// file, which the kernel takes whole from any thread.
#[derive(Debug)]
struct TapSender {
    file: File,
    tx_frames: AtomicU64,
    tx_errors: AtomicU64,
}

impl Transmit for TapSender {
    fn send(&self, frame: &[u8]) -> bool {
        // As for a frame written through a token: one the kernel does not
        // take is counted and lost, as on a busy wire; a TAP has no
        // back-pressure to report.
        match (&self.file).write(frame) {
            Ok(n) if n == frame.len() => self.tx_frames.fetch_add(1, Ordering::Relaxed),
            _ => self.tx_errors.fetch_add(1, Ordering::Relaxed),
        };
        true
    }
}

impl TapDevice {
    /// Opens the TAP interface `name`, creating it if it does not exist
    /// (an empty name or one with `%d` lets the kernel pick: see
    /// [`name`](Self::name)). The interface is left down; see
    /// [`set_up`](Self::set_up).
    ///
    /// Errors say why: no `/dev/net/tun` (no tun module, or a container
    /// without the device), not root / no `CAP_NET_ADMIN`, the interface
    /// busy in another process, a name over [`MAX_NAME_LEN`](crate::MAX_NAME_LEN)
    /// bytes (checked before any system call).
    pub fn open(name: &str) -> io::Result<TapDevice> {
        TapDevice::open_with_offload(name, false)
    }

    /// [`open`](Self::open), with the kernel's offloads when `offload` is
    /// true and the kernel has them: a virtio-net header on every frame
    /// (`IFF_VNET_HDR`), TCP super-segments of up to 64 KB and partial
    /// checksums both ways (`TUNSETOFFLOAD` with `TUN_F_CSUM | TUN_F_TSO4 |
    /// TUN_F_TSO6`). Each is probed; what the kernel refuses is left off
    /// ([`offloads`](Self::offloads) says what is on), so this works on any
    /// kernel. The stack learns it from [`Device::capabilities`].
    ///
    /// A program that writes or reads raw frames on the fd itself, or
    /// records them (pcap), wants [`open`](Self::open): with offloads every
    /// frame carries the header.
    pub fn open_with_offload(name: &str, offload: bool) -> io::Result<TapDevice> {
        TapDevice::attach(name, offload, Medium::Ethernet)
    }

    /// Opens `/dev/net/tun` and attaches it to `name` as a TAP
    /// (`Medium::Ethernet`) or a TUN (`Medium::Ip`, `tun.rs`).
    pub(crate) fn attach(name: &str, offload: bool, medium: Medium) -> io::Result<TapDevice> {
        // Validate first: a long name is the caller's mistake, whatever the
        // state of /dev/net/tun.
        ifreq::request(name)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")
            .map_err(|err| {
                let why = match err.kind() {
                    io::ErrorKind::NotFound => {
                        "no /dev/net/tun: load the tun module (`modprobe tun`), or give \
                         the container the device (`--device /dev/net/tun`)"
                    }
                    io::ErrorKind::PermissionDenied => {
                        "not allowed to open /dev/net/tun: run as root or grant CAP_NET_ADMIN"
                    }
                    _ => "cannot open /dev/net/tun",
                };
                io::Error::new(err.kind(), format!("{why}: {err}"))
            })?;
        let vnet = offload && offload::vnet_header_supported(file.as_fd());
        let name = ifreq::attach_tap(file.as_fd(), name, vnet, medium == Medium::Ip)?;
        let offloads = if vnet {
            offload::configure(file.as_fd())?
        } else {
            TapOffloads::default()
        };
        let mtu = ifreq::mtu(&name)?;
        // A super-frame is one IP packet of up to 64 KB (its length field
        // is 16 bits) behind the Ethernet header (none on a TUN) and the
        // virtio-net header.
        let ip_max = if offloads.tx() { 65535.max(mtu) } else { mtu };
        let link = match medium {
            Medium::Ip => 0,
            _ => HEADER_LEN + VLAN_TAG_LEN,
        };
        let frame = offloads.header_len + ip_max + link;
        let sender = Arc::new(TapSender {
            file: file.try_clone()?,
            tx_frames: AtomicU64::new(0),
            tx_errors: AtomicU64::new(0),
        });
        Ok(TapDevice {
            sender,
            file,
            name,
            mtu,
            rx_buf: vec![0; frame],
            tx_buf: vec![0; frame],
            waker: Arc::new(EventWaker::new()?),
            stats: TapStats::default(),
            last_error: None,
            offloads,
            medium,
        })
    }

    /// The offloads the kernel agreed to (all off after [`open`](Self::open)).
    pub fn offloads(&self) -> TapOffloads {
        self.offloads
    }

    /// The interface's name as the kernel knows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The IP MTU read when the device was opened.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Brings the interface up (`IFF_UP`), like `ip link set NAME up`.
    ///
    /// This goes through the network namespace of the calling thread: after
    /// the interface moved to another namespace, bring it up there
    /// (`ip -n NS link set NAME up`); the fd keeps working either way.
    pub fn set_up(&self) -> io::Result<()> {
        ifreq::set_up(&self.name)
    }

    /// Frame counters (frames sent through the
    /// [`transmitter`](WaitDevice::transmitter) included).
    pub fn stats(&self) -> TapStats {
        let mut s = self.stats;
        s.tx_frames += self.sender.tx_frames.load(Ordering::Relaxed);
        s.tx_errors += self.sender.tx_errors.load(Ordering::Relaxed);
        s
    }

    /// The kind of the last read or write error, cleared by this call.
    /// Errors are counted in [`stats`](Self::stats) and do not stop the
    /// device: the stack treats a failed frame like one lost on the wire.
    pub fn take_error(&mut self) -> Option<io::ErrorKind> {
        self.last_error.take()
    }
}

impl AsRawFd for TapDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl AsFd for TapDevice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// A received frame, lent in the device's receive buffer.
pub struct TapRxToken<'a> {
    frame: &'a mut [u8],
}

impl RxToken for TapRxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

/// The device's transmit buffer, written to the TAP on consume.
pub struct TapTxToken<'a> {
    file: &'a File,
    buf: &'a mut Vec<u8>,
    stats: &'a mut TapStats,
    last_error: &'a mut Option<io::ErrorKind>,
}

impl TxToken for TapTxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        // The interface never asks for more than max_frame_len(), which the
        // buffer holds; growing here only covers a caller that breaks that
        // contract, once, rather than panicking.
        if self.buf.len() < len {
            self.buf.resize(len, 0);
        }
        let frame = &mut self.buf[..len];
        let result = f(frame);
        write_frame(self.file, frame, self.stats, self.last_error);
        result
    }
}

/// Writes one frame (with its virtio-net header, if on) and counts it.
fn write_frame(
    mut file: &File,
    frame: &[u8],
    stats: &mut TapStats,
    last_error: &mut Option<io::ErrorKind>,
) {
    match file.write(frame) {
        Ok(n) if n == frame.len() => stats.tx_frames += 1,
        Ok(_) => {
            stats.tx_errors += 1;
            *last_error = Some(io::ErrorKind::WriteZero);
        }
        // A TAP takes every frame unless the kernel is out of memory or
        // the interface is gone: the frame is lost as on a busy wire.
        Err(err) => {
            stats.tx_errors += 1;
            *last_error = Some(err.kind());
        }
    }
}

/// Reads one frame (with its virtio-net header, if on) into `buf`; `None`
/// when none waits or the read failed (counted).
fn read_frame(
    mut file: &File,
    buf: &mut [u8],
    stats: &mut TapStats,
    last_error: &mut Option<io::ErrorKind>,
) -> Option<usize> {
    loop {
        match file.read(buf) {
            Ok(n) => {
                stats.rx_frames += 1;
                return Some(n);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return None,
            Err(err) => {
                // EIO while the interface is down, for instance: count it
                // and report "nothing to receive" rather than spin.
                stats.rx_errors += 1;
                *last_error = Some(err.kind());
                return None;
            }
        }
    }
}

impl Device for TapDevice {
    type RxToken<'a> = TapRxToken<'a>;
    type TxToken<'a> = TapTxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(TapRxToken<'_>, TapTxToken<'_>)> {
        let n = read_frame(
            &self.file,
            &mut self.rx_buf,
            &mut self.stats,
            &mut self.last_error,
        )?;
        Some((
            TapRxToken {
                frame: &mut self.rx_buf[..n],
            },
            TapTxToken {
                file: &self.file,
                buf: &mut self.tx_buf,
                stats: &mut self.stats,
                last_error: &mut self.last_error,
            },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TapTxToken<'_>> {
        Some(TapTxToken {
            file: &self.file,
            buf: &mut self.tx_buf,
            stats: &mut self.stats,
            last_error: &mut self.last_error,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = match self.medium {
            Medium::Ip => DeviceCapabilities::ip(self.mtu),
            _ => DeviceCapabilities::ethernet(self.mtu),
        };
        if self.offloads.tx() {
            // The kernel takes partial checksums and super-segments on any
            // write with the header (tun_get_user), whatever TUNSETOFFLOAD
            // allowed the other way.
            caps.virtio = Some(VirtioOffload::new(self.offloads.header_len, true));
            caps.max_segment_size = Some(65535);
        }
        caps
    }
}

/// The runtime's path: a frame read straight into its buffer, parsed there,
/// and one written straight from its send queue (see
/// [`FrameIo`]): `read(2)` and `write(2)` take any buffer.
impl FrameIo for TapDevice {
    fn rx_room(&self) -> usize {
        // What the device's own receive buffer holds: the header, a
        // super-frame with offloads, a tagged Ethernet header.
        self.rx_buf.len()
    }

    fn receive_into(&mut self, buf: &mut [u8]) -> Option<usize> {
        read_frame(&self.file, buf, &mut self.stats, &mut self.last_error)
    }

    fn transmit_from(&mut self, frame: &[u8]) -> bool {
        // As through a token: a TAP has no back-pressure to report, a frame
        // the kernel does not take is counted and lost.
        write_frame(&self.file, frame, &mut self.stats, &mut self.last_error);
        true
    }
}

impl WaitDevice for TapDevice {
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        wake::wait(self.file.as_raw_fd(), &self.waker, timeout)
    }

    fn waker(&self) -> Waker {
        self.waker.clone()
    }

    fn transmitter(&self) -> Option<Transmitter> {
        Some(self.sender.clone())
    }

    fn frame_io(&mut self) -> Option<&mut dyn FrameIo> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_name_over_fifteen_bytes_is_refused_before_any_system_call() {
        let err = TapDevice::open("rstcp-name-too-long").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("at most 15"), "{err}");
    }

    /// True when root, /dev/net/tun and `ip` are there; otherwise says why and
    /// returns false, or fails under CI=true, where the tests must run.
    fn have_tap() -> bool {
        // SAFETY: geteuid(2) cannot fail and has no arguments.
        let root = unsafe { libc::geteuid() } == 0;
        let why = if !root {
            "not root"
        } else if !std::path::Path::new("/dev/net/tun").exists() {
            "no /dev/net/tun"
        } else if !Command::new("ip")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            "no `ip` command (install iproute2)"
        } else {
            return true;
        };
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("TAP test cannot run under CI=true: {why}");
        }
        eprintln!("skipped: {why}");
        false
    }

    fn ip(args: &[&str]) {
        let out = Command::new("ip").args(args).output().expect("run ip");
        assert!(
            out.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A network namespace deleted on drop, so the kernel side of the test
    /// never touches the host's interfaces.
    struct Netns(String);

    impl Drop for Netns {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }

    fn unique(prefix: &str) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        format!(
            "{prefix}{}x{}",
            std::process::id() % 100_000,
            N.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// An ARP request from `mac`/`spa` for `tpa` (RFC 826).
    fn arp_request(mac: [u8; 6], spa: [u8; 4], tpa: [u8; 4]) -> Vec<u8> {
        let mut f = Vec::with_capacity(42);
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&mac);
        f.extend_from_slice(&[0x08, 0x06]); // ARP
        f.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]); // Ethernet/IPv4, request
        f.extend_from_slice(&mac);
        f.extend_from_slice(&spa);
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&tpa);
        f
    }

    #[test]
    fn open_reads_the_mtu_and_frames_go_both_ways() {
        if !have_tap() {
            return;
        }
        let name = unique("rtu");
        let mut tap = TapDevice::open(&name).unwrap();
        assert_eq!(tap.name(), name);
        // A new TAP has Ethernet's MTU; the device reports it to the stack.
        assert_eq!(tap.mtu(), 1500);
        assert_eq!(tap.capabilities().mtu, 1500);
        tap.set_up().unwrap();

        // The kernel side lives in a namespace of its own; the fd keeps
        // working after the interface moves there.
        let ns = Netns(unique("rstcp-tapunit-"));
        ip(&["netns", "add", &ns.0]);
        ip(&["link", "set", &name, "netns", &ns.0]);
        ip(&["-n", &ns.0, "addr", "add", "10.77.0.2/24", "dev", &name]);
        ip(&["-n", &ns.0, "link", "set", &name, "up"]);

        // Nothing sent yet that the kernel would answer with IPv4; drain
        // what it volunteers (IPv6 router solicitations, MLD) as we go.
        let mac = [0x02, 0, 0, 0, 0x77, 1];
        let request = arp_request(mac, [10, 77, 0, 1], [10, 77, 0, 2]);
        let token = tap.transmit(Instant::ZERO).unwrap();
        token.consume(request.len(), |buf| buf.copy_from_slice(&request));
        assert_eq!(tap.stats().tx_frames, 1);

        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let reply = loop {
            assert!(std::time::Instant::now() < deadline, "no ARP reply");
            tap.wait(Some(Duration::from_millis(200))).unwrap();
            let Some((rx, _tx)) = tap.receive(Instant::ZERO) else {
                continue;
            };
            let frame = rx.consume(|f| f.to_vec());
            if frame.len() >= 42 && frame[12..14] == [0x08, 0x06] && frame[20..22] == [0, 2] {
                break frame;
            }
        };
        // The reply is addressed to us and says who has 10.77.0.2.
        assert_eq!(reply[0..6], mac);
        assert_eq!(reply[28..32], [10, 77, 0, 2]);
        assert_eq!(reply[32..38], mac);
        assert!(tap.stats().rx_frames >= 1);
        assert_eq!(tap.stats().rx_errors, 0);
        assert_eq!(tap.take_error(), None);
    }

    #[test]
    fn with_offload_every_frame_carries_a_virtio_header_both_ways() {
        if !have_tap() {
            return;
        }
        let name = unique("rto");
        let mut tap = TapDevice::open_with_offload(&name, true).unwrap();
        let offloads = tap.offloads();
        // Every kernel since 2.6.27 has these; USO is newer (6.2).
        assert_eq!(offloads.header_len, 12, "{offloads:?}");
        assert!(offloads.rx_checksum && offloads.rx_tso, "{offloads:?}");
        let caps = tap.capabilities();
        assert_eq!(caps.virtio_header_len(), 12);
        assert_eq!(caps.tso_max(), Some(65535));
        assert_eq!(caps.max_frame_len(), 1500 + 14 + 12);
        tap.set_up().unwrap();
        let ns = Netns(unique("rstcp-tapoff-"));
        ip(&["netns", "add", &ns.0]);
        ip(&["link", "set", &name, "netns", &ns.0]);
        ip(&["-n", &ns.0, "addr", "add", "10.78.0.2/24", "dev", &name]);
        ip(&["-n", &ns.0, "link", "set", &name, "up"]);

        // A zero header: a plain frame with nothing for the kernel to do.
        let mac = [0x02, 0, 0, 0, 0x78, 1];
        let mut request = vec![0u8; 12];
        request.extend(arp_request(mac, [10, 78, 0, 1], [10, 78, 0, 2]));
        let token = tap.transmit(Instant::ZERO).unwrap();
        token.consume(request.len(), |buf| buf.copy_from_slice(&request));
        assert_eq!(tap.stats().tx_errors, 0);

        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let reply = loop {
            assert!(std::time::Instant::now() < deadline, "no ARP reply");
            tap.wait(Some(Duration::from_millis(200))).unwrap();
            let Some((rx, _tx)) = tap.receive(Instant::ZERO) else {
                continue;
            };
            let frame = rx.consume(|f| f.to_vec());
            let eth = &frame[12..];
            if eth.len() >= 42 && eth[12..14] == [0x08, 0x06] && eth[20..22] == [0, 2] {
                break frame;
            }
        };
        // The kernel's header for an ARP reply: nothing offloaded.
        let vnet = rstcp::wire::virtio::VirtioNetRepr::parse(&reply[..12], reply.len() - 12);
        assert_eq!(vnet, Ok(rstcp::wire::virtio::VirtioNetRepr::PLAIN));
        assert_eq!(reply[12..18], mac);
        assert_eq!(reply[12 + 28..12 + 32], [10, 78, 0, 2]);
    }

    /// An ARP exchange with the kernel through [`FrameIo`], the runtime's
    /// path: the request written from our buffer, the reply read into one
    /// of ours, header and all when `offload` puts one on every frame.
    fn arp_through_frame_io(offload: bool, net: u8) {
        let name = unique("rtd");
        let mut tap = TapDevice::open_with_offload(&name, offload).unwrap();
        let header = tap.offloads().header_len;
        assert_eq!(header, if offload { 12 } else { 0 });
        let room = tap.frame_io().unwrap().rx_room();
        // Room for a super-frame with offloads, a tagged full frame without.
        let ip_max = if offload { 65535 } else { 1500 };
        assert_eq!(room, header + ip_max + 14 + 4);
        tap.set_up().unwrap();
        let ns = Netns(unique("rstcp-tapdir-"));
        ip(&["netns", "add", &ns.0]);
        ip(&["link", "set", &name, "netns", &ns.0]);
        let kernel = format!("10.{net}.0.2/24");
        ip(&["-n", &ns.0, "addr", "add", &kernel, "dev", &name]);
        ip(&["-n", &ns.0, "link", "set", &name, "up"]);

        let mac = [0x02, 0, 0, 0, net, 1];
        let mut request = vec![0u8; header];
        request.extend(arp_request(mac, [10, net, 0, 1], [10, net, 0, 2]));
        assert!(tap.frame_io().unwrap().transmit_from(&request));
        assert_eq!(tap.stats().tx_frames, 1);
        assert_eq!(tap.stats().tx_errors, 0);

        let mut buf = vec![0u8; room];
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let reply = loop {
            assert!(std::time::Instant::now() < deadline, "no ARP reply");
            tap.wait(Some(Duration::from_millis(200))).unwrap();
            let Some(n) = tap.frame_io().unwrap().receive_into(&mut buf) else {
                continue;
            };
            let eth = &buf[header..n];
            if eth.len() >= 42 && eth[12..14] == [0x08, 0x06] && eth[20..22] == [0, 2] {
                break &buf[..n];
            }
        };
        if offload {
            let vnet = rstcp::wire::virtio::VirtioNetRepr::parse(&reply[..12], reply.len() - 12);
            assert_eq!(vnet, Ok(rstcp::wire::virtio::VirtioNetRepr::PLAIN));
        }
        let eth = &reply[header..];
        assert_eq!(eth[0..6], mac);
        assert_eq!(eth[28..32], [10, net, 0, 2]);
        assert!(tap.stats().rx_frames >= 1);
        assert_eq!(tap.stats().rx_errors, 0);
        // Nothing more waiting is "none", not an error.
        while tap.frame_io().unwrap().receive_into(&mut buf).is_some() {}
        assert_eq!(tap.take_error(), None);
    }

    #[test]
    fn frames_go_both_ways_through_the_callers_buffers_plain() {
        if have_tap() {
            arp_through_frame_io(false, 79);
        }
    }

    #[test]
    fn frames_go_both_ways_through_the_callers_buffers_with_the_virtio_header() {
        if have_tap() {
            arp_through_frame_io(true, 80);
        }
    }

    #[test]
    fn a_second_open_of_a_busy_tap_says_busy() {
        if !have_tap() {
            return;
        }
        let name = unique("rtb");
        let _first = TapDevice::open(&name).unwrap();
        let err = TapDevice::open(&name).unwrap_err();
        assert!(err.to_string().contains("busy"), "{err}");
    }
}
