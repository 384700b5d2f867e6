//! The quiet window of the address and group timers: how `poll` skips, in
//! one comparison, the timer walks that have nothing due.
//!
//! IGMP and MLD reports, IPv4 conflict detection, IPv6 DAD and address
//! lifetimes, router discovery, fragment reassembly and path MTU aging each keep their own
//! deadlines, and [`Interface::poll_at`](super::Interface::poll_at) already
//! promises that only a received frame or a user call creates work before
//! the earliest of them. After `poll` has run those timers it keeps that
//! earliest deadline; until then the next polls skip them, unless a frame
//! or a call that may change that state (everything but a unicast,
//! unfragmented UDP, TCP or ICMPv4 datagram, and every address, group or
//! DHCP change) has forgotten it. The neighbor caches and the pending queue
//! are not behind the window: sending a reply changes them.

use super::fragment::Reassembler;
use super::interface::Inner;
use crate::time::Instant;

/// What is known of the gated timers' next deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quiet {
    /// Something changed since they last ran: run them on the next poll.
    Unknown,
    /// Nothing of theirs is due before this instant (`None`: never, until
    /// something changes).
    Until(Option<Instant>),
}

impl Inner {
    /// True when the gated timers have nothing due at `now`.
    pub(super) fn timers_quiet(&self, now: Instant) -> bool {
        match self.quiet {
            Quiet::Unknown => false,
            Quiet::Until(at) => at.is_none_or(|t| now < t),
        }
    }

    /// Forgets the quiet window: state behind it may have changed.
    pub(super) fn timers_changed(&mut self) {
        self.quiet = Quiet::Unknown;
    }

    /// Notes the gated timers' earliest deadline, after they ran.
    pub(super) fn timers_ran(&mut self, fragments: &Reassembler<'_>) {
        let acd = self
            .v4
            .iter()
            .filter_map(|a| a.acd.as_ref().and_then(|acd| acd.poll_at()));
        let at = [
            self.igmp.poll_at(),
            self.mld.poll_at(),
            self.rdisc.poll_at(),
            self.v6.poll_at(),
            self.dhcp_acd.as_ref().and_then(|acd| acd.poll_at()),
            fragments.poll_at(),
            self.pmtu.poll_at(),
        ]
        .into_iter()
        .flatten()
        .chain(acd)
        .min();
        self.quiet = Quiet::Until(at);
    }
}
