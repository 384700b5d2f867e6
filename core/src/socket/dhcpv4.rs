//! A sans-IO DHCPv4 client (RFC 2131, options from RFC 2132), with RFC 5227
//! address conflict detection of the offered address.
//!
//! [`Dhcpv4Client`] owns no buffer and no clock. The interface drives it like
//! a socket:
//!
//! - on every poll, [`dispatch`](Dhcpv4Client::dispatch)`(now, f)`: when a
//!   message is due, the client builds it and calls `f` once with a
//!   [`DhcpOutput`]; the interface wraps it in UDP 68 → 67, IPv4 `src` →
//!   `dst` (Ethernet broadcast for 255.255.255.255, the neighbor cache
//!   otherwise). The client's state only advances when `f` returns `Ok`, so
//!   a busy device just delays the message to a later poll;
//! - every DHCP message received on UDP port 68 (whatever its IP destination:
//!   before the client is configured the server may unicast to the offered
//!   address) goes to [`process`](Dhcpv4Client::process);
//! - RFC 5227 is not done here but by the interface's one engine
//!   ([`crate::iface::acd`]), the same that checks static addresses: after
//!   the ACK the client is PROBING and hands the address out once through
//!   [`take_probe`](Dhcpv4Client::take_probe); the interface probes it and
//!   answers with [`probe_done`](Dhcpv4Client::probe_done) or
//!   [`address_conflict`](Dhcpv4Client::address_conflict). The same engine
//!   then defends the leased address (§2.4) once
//!   [`Interface::apply_dhcpv4`](crate::iface::Interface::apply_dhcpv4)
//!   installed it, and reports a lost defence through `address_conflict`;
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
//! Randomness (transaction IDs, retransmission jitter) comes
//! from the stack's generator ([`crate::rand`]) seeded by the caller, never
//! from the OS.
//!
//! Deliberate simplifications, each a MAY or a SHOULD of RFC 2131:
//! - the first OFFER that passes the checks is taken (§4.4.1 lets a client
//!   collect several);
//! - no 1–10 s random wait before the first DISCOVER (§4.4.1 SHOULD): an
//!   embedded device wants its address now, and the transaction ID is already
//!   random; the retransmissions are jittered as §4.1 says;
//! - DHCPINFORM, FORCERENEW and option overload are not used.

use heapless::{Deque, Vec};

use crate::rand::Rng;
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
    /// Have the interface probe the offered address with ARP before using
    /// it, announce it after and defend it while leased (RFC 5227 §2.1,
    /// §2.3, §2.4; RFC 2131 §2.2 "SHOULD probe"). Turn off for links
    /// without ARP.
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
    /// The offered or leased address is used by another host (RFC 5227):
    /// declined (a lease in use is deconfigured first).
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
    /// ACKed, the interface probing the address with ARP (RFC 5227 §2.1).
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
    fn new(rng: &mut Rng) -> Txn {
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
fn backoff(sent_before: u8, rng: &mut Rng) -> Duration {
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
    /// Waiting for the interface's RFC 5227 engine; `asked` once the
    /// address was handed to it (`take_probe`).
    Probing {
        lease: Lease,
        xid: u32,
        asked: bool,
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

/// A DHCPv4 client: the state machine of RFC 2131 §4.4, with the RFC 5227
/// probe left to the interface. No heap; see the module docs for how the interface drives it.
#[derive(Debug, Clone)]
pub struct Dhcpv4Client {
    config: Dhcpv4Config,
    hardware_address: EthernetAddress,
    client_id: Vec<u8, MAX_CLIENT_ID_LEN>,
    /// Option 50 for DISCOVER: `config.requested_ip` until a NAK.
    hint: Option<Ipv4Addr>,
    rng: Rng,
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
            rng: Rng::new(random_seed),
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
            // The interface's conflict detection decides when this ends.
            Phase::Probing { .. } => return None,
            Phase::Declining { .. } | Phase::Releasing { .. } => now,
            Phase::Waiting { until } => *until,
            Phase::Bound { lease } => lease.renew_at.min(lease.rebind_at).min(lease.expires_at),
            Phase::Renewing { lease, txn } => {
                txn.next_tx.min(lease.rebind_at).min(lease.expires_at)
            }
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
    /// end of the wait after a DECLINE, giving up a REQUEST.
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

    /// The lease is ours: BOUND, tell the interface (whose RFC 5227 engine
    /// announces the address, §2.3).
    fn bind(&mut self, lease: Lease) -> Phase {
        net_debug!("dhcp: bound {}", lease.address);
        self.conflicts = 0;
        self.push_event(Dhcpv4Event::Configured(lease.clone()));
        Phase::Bound { lease }
    }

    /// What is due now, the state after it is sent, and an event to raise
    /// then. Pure: `rng` is a copy that is kept only on success.
    fn plan(&self, now: Instant, rng: &mut Rng) -> Option<(Msg, Phase, Option<Dhcpv4Event>)> {
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
                Some((msg, Phase::Selecting(next), None))
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
                Some((msg, next, None))
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
                Some((msg, next, None))
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
                Some((msg, next, None))
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
                Some((msg, next, None))
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
                Some((msg, next, None))
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
                Some((msg, Phase::Stopped, Some(Dhcpv4Event::Deconfigured)))
            }
            _ => None,
        }
    }

    fn render(&self, msg: &Msg) -> DhcpOutput<'_> {
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
        self.phase = self.on_message(phase, src_ip, repr);
    }

    fn on_message(&mut self, phase: Phase, src_ip: Ipv4Addr, repr: &DhcpRepr<'_>) -> Phase {
        let kind = repr.message_type;
        // A reply only answers something we sent, with the same xid.
        let answers = |txn: &Txn| txn.sent > 0 && repr.transaction_id == txn.xid;
        let nak = kind == DhcpMessageType::Nak && !self.config.ignore_naks;
        match phase {
            Phase::Selecting(txn) if answers(&txn) && kind == DhcpMessageType::Offer => {
                // RFC 2131 Table 3: an OFFER MUST carry the server identifier
                // (the REQUEST names it) and the lease time.
                let valid =
                    is_host_address(repr.your_ip) && repr.lease_duration.is_some_and(|s| s > 0);
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
            } if answers(&txn) && repr.server_identifier.is_none_or(|s| s == server) => {
                // Replies from another server than the chosen one were
                // filtered above (RFC 2131 §4.4.1: it declined them).
                if kind == DhcpMessageType::Ack && repr.your_ip == address {
                    if let Some(lease) = self.lease_from_ack(repr, txn.last_sent, server) {
                        return self.accept(lease, txn.xid);
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
                        return self.accept(lease, txn.xid);
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
                if answers(&txn) && repr.server_identifier.is_none_or(|s| s == lease.server) =>
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
                return Phase::Bound { lease: new };
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

    /// ACKed: have the interface probe first (RFC 2131 §2.2, §4.4.1 "the
    /// client SHOULD perform a check on the suggested address"), or bind at
    /// once.
    fn accept(&mut self, lease: Lease, xid: u32) -> Phase {
        if self.config.arp_probe {
            Phase::Probing {
                lease,
                xid,
                asked: false,
            }
        } else {
            self.bind(lease)
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

    /// The offered address to check for conflicts (RFC 5227 §2.1), handed
    /// out once per ACK: the interface starts its conflict detection on it
    /// and answers with [`probe_done`](Self::probe_done) or
    /// [`address_conflict`](Self::address_conflict).
    pub fn take_probe(&mut self) -> Option<Ipv4Addr> {
        match &mut self.phase {
            Phase::Probing { lease, asked, .. } if !*asked => {
                *asked = true;
                Some(lease.address.address())
            }
            _ => None,
        }
    }

    /// The interface's probe of the offered address found no conflict (RFC
    /// 5227 §2.1.1: ANNOUNCE_WAIT passed after the last probe): BOUND, and
    /// [`Dhcpv4Event::Configured`].
    pub fn probe_done(&mut self, now: Instant) {
        self.tick(now);
        let phase = core::mem::replace(&mut self.phase, Phase::Stopped);
        self.phase = match phase {
            Phase::Probing { lease, .. } => self.bind(lease),
            other => other,
        };
    }

    /// Another host uses `address` (RFC 5227 §2.1.1 while probing, or a
    /// defence lost under §2.4 once leased). The client raises
    /// [`Dhcpv4Event::Conflict`] (after [`Dhcpv4Event::Deconfigured`] when
    /// the lease was in use: the address must no longer be used), sends a
    /// DECLINE (RFC 2131 §4.4.1: "If the client detects that the address is
    /// already in use ... the client MUST send a DHCPDECLINE") and restarts
    /// after the RFC 2131 §3.1.5 wait. Another address is ignored.
    pub fn address_conflict(&mut self, now: Instant, address: Ipv4Addr) {
        self.tick(now);
        let fresh_xid = self.rng.next_u32();
        let (lease, xid, in_use) = match &self.phase {
            Phase::Probing { lease, xid, .. } => (lease, *xid, false),
            Phase::Bound { lease } => (lease, fresh_xid, true),
            Phase::Renewing { lease, txn } | Phase::Rebinding { lease, txn } => {
                (lease, txn.xid, true)
            }
            _ => return,
        };
        if lease.address.address() != address {
            return;
        }
        net_debug!("dhcp: {} in use by another host", address);
        self.phase = Phase::Declining {
            address,
            server: lease.server,
            xid,
        };
        self.conflicts = self.conflicts.saturating_add(1);
        if in_use {
            self.push_event(Dhcpv4Event::Deconfigured);
        }
        self.push_event(Dhcpv4Event::Conflict(address));
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::wire::dhcpv4::{DhcpOpCode, DhcpPacket};
    use std::vec;
    use std::vec::Vec as StdVec;

    const MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
    const OTHER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x99]);
    const SERVER: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
    const SERVER2: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 2);
    const ADDR: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 100);
    const ADDR2: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 101);
    const DNS2: Ipv4Addr = Ipv4Addr::new(8, 8, 8, 8);
    const BCAST: Ipv4Addr = Ipv4Addr::BROADCAST;
    const ZERO: Ipv4Addr = Ipv4Addr::UNSPECIFIED;
    const US: Duration = Duration::from_micros(1);

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// What the client handed to `f`, copied out (a message is emitted to
    /// bytes, so every test also checks that the wire layer accepts it).
    #[derive(Debug, Clone, PartialEq)]
    enum Out {
        Msg {
            src: Ipv4Addr,
            dst: Ipv4Addr,
            bytes: StdVec<u8>,
        },
    }

    impl Out {
        fn capture(o: DhcpOutput<'_>) -> Out {
            match o {
                DhcpOutput::Message { src, dst, repr } => {
                    let mut bytes = vec![0u8; repr.buffer_len()];
                    repr.emit(&mut DhcpPacket::new_unchecked(&mut bytes[..]))
                        .unwrap();
                    Out::Msg { src, dst, bytes }
                }
            }
        }

        fn bytes(&self) -> &[u8] {
            match self {
                Out::Msg { bytes, .. } => bytes,
            }
        }

        fn repr(&self) -> DhcpRepr<'_> {
            DhcpRepr::parse(&DhcpPacket::new_checked(self.bytes()).unwrap()).unwrap()
        }

        fn kind(&self) -> Option<DhcpMessageType> {
            match self {
                Out::Msg { .. } => Some(self.repr().message_type),
            }
        }

        fn addrs(&self) -> (Ipv4Addr, Ipv4Addr) {
            match self {
                Out::Msg { src, dst, .. } => (*src, *dst),
            }
        }
    }

    fn config() -> Dhcpv4Config {
        Dhcpv4Config::default()
    }

    fn client(config: Dhcpv4Config, seed: u64) -> Dhcpv4Client {
        Dhcpv4Client::new(config, MAC, seed)
    }

    fn dispatch(c: &mut Dhcpv4Client, now: Instant) -> Option<Out> {
        let mut got = None;
        let r: Result<(), ()> = c.dispatch(now, |o| {
            got = Some(Out::capture(o));
            Ok(())
        });
        r.unwrap();
        got
    }

    /// Simulated time: dispatch at every `poll_at` up to `end` (inclusive).
    fn run(c: &mut Dhcpv4Client, from: Instant, end: Instant) -> StdVec<(Instant, Out)> {
        let mut now = from;
        let mut outs = StdVec::new();
        for _ in 0..10_000 {
            let Some(at) = c.poll_at(now) else { break };
            if at > end {
                break;
            }
            now = at;
            match dispatch(c, now) {
                Some(o) => outs.push((now, o)),
                // A timer-only transition; the client must then want a
                // later poll, or it would spin.
                None => assert!(c.poll_at(now) != Some(now), "poll_at stuck at {now}"),
            }
        }
        outs
    }

    /// The scripted server's reply: /24, router, two DNS, 3600 s lease.
    fn reply(
        kind: DhcpMessageType,
        xid: u32,
        yiaddr: Ipv4Addr,
        server: Ipv4Addr,
    ) -> DhcpRepr<'static> {
        let mut dns_servers = Vec::new();
        dns_servers.push(SERVER).unwrap();
        dns_servers.push(DNS2).unwrap();
        let nak = kind == DhcpMessageType::Nak;
        DhcpRepr {
            message_type: kind,
            transaction_id: xid,
            secs: 0,
            client_hardware_address: MAC,
            client_ip: ZERO,
            your_ip: if nak { ZERO } else { yiaddr },
            server_ip: ZERO,
            relay_agent_ip: ZERO,
            broadcast: false,
            requested_ip: None,
            server_identifier: Some(server),
            subnet_mask: (!nak).then_some(Ipv4Addr::new(255, 255, 255, 0)),
            router: (!nak).then_some(SERVER),
            dns_servers: if nak { Vec::new() } else { dns_servers },
            lease_duration: (!nak).then_some(3600),
            renew_duration: None,
            rebind_duration: None,
            parameter_request_list: None,
            client_identifier: None,
            host_name: None,
            domain_name: None,
            max_size: None,
        }
    }

    fn offer(xid: u32, yiaddr: Ipv4Addr, server: Ipv4Addr) -> DhcpRepr<'static> {
        reply(DhcpMessageType::Offer, xid, yiaddr, server)
    }
    fn ack(xid: u32, yiaddr: Ipv4Addr, server: Ipv4Addr) -> DhcpRepr<'static> {
        reply(DhcpMessageType::Ack, xid, yiaddr, server)
    }
    fn nak(xid: u32, server: Ipv4Addr) -> DhcpRepr<'static> {
        reply(DhcpMessageType::Nak, xid, ZERO, server)
    }

    fn events(c: &mut Dhcpv4Client) -> StdVec<Dhcpv4Event> {
        core::iter::from_fn(|| c.poll_event()).collect()
    }

    /// DISCOVER, OFFER, REQUEST, ACK at `start` (the ACK modified by
    /// `edit`), then the probes: returns the lease and when it was bound.
    fn acquire_with(
        c: &mut Dhcpv4Client,
        start: Instant,
        edit: impl FnOnce(&mut DhcpRepr<'static>),
    ) -> (Lease, Instant) {
        let d = dispatch(c, start).unwrap();
        assert_eq!(d.kind(), Some(DhcpMessageType::Discover));
        let xid = d.repr().transaction_id;
        c.process(start, SERVER, &offer(xid, ADDR, SERVER));
        let r = dispatch(c, start).unwrap();
        assert_eq!(r.kind(), Some(DhcpMessageType::Request));
        let mut a = ack(xid, ADDR, SERVER);
        edit(&mut a);
        c.process(start, SERVER, &a);
        // The interface's RFC 5227 probe, when asked for, finds no conflict.
        let bound_at = start + secs(5);
        if c.take_probe() == Some(ADDR) {
            c.probe_done(bound_at);
        }
        match events(c).as_slice() {
            [Dhcpv4Event::Configured(lease)] => (lease.clone(), bound_at),
            other => panic!("expected Configured, got {other:?}"),
        }
    }

    fn acquire(c: &mut Dhcpv4Client, start: Instant) -> (Lease, Instant) {
        acquire_with(c, start, |_| {})
    }

    fn default_prl() -> &'static [u8] {
        &DEFAULT_PARAMETER_REQUEST_LIST
    }

    fn our_client_id() -> [u8; 7] {
        [1, 0x02, 0, 0, 0, 0, 0x01]
    }

    /// RFC 2131 §4.4.1, §4.3.2, Table 5; RFC 5227 §2.1.1, §2.3: the whole
    /// DORA exchange, every field of every message, then probe, announce.
    #[test]
    fn dora_every_field_then_probe_and_announce() {
        let mut cfg = config();
        cfg.hostname = Some(Vec::from_slice(b"rstcp").unwrap());
        let mut c = client(cfg, 1);
        let t0 = Instant::from_secs(100);
        assert_eq!(c.state(), Dhcpv4State::Selecting);
        assert_eq!(c.poll_at(t0), Some(t0));
        assert!(c.lease().is_none());

        // DISCOVER
        let d = dispatch(&mut c, t0).unwrap();
        assert_eq!(d.addrs(), (ZERO, BCAST));
        let p = DhcpPacket::new_checked(d.bytes()).unwrap();
        assert_eq!(p.op(), DhcpOpCode::Request);
        assert_eq!((p.hardware_type(), p.hardware_len(), p.hops()), (1, 6, 0));
        assert_eq!(p.flags(), 0x8000);
        assert_eq!(d.bytes().len(), 300);
        let r = d.repr();
        let xid = r.transaction_id;
        assert_eq!(r.message_type, DhcpMessageType::Discover);
        assert_eq!(r.secs, 0);
        assert!(r.broadcast);
        assert_eq!(r.client_hardware_address, MAC);
        assert_eq!(
            (r.client_ip, r.your_ip, r.server_ip, r.relay_agent_ip),
            (ZERO, ZERO, ZERO, ZERO)
        );
        assert_eq!(r.requested_ip, None);
        assert_eq!(r.server_identifier, None);
        assert_eq!(r.parameter_request_list, Some(default_prl()));
        assert_eq!(r.client_identifier, Some(&our_client_id()[..]));
        assert_eq!(r.host_name, Some(&b"rstcp"[..]));
        assert_eq!((r.lease_duration, r.max_size), (None, None));
        // Nothing more until the retransmission.
        assert_eq!(dispatch(&mut c, t0), None);

        // OFFER → REQUEST at once, same xid.
        let t1 = t0 + Duration::from_millis(1500);
        c.process(t1, SERVER, &offer(xid, ADDR, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Requesting);
        assert_eq!(c.poll_at(t1), Some(t1));
        let q = dispatch(&mut c, t1).unwrap();
        assert_eq!(q.addrs(), (ZERO, BCAST));
        let p = DhcpPacket::new_checked(q.bytes()).unwrap();
        assert_eq!((p.op(), p.flags()), (DhcpOpCode::Request, 0x8000));
        let r = q.repr();
        assert_eq!(r.message_type, DhcpMessageType::Request);
        assert_eq!(r.transaction_id, xid);
        assert_eq!(r.secs, 1, "secs counts from the first DISCOVER");
        assert_eq!(r.client_ip, ZERO);
        assert_eq!(r.requested_ip, Some(ADDR));
        assert_eq!(r.server_identifier, Some(SERVER));
        assert_eq!(r.parameter_request_list, Some(default_prl()));
        assert_eq!(r.client_identifier, Some(&our_client_id()[..]));
        assert_eq!(r.host_name, Some(&b"rstcp"[..]));

        // ACK → PROBING (not yet configured).
        let t2 = t1 + Duration::from_millis(200);
        c.process(t2, SERVER, &ack(xid, ADDR, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Probing);
        assert!(c.lease().is_none());
        assert!(events(&mut c).is_empty());

        // RFC 5227 §2.1.1 is the interface's: the address is handed to its
        // probe once, and nothing is sent or due meanwhile.
        assert_eq!(c.poll_at(t2), None);
        assert_eq!(dispatch(&mut c, t2 + secs(3)), None);
        assert_eq!(c.take_probe(), Some(ADDR));
        assert_eq!(c.take_probe(), None);
        assert_eq!(c.state(), Dhcpv4State::Probing);
        assert!(events(&mut c).is_empty());
        let claim = t2 + secs(6);
        c.probe_done(claim);
        assert_eq!(c.state(), Dhcpv4State::Bound);

        let lease = match events(&mut c).as_slice() {
            [Dhcpv4Event::Configured(l)] => l.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(lease.address, Ipv4Cidr::new(ADDR, 24).unwrap());
        assert_eq!(lease.router, Some(SERVER));
        assert_eq!(&lease.dns_servers[..], &[SERVER, DNS2]);
        assert_eq!(lease.server, SERVER);
        assert_eq!(lease.lease_duration, secs(3600));
        // RFC 2131 §4.4.1: counted from when the REQUEST was sent.
        assert_eq!(lease.acquired_at, t1);
        assert_eq!(lease.renew_at, t1 + secs(1800));
        assert_eq!(lease.rebind_at, t1 + secs(3150));
        assert_eq!(lease.expires_at, t1 + secs(3600));
        assert_eq!(c.lease(), Some(&lease));

        // The interface announces (RFC 5227 §2.3); the client is silent
        // until T1.
        assert_eq!(c.poll_at(claim), Some(lease.renew_at));
        assert!(run(&mut c, claim, lease.renew_at - US).is_empty());
    }

    /// RFC 2131 §4.1: DISCOVER retransmitted after 4, 8, 16, 32, 64, 64 s,
    /// each ±1 s uniform; same xid; `secs` counts from the first.
    #[test]
    fn discover_backoff_with_jitter_bounds() {
        let mut first_gaps = StdVec::new();
        for seed in 0..32 {
            let mut c = client(config(), seed);
            let t0 = Instant::from_secs(5);
            let outs = run(&mut c, t0, t0 + secs(400));
            assert!(outs.len() >= 8);
            let xid = outs[0].1.repr().transaction_id;
            for (t, o) in &outs {
                let r = o.repr();
                assert_eq!(r.message_type, DhcpMessageType::Discover);
                assert_eq!(r.transaction_id, xid);
                assert_eq!(u64::from(r.secs), (*t - t0).secs());
            }
            for (k, w) in outs.windows(2).enumerate() {
                let gap = w[1].0 - w[0].0;
                let base = secs((4u64 << k.min(4)).min(64));
                assert!(
                    gap >= base - secs(1) && gap <= base + secs(1),
                    "seed {seed}: gap {k} = {gap}"
                );
            }
            first_gaps.push(outs[1].0 - outs[0].0);
        }
        // The jitter is random, not a constant offset.
        first_gaps.sort();
        first_gaps.dedup();
        assert!(first_gaps.len() > 16);
        // Different seeds, different xids.
        let a = dispatch(&mut client(config(), 1), Instant::ZERO).unwrap();
        let b = dispatch(&mut client(config(), 2), Instant::ZERO).unwrap();
        assert_ne!(a.repr().transaction_id, b.repr().transaction_id);
    }

    /// RFC 2131 §4.4.1: once an offer is chosen, other servers' OFFER, ACK
    /// and NAK are ignored; the REQUEST names the chosen server.
    #[test]
    fn second_server_ignored_after_choosing() {
        let mut c = client(config(), 3);
        let t0 = Instant::ZERO;
        let xid = dispatch(&mut c, t0).unwrap().repr().transaction_id;
        c.process(t0, SERVER, &offer(xid, ADDR, SERVER));
        c.process(t0, SERVER2, &offer(xid, ADDR2, SERVER2));
        let r = dispatch(&mut c, t0).unwrap();
        assert_eq!(r.repr().server_identifier, Some(SERVER));
        assert_eq!(r.repr().requested_ip, Some(ADDR));
        c.process(t0, SERVER2, &ack(xid, ADDR2, SERVER2));
        c.process(t0, SERVER2, &nak(xid, SERVER2));
        assert_eq!(c.state(), Dhcpv4State::Requesting);
        // An ACK from the chosen server for another address: ignored too.
        c.process(t0, SERVER, &ack(xid, ADDR2, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Requesting);
        c.process(t0, SERVER, &ack(xid, ADDR, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Probing);
    }

    /// RFC 2131 §3.1 (step 5): NAK while REQUESTING → INIT, a new DISCOVER
    /// at once with a new xid; nothing was configured, so no event.
    #[test]
    fn nak_while_requesting_restarts() {
        let mut c = client(config(), 4);
        let t0 = Instant::from_secs(1);
        let xid = dispatch(&mut c, t0).unwrap().repr().transaction_id;
        c.process(t0, SERVER, &offer(xid, ADDR, SERVER));
        dispatch(&mut c, t0).unwrap();
        let t1 = t0 + secs(1);
        c.process(t1, SERVER, &nak(xid, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Selecting);
        assert!(events(&mut c).is_empty());
        assert_eq!(c.poll_at(t1), Some(t1));
        let d = dispatch(&mut c, t1).unwrap();
        assert_eq!(d.kind(), Some(DhcpMessageType::Discover));
        assert_ne!(d.repr().transaction_id, xid);
        assert_eq!(d.repr().secs, 0);

        // ignore_naks: the NAK changes nothing.
        let mut cfg = config();
        cfg.ignore_naks = true;
        let mut c = client(cfg, 4);
        let xid = dispatch(&mut c, t0).unwrap().repr().transaction_id;
        c.process(t0, SERVER, &offer(xid, ADDR, SERVER));
        dispatch(&mut c, t0).unwrap();
        c.process(t1, SERVER, &nak(xid, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Requesting);
    }

    /// RFC 2131 §3.1 (step 5): five REQUESTs (4, 8, 16, 32 s apart ±1 s),
    /// then one more backoff interval, then back to DISCOVER.
    #[test]
    fn request_unanswered_gives_up_after_five() {
        let mut c = client(config(), 5);
        let t0 = Instant::ZERO;
        let xid = dispatch(&mut c, t0).unwrap().repr().transaction_id;
        c.process(t0, SERVER, &offer(xid, ADDR, SERVER));
        let outs = run(&mut c, t0, t0 + secs(200));
        let kinds: StdVec<_> = outs.iter().map(|(_, o)| o.kind().unwrap()).collect();
        use DhcpMessageType::{Discover, Request};
        assert_eq!(
            &kinds[..6],
            &[Request, Request, Request, Request, Request, Discover]
        );
        for (k, w) in outs[..6].windows(2).enumerate() {
            let gap = w[1].0 - w[0].0;
            let base = secs(4 << k);
            assert!(gap >= base - secs(1) && gap <= base + secs(1), "{k}: {gap}");
        }
        assert_ne!(outs[5].1.repr().transaction_id, xid);
    }

    /// RFC 2131 §4.4.5: at T1 (to the µs) a REQUEST unicast to the server,
    /// ciaddr set, no option 50 or 54, no broadcast flag; the ACK extends
    /// the lease with its own T1/T2, counted from the renewal REQUEST.
    #[test]
    fn renew_at_t1_unicast_acked() {
        let mut c = client(config(), 6);
        let (lease, bound) = acquire(&mut c, Instant::from_secs(10));
        let t1 = lease.renew_at;
        assert_eq!(c.poll_at(bound + secs(5)), Some(t1));
        assert_eq!(dispatch(&mut c, t1 - US), None);
        assert_eq!(c.state(), Dhcpv4State::Bound);
        let q = dispatch(&mut c, t1).unwrap();
        assert_eq!(c.state(), Dhcpv4State::Renewing);
        assert_eq!(q.addrs(), (ADDR, SERVER));
        let p = DhcpPacket::new_checked(q.bytes()).unwrap();
        assert_eq!(p.flags(), 0);
        let r = q.repr();
        assert_eq!(r.message_type, DhcpMessageType::Request);
        assert_eq!(r.client_ip, ADDR);
        assert_eq!((r.requested_ip, r.server_identifier), (None, None));
        assert_eq!(r.secs, 0);
        assert_eq!(r.parameter_request_list, Some(default_prl()));
        assert_eq!(r.client_identifier, Some(&our_client_id()[..]));
        let xid = r.transaction_id;

        let mut a = ack(xid, ADDR, SERVER);
        a.lease_duration = Some(7200);
        a.renew_duration = Some(1000);
        a.rebind_duration = Some(5000);
        a.router = Some(SERVER2);
        c.process(t1 + secs(1), SERVER, &a);
        assert_eq!(c.state(), Dhcpv4State::Bound);
        let new = match events(&mut c).as_slice() {
            [Dhcpv4Event::Renewed(l)] => l.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(new.address, lease.address);
        assert_eq!(new.router, Some(SERVER2));
        assert_eq!(new.acquired_at, t1);
        assert_eq!(new.renew_at, t1 + secs(1000));
        assert_eq!(new.rebind_at, t1 + secs(5000));
        assert_eq!(new.expires_at, t1 + secs(7200));
        assert_eq!(c.lease(), Some(&new));
        // No announcement after a renewal: the next thing is the new T1.
        assert_eq!(c.poll_at(t1 + secs(1)), Some(new.renew_at));
    }

    /// RFC 2131 §4.4.5: unanswered renewals are retransmitted after half
    /// the time left to T2 (at least 60 s); at T2, REBINDING broadcasts;
    /// any server's ACK is then taken and becomes the lease's server.
    #[test]
    fn renew_ignored_then_rebind_at_t2_acked_by_other_server() {
        let mut c = client(config(), 7);
        let (lease, _) = acquire(&mut c, Instant::from_secs(10));
        let (t1, t2) = (lease.renew_at, lease.rebind_at);
        let outs = run(&mut c, t1, t2 - US);
        assert!(outs.len() >= 5);
        let mut expected = t1;
        let xid = outs[0].1.repr().transaction_id;
        for (t, o) in &outs {
            assert_eq!(*t, expected);
            assert_eq!(o.addrs(), (ADDR, SERVER));
            assert_eq!(o.repr().transaction_id, xid);
            assert_eq!(u64::from(o.repr().secs), (*t - t1).secs());
            expected = *t + ((t2 - *t) / 2).max(secs(60));
        }
        assert_eq!(c.poll_at(t2 - US), Some(t2));
        let b = dispatch(&mut c, t2).unwrap();
        assert_eq!(c.state(), Dhcpv4State::Rebinding);
        assert_eq!(b.addrs(), (ADDR, BCAST));
        let r = b.repr();
        assert_eq!(r.message_type, DhcpMessageType::Request);
        assert_eq!(r.client_ip, ADDR);
        assert_eq!((r.requested_ip, r.server_identifier), (None, None));
        assert!(!r.broadcast);
        let rxid = r.transaction_id;
        assert_ne!(rxid, xid);
        // The old renewal xid no longer counts.
        c.process(t2 + secs(1), SERVER, &ack(xid, ADDR, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Rebinding);
        c.process(t2 + secs(1), SERVER2, &ack(rxid, ADDR, SERVER2));
        assert_eq!(c.state(), Dhcpv4State::Bound);
        match events(&mut c).as_slice() {
            [Dhcpv4Event::Renewed(l)] => {
                assert_eq!(l.server, SERVER2);
                assert_eq!(l.acquired_at, t2);
                assert_eq!(l.expires_at, t2 + secs(3600));
            }
            other => panic!("{other:?}"),
        }
    }

    /// RFC 2131 §4.4.5: nothing answers; REBINDING retransmits after half
    /// the time left to expiry (≥ 60 s); at expiry (to the µs) the address
    /// is dropped (Deconfigured) and DISCOVER starts again.
    #[test]
    fn silence_until_expiry_deconfigures_and_rediscovers() {
        let mut c = client(config(), 8);
        let (lease, _) = acquire(&mut c, Instant::from_secs(10));
        let (t2, exp) = (lease.rebind_at, lease.expires_at);
        run(&mut c, lease.renew_at, t2 - US);
        let outs = run(&mut c, t2, exp - US);
        let mut expected = t2;
        for (t, o) in &outs {
            assert_eq!(*t, expected);
            assert_eq!(o.addrs(), (ADDR, BCAST));
            expected = *t + ((exp - *t) / 2).max(secs(60));
        }
        assert_eq!(c.state(), Dhcpv4State::Rebinding);
        assert!(c.lease().is_some());
        assert!(events(&mut c).is_empty());
        assert_eq!(c.poll_at(exp - US), Some(exp));
        let d = dispatch(&mut c, exp).unwrap();
        assert_eq!(d.kind(), Some(DhcpMessageType::Discover));
        assert_eq!(d.addrs(), (ZERO, BCAST));
        assert_eq!(d.repr().client_ip, ZERO);
        assert_eq!(events(&mut c), [Dhcpv4Event::Deconfigured]);
        assert_eq!(c.state(), Dhcpv4State::Selecting);
        assert!(c.lease().is_none());
    }

    /// RFC 2131 §4.4.5: NAK in RENEWING and in REBINDING → Deconfigured,
    /// INIT.
    #[test]
    fn nak_while_renewing_or_rebinding_deconfigures() {
        for rebind in [false, true] {
            let mut c = client(config(), 9);
            let (lease, _) = acquire(&mut c, Instant::from_secs(10));
            let at = if rebind {
                lease.rebind_at
            } else {
                lease.renew_at
            };
            let q = dispatch(&mut c, at).unwrap();
            let from = if rebind { SERVER2 } else { SERVER };
            // While renewing, only our server's NAK counts.
            if !rebind {
                c.process(at, SERVER2, &nak(q.repr().transaction_id, SERVER2));
                assert_eq!(c.state(), Dhcpv4State::Renewing);
            }
            c.process(at, from, &nak(q.repr().transaction_id, from));
            assert_eq!(c.state(), Dhcpv4State::Selecting);
            assert_eq!(events(&mut c), [Dhcpv4Event::Deconfigured]);
            assert!(c.lease().is_none());
            assert_eq!(
                dispatch(&mut c, at).unwrap().kind(),
                Some(DhcpMessageType::Discover)
            );
        }
    }

    /// Drives to PROBING and hands the address to the (imagined)
    /// interface's probe; returns the xid and a time during the probe.
    fn to_probing(c: &mut Dhcpv4Client, t0: Instant, yiaddr: Ipv4Addr) -> (u32, Instant) {
        let d = dispatch(c, t0).unwrap();
        assert_eq!(d.kind(), Some(DhcpMessageType::Discover));
        let xid = d.repr().transaction_id;
        c.process(t0, SERVER, &offer(xid, yiaddr, SERVER));
        dispatch(c, t0).unwrap();
        c.process(t0, SERVER, &ack(xid, yiaddr, SERVER));
        assert_eq!(c.take_probe(), Some(yiaddr));
        (xid, t0 + Duration::from_millis(500))
    }

    /// RFC 5227 §2.1.1: the interface's probe found the address in use →
    /// Conflict event, DECLINE (RFC 2131 §4.4.4:
    /// broadcast, option 50 and 54, ciaddr 0, no parameters), a 10 s wait
    /// (RFC 2131 §3.1.5), then a new DISCOVER and a new lease.
    #[test]
    fn conflict_while_probing_declines_waits_and_gets_new_lease() {
        let mut c = client(config(), 10);
        let (xid, probed) = to_probing(&mut c, Instant::from_secs(1), ADDR);
        let t = probed + Duration::from_millis(300);
        // A conflict on another address is not this offer's.
        c.address_conflict(t, ADDR2);
        assert_eq!(c.state(), Dhcpv4State::Probing);
        c.address_conflict(t, ADDR);
        assert_eq!(c.state(), Dhcpv4State::Declining);
        assert_eq!(events(&mut c), [Dhcpv4Event::Conflict(ADDR)]);
        assert!(c.lease().is_none());

        assert_eq!(c.poll_at(t), Some(t));
        let dec = dispatch(&mut c, t).unwrap();
        assert_eq!(dec.addrs(), (ZERO, BCAST));
        let p = DhcpPacket::new_checked(dec.bytes()).unwrap();
        assert_eq!(p.flags(), 0);
        let r = dec.repr();
        assert_eq!(r.message_type, DhcpMessageType::Decline);
        assert_eq!(r.transaction_id, xid);
        assert_eq!((r.secs, r.client_ip), (0, ZERO));
        assert_eq!(r.requested_ip, Some(ADDR));
        assert_eq!(r.server_identifier, Some(SERVER));
        assert_eq!(r.parameter_request_list, None);
        assert_eq!(r.host_name, None);
        assert_eq!(r.client_identifier, Some(&our_client_id()[..]));
        assert_eq!(c.state(), Dhcpv4State::Waiting);

        assert_eq!(c.poll_at(t), Some(t + secs(10)));
        assert_eq!(dispatch(&mut c, t + secs(10) - US), None);
        let restart = t + secs(10);
        let (xid2, probed) = to_probing(&mut c, restart, ADDR2);
        assert_ne!(xid2, xid);
        c.probe_done(probed);
        match events(&mut c).as_slice() {
            [Dhcpv4Event::Configured(l)] => assert_eq!(l.address.address(), ADDR2),
            other => panic!("{other:?}"),
        }
    }

    /// RFC 5227 §2.4 and RFC 2131 §4.4.1: a leased address whose defence
    /// the interface lost is no longer used (Deconfigured before Conflict)
    /// and is declined from 0.0.0.0; a conflict on another address is
    /// ignored.
    #[test]
    fn conflict_on_the_leased_address_deconfigures_and_declines() {
        let mut c = client(config(), 11);
        let (_, bound) = acquire(&mut c, Instant::ZERO);
        let t = bound + secs(30);
        c.address_conflict(t, ADDR2);
        assert_eq!(c.state(), Dhcpv4State::Bound);
        assert!(events(&mut c).is_empty());
        c.address_conflict(t, ADDR);
        assert_eq!(
            events(&mut c),
            [Dhcpv4Event::Deconfigured, Dhcpv4Event::Conflict(ADDR)]
        );
        assert!(c.lease().is_none());
        let dec = dispatch(&mut c, t).unwrap();
        assert_eq!(dec.addrs(), (ZERO, BCAST));
        let r = dec.repr();
        assert_eq!(r.message_type, DhcpMessageType::Decline);
        assert_eq!((r.client_ip, r.requested_ip), (ZERO, Some(ADDR)));
        assert_eq!(c.poll_at(t), Some(t + secs(10)));
    }

    /// RFC 5227 §2.1.1: after MAX_CONFLICTS (10) conflicts the client waits
    /// RATE_LIMIT_INTERVAL (60 s) instead of 10 s. Also: the event queue
    /// keeps the newest EVENT_QUEUE_LEN events.
    #[test]
    fn conflict_rate_limit_and_event_queue_bound() {
        let mut c = client(config(), 12);
        let mut now = Instant::ZERO;
        for n in 1..=12u32 {
            let (_, probed) = to_probing(&mut c, now, ADDR);
            c.address_conflict(probed, ADDR);
            let dec = dispatch(&mut c, probed).unwrap();
            assert_eq!(dec.kind(), Some(DhcpMessageType::Decline));
            let wait = if n >= 10 { secs(60) } else { secs(10) };
            assert_eq!(c.poll_at(probed), Some(probed + wait), "conflict {n}");
            now = probed + wait;
        }
        let ev = events(&mut c);
        assert_eq!(ev.len(), EVENT_QUEUE_LEN);
        assert!(ev.iter().all(|e| *e == Dhcpv4Event::Conflict(ADDR)));
        // A successful bind resets the count: the next conflict waits 10 s.
        acquire(&mut c, now);
        c.reset();
        events(&mut c);
        let (_, probed) = to_probing(&mut c, now + secs(100), ADDR);
        c.address_conflict(probed, ADDR);
        dispatch(&mut c, probed).unwrap();
        assert_eq!(c.poll_at(probed), Some(probed + secs(10)));
    }

    /// RFC 2131 §4.4.6: RELEASE unicast to the server with ciaddr and option
    /// 54, no option 50, then Deconfigured and idle until reset.
    #[test]
    fn release_then_idle_then_reset() {
        let mut c = client(config(), 13);
        let (lease, bound) = acquire(&mut c, Instant::from_secs(10));
        let now = bound + secs(100);
        c.release();
        assert_eq!(c.state(), Dhcpv4State::Releasing);
        assert!(c.lease().is_some(), "the address is the RELEASE's source");
        assert_eq!(c.poll_at(now), Some(now));
        let rel = dispatch(&mut c, now).unwrap();
        assert_eq!(rel.addrs(), (ADDR, SERVER));
        let r = rel.repr();
        assert_eq!(r.message_type, DhcpMessageType::Release);
        assert_eq!(r.client_ip, ADDR);
        assert_eq!((r.secs, r.broadcast), (0, false));
        assert_eq!(r.server_identifier, Some(lease.server));
        assert_eq!(r.requested_ip, None);
        assert_eq!(r.parameter_request_list, None);
        assert_eq!(events(&mut c), [Dhcpv4Event::Deconfigured]);
        assert_eq!(c.state(), Dhcpv4State::Stopped);
        assert!(c.lease().is_none());
        assert_eq!(c.poll_at(now), None);
        assert_eq!(dispatch(&mut c, now + secs(10_000)), None);

        c.reset();
        assert!(events(&mut c).is_empty());
        let d = dispatch(&mut c, now).unwrap();
        assert_eq!(d.kind(), Some(DhcpMessageType::Discover));

        // Release without a lease: stop, send nothing, no event.
        let mut c = client(config(), 13);
        c.release();
        assert_eq!(c.state(), Dhcpv4State::Stopped);
        assert_eq!(dispatch(&mut c, now), None);
        assert!(events(&mut c).is_empty());
    }

    /// reset() of a bound client: Deconfigured, then a DISCOVER.
    #[test]
    fn reset_while_bound_deconfigures() {
        let mut c = client(config(), 14);
        let (_, bound) = acquire(&mut c, Instant::ZERO);
        c.reset();
        assert_eq!(events(&mut c), [Dhcpv4Event::Deconfigured]);
        assert_eq!(c.state(), Dhcpv4State::Selecting);
        assert_eq!(
            dispatch(&mut c, bound).unwrap().kind(),
            Some(DhcpMessageType::Discover)
        );
    }

    /// RFC 2131 §4.4.1: replies with another xid or chaddr, client messages
    /// (BOOTREQUEST), replies echoing another client identifier (RFC 6842
    /// §3) and replies before anything was sent are discarded.
    #[test]
    fn foreign_messages_ignored() {
        let mut c = client(config(), 15);
        let t0 = Instant::ZERO;
        // Before the first DISCOVER: no transaction yet.
        let early = c.clone();
        let mut c2 = early.clone();
        let future_xid = dispatch(&mut c2, t0).unwrap().repr().transaction_id;
        c.process(t0, SERVER, &offer(future_xid, ADDR, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Selecting);

        let xid = dispatch(&mut c, t0).unwrap().repr().transaction_id;
        assert_eq!(xid, future_xid);
        c.process(t0, SERVER, &offer(xid.wrapping_add(1), ADDR, SERVER));
        let mut o = offer(xid, ADDR, SERVER);
        o.client_hardware_address = OTHER_MAC;
        c.process(t0, SERVER, &o);
        let other_id = [1u8, 2, 0, 0, 0, 0, 0x99];
        let mut o = offer(xid, ADDR, SERVER);
        o.client_identifier = Some(&other_id);
        c.process(t0, SERVER, &o);
        // Another client's DISCOVER and REQUEST with our xid.
        for kind in [DhcpMessageType::Discover, DhcpMessageType::Request] {
            c.process(t0, ZERO, &reply(kind, xid, ADDR, SERVER));
        }
        // ACK and NAK are not answers to a DISCOVER.
        c.process(t0, SERVER, &ack(xid, ADDR, SERVER));
        c.process(t0, SERVER, &nak(xid, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Selecting);
        assert!(events(&mut c).is_empty());

        // An offer echoing our own identifier is fine.
        let ours = our_client_id();
        let mut o = offer(xid, ADDR, SERVER);
        o.client_identifier = Some(&ours);
        c.process(t0, SERVER, &o);
        assert_eq!(c.state(), Dhcpv4State::Requesting);
    }

    /// RFC 2131 Table 3: an OFFER needs a server identifier, a lease time
    /// (non-zero) and a usable `yiaddr`.
    #[test]
    fn unusable_offers_ignored() {
        let edits: [fn(&mut DhcpRepr<'static>); 5] = [
            |o| o.server_identifier = None,
            |o| o.lease_duration = None,
            |o| o.lease_duration = Some(0),
            |o| o.your_ip = ZERO,
            |o| o.your_ip = Ipv4Addr::new(224, 0, 0, 1),
        ];
        for edit in edits {
            let mut c = client(config(), 16);
            let xid = dispatch(&mut c, Instant::ZERO)
                .unwrap()
                .repr()
                .transaction_id;
            let mut o = offer(xid, ADDR, SERVER);
            edit(&mut o);
            c.process(Instant::ZERO, SERVER, &o);
            assert_eq!(c.state(), Dhcpv4State::Selecting, "{o:?}");
        }
    }

    /// Runs DORA without probing, with `edit` applied to the ACK; `None`
    /// when the ACK was not taken.
    fn lease_of(cfg: Dhcpv4Config, edit: impl FnOnce(&mut DhcpRepr<'static>)) -> Option<Lease> {
        let mut cfg = cfg;
        cfg.arp_probe = false;
        let mut c = client(cfg, 17);
        let t = Instant::from_secs(1000);
        let xid = dispatch(&mut c, t).unwrap().repr().transaction_id;
        c.process(t, SERVER, &offer(xid, ADDR, SERVER));
        dispatch(&mut c, t).unwrap();
        let mut a = ack(xid, ADDR, SERVER);
        edit(&mut a);
        c.process(t, SERVER, &a);
        match events(&mut c).as_slice() {
            [Dhcpv4Event::Configured(l)] => {
                assert_eq!(c.state(), Dhcpv4State::Bound);
                // No probe, no announcement: the next poll is T1.
                assert_eq!(c.poll_at(t), Some(l.renew_at.max(t)));
                Some(l.clone())
            }
            [] => {
                assert_eq!(c.state(), Dhcpv4State::Requesting);
                None
            }
            other => panic!("{other:?}"),
        }
    }

    /// Lease times: options 51/58/59, derived T1/T2 (RFC 2131 §4.4.5),
    /// zero or missing lease rejected, infinity (§3.3), the configured cap.
    #[test]
    fn lease_times_from_options() {
        let t = Instant::from_secs(1000);
        assert_eq!(lease_of(config(), |a| a.lease_duration = None), None);
        assert_eq!(lease_of(config(), |a| a.lease_duration = Some(0)), None);

        let l = lease_of(config(), |a| {
            a.renew_duration = Some(100);
            a.rebind_duration = Some(200);
        })
        .unwrap();
        assert_eq!(
            (l.renew_at, l.rebind_at, l.expires_at),
            (t + secs(100), t + secs(200), t + secs(3600))
        );
        // Inconsistent server values fall back to the defaults.
        let l = lease_of(config(), |a| {
            a.renew_duration = Some(3200);
            a.rebind_duration = Some(3600);
        })
        .unwrap();
        assert_eq!((l.renew_at, l.rebind_at), (t + secs(1800), t + secs(3150)));
        // T2 given below the default T1: T1 follows it down.
        let l = lease_of(config(), |a| a.rebind_duration = Some(1000)).unwrap();
        assert_eq!((l.renew_at, l.rebind_at), (t + secs(1000), t + secs(1000)));
        // Odd lease: microsecond precision, no rounding to whole seconds.
        let l = lease_of(config(), |a| a.lease_duration = Some(1)).unwrap();
        assert_eq!(l.renew_at, t + Duration::from_millis(500));
        assert_eq!(l.rebind_at, t + Duration::from_millis(875));

        // RFC 2131 §3.3: 0xffffffff never expires.
        let l = lease_of(config(), |a| a.lease_duration = Some(u32::MAX)).unwrap();
        assert_eq!(l.lease_duration, Duration::MAX);
        assert_eq!(l.expires_at, Instant::from_micros(i64::MAX));
        assert_eq!(l.renew_at, Instant::from_micros(i64::MAX));

        // The cap shortens the lease and T1/T2 follow it.
        let mut cfg = config();
        cfg.max_lease_duration = Some(secs(600));
        let l = lease_of(cfg.clone(), |a| a.renew_duration = Some(1800)).unwrap();
        assert_eq!(l.lease_duration, secs(600));
        assert_eq!(
            (l.renew_at, l.rebind_at, l.expires_at),
            (t + secs(300), t + secs(525), t + secs(600))
        );
        // A shorter lease than the cap is left alone.
        let l = lease_of(cfg, |a| a.lease_duration = Some(60)).unwrap();
        assert_eq!(l.expires_at, t + secs(60));
    }

    /// Subnet mask → prefix: a contiguous mask gives its length; a missing,
    /// non-contiguous or all-zero mask gives /32 (documented on
    /// `Lease::address`).
    #[test]
    fn subnet_mask_to_prefix() {
        let prefix = |mask: Option<Ipv4Addr>| {
            lease_of(config(), |a| a.subnet_mask = mask)
                .unwrap()
                .address
                .prefix_len()
        };
        assert_eq!(prefix(Some(Ipv4Addr::new(255, 255, 255, 252))), 30);
        assert_eq!(prefix(Some(Ipv4Addr::new(255, 255, 0, 0))), 16);
        assert_eq!(prefix(Some(Ipv4Addr::new(255, 255, 255, 255))), 32);
        assert_eq!(prefix(Some(Ipv4Addr::new(255, 0, 255, 0))), 32);
        assert_eq!(prefix(Some(Ipv4Addr::new(0, 0, 0, 0))), 32);
        assert_eq!(prefix(None), 32);
        // An ACK without router or DNS is still a lease.
        let l = lease_of(config(), |a| {
            a.router = None;
            a.dns_servers.clear();
        })
        .unwrap();
        assert_eq!((l.router, l.dns_servers.len()), (None, 0));
    }

    /// The state advances only when the device took the message: an `Err`
    /// from `f` leaves the same message due, with the same xid.
    #[test]
    fn busy_device_delays_without_losing_state() {
        let mut c = client(config(), 18);
        let t0 = Instant::ZERO;
        let busy = |c: &mut Dhcpv4Client, now| {
            let mut called = false;
            let r = c.dispatch(now, |_| {
                called = true;
                Err::<(), &str>("busy")
            });
            assert_eq!(r, Err("busy"));
            assert!(called);
        };
        busy(&mut c, t0);
        busy(&mut c, t0 + secs(1));
        assert_eq!(c.poll_at(t0 + secs(1)), Some(t0 + secs(1)));
        let d = dispatch(&mut c, t0 + secs(2)).unwrap();
        let xid = d.repr().transaction_id;
        let mut fresh = client(config(), 18);
        let d0 = dispatch(&mut fresh, t0).unwrap();
        assert_eq!(xid, d0.repr().transaction_id, "same xid after failures");
        // The retransmission timer starts at the successful send.
        let next = c.poll_at(t0 + secs(2)).unwrap();
        assert!(next >= t0 + secs(5) && next <= t0 + secs(7));

        // A RELEASE that the device refuses is still pending, no event.
        let mut c = client(config(), 18);
        let (_, bound) = acquire(&mut c, t0);
        c.release();
        busy(&mut c, bound);
        assert_eq!(c.state(), Dhcpv4State::Releasing);
        assert!(events(&mut c).is_empty());
        assert!(dispatch(&mut c, bound).is_some());
        assert_eq!(events(&mut c), [Dhcpv4Event::Deconfigured]);
    }

    /// RFC 2131 §3.2 / §4.3.2 INIT-REBOOT: a broadcast REQUEST with option
    /// 50 and no server identifier; an ACK binds.
    #[test]
    fn init_reboot_acked() {
        let mut cfg = config();
        cfg.requested_ip = Some(ADDR);
        let mut c = client(cfg, 19);
        assert_eq!(c.state(), Dhcpv4State::Rebooting);
        let t0 = Instant::from_secs(3);
        let q = dispatch(&mut c, t0).unwrap();
        assert_eq!(q.addrs(), (ZERO, BCAST));
        let r = q.repr();
        assert_eq!(r.message_type, DhcpMessageType::Request);
        assert_eq!((r.client_ip, r.requested_ip), (ZERO, Some(ADDR)));
        assert_eq!(r.server_identifier, None);
        assert!(r.broadcast);
        c.process(t0, SERVER, &ack(r.transaction_id, ADDR, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Probing);
        assert_eq!(c.take_probe(), Some(ADDR));
        c.probe_done(t0 + secs(5));
        match events(&mut c).as_slice() {
            [Dhcpv4Event::Configured(l)] => {
                assert_eq!(l.server, SERVER);
                assert_eq!(l.acquired_at, t0);
            }
            other => panic!("{other:?}"),
        }
    }

    /// RFC 2131 §3.2: a NAK in INIT-REBOOT → DISCOVER without the old
    /// address; silence → three REQUESTs, then DISCOVER suggesting it.
    #[test]
    fn init_reboot_nak_or_silence_falls_back_to_discover() {
        let mut cfg = config();
        cfg.requested_ip = Some(ADDR);
        let mut c = client(cfg.clone(), 20);
        let t0 = Instant::ZERO;
        let q = dispatch(&mut c, t0).unwrap();
        c.process(t0, SERVER, &nak(q.repr().transaction_id, SERVER));
        assert!(events(&mut c).is_empty());
        let d = dispatch(&mut c, t0).unwrap();
        assert_eq!(d.kind(), Some(DhcpMessageType::Discover));
        assert_eq!(d.repr().requested_ip, None);

        let mut c = client(cfg, 20);
        let outs = run(&mut c, t0, t0 + secs(60));
        let kinds: StdVec<_> = outs.iter().map(|(_, o)| o.kind().unwrap()).collect();
        use DhcpMessageType::{Discover, Request};
        assert_eq!(&kinds[..4], &[Request, Request, Request, Discover]);
        let d = &outs[3];
        assert!(d.0 >= t0 + secs(25) && d.0 <= t0 + secs(31), "{}", d.0);
        assert_eq!(d.1.repr().requested_ip, Some(ADDR));
        // After reset the INIT-REBOOT hint is back.
        c.reset();
        assert_eq!(c.state(), Dhcpv4State::Rebooting);
    }

    /// Client identifier choices (RFC 2132 §9.14) and option 57.
    #[test]
    fn client_identifier_options() {
        let id = |cid: ClientIdentifier| {
            let mut cfg = config();
            cfg.client_identifier = cid;
            cfg.max_message_size = Some(1500);
            cfg.parameter_request_list.clear();
            let d = dispatch(&mut client(cfg, 21), Instant::ZERO).unwrap();
            let r = d.repr();
            assert_eq!(r.max_size, Some(1500));
            assert_eq!(r.parameter_request_list, None);
            r.client_identifier.map(|b| b.to_vec())
        };
        assert_eq!(
            id(ClientIdentifier::HardwareAddress),
            Some(our_client_id().to_vec())
        );
        assert_eq!(id(ClientIdentifier::Omit), None);
        let custom = Vec::from_slice(&[0, b'a', b'b']).unwrap();
        assert_eq!(
            id(ClientIdentifier::Custom(custom)),
            Some(vec![0, b'a', b'b'])
        );
        let short = Vec::from_slice(&[0]).unwrap();
        assert_eq!(id(ClientIdentifier::Custom(short)), None);
    }

    /// Without ARP probing the ACK binds at once and no ARP is sent.
    #[test]
    fn no_probe_binds_on_ack() {
        let mut cfg = config();
        cfg.arp_probe = false;
        let mut c = client(cfg, 22);
        let (lease, _) = acquire(&mut c, Instant::ZERO);
        assert_eq!(c.poll_at(Instant::ZERO), Some(lease.renew_at));
    }

    /// An ACK to a renewal that names another address is not an extension
    /// of this lease (the server must ACK ciaddr or NAK): ignored.
    #[test]
    fn renewal_ack_for_other_address_ignored() {
        let mut c = client(config(), 23);
        let (lease, _) = acquire(&mut c, Instant::ZERO);
        let q = dispatch(&mut c, lease.renew_at).unwrap();
        let xid = q.repr().transaction_id;
        c.process(lease.renew_at, SERVER, &ack(xid, ADDR2, SERVER));
        assert_eq!(c.state(), Dhcpv4State::Renewing);
        assert!(events(&mut c).is_empty());
        assert_eq!(c.lease(), Some(&lease));
    }

    /// No heap, and small enough to sit in a socket set.
    #[test]
    fn client_is_small() {
        assert!(core::mem::size_of::<Dhcpv4Client>() <= 1024);
    }
}
