//! A sans-IO DHCPv4 client (RFC 2131, options from RFC 2132), with RFC 5227
//! address conflict detection of the offered address.
//!
//! [`Dhcpv4Client`] owns no buffer and no clock. The interface drives it like
//! a socket:
//!
//! - on every poll, [`dispatch`](Dhcpv4Client::dispatch)`(now, f)`: when a
//!   message (or an ARP probe/announcement) is due, the client builds it and
//!   calls `f` once with a [`DhcpOutput`]; the interface wraps a `Message` in
//!   UDP 68 → 67, IPv4 `src` → `dst` (Ethernet broadcast for
//!   255.255.255.255, the neighbor cache otherwise) and an `ArpProbe` /
//!   `ArpAnnounce` in an ARP request. The client's state only advances when
//!   `f` returns `Ok`, so a busy device just delays the message to a later
//!   poll;
//! - every DHCP message received on UDP port 68 (whatever its IP destination:
//!   before the client is configured the server may unicast to the offered
//!   address) goes to [`process`](Dhcpv4Client::process);
//! - every ARP packet seen goes to [`process_arp`](Dhcpv4Client::process_arp)
//!   (only used while the offered address is being probed);
//! - [`poll_at`](Dhcpv4Client::poll_at) says when to call `dispatch` next;
//! - [`poll_event`](Dhcpv4Client::poll_event) hands out what the interface
//!   must act on: set the address, route and DNS servers on
//!   [`Configured`](Dhcpv4Event::Configured) /
//!   [`Renewed`](Dhcpv4Event::Renewed), remove them on
//!   [`Deconfigured`](Dhcpv4Event::Deconfigured).
//!
//! States (RFC 2131 §4.4, Figure 5), with INIT folded into SELECTING (the
//! first DISCOVER goes out on the first `dispatch`) and two added for
//! RFC 5227: PROBING (between the ACK and BOUND) and the wait after a DECLINE.
//!
//! Randomness (transaction IDs, retransmission jitter, probe spacing) comes
//! from a xorshift generator seeded by the caller, never from the OS.
//!
//! Deliberate simplifications, each a MAY or a SHOULD of RFC 2131:
//! - the first OFFER that passes the checks is taken (§4.4.1 lets a client
//!   collect several);
//! - no 1–10 s random wait before the first DISCOVER (§4.4.1 SHOULD): an
//!   embedded device wants its address now, and the transaction ID is already
//!   random; the retransmissions are jittered as §4.1 says;
//! - DHCPINFORM, FORCERENEW and option overload are not used.

use heapless::{Deque, Vec};

use crate::time::{Duration, Instant};
use crate::wire::dhcpv4::{DhcpMessageType, DhcpRepr, MAX_DNS_SERVERS};
use crate::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

/// The longest client identifier (option 61) [`Dhcpv4Config`] holds.
pub const MAX_CLIENT_ID_LEN: usize = 32;
/// The longest host name (option 12) [`Dhcpv4Config`] holds: one DNS label
/// is at most 63 bytes (RFC 1035 §2.3.4).
pub const MAX_HOSTNAME_LEN: usize = 63;
/// The longest parameter request list (option 55) [`Dhcpv4Config`] holds.
pub const MAX_PARAMETER_REQUEST_LEN: usize = 16;
/// How many events wait in the queue; when full, the oldest is dropped.
pub const EVENT_QUEUE_LEN: usize = 4;

/// The parameter request list sent by default: subnet mask, router, DNS,
/// domain name, lease time, server identifier, T1, T2 (RFC 2132 codes).
pub const DEFAULT_PARAMETER_REQUEST_LIST: [u8; 8] = [1, 3, 6, 15, 51, 54, 58, 59];

// RFC 2131 §4.1: the first retransmission after 4 s, doubling up to 64 s,
// each randomized by a uniform value in -1..+1 s.
const RETRANSMIT_BASE: Duration = Duration::from_secs(4);
const RETRANSMIT_MAX: Duration = Duration::from_secs(64);
const JITTER_MICROS: u64 = 1_000_000;
// RFC 2131 §3.1 (step 5): a client "might retransmit the DHCPREQUEST message
// four times, for a total delay of 60 seconds, before restarting the
// initialization procedure": five transmissions in all.
const MAX_REQUEST_TRANSMISSIONS: u8 = 5;
// RFC 2131 §3.2 gives no count for INIT-REBOOT. Three transmissions (about
// 28 s with the §4.1 backoff) before falling back to DISCOVER, so that a
// device moved to another network is not stuck for a minute.
const MAX_REBOOT_TRANSMISSIONS: u8 = 3;
// RFC 2131 §4.4.5: in RENEWING and REBINDING, retransmit after half the time
// left until T2 / expiry, "down to a minimum of 60 seconds".
const MIN_RENEW_RETRANSMIT: Duration = Duration::from_secs(60);
// RFC 2131 §3.1.5: after a DECLINE "the client SHOULD wait a minimum of ten
// seconds before restarting the configuration process".
const DECLINE_WAIT: Duration = Duration::from_secs(10);
// RFC 5227 §1.1 / §2.1.1: after MAX_CONFLICTS conflicts, at most one attempt
// per RATE_LIMIT_INTERVAL.
const MAX_CONFLICTS: u8 = 10;
const RATE_LIMIT_INTERVAL: Duration = Duration::from_secs(60);
// RFC 5227 §1.1 constants.
const PROBE_WAIT: Duration = Duration::from_secs(1);
const PROBE_NUM: u8 = 3;
const PROBE_MIN: Duration = Duration::from_secs(1);
const PROBE_MAX: Duration = Duration::from_secs(2);
const ANNOUNCE_WAIT: Duration = Duration::from_secs(2);
const ANNOUNCE_NUM: u8 = 2;
const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(2);

/// A time before any `now`: "as soon as dispatch is called".
const IMMEDIATELY: Instant = Instant::from_micros(i64::MIN);

/// What the client sends as option 61 (RFC 2132 §9.14).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientIdentifier {
    /// Type 1 (Ethernet, RFC 1700 hardware type) followed by the MAC: what
    /// most clients send, so the server keys the lease on the MAC.
    #[default]
    HardwareAddress,
    /// These bytes, type byte first. Fewer than 2 bytes (RFC 2132 §9.14's
    /// minimum length) means no option 61.
    Custom(Vec<u8, MAX_CLIENT_ID_LEN>),
    /// No option 61: the server keys the lease on `chaddr` (RFC 2131 §4.2).
    Omit,
}

/// How a [`Dhcpv4Client`] behaves. `Default` gives the usual client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcpv4Config {
    /// Option 61, sent in every message (RFC 2131 Table 5: MAY in all).
    pub client_identifier: ClientIdentifier,
    /// Option 12 in DISCOVER and REQUEST; `None` (or empty) sends none.
    pub hostname: Option<Vec<u8, MAX_HOSTNAME_LEN>>,
    /// A previously held address: the client starts in INIT-REBOOT
    /// (RFC 2131 §3.2, §4.4.2) and asks for it with a broadcast REQUEST. If
    /// nobody answers it falls back to DISCOVER, still suggesting the
    /// address in option 50 (§4.4.1 MAY) until a server NAKs it.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 55, sent in DISCOVER and REQUEST (RFC 2131 §4.4.1: a list
    /// sent in DISCOVER MUST be in the REQUESTs too); empty sends none.
    pub parameter_request_list: Vec<u8, MAX_PARAMETER_REQUEST_LEN>,
    /// Shortens every lease to at most this. When it applies, T1 and T2 are
    /// derived from the shortened lease (the server's T1/T2 were relative to
    /// its longer one).
    pub max_lease_duration: Option<Duration>,
    /// Ignore DHCPNAK (for networks with a rogue server NAKing everything);
    /// the lease then only ends by expiry.
    pub ignore_naks: bool,
    /// Probe the offered address with ARP before using it and announce it
    /// after (RFC 5227 §2.1, §2.3; RFC 2131 §2.2 "SHOULD probe"). Turn off
    /// for links without ARP.
    pub arp_probe: bool,
    /// Set the BROADCAST flag in DISCOVER and in REQUESTs sent without an
    /// address (RFC 2131 §4.1: a client that cannot receive unicast
    /// datagrams before it is configured SHOULD). Off if the interface
    /// accepts UDP port 68 on any destination address.
    pub broadcast_flag: bool,
    /// Option 57 in DISCOVER and REQUEST (RFC 2132 §9.10; at least 576).
    pub max_message_size: Option<u16>,
}

impl Default for Dhcpv4Config {
    fn default() -> Self {
        let mut prl = Vec::new();
        // Cannot fail: 8 codes fit in MAX_PARAMETER_REQUEST_LEN.
        let _ = prl.extend_from_slice(&DEFAULT_PARAMETER_REQUEST_LIST);
        Dhcpv4Config {
            client_identifier: ClientIdentifier::HardwareAddress,
            hostname: None,
            requested_ip: None,
            parameter_request_list: prl,
            max_lease_duration: None,
            ignore_naks: false,
            arp_probe: true,
            broadcast_flag: true,
            max_message_size: None,
        }
    }
}

/// A committed lease: what the interface configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// `yiaddr` with the prefix of option 1. A missing, non-contiguous or
    /// all-zero mask gives /32: only the address itself is on-link, and the
    /// router is then reached directly by ARP (RFC 4632 ended classful
    /// defaults, so no network is guessed).
    pub address: Ipv4Cidr,
    /// The first router of option 3.
    pub router: Option<Ipv4Addr>,
    /// Option 6, the first [`MAX_DNS_SERVERS`].
    pub dns_servers: Vec<Ipv4Addr, MAX_DNS_SERVERS>,
    /// The server identifier (option 54): RENEW and RELEASE go there.
    pub server: Ipv4Addr,
    /// Option 51 (shortened by `max_lease_duration`); 0xffffffff s, infinity
    /// (RFC 2131 §3.3), is [`Duration::MAX`].
    pub lease_duration: Duration,
    /// When the acknowledged REQUEST was sent: RFC 2131 §4.4.1 counts the
    /// lease from the request, not from the reply. The latest transmission
    /// of the transaction is used (retransmissions share the `xid`).
    pub acquired_at: Instant,
    /// T1: RENEWING starts (option 58, default half the lease, §4.4.5).
    pub renew_at: Instant,
    /// T2: REBINDING starts (option 59, default 0.875 of the lease, §4.4.5).
    pub rebind_at: Instant,
    /// The lease ends; the address must no longer be used.
    pub expires_at: Instant,
}

/// What the interface must act on, from [`Dhcpv4Client::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dhcpv4Event {
    /// A new lease: configure the address, route and DNS servers.
    Configured(Lease),
    /// The lease was extended by a RENEWING or REBINDING ACK: same address,
    /// new times, and possibly a new router, DNS list or server.
    Renewed(Lease),
    /// The lease ended (expiry, NAK, release or reset): remove the address.
    Deconfigured,
    /// The offered address is used by another host (RFC 5227): declined.
    Conflict(Ipv4Addr),
}

/// The client's state, for status displays and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Dhcpv4State {
    /// INIT/SELECTING: sending DISCOVER, waiting for an OFFER.
    Selecting,
    /// REQUESTING: REQUEST sent for the chosen OFFER.
    Requesting,
    /// INIT-REBOOT/REBOOTING: asking for `requested_ip` again.
    Rebooting,
    /// ACKed, probing the address with ARP (RFC 5227 §2.1).
    Probing,
    /// DECLINE pending after a conflict.
    Declining,
    /// Waiting after a DECLINE before restarting (RFC 2131 §3.1.5).
    Waiting,
    /// BOUND: the lease is in use.
    Bound,
    /// RENEWING: unicast REQUESTs to the server after T1.
    Renewing,
    /// REBINDING: broadcast REQUESTs after T2.
    Rebinding,
    /// RELEASE pending.
    Releasing,
    /// Released: idle until [`Dhcpv4Client::reset`].
    Stopped,
}

/// What [`Dhcpv4Client::dispatch`] asks the interface to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DhcpOutput<'a> {
    /// A DHCP message in UDP from port 68 to port 67, IPv4 `src` → `dst`.
    Message {
        /// The IPv4 source: 0.0.0.0 until an address is bound.
        src: Ipv4Addr,
        /// The IPv4 destination: 255.255.255.255 or the server.
        dst: Ipv4Addr,
        /// The message, to `emit` into the UDP payload.
        repr: DhcpRepr<'a>,
    },
    /// An ARP probe (RFC 5227 §2.1.1): a broadcast ARP request with the
    /// interface's MAC as sender hardware address, sender IP 0.0.0.0, target
    /// hardware address zero and this target IP.
    ArpProbe {
        /// The address being probed.
        target: Ipv4Addr,
    },
    /// An ARP announcement (RFC 5227 §2.3): a broadcast ARP request whose
    /// sender and target IP are both `address`.
    ArpAnnounce {
        /// The address just claimed.
        address: Ipv4Addr,
    },
}

/// xorshift64: small, fast, seeded by the caller (the crate never asks the
/// OS for randomness). Not cryptographic, and need not be: it only spreads
/// transaction IDs and retransmission times.
#[derive(Debug, Clone, Copy)]
struct XorShift64 {
    state: u64,
}

impl XorShift64 {
    fn new(seed: u64) -> Self {
        // One splitmix64 step, so that seeds 0, 1, 2... give unrelated,
        // non-zero states (xorshift is stuck at zero).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        XorShift64 {
            state: if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z },
        }
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in `0..=max` (the modulo bias is below 2^-40 for the
    /// microsecond spans used here).
    fn up_to(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(n) => self.next_u64() % n,
            None => self.next_u64(),
        }
    }
}

/// One exchange: its `xid`, when it started (for `secs`) and its
/// retransmission timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Txn {
    xid: u32,
    /// First transmission of the acquisition or renewal (RFC 2131 §2 `secs`).
    started: Option<Instant>,
    /// Transmissions so far in this state.
    sent: u8,
    next_tx: Instant,
    last_sent: Instant,
}

impl Txn {
    fn new(rng: &mut XorShift64) -> Txn {
        Txn {
            xid: rng.next_u32(),
            started: None,
            sent: 0,
            next_tx: IMMEDIATELY,
            last_sent: IMMEDIATELY,
        }
    }

    /// The same exchange in its next state (SELECTING → REQUESTING keeps the
    /// `xid` and the `secs` origin, RFC 2131 §4.4.1), sending at once.
    fn continued(self) -> Txn {
        Txn {
            sent: 0,
            next_tx: IMMEDIATELY,
            ..self
        }
    }

    fn secs(&self, now: Instant) -> u16 {
        let elapsed = match self.started {
            Some(s) => (now - s).secs(),
            None => 0,
        };
        u16::try_from(elapsed).unwrap_or(u16::MAX)
    }

    fn after_send(self, now: Instant, delay: Duration) -> Txn {
        Txn {
            started: Some(self.started.unwrap_or(now)),
            sent: self.sent.saturating_add(1),
            next_tx: now + delay,
            last_sent: now,
            ..self
        }
    }
}

/// RFC 2131 §4.1: 4, 8, 16, 32, 64, 64... s after the 1st, 2nd... transmission,
/// each ± a uniform 1 s.
fn backoff(sent_before: u8, rng: &mut XorShift64) -> Duration {
    let doublings = u32::from(sent_before.min(4));
    let base = (RETRANSMIT_BASE * (1u32 << doublings)).min(RETRANSMIT_MAX);
    let jitter = rng.up_to(2 * JITTER_MICROS);
    base - Duration::from_micros(JITTER_MICROS) + Duration::from_micros(jitter)
}

/// RFC 2131 §4.4.5: half of what is left until `deadline`, at least 60 s.
fn half_remaining(now: Instant, deadline: Instant) -> Duration {
    ((deadline - now) / 2).max(MIN_RENEW_RETRANSMIT)
}

/// An address a server may hand out to a host.
fn is_host_address(a: Ipv4Addr) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Selecting(Txn),
    Requesting {
        txn: Txn,
        address: Ipv4Addr,
        server: Ipv4Addr,
    },
    Rebooting {
        txn: Txn,
        address: Ipv4Addr,
    },
    Probing {
        lease: Lease,
        xid: u32,
        sent: u8,
        next: Instant,
    },
    Declining {
        address: Ipv4Addr,
        server: Ipv4Addr,
        xid: u32,
    },
    Waiting {
        until: Instant,
    },
    Bound {
        lease: Lease,
        announce_left: u8,
        next_announce: Instant,
    },
    Renewing {
        lease: Lease,
        txn: Txn,
    },
    Rebinding {
        lease: Lease,
        txn: Txn,
    },
    Releasing {
        lease: Lease,
    },
    Stopped,
}

/// The owned description of a message to send; rendered into a
/// [`DhcpRepr`] borrowing the configured byte strings.
#[derive(Debug, Clone, Copy)]
struct Msg {
    kind: DhcpMessageType,
    xid: u32,
    secs: u16,
    ciaddr: Ipv4Addr,
    broadcast: bool,
    requested_ip: Option<Ipv4Addr>,
    server_id: Option<Ipv4Addr>,
    /// Options 55, 12 and 57: RFC 2131 Table 5 forbids them in DECLINE and
    /// RELEASE.
    params: bool,
    src: Ipv4Addr,
    dst: Ipv4Addr,
}

#[derive(Debug, Clone, Copy)]
enum Tx {
    Msg(Msg),
    Probe(Ipv4Addr),
    Announce(Ipv4Addr),
}

/// A DHCPv4 client: the state machine of RFC 2131 §4.4 with the RFC 5227
/// probe. No heap; see the module docs for how the interface drives it.
#[derive(Debug, Clone)]
pub struct Dhcpv4Client {
    config: Dhcpv4Config,
    hardware_address: EthernetAddress,
    client_id: Vec<u8, MAX_CLIENT_ID_LEN>,
    /// Option 50 for DISCOVER: `config.requested_ip` until a NAK.
    hint: Option<Ipv4Addr>,
    rng: XorShift64,
    phase: Phase,
    /// Conflicts since the last successful bind (RFC 5227 rate limit).
    conflicts: u8,
    events: Deque<Dhcpv4Event, EVENT_QUEUE_LEN>,
}

impl Dhcpv4Client {
    /// A client for the interface with this MAC. `random_seed` seeds the
    /// generator of transaction IDs and jitter: give each device a different
    /// one (e.g. from a hardware RNG or the MAC and a boot counter) so that
    /// devices booting together do not retransmit in lockstep.
    pub fn new(
        config: Dhcpv4Config,
        hardware_address: EthernetAddress,
        random_seed: u64,
    ) -> Dhcpv4Client {
        let mut client_id = Vec::new();
        match &config.client_identifier {
            ClientIdentifier::HardwareAddress => {
                // RFC 2132 §9.14: type 1 (Ethernet) then the MAC; 7 bytes fit.
                let _ = client_id.push(1);
                let _ = client_id.extend_from_slice(hardware_address.as_bytes());
            }
            ClientIdentifier::Custom(bytes) if bytes.len() >= 2 => {
                client_id = bytes.clone();
            }
            ClientIdentifier::Custom(_) | ClientIdentifier::Omit => {}
        }
        let mut client = Dhcpv4Client {
            hint: config.requested_ip,
            config,
            hardware_address,
            client_id,
            rng: XorShift64::new(random_seed),
            phase: Phase::Stopped,
            conflicts: 0,
            events: Deque::new(),
        };
        client.phase = client.initial_phase();
        client
    }

    /// INIT-REBOOT when an address is remembered, INIT otherwise.
    fn initial_phase(&mut self) -> Phase {
        let txn = Txn::new(&mut self.rng);
        match self.config.requested_ip {
            Some(address) => Phase::Rebooting { txn, address },
            None => Phase::Selecting(txn),
        }
    }

    fn restart(&mut self) -> Phase {
        Phase::Selecting(Txn::new(&mut self.rng))
    }

    /// The state, for display and tests.
    pub fn state(&self) -> Dhcpv4State {
        match self.phase {
            Phase::Selecting(_) => Dhcpv4State::Selecting,
            Phase::Requesting { .. } => Dhcpv4State::Requesting,
            Phase::Rebooting { .. } => Dhcpv4State::Rebooting,
            Phase::Probing { .. } => Dhcpv4State::Probing,
            Phase::Declining { .. } => Dhcpv4State::Declining,
            Phase::Waiting { .. } => Dhcpv4State::Waiting,
            Phase::Bound { .. } => Dhcpv4State::Bound,
            Phase::Renewing { .. } => Dhcpv4State::Renewing,
            Phase::Rebinding { .. } => Dhcpv4State::Rebinding,
            Phase::Releasing { .. } => Dhcpv4State::Releasing,
            Phase::Stopped => Dhcpv4State::Stopped,
        }
    }

    /// The lease in use (BOUND, RENEWING, REBINDING, or until the RELEASE is
    /// sent); `None` while acquiring or probing.
    pub fn lease(&self) -> Option<&Lease> {
        match &self.phase {
            Phase::Bound { lease, .. }
            | Phase::Renewing { lease, .. }
            | Phase::Rebinding { lease, .. }
            | Phase::Releasing { lease } => Some(lease),
            _ => None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Dhcpv4Config {
        &self.config
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Dhcpv4Event> {
        self.events.pop_front()
    }

    fn push_event(&mut self, event: Dhcpv4Event) {
        // Bounded queue: an interface that never reads events loses the
        // oldest, never memory. Each lease event carries the whole lease, so
        // the newest ones are enough to resynchronise.
        if self.events.is_full() {
            let _ = self.events.pop_front();
        }
        let _ = self.events.push_back(event);
    }

    /// When to call [`dispatch`](Self::dispatch) next: `now` when something
    /// is due, `None` when idle (after a release).
    pub fn poll_at(&self, now: Instant) -> Option<Instant> {
        let at = match &self.phase {
            Phase::Selecting(txn) => txn.next_tx,
            Phase::Requesting { txn, .. } | Phase::Rebooting { txn, .. } => txn.next_tx,
            Phase::Probing { next, .. } => *next,
            Phase::Declining { .. } | Phase::Releasing { .. } => now,
            Phase::Waiting { until } => *until,
            Phase::Bound {
                lease,
                announce_left,
                next_announce,
            } => {
                let t = lease.renew_at.min(lease.rebind_at).min(lease.expires_at);
                if *announce_left > 0 {
                    t.min(*next_announce)
                } else {
                    t
                }
            }
            Phase::Renewing { lease, txn } => txn
                .next_tx
                .min(lease.rebind_at)
                .min(lease.expires_at),
            Phase::Rebinding { lease, txn } => txn.next_tx.min(lease.expires_at),
            Phase::Stopped => return None,
        };
        Some(at.max(now))
    }

    /// Sends what is due, if anything: builds it and calls `f` once. The
    /// state advances only when `f` returns `Ok`; on `Err` the same thing is
    /// due again on the next call (RFC 2131 timers keep running).
    pub fn dispatch<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(DhcpOutput<'_>) -> Result<(), E>,
    {
        self.tick(now);
        let mut rng = self.rng;
        let Some((tx, next, event)) = self.plan(now, &mut rng) else {
            return Ok(());
        };
        f(self.render(&tx))?;
        self.rng = rng;
        self.phase = next;
        if let Some(event) = event {
            self.push_event(event);
        }
        Ok(())
    }

    /// Timer transitions that send nothing themselves: T1, T2, expiry, the
    /// end of probing or of the wait after a DECLINE, giving up a REQUEST.
    fn tick(&mut self, now: Instant) {
        // A few steps at most (BOUND → RENEWING → REBINDING → expiry).
        for _ in 0..4 {
            let phase = core::mem::replace(&mut self.phase, Phase::Stopped);
            let (phase, changed) = self.timer_step(phase, now);
            self.phase = phase;
            if !changed {
                break;
            }
        }
    }

    fn timer_step(&mut self, phase: Phase, now: Instant) -> (Phase, bool) {
        match phase {
            // RFC 2131 §3.1 (step 5) and §3.2: no answer to the last REQUEST
            // → back to INIT.
            Phase::Requesting { txn, .. }
                if txn.sent >= MAX_REQUEST_TRANSMISSIONS && now >= txn.next_tx =>
            {
                net_debug!("dhcp: no answer to REQUEST, restarting");
                (self.restart(), true)
            }
            Phase::Rebooting { txn, .. }
                if txn.sent >= MAX_REBOOT_TRANSMISSIONS && now >= txn.next_tx =>
            {
                net_debug!("dhcp: no answer in INIT-REBOOT, discovering");
                (self.restart(), true)
            }
            // RFC 5227 §2.1.1: ANNOUNCE_WAIT after the last probe without a
            // conflict, the address is ours.
            Phase::Probing {
                lease, sent, next, ..
            } if sent >= PROBE_NUM && now >= next => (self.bind(lease, now), true),
            Phase::Waiting { until } if now >= until => (self.restart(), true),
            Phase::Bound { lease, .. }
            | Phase::Renewing { lease, .. }
            | Phase::Rebinding { lease, .. }
            | Phase::Releasing { lease }
                if now >= lease.expires_at =>
            {
                // RFC 2131 §4.4.5: at expiry the client MUST stop using the
                // address and return to INIT. A pending RELEASE is moot.
                net_debug!("dhcp: lease expired");
                self.push_event(Dhcpv4Event::Deconfigured);
                (self.restart(), true)
            }
            Phase::Bound { lease, .. } if now >= lease.renew_at => {
                // RFC 2131 §4.4.5: at T1, RENEWING (T2 is checked next).
                let txn = Txn::new(&mut self.rng);
                (Phase::Renewing { lease, txn }, true)
            }
            Phase::Renewing { lease, .. } if now >= lease.rebind_at => {
                // RFC 2131 §4.4.5: at T2, REBINDING with any server.
                let txn = Txn::new(&mut self.rng);
                (Phase::Rebinding { lease, txn }, true)
            }
            other => (other, false),
        }
    }

    /// The lease is ours: BOUND, tell the interface, announce it.
    fn bind(&mut self, lease: Lease, now: Instant) -> Phase {
        net_debug!("dhcp: bound {}", lease.address);
        self.conflicts = 0;
        self.push_event(Dhcpv4Event::Configured(lease.clone()));
        Phase::Bound {
            lease,
            // RFC 5227 §2.3: announcements follow a probe; without ARP
            // probing there is no ARP to announce on.
            announce_left: if self.config.arp_probe {
                ANNOUNCE_NUM
            } else {
                0
            },
            next_announce: now,
        }
    }

    /// What is due now, the state after it is sent, and an event to raise
    /// then. Pure: `rng` is a copy that is kept only on success.
    fn plan(&self, now: Instant, rng: &mut XorShift64) -> Option<(Tx, Phase, Option<Dhcpv4Event>)> {
        let unspecified = Ipv4Addr::UNSPECIFIED;
        let broadcast = Ipv4Addr::BROADCAST;
        let acquire = |kind, txn: &Txn, requested_ip, server_id| Msg {
            kind,
            xid: txn.xid,
            secs: txn.secs(now),
            ciaddr: unspecified,
            broadcast: self.config.broadcast_flag,
            requested_ip,
            server_id,
            params: true,
            // RFC 2131 §4.1: without an address the client sends from
            // 0.0.0.0 to the limited broadcast address.
            src: unspecified,
            dst: broadcast,
        };
        match &self.phase {
            Phase::Selecting(txn) if now >= txn.next_tx => {
                // RFC 2131 Table 5: DISCOVER carries no server identifier;
                // option 50 MAY suggest an address.
                let msg = acquire(DhcpMessageType::Discover, txn, self.hint, None);
                let next = txn.after_send(now, backoff(txn.sent, rng));
                Some((Tx::Msg(msg), Phase::Selecting(next), None))
            }
            Phase::Requesting {
                txn,
                address,
                server,
            } if txn.sent < MAX_REQUEST_TRANSMISSIONS && now >= txn.next_tx => {
                // RFC 2131 §4.3.2 / Table 5: REQUEST in SELECTING MUST carry
                // the server identifier and the requested address, ciaddr 0.
                let msg = acquire(DhcpMessageType::Request, txn, Some(*address), Some(*server));
                let next = Phase::Requesting {
                    txn: txn.after_send(now, backoff(txn.sent, rng)),
                    address: *address,
                    server: *server,
                };
                Some((Tx::Msg(msg), next, None))
            }
            Phase::Rebooting { txn, address }
                if txn.sent < MAX_REBOOT_TRANSMISSIONS && now >= txn.next_tx =>
            {
                // RFC 2131 §4.3.2 INIT-REBOOT: option 50 MUST be the address,
                // no server identifier, ciaddr 0, broadcast.
                let msg = acquire(DhcpMessageType::Request, txn, Some(*address), None);
                let next = Phase::Rebooting {
                    txn: txn.after_send(now, backoff(txn.sent, rng)),
                    address: *address,
                };
                Some((Tx::Msg(msg), next, None))
            }
            Phase::Probing {
                lease,
                xid,
                sent,
                next,
            } if *sent < PROBE_NUM && now >= *next => {
                let sent = sent.saturating_add(1);
                // RFC 5227 §2.1.1: PROBE_NUM probes PROBE_MIN..PROBE_MAX
                // apart, then ANNOUNCE_WAIT after the last one.
                let wait = if sent >= PROBE_NUM {
                    ANNOUNCE_WAIT
                } else {
                    let span = (PROBE_MAX - PROBE_MIN).total_micros();
                    PROBE_MIN + Duration::from_micros(rng.up_to(span))
                };
                let next = Phase::Probing {
                    lease: lease.clone(),
                    xid: *xid,
                    sent,
                    next: now + wait,
                };
                Some((Tx::Probe(lease.address.address()), next, None))
            }
            Phase::Declining {
                address,
                server,
                xid,
            } => {
                // RFC 2131 §4.4.4 and Table 5: DECLINE is broadcast, ciaddr 0,
                // option 50 = the declined address, server identifier, secs 0,
                // no parameter list.
                let msg = Msg {
                    kind: DhcpMessageType::Decline,
                    xid: *xid,
                    secs: 0,
                    ciaddr: unspecified,
                    broadcast: false,
                    requested_ip: Some(*address),
                    server_id: Some(*server),
                    params: false,
                    src: unspecified,
                    dst: broadcast,
                };
                // RFC 2131 §3.1.5: wait 10 s; RFC 5227 §2.1.1: after
                // MAX_CONFLICTS, one attempt per RATE_LIMIT_INTERVAL.
                let wait = if self.conflicts >= MAX_CONFLICTS {
                    RATE_LIMIT_INTERVAL
                } else {
                    DECLINE_WAIT
                };
                let next = Phase::Waiting { until: now + wait };
                Some((Tx::Msg(msg), next, None))
            }
            Phase::Bound {
                lease,
                announce_left,
                next_announce,
            } if *announce_left > 0 && now >= *next_announce => {
                // RFC 5227 §2.3: ANNOUNCE_NUM announcements ANNOUNCE_INTERVAL
                // apart.
                let next = Phase::Bound {
                    lease: lease.clone(),
                    announce_left: announce_left.saturating_sub(1),
                    next_announce: now + ANNOUNCE_INTERVAL,
                };
                Some((Tx::Announce(lease.address.address()), next, None))
            }
            Phase::Renewing { lease, txn } if now >= txn.next_tx => {
                // RFC 2131 §4.4.5 / §4.3.2 RENEWING: unicast to the server,
                // ciaddr = our address, no option 50, no server identifier.
                let address = lease.address.address();
                let msg = Msg {
                    ciaddr: address,
                    broadcast: false,
                    src: address,
                    dst: lease.server,
                    ..acquire(DhcpMessageType::Request, txn, None, None)
                };
                let delay = half_remaining(now, lease.rebind_at);
                let next = Phase::Renewing {
                    lease: lease.clone(),
                    txn: txn.after_send(now, delay),
                };
                Some((Tx::Msg(msg), next, None))
            }
            Phase::Rebinding { lease, txn } if now >= txn.next_tx => {
                // RFC 2131 §4.4.5 / §4.3.2 REBINDING: broadcast, ciaddr = our
                // address (still valid until expiry, so also the source).
                let address = lease.address.address();
                let msg = Msg {
                    ciaddr: address,
                    broadcast: false,
                    src: address,
                    dst: broadcast,
                    ..acquire(DhcpMessageType::Request, txn, None, None)
                };
                let delay = half_remaining(now, lease.expires_at);
                let next = Phase::Rebinding {
                    lease: lease.clone(),
                    txn: txn.after_send(now, delay),
                };
                Some((Tx::Msg(msg), next, None))
            }
            Phase::Releasing { lease } => {
                // RFC 2131 §4.4.6 and Table 5: RELEASE is unicast to the
                // server, ciaddr = the address, server identifier, no option
                // 50, secs 0, a fresh xid.
                let address = lease.address.address();
                let msg = Msg {
                    kind: DhcpMessageType::Release,
                    xid: rng.next_u32(),
                    secs: 0,
                    ciaddr: address,
                    broadcast: false,
                    requested_ip: None,
                    server_id: Some(lease.server),
                    params: false,
                    src: address,
                    dst: lease.server,
                };
                Some((Tx::Msg(msg), Phase::Stopped, Some(Dhcpv4Event::Deconfigured)))
            }
            _ => None,
        }
    }

    fn render(&self, tx: &Tx) -> DhcpOutput<'_> {
        let msg = match tx {
            Tx::Probe(target) => return DhcpOutput::ArpProbe { target: *target },
            Tx::Announce(address) => return DhcpOutput::ArpAnnounce { address: *address },
            Tx::Msg(msg) => msg,
        };
        let non_empty = |b: &'_ [u8]| !b.is_empty();
        let params = msg.params;
        let repr = DhcpRepr {
            message_type: msg.kind,
            transaction_id: msg.xid,
            secs: msg.secs,
            client_hardware_address: self.hardware_address,
            client_ip: msg.ciaddr,
            your_ip: Ipv4Addr::UNSPECIFIED,
            server_ip: Ipv4Addr::UNSPECIFIED,
            relay_agent_ip: Ipv4Addr::UNSPECIFIED,
            broadcast: msg.broadcast,
            requested_ip: msg.requested_ip,
            server_identifier: msg.server_id,
            subnet_mask: None,
            router: None,
            dns_servers: Vec::new(),
            lease_duration: None,
            renew_duration: None,
            rebind_duration: None,
            parameter_request_list: Some(&self.config.parameter_request_list[..])
                .filter(|b| params && non_empty(b)),
            client_identifier: Some(&self.client_id[..]).filter(|b| non_empty(b)),
            host_name: self
                .config
                .hostname
                .as_ref()
                .map(|h| &h[..])
                .filter(|b| params && non_empty(b)),
            domain_name: None,
            max_size: self.config.max_message_size.filter(|_| params),
        };
        DhcpOutput::Message {
            src: msg.src,
            dst: msg.dst,
            repr,
        }
    }

    /// Hands the client a DHCP message received on UDP port 68. Messages
    /// that are not for this client (other `chaddr`, client identifier or
    /// `xid`), not server messages, or not expected in the current state are
    /// ignored (RFC 2131 §4.4.1: the client discards them).
    pub fn process(&mut self, now: Instant, src_ip: Ipv4Addr, repr: &DhcpRepr<'_>) {
        self.tick(now);
        if repr.client_hardware_address != self.hardware_address {
            return;
        }
        // The `op` is BOOTREPLY exactly for these (checked by the parser).
        if !matches!(
            repr.message_type,
            DhcpMessageType::Offer | DhcpMessageType::Ack | DhcpMessageType::Nak
        ) {
            return;
        }
        // RFC 6842 §3: a reply echoing another client identifier MUST be
        // discarded.
        if let Some(id) = repr.client_identifier {
            if !self.client_id.is_empty() && id != &self.client_id[..] {
                return;
            }
        }
        let phase = core::mem::replace(&mut self.phase, Phase::Stopped);
        self.phase = self.on_message(phase, now, src_ip, repr);
    }

    fn on_message(
        &mut self,
        phase: Phase,
        now: Instant,
        src_ip: Ipv4Addr,
        repr: &DhcpRepr<'_>,
    ) -> Phase {
        let kind = repr.message_type;
        // A reply only answers something we sent, with the same xid.
        let answers = |txn: &Txn| txn.sent > 0 && repr.transaction_id == txn.xid;
        let nak = kind == DhcpMessageType::Nak && !self.config.ignore_naks;
        match phase {
            Phase::Selecting(txn) if answers(&txn) && kind == DhcpMessageType::Offer => {
                // RFC 2131 Table 3: an OFFER MUST carry the server identifier
                // (the REQUEST names it) and the lease time.
                let valid = is_host_address(repr.your_ip)
                    && repr.lease_duration.is_some_and(|s| s > 0);
                match repr.server_identifier {
                    Some(server) if valid => {
                        net_debug!("dhcp: offer {} from {}", repr.your_ip, server);
                        Phase::Requesting {
                            txn: txn.continued(),
                            address: repr.your_ip,
                            server,
                        }
                    }
                    _ => Phase::Selecting(txn),
                }
            }
            Phase::Requesting {
                txn,
                address,
                server,
            } if answers(&txn) && repr.server_identifier.map_or(true, |s| s == server) => {
                // Replies from another server than the chosen one were
                // filtered above (RFC 2131 §4.4.1: it declined them).
                if kind == DhcpMessageType::Ack && repr.your_ip == address {
                    if let Some(lease) = self.lease_from_ack(repr, txn.last_sent, server) {
                        return self.accept(lease, txn.xid, now);
                    }
                } else if nak {
                    // RFC 2131 §3.1 (step 5): on NAK, restart.
                    net_debug!("dhcp: NAK while requesting");
                    self.hint = None;
                    return self.restart();
                }
                Phase::Requesting {
                    txn,
                    address,
                    server,
                }
            }
            Phase::Rebooting { txn, address } if answers(&txn) => {
                let server = repr.server_identifier.unwrap_or(src_ip);
                if kind == DhcpMessageType::Ack && repr.your_ip == address {
                    if let Some(lease) = self.lease_from_ack(repr, txn.last_sent, server) {
                        return self.accept(lease, txn.xid, now);
                    }
                } else if nak {
                    // RFC 2131 §3.2 (step 3): the address is wrong here.
                    net_debug!("dhcp: NAK in INIT-REBOOT");
                    self.hint = None;
                    return self.restart();
                }
                Phase::Rebooting { txn, address }
            }
            Phase::Renewing { lease, txn }
                if answers(&txn) && repr.server_identifier.map_or(true, |s| s == lease.server) =>
            {
                self.on_extend(lease, txn, false, kind, nak, src_ip, repr)
            }
            Phase::Rebinding { lease, txn } if answers(&txn) => {
                self.on_extend(lease, txn, true, kind, nak, src_ip, repr)
            }
            other => other,
        }
    }

    /// An answer in RENEWING or REBINDING (RFC 2131 §4.4.5).
    #[allow(clippy::too_many_arguments)]
    fn on_extend(
        &mut self,
        lease: Lease,
        txn: Txn,
        rebinding: bool,
        kind: DhcpMessageType,
        nak: bool,
        src_ip: Ipv4Addr,
        repr: &DhcpRepr<'_>,
    ) -> Phase {
        let address = lease.address.address();
        // An ACK for another address than ours is not an extension of this
        // lease: ignored, the lease runs on.
        if kind == DhcpMessageType::Ack && repr.your_ip == address {
            // In REBINDING any server may answer; it becomes our server.
            let server = if rebinding {
                repr.server_identifier.unwrap_or(src_ip)
            } else {
                lease.server
            };
            if let Some(new) = self.lease_from_ack(repr, txn.last_sent, server) {
                net_debug!("dhcp: lease extended");
                self.push_event(Dhcpv4Event::Renewed(new.clone()));
                return Phase::Bound {
                    lease: new,
                    announce_left: 0,
                    next_announce: IMMEDIATELY,
                };
            }
        } else if nak {
            // RFC 2131 §4.4.5: on NAK, stop using the address, INIT.
            net_debug!("dhcp: NAK while extending the lease");
            self.hint = None;
            self.push_event(Dhcpv4Event::Deconfigured);
            return self.restart();
        }
        if rebinding {
            Phase::Rebinding { lease, txn }
        } else {
            Phase::Renewing { lease, txn }
        }
    }

    /// ACKed: probe first (RFC 2131 §2.2, §4.4.1 "the client SHOULD perform
    /// a check on the suggested address"), or bind at once.
    fn accept(&mut self, lease: Lease, xid: u32, now: Instant) -> Phase {
        if self.config.arp_probe {
            // RFC 5227 §2.1.1: wait a random 0..PROBE_WAIT before the first
            // probe.
            let wait = Duration::from_micros(self.rng.up_to(PROBE_WAIT.total_micros()));
            Phase::Probing {
                lease,
                xid,
                sent: 0,
                next: now + wait,
            }
        } else {
            self.bind(lease, now)
        }
    }

    /// The lease an ACK grants, or `None` when it grants nothing usable.
    fn lease_from_ack(
        &self,
        repr: &DhcpRepr<'_>,
        acquired_at: Instant,
        server: Ipv4Addr,
    ) -> Option<Lease> {
        if !is_host_address(repr.your_ip) {
            return None;
        }
        // RFC 2131 Table 3: an ACK to a REQUEST MUST carry the lease time; a
        // zero lease grants nothing (and would spin RENEWING).
        let secs = repr.lease_duration.filter(|&s| s > 0)?;
        // RFC 2131 §3.3: 0xffffffff is infinity.
        let mut lease_duration = if secs == u32::MAX {
            Duration::MAX
        } else {
            Duration::from_secs(u64::from(secs))
        };
        let mut capped = false;
        if let Some(max) = self.config.max_lease_duration {
            if lease_duration > max {
                lease_duration = max;
                capped = true;
            }
        }
        if lease_duration == Duration::ZERO {
            return None;
        }
        // RFC 2131 §4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease.
        // Server values are used when consistent (0 < T1 <= T2 < lease);
        // otherwise the default, so that T1 <= T2 <= expiry always holds.
        let server_time = |s: Option<u32>| {
            s.filter(|&s| s > 0 && !capped)
                .map(|s| Duration::from_secs(u64::from(s)))
        };
        let t2 = server_time(repr.rebind_duration)
            .filter(|&t| t < lease_duration)
            .unwrap_or(lease_duration / 8 * 7);
        let t1 = server_time(repr.renew_duration)
            .filter(|&t| t <= t2)
            .unwrap_or((lease_duration / 2).min(t2));
        // RFC 950 / RFC 4632: a mask is a contiguous prefix; a missing,
        // non-contiguous or all-zero one gives /32 (see `Lease::address`).
        let prefix = repr
            .subnet_mask
            .and_then(Ipv4Cidr::prefix_len_of_mask)
            .filter(|&p| p > 0)
            .unwrap_or(32);
        Some(Lease {
            address: Ipv4Cidr::new(repr.your_ip, prefix)?,
            router: repr.router,
            dns_servers: repr.dns_servers.clone(),
            server,
            lease_duration,
            acquired_at,
            renew_at: acquired_at + t1,
            rebind_at: acquired_at + t2,
            expires_at: acquired_at + lease_duration,
        })
    }

    /// Hands the client an ARP packet seen on the interface. While the
    /// offered address is being probed, another host claiming it is a
    /// conflict (RFC 5227 §2.1.1): any ARP packet whose sender IP is the
    /// address, or an ARP probe (sender IP 0.0.0.0) whose target is the
    /// address, from a hardware address that is not ours. The client then
    /// raises [`Dhcpv4Event::Conflict`], sends a DECLINE and restarts after
    /// the RFC 2131 §3.1.5 wait.
    pub fn process_arp(
        &mut self,
        now: Instant,
        sender_ip: Ipv4Addr,
        sender_hw: EthernetAddress,
        target_ip: Ipv4Addr,
    ) {
        self.tick(now);
        let Phase::Probing { lease, xid, .. } = &self.phase else {
            return;
        };
        let address = lease.address.address();
        let conflict = sender_hw != self.hardware_address
            && (sender_ip == address || (sender_ip.is_unspecified() && target_ip == address));
        if conflict {
            net_debug!("dhcp: {} in use by {}", address, sender_hw);
            let next = Phase::Declining {
                address,
                server: lease.server,
                xid: *xid,
            };
            self.phase = next;
            self.conflicts = self.conflicts.saturating_add(1);
            self.push_event(Dhcpv4Event::Conflict(address));
        }
    }

    /// Gives the lease back: a RELEASE goes out on the next
    /// [`dispatch`](Self::dispatch) (RFC 2131 §4.4.6), then
    /// [`Dhcpv4Event::Deconfigured`], then the client stays idle until
    /// [`reset`](Self::reset). Without a lease it just stops.
    pub fn release(&mut self) {
        let phase = core::mem::replace(&mut self.phase, Phase::Stopped);
        self.phase = match phase {
            Phase::Bound { lease, .. }
            | Phase::Renewing { lease, .. }
            | Phase::Rebinding { lease, .. }
            | Phase::Releasing { lease } => Phase::Releasing { lease },
            _ => Phase::Stopped,
        };
    }

    /// Starts over as if new (INIT, or INIT-REBOOT with `requested_ip`),
    /// dropping any lease without telling the server; raises
    /// [`Dhcpv4Event::Deconfigured`] if a lease was in use. Use after a link
    /// down/up, or to leave the idle state after [`release`](Self::release).
    pub fn reset(&mut self) {
        if self.lease().is_some() {
            self.push_event(Dhcpv4Event::Deconfigured);
        }
        self.hint = self.config.requested_ip;
        self.phase = self.initial_phase();
    }
}
