//! Recording a device's traffic: [`PcapRecorder`] wraps any
//! [`rstcp::phy::Device`] and writes every frame it receives or transmits
//! into a classic pcap file, which opens in Wireshark and tshark.
//!
//! Recording is a side effect that must never change the traffic: a write
//! error neither panics nor refuses a frame. It is counted in
//! [`RecorderStats`] and kept for [`PcapRecorder::take_write_error`]. After an
//! I/O error the file may end in the middle of a record, so nothing more is
//! written to it (frames are counted as not recorded): the file stays
//! readable up to the last whole record.

use std::cell::RefCell;
use std::io::Write;

use rstcp::phy::wait::{WaitDevice, Waker};
use rstcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use rstcp::time::Instant;

use crate::{LinkType, PcapError, PcapWriter, Timestamp, TimestampResolution, MAX_CAPLEN};

/// What a [`PcapRecorder`] has written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecorderStats {
    /// Received frames written to the file.
    pub rx_frames: u64,
    /// Transmitted frames written to the file.
    pub tx_frames: u64,
    /// Writes that failed.
    pub write_errors: u64,
    /// Frames that crossed the device but are not in the file (the failed
    /// writes, and every frame after an I/O error).
    pub not_recorded: u64,
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Rx,
    Tx,
}

/// The writer and its bookkeeping, shared by the tokens of one call.
#[derive(Debug)]
struct Recording<W: Write> {
    writer: PcapWriter<W>,
    stats: RecorderStats,
    /// The first error not yet taken.
    error: Option<PcapError>,
    /// Set by an I/O error: a record may be cut short, so stop writing.
    broken: bool,
    /// The device's virtio-net header length: metadata for the device, not
    /// part of the Ethernet frame, so not recorded.
    skip: usize,
}

impl<W: Write> Recording<W> {
    fn record(&mut self, now: Instant, frame: &[u8], dir: Direction) {
        if self.broken {
            self.stats.not_recorded += 1;
            return;
        }
        let frame = frame.get(self.skip..).unwrap_or_default();
        // A frame cannot be 4 GiB; if it were, the length saturates and the
        // data is cut at the snapshot length anyway.
        let orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        match self.writer.write_packet(timestamp(now), frame, orig_len) {
            Ok(()) => match dir {
                Direction::Rx => self.stats.rx_frames += 1,
                Direction::Tx => self.stats.tx_frames += 1,
            },
            Err(e) => {
                self.stats.write_errors += 1;
                self.stats.not_recorded += 1;
                // InvalidInput is refused before anything is written: the
                // file is still whole. Anything else may have cut a record.
                if !matches!(e, PcapError::InvalidInput(_)) {
                    self.broken = true;
                }
                if self.error.is_none() {
                    self.error = Some(e);
                }
            }
        }
    }
}

/// The stack's `now` (µs since the caller's epoch) as a pcap timestamp. A
/// negative instant is written as the epoch: classic pcap has no sign.
fn timestamp(now: Instant) -> Timestamp {
    let micros = u64::try_from(now.total_micros()).unwrap_or(0);
    // micros % 1e6 * 1000 < 1e9, so it fits the u32.
    Timestamp::new(micros / 1_000_000, ((micros % 1_000_000) * 1000) as u32)
}

/// Records a frame; the tokens of one `receive` share the recording, but
/// each borrow ends before the interface's closure runs (receive: before it,
/// transmit: after it), so the borrows never overlap, even when a reply is
/// written from inside the receive closure.
fn record<W: Write>(rec: &RefCell<Recording<W>>, now: Instant, frame: &[u8], dir: Direction) {
    if let Ok(mut rec) = rec.try_borrow_mut() {
        rec.record(now, frame, dir);
    }
}

/// Wraps a device and writes every frame that crosses it into a pcap file,
/// with `now` as the timestamp (microsecond resolution).
///
/// ```
/// use rstcp::phy::{Device, DeviceCapabilities, TxToken};
/// use rstcp_testkit::loopback::Loopback;
/// use rstcp::time::Instant;
/// use rstcp_pcap::{device::PcapRecorder, PcapReader};
///
/// let lo = Loopback::new(DeviceCapabilities::default());
/// let mut dev = PcapRecorder::new(lo, Vec::new())?;
/// dev.transmit(Instant::from_millis(5)).unwrap().consume(60, |b| b.fill(0xff));
/// let (_lo, file) = dev.into_inner();
/// let mut r = PcapReader::new(&file[..])?;
/// assert_eq!(r.next_packet().unwrap()?.data.len(), 60);
/// # Ok::<(), rstcp_pcap::PcapError>(())
/// ```
#[derive(Debug)]
pub struct PcapRecorder<D: Device, W: Write> {
    inner: D,
    rec: RefCell<Recording<W>>,
}

impl<D: Device, W: Write> PcapRecorder<D, W> {
    /// Wraps `inner` and writes the pcap file header to `writer` (wrap a
    /// file in a `BufWriter`: each frame is two small writes). The link type
    /// follows the device's medium. Fails only if the header cannot be
    /// written or the medium has no pcap link type.
    pub fn new(inner: D, writer: W) -> Result<Self, PcapError> {
        let link_type = match inner.capabilities().medium {
            Medium::Ethernet => LinkType::Ethernet,
            Medium::Ip => LinkType::Raw,
            _ => {
                return Err(PcapError::InvalidInput(
                    "no pcap link type for this device medium",
                ))
            }
        };
        let writer = PcapWriter::new(
            writer,
            link_type,
            MAX_CAPLEN,
            TimestampResolution::Microsecond,
        )?;
        let skip = inner.capabilities().virtio_header_len();
        Ok(PcapRecorder {
            inner,
            rec: RefCell::new(Recording {
                writer,
                stats: RecorderStats::default(),
                error: None,
                broken: false,
                skip,
            }),
        })
    }

    /// What has been written so far.
    pub fn stats(&self) -> RecorderStats {
        self.rec.borrow().stats
    }

    /// The first write error since the last call, if any.
    pub fn take_write_error(&mut self) -> Option<PcapError> {
        self.rec.get_mut().error.take()
    }

    /// Flushes the writer (a `BufWriter` holds the last records until then).
    pub fn flush(&mut self) -> Result<(), PcapError> {
        self.rec.get_mut().writer.flush()
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably. Frames moved through it directly are not
    /// recorded.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// The device and the writer, flushed. A flush error is dropped here:
    /// call [`flush`](Self::flush) first to see it.
    pub fn into_inner(self) -> (D, W) {
        let mut rec = self.rec.into_inner();
        let _ = rec.writer.flush();
        (self.inner, rec.writer.into_inner())
    }
}

/// A recording that is not tied to one device value: [`attach`](Self::attach)
/// it to a device borrowed for one poll (an in-memory link's end, say) and
/// every frame that crosses it during that poll is written. The file stays
/// open across polls.
#[derive(Debug)]
pub struct PcapTap<W: Write> {
    rec: RefCell<Recording<W>>,
}

impl<W: Write> PcapTap<W> {
    /// Writes an Ethernet, microsecond pcap header to `writer`.
    pub fn new(writer: W) -> Result<Self, PcapError> {
        let writer = PcapWriter::new(
            writer,
            LinkType::Ethernet,
            MAX_CAPLEN,
            TimestampResolution::Microsecond,
        )?;
        Ok(PcapTap {
            rec: RefCell::new(Recording {
                writer,
                stats: RecorderStats::default(),
                error: None,
                broken: false,
                skip: 0,
            }),
        })
    }

    /// `device` seen through this recording for as long as the borrow lasts.
    pub fn attach<D: Device>(&mut self, device: D) -> Tapped<'_, D, W> {
        self.rec.get_mut().skip = device.capabilities().virtio_header_len();
        Tapped {
            inner: device,
            rec: &self.rec,
        }
    }

    /// What has been written so far.
    pub fn stats(&self) -> RecorderStats {
        self.rec.borrow().stats
    }

    /// The writer, flushed (a flush error is dropped: the records before it
    /// are whole).
    pub fn into_inner(self) -> W {
        let mut rec = self.rec.into_inner();
        let _ = rec.writer.flush();
        rec.writer.into_inner()
    }
}

/// A device seen through a [`PcapTap`], from [`PcapTap::attach`].
pub struct Tapped<'t, D: Device, W: Write> {
    inner: D,
    rec: &'t RefCell<Recording<W>>,
}

impl<'t, D: Device, W: Write> Device for Tapped<'t, D, W> {
    type RxToken<'a>
        = RecorderRxToken<'a, D, W>
    where
        Self: 'a;
    type TxToken<'a>
        = RecorderTxToken<'a, D, W>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let rec = self.rec;
        let (rx, tx) = self.inner.receive(now)?;
        Some((
            RecorderRxToken {
                inner: rx,
                rec,
                now,
            },
            RecorderTxToken {
                inner: tx,
                rec,
                now,
            },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        let rec = self.rec;
        let tx = self.inner.transmit(now)?;
        Some(RecorderTxToken {
            inner: tx,
            rec,
            now,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// A received frame of the wrapped device; recorded when consumed.
pub struct RecorderRxToken<'a, D: Device + 'a, W: Write> {
    inner: D::RxToken<'a>,
    rec: &'a RefCell<Recording<W>>,
    now: Instant,
}

impl<'a, D: Device + 'a, W: Write> RxToken for RecorderRxToken<'a, D, W> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        let RecorderRxToken { inner, rec, now } = self;
        inner.consume(|frame| {
            // Recorded as it arrived, before anyone looks at it.
            record(rec, now, frame, Direction::Rx);
            f(frame)
        })
    }
}

/// A transmit buffer of the wrapped device; the frame is recorded once the
/// interface has written it.
pub struct RecorderTxToken<'a, D: Device + 'a, W: Write> {
    inner: D::TxToken<'a>,
    rec: &'a RefCell<Recording<W>>,
    now: Instant,
}

impl<'a, D: Device + 'a, W: Write> TxToken for RecorderTxToken<'a, D, W> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let RecorderTxToken { inner, rec, now } = self;
        inner.consume(len, |frame| {
            let r = f(frame);
            record(rec, now, frame, Direction::Tx);
            r
        })
    }
}

impl<D: Device, W: Write> Device for PcapRecorder<D, W> {
    type RxToken<'a>
        = RecorderRxToken<'a, D, W>
    where
        Self: 'a;
    type TxToken<'a>
        = RecorderTxToken<'a, D, W>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (rx, tx) = self.inner.receive(now)?;
        let rec = &self.rec;
        Some((
            RecorderRxToken {
                inner: rx,
                rec,
                now,
            },
            RecorderTxToken {
                inner: tx,
                rec,
                now,
            },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        let tx = self.inner.transmit(now)?;
        Some(RecorderTxToken {
            inner: tx,
            rec: &self.rec,
            now,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// A recorder over a device a thread can sleep on is one too, so the std
/// runtime can record what crosses a TAP.
impl<D: WaitDevice, W: Write + Send> WaitDevice for PcapRecorder<D, W> {
    fn wait(&mut self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        // Flush before sleeping: an idle stack then leaves a complete file on
        // disk, even if the process is killed rather than stopped.
        let rec = self.rec.get_mut();
        if let Err(e) = rec.writer.flush() {
            if rec.error.is_none() {
                rec.error = Some(e);
            }
        }
        self.inner.wait(timeout)
    }

    fn waker(&self) -> Waker {
        self.inner.waker()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PcapReader;
    use rstcp_testkit::loopback::Loopback;
    use std::io;

    /// An ARP request from 02:00:00:00:00:01 / 10.0.0.1 for 10.0.0.2, with
    /// its last byte varied so that frames can be told apart.
    fn arp(tag: u8) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x08, 0x06]);
        f.extend_from_slice(&[0, 1, 0x08, 0, 6, 4, 0, 1]);
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 10, 0, 0, 1]);
        f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, tag]);
        f
    }

    fn send<D: Device>(dev: &mut D, now: Instant, data: &[u8]) {
        dev.transmit(now)
            .unwrap()
            .consume(data.len(), |b| b.copy_from_slice(data));
    }

    fn recv<D: Device>(dev: &mut D, now: Instant) -> Option<Vec<u8>> {
        let (rx, _tx) = dev.receive(now)?;
        Some(rx.consume(|b| b.to_vec()))
    }

    /// Three frames sent, then received back: six records, in call order.
    fn record_six<W: Write>(dev: &mut PcapRecorder<Loopback, W>) {
        for i in 0..3u8 {
            send(dev, Instant::from_micros(1_000_000 + i64::from(i)), &arp(i));
        }
        for i in 0..3u8 {
            let now = Instant::from_micros(2_234_567 + i64::from(i));
            assert_eq!(recv(dev, now), Some(arp(i)));
        }
        assert_eq!(recv(dev, Instant::ZERO), None);
    }

    #[test]
    fn records_both_directions_and_reads_back() {
        let mut dev = PcapRecorder::new(Loopback::new(Default::default()), Vec::new()).unwrap();
        record_six(&mut dev);
        let s = dev.stats();
        assert_eq!((s.tx_frames, s.rx_frames, s.write_errors), (3, 3, 0));
        let (_, file) = dev.into_inner();

        let mut r = PcapReader::new(&file[..]).unwrap();
        assert_eq!(r.link_type(), LinkType::Ethernet);
        assert_eq!(r.header().resolution, TimestampResolution::Microsecond);
        let mut got = Vec::new();
        while let Some(p) = r.next_packet() {
            let p = p.unwrap();
            assert_eq!(p.orig_len as usize, p.data.len());
            got.push((p.timestamp, p.data.to_vec()));
        }
        let want: Vec<_> = (0..3u8)
            .map(|i| (Timestamp::new(1, u32::from(i) * 1000), arp(i)))
            .chain((0..3u8).map(|i| (Timestamp::new(2, 234_567_000 + u32::from(i) * 1000), arp(i))))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn reply_written_inside_the_receive_closure_is_recorded() {
        let mut dev = PcapRecorder::new(Loopback::new(Default::default()), Vec::new()).unwrap();
        send(&mut dev, Instant::ZERO, &arp(1));
        let (rx, tx) = dev.receive(Instant::ZERO).unwrap();
        // The interface may answer from within the receive closure.
        rx.consume(|frame| {
            assert_eq!(frame, &arp(1)[..]);
            tx.consume(frame.len(), |b| b.copy_from_slice(&arp(2)));
        });
        assert_eq!(recv(&mut dev, Instant::ZERO), Some(arp(2)));
        let s = dev.stats();
        assert_eq!((s.tx_frames, s.rx_frames, s.not_recorded), (2, 2, 0));
    }

    #[test]
    fn negative_instant_is_written_as_the_epoch() {
        assert_eq!(timestamp(Instant::from_micros(-5)), Timestamp::new(0, 0));
        assert_eq!(
            timestamp(Instant::from_micros(3_000_001)),
            Timestamp::new(3, 1000)
        );
    }

    /// Takes the file header and `budget` more bytes, then fails.
    struct FailAfter {
        data: Vec<u8>,
        budget: usize,
    }

    impl Write for FailAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::Error::other("disk full"));
            }
            let n = buf.len().min(self.budget);
            self.data.extend_from_slice(&buf[..n]);
            self.budget -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_are_counted_and_do_not_stop_traffic() {
        // Header (24) + one whole record (16 + 42) + half a record header.
        let w = FailAfter {
            data: Vec::new(),
            budget: 24 + 16 + 42 + 8,
        };
        let mut dev = PcapRecorder::new(Loopback::new(Default::default()), w).unwrap();
        record_six(&mut dev);
        let s = dev.stats();
        assert_eq!((s.tx_frames, s.rx_frames), (1, 0));
        assert_eq!(s.write_errors, 1, "one failed write, then no more tries");
        assert_eq!(s.not_recorded, 5);
        assert!(matches!(dev.take_write_error(), Some(PcapError::Io(_))));
        assert!(dev.take_write_error().is_none());
        let (_, w) = dev.into_inner();
        // The file is readable up to the last whole record.
        let mut r = PcapReader::new(&w.data[..]).unwrap();
        assert_eq!(r.next_packet().unwrap().unwrap().data, &arp(0)[..]);
        assert!(r.next_packet().unwrap().is_err());
    }

    #[test]
    fn header_write_error_is_returned() {
        let w = FailAfter {
            data: Vec::new(),
            budget: 10,
        };
        assert!(matches!(
            PcapRecorder::new(Loopback::new(Default::default()), w),
            Err(PcapError::Io(_))
        ));
    }

    #[test]
    fn into_inner_flushes_the_writer() {
        let w = io::BufWriter::with_capacity(1 << 16, Vec::new());
        let mut dev = PcapRecorder::new(Loopback::new(Default::default()), w).unwrap();
        record_six(&mut dev);
        let (_, w) = dev.into_inner();
        assert_eq!(w.get_ref().len(), 24 + 6 * (16 + 42));
    }

    #[test]
    fn a_virtio_header_is_not_recorded() {
        let mut caps = DeviceCapabilities::ethernet(1500);
        caps.virtio = Some(rstcp::phy::VirtioOffload::new(12, true));
        let mut dev = PcapRecorder::new(Loopback::new(caps), Vec::new()).unwrap();
        dev.transmit(Instant::ZERO).unwrap().consume(12 + 60, |b| {
            b[..12].fill(0);
            b[12..].fill(0xab);
        });
        let (_lo, file) = dev.into_inner();
        let mut r = crate::PcapReader::new(&file[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.data, [0xab; 60]);
    }

    #[test]
    fn capabilities_pass_through() {
        let caps = DeviceCapabilities::ethernet(9000);
        let dev = PcapRecorder::new(Loopback::new(caps), Vec::new()).unwrap();
        assert_eq!(dev.capabilities(), caps);
    }

    #[test]
    fn tshark_reads_the_file() {
        let path =
            std::env::temp_dir().join(format!("rstcp-pcap-recorder-{}.pcap", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let mut dev =
            PcapRecorder::new(Loopback::new(Default::default()), io::BufWriter::new(file)).unwrap();
        record_six(&mut dev);
        drop(dev.into_inner());
        let out = std::process::Command::new("tshark")
            .arg("-r")
            .arg(&path)
            .args([
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "arp.dst.proto_ipv4",
            ])
            .output();
        let _ = std::fs::remove_file(&path);
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                println!("skipped: tshark not runnable ({e})");
                return;
            }
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 6, "{stdout}");
        // Wireshark dissects them as the ARP requests they are.
        assert_eq!(lines[0], "1\t10.0.0.0");
        assert_eq!(lines[5], "6\t10.0.0.2");
    }

    /// A loopback that a thread can "sleep" on: counts its waits.
    struct Sleepy {
        lo: Loopback,
        waits: usize,
    }

    impl Device for Sleepy {
        type RxToken<'a> = <Loopback as Device>::RxToken<'a>;
        type TxToken<'a> = <Loopback as Device>::TxToken<'a>;
        fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
            self.lo.receive(now)
        }
        fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
            self.lo.transmit(now)
        }
        fn capabilities(&self) -> DeviceCapabilities {
            self.lo.capabilities()
        }
    }

    struct NoWake;
    impl rstcp::phy::wait::Wake for NoWake {
        fn wake(&self) {}
    }

    impl WaitDevice for Sleepy {
        fn wait(&mut self, _timeout: Option<std::time::Duration>) -> io::Result<()> {
            self.waits += 1;
            Ok(())
        }
        fn waker(&self) -> Waker {
            std::sync::Arc::new(NoWake)
        }
    }

    #[test]
    fn waiting_flushes_the_capture_to_disk() {
        let dir = std::env::temp_dir().join(format!("rstcp-pcap-wait-{}", std::process::id()));
        let file = std::fs::File::create(&dir).unwrap();
        let sleepy = Sleepy {
            lo: Loopback::new(DeviceCapabilities::default()),
            waits: 0,
        };
        let mut dev = PcapRecorder::new(sleepy, io::BufWriter::new(file)).unwrap();
        send(&mut dev, Instant::from_millis(1), &arp(7));
        // Still in the BufWriter: a reader of the file sees the header at most.
        let before = std::fs::read(&dir).unwrap();
        assert!(PcapReader::new(&before[..]).map_or(true, |mut r| r.next_packet().is_none()));
        dev.wait(Some(std::time::Duration::ZERO)).unwrap();
        assert_eq!(dev.inner().waits, 1, "the wait reaches the device");
        let after = std::fs::read(&dir).unwrap();
        let mut r = PcapReader::new(&after[..]).unwrap();
        assert_eq!(r.next_packet().unwrap().unwrap().data, &arp(7)[..]);
        let _ = std::fs::remove_file(&dir);
    }
}
