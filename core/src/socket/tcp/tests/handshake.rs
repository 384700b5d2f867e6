//! The handshake (RFC 9293 §3.5): our SYN's options, simultaneous open,
//! a SYN cookie's ACK, a refused SYN; and its loose ends (issue 10 item
//! 17): the ACK checked against SND.MAX, data and FIN on a SYN-ACK, RFC
//! 6298 §5.7 after a SYN timeout.

use super::pair::*;
use super::support::*;

#[test]
fn a_syn_ack_arriving_between_a_timeout_and_the_resent_syn_is_taken() {
    // RFC 9293 §3.10.7.3 checks SEG.ACK against the highest number sent: the
    // timeout pulled SND.NXT back to the ISS, the device was busy, and the
    // SYN-ACK to the first SYN came before the second: it was answered with
    // a reset and the connection lost a round trip (or the peer's state).
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    busy(&mut s, rto);
    s.process(rto, &seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    let ack = out(&mut s, rto).unwrap();
    assert_eq!(ack.control, TcpFlags::empty(), "an ACK, not a reset");
    assert_eq!((ack.seq, ack.ack), (ISS + 1, Some(IRS + 1)));
}

#[test]
fn the_ack_of_a_syn_ack_arriving_between_a_timeout_and_the_resend_is_taken() {
    // The same in SYN-RECEIVED (simultaneous open).
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    busy(&mut s, rto);
    s.process(rto, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
}

#[test]
fn data_and_fin_on_a_syn_ack_are_taken() {
    // RFC 9293 §3.10.7.3: "If there are other controls or text in the
    // segment, continue processing at the sixth step". They were dropped,
    // and the peer had to send them again.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::SYN | TcpFlags::FIN, IRS, Some(ISS + 1), b"hello"),
    );
    assert_eq!(s.state(), State::CloseWait);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 7), "SYN, 5 bytes and the FIN");
    let mut buf = [0; 16];
    let n = s.recv_slice(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert!(s.recv_finished());
}

#[test]
fn after_a_syn_timeout_data_starts_with_a_3_second_rto() {
    // RFC 6298 §5.7: "If the timer expires awaiting the ACK of a SYN
    // segment and the TCP implementation is using an RTO less than 3
    // seconds, the RTO MUST be re-initialized to 3 seconds when data
    // transmission begins". Without timestamps the handshake gives no
    // sample (Karn), so the backed-off 2 s stayed.
    let mut s = socket(8192);
    s.config_mut().timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    assert_eq!(rto, Instant::from_secs(1));
    out(&mut s, rto).expect("the SYN again");
    let t = rto + Duration::from_millis(50);
    s.process(t, &seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    out(&mut s, t).unwrap();
    s.send_slice(b"data").unwrap();
    out(&mut s, t).unwrap();
    assert_eq!(s.poll_at(t), Some(t + Duration::from_secs(3)));
    assert_eq!(s.stats().rto, Duration::from_secs(3));
}

#[test]
fn after_a_syn_ack_timeout_data_starts_with_a_3_second_rto() {
    // The same for the SYN-ACK of SYN-RECEIVED, and for a listener's child
    // whose SYN-ACK went twice.
    let mut s = socket(8192);
    s.config_mut().timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    out(&mut s, rto).expect("the SYN-ACK again");
    s.process(rto, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.stats().rto, Duration::from_secs(3));

    let mut child = socket(8192);
    let syn = seg(TcpFlags::SYN, IRS, None, &[]);
    let mut half =
        super::super::super::HalfOpen::from_syn(LOCAL, REMOTE, &syn, ISS, 0, Instant::ZERO);
    half.sent = 2;
    let ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    child.accept_established(&half, &ack, 1460, Instant::from_secs(1));
    assert_eq!(child.stats().rto, Duration::from_secs(3));
}

#[test]
fn an_ack_half_the_space_from_the_iss_is_refused() {
    // Sequence numbers 2^31 apart compare neither way (RFC 1982), so the
    // rejection "SEG.ACK =< ISS or SEG.ACK > SND.MAX" let ISS + 2^31 pass,
    // even before our SYN left: the socket became ESTABLISHED and sent
    // data from the SYN's number (the `tcp_socket` fuzz target).
    for syn_sent in [false, true] {
        let mut s = socket(8192);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        if syn_sent {
            out(&mut s, Instant::ZERO).unwrap();
        }
        let half_turn = ISS + (1usize << 31);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::SYN, IRS, Some(half_turn), &[]),
        );
        assert_eq!(s.state(), State::SynSent);
        // The simultaneous open's SYN-RECEIVED too.
        s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
        assert_eq!(s.state(), State::SynReceived);
        let _ = out(&mut s, Instant::ZERO);
        let _ = out(&mut s, Instant::ZERO);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + (1usize << 31)), &[]),
        );
        assert_eq!(s.state(), State::SynReceived);
    }
}

#[test]
fn syn_carries_our_options_and_the_iss() {
    let mut s = socket(256 * 1024);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    assert_eq!(s.state(), State::SynSent);
    let syn = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(syn.control, TcpFlags::SYN);
    assert_eq!(syn.seq, ISS);
    assert_eq!(syn.ack, None);
    // RFC 9293 §3.7.1: MTU − 40. RFC 7323 §2.3: the smallest shift
    // that makes 256 KiB fit 16 bits is 3 (262 144 >> 2 = 65 536).
    assert_eq!(syn.mss, Some(1460));
    assert_eq!(syn.ws, Some(3));
    assert!(syn.sack_perm);
    assert!(syn.ts.is_some());
    // RFC 7323 §2.2: the SYN's window is not scaled (and fits 16 bits).
    assert_eq!(syn.window, 65535);
    // Nothing more until the SYN's timer: RFC 6298 §2.1, 1 s.
    assert_eq!(out(&mut s, Instant::from_millis(999)), None);
    let again = out(&mut s, Instant::from_secs(1)).unwrap();
    assert_eq!((again.control, again.seq), (TcpFlags::SYN, ISS));
}

#[test]
fn an_ack_owed_during_the_handshake_carries_no_data() {
    // RFC 9293 §3.10.2: data written in SYN-RECEIVED waits for
    // ESTABLISHED. Found by the `tcp_socket` fuzz target: a challenge
    // ACK in SYN-RECEIVED (simultaneous open) carried the data from
    // buffer offset 1 at ISS + 1, the SYN counted as a buffer byte.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    assert_eq!(s.state(), State::SynReceived);
    let synack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(synack.control, TcpFlags::SYN);
    // More than a segment, so Nagle does not hold it.
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    s.send_slice(&bytes).unwrap();
    // Below the window: a challenge ACK is owed.
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS - 2000, Some(ISS + 1), &[]),
    );
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((ack.seq, ack.ack), (ISS + 1, Some(IRS + 1)));
    assert!(ack.payload.is_empty(), "data before ESTABLISHED");
    // The handshake completes: the data goes from its first byte.
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::Established);
    let data = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(data.seq, ISS + 1);
    assert_eq!(data.payload[..], bytes[..data.payload.len()]);
}

#[test]
fn simultaneous_open_keeps_the_peer_mss() {
    // RFC 9293 §3.7.1, figure 8 of §3.5. Found by the `tcp_socket` fuzz
    // target: sending the SYN-ACK in SYN-RECEIVED reset the send MSS to
    // our own, so the peer's MSS and the timestamps' 12 bytes were
    // forgotten (1460-byte segments with timestamps: fragmented).
    let mut s = socket(64 * 1024);
    s.set_nodelay(true);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    let mut syn = seg(TcpFlags::SYN, IRS, None, &[]);
    syn.max_seg_size = Some(536);
    syn.timestamp = Some((1, 0));
    // The peer's SYN before ours went out (ours waited for ARP).
    s.process(Instant::ZERO, &syn);
    assert_eq!(s.state(), State::SynReceived);
    let synack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(synack.control, TcpFlags::SYN);
    assert!(synack.ts.is_some());
    let mut ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    ack.timestamp = Some((2, synack.ts.unwrap().0));
    s.process(Instant::ZERO, &ack);
    assert_eq!(s.state(), State::Established);
    s.send_slice(&[1u8; 3000]).unwrap();
    let data = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(data.payload.len(), 536 - 12, "the peer's MSS less TSopt");
}

#[test]
fn close_in_syn_received_with_data_waits_for_established() {
    // RFC 9293 §3.10.4. Found by the `tcp_socket` fuzz target: the close
    // moved to FIN-WAIT-1 with the SYN unacknowledged, and the data then
    // went from buffer offset 1 at ISS + 1.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    out(&mut s, Instant::ZERO).unwrap();
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    s.send_slice(&bytes).unwrap();
    s.close();
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(
        s.poll_at(Instant::ZERO).map(|t| t > Instant::ZERO),
        Some(true)
    );
    for t in [40, 1000] {
        // Delayed ACK, then the SYN-ACK again: never data.
        if let Some(seg) = out(&mut s, Instant::from_millis(t)) {
            assert!(seg.payload.is_empty(), "data before ESTABLISHED");
        }
    }
    s.process(
        Instant::from_millis(1001),
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::FinWait1);
    let data = out(&mut s, Instant::from_millis(1001)).unwrap();
    assert_eq!(data.seq, ISS + 1);
    assert_eq!(data.payload[..], bytes[..data.payload.len()]);
}

#[test]
fn a_cookie_ack_echoing_options_gets_scaling_sack_and_timestamps() {
    // RFC 4987 §3.6, the options carried in our TSval (isn.rs).
    use crate::socket::tcp::isn::{decode_ts_options, encode_ts_options};
    let mut s = socket(256 * 1024);
    let mut ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    ack.window_len = 1000;
    ack.timestamp = Some((5000, 0x1234_5677));
    let options = decode_ts_options(encode_ts_options(Some(7), true));
    s.accept_cookie(
        LOCAL,
        REMOTE,
        &ack,
        1460,
        Some(options),
        1460,
        0,
        Instant::ZERO,
    );
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.stats().mss, 1460 - 12, "less the timestamps option");
    // Out-of-order data: the ACK carries SACK, timestamps, our scaled window.
    let mut data = seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[1; 10]);
    data.timestamp = Some((5001, 0x1234_5677));
    s.process(Instant::ZERO, &data);
    let a = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(a.sack, vec![((IRS + 101).0, (IRS + 111).0)]);
    assert_eq!(a.ts.map(|t| t.1), Some(5000), "TS.Recent from the ACK");
    assert_eq!(a.window, ((256 * 1024) >> 3) as u16, "shift 3");
    // The peer's window is scaled by its shift: 1000 << 7 bytes.
    s.set_nodelay(true);
    s.send_slice(&[0; 200_000]).unwrap();
    let mut sent = 0;
    while let Some(seg) = out(&mut s, Instant::ZERO) {
        sent += seg.payload.len();
    }
    assert!(sent > 1000, "{sent} bytes sent into a 128000-byte window");

    // Without an echoed timestamp: none of the options.
    let mut s = socket(256 * 1024);
    ack.timestamp = None;
    s.accept_cookie(
        LOCAL,
        REMOTE,
        &ack,
        1460,
        Some(options),
        1460,
        0,
        Instant::ZERO,
    );
    assert_eq!(s.stats().mss, 1460);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[1; 10]),
    );
    let a = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((a.sack.len(), a.ts, a.window), (0, None, 65535));
}

#[test]
fn simultaneous_open_answers_a_syn_with_a_syn_ack() {
    // RFC 9293 §3.5, figure 8.
    let mut s = socket(8192);
    s.config.timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    assert_eq!(s.state(), State::SynReceived);
    let synack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(
        (synack.control, synack.seq, synack.ack),
        (TcpFlags::SYN, ISS, Some(IRS + 1))
    );
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::Established);
}

#[test]
fn simultaneous_open_syn_ack_is_no_timeout() {
    // RFC 9293 §3.5 figure 8: the SYN-ACK answering the peer's SYN is
    // a reply, not a retransmission timeout: it must not back the RTO
    // off, count a retransmission, or spend a SYN retry.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).expect("the SYN's timer") - Instant::ZERO;
    let t = Instant::from_millis(10);
    s.process(t, &seg(TcpFlags::SYN, IRS, None, &[]));
    let synack = out(&mut s, t).unwrap();
    assert_eq!((synack.control, synack.ack), (TcpFlags::SYN, Some(IRS + 1)));
    assert_eq!(s.stats().retransmits, 0);
    assert_eq!(s.stats().timeouts, 0);
    assert_eq!(s.poll_at(t), Some(t + rto), "the RTO, not backed off");
}

#[test]
fn reset_answering_our_syn_refuses_the_connection() {
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    // Wrong ACK: dropped (RFC 9293 §3.10.7.3).
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::RST, TcpSeqNumber(0), Some(ISS + 7), &[]),
    );
    assert_eq!(s.state(), State::SynSent);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::RST, TcpSeqNumber(0), Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.error(), Some(TcpError::ConnectionRefused));
}
