//! Wireshark's expert analysis of a capture, through `tshark`: every
//! malformed packet, bad checksum and protocol anomaly (TCP sequence
//! analysis included) it flags, with its severity.

use std::fmt;
use std::path::Path;
use std::process::Command;

/// How serious tshark finds an item (`PI_*` in epan/proto.h), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A capture comment.
    Comment,
    /// Normal workflow: a SYN, a FIN, a request.
    Chat,
    /// Notable but usual: a retransmission, a duplicate ACK.
    Note,
    /// Likely a problem: a lost or out-of-order segment, a reset.
    Warning,
    /// A malformed packet or a bad checksum.
    Error,
}

impl Severity {
    /// From tshark's numeric `_ws.expert.severity`.
    fn from_code(code: u64) -> Option<Severity> {
        Some(match code {
            0x0010_0000 => Severity::Comment,
            0x0020_0000 => Severity::Chat,
            0x0040_0000 => Severity::Note,
            0x0060_0000 => Severity::Warning,
            0x0080_0000 => Severity::Error,
            _ => return None,
        })
    }
}

/// One expert item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpertInfo {
    /// The frame it is about (from 1).
    pub frame: u64,
    /// The frame's Ethernet source, as tshark prints it (`02:00:…`).
    pub eth_src: String,
    /// How serious.
    pub severity: Severity,
    /// What tshark says.
    pub message: String,
}

impl fmt::Display for ExpertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frame {} from {}: {:?}: {}",
            self.frame, self.eth_src, self.severity, self.message
        )
    }
}

/// What tshark's expert analysis found in a capture.
#[derive(Debug, Clone, Default)]
pub struct ExpertReport {
    /// Frames read.
    pub frames: u64,
    /// Every item, in frame order.
    pub items: Vec<ExpertInfo>,
}

/// The numbers of the frames in the capture at `path` that match the
/// Wireshark display filter `filter`.
pub fn matching_frames(path: &Path, filter: &str) -> Result<Vec<u64>, String> {
    let out = tshark(path)
        .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
        .output()
        .map_err(|e| format!("cannot run tshark: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tshark -Y {filter:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.trim()
                .parse()
                .map_err(|_| format!("not a frame number: {l:?}"))
        })
        .collect()
}

/// tshark reading `path` with an empty configuration (so a user's own
/// preferences cannot change the result), no name resolution, and
/// checksum validation on (Wireshark leaves it off by default).
fn tshark(path: &Path) -> Command {
    let mut cmd = Command::new(crate::tshark::program());
    let config = std::env::temp_dir().join("rstcp-tshark-empty-config");
    // Best effort: tshark runs with its defaults if the directory is missing.
    let _ = std::fs::create_dir_all(&config);
    cmd.env("WIRESHARK_CONFIG_DIR", &config);
    cmd.arg("-n").arg("-r").arg(path);
    for pref in [
        "ip.check_checksum:TRUE",
        "tcp.check_checksum:TRUE",
        "udp.check_checksum:TRUE",
    ] {
        cmd.arg("-o").arg(pref);
    }
    cmd
}

/// Separates the occurrences of one field: a byte no message contains.
const AGGREGATOR: char = '\u{1e}';

/// Runs tshark's dissectors, with checksum validation on and its default
/// TCP sequence analysis, over the capture at `path`.
pub fn expert_infos(path: &Path) -> Result<ExpertReport, String> {
    let mut cmd = tshark(path);
    cmd.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"]);
    cmd.arg("-E").arg(format!("aggregator={AGGREGATOR}"));
    for field in [
        "frame.number",
        "eth.src",
        "_ws.expert.severity",
        "_ws.expert.message",
    ] {
        cmd.arg("-e").arg(field);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run tshark: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tshark failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut report = ExpertReport::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cols = line.split('\t');
        let frame = cols.next().unwrap_or("");
        let frame: u64 = frame
            .parse()
            .map_err(|_| format!("no frame number in {line:?}"))?;
        report.frames += 1;
        let eth_src = cols.next().unwrap_or("");
        let severities = cols.next().unwrap_or("");
        let messages = cols.next().unwrap_or("");
        if severities.is_empty() {
            continue;
        }
        let mut messages = messages.split(AGGREGATOR);
        for code in severities.split(AGGREGATOR) {
            let severity = code
                .parse()
                .ok()
                .and_then(Severity::from_code)
                .ok_or_else(|| format!("unknown severity {code:?} in frame {frame}"))?;
            report.items.push(ExpertInfo {
                frame,
                eth_src: eth_src.to_string(),
                severity,
                message: messages.next().unwrap_or("").to_string(),
            });
        }
    }
    Ok(report)
}
