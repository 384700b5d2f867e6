//! pcap and pcapng capture files for rstcp: streaming readers and a pcap
//! writer.
//!
//! - [`CaptureReader`] opens either format by its magic number;
//!   [`PcapReader`] and [`PcapngReader`] read one format each.
//! - [`PcapWriter`] writes classic pcap.
//! - [`PcapRecorder`] wraps any `rstcp` device and records every frame that
//!   crosses it; [`PcapTap`] does the same for a device borrowed per poll.
//!
//! Readers work on any [`std::io::Read`] (files, pipes), buffer internally,
//! and lend each [`Packet`] from one reused buffer, so a whole file is read
//! without an allocation per packet. Every length field is bounded
//! ([`MAX_CAPLEN`]) before it sizes anything, no input makes them panic, and
//! every format error names the byte offset of the problem.
//!
//! The readers and writer frame records only: they never look inside
//! packets. Only the device wrappers use the core (its `Device` trait).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod device;
mod endian;
mod error;
mod linktype;
mod packet;
mod pcap;
mod pcapng;
mod reader;
mod source;
mod timestamp;

pub use device::{PcapRecorder, PcapTap, RecorderStats, Tapped};
pub use error::PcapError;
pub use linktype::LinkType;
pub use packet::Packet;
pub use pcap::{PcapHeader, PcapReader, PcapWriter, MAX_CAPLEN};
pub use pcapng::{InterfaceDescription, PcapngReader};
pub use reader::{CaptureFormat, CaptureReader};
pub use timestamp::{Timestamp, TimestampResolution};
