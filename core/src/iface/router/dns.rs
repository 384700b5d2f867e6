//! DNS configuration from Router Advertisements (RFC 8106): the recursive
//! DNS servers of RDNSS options and the search domains of DNSSL options,
//! each with its lifetime, in fixed tables (no heap).
//!
//! RFC 8106 §5.3.1: an entry is added, or has its expiry refreshed, by
//! every valid RA carrying it; a lifetime of 0 removes it at once; it goes
//! when its lifetime runs out. A full table makes room by giving up the
//! entry that expires first, if the newcomer outlives it (the RFC leaves
//! the size and the choice to the host; the freshest information wins).

use crate::time::{Duration, Instant};
use crate::wire::ndp::{Dnssl, DomainName, Rdnss};
use crate::wire::Ipv6Addr;

/// DNS servers remembered (RFC 8106 §5.3.1 leaves the number to the host;
/// three, as a resolver's `MAXNS`).
pub const MAX_DNS_SERVERS: usize = 3;
/// Search domains remembered (RFC 8106 §5.3.1).
pub const MAX_SEARCH_DOMAINS: usize = 4;
/// The longest domain name kept, in wire form (RFC 1035 §2.3.4).
const NAME_CAP: usize = crate::wire::ndp::MAX_NAME_WIRE_LEN;

/// A recursive DNS server learnt from an RDNSS option (RFC 8106 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DnsServer {
    /// The server's address.
    pub addr: Ipv6Addr,
    /// When its lifetime runs out; `None`: infinity (0xffffffff).
    pub expires_at: Option<Instant>,
}

/// A search domain learnt from a DNSSL option (RFC 8106 §5.2), kept in
/// wire form (RFC 1035 §3.1).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SearchDomain {
    wire: [u8; NAME_CAP],
    len: u8,
    /// When its lifetime runs out; `None`: infinity (0xffffffff).
    pub expires_at: Option<Instant>,
}

impl SearchDomain {
    /// The domain name; `Display` prints it dotted (`example.com`).
    pub fn name(&self) -> DomainName<'_> {
        let wire = self.wire.get(..usize::from(self.len)).unwrap_or(&[]);
        // Stored only after the option's walk checked it.
        DomainName::from_checked(wire)
    }
}

impl core::fmt::Debug for SearchDomain {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SearchDomain")
            .field("name", &format_args!("{}", self.name()))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SearchDomain {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "SearchDomain({=[u8]})",
            self.wire.get(..usize::from(self.len)).unwrap_or(&[])
        );
    }
}

/// The DNS servers and search domains of the link, with their lifetimes.
#[derive(Debug, Clone, Default)]
pub struct DnsConfig {
    servers: heapless::Vec<DnsServer, MAX_DNS_SERVERS>,
    domains: heapless::Vec<SearchDomain, MAX_SEARCH_DOMAINS>,
}

/// `now + secs`, or `None` for infinity (RFC 8106 §5.1: all one bits).
fn expiry(secs: u32, now: Instant) -> Option<Instant> {
    (secs != u32::MAX).then(|| now + Duration::from_secs(u64::from(secs)))
}

/// Puts `entry` in `list` (RFC 8106 §5.3.1): `same` finds it to refresh;
/// a full list gives up the entry expiring first if `entry` outlives it.
/// True when the list changed beyond a refreshed expiry.
fn upsert<T, const N: usize>(
    list: &mut heapless::Vec<T, N>,
    entry: T,
    same: impl Fn(&T) -> bool,
    expires: impl Fn(&T) -> Option<Instant>,
) -> bool {
    if let Some(e) = list.iter_mut().find(|e| same(e)) {
        *e = entry;
        return false;
    }
    let Err(entry) = list.push(entry) else {
        return true;
    };
    // Infinity (None) sorts last: it is never the one to go.
    let key = |e: &T| expires(e).map_or((1, Instant::ZERO), |t| (0, t));
    let Some((i, first)) = list.iter().enumerate().min_by_key(|(_, e)| key(e)) else {
        return false;
    };
    if key(&entry) <= key(first) {
        return false;
    }
    if let Some(slot) = list.get_mut(i) {
        *slot = entry;
    }
    true
}

impl DnsConfig {
    /// No servers, no domains.
    pub const fn new() -> DnsConfig {
        DnsConfig {
            servers: heapless::Vec::new(),
            domains: heapless::Vec::new(),
        }
    }

    /// An RDNSS option of a valid RA (RFC 8106 §5.3.1); true when the
    /// server list changed (an address added or removed).
    pub fn rdnss(&mut self, option: &Rdnss<'_>, now: Instant) -> bool {
        let mut changed = false;
        for addr in option.servers() {
            // RFC 8106 §5.1: addresses a resolver cannot use are not servers.
            if addr.is_unspecified() || addr.is_multicast() || addr.is_loopback() {
                continue;
            }
            if option.lifetime == 0 {
                let before = self.servers.len();
                self.servers.retain(|s| s.addr != addr);
                changed |= self.servers.len() != before;
                continue;
            }
            let server = DnsServer {
                addr,
                expires_at: expiry(option.lifetime, now),
            };
            changed |= upsert(
                &mut self.servers,
                server,
                |s| s.addr == addr,
                |s| s.expires_at,
            );
        }
        changed
    }

    /// A DNSSL option of a valid RA (RFC 8106 §5.3.1); true when the
    /// domain list changed. A malformed name ends the walk (the names
    /// before it are kept, RFC 8106 §5.2 gives no other rule): returns the
    /// walk's error with the change flag.
    pub fn dnssl(
        &mut self,
        option: &Dnssl<'_>,
        now: Instant,
    ) -> (bool, Option<crate::wire::Error>) {
        let mut changed = false;
        for name in option.domains() {
            let name = match name {
                Ok(n) => n,
                Err(e) => return (changed, Some(e)),
            };
            let wire = name.as_bytes();
            let same = |d: &SearchDomain| d.name().as_bytes().eq_ignore_ascii_case(wire);
            if option.lifetime == 0 {
                let before = self.domains.len();
                self.domains.retain(|d| !same(d));
                changed |= self.domains.len() != before;
                continue;
            }
            let mut stored = [0u8; NAME_CAP];
            let Some(slot) = stored.get_mut(..wire.len()) else {
                continue;
            };
            slot.copy_from_slice(wire);
            let domain = SearchDomain {
                wire: stored,
                // A checked name is at most 255 bytes.
                len: u8::try_from(wire.len()).unwrap_or(u8::MAX),
                expires_at: expiry(option.lifetime, now),
            };
            changed |= upsert(&mut self.domains, domain, same, |d| d.expires_at);
        }
        (changed, None)
    }

    /// Removes what expired at `now`; true when something went.
    pub fn expire(&mut self, now: Instant) -> bool {
        let live = |t: &Option<Instant>| t.is_none_or(|t| now < t);
        // Asked every poll: look before rewriting the lists.
        if self.servers.iter().all(|s| live(&s.expires_at))
            && self.domains.iter().all(|d| live(&d.expires_at))
        {
            return false;
        }
        let before = self.servers.len() + self.domains.len();
        self.servers.retain(|s| live(&s.expires_at));
        self.domains.retain(|d| live(&d.expires_at));
        self.servers.len() + self.domains.len() != before
    }

    /// The next expiry.
    pub fn poll_at(&self) -> Option<Instant> {
        let servers = self.servers.iter().filter_map(|s| s.expires_at);
        let domains = self.domains.iter().filter_map(|d| d.expires_at);
        servers.chain(domains).min()
    }

    /// The DNS servers valid at `now`, in the order they were learnt.
    pub fn servers(&self, now: Instant) -> impl Iterator<Item = &DnsServer> + '_ {
        self.servers
            .iter()
            .filter(move |s| s.expires_at.is_none_or(|t| now < t))
    }

    /// The search domains valid at `now`, in the order they were learnt.
    pub fn domains(&self, now: Instant) -> impl Iterator<Item = &SearchDomain> + '_ {
        self.domains
            .iter()
            .filter(move |d| d.expires_at.is_none_or(|t| now < t))
    }
}

#[cfg(test)]
mod tests;
