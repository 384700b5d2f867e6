//! The client state machine of RFC 2131 §4.4: SELECTING, REQUESTING,
//! INIT-REBOOT, PROBING (the interface's RFC 5227), BOUND, RENEWING,
//! REBINDING, DECLINE and RELEASE, with the §4.1 retransmission timers.

use super::*;

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

/// What the interface must act on, from [`Dhcpv4Client::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
///
/// Add it to the interface's [`SocketSet`](crate::socket::SocketSet) (one
/// per set); the interface sends and receives its messages on each poll.
/// The application reads its events after each poll and applies them,
/// most simply with
/// [`Interface::apply_dhcpv4`](crate::iface::Interface::apply_dhcpv4).
///
/// # Example
///
/// ```
/// use rstcp::iface::{Config, Interface, InterfaceStorage};
/// use rstcp::socket::dhcpv4::{Dhcpv4Client, Dhcpv4Config, Dhcpv4Event, Dhcpv4State};
/// use rstcp::socket::{IndexSlot, SocketSet, SocketStorage};
/// use rstcp::time::Instant;
/// use rstcp::wire::EthernetAddress;
///
/// let mac = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
/// // No IPv4 address: the lease will bring one.
/// let mut iface = Interface::new(Config::new(mac), InterfaceStorage::none(), Instant::ZERO);
/// let mut slots = [SocketStorage::EMPTY; 2];
/// let mut index = [IndexSlot::default(); 4];
/// let mut sockets = SocketSet::new(&mut slots[..], &mut index[..], 0x5eed);
///
/// // The seed spreads the retransmissions of devices booting together.
/// let dhcp = sockets.add(Dhcpv4Client::new(Dhcpv4Config::default(), mac, 0x5eed)).unwrap();
/// assert_eq!(sockets.get_mut::<Dhcpv4Client>(dhcp).unwrap().state(), Dhcpv4State::Selecting);
///
/// // In the loop, after each poll:
/// while let Some(event) = sockets.get_mut::<Dhcpv4Client>(dhcp).unwrap().poll_event() {
///     if let Dhcpv4Event::Configured(lease) = &event {
///         // lease.address, lease.router, lease.dns_servers ...
/// #       let _ = lease;
///     }
///     // Sets (or removes) the address and the default route.
///     iface.apply_dhcpv4(&event);
/// }
/// ```
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
