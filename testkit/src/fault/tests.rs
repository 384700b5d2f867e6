//! The fault injector's tests: each fault at 0, 100 and 30 %, its
//! bounds, reproducibility from the seed, and the device contract kept.

use super::*;
use crate::loopback::{Loopback, Side};
use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::time::{Duration, Instant};
use std::vec;

const LEN: usize = 64;

fn frame(i: u32) -> [u8; LEN] {
    let mut f = [0x5a; LEN];
    f[..4].copy_from_slice(&i.to_be_bytes());
    f
}

fn id(f: &[u8]) -> u32 {
    u32::from_be_bytes([f[0], f[1], f[2], f[3]])
}

#[derive(Clone, Copy, Debug)]
enum Dir {
    Rx,
    Tx,
}
const BOTH: [Dir; 2] = [Dir::Rx, Dir::Tx];

fn injector(dir: Dir, cfg: FaultConfig, seed: u64) -> FaultInjector<Loopback> {
    let lo = Loopback::with_capacity(DeviceCapabilities::default(), 1024);
    match dir {
        Dir::Rx => FaultInjector::with_configs(lo, cfg, FaultConfig::none(), seed),
        Dir::Tx => FaultInjector::with_configs(lo, FaultConfig::none(), cfg, seed),
    }
}

/// Offers one frame to direction `dir`: on Rx it is put in the inner
/// loopback for the injector to receive; on Tx it is sent through the
/// injector (into the loopback, which hands it back unharmed).
fn offer(fi: &mut FaultInjector<Loopback>, dir: Dir, data: &[u8], now: Instant) {
    let tok = match dir {
        Dir::Rx => {
            let tok = fi.inner_mut().transmit(now).unwrap();
            tok.consume(data.len(), |b| b.copy_from_slice(data));
            return;
        }
        Dir::Tx => fi.transmit(now).expect("tx token"),
    };
    tok.consume(data.len(), |b| b.copy_from_slice(data));
}

fn drain(fi: &mut FaultInjector<Loopback>, now: Instant, out: &mut Vec<(Instant, Vec<u8>)>) {
    while let Some((rx, _tx)) = fi.receive(now) {
        out.push((now, rx.consume(|b| b.to_vec())));
    }
}

/// Offers `n` frames one per `step`, receiving everything due along the
/// way, then follows poll_at until nothing is kept.
fn run(
    dir: Dir,
    cfg: FaultConfig,
    seed: u64,
    n: u32,
    step: Duration,
) -> (Vec<(Instant, Vec<u8>)>, FaultStats) {
    let mut fi = injector(dir, cfg, seed);
    let mut out = Vec::new();
    let mut now = Instant::from_secs(1);
    for i in 0..n {
        offer(&mut fi, dir, &frame(i), now);
        drain(&mut fi, now, &mut out);
        now += step;
    }
    let mut guard = 0;
    while let Some(t) = fi.poll_at() {
        now = now.max(t);
        drain(&mut fi, now, &mut out);
        guard += 1;
        assert!(guard < 100_000, "poll_at never settles");
    }
    assert_eq!(fi.rx_queued() + fi.tx_queued(), 0);
    let stats = match dir {
        Dir::Rx => *fi.rx_stats(),
        Dir::Tx => *fi.tx_stats(),
    };
    (out, stats)
}

fn cfg() -> FaultConfig {
    FaultConfig::none()
}

const N: u32 = 10_000;
const STEP: Duration = Duration::from_micros(100);

/// 30 % over 10 000 frames: the binomial standard deviation is 0.46
/// points, so ±2 points (4.4 sigma) only fails on a real bias.
fn assert_near_30(count: u64, total: u64, what: &str) {
    let pct = count as f64 * 100.0 / total as f64;
    assert!((28.0..=32.0).contains(&pct), "{what}: {pct:.2} % observed");
}

#[test]
fn chance_scales_and_clamps() {
    assert_eq!(Chance::percent(30).parts_per_million(), 300_000);
    assert_eq!(Chance::per_mille(5).parts_per_million(), 5_000);
    assert_eq!(Chance::percent(101), Chance::ALWAYS);
    assert_eq!(Chance::per_mille(5000), Chance::ALWAYS);
    assert_eq!(Chance::per_million(2_000_000), Chance::ALWAYS);
    assert!(!Chance::NEVER.hit(0));
    assert!(Chance::ALWAYS.hit(u32::MAX));
    assert!(Chance::per_million(1).hit(0) && !Chance::per_million(1).hit(1 << 20));
}

#[test]
fn no_faults_is_a_perfect_link() {
    for dir in BOTH {
        let (out, s) = run(dir, cfg(), 1, 1000, STEP);
        assert_eq!(out.len(), 1000);
        for (i, (_, f)) in out.iter().enumerate() {
            assert_eq!(&f[..], &frame(i as u32)[..]);
        }
        assert_eq!((s.frames, s.delivered, s.lost()), (1000, 1000, 0));
    }
}

#[test]
fn drop_at_0_100_and_30_percent() {
    for dir in BOTH {
        let c = FaultConfig {
            drop_pct: Chance::percent(100),
            ..cfg()
        };
        let (out, s) = run(dir, c, 1, 1000, STEP);
        assert!(out.is_empty(), "{dir:?}");
        assert_eq!((s.dropped, s.delivered), (1000, 0));

        let c = FaultConfig {
            drop_pct: Chance::percent(30),
            ..cfg()
        };
        let (out, s) = run(dir, c, 2, N, STEP);
        assert_eq!(out.len() as u64, u64::from(N) - s.dropped);
        assert_near_30(s.dropped, N.into(), "drop");
        // Survivors keep their order.
        assert!(out.windows(2).all(|w| id(&w[0].1) < id(&w[1].1)));
    }
}

#[test]
fn tx_drop_is_still_consumed() {
    let c = FaultConfig {
        drop_pct: Chance::ALWAYS,
        ..cfg()
    };
    let mut fi = injector(Dir::Tx, c, 1);
    let tok = fi
        .transmit(Instant::ZERO)
        .expect("a lossy link takes the frame");
    let r = tok.consume(LEN, |b| {
        b.copy_from_slice(&frame(7));
        "written"
    });
    assert_eq!(r, "written");
    assert_eq!(fi.inner().queued(), 0, "nothing reached the wire");
    assert_eq!(fi.tx_stats().dropped, 1);
}

#[test]
fn duplicate_at_0_100_and_30_percent() {
    for dir in BOTH {
        let c = FaultConfig {
            duplicate_pct: Chance::ALWAYS,
            ..cfg()
        };
        let (out, s) = run(dir, c, 1, 1000, STEP);
        assert_eq!(out.len(), 2000, "{dir:?}");
        // The copy comes right after the original.
        for (i, pair) in out.chunks(2).enumerate() {
            assert_eq!(pair[0].1, pair[1].1);
            assert_eq!(id(&pair[0].1), i as u32);
        }
        assert_eq!((s.duplicated, s.delivered), (1000, 2000));

        let c = FaultConfig {
            duplicate_pct: Chance::percent(30),
            ..cfg()
        };
        let (out, s) = run(dir, c, 3, N, STEP);
        assert_eq!(out.len() as u64, u64::from(N) + s.duplicated);
        assert_near_30(s.duplicated, N.into(), "duplicate");
    }
}

#[test]
fn corrupt_flips_exactly_one_bit() {
    for dir in BOTH {
        let c = FaultConfig {
            corrupt_pct: Chance::ALWAYS,
            ..cfg()
        };
        let (out, s) = run(dir, c, 1, 1000, STEP);
        assert_eq!(out.len(), 1000);
        assert_eq!(s.corrupted, 1000);
        let mut bits_hit = std::collections::BTreeSet::new();
        for (i, (_, f)) in out.iter().enumerate() {
            let want = frame(i as u32);
            let diff: u32 = f.iter().zip(&want).map(|(a, b)| (a ^ b).count_ones()).sum();
            assert_eq!(diff, 1, "{dir:?} frame {i}");
            let byte = f.iter().zip(&want).position(|(a, b)| a != b).unwrap();
            let bit = (f[byte] ^ want[byte]).trailing_zeros() as usize;
            bits_hit.insert(byte * 8 + bit);
        }
        // The bit is uniform over the frame: 1000 draws over 512 bits
        // leave about 512 * e^(-1000/512) = 73 bits untouched.
        assert!(bits_hit.len() > 400, "{} bits hit", bits_hit.len());

        let c = FaultConfig {
            corrupt_pct: Chance::percent(30),
            ..cfg()
        };
        let (out, s) = run(dir, c, 4, N, STEP);
        let damaged = out
            .iter()
            .enumerate()
            .filter(|(i, (_, f))| f[..] != frame(*i as u32)[..])
            .count() as u64;
        assert_eq!(damaged, s.corrupted);
        assert_near_30(damaged, N.into(), "corrupt");
    }
}

#[test]
fn corrupt_skips_empty_frames() {
    let c = FaultConfig {
        corrupt_pct: Chance::ALWAYS,
        ..cfg()
    };
    let mut fi = injector(Dir::Rx, c, 1);
    offer(&mut fi, Dir::Rx, &[], Instant::ZERO);
    let mut out = Vec::new();
    drain(&mut fi, Instant::ZERO, &mut out);
    assert_eq!(out, vec![(Instant::ZERO, vec![])]);
    assert_eq!(fi.rx_stats().corrupted, 0);
}

#[test]
fn reorder_swaps_neighbours() {
    for dir in BOTH {
        let c = FaultConfig {
            reorder_pct: Chance::ALWAYS,
            ..cfg()
        };
        let (out, s) = run(dir, c, 1, 1000, STEP);
        let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
        // Every frame that can be held is: 1 0 3 2 5 4 ...
        let want: Vec<u32> = (0..1000).map(|i| i ^ 1).collect();
        assert_eq!(ids, want, "{dir:?}");
        assert_eq!(s.reordered, 500);

        let c = FaultConfig {
            reorder_pct: Chance::percent(30),
            ..cfg()
        };
        let (out, s) = run(dir, c, 5, N, STEP);
        let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
        assert_eq!(ids.len(), N as usize);
        // Nothing moves further than one place, and only by swapping.
        for (pos, &i) in ids.iter().enumerate() {
            assert!((i as i64 - pos as i64).abs() <= 1, "{i} at {pos}");
        }
        let swaps = ids
            .iter()
            .enumerate()
            .filter(|(p, &i)| i as usize > *p)
            .count();
        assert_eq!(swaps as u64, s.reordered);
        // The frame that overtakes cannot be held: 30 % of the others.
        assert_near_30(s.reordered, u64::from(N) - s.reordered, "reorder");
    }
}

#[test]
fn reorder_gap_lets_that_many_frames_overtake() {
    for dir in BOTH {
        let c = FaultConfig {
            reorder_pct: Chance::ALWAYS,
            reorder_gap: 3,
            ..cfg()
        };
        let (out, s) = run(dir, c, 1, 1000, STEP);
        let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
        // 0 held, 1 2 3 overtake, 0 goes; then 4 held, and so on.
        let want: Vec<u32> = (0..1000)
            .map(|i| (i & !3) + [1, 2, 3, 0][i as usize % 4])
            .collect();
        assert_eq!(ids, want, "{dir:?}");
        assert_eq!(s.reordered, 250);
    }
}

#[test]
fn reordering_behind_a_delay_keeps_its_rate_and_gap() {
    for dir in BOTH {
        let c = FaultConfig {
            reorder_pct: Chance::percent(2),
            reorder_gap: 3,
            delay: Duration::from_millis(10),
            queue_limit: 1000,
            ..cfg()
        };
        let (out, s) = run(dir, c, 6, N, STEP);
        let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
        assert_eq!(ids.len(), N as usize);
        // About 2 % (fewer: a frame due while another is held goes).
        assert!((150..=220).contains(&s.reordered), "{dir:?}: {s:?}");
        // Each held frame arrives exactly three places late.
        let late: Vec<usize> = (0..ids.len()).filter(|&p| (ids[p] as usize) < p).collect();
        assert_eq!(late.len() as u64, s.reordered, "{dir:?}");
        assert!(late.iter().all(|&p| ids[p] as usize == p - 3), "{dir:?}");
        // It arrives after the last of its gap, when the next frame
        // falls due (one step later here): between the two, as on a
        // real link, and no later.
        for &p in &late {
            assert_eq!(out[p].0, out[p - 1].0 + STEP, "{dir:?}");
        }
    }
}

#[test]
fn burst_loss_drops_in_runs_and_leaves_the_other_draws_alone() {
    for dir in BOTH {
        // Enter 1 %, leave 25 %: bursts of 4 frames on average, 1 in 26
        // frames lost in the long run.
        let c = FaultConfig {
            burst_loss: Some(BurstLoss {
                enter: Chance::percent(1),
                leave: Chance::percent(25),
            }),
            ..cfg()
        };
        let (out, s) = run(dir, c, 4, 50_000, STEP);
        let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{dir:?}: order kept");
        let gaps = ids.windows(2).filter(|w| w[1] != w[0] + 1).count();
        let mean = s.burst_dropped as f64 / gaps as f64;
        assert!((3.3..4.8).contains(&mean), "{dir:?}: mean burst {mean}");
        let share = s.burst_dropped as f64 / 50_000.0;
        assert!((0.03..0.047).contains(&share), "{dir:?}: {share}");
        assert_eq!(s.lost(), s.burst_dropped);

        // A chain that never enters its bad state changes nothing.
        let never = FaultConfig {
            drop_pct: Chance::percent(30),
            burst_loss: Some(BurstLoss {
                enter: Chance::NEVER,
                leave: Chance::ALWAYS,
            }),
            ..cfg()
        };
        let plain = FaultConfig {
            burst_loss: None,
            ..never
        };
        assert_eq!(run(dir, never, 5, N, STEP), run(dir, plain, 5, N, STEP));
    }
}

#[test]
fn bottleneck_paces_queues_and_drops_at_the_tail() {
    for dir in BOTH {
        // 64-byte frames every 100 µs into 1.28 Mbit/s: one frame per
        // 400 µs leaves; the queue holds 10 frames (the one on the wire
        // included), the rest is dropped.
        let c = FaultConfig {
            bottleneck: Some(Bottleneck {
                bits_per_sec: 1_280_000,
                queue_bytes: 640,
            }),
            delay: Duration::from_millis(5),
            queue_limit: 1000,
            ..cfg()
        };
        let (out, s) = run(dir, c, 1, 2000, STEP);
        let t0 = Instant::from_secs(1);
        // The first frame: 400 µs on the wire, then the delay.
        assert_eq!(out[0].0, t0 + Duration::from_micros(5_400), "{dir:?}");
        assert!(out
            .windows(2)
            .all(|w| w[1].0 - w[0].0 == Duration::from_micros(400)));
        // 200 ms of offered load at a quarter of it, plus the queue.
        assert!((500..=512).contains(&out.len()), "{}", out.len());
        assert_eq!(s.queue_dropped, 2000 - out.len() as u64);
        assert_eq!(s.lost(), s.queue_dropped);
        // An idle link drains: a frame long after goes straight through.
        let mut fi = injector(dir, c, 1);
        let mut out = Vec::new();
        let t = Instant::from_secs(10);
        offer(&mut fi, dir, &frame(1), t);
        // (On receive, the injector sees a frame when it is polled.)
        drain(&mut fi, t, &mut out);
        assert_eq!(fi.poll_at(), Some(t + Duration::from_micros(5_400)));
        drain(&mut fi, t + Duration::from_micros(5_400), &mut out);
        assert_eq!(out.len(), 1);
    }
}

#[test]
fn reordered_last_frame_leaves_at_the_timeout() {
    for dir in BOTH {
        let c = FaultConfig {
            reorder_pct: Chance::ALWAYS,
            reorder_timeout: Duration::from_millis(5),
            ..cfg()
        };
        let mut fi = injector(dir, c, 1);
        let t0 = Instant::from_secs(3);
        offer(&mut fi, dir, &frame(0), t0);
        let mut out = Vec::new();
        drain(&mut fi, t0, &mut out);
        assert!(out.is_empty());
        let due = t0 + Duration::from_millis(5);
        assert_eq!(fi.poll_at(), Some(due));
        drain(&mut fi, due - Duration::from_micros(1), &mut out);
        assert!(out.is_empty(), "{dir:?}: released 1 µs early");
        drain(&mut fi, due, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(fi.poll_at(), None);
    }
}

#[test]
fn delay_releases_at_the_exact_instant() {
    for dir in BOTH {
        let c = FaultConfig {
            delay: Duration::from_millis(10),
            ..cfg()
        };
        let mut fi = injector(dir, c, 1);
        assert_eq!(fi.poll_at(), None);
        let t0 = Instant::from_secs(5);
        let mut out = Vec::new();
        // (On receive, the injector sees a frame when it is polled.)
        offer(&mut fi, dir, &frame(1), t0);
        drain(&mut fi, t0, &mut out);
        let t1 = t0 + Duration::from_micros(1);
        offer(&mut fi, dir, &frame(2), t1);
        drain(&mut fi, t1, &mut out);
        assert!(out.is_empty());
        let due = t0 + Duration::from_millis(10);
        assert_eq!(fi.poll_at(), Some(due));
        drain(&mut fi, due - Duration::from_micros(1), &mut out);
        assert!(out.is_empty(), "{dir:?}: released 1 µs early");
        drain(&mut fi, due, &mut out);
        assert_eq!(out, vec![(due, frame(1).to_vec())]);
        assert_eq!(fi.poll_at(), Some(due + Duration::from_micros(1)));
        drain(&mut fi, due + Duration::from_micros(1), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(fi.poll_at(), None);
        let s = if let Dir::Rx = dir {
            fi.rx_stats()
        } else {
            fi.tx_stats()
        };
        assert_eq!((s.delayed, s.delivered), (2, 2));
    }
}

#[test]
fn jitter_stays_within_its_bounds() {
    for dir in BOTH {
        let c = FaultConfig {
            delay: Duration::from_millis(10),
            jitter: Duration::from_millis(5),
            queue_limit: 2000,
            ..cfg()
        };
        // All sent at the same instant.
        let (out, s) = run(dir, c, 9, 1000, Duration::ZERO);
        assert_eq!(out.len(), 1000);
        let t0 = Instant::from_secs(1);
        let mut delays: Vec<u64> = out.iter().map(|(t, _)| (*t - t0).total_micros()).collect();
        assert!(
            delays.iter().all(|d| (10_000..=15_000).contains(d)),
            "{dir:?}"
        );
        // Arrivals come out in due order, each at its exact instant.
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
        delays.dedup();
        assert!(
            delays.len() > 800,
            "jitter is spread: {} values",
            delays.len()
        );
        assert_eq!(s.delayed, 1000);
    }
}

#[test]
fn rate_limit_frames_per_second() {
    for dir in BOTH {
        let c = FaultConfig {
            max_rate: Some(RateLimit::Frames {
                per_sec: 100,
                burst: 10,
            }),
            ..cfg()
        };
        let mut fi = injector(dir, c, 1);
        let mut out = Vec::new();
        let t0 = Instant::from_secs(1);
        // The bucket starts full: a burst of 10 passes.
        for i in 0..20 {
            offer(&mut fi, dir, &frame(i), t0);
        }
        drain(&mut fi, t0, &mut out);
        assert_eq!(out.len(), 10, "{dir:?}");
        // 100 ms refill 10 tokens, no more (the bucket holds 10).
        let t1 = t0 + Duration::from_millis(100);
        for i in 0..20 {
            offer(&mut fi, dir, &frame(i), t1);
        }
        drain(&mut fi, t1, &mut out);
        assert_eq!(out.len(), 20);
        // 10 ms minus 1 µs is not quite one token.
        let t2 = t1 + Duration::from_micros(9_999);
        offer(&mut fi, dir, &frame(0), t2);
        drain(&mut fi, t2, &mut out);
        assert_eq!(out.len(), 20);
        let t3 = t1 + Duration::from_millis(10);
        offer(&mut fi, dir, &frame(0), t3);
        drain(&mut fi, t3, &mut out);
        assert_eq!(out.len(), 21);
        let s = if let Dir::Rx = dir {
            fi.rx_stats()
        } else {
            fi.tx_stats()
        };
        assert_eq!(s.rate_limited, 21);

        // Sustained: 10 000 frames at 1 kHz for 10 s through 100/s.
        let (out, s) = run(dir, c, 1, N, Duration::from_millis(1));
        // 10 in the initial burst + one per 10 ms over 9.999 s.
        assert_eq!(out.len(), 10 + 999);
        assert_eq!(s.rate_limited, u64::from(N) - 1009);
    }
}

#[test]
fn rate_limit_bytes_per_second() {
    for dir in BOTH {
        let c = FaultConfig {
            max_rate: Some(RateLimit::Bytes {
                per_sec: 6400,
                burst: 640,
            }),
            ..cfg()
        };
        // 64-byte frames: 100 frames/s, bursts of 10.
        let (out, s) = run(dir, c, 1, N, Duration::from_millis(1));
        assert_eq!(out.len(), 1009, "{dir:?}");
        assert_eq!(s.rate_limited, u64::from(N) - 1009);
        // A frame larger than the bucket never passes.
        let c = FaultConfig {
            max_rate: Some(RateLimit::Bytes {
                per_sec: 1_000_000,
                burst: 63,
            }),
            ..cfg()
        };
        let (out, _) = run(dir, c, 1, 10, Duration::from_secs(1));
        assert!(out.is_empty());
    }
}

#[test]
fn oversize_frames_are_dropped() {
    for dir in BOTH {
        let c = FaultConfig {
            max_frame_len: Some(100),
            ..cfg()
        };
        let mut fi = injector(dir, c, 1);
        let mut out = Vec::new();
        offer(&mut fi, dir, &[1; 100], Instant::ZERO);
        offer(&mut fi, dir, &[2; 101], Instant::ZERO);
        drain(&mut fi, Instant::ZERO, &mut out);
        assert_eq!(out, vec![(Instant::ZERO, vec![1; 100])], "{dir:?}");
        let s = if let Dir::Rx = dir {
            fi.rx_stats()
        } else {
            fi.tx_stats()
        };
        assert_eq!(s.oversize, 1);
    }
}

fn chaos() -> FaultConfig {
    FaultConfig {
        drop_pct: Chance::percent(10),
        duplicate_pct: Chance::percent(10),
        corrupt_pct: Chance::percent(10),
        reorder_pct: Chance::percent(10),
        delay: Duration::from_millis(1),
        jitter: Duration::from_millis(2),
        ..FaultConfig::none()
    }
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    for dir in BOTH {
        let a = run(dir, chaos(), 7, 2000, STEP);
        let b = run(dir, chaos(), 7, 2000, STEP);
        assert_eq!(a, b, "{dir:?}");
        let c = run(dir, chaos(), 8, 2000, STEP);
        assert_ne!(a.0, c.0);
        assert_ne!(a.1, c.1);
    }
    // The two directions draw from different streams.
    assert_ne!(
        run(Dir::Rx, chaos(), 7, 2000, STEP).1,
        run(Dir::Tx, chaos(), 7, 2000, STEP).1
    );
}

#[test]
fn queue_limit_bounds_kept_frames() {
    for dir in BOTH {
        let c = FaultConfig {
            delay: Duration::from_secs(1),
            queue_limit: 3,
            ..cfg()
        };
        let mut fi = injector(dir, c, 1);
        let mut out = Vec::new();
        for i in 0..5 {
            offer(&mut fi, dir, &frame(i), Instant::ZERO);
        }
        drain(&mut fi, Instant::ZERO, &mut out);
        assert!(out.is_empty());
        assert_eq!(fi.rx_queued() + fi.tx_queued(), 3);
        drain(&mut fi, Instant::from_secs(1), &mut out);
        let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
        assert_eq!(ids, [0, 1, 2], "{dir:?}");
        let s = if let Dir::Rx = dir {
            fi.rx_stats()
        } else {
            fi.tx_stats()
        };
        assert_eq!(s.overflow, 2);
    }
}

#[test]
fn inner_back_pressure_is_passed_on_and_order_kept() {
    let c = FaultConfig {
        delay: Duration::from_millis(1),
        ..cfg()
    };
    let lo = Loopback::with_capacity(DeviceCapabilities::default(), 1);
    let mut fi = FaultInjector::with_configs(lo, FaultConfig::none(), c, 1);
    let t0 = Instant::ZERO;
    // Two delayed frames, then a third straight into the full wire.
    fi.transmit(t0)
        .unwrap()
        .consume(LEN, |b| b.copy_from_slice(&frame(0)));
    fi.transmit(t0)
        .unwrap()
        .consume(LEN, |b| b.copy_from_slice(&frame(1)));
    let t1 = t0 + Duration::from_millis(1);
    // Frame 0 goes; frame 1 is due but the wire is full: no token.
    assert!(fi.transmit(t1).is_none());
    assert_eq!(fi.inner().queued(), 1);
    assert_eq!(fi.poll_at(), Some(t1));
    // Receiving drains the wire, the next receive flushes frame 1.
    let mut out = Vec::new();
    drain(&mut fi, t1, &mut out);
    let ids: Vec<u32> = out.iter().map(|(_, f)| id(f)).collect();
    assert_eq!(ids, [0, 1]);
    assert_eq!(fi.poll_at(), None);
    assert!(fi.transmit(t1).is_some());
}

#[test]
fn unconsumed_rx_token_keeps_the_frame() {
    let mut fi = injector(Dir::Rx, cfg(), 1);
    offer(&mut fi, Dir::Rx, &frame(1), Instant::ZERO);
    assert!(fi.receive(Instant::ZERO).is_some());
    let mut out = Vec::new();
    drain(&mut fi, Instant::ZERO, &mut out);
    assert_eq!(out, vec![(Instant::ZERO, frame(1).to_vec())]);
    assert_eq!(fi.rx_stats().delivered, 1);
}

#[test]
fn reply_token_of_receive_goes_through_tx_faults() {
    let c = FaultConfig {
        corrupt_pct: Chance::ALWAYS,
        ..cfg()
    };
    let mut fi = FaultInjector::with_configs(Loopback::new(Default::default()), cfg(), c, 1);
    offer(&mut fi, Dir::Rx, &frame(1), Instant::ZERO);
    let (rx, tx) = fi.receive(Instant::ZERO).unwrap();
    rx.consume(|b| assert_eq!(b, frame(1)));
    tx.consume(LEN, |b| b.copy_from_slice(&frame(2)));
    assert_eq!(fi.tx_stats().corrupted, 1);
    let mut out = Vec::new();
    drain(&mut fi, Instant::ZERO, &mut out);
    assert_eq!(out.len(), 1);
    assert_ne!(out[0].1, frame(2).to_vec());
}

#[test]
fn faults_attached_to_a_link_end_persist_across_polls() {
    use crate::loopback::Link;
    let c = FaultConfig {
        delay: Duration::from_millis(2),
        duplicate_pct: Chance::ALWAYS,
        ..cfg()
    };
    let mut link = Link::new(DeviceCapabilities::ethernet(9000), 8);
    let mut faults = Faults::new(cfg(), c, 3);
    let t0 = Instant::ZERO;
    {
        let mut a = faults.attach(link.a());
        assert_eq!(a.capabilities().mtu, 9000);
        a.transmit(t0)
            .unwrap()
            .consume(LEN, |b| b.copy_from_slice(&frame(1)));
    }
    // Kept by the faults, not on the wire yet.
    assert_eq!(link.queued(Side::B), 0);
    assert_eq!(faults.tx_queued(), 1);
    let due = t0 + Duration::from_millis(2);
    assert_eq!(faults.poll_at(), Some(due));
    // A's next poll, at the due instant, puts the frame and then its
    // copy on the wire.
    let mut out = Vec::new();
    assert!(faults.attach(link.a()).receive(due).is_none());
    assert_eq!(faults.poll_at(), None);
    let mut b = link.b();
    while let Some((rx, _)) = b.receive(due) {
        out.push(rx.consume(|f| f.to_vec()));
    }
    assert_eq!(out, vec![frame(1).to_vec(), frame(1).to_vec()]);
    assert_eq!(faults.tx_stats().delivered, 2);
}
