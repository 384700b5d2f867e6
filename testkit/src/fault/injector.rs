//! The device wrappers: [`FaultInjector`] owns its device, [`Faults`] is
//! attached to a borrowed one for each poll; both lend tokens that pass
//! frames through the two directions.

use core::mem;

use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::time::Instant;

use super::config::{FaultConfig, FaultStats};
use super::direction::{flip, Direction, Hold, Verdict};

/// The frame being lent to the interface.
#[derive(Debug, Default)]
struct Slot {
    buf: Vec<u8>,
    full: bool,
}

/// The state of a fault injector without the device: configuration, random
/// streams, kept frames and counters of both directions.
///
/// [`FaultInjector`] owns one together with its device. Keep a `Faults`
/// apart instead when the device is borrowed anew for every poll, as the
/// ends of a [`Link`](crate::loopback::Link) are, and
/// [`attach`](Faults::attach) it each time: the kept frames and the random
/// streams carry over from one poll to the next.
///
/// ```
/// use rstcp_testkit::fault::{Chance, FaultConfig, Faults};
/// use rstcp::phy::{Device, DeviceCapabilities, TxToken};
/// use rstcp_testkit::loopback::Link;
/// use rstcp::time::Instant;
///
/// let lossy = FaultConfig { drop_pct: Chance::percent(10), ..FaultConfig::none() };
/// let mut link = Link::new(DeviceCapabilities::default(), 64);
/// let mut faults = Faults::new(lossy, lossy, 7);
/// let now = Instant::ZERO;
/// // One poll of interface A, through the faults:
/// let mut a = faults.attach(link.a());
/// a.transmit(now).unwrap().consume(60, |b| b.fill(0));
/// // ... then one poll of interface B on the clean end, `link.b()`.
/// ```
#[derive(Debug)]
pub struct Faults {
    rx: Direction,
    tx: Direction,
    rx_slot: Slot,
}

impl Faults {
    /// `rx` faults on received frames, `tx` faults on transmitted ones. The
    /// two directions draw from independent streams derived from `seed`, so
    /// traffic in one does not shift the decisions of the other.
    pub fn new(rx: FaultConfig, tx: FaultConfig, seed: u64) -> Faults {
        // Refined from the device's capabilities when attached.
        let frame_cap = DeviceCapabilities::default().max_frame_len();
        Faults {
            rx: Direction::new(rx, seed, frame_cap),
            tx: Direction::new(tx, seed ^ 0x5555_5555_5555_5555, frame_cap),
            rx_slot: Slot::default(),
        }
    }

    /// `inner` seen through these faults, for as long as the borrow lasts.
    pub fn attach<D: Device>(&mut self, inner: D) -> Attached<'_, D> {
        let frame_cap = inner.capabilities().max_frame_len();
        self.rx.frame_cap = frame_cap;
        self.tx.frame_cap = frame_cap;
        Attached {
            inner,
            faults: self,
        }
    }

    /// The faults on received frames.
    pub fn rx_config(&self) -> &FaultConfig {
        &self.rx.config
    }

    /// The faults on received frames, to change them mid-run.
    pub fn rx_config_mut(&mut self) -> &mut FaultConfig {
        &mut self.rx.config
    }

    /// The faults on transmitted frames.
    pub fn tx_config(&self) -> &FaultConfig {
        &self.tx.config
    }

    /// The faults on transmitted frames, to change them mid-run.
    pub fn tx_config_mut(&mut self) -> &mut FaultConfig {
        &mut self.tx.config
    }

    /// What happened to received frames.
    pub fn rx_stats(&self) -> &FaultStats {
        &self.rx.stats
    }

    /// What happened to transmitted frames.
    pub fn tx_stats(&self) -> &FaultStats {
        &self.tx.stats
    }

    /// Frames kept in the receive direction (delayed, reordered, copies).
    pub fn rx_queued(&self) -> usize {
        self.rx.queued()
    }

    /// Frames kept in the transmit direction (delayed, reordered, copies,
    /// or due but refused by the inner device).
    pub fn tx_queued(&self) -> usize {
        self.tx.queued()
    }

    /// When the next kept frame is due, `None` when none is kept. A past
    /// instant means a frame is ready now (e.g. the inner device refused it
    /// so far): poll again.
    pub fn poll_at(&self) -> Option<Instant> {
        match (self.rx.poll_at(), self.tx.poll_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Hands the transmit frames that are due to `inner`, in order, while
    /// it takes them.
    fn flush_tx<D: Device>(&mut self, inner: &mut D, now: Instant) {
        while self.tx.has_due(now) {
            let Some(tok) = inner.transmit(now) else {
                break;
            };
            let Some(item) = self.tx.next_due(now) else {
                break;
            };
            tok.consume(item.buf.len(), |b| b.copy_from_slice(&item.buf));
            self.tx.stats.delivered += 1;
            self.tx
                .released(item.seq, item.duplicate.then_some(&item.buf[..]), now);
            self.tx.give_buf(item.buf);
        }
    }

    /// Puts the next frame for the interface in the receive slot: a kept
    /// frame that is due, else the next frame of `inner` that passes at
    /// once. False when there is none.
    fn fill_rx_slot<D: Device>(&mut self, inner: &mut D, now: Instant) -> bool {
        loop {
            if let Some(item) = self.rx.next_due(now) {
                self.rx
                    .released(item.seq, item.duplicate.then_some(&item.buf[..]), now);
                self.lend_rx(item.buf);
                return true;
            }
            let mut buf = self.rx.take_buf();
            let got = match inner.receive(now) {
                Some((rx, _tx)) => {
                    rx.consume(|frame| buf.extend_from_slice(frame));
                    true
                }
                None => false,
            };
            if !got {
                self.rx.give_buf(buf);
                return false;
            }
            match self.rx.decide(buf.len(), now) {
                Verdict::Drop => self.rx.give_buf(buf),
                Verdict::Pass {
                    seq,
                    corrupt_bit,
                    duplicate,
                    hold,
                } => {
                    if let Some(bit) = corrupt_bit {
                        flip(&mut buf, bit);
                    }
                    if let Hold::Now = hold {
                        self.rx.released(seq, duplicate.then_some(&buf[..]), now);
                        self.lend_rx(buf);
                        return true;
                    }
                    self.rx.park(buf, hold, seq, duplicate, now);
                }
            }
        }
    }

    fn lend_rx(&mut self, buf: Vec<u8>) {
        self.rx.stats.delivered += 1;
        let old = mem::replace(&mut self.rx_slot.buf, buf);
        self.rx.give_buf(old);
        self.rx_slot.full = true;
    }

    /// [`Device::receive`] of `inner` seen through the faults.
    fn receive<'a, D: Device>(
        &'a mut self,
        inner: &'a mut D,
        now: Instant,
    ) -> Option<(FaultRxToken<'a>, FaultTxToken<'a, D>)> {
        self.flush_tx(inner, now);
        if !self.rx_slot.full && !self.fill_rx_slot(inner, now) {
            return None;
        }
        // Frames still waiting go first: the reply is kept behind them.
        let tok = if self.tx.has_due(now) {
            None
        } else {
            inner.transmit(now)
        };
        Some((
            FaultRxToken {
                slot: &mut self.rx_slot,
            },
            FaultTxToken {
                inner: tok,
                dir: &mut self.tx,
                now,
            },
        ))
    }

    /// [`Device::transmit`] of `inner` seen through the faults.
    fn transmit<'a, D: Device>(
        &'a mut self,
        inner: &'a mut D,
        now: Instant,
    ) -> Option<FaultTxToken<'a, D>> {
        self.flush_tx(inner, now);
        if self.tx.has_due(now) {
            // The inner device refused frames that are due: back-pressure.
            return None;
        }
        let tok = inner.transmit(now)?;
        Some(FaultTxToken {
            inner: Some(tok),
            dir: &mut self.tx,
            now,
        })
    }
}

/// Wraps a [`Device`] and injects faults in both directions.
///
/// ```
/// use rstcp_testkit::fault::{Chance, FaultConfig, FaultInjector};
/// use rstcp::phy::{Device, DeviceCapabilities, TxToken};
/// use rstcp_testkit::loopback::Loopback;
/// use rstcp::time::{Duration, Instant};
///
/// let config = FaultConfig {
///     drop_pct: Chance::percent(5),
///     delay: Duration::from_millis(20),
///     ..FaultConfig::none()
/// };
/// let mut dev = FaultInjector::new(Loopback::new(DeviceCapabilities::default()), config, 42);
/// dev.transmit(Instant::ZERO).unwrap().consume(60, |b| b.fill(0));
/// // A test loop polls at the earlier of this and the interface's poll_at.
/// let _next: Option<Instant> = dev.poll_at();
/// ```
#[derive(Debug)]
pub struct FaultInjector<D: Device> {
    inner: D,
    faults: Faults,
}

impl<D: Device> FaultInjector<D> {
    /// Wraps `inner` with the same faults on receive and on transmit.
    pub fn new(inner: D, config: FaultConfig, seed: u64) -> FaultInjector<D> {
        FaultInjector::with_configs(inner, config, config, seed)
    }

    /// Wraps `inner` with `rx` faults on received frames and `tx` faults on
    /// transmitted ones (see [`Faults::new`]).
    pub fn with_configs(inner: D, rx: FaultConfig, tx: FaultConfig, seed: u64) -> FaultInjector<D> {
        let mut faults = Faults::new(rx, tx, seed);
        let frame_cap = inner.capabilities().max_frame_len();
        faults.rx.frame_cap = frame_cap;
        faults.tx.frame_cap = frame_cap;
        FaultInjector { inner, faults }
    }

    /// The fault state (configuration, counters, kept frames).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The fault state, mutably.
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.faults
    }

    /// The faults on received frames.
    pub fn rx_config(&self) -> &FaultConfig {
        self.faults.rx_config()
    }

    /// The faults on received frames, to change them mid-run.
    pub fn rx_config_mut(&mut self) -> &mut FaultConfig {
        self.faults.rx_config_mut()
    }

    /// The faults on transmitted frames.
    pub fn tx_config(&self) -> &FaultConfig {
        self.faults.tx_config()
    }

    /// The faults on transmitted frames, to change them mid-run.
    pub fn tx_config_mut(&mut self) -> &mut FaultConfig {
        self.faults.tx_config_mut()
    }

    /// What happened to received frames.
    pub fn rx_stats(&self) -> &FaultStats {
        self.faults.rx_stats()
    }

    /// What happened to transmitted frames.
    pub fn tx_stats(&self) -> &FaultStats {
        self.faults.tx_stats()
    }

    /// Frames kept in the receive direction.
    pub fn rx_queued(&self) -> usize {
        self.faults.rx_queued()
    }

    /// Frames kept in the transmit direction.
    pub fn tx_queued(&self) -> usize {
        self.faults.tx_queued()
    }

    /// When the next kept frame is due (see [`Faults::poll_at`]).
    pub fn poll_at(&self) -> Option<Instant> {
        self.faults.poll_at()
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably (e.g. to inject frames into a loopback).
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// The wrapped device and the fault state (with any kept frames).
    pub fn into_parts(self) -> (D, Faults) {
        (self.inner, self.faults)
    }

    /// The wrapped device; kept frames are discarded.
    pub fn into_inner(self) -> D {
        self.inner
    }
}

/// A device seen through a borrowed [`Faults`], from [`Faults::attach`].
#[derive(Debug)]
pub struct Attached<'f, D: Device> {
    inner: D,
    faults: &'f mut Faults,
}

impl<D: Device> Attached<'_, D> {
    /// The wrapped device.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// The fault state.
    pub fn faults(&self) -> &Faults {
        self.faults
    }
}

/// Lends a received frame that passed the faults (from the injector's own
/// buffer).
#[derive(Debug)]
pub struct FaultRxToken<'a> {
    slot: &'a mut Slot,
}

impl RxToken for FaultRxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        self.slot.full = false;
        f(&mut self.slot.buf)
    }
}

/// Lends a transmit buffer; the faults are decided when it is consumed.
pub struct FaultTxToken<'a, D: Device + 'a> {
    /// `None` when the frame must be kept rather than sent at once (the
    /// inner device refused, or older frames are waiting).
    inner: Option<D::TxToken<'a>>,
    dir: &'a mut Direction,
    now: Instant,
}

impl<D: Device> TxToken for FaultTxToken<'_, D> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let FaultTxToken { inner, dir, now } = self;
        let (seq, corrupt_bit, duplicate, hold) = match dir.decide(len, now) {
            Verdict::Drop => {
                // Lost on the wire: the interface still writes the frame.
                let mut buf = dir.take_buf();
                buf.resize(len, 0);
                let r = f(&mut buf);
                dir.give_buf(buf);
                return r;
            }
            Verdict::Pass {
                seq,
                corrupt_bit,
                duplicate,
                hold,
            } => (seq, corrupt_bit, duplicate, hold),
        };
        match (hold, inner) {
            (Hold::Now, Some(tok)) => tok.consume(len, |b| {
                let r = f(b);
                if let Some(bit) = corrupt_bit {
                    flip(b, bit);
                }
                dir.stats.delivered += 1;
                dir.released(seq, duplicate.then_some(&*b), now);
                r
            }),
            (hold, _) => {
                let mut buf = dir.take_buf();
                buf.resize(len, 0);
                let r = f(&mut buf);
                if let Some(bit) = corrupt_bit {
                    flip(&mut buf, bit);
                }
                dir.park(buf, hold, seq, duplicate, now);
                r
            }
        }
    }
}

impl<D: Device> Device for FaultInjector<D> {
    type RxToken<'a>
        = FaultRxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = FaultTxToken<'a, D>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.faults.receive(&mut self.inner, now)
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        self.faults.transmit(&mut self.inner, now)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

impl<D: Device> Device for Attached<'_, D> {
    type RxToken<'a>
        = FaultRxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = FaultTxToken<'a, D>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.faults.receive(&mut self.inner, now)
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        self.faults.transmit(&mut self.inner, now)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}
