//! The sender's loss-recovery phase and the small rules that go with it.
//!
//! The socket is in one of three phases, like Linux's congestion-avoidance
//! states `Open`, `Recovery` and `Loss`:
//!
//! - [`Phase::Open`]: no loss being repaired.
//! - [`Phase::Fast`]: fast retransmit / fast recovery (RFC 5681 §3.2, RFC
//!   6582, RFC 6675 §5), until the cumulative ACK reaches `recover`.
//! - [`Phase::Timeout`]: after a retransmission timeout, until the
//!   cumulative ACK reaches `recover`, the highest sequence number sent
//!   when the timer fired (RFC 6582 §3.2 step 4, RFC 6675 §5.1). Duplicate
//!   ACKs for data sent before the timeout must not start a fast recovery
//!   meanwhile: they are late echoes of the flight the timeout already
//!   repaired, and a second window reduction for the same loss would
//!   inflate nothing but the damage.

/// Which loss recovery the sender is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum Phase {
    /// Nothing to repair.
    Open,
    /// Fast recovery (RFC 6582, RFC 6675).
    Fast,
    /// Recovery after a retransmission timeout (RFC 6298 §5, RFC 5681
    /// §3.1 slow start from one segment).
    Timeout,
}

/// The data in the network during fast recovery without SACK (RFC 6582).
///
/// RFC 6582 §3.2 inflates cwnd by one SMSS per duplicate ACK (step 4: each
/// says a segment left the network) and deflates it on a partial ACK
/// (step 5). The socket keeps cwnd at ssthresh and moves the inflation to
/// the other side of `pipe < cwnd`: `FlightSize − dupacks·SMSS`, where the
/// socket removes from `dupacks` the segments a partial ACK covers beyond
/// the repaired hole (they were the ones the duplicate ACKs counted).
pub(crate) fn nonsack_pipe(flight: usize, dupacks: u32, mss: usize) -> usize {
    flight.saturating_sub((dupacks as usize).saturating_mul(mss))
}

/// The duplicate-ACK count after a partial ACK of `acked` bytes without
/// SACK: its first segment is the retransmitted hole, the others are
/// segments the duplicate ACKs already counted as gone (Linux's
/// `tcp_remove_reno_sacks`).
pub(crate) fn dupacks_after_partial_ack(dupacks: u32, acked: usize, mss: usize) -> u32 {
    let segments = acked.div_ceil(mss.max(1));
    let counted = u32::try_from(segments.saturating_sub(1)).unwrap_or(u32::MAX);
    dupacks.saturating_sub(counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6582_inflation_on_the_pipe_side() {
        // 10 segments in flight, 3 duplicate ACKs: 7 still in the network.
        assert_eq!(nonsack_pipe(10_000, 3, 1000), 7_000);
        assert_eq!(nonsack_pipe(1_000, 5, 1000), 0);
        assert_eq!(nonsack_pipe(usize::MAX, u32::MAX, usize::MAX), 0);
    }

    #[test]
    fn a_partial_ack_takes_back_what_the_duplicates_counted() {
        // The hole and two segments above it: two duplicates accounted.
        assert_eq!(dupacks_after_partial_ack(5, 3000, 1000), 3);
        // Only the hole: nothing to take back.
        assert_eq!(dupacks_after_partial_ack(5, 1000, 1000), 5);
        assert_eq!(dupacks_after_partial_ack(1, 100_000, 1000), 0);
        assert_eq!(dupacks_after_partial_ack(1, usize::MAX, 0), 0);
    }
}
