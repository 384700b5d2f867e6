//! A device wrapper that makes any link lossy: [`FaultInjector`] drops (at
//! random or in bursts), duplicates, corrupts, reorders, delays, rate-limits
//! and queues frames behind a bottleneck, on receive and on transmit, each
//! direction with its own [`FaultConfig`].
//!
//! # Reproducible
//!
//! Every decision comes from a seeded xorshift generator, one stream per
//! direction (and a second one for burst loss, so that adding it does not
//! shift the other decisions), and every frame draws the same amount of
//! randomness whatever the configuration. So a run with the same seed, the same configuration and
//! the same sequence of calls (frames, lengths, `now`) makes exactly the same
//! decisions, and a failing test can be replayed from its seed.
//!
//! # Time
//!
//! Frames that are delayed or held back for reordering are kept (bounded by
//! [`FaultConfig::queue_limit`]) and released once `now` reaches their due
//! time, by a later [`Device::receive`] or [`Device::transmit`] call.
//! [`FaultInjector::poll_at`] says when the next one is due: a test loop
//! polls at the earlier of that and the interface's own `poll_at`.
//!
//! # A lossy link, seen from the interface
//!
//! A transmitted frame that is dropped is still *consumed*: the transmit
//! token runs the interface's closure into a scratch buffer and discards the
//! result, so the interface believes the frame went out, as it would on a
//! real lossy link. Back-pressure from the wrapped device is passed on:
//! [`Device::transmit`] returns `None` when the inner device refuses, or
//! while frames that are already due could not be handed to it yet (so that
//! frames leave in order).
//!
//! # Order of the faults for one frame
//!
//! oversize ([`FaultConfig::max_frame_len`]) → random drop → burst loss →
//! rate limit → bottleneck queue → corruption → duplication → delay and
//! jitter (counted from when the frame leaves the bottleneck) → reordering
//! (when the frame falls due). A reordered frame is held until the next [`FaultConfig::reorder_gap`]
//! frames handed on in the same direction have gone (or until
//! [`FaultConfig::reorder_timeout`]), then it goes right after them: with a
//! gap of 1, neighbours swap. Jitter is drawn per frame, so it can reorder
//! frames too, as it does on a real network.
//!
//! Received frames are copied once out of the inner device into buffers of
//! this wrapper (taken from a free list, so steady state does not allocate);
//! transmitted frames that pass at once are written straight into the inner
//! device's buffer.

use core::mem;
use std::collections::VecDeque;

use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::rand::Rng;
use rstcp::time::{Duration, Instant};

/// A probability, kept in parts per million.
///
/// Values above certainty are clamped to [`Chance::ALWAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Chance {
    ppm: u32,
}

impl Chance {
    /// Never happens.
    pub const NEVER: Chance = Chance { ppm: 0 };
    /// Always happens.
    pub const ALWAYS: Chance = Chance { ppm: 1_000_000 };

    /// `pct` in a hundred (clamped to 100).
    pub const fn percent(pct: u32) -> Chance {
        Chance::per_million(if pct > 100 { 1_000_000 } else { pct * 10_000 })
    }

    /// `pm` in a thousand (clamped to 1000).
    pub const fn per_mille(pm: u32) -> Chance {
        Chance::per_million(if pm > 1000 { 1_000_000 } else { pm * 1000 })
    }

    /// `ppm` in a million (clamped to 1 000 000).
    pub const fn per_million(ppm: u32) -> Chance {
        Chance {
            ppm: if ppm > 1_000_000 { 1_000_000 } else { ppm },
        }
    }

    /// The probability in parts per million.
    pub const fn parts_per_million(&self) -> u32 {
        self.ppm
    }

    /// Whether a uniform 32-bit draw falls inside the probability: the draw
    /// is scaled onto 0 .. 1 000 000 (multiply-shift, no modulo bias worth
    /// measuring).
    fn hit(self, draw: u32) -> bool {
        ((u64::from(draw) * 1_000_000) >> 32) < u64::from(self.ppm)
    }
}

/// A rate limit, enforced as a token bucket that starts full: frames that
/// find too few tokens are dropped (policing, not shaping) and counted in
/// [`FaultStats::rate_limited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimit {
    /// At most `per_sec` frames per second, bursts of up to `burst` frames.
    Frames {
        /// Tokens (frames) added per second.
        per_sec: u64,
        /// Bucket size in frames (0: everything is dropped).
        burst: u64,
    },
    /// At most `per_sec` bytes per second, bursts of up to `burst` bytes.
    Bytes {
        /// Tokens (bytes) added per second.
        per_sec: u64,
        /// Bucket size in bytes: a frame longer than this never passes.
        burst: u64,
    },
}

/// Gilbert burst loss: a two-state Markov chain, moved once per frame,
/// whose bad state loses every frame. Bursts last `1 / leave` frames on
/// average and start with `enter` per frame in the good state, so the long-run
/// loss is `enter / (enter + leave)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BurstLoss {
    /// Chance per frame of moving from the good state to the bad one.
    pub enter: Chance,
    /// Chance per frame of moving from the bad state back to the good one.
    pub leave: Chance,
}

/// A bottleneck link: frames leave one after another at `bits_per_sec`,
/// waiting in a drop-tail FIFO; a frame that would make the backlog (itself
/// included) exceed `queue_bytes` is dropped and counted in
/// [`FaultStats::queue_dropped`]. This shapes, where [`RateLimit`] polices:
/// a router's queue in front of a slower link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bottleneck {
    /// The link's rate.
    pub bits_per_sec: u64,
    /// The largest backlog in bytes.
    pub queue_bytes: u64,
}

/// The faults of one direction. The default is a perfect link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultConfig {
    /// Chance that a frame is lost.
    pub drop_pct: Chance,
    /// Burst loss on top of `drop_pct`, if any.
    pub burst_loss: Option<BurstLoss>,
    /// Chance that a frame arrives twice (the copy right after it).
    pub duplicate_pct: Chance,
    /// Chance that one uniformly chosen bit of a frame is flipped, in place.
    pub corrupt_pct: Chance,
    /// Chance that a frame is held back and released right after the next
    /// one, when no frame is held already. (So the share of all frames that
    /// are reordered is `p / (1 + p)`: the frame that overtakes cannot be
    /// held itself.)
    pub reorder_pct: Chance,
    /// How many later frames overtake a reordered one (0 counts as 1). A
    /// gap of 3 is what a sender's duplicate-ACK threshold (RFC 5681 §3.2)
    /// mistakes for a loss.
    pub reorder_gap: u32,
    /// Added to every frame's transit time.
    pub delay: Duration,
    /// A further uniform 0 ..= `jitter` added per frame.
    pub jitter: Duration,
    /// A token-bucket rate limit, if any.
    pub max_rate: Option<RateLimit>,
    /// A bottleneck with its queue, if any.
    pub bottleneck: Option<Bottleneck>,
    /// Frames longer than this (link header included) are dropped.
    pub max_frame_len: Option<usize>,
    /// How long a reordered frame waits for the frames of its gap before it
    /// is released anyway (so that the last frame of a burst is not stuck),
    /// from when it would have arrived (after the bottleneck and the delay).
    pub reorder_timeout: Duration,
    /// The most frames held at once in this direction (delayed, reordered,
    /// duplicate copies, or waiting for the inner device); beyond it frames
    /// are dropped and counted in [`FaultStats::overflow`].
    pub queue_limit: usize,
}

impl FaultConfig {
    /// A perfect link: no fault, 10 ms reorder timeout, 256 frames held at
    /// most.
    pub const fn none() -> FaultConfig {
        FaultConfig {
            drop_pct: Chance::NEVER,
            burst_loss: None,
            duplicate_pct: Chance::NEVER,
            corrupt_pct: Chance::NEVER,
            reorder_pct: Chance::NEVER,
            reorder_gap: 1,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            max_rate: None,
            bottleneck: None,
            max_frame_len: None,
            reorder_timeout: Duration::from_millis(10),
            queue_limit: 256,
        }
    }
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig::none()
    }
}

/// What happened to the frames of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultStats {
    /// Frames offered to this direction (before any fault).
    pub frames: u64,
    /// Frames handed on (to the interface on receive, to the inner device
    /// on transmit), duplicate copies included.
    pub delivered: u64,
    /// Frames lost to [`FaultConfig::drop_pct`].
    pub dropped: u64,
    /// Frames lost to [`FaultConfig::burst_loss`].
    pub burst_dropped: u64,
    /// Frames chosen for duplication.
    pub duplicated: u64,
    /// Frames with a bit flipped.
    pub corrupted: u64,
    /// Frames held back to be overtaken.
    pub reordered: u64,
    /// Frames given a non-zero delay (delay plus jitter).
    pub delayed: u64,
    /// Frames dropped by the rate limit.
    pub rate_limited: u64,
    /// Frames dropped at the tail of the bottleneck's full queue.
    pub queue_dropped: u64,
    /// Frames dropped for being longer than [`FaultConfig::max_frame_len`].
    pub oversize: u64,
    /// Frames (or duplicate copies) dropped because
    /// [`FaultConfig::queue_limit`] frames were held already.
    pub overflow: u64,
}

impl FaultStats {
    /// Every frame lost, whatever the reason.
    pub fn lost(&self) -> u64 {
        self.dropped
            + self.burst_dropped
            + self.rate_limited
            + self.queue_dropped
            + self.oversize
            + self.overflow
    }
}

/// The random numbers one frame uses, all drawn whether used or not.
struct Draws {
    drop: u32,
    duplicate: u32,
    corrupt: u32,
    reorder: u32,
    bit: u64,
    jitter: u64,
}

/// One token = this many units, so that the refill (`per_sec` units per µs)
/// is an integer.
const BUCKET_UNIT: u64 = 1_000_000;

#[derive(Debug, Default)]
struct Bucket {
    units: u64,
    last: Option<Instant>,
}

impl Bucket {
    fn admit(&mut self, limit: Option<RateLimit>, len: usize, now: Instant) -> bool {
        let Some(limit) = limit else {
            return true;
        };
        let (per_sec, burst, cost) = match limit {
            RateLimit::Frames { per_sec, burst } => (per_sec, burst, 1),
            RateLimit::Bytes { per_sec, burst } => (per_sec, burst, len as u64),
        };
        let cap = burst.saturating_mul(BUCKET_UNIT);
        self.units = match self.last {
            None => cap,
            Some(last) => {
                let dt = now.saturating_duration_since(last).total_micros();
                self.units
                    .saturating_add(dt.saturating_mul(per_sec))
                    .min(cap)
            }
        };
        // A clock that steps back must not refill the same time twice.
        self.last = Some(self.last.map_or(now, |l| l.max(now)));
        let need = cost.saturating_mul(BUCKET_UNIT);
        if self.units >= need {
            self.units -= need;
            true
        } else {
            false
        }
    }
}

/// Where a frame that passed goes.
#[derive(Debug, Clone, Copy)]
enum Hold {
    /// Handed on at once.
    Now,
    /// Delayed until this instant; then held back to be overtaken if the
    /// flag says so.
    Until(Instant, bool),
    /// Held back to be overtaken, at the latest until this instant.
    Reorder(Instant),
}

enum Verdict {
    Drop,
    Pass {
        seq: u64,
        corrupt_bit: Option<usize>,
        duplicate: bool,
        hold: Hold,
    },
}

/// A frame kept by the injector.
#[derive(Debug)]
struct Held {
    /// When it may go (for a ready frame: when it became ready).
    due: Instant,
    /// Arrival order, to keep equal due times in order and to tell which
    /// frames came after a reordered one.
    seq: u64,
    buf: Vec<u8>,
    /// Whether a copy must follow it when it goes.
    duplicate: bool,
    /// A delayed frame picked for reordering: held back when it falls due.
    reorder: bool,
}

/// The state of one direction.
#[derive(Debug)]
struct Direction {
    config: FaultConfig,
    rng: Rng,
    stats: FaultStats,
    bucket: Bucket,
    /// Frames to hand on at the first opportunity, in order.
    ready: VecDeque<Held>,
    /// Delayed frames, sorted by (due, seq).
    held: VecDeque<Held>,
    /// The frame held back to be overtaken.
    reorder: Option<Held>,
    /// Frames that must still overtake `reorder`.
    reorder_left: u32,
    /// The burst-loss stream: apart, so that turning burst loss on does not
    /// change the other decisions of a seed.
    burst_rng: Rng,
    /// The burst-loss chain is in its bad state.
    bad: bool,
    /// When the bottleneck has sent its backlog, in nanoseconds (a frame's
    /// time on a fast link is a fraction of a microsecond).
    link_free_ns: i64,
    pool: Vec<Vec<u8>>,
    frame_cap: usize,
    next_seq: u64,
}

impl Direction {
    fn new(config: FaultConfig, seed: u64, frame_cap: usize) -> Direction {
        let limit = config.queue_limit;
        Direction {
            config,
            rng: Rng::new(seed),
            stats: FaultStats::default(),
            bucket: Bucket::default(),
            ready: VecDeque::with_capacity(limit.saturating_add(1)),
            held: VecDeque::with_capacity(limit),
            reorder: None,
            reorder_left: 0,
            burst_rng: Rng::new(seed ^ 0x2545_f491_4f6c_dd1d),
            bad: false,
            link_free_ns: i64::MIN,
            // Held frames, the receive slot, a scratch and a copy.
            pool: Vec::with_capacity(limit.saturating_add(4)),
            frame_cap,
            next_seq: 0,
        }
    }

    fn take_buf(&mut self) -> Vec<u8> {
        self.pool
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.frame_cap))
    }

    fn give_buf(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() > 0 && self.pool.len() < self.pool.capacity() {
            buf.clear();
            self.pool.push(buf);
        }
    }

    fn queued(&self) -> usize {
        self.ready.len() + self.held.len() + usize::from(self.reorder.is_some())
    }

    fn draw(&mut self) -> Draws {
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        Draws {
            drop: a as u32,
            duplicate: (a >> 32) as u32,
            corrupt: b as u32,
            reorder: (b >> 32) as u32,
            bit: self.rng.next_u64(),
            jitter: self.rng.next_u64(),
        }
    }

    /// Decides the fate of one frame of `len` bytes and counts it.
    fn decide(&mut self, len: usize, now: Instant) -> Verdict {
        self.stats.frames += 1;
        let d = self.draw();
        let c = self.config;
        // The chain moves on every frame, whatever else befalls it.
        let burst_draw = self.burst_rng.next_u64() as u32;
        if let Some(b) = c.burst_loss {
            self.bad = if self.bad {
                !b.leave.hit(burst_draw)
            } else {
                b.enter.hit(burst_draw)
            };
        }
        if c.max_frame_len.is_some_and(|max| len > max) {
            self.stats.oversize += 1;
            log::trace!("fault: {} byte frame over max_frame_len, dropped", len);
            return Verdict::Drop;
        }
        if c.drop_pct.hit(d.drop) {
            self.stats.dropped += 1;
            return Verdict::Drop;
        }
        if c.burst_loss.is_some() && self.bad {
            self.stats.burst_dropped += 1;
            return Verdict::Drop;
        }
        if !self.bucket.admit(c.max_rate, len, now) {
            self.stats.rate_limited += 1;
            return Verdict::Drop;
        }
        let Some(sent) = self.bottleneck(c.bottleneck, len, now) else {
            self.stats.queue_dropped += 1;
            return Verdict::Drop;
        };
        let bits = (len as u64).saturating_mul(8);
        let corrupt_bit = if bits > 0 && c.corrupt_pct.hit(d.corrupt) {
            self.stats.corrupted += 1;
            // bits <= 8 * len, so the bit index fits a usize.
            Some((d.bit % bits) as usize)
        } else {
            None
        };
        let duplicate = c.duplicate_pct.hit(d.duplicate);
        if duplicate {
            self.stats.duplicated += 1;
        }
        let reorder = c.reorder_pct.hit(d.reorder);
        let jitter = match c.jitter.total_micros().checked_add(1) {
            Some(span) => d.jitter % span,
            None => d.jitter,
        };
        let due = sent + c.delay + Duration::from_micros(jitter);
        let hold = if due > now {
            // Reordered (or not) when it falls due, among the frames that
            // arrive then: a frame late by a bottleneck's queue must not
            // keep the reorder slot that long.
            self.stats.delayed += 1;
            Hold::Until(due, reorder)
        } else if reorder && self.reorder.is_none() {
            self.stats.reordered += 1;
            Hold::Reorder(now + c.reorder_timeout)
        } else {
            Hold::Now
        };
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        Verdict::Pass {
            seq,
            corrupt_bit,
            duplicate,
            hold,
        }
    }

    /// When a frame of `len` bytes arriving at `now` has crossed the
    /// bottleneck (`now` without one), or `None` when its queue is full.
    fn bottleneck(&mut self, b: Option<Bottleneck>, len: usize, now: Instant) -> Option<Instant> {
        let Some(b) = b else { return Some(now) };
        let rate = u128::from(b.bits_per_sec.max(1));
        let now_ns = now.total_micros().saturating_mul(1000);
        let start = self.link_free_ns.max(now_ns);
        // What the link has yet to send: a FIFO in virtual time, so the
        // queue needs no storage beyond the frames already held.
        let backlog = (start - now_ns) as u128 * rate / 8_000_000_000;
        if backlog + len as u128 > u128::from(b.queue_bytes) {
            return None;
        }
        let wire = (len as u128 * 8_000_000_000 / rate).max(1);
        self.link_free_ns = start.saturating_add(wire.min(i64::MAX as u128) as i64);
        // Rounded up: a frame never arrives before its last bit left.
        let ns = self.link_free_ns;
        let micros = ns.div_euclid(1000) + i64::from(ns.rem_euclid(1000) != 0);
        Some(Instant::from_micros(micros))
    }

    /// Keeps a frame that cannot go now; drops it if the queue is full.
    fn park(&mut self, buf: Vec<u8>, hold: Hold, seq: u64, duplicate: bool, now: Instant) {
        if self.queued() >= self.config.queue_limit {
            self.stats.overflow += 1;
            log::debug!("fault: queue full, frame dropped");
            self.give_buf(buf);
            return;
        }
        let item = |due, reorder| Held {
            due,
            seq,
            buf,
            duplicate,
            reorder,
        };
        match hold {
            Hold::Now => self.ready.push_back(item(now, false)),
            Hold::Reorder(timeout) => {
                self.reorder = Some(item(timeout, false));
                self.reorder_left = self.config.reorder_gap.max(1);
            }
            Hold::Until(due, reorder) => {
                let at = self.held.partition_point(|h| (h.due, h.seq) <= (due, seq));
                self.held.insert(at, item(due, reorder));
            }
        }
    }

    /// A frame numbered `seq` was just handed on: its copy follows it if it
    /// was to be duplicated, then a frame held back for reordering before it
    /// arrived is released right after it if it was the last of the gap.
    fn released(&mut self, seq: u64, copy_of: Option<&[u8]>, now: Instant) {
        if let Some(frame) = copy_of {
            if self.queued() < self.config.queue_limit {
                let mut buf = self.take_buf();
                buf.extend_from_slice(frame);
                self.ready.push_front(Held {
                    due: now,
                    seq,
                    buf,
                    duplicate: false,
                    reorder: false,
                });
            } else {
                self.stats.overflow += 1;
            }
        }
        if self.reorder_left > 0 && self.reorder.as_ref().is_some_and(|r| r.seq < seq) {
            self.reorder_left -= 1;
            if self.reorder_left == 0 {
                self.gap_passed(now);
            }
        }
        if self.reorder_left == 0 {
            if let Some(r) = self.reorder.take_if(|r| r.due <= now) {
                self.ready.push_back(r);
            }
        }
    }

    /// The frames of the reordered frame's gap have gone: it goes after
    /// them, before the next one. On a link whose frames are spread out in
    /// time (delayed, or behind a bottleneck) that is when the next one
    /// falls due, as on a real link where it arrives between the two (and
    /// a receiver acknowledges the last of its gap on its own); on a link
    /// without delay, at once.
    fn gap_passed(&mut self, now: Instant) {
        let next = self.held.front().map(|h| h.due);
        if let Some(r) = self.reorder.as_mut() {
            // Never past its timeout, never before now.
            r.due = next.map_or(now, |t| t.min(r.due)).max(now);
        }
    }

    /// Whether a kept frame may go at `now`.
    fn has_due(&mut self, now: Instant) -> bool {
        if self.reorder.as_ref().is_some_and(|r| r.due <= now) {
            // Nobody overtook it in time: it goes anyway.
            if let Some(r) = self.reorder.take() {
                self.ready.push_back(r);
            }
        }
        // A delayed frame picked for reordering is held back now that it
        // is due, until the frames behind it have overtaken it; if the slot
        // is taken it simply goes.
        while self.reorder.is_none() && self.held.front().is_some_and(|h| h.reorder && h.due <= now)
        {
            if let Some(mut h) = self.held.pop_front() {
                h.due = now + self.config.reorder_timeout;
                h.reorder = false;
                self.stats.reordered += 1;
                self.reorder_left = self.config.reorder_gap.max(1);
                self.reorder = Some(h);
            }
        }
        !self.ready.is_empty() || self.held.front().is_some_and(|h| h.due <= now)
    }

    /// The next kept frame that may go at `now`.
    fn next_due(&mut self, now: Instant) -> Option<Held> {
        if !self.has_due(now) {
            return None;
        }
        self.ready.pop_front().or_else(|| self.held.pop_front())
    }

    fn poll_at(&self) -> Option<Instant> {
        [
            self.ready.front().map(|h| h.due),
            self.held.front().map(|h| h.due),
            self.reorder.as_ref().map(|h| h.due),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// Flips bit `bit` of `frame` (bit 0 is the low bit of the first byte).
fn flip(frame: &mut [u8], bit: usize) {
    if let Some(byte) = frame.get_mut(bit / 8) {
        *byte ^= 1 << (bit % 8);
    }
}

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
/// ends of a [`Link`](rstcp::phy::loopback::Link) are, and
/// [`attach`](Faults::attach) it each time: the kept frames and the random
/// streams carry over from one poll to the next.
///
/// ```
/// use rstcp_testkit::fault::{Chance, FaultConfig, Faults};
/// use rstcp::phy::{loopback::Link, Device, DeviceCapabilities, TxToken};
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
/// use rstcp::phy::{loopback::Loopback, Device, DeviceCapabilities, TxToken};
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use rstcp::phy::loopback::{Loopback, Side};
    use std::vec;

    const LEN: usize = 64;

    fn frame(i: u32) -> [u8; LEN] {
        let mut f = [0x5a; LEN];
        f[..4].copy_from_slice(&i.to_be_bytes());
        f
    }

    fn id(f: &[u8]) -> u32 {
        u32::from_be_bytes([f[0], f[1], f[2], f[3]])
    }

    #[derive(Clone, Copy, Debug)]
    enum Dir {
        Rx,
        Tx,
    }
    const BOTH: [Dir; 2] = [Dir::Rx, Dir::Tx];

    fn injector(dir: Dir, cfg: FaultConfig, seed: u64) -> FaultInjector<Loopback> {
        let lo = Loopback::with_capacity(DeviceCapabilities::default(), 1024);
        match dir {
            Dir::Rx => FaultInjector::with_configs(lo, cfg, FaultConfig::none(), seed),
            Dir::Tx => FaultInjector::with_configs(lo, FaultConfig::none(), cfg, seed),
        }
    }

    /// Offers one frame to direction `dir`: on Rx it is put in the inner
    /// loopback for the injector to receive; on Tx it is sent through the
    /// injector (into the loopback, which hands it back unharmed).
    fn offer(fi: &mut FaultInjector<Loopback>, dir: Dir, data: &[u8], now: Instant) {
        let tok = match dir {
            Dir::Rx => {
                let tok = fi.inner_mut().transmit(now).unwrap();
                tok.consume(data.len(), |b| b.copy_from_slice(data));
                return;
            }
            Dir::Tx => fi.transmit(now).expect("tx token"),
        };
        tok.consume(data.len(), |b| b.copy_from_slice(data));
    }

    fn drain(fi: &mut FaultInjector<Loopback>, now: Instant, out: &mut Vec<(Instant, Vec<u8>)>) {
        while let Some((rx, _tx)) = fi.receive(now) {
            out.push((now, rx.consume(|b| b.to_vec())));
        }
    }

    /// Offers `n` frames one per `step`, receiving everything due along the
    /// way, then follows poll_at until nothing is kept.
    fn run(
        dir: Dir,
        cfg: FaultConfig,
        seed: u64,
        n: u32,
        step: Duration,
    ) -> (Vec<(Instant, Vec<u8>)>, FaultStats) {
        let mut fi = injector(dir, cfg, seed);
        let mut out = Vec::new();
        let mut now = Instant::from_secs(1);
        for i in 0..n {
            offer(&mut fi, dir, &frame(i), now);
            drain(&mut fi, now, &mut out);
            now += step;
        }
        let mut guard = 0;
        while let Some(t) = fi.poll_at() {
            now = now.max(t);
            drain(&mut fi, now, &mut out);
            guard += 1;
            assert!(guard < 100_000, "poll_at never settles");
        }
        assert_eq!(fi.rx_queued() + fi.tx_queued(), 0);
        let stats = match dir {
            Dir::Rx => *fi.rx_stats(),
            Dir::Tx => *fi.tx_stats(),
        };
        (out, stats)
    }

    fn cfg() -> FaultConfig {
        FaultConfig::none()
    }

    const N: u32 = 10_000;
    const STEP: Duration = Duration::from_micros(100);

    /// 30 % over 10 000 frames: the binomial standard deviation is 0.46
    /// points, so ±2 points (4.4 sigma) only fails on a real bias.
    fn assert_near_30(count: u64, total: u64, what: &str) {
        let pct = count as f64 * 100.0 / total as f64;
        assert!((28.0..=32.0).contains(&pct), "{what}: {pct:.2} % observed");
    }

    #[test]
    fn chance_scales_and_clamps() {
        assert_eq!(Chance::percent(30).parts_per_million(), 300_000);
        assert_eq!(Chance::per_mille(5).parts_per_million(), 5_000);
        assert_eq!(Chance::percent(101), Chance::ALWAYS);
        assert_eq!(Chance::per_mille(5000), Chance::ALWAYS);
        assert_eq!(Chance::per_million(2_000_000), Chance::ALWAYS);
        assert!(!Chance::NEVER.hit(0));
        assert!(Chance::ALWAYS.hit(u32::MAX));
        assert!(Chance::per_million(1).hit(0) && !Chance::per_million(1).hit(1 << 20));
    }

    #[test]
    fn no_faults_is_a_perfect_link() {
        for dir in BOTH {
            let (out, s) = run(dir, cfg(), 1, 1000, STEP);
            assert_eq!(out.len(), 1000);
            for (i, (_, f)) in out.iter().enumerate() {
                assert_eq!(&f[..], &frame(i as u32)[..]);
            }
            assert_eq!((s.frames, s.delivered, s.lost()), (1000, 1000, 0));
        }
    }

    #[test]
    fn drop_at_0_100_and_30_percent() {
        for dir in BOTH {
            let c = FaultConfig {
                drop_pct: Chance::percent(100),
                ..cfg()
            };
            let (out, s) = run(dir, c, 1, 1000, STEP);
            assert!(out.is_empty(), "{dir:?}");
            assert_eq!((s.dropped, s.delivered), (1000, 0));

            let c = FaultConfig {
                drop_pct: Chance::percent(30),
                ..cfg()
            };
            let (out, s) = run(dir, c, 2, N, STEP);
            assert_eq!(out.len() as u64, u64::from(N) - s.dropped);
            assert_near_30(s.dropped, N.into(), "drop");
            // Survivors keep their order.
            assert!(out.windows(2).all(|w| id(&w[0].1) < id(&w[1].1)));
        }
    }

    #[test]
    fn tx_drop_is_still_consumed() {
        let c = FaultConfig {
            drop_pct: Chance::ALWAYS,
            ..cfg()
        };
        let mut fi = injector(Dir::Tx, c, 1);
        let tok = fi
            .transmit(Instant::ZERO)
            .expect("a lossy link takes the frame");
        let r = tok.consume(LEN, |b| {
            b.copy_from_slice(&frame(7));
            "written"
        });
        assert_eq!(r, "written");
        assert_eq!(fi.inner().queued(), 0, "nothing reached the wire");
        assert_eq!(fi.tx_stats().dropped, 1);
    }

    #[test]
    fn duplicate_at_0_100_and_30_percent() {
        for dir in BOTH {
            let c = FaultConfig {
                duplicate_pct: Chance::ALWAYS,
                ..cfg()
            };
            let (out, s) = run(dir, c, 1, 1000, STEP);
            assert_eq!(out.len(), 2000, "{dir:?}");
            // The copy comes right after the original.
            for (i, pair) in out.chunks(2).enumerate() {
                assert_eq!(pair[0].1, pair[1].1);
                assert_eq!(id(&pair[0].1), i as u32);
            }
            assert_eq!((s.duplicated, s.delivered), (1000, 2000));

            let c = FaultConfig {
                duplicate_pct: Chance::percent(30),
                ..cfg()
            };
            let (out, s) = run(dir, c, 3, N, STEP);
            assert_eq!(out.len() as u64, u64::from(N) + s.duplicated);
            assert_near_30(s.duplicated, N.into(), "duplicate");
        }
    }

    #[test]
    fn corrupt_flips_exactly_one_bit() {
        for dir in BOTH {
            let c = FaultConfig {
                corrupt_pct: Chance::ALWAYS,
                ..cfg()
            };
            let (out, s) = run(dir, c, 1, 1000, STEP);
            assert_eq!(out.len(), 1000);
            assert_eq!(s.corrupted, 1000);
            let mut bits_hit = std::collections::BTreeSet::new();
            for (i, (_, f)) in out.iter().enumerate() {
                let want = frame(i as u32);
                let diff: u32 = f.iter().zip(&want).map(|(a, b)| (a ^ b).count_ones()).sum();
                assert_eq!(diff, 1, "{dir:?} frame {i}");
                let byte = f.iter().zip(&want).position(|(a, b)| a != b).unwrap();
                let bit = (f[byte] ^ want[byte]).trailing_zeros() as usize;
                bits_hit.insert(byte * 8 + bit);
            }
            // The bit is uniform over the frame: 1000 draws over 512 bits
            // leave about 512 * e^(-1000/512) = 73 bits untouched.
            assert!(bits_hit.len() > 400, "{} bits hit", bits_hit.len());

            let c = FaultConfig {
                corrupt_pct: Chance::percent(30),
                ..cfg()
            };
            let (out, s) = run(dir, c, 4, N, STEP);
            let damaged = out
                .iter()
                .enumerate()
                .filter(|(i, (_, f))| f[..] != frame(*i as u32)[..])
                .count() as u64;
            assert_eq!(damaged, s.corrupted);
            assert_near_30(damaged, N.into(), "corrupt");
        }
    }

    #[test]
    fn corrupt_skips_empty_frames() {
        let c = FaultConfig {
            corrupt_pct: Chance::ALWAYS,
            ..cfg()
        };
        let mut fi = injector(Dir::Rx, c, 1);
        offer(&mut fi, Dir::Rx, &[], Instant::ZERO);
        let mut out = Vec::new();
        drain(&mut fi, Instant::ZERO, &mut out);
        assert_eq!(out, vec![(Instant::ZERO, vec![])]);
        assert_eq!(fi.rx_stats().corrupted, 0);
    }

    #[test]
    fn reorder_swaps_neighbours() {
        for dir in BOTH {
            let c = FaultConfig {
                reorder_pct: Chance::ALWAYS,
                ..cfg()
            };
            let (out, s) = run(dir, c, 1, 1000, STEP);
            let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
            // Every frame that can be held is: 1 0 3 2 5 4 ...
            let want: Vec<u32> = (0..1000).map(|i| i ^ 1).collect();
            assert_eq!(ids, want, "{dir:?}");
            assert_eq!(s.reordered, 500);

            let c = FaultConfig {
                reorder_pct: Chance::percent(30),
                ..cfg()
            };
            let (out, s) = run(dir, c, 5, N, STEP);
            let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
            assert_eq!(ids.len(), N as usize);
            // Nothing moves further than one place, and only by swapping.
            for (pos, &i) in ids.iter().enumerate() {
                assert!((i as i64 - pos as i64).abs() <= 1, "{i} at {pos}");
            }
            let swaps = ids
                .iter()
                .enumerate()
                .filter(|(p, &i)| i as usize > *p)
                .count();
            assert_eq!(swaps as u64, s.reordered);
            // The frame that overtakes cannot be held: 30 % of the others.
            assert_near_30(s.reordered, u64::from(N) - s.reordered, "reorder");
        }
    }

    #[test]
    fn reorder_gap_lets_that_many_frames_overtake() {
        for dir in BOTH {
            let c = FaultConfig {
                reorder_pct: Chance::ALWAYS,
                reorder_gap: 3,
                ..cfg()
            };
            let (out, s) = run(dir, c, 1, 1000, STEP);
            let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
            // 0 held, 1 2 3 overtake, 0 goes; then 4 held, and so on.
            let want: Vec<u32> = (0..1000)
                .map(|i| (i & !3) + [1, 2, 3, 0][i as usize % 4])
                .collect();
            assert_eq!(ids, want, "{dir:?}");
            assert_eq!(s.reordered, 250);
        }
    }

    #[test]
    fn reordering_behind_a_delay_keeps_its_rate_and_gap() {
        for dir in BOTH {
            let c = FaultConfig {
                reorder_pct: Chance::percent(2),
                reorder_gap: 3,
                delay: Duration::from_millis(10),
                queue_limit: 1000,
                ..cfg()
            };
            let (out, s) = run(dir, c, 6, N, STEP);
            let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
            assert_eq!(ids.len(), N as usize);
            // About 2 % (fewer: a frame due while another is held goes).
            assert!((150..=220).contains(&s.reordered), "{dir:?}: {s:?}");
            // Each held frame arrives exactly three places late.
            let late: Vec<usize> = (0..ids.len()).filter(|&p| (ids[p] as usize) < p).collect();
            assert_eq!(late.len() as u64, s.reordered, "{dir:?}");
            assert!(late.iter().all(|&p| ids[p] as usize == p - 3), "{dir:?}");
            // It arrives after the last of its gap, when the next frame
            // falls due (one step later here): between the two, as on a
            // real link, and no later.
            for &p in &late {
                assert_eq!(out[p].0, out[p - 1].0 + STEP, "{dir:?}");
            }
        }
    }

    #[test]
    fn burst_loss_drops_in_runs_and_leaves_the_other_draws_alone() {
        for dir in BOTH {
            // Enter 1 %, leave 25 %: bursts of 4 frames on average, 1 in 26
            // frames lost in the long run.
            let c = FaultConfig {
                burst_loss: Some(BurstLoss {
                    enter: Chance::percent(1),
                    leave: Chance::percent(25),
                }),
                ..cfg()
            };
            let (out, s) = run(dir, c, 4, 50_000, STEP);
            let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{dir:?}: order kept");
            let gaps = ids.windows(2).filter(|w| w[1] != w[0] + 1).count();
            let mean = s.burst_dropped as f64 / gaps as f64;
            assert!((3.3..4.8).contains(&mean), "{dir:?}: mean burst {mean}");
            let share = s.burst_dropped as f64 / 50_000.0;
            assert!((0.03..0.047).contains(&share), "{dir:?}: {share}");
            assert_eq!(s.lost(), s.burst_dropped);

            // A chain that never enters its bad state changes nothing.
            let never = FaultConfig {
                drop_pct: Chance::percent(30),
                burst_loss: Some(BurstLoss {
                    enter: Chance::NEVER,
                    leave: Chance::ALWAYS,
                }),
                ..cfg()
            };
            let plain = FaultConfig {
                burst_loss: None,
                ..never
            };
            assert_eq!(run(dir, never, 5, N, STEP), run(dir, plain, 5, N, STEP));
        }
    }

    #[test]
    fn bottleneck_paces_queues_and_drops_at_the_tail() {
        for dir in BOTH {
            // 64-byte frames every 100 µs into 1.28 Mbit/s: one frame per
            // 400 µs leaves; the queue holds 10 frames (the one on the wire
            // included), the rest is dropped.
            let c = FaultConfig {
                bottleneck: Some(Bottleneck {
                    bits_per_sec: 1_280_000,
                    queue_bytes: 640,
                }),
                delay: Duration::from_millis(5),
                queue_limit: 1000,
                ..cfg()
            };
            let (out, s) = run(dir, c, 1, 2000, STEP);
            let t0 = Instant::from_secs(1);
            // The first frame: 400 µs on the wire, then the delay.
            assert_eq!(out[0].0, t0 + Duration::from_micros(5_400), "{dir:?}");
            assert!(out
                .windows(2)
                .all(|w| w[1].0 - w[0].0 == Duration::from_micros(400)));
            // 200 ms of offered load at a quarter of it, plus the queue.
            assert!((500..=512).contains(&out.len()), "{}", out.len());
            assert_eq!(s.queue_dropped, 2000 - out.len() as u64);
            assert_eq!(s.lost(), s.queue_dropped);
            // An idle link drains: a frame long after goes straight through.
            let mut fi = injector(dir, c, 1);
            let mut out = Vec::new();
            let t = Instant::from_secs(10);
            offer(&mut fi, dir, &frame(1), t);
            // (On receive, the injector sees a frame when it is polled.)
            drain(&mut fi, t, &mut out);
            assert_eq!(fi.poll_at(), Some(t + Duration::from_micros(5_400)));
            drain(&mut fi, t + Duration::from_micros(5_400), &mut out);
            assert_eq!(out.len(), 1);
        }
    }

    #[test]
    fn reordered_last_frame_leaves_at_the_timeout() {
        for dir in BOTH {
            let c = FaultConfig {
                reorder_pct: Chance::ALWAYS,
                reorder_timeout: Duration::from_millis(5),
                ..cfg()
            };
            let mut fi = injector(dir, c, 1);
            let t0 = Instant::from_secs(3);
            offer(&mut fi, dir, &frame(0), t0);
            let mut out = Vec::new();
            drain(&mut fi, t0, &mut out);
            assert!(out.is_empty());
            let due = t0 + Duration::from_millis(5);
            assert_eq!(fi.poll_at(), Some(due));
            drain(&mut fi, due - Duration::from_micros(1), &mut out);
            assert!(out.is_empty(), "{dir:?}: released 1 µs early");
            drain(&mut fi, due, &mut out);
            assert_eq!(out.len(), 1);
            assert_eq!(fi.poll_at(), None);
        }
    }

    #[test]
    fn delay_releases_at_the_exact_instant() {
        for dir in BOTH {
            let c = FaultConfig {
                delay: Duration::from_millis(10),
                ..cfg()
            };
            let mut fi = injector(dir, c, 1);
            assert_eq!(fi.poll_at(), None);
            let t0 = Instant::from_secs(5);
            let mut out = Vec::new();
            // (On receive, the injector sees a frame when it is polled.)
            offer(&mut fi, dir, &frame(1), t0);
            drain(&mut fi, t0, &mut out);
            let t1 = t0 + Duration::from_micros(1);
            offer(&mut fi, dir, &frame(2), t1);
            drain(&mut fi, t1, &mut out);
            assert!(out.is_empty());
            let due = t0 + Duration::from_millis(10);
            assert_eq!(fi.poll_at(), Some(due));
            drain(&mut fi, due - Duration::from_micros(1), &mut out);
            assert!(out.is_empty(), "{dir:?}: released 1 µs early");
            drain(&mut fi, due, &mut out);
            assert_eq!(out, vec![(due, frame(1).to_vec())]);
            assert_eq!(fi.poll_at(), Some(due + Duration::from_micros(1)));
            drain(&mut fi, due + Duration::from_micros(1), &mut out);
            assert_eq!(out.len(), 2);
            assert_eq!(fi.poll_at(), None);
            let s = if let Dir::Rx = dir {
                fi.rx_stats()
            } else {
                fi.tx_stats()
            };
            assert_eq!((s.delayed, s.delivered), (2, 2));
        }
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        for dir in BOTH {
            let c = FaultConfig {
                delay: Duration::from_millis(10),
                jitter: Duration::from_millis(5),
                queue_limit: 2000,
                ..cfg()
            };
            // All sent at the same instant.
            let (out, s) = run(dir, c, 9, 1000, Duration::ZERO);
            assert_eq!(out.len(), 1000);
            let t0 = Instant::from_secs(1);
            let mut delays: Vec<u64> = out.iter().map(|(t, _)| (*t - t0).total_micros()).collect();
            assert!(
                delays.iter().all(|d| (10_000..=15_000).contains(d)),
                "{dir:?}"
            );
            // Arrivals come out in due order, each at its exact instant.
            assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
            delays.dedup();
            assert!(
                delays.len() > 800,
                "jitter is spread: {} values",
                delays.len()
            );
            assert_eq!(s.delayed, 1000);
        }
    }

    #[test]
    fn rate_limit_frames_per_second() {
        for dir in BOTH {
            let c = FaultConfig {
                max_rate: Some(RateLimit::Frames {
                    per_sec: 100,
                    burst: 10,
                }),
                ..cfg()
            };
            let mut fi = injector(dir, c, 1);
            let mut out = Vec::new();
            let t0 = Instant::from_secs(1);
            // The bucket starts full: a burst of 10 passes.
            for i in 0..20 {
                offer(&mut fi, dir, &frame(i), t0);
            }
            drain(&mut fi, t0, &mut out);
            assert_eq!(out.len(), 10, "{dir:?}");
            // 100 ms refill 10 tokens, no more (the bucket holds 10).
            let t1 = t0 + Duration::from_millis(100);
            for i in 0..20 {
                offer(&mut fi, dir, &frame(i), t1);
            }
            drain(&mut fi, t1, &mut out);
            assert_eq!(out.len(), 20);
            // 10 ms minus 1 µs is not quite one token.
            let t2 = t1 + Duration::from_micros(9_999);
            offer(&mut fi, dir, &frame(0), t2);
            drain(&mut fi, t2, &mut out);
            assert_eq!(out.len(), 20);
            let t3 = t1 + Duration::from_millis(10);
            offer(&mut fi, dir, &frame(0), t3);
            drain(&mut fi, t3, &mut out);
            assert_eq!(out.len(), 21);
            let s = if let Dir::Rx = dir {
                fi.rx_stats()
            } else {
                fi.tx_stats()
            };
            assert_eq!(s.rate_limited, 21);

            // Sustained: 10 000 frames at 1 kHz for 10 s through 100/s.
            let (out, s) = run(dir, c, 1, N, Duration::from_millis(1));
            // 10 in the initial burst + one per 10 ms over 9.999 s.
            assert_eq!(out.len(), 10 + 999);
            assert_eq!(s.rate_limited, u64::from(N) - 1009);
        }
    }

    #[test]
    fn rate_limit_bytes_per_second() {
        for dir in BOTH {
            let c = FaultConfig {
                max_rate: Some(RateLimit::Bytes {
                    per_sec: 6400,
                    burst: 640,
                }),
                ..cfg()
            };
            // 64-byte frames: 100 frames/s, bursts of 10.
            let (out, s) = run(dir, c, 1, N, Duration::from_millis(1));
            assert_eq!(out.len(), 1009, "{dir:?}");
            assert_eq!(s.rate_limited, u64::from(N) - 1009);
            // A frame larger than the bucket never passes.
            let c = FaultConfig {
                max_rate: Some(RateLimit::Bytes {
                    per_sec: 1_000_000,
                    burst: 63,
                }),
                ..cfg()
            };
            let (out, _) = run(dir, c, 1, 10, Duration::from_secs(1));
            assert!(out.is_empty());
        }
    }

    #[test]
    fn oversize_frames_are_dropped() {
        for dir in BOTH {
            let c = FaultConfig {
                max_frame_len: Some(100),
                ..cfg()
            };
            let mut fi = injector(dir, c, 1);
            let mut out = Vec::new();
            offer(&mut fi, dir, &[1; 100], Instant::ZERO);
            offer(&mut fi, dir, &[2; 101], Instant::ZERO);
            drain(&mut fi, Instant::ZERO, &mut out);
            assert_eq!(out, vec![(Instant::ZERO, vec![1; 100])], "{dir:?}");
            let s = if let Dir::Rx = dir {
                fi.rx_stats()
            } else {
                fi.tx_stats()
            };
            assert_eq!(s.oversize, 1);
        }
    }

    fn chaos() -> FaultConfig {
        FaultConfig {
            drop_pct: Chance::percent(10),
            duplicate_pct: Chance::percent(10),
            corrupt_pct: Chance::percent(10),
            reorder_pct: Chance::percent(10),
            delay: Duration::from_millis(1),
            jitter: Duration::from_millis(2),
            ..FaultConfig::none()
        }
    }

    #[test]
    fn same_seed_same_run_different_seed_different_run() {
        for dir in BOTH {
            let a = run(dir, chaos(), 7, 2000, STEP);
            let b = run(dir, chaos(), 7, 2000, STEP);
            assert_eq!(a, b, "{dir:?}");
            let c = run(dir, chaos(), 8, 2000, STEP);
            assert_ne!(a.0, c.0);
            assert_ne!(a.1, c.1);
        }
        // The two directions draw from different streams.
        assert_ne!(
            run(Dir::Rx, chaos(), 7, 2000, STEP).1,
            run(Dir::Tx, chaos(), 7, 2000, STEP).1
        );
    }

    #[test]
    fn queue_limit_bounds_kept_frames() {
        for dir in BOTH {
            let c = FaultConfig {
                delay: Duration::from_secs(1),
                queue_limit: 3,
                ..cfg()
            };
            let mut fi = injector(dir, c, 1);
            let mut out = Vec::new();
            for i in 0..5 {
                offer(&mut fi, dir, &frame(i), Instant::ZERO);
            }
            drain(&mut fi, Instant::ZERO, &mut out);
            assert!(out.is_empty());
            assert_eq!(fi.rx_queued() + fi.tx_queued(), 3);
            drain(&mut fi, Instant::from_secs(1), &mut out);
            let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
            assert_eq!(ids, [0, 1, 2], "{dir:?}");
            let s = if let Dir::Rx = dir {
                fi.rx_stats()
            } else {
                fi.tx_stats()
            };
            assert_eq!(s.overflow, 2);
        }
    }

    #[test]
    fn inner_back_pressure_is_passed_on_and_order_kept() {
        let c = FaultConfig {
            delay: Duration::from_millis(1),
            ..cfg()
        };
        let lo = Loopback::with_capacity(DeviceCapabilities::default(), 1);
        let mut fi = FaultInjector::with_configs(lo, FaultConfig::none(), c, 1);
        let t0 = Instant::ZERO;
        // Two delayed frames, then a third straight into the full wire.
        fi.transmit(t0)
            .unwrap()
            .consume(LEN, |b| b.copy_from_slice(&frame(0)));
        fi.transmit(t0)
            .unwrap()
            .consume(LEN, |b| b.copy_from_slice(&frame(1)));
        let t1 = t0 + Duration::from_millis(1);
        // Frame 0 goes; frame 1 is due but the wire is full: no token.
        assert!(fi.transmit(t1).is_none());
        assert_eq!(fi.inner().queued(), 1);
        assert_eq!(fi.poll_at(), Some(t1));
        // Receiving drains the wire, the next receive flushes frame 1.
        let mut out = Vec::new();
        drain(&mut fi, t1, &mut out);
        let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
        assert_eq!(ids, [0, 1]);
        assert_eq!(fi.poll_at(), None);
        assert!(fi.transmit(t1).is_some());
    }

    #[test]
    fn unconsumed_rx_token_keeps_the_frame() {
        let mut fi = injector(Dir::Rx, cfg(), 1);
        offer(&mut fi, Dir::Rx, &frame(1), Instant::ZERO);
        assert!(fi.receive(Instant::ZERO).is_some());
        let mut out = Vec::new();
        drain(&mut fi, Instant::ZERO, &mut out);
        assert_eq!(out, vec![(Instant::ZERO, frame(1).to_vec())]);
        assert_eq!(fi.rx_stats().delivered, 1);
    }

    #[test]
    fn reply_token_of_receive_goes_through_tx_faults() {
        let c = FaultConfig {
            corrupt_pct: Chance::ALWAYS,
            ..cfg()
        };
        let mut fi = FaultInjector::with_configs(Loopback::new(Default::default()), cfg(), c, 1);
        offer(&mut fi, Dir::Rx, &frame(1), Instant::ZERO);
        let (rx, tx) = fi.receive(Instant::ZERO).unwrap();
        rx.consume(|b| assert_eq!(b, frame(1)));
        tx.consume(LEN, |b| b.copy_from_slice(&frame(2)));
        assert_eq!(fi.tx_stats().corrupted, 1);
        let mut out = Vec::new();
        drain(&mut fi, Instant::ZERO, &mut out);
        assert_eq!(out.len(), 1);
        assert_ne!(out[0].1, frame(2).to_vec());
    }

    #[test]
    fn faults_attached_to_a_link_end_persist_across_polls() {
        use rstcp::phy::loopback::Link;
        let c = FaultConfig {
            delay: Duration::from_millis(2),
            duplicate_pct: Chance::ALWAYS,
            ..cfg()
        };
        let mut link = Link::new(DeviceCapabilities::ethernet(9000), 8);
        let mut faults = Faults::new(cfg(), c, 3);
        let t0 = Instant::ZERO;
        {
            let mut a = faults.attach(link.a());
            assert_eq!(a.capabilities().mtu, 9000);
            a.transmit(t0)
                .unwrap()
                .consume(LEN, |b| b.copy_from_slice(&frame(1)));
        }
        // Kept by the faults, not on the wire yet.
        assert_eq!(link.queued(Side::B), 0);
        assert_eq!(faults.tx_queued(), 1);
        let due = t0 + Duration::from_millis(2);
        assert_eq!(faults.poll_at(), Some(due));
        // A's next poll, at the due instant, puts the frame and then its
        // copy on the wire.
        let mut out = Vec::new();
        assert!(faults.attach(link.a()).receive(due).is_none());
        assert_eq!(faults.poll_at(), None);
        let mut b = link.b();
        while let Some((rx, _)) = b.receive(due) {
            out.push(rx.consume(|f| f.to_vec()));
        }
        assert_eq!(out, vec![frame(1).to_vec(), frame(1).to_vec()]);
        assert_eq!(faults.tx_stats().delivered, 2);
    }
}
