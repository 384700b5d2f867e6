//! The table of datagrams in progress: lookup by key, slot allocation and
//! eviction, timeouts.

use managed::ManagedSlice;

use super::config::{ReassemblyConfig, WhenFull};
use super::datagram::{Expired, Fragment, Reassembled};
use super::error::ReassemblyError;
use super::slot::{Abandon, ReassemblySlot};
use crate::iface::fragment::FragmentKey;
use crate::time::Instant;

/// Puts fragments back together, in caller-provided [`ReassemblySlot`]s.
#[derive(Debug)]
pub struct Reassembler<'a> {
    pub(super) slots: ManagedSlice<'a, ReassemblySlot<'a>>,
    config: ReassemblyConfig,
    evictions: u32,
}

impl<'a> Reassembler<'a> {
    /// A reassembler over `slots`, with the default [`ReassemblyConfig`].
    pub fn new(slots: impl Into<ManagedSlice<'a, ReassemblySlot<'a>>>) -> Self {
        Self::with_config(slots, ReassemblyConfig::default())
    }

    /// A reassembler over `slots` with the given configuration.
    pub fn with_config(
        slots: impl Into<ManagedSlice<'a, ReassemblySlot<'a>>>,
        config: ReassemblyConfig,
    ) -> Self {
        Reassembler {
            slots: slots.into(),
            config,
            evictions: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// Changes the configuration; datagrams in progress keep their deadline.
    pub fn set_config(&mut self, config: ReassemblyConfig) {
        self.config = config;
    }

    /// How many datagrams were abandoned to make room for a new one
    /// ([`WhenFull::EvictOldest`]), since creation (wrapping).
    pub fn evictions(&self) -> u32 {
        self.evictions
    }

    /// How many datagrams are in progress.
    pub fn in_progress(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state.is_some_and(|a| !a.done))
            .count()
    }

    /// Frees the slot of a datagram returned by [`add`](Self::add) (which the
    /// next `add` or `expire` would free anyway).
    pub fn release(&mut self) {
        for slot in self.slots.iter_mut() {
            if slot.state.is_some_and(|a| a.done) {
                slot.state = None;
            }
        }
    }

    /// Files one fragment. Returns the datagram when this fragment completed
    /// it, `Ok(None)` while it is still incomplete (or the fragment was a
    /// duplicate).
    ///
    /// `now` starts the timer of a new datagram; an existing datagram is
    /// matched by key whatever the time, so call [`expire`](Self::expire)
    /// first in each poll.
    pub fn add(
        &mut self,
        now: Instant,
        fragment: Fragment<'_>,
    ) -> Result<Option<Reassembled<'_>>, ReassemblyError> {
        self.release();

        let offset = fragment.offset_bytes;
        if offset == 0 && !fragment.more_fragments {
            return Err(ReassemblyError::NotAFragment);
        }
        // RFC 791 §3.2: fragments but the last carry a multiple of 8 bytes,
        // and offsets count 8-byte units. RFC 8200 §4.5: "If the length of a
        // fragment … is not a multiple of 8 octets and the M flag of that
        // fragment is 1, then that fragment must be discarded".
        if !offset.is_multiple_of(8)
            || (fragment.more_fragments && !fragment.payload.len().is_multiple_of(8))
        {
            return Err(ReassemblyError::Unaligned);
        }
        // RFC 791 §3.1 (Total Length) / RFC 8200 §4.5 ("would exceed 65,535
        // octets, then that fragment must be discarded").
        let end = offset
            .checked_add(fragment.payload.len())
            .ok_or(ReassemblyError::TooLong)?;
        if end > self.config.max_end(&fragment.key, fragment.header.len()) {
            return Err(ReassemblyError::TooLong);
        }

        let index = match self.find(&fragment.key) {
            Some(index) => index,
            None => {
                let index = self.allocate(fragment.header.len().saturating_add(end))?;
                let timeout = self.config.timeout(&fragment.key);
                if let Some(slot) = self.slots.get_mut(index) {
                    slot.start(now, &fragment, timeout);
                }
                net_trace!("reassembly: new datagram in slot {}", index);
                index
            }
        };

        let config = self.config;
        let Some(slot) = self.slots.get_mut(index) else {
            return Ok(None);
        };
        match slot.insert(&fragment, end, &config) {
            Ok(false) => Ok(None),
            Ok(true) => {
                if !fragment.key.is_ipv6() {
                    slot.finish_ipv4_header();
                }
                Ok(slot.reassembled())
            }
            Err(Abandon(error)) => {
                net_debug!("reassembly: datagram abandoned: {}", error.reason());
                slot.state = None;
                Err(error)
            }
        }
    }

    /// The slot holding the datagram `key`, if any.
    fn find(&self, key: &FragmentKey) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.state.is_some_and(|a| !a.done && a.key == *key))
    }

    /// A slot for a new datagram whose first-arriving fragment needs `need`
    /// bytes of data area: a free one, else (by policy) the oldest one.
    fn allocate(&mut self, need: usize) -> Result<usize, ReassemblyError> {
        if let Some(index) = self
            .slots
            .iter()
            .position(|s| s.state.is_none() && s.capacity() >= need)
        {
            return Ok(index);
        }
        if !self.slots.iter().any(|s| s.capacity() >= need) {
            return Err(ReassemblyError::TooBigForSlot);
        }
        if self.config.when_full == WhenFull::Refuse {
            return Err(ReassemblyError::NoFreeSlot);
        }
        let oldest = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.capacity() >= need)
            .filter_map(|(i, s)| s.state.map(|a| (a.first_arrival, i)))
            .min()
            .map(|(_, i)| i)
            .ok_or(ReassemblyError::NoFreeSlot)?;
        net_debug!("reassembly: all slots busy, evicting slot {}", oldest);
        if let Some(slot) = self.slots.get_mut(oldest) {
            slot.state = None;
        }
        self.evictions = self.evictions.wrapping_add(1);
        Ok(oldest)
    }

    /// When [`expire`](Self::expire) next has work: the earliest deadline of
    /// a datagram in progress.
    pub fn poll_at(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| s.state.filter(|a| !a.done).map(|a| a.deadline))
            .min()
    }

    /// Abandons every datagram whose deadline (`first arrival + timeout`) is
    /// at or before `now`, calling `f` for each so the interface can send
    /// ICMP Time Exceeded, code 1 (RFC 792), when
    /// [`Expired::first_fragment`] is `Some`.
    pub fn expire(&mut self, now: Instant, mut f: impl FnMut(Expired<'_>)) {
        self.release();
        for slot in self.slots.iter_mut() {
            let Some(a) = slot.state else { continue };
            if now < a.deadline {
                continue;
            }
            net_debug!("reassembly: datagram timed out");
            f(Expired {
                key: a.key,
                first_fragment: slot.first_fragment(),
            });
            slot.state = None;
        }
    }
}
