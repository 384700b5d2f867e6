//! The state NewReno and CUBIC keep alike: the SMSS, `cwnd`, `ssthresh`,
//! and what RFC 5681's rules ask about ACKs and timeouts.

use super::{initial_window, MAX_WINDOW};
use crate::time::Instant;

/// A controller's window and the facts its RFC 5681 rules read, in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Window {
    /// SMSS, 1..=65535.
    pub mss: usize,
    pub cwnd: usize,
    pub ssthresh: usize,
    /// The last ACK (or restart) seen: idle time is measured from it.
    pub last_ack: Option<Instant>,
    /// Data has been acknowledged or lost: `set_mss` keeps the window.
    pub started: bool,
    /// A timeout happened and no ACK has arrived since: a further timeout
    /// is a repeated one (RFC 5681 §3.1 holds `ssthresh`).
    pub in_rto_backoff: bool,
}

/// The SMSS actually used: at least 1 (no division by zero) and at most
/// 65535, the largest value the 16-bit MSS option can carry (RFC 9293 §3.2).
fn clamp_mss(mss: usize) -> usize {
    mss.clamp(1, u16::MAX as usize)
}

impl Window {
    /// The initial window for `mss` (RFC 6928 §2), with `ssthresh`
    /// "arbitrarily high" (RFC 5681 §3.1): [`MAX_WINDOW`].
    pub fn new(mss: usize) -> Window {
        let mss = clamp_mss(mss);
        Window {
            mss,
            cwnd: initial_window(mss),
            ssthresh: MAX_WINDOW,
            last_ack: None,
            started: false,
            in_rto_backoff: false,
        }
    }

    /// Takes the SMSS the handshake settled on; before any data the IW
    /// follows it (RFC 6928 §2).
    pub fn set_mss(&mut self, mss: usize) {
        self.mss = clamp_mss(mss);
        if !self.started {
            self.cwnd = initial_window(self.mss);
        }
    }

    /// Restores a window reduction found spurious (never below the
    /// current values).
    pub fn undo(&mut self, cwnd: usize, ssthresh: usize) {
        self.cwnd = self.cwnd.max(cwnd).min(MAX_WINDOW);
        self.ssthresh = self.ssthresh.max(ssthresh);
        self.in_rto_backoff = false;
    }

    /// An ACK arrived at `now`: the connection has started, a timeout
    /// after it is a first one again, and idle time counts from it.
    pub fn saw_ack(&mut self, now: Instant) {
        self.started = true;
        self.in_rto_backoff = false;
        self.last_ack = Some(now);
    }
}
