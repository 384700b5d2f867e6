//! Two sockets joined back to back in simulated time: what one emits the
//! other processes at once, unless the test's filter loses it.

use super::support::*;

/// The data sender's side.
pub(super) const A: usize = 0;
/// The other side.
pub(super) const B: usize = 1;

/// Two connected sockets and the simulated clock.
pub(super) struct Pair {
    /// A (index 0) and B (index 1).
    pub(super) s: [TcpSocket<'static>; 2],
    pub(super) now: Instant,
    /// The MTU both sides see (the MSS follows it).
    pub(super) mtu: usize,
}

/// Runs `s`'s timers at `now` with the device refusing every frame: what
/// was due stays due (nothing is recorded as sent).
pub(super) fn busy(s: &mut TcpSocket<'_>, now: Instant) {
    let _ = s.dispatch::<()>(
        TcpContext {
            now,
            mtu: MTU,
            tso_payload: 0,
            segments: 1,
        },
        |_| Err(()),
    );
}

/// Hands `seg` to `to` as a received segment.
pub(super) fn deliver(to: &mut TcpSocket<'_>, now: Instant, seg: &Seg) {
    let mut sack_ranges = [None; MAX_SACK_BLOCKS];
    for (slot, block) in sack_ranges.iter_mut().zip(seg.sack.iter()) {
        *slot = Some(*block);
    }
    let repr = TcpRepr {
        ack_number: seg.ack,
        window_len: seg.window,
        window_scale: seg.ws,
        max_seg_size: seg.mss,
        sack_permitted: seg.sack_perm,
        sack_ranges,
        timestamp: seg.ts,
        payload: &seg.payload,
        ..TcpRepr::bare(REMOTE.port, LOCAL.port, seg.control, seg.seq)
    };
    to.process(now, &repr);
}

impl Pair {
    /// A connects to B. B is an active opener too whose own SYN never left
    /// (RFC 9293 §3.5 figure 8 from one side): it answers A's SYN with a
    /// SYN-ACK from SYN-RECEIVED, so both handshake paths of the socket
    /// are used. `config` is applied to both before connecting.
    pub(super) fn connect(
        iss_a: TcpSeqNumber,
        iss_b: TcpSeqNumber,
        buf: usize,
        mtu: usize,
        config: impl Fn(&mut TcpConfig),
    ) -> Pair {
        let now = Instant::ZERO;
        let mut a = socket(buf);
        let mut b = socket(buf);
        config(a.config_mut());
        config(b.config_mut());
        a.connect(LOCAL, REMOTE, iss_a, now).unwrap();
        b.connect(REMOTE, LOCAL, iss_b, now).unwrap();
        let mut p = Pair {
            s: [a, b],
            now,
            mtu,
        };
        let syn = p.emit(A).expect("A's SYN");
        deliver(&mut p.s[B], now, &syn);
        assert_eq!(p.s[B].state(), State::SynReceived);
        p.run_until(now, |_| false, |_, _| true);
        assert_eq!(p.s[A].state(), State::Established);
        assert_eq!(p.s[B].state(), State::Established);
        p
    }

    /// The next segment `side` sends now.
    pub(super) fn emit(&mut self, side: usize) -> Option<Seg> {
        out_mtu(&mut self.s[side], self.now, self.mtu)
    }

    /// Moves segments both ways at the current time until neither side
    /// sends; `keep(from, seg)` false loses a segment. True if any moved.
    pub(super) fn exchange(&mut self, keep: &mut impl FnMut(usize, &Seg) -> bool) -> bool {
        let mut moved = false;
        let mut count = 0;
        loop {
            let mut any = false;
            for from in [A, B] {
                while let Some(seg) = self.emit(from) {
                    any = true;
                    count += 1;
                    assert!(count < 1_000_000, "an ACK storm at {:?}", self.now);
                    if keep(from, &seg) {
                        let now = self.now;
                        deliver(&mut self.s[1 - from], now, &seg);
                    }
                }
            }
            if !any {
                return moved;
            }
            moved = true;
        }
    }

    /// The earlier of the two sockets' next deadlines.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let now = self.now;
        self.s.iter().filter_map(|s| s.poll_at(now)).min()
    }

    /// Exchanges segments and advances the clock to each next deadline
    /// until `done` holds (true) or time passes `until` or no timer is left
    /// (false). `done` is asked between exchanges, so it may also act as the
    /// applications (write, read). Panics when a socket asks to be polled
    /// now again and again without sending anything (a busy loop).
    pub(super) fn run_until(
        &mut self,
        until: Instant,
        mut done: impl FnMut(&mut Pair) -> bool,
        mut keep: impl FnMut(usize, &Seg) -> bool,
    ) -> bool {
        let mut idle_spins = 0;
        loop {
            let moved = self.exchange(&mut keep);
            if done(self) {
                return true;
            }
            if moved {
                idle_spins = 0;
                continue;
            }
            let Some(next) = self.next_deadline() else {
                return false;
            };
            if next > until {
                return false;
            }
            if next <= self.now {
                idle_spins += 1;
                assert!(idle_spins < 1000, "poll_at says now, nothing is sent");
            } else {
                idle_spins = 0;
            }
            self.now = next;
        }
    }
}
