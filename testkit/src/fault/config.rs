//! What a test asks of a direction ([`FaultConfig`] and its parts) and what
//! the direction counts ([`FaultStats`]).

use rstcp::time::Duration;

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
    pub(super) fn hit(self, draw: u32) -> bool {
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
