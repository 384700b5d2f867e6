//! One direction of an impaired link, without I/O: frames go in with the
//! time they arrived and come out at the time the link delivers them (or
//! never). The forwarder feeds it from one port and drains it into the
//! other; tests drive it with made-up times.

use std::collections::VecDeque;

use super::profile::Impairment;
use super::rng::Rng;

/// The Ethernet header: corruption starts past it.
const ETHERNET_HEADER: usize = 14;
/// Frames the line holds at most (delay line plus held-back frames):
/// nothing grows without bound, whatever a profile asks for.
pub const MAX_FRAMES: usize = 1 << 16;
/// Bytes the line holds at most.
pub const MAX_BYTES: usize = 64 << 20;
/// How long a reordered frame whose gap has gone by waits for the next
/// frame to arrive right before it, when traffic pauses (ns).
const NEXT_FRAME_WAIT: u64 = 1_000_000;

/// What happened to the frames of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Frames that arrived.
    pub frames_in: u64,
    /// Frames delivered (duplicates included).
    pub frames_out: u64,
    /// Lost to random or burst loss.
    pub lost: u64,
    /// Dropped at the tail of a full rate-limit queue.
    pub queue_drops: u64,
    /// Dropped because the line was at [`MAX_FRAMES`] or [`MAX_BYTES`].
    pub overflow_drops: u64,
    /// Frames with a flipped bit.
    pub corrupted: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Frames held back to arrive late.
    pub reordered: u64,
}

/// A frame held back for reordering.
#[derive(Debug)]
struct Held {
    frame: Vec<u8>,
    /// Later frames that must still go ahead of it (at 0 it goes right
    /// before the next one).
    followers: u32,
    /// Released at the latest then (when traffic stops).
    deadline: u64,
}

/// One direction: the impairments, their random state, and the frames in
/// flight. Times are nanoseconds on the caller's clock.
#[derive(Debug)]
pub struct Line {
    imp: Impairment,
    rng: Rng,
    /// The Gilbert chain's state.
    bad: bool,
    /// When the rate limiter's link is free again.
    link_free_at: u64,
    /// The latest release time handed out, so jitter never reorders.
    last_release: u64,
    /// Frames in flight, in release order.
    queue: VecDeque<(u64, Vec<u8>)>,
    held: Vec<Held>,
    bytes: usize,
    stats: LineStats,
}

impl Line {
    /// A line doing `imp`, its random choices drawn from `seed`.
    pub fn new(imp: Impairment, seed: u64) -> Line {
        Line {
            imp,
            rng: Rng::new(seed),
            bad: false,
            link_free_at: 0,
            last_release: 0,
            queue: VecDeque::new(),
            held: Vec::new(),
            bytes: 0,
            stats: LineStats::default(),
        }
    }

    /// What happened so far.
    pub fn stats(&self) -> LineStats {
        self.stats
    }

    /// Takes a frame that arrived at `now`.
    pub fn admit(&mut self, now: u64, mut frame: Vec<u8>) {
        self.stats.frames_in += 1;
        if self.lose() {
            self.stats.lost += 1;
            return;
        }
        if self.rng.chance(self.imp.corrupt) && frame.len() > ETHERNET_HEADER {
            let at =
                ETHERNET_HEADER + self.rng.below((frame.len() - ETHERNET_HEADER) as u64) as usize;
            frame[at] ^= 1 << self.rng.below(8);
            self.stats.corrupted += 1;
        }
        if self.rng.chance(self.imp.duplicate) {
            self.stats.duplicated += 1;
            self.send(now, frame.clone());
        }
        self.send(now, frame);
    }

    /// Draws random then burst loss for one frame.
    fn lose(&mut self) -> bool {
        let random = self.rng.chance(self.imp.loss);
        let burst = match self.imp.gilbert {
            None => false,
            Some(g) => {
                // Move the chain first, then draw in the state it is in.
                self.bad = if self.bad {
                    !self.rng.chance(g.leave)
                } else {
                    self.rng.chance(g.enter)
                };
                self.rng
                    .chance(if self.bad { g.loss_bad } else { g.loss_good })
            }
        };
        random || burst
    }

    /// One copy through the rate limiter, the delay and reordering.
    fn send(&mut self, now: u64, frame: Vec<u8>) {
        if self.queue.len() + self.held.len() >= MAX_FRAMES || self.bytes + frame.len() > MAX_BYTES
        {
            self.stats.overflow_drops += 1;
            return;
        }
        let mut depart = now;
        if let Some(rate) = self.imp.rate {
            // The backlog is what the link has yet to serialize: a
            // drop-tail FIFO in virtual time, without a second queue.
            let start = self.link_free_at.max(now);
            let backlog = (start - now) as u128 * rate.bits_per_sec as u128 / 8 / 1_000_000_000;
            if backlog as u64 + frame.len() as u64 > rate.queue_bytes {
                self.stats.queue_drops += 1;
                return;
            }
            let wire = frame.len() as u128 * 8 * 1_000_000_000 / rate.bits_per_sec as u128;
            depart = start + wire as u64;
            self.link_free_at = depart;
        }
        let mut release = depart + self.imp.delay.as_nanos() as u64;
        let jitter = self.imp.jitter.as_nanos() as u64;
        if jitter > 0 {
            release = (release + self.rng.below(2 * jitter + 1)).saturating_sub(jitter);
        }
        let release = release.max(depart).max(self.last_release);
        self.bytes += frame.len();
        // Held frames whose gap has gone by arrive now, right before this
        // one: between the last of their gap and the next frame, as on a
        // real link (and a receiver sees the last of the gap on its own).
        let mut i = 0;
        while i < self.held.len() {
            if self.held[i].followers == 0 {
                let h = self.held.remove(i);
                self.enqueue(release, h.frame);
            } else {
                i += 1;
            }
        }
        if let Some(r) = self.imp.reorder {
            if r.gap > 0 && self.rng.chance(r.chance) {
                self.stats.reordered += 1;
                self.held.push(Held {
                    frame,
                    followers: r.gap,
                    deadline: release + self.imp.reorder_hold.as_nanos() as u64,
                });
                return;
            }
        }
        self.enqueue(release, frame);
        // This frame went ahead of every held one; those whose gap it
        // completes wait for the next frame, a little at most.
        let soon = release + NEXT_FRAME_WAIT;
        for h in &mut self.held {
            h.followers -= 1;
            if h.followers == 0 {
                h.deadline = h.deadline.min(soon);
            }
        }
    }

    fn enqueue(&mut self, release: u64, frame: Vec<u8>) {
        self.last_release = release;
        self.queue.push_back((release, frame));
    }

    /// The next frame due at `now`, if any.
    pub fn pop_due(&mut self, now: u64) -> Option<Vec<u8>> {
        // A held frame whose followers never came goes out at its deadline.
        if let Some(i) = self.held.iter().position(|h| h.deadline <= now) {
            let h = self.held.remove(i);
            let release = now.max(self.last_release);
            self.enqueue(release, h.frame);
        }
        if self.queue.front().is_some_and(|(t, _)| *t <= now) {
            let (_, frame) = self.queue.pop_front()?;
            self.bytes -= frame.len();
            self.stats.frames_out += 1;
            return Some(frame);
        }
        None
    }

    /// When the next frame is due (to sleep until then), if any is waiting.
    pub fn next_due(&self) -> Option<u64> {
        let queued = self.queue.front().map(|(t, _)| *t);
        let held = self.held.iter().map(|h| h.deadline).min();
        match (queued, held) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impair::profile::Profile;

    const MS: u64 = 1_000_000;

    fn frame(n: u32) -> Vec<u8> {
        let mut f = vec![0u8; 100];
        f[..4].copy_from_slice(&n.to_be_bytes());
        f
    }

    fn id(f: &[u8]) -> u32 {
        u32::from_be_bytes(f[..4].try_into().unwrap())
    }

    /// Feeds `n` frames 10 µs apart and drains everything; gives the ids in
    /// delivery order with their delivery times.
    fn run(spec: &str, n: u32, seed: u64) -> (Vec<(u64, u32)>, LineStats) {
        let p = Profile::parse("t", spec).unwrap();
        let mut line = Line::new(p.a_to_b, seed);
        let mut out = Vec::new();
        let mut now = 0;
        for i in 0..n {
            now = u64::from(i) * 10_000;
            line.admit(now, frame(i));
            while let Some(f) = line.pop_due(now) {
                out.push((now, id(&f)));
            }
        }
        while let Some(t) = line.next_due() {
            now = now.max(t);
            while let Some(f) = line.pop_due(now) {
                out.push((now, id(&f)));
            }
        }
        (out, line.stats())
    }

    #[test]
    fn a_clean_line_delivers_everything_at_once_in_order() {
        let (out, stats) = run("", 1000, 1);
        assert_eq!(out.len(), 1000);
        assert!(out
            .iter()
            .enumerate()
            .all(|(i, &(t, f))| f == i as u32 && t == i as u64 * 10_000));
        assert_eq!(stats.frames_out, 1000);
    }

    #[test]
    fn loss_and_duplication_happen_at_their_rates_and_the_same_seed_repeats_them() {
        let (out, stats) = run("loss=5%,dup=2%", 20_000, 9);
        assert!((800..1200).contains(&stats.lost), "{stats:?}");
        assert!((300..500).contains(&stats.duplicated), "{stats:?}");
        assert_eq!(out.len() as u64, 20_000 - stats.lost + stats.duplicated);
        assert_eq!(run("loss=5%,dup=2%", 20_000, 9).0, out);
        assert_ne!(run("loss=5%,dup=2%", 20_000, 10).0, out);
    }

    #[test]
    fn burst_loss_comes_in_runs() {
        // Enter 1 %, leave 25 %: bursts of 4 frames on average.
        let (out, stats) = run("gilbert=1%/25%", 50_000, 3);
        let (mut runs, mut expected) = (0, 0);
        for f in out.iter().map(|&(_, f)| f) {
            if f != expected {
                runs += 1;
            }
            expected = f + 1;
        }
        let mean = stats.lost as f64 / runs as f64;
        assert!((3.0..5.5).contains(&mean), "mean burst {mean} ({stats:?})");
    }

    #[test]
    fn delay_and_jitter_delay_without_reordering() {
        let (out, _) = run("delay=10ms,jitter=2ms", 2000, 4);
        assert_eq!(out.len(), 2000);
        for (i, &(t, f)) in out.iter().enumerate() {
            assert_eq!(f, i as u32, "jitter reordered");
            let sent = u64::from(f) * 10_000;
            assert!(t >= sent + 8 * MS, "frame {f} early: {t} vs {sent}");
        }
        let late = out
            .iter()
            .filter(|&&(t, f)| t > u64::from(f) * 10_000 + 11 * MS)
            .count();
        assert!(late > 0, "no jitter above the delay");
    }

    #[test]
    fn a_reordered_frame_arrives_exactly_gap_places_late() {
        let (out, stats) = run("reorder=2%/3", 10_000, 5);
        assert_eq!(out.len(), 10_000);
        assert!((150..250).contains(&stats.reordered), "{stats:?}");
        // Frame f delivered at position p is late by p - f: a held frame
        // by exactly the gap (or a little more when two holds overlap,
        // or when a later frame was held too).
        let late: Vec<i64> = out
            .iter()
            .enumerate()
            .map(|(p, &(_, f))| p as i64 - i64::from(f))
            .collect();
        let by_gap = late.iter().filter(|&&d| d == 3).count() as u64;
        assert!(by_gap >= stats.reordered * 9 / 10, "{by_gap} of {stats:?}");
        assert!(
            late.iter().all(|&d| (-6..=6).contains(&d)),
            "a frame moved too far"
        );
    }

    #[test]
    fn a_reordered_frame_arrives_between_the_last_of_its_gap_and_the_next() {
        // Frames 10 µs apart: the held one arrives with the next after its
        // gap, 10 µs after the last of the gap.
        let (out, stats) = run("reorder=2%/3", 10_000, 5);
        let mut checked = 0;
        for p in 1..out.len() {
            let (t, f) = out[p];
            if (f as usize) + 3 == p && out[p - 1].1 as usize == p {
                assert_eq!(t, out[p - 1].0 + 10_000, "frame {f}");
                checked += 1;
            }
        }
        assert!(
            checked as u64 >= stats.reordered * 8 / 10,
            "{checked} of {stats:?}"
        );
    }

    #[test]
    fn a_held_frame_goes_out_at_its_deadline_when_traffic_stops() {
        let (out, stats) = run("reorder=100%/3,hold=5ms", 1, 1);
        assert_eq!(stats.reordered, 1);
        assert_eq!(out, vec![(5 * MS, 0)]);
    }

    #[test]
    fn the_rate_limit_paces_and_drops_past_its_queue() {
        // 100-byte frames every 10 µs = 80 Mbit/s offered into 8 Mbit/s:
        // one frame per 100 µs leaves, and the queue of 10 frames fills.
        let (out, stats) = run("rate=8mbit,queue=1000", 1000, 1);
        for w in out.windows(2) {
            assert!(w[1].0 - w[0].0 >= 100_000, "{w:?} not paced");
        }
        assert!((90..=115).contains(&out.len()), "{} delivered", out.len());
        assert_eq!(stats.queue_drops, 1000 - out.len() as u64);
    }

    #[test]
    fn corruption_flips_one_bit_past_the_ethernet_header() {
        let p = Profile::parse("t", "corrupt=100%").unwrap();
        let mut line = Line::new(p.a_to_b, 8);
        for _ in 0..200 {
            line.admit(0, vec![0u8; 60]);
            let f = line.pop_due(0).unwrap();
            let flipped: u32 = f.iter().map(|b| b.count_ones()).sum();
            assert_eq!(flipped, 1);
            assert!(f[..ETHERNET_HEADER].iter().all(|&b| b == 0));
        }
    }
}
