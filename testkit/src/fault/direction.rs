//! One direction of a fault injector: its random streams, the decision for
//! each frame, the rate limit and bottleneck, and the frames it keeps until
//! they fall due.

use std::collections::VecDeque;

use rstcp::rand::Rng;
use rstcp::time::{Duration, Instant};

use super::config::{Bottleneck, FaultConfig, FaultStats, RateLimit};

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
pub(super) enum Hold {
    /// Handed on at once.
    Now,
    /// Delayed until this instant; then held back to be overtaken if the
    /// flag says so.
    Until(Instant, bool),
    /// Held back to be overtaken, at the latest until this instant.
    Reorder(Instant),
}

pub(super) enum Verdict {
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
pub(super) struct Held {
    /// When it may go (for a ready frame: when it became ready).
    due: Instant,
    /// Arrival order, to keep equal due times in order and to tell which
    /// frames came after a reordered one.
    pub(super) seq: u64,
    pub(super) buf: Vec<u8>,
    /// Whether a copy must follow it when it goes.
    pub(super) duplicate: bool,
    /// A delayed frame picked for reordering: held back when it falls due.
    reorder: bool,
}

/// The state of one direction.
#[derive(Debug)]
pub(super) struct Direction {
    pub(super) config: FaultConfig,
    rng: Rng,
    pub(super) stats: FaultStats,
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
    pub(super) frame_cap: usize,
    next_seq: u64,
}

impl Direction {
    pub(super) fn new(config: FaultConfig, seed: u64, frame_cap: usize) -> Direction {
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

    pub(super) fn take_buf(&mut self) -> Vec<u8> {
        self.pool
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.frame_cap))
    }

    pub(super) fn give_buf(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() > 0 && self.pool.len() < self.pool.capacity() {
            buf.clear();
            self.pool.push(buf);
        }
    }

    pub(super) fn queued(&self) -> usize {
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
    pub(super) fn decide(&mut self, len: usize, now: Instant) -> Verdict {
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
    pub(super) fn park(
        &mut self,
        buf: Vec<u8>,
        hold: Hold,
        seq: u64,
        duplicate: bool,
        now: Instant,
    ) {
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
    pub(super) fn released(&mut self, seq: u64, copy_of: Option<&[u8]>, now: Instant) {
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
    pub(super) fn has_due(&mut self, now: Instant) -> bool {
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
    pub(super) fn next_due(&mut self, now: Instant) -> Option<Held> {
        if !self.has_due(now) {
            return None;
        }
        self.ready.pop_front().or_else(|| self.held.pop_front())
    }

    pub(super) fn poll_at(&self) -> Option<Instant> {
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
pub(super) fn flip(frame: &mut [u8], bit: usize) {
    if let Some(byte) = frame.get_mut(bit / 8) {
        *byte ^= 1 << (bit % 8);
    }
}
