//! The client driven alone: every field of every message, the timers of
//! RFC 2131 §4.1 and §4.4.5, conflicts, NAKs, release.

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
fn reply(kind: DhcpMessageType, xid: u32, yiaddr: Ipv4Addr, server: Ipv4Addr) -> DhcpRepr<'static> {
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
