//! Field-by-field agreement between our decoder's frames and a reference's.
//!
//! Both sides are JSON objects in the schema of `rstcp-dump --json`. The
//! reference (tshark, see [`crate::tshark`]) holds only the keys it can tell;
//! every leaf of it is one comparison. Objects are walked into dotted paths
//! (`tcp.options.mss`); arrays (`vlan`, `ipv6.ext`, `tcp.options.sack`, …)
//! are leaves compared as whole values. Keys only in our frame are not
//! counted.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// How many mismatches an [`Agreement`] keeps (it counts them all).
pub const MAX_MISMATCHES: usize = 1000;

/// Why a field did not agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MismatchKind {
    /// Both sides have the field, with different values.
    Differs,
    /// Our frame lacks the field, and reports no parse error that explains it.
    Missing,
    /// Our frame lacks the field and reports an `error` at this field's layer
    /// or a layer below it (we rejected what the reference decoded).
    OursError,
    /// Our output has no frame at all at this position.
    MissingFrame,
}

/// One field on which the two decoders disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The capture, as given to [`compare_frame`].
    pub file: String,
    /// The 1-based frame number.
    pub frame: u64,
    /// The dotted field path, e.g. `tcp.options.mss`.
    pub field: String,
    /// Our value (`None` if absent).
    pub ours: Option<Value>,
    /// The reference's value.
    pub theirs: Value,
    /// Why it is a mismatch.
    pub kind: MismatchKind,
}

/// The running tally of a comparison, mergeable across threads.
#[derive(Clone, Debug, Default)]
pub struct Agreement {
    /// Fields compared (every leaf present in the reference).
    pub compared: u64,
    /// Fields on which we agreed.
    pub agreed: u64,
    /// The first [`MAX_MISMATCHES`] mismatches, in the order found.
    pub mismatches: Vec<Mismatch>,
    /// Per field path: (compared, agreed).
    pub per_field: BTreeMap<String, (u64, u64)>,
    /// Disagreements where our frame reported a parse error instead
    /// (counted in `compared` too, but told apart here).
    pub ours_error: u64,
    /// Disagreements because our output lacked the whole frame.
    pub missing_frames: u64,
    /// Files whose frame counts differ: (file, ours, theirs).
    pub frame_count_mismatches: Vec<(String, usize, usize)>,
    /// Files compared.
    pub files: u64,
    /// Frames compared (reference frames).
    pub frames: u64,
}

impl Agreement {
    /// The share of compared fields that agreed, in percent (100 if none).
    pub fn percent(&self) -> f64 {
        percent(self.agreed, self.compared)
    }

    /// Adds `other`'s counts to this one (mismatches stay bounded).
    pub fn merge(&mut self, other: Agreement) {
        self.compared += other.compared;
        self.agreed += other.agreed;
        self.ours_error += other.ours_error;
        self.missing_frames += other.missing_frames;
        self.files += other.files;
        self.frames += other.frames;
        for m in other.mismatches {
            if self.mismatches.len() < MAX_MISMATCHES {
                self.mismatches.push(m);
            }
        }
        for (field, (c, a)) in other.per_field {
            let e = self.per_field.entry(field).or_default();
            e.0 += c;
            e.1 += a;
        }
        self.frame_count_mismatches
            .extend(other.frame_count_mismatches);
    }

    fn record(&mut self, field: &str, agreed: bool) {
        self.compared += 1;
        let e = self.per_field.entry(field.to_string()).or_default();
        e.0 += 1;
        if agreed {
            self.agreed += 1;
            e.1 += 1;
        }
    }

    fn mismatch(&mut self, m: Mismatch) {
        match m.kind {
            MismatchKind::OursError => self.ours_error += 1,
            MismatchKind::MissingFrame => self.missing_frames += 1,
            _ => {}
        }
        if self.mismatches.len() < MAX_MISMATCHES {
            self.mismatches.push(m);
        }
    }

    /// A per-field table (field, compared, agreed, %) and the totals.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<24} {:>10} {:>10} {:>8}",
            "field", "compared", "agreed", "%"
        );
        for (field, (c, a)) in &self.per_field {
            let _ = writeln!(s, "{field:<24} {c:>10} {a:>10} {:>8.3}", percent(*a, *c));
        }
        let _ = writeln!(
            s,
            "{:<24} {:>10} {:>10} {:>8.3}",
            "TOTAL",
            self.compared,
            self.agreed,
            self.percent()
        );
        let _ = writeln!(
            s,
            "{} files, {} frames; disagreements: {} where we reported a parse error, {} in frames we did not output; {} files with differing frame counts",
            self.files,
            self.frames,
            self.ours_error,
            self.missing_frames,
            self.frame_count_mismatches.len()
        );
        s
    }

    /// The first `n` kept mismatches, one a line (file, frame, field, ours,
    /// theirs, kind), then up to `n` files whose frame counts differ.
    pub fn first_mismatches(&self, n: usize) -> String {
        let mut s = String::new();
        for m in self.mismatches.iter().take(n) {
            let ours = m
                .ours
                .as_ref()
                .map_or_else(|| "<absent>".to_string(), |v| v.to_string());
            let _ = writeln!(
                s,
                "{} #{} {}: ours {} theirs {} ({:?})",
                m.file, m.frame, m.field, ours, m.theirs, m.kind
            );
        }
        let mut counts = self.frame_count_mismatches.clone();
        counts.sort();
        for (file, ours, theirs) in counts.iter().take(n) {
            let _ = writeln!(s, "{file}: {ours} frames ours, {theirs} theirs");
        }
        if counts.len() > n {
            let _ = writeln!(
                s,
                "... and {} more files with differing frame counts",
                counts.len() - n
            );
        }
        s
    }
}

fn percent(agreed: u64, compared: u64) -> f64 {
    if compared == 0 {
        100.0
    } else {
        agreed as f64 * 100.0 / compared as f64
    }
}

/// Every leaf of `v` as (dotted path, value); arrays are leaves.
fn leaves<'a>(prefix: &str, v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&path, child, out);
            }
        }
        _ => out.push((prefix.to_string(), v)),
    }
}

/// The value at a dotted path.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// How deep a layer sits: a parse error at depth d hides layers at depth ≥ d.
/// Unknown layer names count as the bottom (depth 0).
fn layer_depth(layer: &str) -> u8 {
    match layer {
        "vlan" => 1,
        "arp" | "ip" | "ipv4" | "ipv6" => 2,
        "icmp" | "icmpv6" | "udp" | "tcp" => 3,
        "dhcp" => 4,
        _ => 0,
    }
}

/// Compares one frame: each leaf field of `theirs` (the reference) against
/// the same path in `ours`, adding to `agg`.
pub fn compare_frame(ours: &Value, theirs: &Value, file: &str, agg: &mut Agreement) {
    let frame = theirs.get("frame").and_then(Value::as_u64).unwrap_or(0);
    agg.frames += 1;
    let error_depth = ours
        .get("error")
        .and_then(|e| e.get("layer"))
        .and_then(Value::as_str)
        .map(layer_depth);
    let mut fields = Vec::new();
    leaves("", theirs, &mut fields);
    for (path, want) in fields {
        let got = lookup(ours, &path);
        let agreed = got == Some(want);
        agg.record(&path, agreed);
        if agreed {
            continue;
        }
        let layer = path.split('.').next().unwrap_or("");
        let kind = match (got, error_depth) {
            (Some(_), _) => MismatchKind::Differs,
            (None, Some(d)) if layer_depth(layer) >= d => MismatchKind::OursError,
            (None, _) => MismatchKind::Missing,
        };
        agg.mismatch(Mismatch {
            file: file.to_string(),
            frame,
            field: path,
            ours: got.cloned(),
            theirs: want.clone(),
            kind,
        });
    }
}

/// Compares all frames of one capture, frame by frame in order. A frame we
/// did not output counts each of the reference's fields of it as a
/// disagreement; frames only we output are noted in
/// [`Agreement::frame_count_mismatches`].
pub fn compare_file(ours: &[Value], theirs: &[Value], file: &str, agg: &mut Agreement) {
    agg.files += 1;
    if ours.len() != theirs.len() {
        agg.frame_count_mismatches
            .push((file.to_string(), ours.len(), theirs.len()));
    }
    for (i, t) in theirs.iter().enumerate() {
        match ours.get(i) {
            Some(o) => compare_frame(o, t, file, agg),
            None => {
                agg.frames += 1;
                let frame = t
                    .get("frame")
                    .and_then(Value::as_u64)
                    .unwrap_or(i as u64 + 1);
                let mut fields = Vec::new();
                leaves("", t, &mut fields);
                for (path, want) in fields {
                    agg.record(&path, false);
                    agg.mismatch(Mismatch {
                        file: file.to_string(),
                        frame,
                        field: path,
                        ours: None,
                        theirs: want.clone(),
                        kind: MismatchKind::MissingFrame,
                    });
                }
            }
        }
    }
}

/// The DLT/LINKTYPE number of Ethernet.
const LINKTYPE_ETHERNET: u32 = 1;

/// The link types of a capture: the pcap header's, or every pcapng
/// interface's. `None` if the file is neither format or unreadable.
pub fn link_types(path: &Path) -> Option<Vec<u32>> {
    let data = std::fs::read(path).ok()?;
    let u32_at = |off: usize, le: bool| -> Option<u32> {
        let b: [u8; 4] = data.get(off..off + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let magic = u32_at(0, true)?;
    match magic {
        // pcap, microsecond or nanosecond, either byte order.
        0xa1b2_c3d4 | 0xa1b2_3c4d => Some(vec![u32_at(20, true)? & 0xffff]),
        0xd4c3_b2a1 | 0x4d3c_b2a1 => Some(vec![u32_at(20, false)? & 0xffff]),
        // pcapng: walk the blocks, each section with its own byte order.
        0x0a0d_0d0a => {
            let mut types = Vec::new();
            let mut off = 0;
            let mut le = true;
            while off + 12 <= data.len() {
                if u32_at(off, true)? == 0x0a0d_0d0a {
                    le = u32_at(off + 8, true)? == 0x1a2b_3c4d;
                }
                let kind = u32_at(off, le)?;
                let len = u32_at(off + 4, le)? as usize;
                if kind == 1 {
                    let b: [u8; 2] = data.get(off + 8..off + 10)?.try_into().ok()?;
                    let lt = if le {
                        u16::from_le_bytes(b)
                    } else {
                        u16::from_be_bytes(b)
                    };
                    types.push(u32::from(lt));
                }
                if len < 12 {
                    break;
                }
                off += len;
            }
            Some(types)
        }
        _ => None,
    }
}

/// The captures in `corpus_dir` whose link type is Ethernet (a pcap with
/// LINKTYPE 1, or a pcapng all of whose interfaces are), sorted by name.
pub fn ethernet_captures(corpus_dir: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(corpus_dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            link_types(p)
                .is_some_and(|t| !t.is_empty() && t.iter().all(|&l| l == LINKTYPE_ETHERNET))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_only_reference_leaves() {
        let theirs = json!({"frame": 1, "eth": {"src": "a", "type": 2048},
                            "tcp": {"options": {"mss": 1460, "sack": [[1, 2]]}}});
        let ours = json!({"frame": 1, "eth": {"src": "a", "dst": "b", "type": 2048},
                          "tcp": {"options": {"mss": 536, "sack": [[1, 2]]}}});
        let mut agg = Agreement::default();
        compare_frame(&ours, &theirs, "f", &mut agg);
        assert_eq!((agg.compared, agg.agreed), (5, 4));
        assert_eq!(agg.mismatches[0].field, "tcp.options.mss");
        assert_eq!(agg.mismatches[0].kind, MismatchKind::Differs);
        assert_eq!(agg.per_field["tcp.options.sack"], (1, 1));
    }

    #[test]
    fn our_parse_error_is_told_apart() {
        let theirs = json!({"frame": 2, "ipv4": {"ttl": 3}, "tcp": {"seq": 7}});
        let ours = json!({"frame": 2, "ipv4": {"ttl": 3},
                          "error": {"layer": "tcp", "reason": "truncated"}});
        let mut agg = Agreement::default();
        compare_frame(&ours, &theirs, "f", &mut agg);
        assert_eq!((agg.compared, agg.agreed, agg.ours_error), (3, 2, 1));
        assert_eq!(agg.mismatches[0].kind, MismatchKind::OursError);
    }

    #[test]
    fn missing_frames_count_every_field() {
        let theirs = vec![
            json!({"frame": 1, "len": 60}),
            json!({"frame": 2, "len": 61}),
        ];
        let ours = vec![json!({"frame": 1, "len": 60})];
        let mut agg = Agreement::default();
        compare_file(&ours, &theirs, "f", &mut agg);
        assert_eq!((agg.compared, agg.agreed, agg.missing_frames), (4, 2, 2));
        assert_eq!(agg.frame_count_mismatches, vec![("f".to_string(), 1, 2)]);
    }
}
