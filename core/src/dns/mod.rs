//! A DNS stub resolver (RFC 1035 §7, RFC 1123 §6.1.3): A and AAAA lookups
//! through the recursive servers the network gave (DHCPv4 option 6, IPv6
//! RDNSS) or the caller's, with retransmissions, timeouts and failover
//! from one server to the next.
//!
//! Sans-IO like the rest of the core: the [`Resolver`] holds the queries
//! in flight in caller memory and never reads a clock. It is driven by
//! [`Resolver::poll`] over a bound [`UdpSocket`] of the socket set, or, for
//! any other transport (the std runtime's UDP socket, an async one), by
//! [`dispatch`](Resolver::dispatch) (datagrams to send),
//! [`process`](Resolver::process) (a datagram received) and
//! [`poll_at`](Resolver::poll_at) (when to come back).
//!
//! ```
//! use rstcp::dns::{QueryType, Resolver, ResolverConfig};
//! use rstcp::time::Instant;
//! use rstcp::wire::{IpAddr, IpEndpoint, Ipv4Addr};
//!
//! let mut slots = [None, None];
//! let mut resolver = Resolver::new(&mut slots[..], ResolverConfig::default(), 42);
//! resolver.set_servers(&[IpAddr::V4(Ipv4Addr::new(192, 168, 69, 100))]);
//! let now = Instant::ZERO;
//! let query = resolver.start_query("example.com", QueryType::A).unwrap();
//! resolver.dispatch(now, |server: IpEndpoint, datagram: &[u8]| {
//!     assert_eq!(server.port, 53);
//!     true // handed to the network
//! });
//! assert!(resolver.result(query).is_pending());
//! ```
//!
//! The answer is trusted only if it comes from the server asked, from port
//! 53, with the ID and the question we sent (RFC 5452 §9.1). The IDs are
//! drawn from the seed, which must be random; the local port is the
//! caller's socket's, which should be a random ephemeral one (RFC 5452
//! §9.2).

mod answer;
#[cfg(test)]
mod tests;

use core::task::Poll;

use heapless::Vec;
use managed::ManagedSlice;

use crate::rand::Rng;
use crate::socket::udp::{UdpMetadata, UdpSocket};
use crate::time::{Duration, Instant};
use crate::wire::dns::{encode_name, QueryRepr, MAX_NAME_LEN, MAX_UDP_LEN, PORT};
use crate::wire::{IpAddr, IpEndpoint};

pub use self::answer::Answer;

/// The most servers a resolver asks, in order.
pub const MAX_SERVERS: usize = 4;

/// The most addresses kept of one answer.
pub const MAX_ADDRESSES: usize = 4;

/// The record type a query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QueryType {
    /// IPv4 addresses.
    A,
    /// IPv6 addresses (RFC 3596).
    Aaaa,
}

/// Why a lookup gave no address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ResolveError {
    /// The name does not exist (NXDOMAIN).
    NoSuchName,
    /// The name exists but has no address of the type asked for (NODATA).
    NoAddress,
    /// No server answered within the attempts, or every one failed.
    TimedOut,
}

impl core::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ResolveError::NoSuchName => "no such name",
            ResolveError::NoAddress => "the name has no address of that family",
            ResolveError::TimedOut => "no DNS server answered",
        })
    }
}

impl core::error::Error for ResolveError {}

/// Why a query could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StartError {
    /// No server to ask: none configured, and the network gave none.
    NoServers,
    /// Not a host name: an empty label, one over 63 bytes, or over 255 in
    /// all (RFC 1035 §2.3.4).
    InvalidName,
    /// Every query slot is taken.
    Full,
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            StartError::NoServers => "no DNS server known",
            StartError::InvalidName => "not a valid domain name",
            StartError::Full => "too many DNS queries in flight",
        })
    }
}

impl core::error::Error for StartError {}

/// The retransmission schedule (RFC 1123 §6.1.3.3: "the retransmission
/// interval should be based on statistics ... 2-5 seconds" and the
/// servers asked in turn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResolverConfig {
    /// How long to wait for the first server's answer; doubled at every
    /// round over the servers.
    pub timeout: Duration,
    /// Rounds over the server list before a query times out (each server
    /// is asked this many times).
    pub attempts: u8,
}

impl Default for ResolverConfig {
    /// 2 s, two rounds: glibc's resolver waits 5 s per try, two tries; a
    /// stub on a LAN gets its answers in milliseconds.
    fn default() -> ResolverConfig {
        ResolverConfig {
            timeout: Duration::from_secs(2),
            attempts: 2,
        }
    }
}

/// A query in flight, or its result until taken; one per slot.
#[derive(Debug, Clone)]
pub struct Query {
    name: Vec<u8, MAX_NAME_LEN>,
    qtype: QueryType,
    id: u16,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    Pending {
        /// Which server is asked (an index into the server list).
        server: usize,
        /// The round over the server list.
        round: u8,
        /// None: send at the next dispatch; else when to give up on this
        /// server.
        deadline: Option<Instant>,
    },
    Done(Result<Answer, ResolveError>),
}

/// A query's place in the resolver, to read its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QueryHandle(usize);

/// The stub resolver: queries in caller slots, the servers, the schedule.
#[derive(Debug)]
pub struct Resolver<'a> {
    slots: ManagedSlice<'a, Option<Query>>,
    servers: Vec<IpAddr, MAX_SERVERS>,
    config: ResolverConfig,
    rng: Rng,
}

impl<'a> Resolver<'a> {
    /// A resolver with one query slot per entry of `slots` (an A and an
    /// AAAA lookup of one name take two), no servers yet, and a random
    /// `seed` for the transaction IDs.
    pub fn new<S>(slots: S, config: ResolverConfig, seed: u64) -> Resolver<'a>
    where
        S: Into<ManagedSlice<'a, Option<Query>>>,
    {
        let mut slots = slots.into();
        for s in slots.iter_mut() {
            *s = None;
        }
        Resolver {
            slots,
            servers: Vec::new(),
            config: ResolverConfig {
                attempts: config.attempts.max(1),
                ..config
            },
            rng: Rng::new(seed),
        }
    }

    /// Sets the servers to ask, in order; past [`MAX_SERVERS`] the rest
    /// are ignored, and so are repeats and unspecified addresses. Queries
    /// in flight go on with the new list from their current position.
    pub fn set_servers(&mut self, servers: &[IpAddr]) {
        self.servers.clear();
        for s in servers {
            if !s.is_unspecified() && !self.servers.contains(s) {
                let _ = self.servers.push(*s);
            }
        }
    }

    /// The servers asked, in order.
    pub fn servers(&self) -> &[IpAddr] {
        &self.servers
    }

    /// Starts looking up `name` (dotted; a trailing dot allowed); the first
    /// datagram leaves at the next [`dispatch`](Self::dispatch) or
    /// [`poll`](Self::poll).
    pub fn start_query(&mut self, name: &str, qtype: QueryType) -> Result<QueryHandle, StartError> {
        if self.servers.is_empty() {
            return Err(StartError::NoServers);
        }
        let mut wire = [0u8; MAX_NAME_LEN];
        let len = encode_name(name, &mut wire).map_err(|_| StartError::InvalidName)?;
        let slot = self
            .slots
            .iter()
            .position(Option::is_none)
            .ok_or(StartError::Full)?;
        let mut stored = Vec::new();
        // encode_name's result fits MAX_NAME_LEN.
        stored
            .extend_from_slice(&wire[..len])
            .map_err(|_| StartError::InvalidName)?;
        let id = self.rng.next_u32() as u16;
        self.slots[slot] = Some(Query {
            name: stored,
            qtype,
            id,
            state: State::Pending {
                server: 0,
                round: 0,
                deadline: None,
            },
        });
        net_debug!("dns: query {} for {} type {:?}", id, name, qtype);
        Ok(QueryHandle(slot))
    }

    /// The query's result: `Pending` while it runs. A result is handed out
    /// once, and frees the slot; so does a handle that names no query.
    pub fn result(&mut self, handle: QueryHandle) -> Poll<Result<Answer, ResolveError>> {
        let Some(slot) = self.slots.get_mut(handle.0) else {
            return Poll::Ready(Err(ResolveError::TimedOut));
        };
        match slot {
            Some(Query {
                state: State::Pending { .. },
                ..
            }) => Poll::Pending,
            Some(Query {
                state: State::Done(_),
                ..
            }) => match slot.take().map(|q| q.state) {
                Some(State::Done(r)) => Poll::Ready(r),
                _ => Poll::Ready(Err(ResolveError::TimedOut)),
            },
            None => Poll::Ready(Err(ResolveError::TimedOut)),
        }
    }

    /// Forgets a query (its late answer will be ignored).
    pub fn cancel(&mut self, handle: QueryHandle) {
        if let Some(slot) = self.slots.get_mut(handle.0) {
            *slot = None;
        }
    }

    /// When [`dispatch`](Self::dispatch) has something to do: a datagram to
    /// send (now) or a server to give up on; `None` with nothing in flight.
    pub fn poll_at(&self) -> Option<Instant> {
        self.slots
            .iter()
            .flatten()
            .filter_map(|q| match q.state {
                State::Pending { deadline, .. } => Some(deadline.unwrap_or(Instant::ZERO)),
                State::Done(_) => None,
            })
            .min()
    }

    /// Sends what is due: each query not yet sent, or whose server's time
    /// ran out (then the next server is asked, and after the last one the
    /// first again with twice the wait, RFC 1035 §4.2.1). `send(server,
    /// datagram)` returns false when the datagram could not be taken (a
    /// full buffer): it is tried again at the next call.
    pub fn dispatch<F>(&mut self, now: Instant, mut send: F)
    where
        F: FnMut(IpEndpoint, &[u8]) -> bool,
    {
        let n_servers = self.servers.len();
        let config = self.config;
        for q in self.slots.iter_mut().flatten() {
            let State::Pending {
                server,
                round,
                deadline,
            } = &mut q.state
            else {
                continue;
            };
            if n_servers == 0 {
                q.state = State::Done(Err(ResolveError::TimedOut));
                continue;
            }
            if let Some(d) = *deadline {
                if now < d {
                    continue;
                }
                // This server had its time: the next one, or a new round.
                *server += 1;
                *deadline = None;
            }
            if *server >= n_servers {
                *server = 0;
                *round += 1;
            }
            if *round >= config.attempts {
                net_debug!("dns: query {} timed out", q.id);
                q.state = State::Done(Err(ResolveError::TimedOut));
                continue;
            }
            let mut buf = [0u8; MAX_UDP_LEN];
            let repr = QueryRepr {
                id: q.id,
                name: &q.name,
                qtype: q.qtype.record_type(),
            };
            let Ok(len) = repr.emit(&mut buf) else {
                q.state = State::Done(Err(ResolveError::TimedOut));
                continue;
            };
            let to = IpEndpoint::new(self.servers[*server], PORT);
            if send(to, &buf[..len]) {
                let wait = config.timeout.saturating_mul(1 << (*round).min(16));
                *deadline = Some(now + wait);
            }
        }
    }

    /// Takes a datagram received from `from`: an answer to a query in
    /// flight completes it, or moves it on to the next server at once
    /// (SERVFAIL, REFUSED, a truncated answer); anything else is ignored.
    pub fn process(&mut self, from: IpEndpoint, datagram: &[u8]) {
        if from.port != PORT {
            return;
        }
        let Some(from_index) = self.servers.iter().position(|s| *s == from.addr) else {
            return;
        };
        for q in self.slots.iter_mut().flatten() {
            let State::Pending {
                server,
                round,
                deadline,
            } = &mut q.state
            else {
                continue;
            };
            // RFC 5452 §9.1: only a server this query was sent to (a slow
            // one's late answer is as good as the next one's).
            let asked =
                *round > 0 || from_index < *server || (from_index == *server && deadline.is_some());
            if !asked {
                continue;
            }
            match answer::judge(datagram, q.id, &q.name, q.qtype) {
                answer::Verdict::NotOurs => continue,
                answer::Verdict::Resolved(a) => q.state = State::Done(Ok(a)),
                answer::Verdict::Failed(e) => q.state = State::Done(Err(e)),
                // As if its time ran out, now; a late failure from a
                // server already left behind changes nothing.
                answer::Verdict::TryNext if from_index == *server => {
                    *server += 1;
                    *deadline = None;
                }
                answer::Verdict::TryNext => {}
            }
            return;
        }
    }

    /// Tells the resolver that `server` cannot be reached (an ICMP
    /// destination or port unreachable for a query sent to it, RFC 1122
    /// §4.1.3.3): every query waiting on it asks the next server at the
    /// next dispatch instead of waiting out its time.
    pub fn server_failed(&mut self, server: IpAddr) {
        let Some(index) = self.servers.iter().position(|s| *s == server) else {
            return;
        };
        for q in self.slots.iter_mut().flatten() {
            if let State::Pending {
                server,
                deadline: deadline @ Some(_),
                ..
            } = &mut q.state
            {
                if *server == index {
                    *server += 1;
                    *deadline = None;
                }
            }
        }
    }

    /// Drives the resolver over a bound UDP socket of the socket set:
    /// every datagram waiting is processed (those not from a server are
    /// dropped), then what is due is sent. Call it with the interface's
    /// poll, and come back by [`poll_at`](Self::poll_at).
    pub fn poll(&mut self, now: Instant, socket: &mut UdpSocket<'_>) {
        while let Ok((datagram, meta)) = socket.recv() {
            self.process(meta.endpoint, datagram);
        }
        if socket.take_error().is_some() {
            // Reported for the last datagram the socket sent (its server).
            if let Some(last) = socket.last_destination() {
                self.server_failed(last.addr);
            }
        }
        self.dispatch(now, |to, datagram| {
            socket.send_slice(datagram, UdpMetadata::from(to)).is_ok()
        });
    }
}
