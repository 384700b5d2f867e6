//! The receiver acknowledges each out-of-order segment at once, even when
//! the device hands over several at one poll (issue 10, receiving at 2 %
//! reordering). RFC 5681 §4.2: "A TCP receiver SHOULD send an immediate
//! duplicate ACK when an out-of-order segment arrives" and "SHOULD send
//! an immediate ACK when the incoming segment fills in all or part of a
//! gap"; RFC 2018 §4: the first SACK block reports the most recent
//! segment. Linux does so per segment (tcp_data_queue / __tcp_ack_snd_check):
//! a receiver that answers a whole burst with one ACK hides the
//! reordering from the sender's SACK scoreboard and RACK (they see it
//! late, or not at all, and take fewer duplicate ACKs as the signal).
//! In-order data keeps the coalesced ACK: one per burst, at the end.

use rstcp::phy::{Device, RxToken};
use rstcp::socket::tcp::TcpConfig;
use rstcp::time::Duration;
use rstcp::wire::ethernet::EtherType;
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::relay::{parse_tcp, Dir, Seen};
use rstcp_tests::sim::*;

/// Takes every frame waiting for host `to` off the link, in order.
fn take_frames(sim: &mut Sim, to: Side) -> Vec<Vec<u8>> {
    let now = sim.now;
    let mut end = sim.link.end(to);
    let mut frames = Vec::new();
    while let Some((rx, _)) = end.receive(now) {
        rx.consume(|f| frames.push(f.to_vec()));
    }
    frames
}

/// Host B's segments back to A after one poll of B that took `order` (the
/// indexes of the data segments A sent, in the order B gets them), B's
/// connection with `each` as its `ack_each_out_of_order`.
fn acks_for(order: &[usize], each: bool) -> (Vec<Seen>, Vec<Seen>) {
    let mut sim = Sim::new(1500, false);
    let listener = sim.b.tcp_listener(80, 1, 1, 1, 64 * 1024);
    let client = sim.a.tcp(64 * 1024);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 80);
    let server = establish(&mut sim, listener, client, remote, Duration::from_secs(2))
        .expect("connection established");
    sim.b.tcp_socket(server).config_mut().ack_each_out_of_order = each;
    // Let the handshake's last ACK and any delayed ACK settle.
    sim.run_for(Duration::from_millis(500));
    let _ = take_frames(&mut sim, Side::A);
    let _ = take_frames(&mut sim, Side::B);

    // A sends a few full segments in one poll (its initial window takes them).
    let data = vec![0x5a; 1448 * order.len()];
    assert_eq!(sim.a.tcp_socket(client).send_slice(&data), Ok(data.len()));
    sim.a
        .iface
        .poll(sim.now, &mut sim.link.a(), &mut sim.a.sockets);
    let frames = take_frames(&mut sim, Side::B);
    let sent: Vec<Seen> = frames
        .iter()
        .filter_map(|f| parse_tcp(Dir::AtoB, sim.now, f))
        .filter(|s| s.len > 0)
        .collect();
    assert_eq!(sent.len(), order.len(), "A sent one segment each: {sent:?}");

    // The link reorders them; B takes them all in one poll.
    for &i in order {
        assert!(sim.put_frame(Side::A, MAC_B, EtherType::Ipv4, &frames[i][14..]));
    }
    sim.b
        .iface
        .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
    let acks = take_frames(&mut sim, Side::A)
        .iter()
        .filter_map(|f| parse_tcp(Dir::BtoA, sim.now, f))
        .collect();
    (sent, acks)
}

fn start(s: &Seen) -> u32 {
    s.seq.0
}

fn end(s: &Seen) -> u32 {
    start(s).wrapping_add(s.len as u32)
}

#[test]
fn each_out_of_order_segment_of_a_burst_draws_its_own_duplicate_ack() {
    // Segment 0 comes fourth, and 3 before 2: two holes for a while.
    let (sent, acks) = acks_for(&[1, 3, 2, 0, 4], TcpConfig::default().ack_each_out_of_order);
    assert!(TcpConfig::default().ack_each_out_of_order, "the default");
    let acked: Vec<u32> = acks.iter().filter_map(|a| a.ack.map(|n| n.0)).collect();
    let sacks: Vec<Vec<(u32, u32)>> = acks.iter().map(|a| a.sack.clone()).collect();
    // One duplicate ACK per out-of-order segment, each carrying the SACK
    // blocks as they stood, the block holding that segment first (RFC
    // 2018 §4), then the ACK of the segment that filled the hole, at once.
    assert!(
        acks.len() >= 4,
        "one ACK per out-of-order segment and one for the hole filled: {acks:?}"
    );
    assert_eq!(
        &acked[..4],
        &[
            start(&sent[0]),
            start(&sent[0]),
            start(&sent[0]),
            end(&sent[3])
        ],
        "{acks:?}"
    );
    assert_eq!(sacks[0], vec![(start(&sent[1]), end(&sent[1]))]);
    assert_eq!(
        sacks[1],
        vec![
            (start(&sent[3]), end(&sent[3])),
            (start(&sent[1]), end(&sent[1]))
        ]
    );
    assert_eq!(sacks[2], vec![(start(&sent[1]), end(&sent[3]))]);
    assert!(sacks[3].is_empty(), "no block left once the hole filled");
    // The in-order segment after it keeps the delayed ACK: nothing more
    // at once for it alone.
    assert_eq!(acks.len(), 4, "{acks:?}");
}

#[test]
fn an_in_order_burst_is_still_acknowledged_once() {
    let (sent, acks) = acks_for(&[0, 1, 2, 3, 4], true);
    assert_eq!(acks.len(), 1, "one coalesced ACK for the burst: {acks:?}");
    assert_eq!(acks[0].ack.map(|n| n.0), Some(end(&sent[4])));
}

#[test]
fn without_ack_each_out_of_order_one_ack_answers_the_burst() {
    // The std runtime's choice (it writes a poll's frames only after the
    // whole batch): the segments still owe an ACK at once, and the one
    // sent when the poll ends covers them all.
    let (sent, acks) = acks_for(&[1, 3, 2, 0, 4], false);
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].ack.map(|n| n.0), Some(end(&sent[4])));
}
