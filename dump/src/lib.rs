//! `rstcp-dump`: a tcpdump-like dissector over `rstcp::wire`.
//!
//! The example binary (`examples/examples/rstcp-dump.rs`) is a thin command line over
//! [`dump`]; the tshark agreement test calls [`json_lines`] directly.

pub mod dissect;
pub mod json;
pub mod model;
pub mod text;

use rstcp_pcap::{CaptureReader, PcapError};
use std::fmt;
use std::io::{Read, Write};
use std::path::Path;

/// How frames are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One tcpdump-style line per frame.
    Text,
    /// One JSON object per line.
    Json,
}

/// Why a capture could not be dumped (the tool exits with status 2).
#[derive(Debug)]
pub enum DumpError {
    /// The file could not be opened or its header read.
    Open(PcapError),
    /// The capture's link type is not one `rstcp-dump` decodes.
    UnsupportedLinkType(u32),
    /// Reading stopped part way; the frames before it were printed.
    Read {
        /// Frames printed before the error.
        frames: u64,
        /// What went wrong, with its file offset.
        error: PcapError,
    },
    /// Writing the output failed (e.g. a closed pipe).
    Output(std::io::Error),
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::Open(e) => write!(f, "cannot read capture: {e}"),
            DumpError::UnsupportedLinkType(t) => write!(
                f,
                "unsupported link type {t} (supported: 1 Ethernet, 101/228/229 raw IP, 113 Linux cooked)"
            ),
            DumpError::Read { frames, error } => {
                write!(f, "capture is damaged after frame {frames}: {error}")
            }
            DumpError::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for DumpError {}

/// Dissects every frame of a capture read from `input`, writing one line per
/// frame to `out`. Returns the number of frames.
///
/// The link type of the first frame must be supported (else
/// [`DumpError::UnsupportedLinkType`]); a later frame on an unsupported
/// pcapng interface is printed with an `error` of layer `link`.
pub fn dump<R: Read>(input: R, format: Format, out: &mut dyn Write) -> Result<u64, DumpError> {
    let mut reader = CaptureReader::new(input).map_err(DumpError::Open)?;
    let mut frames = 0u64;
    while let Some(next) = reader.next_packet() {
        let packet = match next {
            Ok(p) => p,
            Err(error) => return Err(DumpError::Read { frames, error }),
        };
        let linktype = u32::from(packet.link_type);
        let link = dissect::Link::from_linktype(linktype);
        if link.is_none() && frames == 0 {
            return Err(DumpError::UnsupportedLinkType(linktype));
        }
        frames += 1;
        let ts = (packet.timestamp.secs(), packet.timestamp.nanos());
        let frame = match link {
            Some(link) => dissect::dissect(frames, ts, link, packet.data, packet.orig_len),
            None => model::Frame {
                number: frames,
                len: packet.orig_len,
                ts,
                error: Some(model::LayerError {
                    layer: "link",
                    reason: format!("unsupported link type {linktype}"),
                }),
                ..model::Frame::default()
            },
        };
        let line = match format {
            Format::Text => text::to_text(&frame),
            Format::Json => json::to_json(&frame).to_string(),
        };
        writeln!(out, "{line}").map_err(DumpError::Output)?;
    }
    Ok(frames)
}

/// The `--json` output of a capture file as lines, for tests.
///
/// A file damaged part way gives the frames before the damage, as
/// Wireshark does; only a file that cannot be opened at all is an error.
pub fn json_lines(path: &Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    match dump(file, Format::Json, &mut out) {
        Ok(_) | Err(DumpError::Read { .. }) => {}
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8(out).map_err(|e| e.to_string())?;
    Ok(text.lines().map(str::to_owned).collect())
}
