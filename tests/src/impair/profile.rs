//! What a link does to the frames crossing it: one [`Impairment`] per
//! direction, named together as a [`Profile`], and the profiles of issue
//! 10's table.

use std::time::Duration;

/// Gilbert–Elliott burst loss: a two-state Markov chain drawn once per
/// frame. In the good state a frame is lost with `loss_good`, in the bad
/// state with `loss_bad`; the chain moves good→bad with `enter` and
/// bad→good with `leave`, so a burst lasts `1 / leave` frames on average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gilbert {
    /// P(good → bad) per frame.
    pub enter: f64,
    /// P(bad → good) per frame.
    pub leave: f64,
    /// Loss probability in the bad state (1 for the simple Gilbert model).
    pub loss_bad: f64,
    /// Loss probability in the good state (0 for the simple Gilbert model).
    pub loss_good: f64,
}

/// Reordering: with probability `chance` a frame is held back until `gap`
/// later frames of the same direction have gone ahead of it, and arrives
/// right before the next one (or, when traffic stops, after
/// [`Impairment::reorder_hold`], 1 ms at most once its gap has gone by),
/// so it arrives `gap` places late. Gap 3 is exactly what triggers a sender's
/// duplicate-ACK threshold (RFC 5681 §3.2) on a frame that was not lost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reorder {
    /// Probability that a frame is held back.
    pub chance: f64,
    /// How many later frames overtake it.
    pub gap: u32,
}

/// A bottleneck: frames leave at `bits_per_sec`; a frame that finds more
/// than `queue_bytes` waiting (itself included) is dropped at the tail, as
/// a router's drop-tail FIFO does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Link rate.
    pub bits_per_sec: u64,
    /// Largest backlog in bytes.
    pub queue_bytes: u64,
}

/// The impairments of one direction, applied in this order: loss (random,
/// then burst), corruption, duplication, then each copy through the rate
/// limiter and its queue, the delay with jitter, and reordering.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Impairment {
    /// Independent loss probability per frame.
    pub loss: f64,
    /// Burst loss on top of `loss`.
    pub gilbert: Option<Gilbert>,
    /// Probability that one bit past the Ethernet header is flipped (the
    /// stacks' checksums must catch it; the header is left alone so the
    /// damage reaches them rather than their MAC filter).
    pub corrupt: f64,
    /// Probability that a frame is sent twice.
    pub duplicate: f64,
    /// One-way propagation delay.
    pub delay: Duration,
    /// Uniform jitter in `[-jitter, +jitter]` around `delay`. It never
    /// reorders (a frame leaves no earlier than the one before it):
    /// reordering is its own knob.
    pub jitter: Duration,
    /// Reordering.
    pub reorder: Option<Reorder>,
    /// Rate limit and queue.
    pub rate: Option<Rate>,
    /// How long a held-back frame waits at most for its `gap` followers.
    pub reorder_hold: Duration,
}

impl Impairment {
    /// A link that only forwards.
    pub fn clean() -> Impairment {
        Impairment {
            reorder_hold: Duration::from_millis(5),
            ..Impairment::default()
        }
    }

    /// Applies one `key=value` setting (see [`Profile::parse`]).
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let pair = |v: &str| -> Result<(String, String), String> {
            let (a, b) = v
                .split_once('/')
                .ok_or_else(|| format!("{key}={v}: want two values A/B"))?;
            Ok((a.to_string(), b.to_string()))
        };
        match key {
            "loss" => self.loss = percent(value)?,
            "gilbert" => {
                let (enter, leave) = pair(value)?;
                self.gilbert = Some(Gilbert {
                    enter: percent(&enter)?,
                    leave: percent(&leave)?,
                    loss_bad: 1.0,
                    loss_good: 0.0,
                });
            }
            "corrupt" => self.corrupt = percent(value)?,
            "dup" => self.duplicate = percent(value)?,
            "delay" => self.delay = duration(value)?,
            "jitter" => self.jitter = duration(value)?,
            "reorder" => {
                let (chance, gap) = pair(value)?;
                let gap = gap
                    .parse()
                    .map_err(|_| format!("reorder gap {gap:?}: want a count"))?;
                self.reorder = Some(Reorder {
                    chance: percent(&chance)?,
                    gap,
                });
            }
            "rate" => {
                let bits_per_sec = bits(value)?;
                let queue_bytes = self.rate.map_or(u64::MAX, |r| r.queue_bytes);
                self.rate = Some(Rate {
                    bits_per_sec,
                    queue_bytes,
                });
            }
            "queue" => {
                let rate = self.rate.as_mut().ok_or("queue= needs a rate= before it")?;
                rate.queue_bytes = bytes(value)?;
            }
            "hold" => self.reorder_hold = duration(value)?,
            _ => return Err(format!("unknown impairment {key:?}")),
        }
        Ok(())
    }
}

/// A link: a name and what it does in each direction. `a_to_b` is from
/// the stack under test (or the Linux stand-in for it) to the kernel peer.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Its name in the table.
    pub name: String,
    /// From the tested side to the peer.
    pub a_to_b: Impairment,
    /// From the peer to the tested side.
    pub b_to_a: Impairment,
}

impl Profile {
    /// A profile with the same impairments both ways, from a spec of
    /// comma-separated settings; a setting prefixed `a.` or `b.` applies to
    /// one direction only (`a.` from the tested side, `b.` back):
    ///
    /// `loss=1%`, `gilbert=ENTER%/LEAVE%`, `corrupt=0.1%`, `dup=1%`,
    /// `delay=10ms`, `jitter=2ms`, `reorder=2%/3` (chance/gap),
    /// `rate=100mbit` then `queue=625k` (bytes), `hold=5ms` (longest
    /// reorder hold). An empty spec is a clean link.
    pub fn parse(name: &str, spec: &str) -> Result<Profile, String> {
        let mut p = Profile {
            name: name.to_string(),
            a_to_b: Impairment::clean(),
            b_to_a: Impairment::clean(),
        };
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?}: want key=value"))?;
            match key.split_once('.') {
                Some(("a", k)) => p.a_to_b.set(k, value)?,
                Some(("b", k)) => p.b_to_a.set(k, value)?,
                Some(_) => return Err(format!("{key:?}: only a. or b. may prefix a key")),
                None => {
                    p.a_to_b.set(key, value)?;
                    p.b_to_a.set(key, value)?;
                }
            }
        }
        Ok(p)
    }

    /// `NAME=SPEC` or a standard profile's name.
    pub fn from_arg(arg: &str) -> Result<Profile, String> {
        match arg.split_once('=') {
            Some((name, spec)) => Profile::parse(name, spec),
            None => standard()
                .into_iter()
                .find(|p| p.name == arg)
                .ok_or_else(|| {
                    let names: Vec<String> = standard().into_iter().map(|p| p.name).collect();
                    format!("no profile {arg:?} (known: {})", names.join(", "))
                }),
        }
    }
}

/// The rows of issue 10's table, as `(name, spec)`.
pub const STANDARD: &[(&str, &str)] = &[
    ("clean", ""),
    ("1% loss", "loss=1%"),
    ("5% loss", "loss=5%"),
    ("20ms RTT + 1% loss", "delay=10ms,loss=1%"),
    ("2% reorder gap 3", "reorder=2%/3"),
    ("1% duplication", "dup=1%"),
    // 100 Mbit/s × 50 ms = 625 000 bytes: one bandwidth-delay product of
    // queue at the bottleneck, each way.
    (
        "100Mbit 50ms RTT 1BDP",
        "rate=100mbit,queue=625000,delay=25ms",
    ),
];

/// A profile beyond the table for the CI run: burst loss, jitter and
/// corruption together, which the table does not exercise.
pub const HOSTILE: (&str, &str) = (
    "burst+jitter+corrupt",
    "gilbert=0.5%/30%,delay=1ms,jitter=500us,corrupt=0.5%",
);

/// The standard profiles, parsed.
pub fn standard() -> Vec<Profile> {
    STANDARD
        .iter()
        .map(|(name, spec)| Profile::parse(name, spec).expect("a valid standard profile"))
        .collect()
}

/// `1%`, `0.5%` or a fraction `0.01`, in `[0, 1]`.
fn percent(s: &str) -> Result<f64, String> {
    let v = match s.strip_suffix('%') {
        Some(p) => p.parse::<f64>().map(|v| v / 100.0),
        None => s.parse::<f64>(),
    }
    .map_err(|_| format!("{s:?}: want a probability like 1% or 0.01"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{s:?}: a probability is between 0 and 100 %"))
    }
}

/// `10ms`, `500us`, `1s`.
fn duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?}: want a duration like 10ms, 500us or 1s");
    let (num, unit) = split_unit(s);
    let v: f64 = num.parse().map_err(|_| bad())?;
    let micros = match unit {
        "us" => v,
        "ms" => v * 1e3,
        "s" => v * 1e6,
        _ => return Err(bad()),
    };
    if !(0.0..=60e6).contains(&micros) {
        return Err(bad());
    }
    Ok(Duration::from_micros(micros as u64))
}

/// `100mbit`, `1gbit`, `500kbit`, `1000000` (bits/s).
fn bits(s: &str) -> Result<u64, String> {
    let (num, unit) = split_unit(s);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: want a rate like 100mbit"))?;
    let scale = match unit {
        "" | "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        _ => return Err(format!("{s:?}: rate units are bit, kbit, mbit, gbit")),
    };
    let r = v * scale;
    if !(1000.0..=1e12).contains(&r) {
        return Err(format!("{s:?}: a rate from 1 kbit/s to 1 Tbit/s"));
    }
    Ok(r as u64)
}

/// `625000`, `625k`, `1m` (bytes).
fn bytes(s: &str) -> Result<u64, String> {
    let (num, unit) = split_unit(s);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: want a size like 625k"))?;
    let scale = match unit {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e6,
        _ => return Err(format!("{s:?}: size units are k and m")),
    };
    Ok((v * scale) as u64)
}

/// `"10ms"` → `("10", "ms")`.
fn split_unit(s: &str) -> (&str, &str) {
    let at = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    (&s[..at], &s[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_into_both_directions_or_one() {
        let p = Profile::parse("x", "loss=1%,a.delay=10ms,b.reorder=2%/3").unwrap();
        assert_eq!(p.a_to_b.loss, 0.01);
        assert_eq!(p.b_to_a.loss, 0.01);
        assert_eq!(p.a_to_b.delay, Duration::from_millis(10));
        assert_eq!(p.b_to_a.delay, Duration::ZERO);
        assert_eq!(
            p.b_to_a.reorder,
            Some(Reorder {
                chance: 0.02,
                gap: 3
            })
        );
        assert_eq!(p.a_to_b.reorder, None);
        let bdp = Profile::from_arg("100Mbit 50ms RTT 1BDP").unwrap();
        assert_eq!(
            bdp.a_to_b.rate,
            Some(Rate {
                bits_per_sec: 100_000_000,
                queue_bytes: 625_000
            })
        );
        assert_eq!(standard().len(), STANDARD.len());
        Profile::parse(HOSTILE.0, HOSTILE.1).unwrap();
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for bad in [
            "loss=150%",
            "loss",
            "speed=1",
            "queue=1k",
            "reorder=2%",
            "c.loss=1%",
        ] {
            assert!(Profile::parse("x", bad).is_err(), "{bad}");
        }
        assert!(Profile::from_arg("no such").is_err());
    }
}
