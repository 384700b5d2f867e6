//! The IPv6 addresses of one interface and their state (RFC 4862): each
//! is tentative while Duplicate Address Detection runs (§5.4), then
//! preferred, then deprecated when its preferred lifetime ends and gone
//! when its valid lifetime ends (§5.5.4). An engine that knows no
//! `Interface`: `autoconf.rs` adds addresses (static, link-local, SLAAC),
//! frames the solicitations `Ipv6Addrs::poll` asks for and reports what
//! the link says about tentative ones.
//!
//! - `dad.rs`: the DAD machine of one address (RFC 4862 §5.4.2, RFC 7527
//!   nonces).
//! - `lifetimes.rs`: preferred and valid lifetimes, the two-hour rule
//!   (§5.5.3 e).
//! - `iid.rs`: interface identifiers (modified EUI-64, RFC 7217).
//! - `select.rs`: source address selection (RFC 6724 §5).
//!
//! The table is fixed-size (no heap): an address that finds no room is
//! refused (a static one with an error, a SLAAC one ignored, as RFC 4862
//! §5.5.3 lets a host do when it cannot form an address).

pub mod dad;
pub mod iid;
pub mod lifetimes;
pub mod select;

use self::dad::{Dad, DadStep};
use self::lifetimes::Lifetimes;
use self::select::Candidate;
use crate::time::{Duration, Instant};
use crate::wire::{Ipv6Addr, Ipv6Cidr};

/// Where an address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddressOrigin {
    /// The link-local address formed at start (RFC 4862 §5.3).
    LinkLocal,
    /// Added by the user (`Interface::add_ipv6_address`).
    Static,
    /// Formed from a Router Advertisement's prefix (RFC 4862 §5.5.3).
    Slaac,
}

/// The state of an address (RFC 4862 §2, RFC 4429 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddressState {
    /// DAD runs: the address takes only Neighbor Solicitations and
    /// Advertisements for DAD and is never a source (§5.4).
    Tentative,
    /// DAD runs but the address is used meanwhile (RFC 4429 optimistic
    /// DAD), as if deprecated for source selection (RFC 4429 §3.1).
    Optimistic,
    /// In use, chosen for new connections.
    Preferred,
    /// In use by existing connections, not chosen for new ones while a
    /// preferred address fits (§5.5.4, RFC 6724 §5 rule 3).
    Deprecated,
}

/// One IPv6 address of the interface as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6Address {
    /// The address and its prefix length.
    pub cidr: Ipv6Cidr,
    /// Its state at the interface's last poll.
    pub state: AddressState,
    /// Where it came from.
    pub origin: AddressOrigin,
    /// When it is deprecated and when it goes (`None`: never).
    pub lifetimes: Lifetimes,
}

/// One entry of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub cidr: Ipv6Cidr,
    pub origin: AddressOrigin,
    /// `Some` while DAD runs.
    pub dad: Option<Dad>,
    /// RFC 4429: used while DAD runs.
    pub optimistic: bool,
    pub lifetimes: Lifetimes,
    /// The deprecation was reported (cleared when a refresh makes the
    /// address preferred again).
    pub deprecated_reported: bool,
    /// RFC 7217 §5 DAD_Counter of the identifier (SLAAC only).
    pub dad_counter: u8,
}

impl Entry {
    /// A new entry, tentative with `dad` (`None`: DAD off, usable at once).
    pub fn new(
        cidr: Ipv6Cidr,
        origin: AddressOrigin,
        dad: Option<Dad>,
        lifetimes: Lifetimes,
    ) -> Entry {
        Entry {
            cidr,
            origin,
            dad,
            optimistic: false,
            lifetimes,
            deprecated_reported: false,
            dad_counter: 0,
        }
    }

    /// The address.
    pub fn addr(&self) -> Ipv6Addr {
        self.cidr.address()
    }

    /// DAD has not finished.
    pub fn tentative(&self) -> bool {
        self.dad.is_some()
    }

    /// The address may be a source and a destination: DAD passed, or
    /// runs optimistically (RFC 4429 §3.1).
    pub fn usable(&self) -> bool {
        self.dad.is_none() || self.optimistic
    }

    /// The state at `now`.
    pub fn state(&self, now: Instant) -> AddressState {
        match self.dad {
            Some(_) if self.optimistic => AddressState::Optimistic,
            Some(_) => AddressState::Tentative,
            None if self.lifetimes.deprecated(now) => AddressState::Deprecated,
            None => AddressState::Preferred,
        }
    }

    /// The user's view at `now`.
    pub fn view(&self, now: Instant) -> Ipv6Address {
        Ipv6Address {
            cidr: self.cidr,
            state: self.state(now),
            origin: self.origin,
            lifetimes: self.lifetimes,
        }
    }
}

/// Something the table has for the interface at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddrChange {
    /// Send DAD's Neighbor Solicitation for the address with this nonce.
    Solicit(Ipv6Addr, [u8; 6]),
    /// DAD passed: the address is in use.
    Ready(Ipv6Addr),
    /// The preferred lifetime ended.
    Deprecated(Ipv6Addr),
    /// The valid lifetime ended: the entry was removed.
    Expired(Entry),
}

/// The address table: `N` addresses at most.
#[derive(Debug, Clone)]
pub(crate) struct Ipv6Addrs<const N: usize> {
    entries: heapless::Vec<Entry, N>,
}

impl<const N: usize> Ipv6Addrs<N> {
    pub const fn new() -> Self {
        Ipv6Addrs {
            entries: heapless::Vec::new(),
        }
    }

    /// Adds an entry; `Err` when the table is full.
    pub fn push(&mut self, e: Entry) -> Result<(), Entry> {
        self.entries.push(e)
    }

    /// Removes the entry of `addr`.
    pub fn remove(&mut self, addr: &Ipv6Addr) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.addr() == *addr)?;
        Some(self.entries.remove(i))
    }

    pub fn get(&self, addr: &Ipv6Addr) -> Option<&Entry> {
        self.entries.iter().find(|e| e.addr() == *addr)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Entry> + '_ {
        self.entries.iter_mut()
    }

    /// Empties the table (IPv6 turned off, `ipv6_off.rs`; tests).
    pub fn clear(&mut self) {
        self.entries.clear()
    }

    /// The usable link-local address, if any (the source of MLD reports
    /// and Router Solicitations).
    pub fn link_local(&self) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.addr().is_unicast_link_local() && e.usable())
    }

    /// RFC 6724 §4: the candidate sources, usable addresses only, an
    /// optimistic one counted as deprecated (RFC 4429 §3.1).
    pub fn candidates(&self, now: Instant) -> impl Iterator<Item = Candidate> + '_ {
        self.entries
            .iter()
            .filter(|e| e.usable())
            .map(move |e| Candidate {
                addr: e.addr(),
                prefix_len: e.cidr.prefix_len(),
                deprecated: (e.optimistic && e.dad.is_some()) || e.lifetimes.deprecated(now),
            })
    }

    /// The next change due at `now` (call until `None`). `retrans`: the
    /// interface's RetransTimer.
    pub fn poll(&mut self, now: Instant, retrans: Duration) -> Option<AddrChange> {
        // §5.5.4: an address whose valid lifetime ended goes first.
        if let Some(i) = self.entries.iter().position(|e| e.lifetimes.expired(now)) {
            return Some(AddrChange::Expired(self.entries.remove(i)));
        }
        for e in self.entries.iter_mut() {
            let addr = e.addr();
            if let Some(dad) = e.dad.as_mut() {
                match dad.poll(now, retrans) {
                    Some(DadStep::Solicit(nonce)) => return Some(AddrChange::Solicit(addr, nonce)),
                    Some(DadStep::Passed) => {
                        e.dad = None;
                        e.optimistic = false;
                        return Some(AddrChange::Ready(addr));
                    }
                    None => {}
                }
            }
            if !e.deprecated_reported && e.lifetimes.deprecated(now) {
                e.deprecated_reported = true;
                return Some(AddrChange::Deprecated(addr));
            }
        }
        None
    }

    /// The next instant [`poll`](Self::poll) has work.
    pub fn poll_at(&self) -> Option<Instant> {
        self.entries
            .iter()
            .flat_map(|e| {
                let deprecate = e
                    .lifetimes
                    .preferred_until
                    .filter(|_| !e.deprecated_reported);
                [
                    e.dad.map(|d| d.poll_at()),
                    deprecate,
                    e.lifetimes.valid_until,
                ]
            })
            .flatten()
            .min()
    }
}
